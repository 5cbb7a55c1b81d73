"""Animations and figures of simulation results (issue #3, "Comparison animations").

Every renderer writes the format given by the extension of ``out``:
``.gif`` (Pillow), ``.mp4`` (H.264 through ffmpeg: ``pip install
"landscape[video]"``) or ``.png`` (the last frame as a still).  Writes are
atomic (temporary file + ``os.replace``).  Static figures saved as ``.gif``
are one frame, as ``.mp4`` a 1-second still.

Without ``out`` a renderer writes no file and returns an :class:`Inline`:
the same bytes held in memory (GIF for an animation, PNG for a still), which
a Jupyter notebook displays where it is the cell's value, and which
``.save(path)`` writes later.  :meth:`Inline.of` encodes a ``.plot`` in
another format, e.g. MP4 (needs ffmpeg):

>>> render.race(res, surf, trail=40)                 # doctest: +SKIP
Inline(gif, 181,204 bytes)
>>> render.Inline.of(render.race.plot(res, surf), format="mp4")  # doctest: +SKIP

Animations draw the static background (contour map, critical points, axes,
legend) once and per frame only update the moving artists, which are blitted
onto the cached background and streamed to the encoder.

>>> from landscape import render
>>> render.race(res, surf, "race.gif", trajectories=(0, 1))      # doctest: +SKIP
>>> render.swarm(res, surf, "swarm.mp4", layout="overlay", event="near_min")  # doctest: +SKIP

Every renderer also has a ``.plot`` that builds the figure without writing
a file (the same arguments without ``out``), and :func:`draw_frame` draws one
of its frames, e.g. to check the layout with :func:`layout_report`:

>>> fig = render.draw_frame(render.race.plot(res, surf, trail=40), -1)  # doctest: +SKIP
>>> render.layout_report(fig)["ok"]                                     # doctest: +SKIP
True

Recipes and other declarative callers reach the renderers through
:data:`RENDERERS`: each renderer declares its inputs and options once
beside its code (:class:`Renderer`, :mod:`landscape.render.options`) and
shares the frame options (size, dpi, title, fps, max_frames, progress) of
:class:`FrameOptions`.

Importing this module imports neither pyplot nor any kernel; figures are
``matplotlib.figure.Figure`` objects with an Agg canvas (no global state).
"""

from ._colours import palette
from ._inline import Inline
from ._layout import layout_report
from ._writers import (
    ANIMATION_FORMAT,
    DEFAULT_MAX_FRAMES,
    FORMATS,
    STILL_FORMAT,
    Plot,
    draw_frame,
    save_animation,
    save_figure,
)
from .course import EWA, SCHEDULES, ewa_figure, schedule_figure
from .curves import LOSS_CURVES, MINIBATCH, SURVIVAL, loss_curves, minibatch_curves, survival_curves
from .options import FrameOptions, Renderer, RunFacts
from .race import RACE, race
from .surface3d import SURFACE3D, surface3d
from .swarm import SWARM, swarm

#: ``kind`` (a recipe's ``render.kind``) -> :class:`Renderer` declaration.  A new
#: renderer is one module (its function and its declaration) plus one line here;
#: from outside the package, :func:`register`.
RENDERERS = {
    "race": RACE,
    "swarm": SWARM,
    "surface3d": SURFACE3D,
    "loss_curves": LOSS_CURVES,
    "minibatch": MINIBATCH,
    "survival": SURVIVAL,
    "ewa": EWA,
    "schedules": SCHEDULES,
}


def register(kind: str, renderer: Renderer) -> Renderer:
    """Make ``renderer`` available to recipes as ``render.kind = kind``; returns it.

    ``kind`` must be a new name (letters, digits, ``_``); see
    :mod:`landscape.render.options` for what a declaration holds.
    """
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ValueError(f"kind must be a name (letters, digits, _), got {kind!r}")
    if kind in RENDERERS:
        raise ValueError(f"kind {kind!r} is already registered (to {RENDERERS[kind].name})")
    if not isinstance(renderer, Renderer):
        raise ValueError(f"renderer must be a landscape.render.Renderer, got {renderer!r}")
    RENDERERS[kind] = renderer
    return renderer


__all__ = [
    "ANIMATION_FORMAT",
    "DEFAULT_MAX_FRAMES",
    "FORMATS",
    "RENDERERS",
    "STILL_FORMAT",
    "FrameOptions",
    "Inline",
    "Plot",
    "Renderer",
    "RunFacts",
    "draw_frame",
    "ewa_figure",
    "layout_report",
    "loss_curves",
    "minibatch_curves",
    "palette",
    "race",
    "register",
    "save_animation",
    "save_figure",
    "schedule_figure",
    "surface3d",
    "survival_curves",
    "swarm",
]
