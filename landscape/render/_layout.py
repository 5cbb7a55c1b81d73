"""Figure layout: titles wrapped to fit, legends outside the data, and a report of the geometry.

Optimizer legends are one figure legend below the panels (constrained
layout's ``"outside lower center"``), as many columns as fit the figure's
width, long labels wrapped; titles are wrapped to the width they have.  So a
long label never squashes a panel or opens a gap, and no legend covers data.
:func:`layout_report` measures a drawn figure so tests can check this.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["figure_legend", "layout_report", "text_width", "wrap_text", "wrapped_title"]

# legend geometry in font sizes (matplotlib's defaults, set explicitly)
_HANDLE_LEN, _HANDLE_PAD, _COL_SPACING, _BORDER = 2.0, 0.6, 1.6, 0.4


def _renderer(fig):
    from ._writers import agg_canvas

    return agg_canvas(fig).get_renderer()


def text_width(fig, text: str, fontsize: float) -> float:
    """Width in pixels of ``text`` (its widest line) at ``fontsize`` points in ``fig``."""
    from matplotlib.font_manager import FontProperties

    r = _renderer(fig)
    prop = FontProperties(size=fontsize)
    widest = 0.0
    for line in str(text).split("\n"):
        math_text = line.count("$") >= 2 and line.count("$") % 2 == 0
        w, _, _ = r.get_text_width_height_descent(line or " ", prop, ismath=math_text)
        widest = max(widest, float(w))
    return widest


def _tokens(line: str) -> list:
    """Words of a line, a ``$...$`` math group kept as one word."""
    out, buf, in_math = [], "", False
    for ch in line:
        if ch == "$":
            in_math = not in_math
        if ch == " " and not in_math:
            if buf:
                out.append(buf)
            buf = ""
        else:
            buf += ch
    if buf:
        out.append(buf)
    return out


def wrap_text(fig, text: str, width: float, fontsize: float) -> str:
    """``text`` with line breaks between words so that each line is at most ``width`` pixels.

    A word (or a ``$...$`` group) longer than the width stays whole on its line.
    """
    lines = []
    for para in str(text).split("\n"):
        cur = ""
        for word in _tokens(para):
            trial = f"{cur} {word}" if cur else word
            if cur and text_width(fig, trial, fontsize) > width:
                lines.append(cur)
                cur = word
            else:
                cur = trial
        lines.append(cur)
    return "\n".join(lines)


def wrapped_title(fig, text: str, fontsize: float, *, width=None) -> str:
    """A suptitle wrapped to the figure's width (less a small margin), or to ``width`` pixels."""
    width = fig.bbox.width - 12.0 if width is None else float(width)
    return wrap_text(fig, text, max(width, 20.0), fontsize)


def _columns(n: int, ncol: int) -> list:
    """The entry indices in each legend column (matplotlib fills columns top to bottom)."""
    return [list(c) for c in np.array_split(np.arange(n), ncol) if len(c)]


def figure_legend(fig, handles, fontsize: float, *, labels=None, max_rows=None):
    """One legend below every panel, in as many columns as fit the figure's width.

    ``handles`` are artists (their labels are used) or, with ``labels``,
    any legend handles (tuples too).  Labels wider than the figure are
    wrapped.  Needs constrained layout (``"outside lower center"`` keeps the
    legend out of the panels).

    Returns the :class:`~matplotlib.legend.Legend`.
    """
    handles = list(handles)
    labels = [h.get_label() for h in handles] if labels is None else [str(t) for t in labels]
    em = fontsize * fig.dpi / 72.0
    avail = fig.bbox.width - 8.0 - 2 * _BORDER * em
    handle_w = (_HANDLE_LEN + _HANDLE_PAD) * em
    labels = [wrap_text(fig, t, avail - handle_w, fontsize)
              if text_width(fig, t, fontsize) > avail - handle_w else t for t in labels]  # fmt: skip
    widths = [text_width(fig, t, fontsize) for t in labels]
    n = len(handles)
    ncol = 1
    for k in range(n, 0, -1):
        cols = _columns(n, k)
        total = sum(handle_w + max(widths[i] for i in c) for c in cols)
        total += (len(cols) - 1) * _COL_SPACING * em
        if total <= avail or k == 1:
            ncol = k
            break
    if max_rows is not None:
        ncol = max(ncol, math.ceil(n / max_rows))
    loc = "outside lower center" if fig.get_layout_engine() is not None else "lower center"
    return fig.legend(
        handles, labels, loc=loc, ncol=ncol, fontsize=fontsize, frameon=False,
        handlelength=_HANDLE_LEN, handletextpad=_HANDLE_PAD, columnspacing=_COL_SPACING,
        borderaxespad=0.2, borderpad=_BORDER,
    )  # fmt: skip


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------
def _box(b) -> tuple:
    return (float(b.x0), float(b.y0), float(b.x1), float(b.y1))


def _inside(box, W, H, tol=1.0) -> bool:
    x0, y0, x1, y1 = box
    return x0 >= -tol and y0 >= -tol and x1 <= W + tol and y1 <= H + tol


def _overlap(a, b, tol=1.0) -> bool:
    """Whether two boxes share an area wider and taller than ``tol`` pixels."""
    return min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol


def _data_points(ax) -> np.ndarray:
    """Display coordinates of the data an axes plots (line vertices, scatter points, segments)."""
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection
    from matplotlib.lines import Line2D

    pts = []
    for art in ax.get_children():
        if not art.get_visible():
            continue
        try:
            if isinstance(art, Line2D):
                xy = np.asarray(art.get_xydata(), dtype=float)
                tr = art.get_transform()
            elif isinstance(art, PathCollection):
                xy = np.asarray(art.get_offsets(), dtype=float)
                tr = art.get_offset_transform()
            elif isinstance(art, (LineCollection, PolyCollection)):
                segs = [np.asarray(p.vertices, dtype=float) for p in art.get_paths()]
                xy = np.concatenate(segs) if segs else np.zeros((0, 2))
                tr = art.get_transform()
            else:
                continue
        except (AttributeError, ValueError, TypeError):
            continue
        if xy.size == 0 or xy.ndim != 2:
            continue
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy):
            pts.append(tr.transform(xy))
    if not pts:
        return np.zeros((0, 2))
    p = np.concatenate(pts)
    b = ax.bbox  # points clipped away are not drawn
    return p[(p[:, 0] >= b.x0) & (p[:, 0] <= b.x1) & (p[:, 1] >= b.y0) & (p[:, 1] <= b.y1)]


def layout_report(fig) -> dict:
    """Draw ``fig`` and measure where its titles, legends and panels are (in pixels).

    Returns
    -------
    dict with

    ``size``
        ``(width, height)`` of the figure.
    ``titles``
        One dict per non-empty title (the suptitle, each axes' titles):
        ``text``, ``box`` (x0, y0, x1, y1) and ``inside`` (within the figure).
    ``legends``
        One dict per legend (figure and axes legends): ``box``, ``inside``,
        ``in_axes`` (whether it belongs to an axes), ``overlaps`` (labels of
        the axes whose plotting area it intersects, its own axes excluded)
        and ``covers`` (how many plotted data points of any axes lie under it).
    ``axes``
        One dict per axes: ``label`` (``Axes.get_label()``, e.g. ``"map"``),
        ``box``, ``width`` and ``height`` as fractions of the figure, and
        ``inside`` (its tight box, tick labels included, within the figure).
    ``ok``
        Every title, legend and axes inside the figure, and no legend over
        another axes' plotting area or over data.
    """
    from ._writers import agg_canvas

    canvas = agg_canvas(fig)
    canvas.draw()
    r = canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    titles = []
    candidates = [getattr(fig, "_suptitle", None)]
    for ax in fig.axes:
        candidates += [
            ax.title,
            getattr(ax, "_left_title", None),
            getattr(ax, "_right_title", None),
        ]
    for t in candidates:
        if t is None or not t.get_visible() or not t.get_text().strip():
            continue
        box = _box(t.get_window_extent(r))
        titles.append({"text": t.get_text(), "box": box, "inside": _inside(box, W, H)})
    axes = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        box = _box(ax.get_window_extent(r))
        tight = _box(ax.get_tightbbox(r))
        axes.append({"label": ax.get_label() or f"axes {i}", "box": box, "ax": ax,
                     "width": (box[2] - box[0]) / W, "height": (box[3] - box[1]) / H,
                     "inside": _inside(tight, W, H, tol=2.0)})  # fmt: skip
    points = {id(a["ax"]): _data_points(a["ax"]) for a in axes}
    legends = []
    owners = [(lg, None) for lg in fig.legends]
    owners += [(ax.get_legend(), ax) for ax in fig.axes if ax.get_legend() is not None]
    for lg, owner in owners:
        if not lg.get_visible():
            continue
        box = _box(lg.get_window_extent(r))
        overlaps = [a["label"] for a in axes if a["ax"] is not owner and _overlap(box, a["box"])]
        covers = 0
        for a in axes:
            p = points[id(a["ax"])]
            if len(p):
                covers += int(np.sum((p[:, 0] > box[0]) & (p[:, 0] < box[2])
                                     & (p[:, 1] > box[1]) & (p[:, 1] < box[3])))  # fmt: skip
        legends.append({"box": box, "inside": _inside(box, W, H), "in_axes": owner is not None,
                        "overlaps": overlaps, "covers": covers})  # fmt: skip
    for a in axes:
        del a["ax"]
    ok = (all(t["inside"] for t in titles) and all(a["inside"] for a in axes)
          and all(lg["inside"] and not lg["overlaps"] and not lg["covers"] for lg in legends))  # fmt: skip
    return {"size": (W, H), "titles": titles, "legends": legends, "axes": axes, "ok": ok}
