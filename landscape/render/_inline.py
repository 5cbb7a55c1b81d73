"""Renders held in memory for Jupyter: :class:`Inline` (a renderer called without ``out``).

A renderer called without ``out`` draws its :class:`~landscape.render.Plot`
into a temporary file with the same encoders as a written file, reads the
bytes back and returns them as an :class:`Inline`, which a notebook displays
(``_repr_html_``, and ``_repr_png_`` for stills) and which :meth:`Inline.save`
writes later, atomically.
"""

from __future__ import annotations

import base64
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._atomic import atomic_path
from ._writers import FORMATS, Plot, check_out, save_plot

__all__ = ["Inline"]

_MIME = {"gif": "image/gif", "png": "image/png", "mp4": "video/mp4"}


def _format(format) -> str:
    """``format`` ("gif", ".GIF", ...) as one of "gif", "mp4", "png"."""
    name = format.lower().lstrip(".") if isinstance(format, str) else None
    if name not in _MIME:
        allowed = tuple(ext.lstrip(".") for ext in FORMATS)
        raise ValueError(f"format must be one of {allowed}, got {format!r}")
    return name


@dataclass(frozen=True, repr=False)
class Inline:
    """An encoded figure or animation held in memory, displayed inline by Jupyter.

    What a renderer returns when called without ``out``
    (``render.race(res, surf)``); :meth:`of` makes one from any
    :class:`~landscape.render.Plot`, e.g. an MP4:
    ``Inline.of(render.race.plot(res, surf), format="mp4")``.

    Attributes
    ----------
    data : bytes
        The encoded file, exactly as a renderer given ``out`` writes it.
    format : {"gif", "mp4", "png"}
        Its format (the extension without the dot).
    """

    data: bytes
    format: str

    def __post_init__(self):
        if not isinstance(self.data, bytes):
            raise ValueError(f"data must be bytes, got {type(self.data).__name__}")
        object.__setattr__(self, "format", _format(self.format))

    @classmethod
    def of(cls, plot: Plot, format=None) -> Inline:
        """Encode ``plot`` in memory.

        Parameters
        ----------
        plot : Plot
            What a renderer's ``.plot(...)`` builds.
        format : {"gif", "mp4", "png"}, optional
            Default: ``"gif"`` for an animation, ``"png"`` for a still.
            ``"mp4"`` needs ffmpeg (``pip install "landscape[video]"``); as
            with ``out``, a still as ``"gif"`` is one frame, as ``"mp4"`` a
            1-second still, and an animation as ``"png"`` its last frame.
        """
        if not isinstance(plot, Plot):
            raise ValueError(f"plot must be a landscape.render.Plot, got {plot!r}")
        if format is None:
            format = "gif" if plot.animated else "png"
        name = _format(format)
        with tempfile.TemporaryDirectory(prefix="landscape-inline-") as tmp:
            path, _ = check_out(os.path.join(tmp, f"inline.{name}"))  # ffmpeg before drawing
            return cls(save_plot(plot, path).read_bytes(), name)

    @property
    def mimetype(self) -> str:
        """``image/gif``, ``image/png`` or ``video/mp4``."""
        return _MIME[self.format]

    def save(self, path) -> Path:
        """Write :attr:`data` to ``path`` (atomically) and return it as a Path.

        ``path`` must end in this format's extension (``.gif`` for a GIF).
        """
        ext = "." + self.format
        if not isinstance(path, (str, os.PathLike)):
            raise ValueError(f"path must be a path ending in {ext!r}, got {path!r}")
        path = Path(path)
        if path.suffix.lower() != ext:
            raise ValueError(
                f"path must end in {ext!r} (this Inline holds {self.format.upper()} data), "
                f"got {str(path)!r}"
            )
        with atomic_path(path, ext) as tmp, open(tmp, "wb") as fh:
            fh.write(self.data)
        return path

    def _data_uri(self) -> str:
        return f"data:{self.mimetype};base64," + base64.b64encode(self.data).decode("ascii")

    def _repr_html_(self) -> str:
        if self.format == "mp4":
            return (
                "<video controls autoplay loop muted>"
                f'<source src="{self._data_uri()}" type="video/mp4"></video>'
            )
        return f'<img src="{self._data_uri()}">'

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def __repr__(self) -> str:
        return f"Inline({self.format}, {len(self.data):,} bytes)"
