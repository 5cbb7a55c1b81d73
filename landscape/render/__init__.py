"""Animations and figures of simulation results (issue #3, "Comparison animations").

Every renderer writes the format given by the extension of ``out``:
``.gif`` (Pillow), ``.mp4`` (H.264 through ffmpeg: ``pip install
"landscape[video]"``) or ``.png`` (the last frame as a still).  Writes are
atomic (temporary file + ``os.replace``).  Static figures saved as ``.gif``
are one frame, as ``.mp4`` a 1-second still.

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

Importing this module imports neither pyplot nor any kernel; figures are
``matplotlib.figure.Figure`` objects with an Agg canvas (no global state).
"""

from ._colours import palette
from ._layout import layout_report
from ._writers import DEFAULT_MAX_FRAMES, FORMATS, Plot, draw_frame, save_animation, save_figure
from .course import ewa_figure, schedule_figure
from .curves import loss_curves, minibatch_curves, survival_curves
from .race import race
from .surface3d import surface3d
from .swarm import swarm

__all__ = [
    "DEFAULT_MAX_FRAMES",
    "FORMATS",
    "Plot",
    "draw_frame",
    "ewa_figure",
    "layout_report",
    "loss_curves",
    "minibatch_curves",
    "palette",
    "race",
    "save_animation",
    "save_figure",
    "schedule_figure",
    "surface3d",
    "survival_curves",
    "swarm",
]
