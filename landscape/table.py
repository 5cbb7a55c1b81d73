"""Tidy tables: one dict per row, written as CSV or aligned text.

:class:`Table` is what :func:`landscape.escape.sweep`,
:func:`landscape.analysis.classify` and :func:`landscape.analysis.spectra_along`
return.  CSV cells that a spreadsheet would read as formulas are quoted
(:func:`csv_text`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._atomic import atomic_path

__all__ = ["Table", "csv_cell", "csv_text", "format_cell"]


@dataclass
class Table:
    """A tidy table: one dict per row; ``columns`` in display order."""

    rows: list
    columns: list

    def to_csv(self, path) -> Path:
        """Write CSV (``inf``/``nan`` as such, None as empty): readable by ``pandas.read_csv``.

        Numbers are written as numbers (negative ones too).  A text cell (a
        name, a label, a column header) that starts with ``=``, ``+``, ``-``
        or ``@`` gets a leading ``'`` so that a spreadsheet shows it as text
        instead of evaluating it as a formula (CSV formula injection).

        The file is written to a unique temporary beside ``path`` and moved
        into place (:func:`landscape._atomic.atomic_path`): concurrent writes
        all succeed, a reader never sees a partial file, a failure leaves
        nothing behind; missing parent directories are created, and writing
        onto a directory raises ``ValueError``.
        """
        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([csv_text(str(c)) for c in self.columns])
            for r in self.rows:
                w.writerow([csv_cell(r.get(c)) for c in self.columns])
        return path

    def column(self, name: str) -> list:
        """The values of one column."""
        if name not in self.columns:
            raise ValueError(f"column must be one of {self.columns}, got {name!r}")
        return [r.get(name) for r in self.rows]

    def format(self, columns=None, markdown: bool = False) -> str:
        """Aligned text (or a Markdown table with ``markdown=True``)."""
        cols = list(columns or self.columns)
        cells = [[format_cell(r.get(c)) for c in cols] for r in self.rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
        sep = " | " if markdown else "  "

        def line(vals):
            body = sep.join(v.ljust(w) for v, w in zip(vals, widths, strict=True))
            return f"| {body} |" if markdown else body.rstrip()

        out = [line(cols), line(["-" * w for w in widths])]
        out += [line(row) for row in cells]
        return "\n".join(out)


#: First characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@")


def csv_text(text: str) -> str:
    """``text``, with a leading ``'`` if a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_cell(v) -> str:
    """One CSV cell: None empty, numbers as numbers, text quoted by :func:`csv_text`."""
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return csv_text(str(v))


def format_cell(v) -> str:
    """One cell of :meth:`Table.format`: None as ``-``, floats to 4 significant digits."""
    if v is None:
        return "-"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)
