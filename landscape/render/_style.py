"""Argument checks, figures, font sizes and scales shared by every renderer.

Colours live in :mod:`._colours`, labels in :mod:`._labels`, layout in :mod:`._layout`.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from . import _writers as W
from . import options as O
from ._colours import halo, palette

__all__ = ["colours", "halo_stroke", "halo_width", "step_title"]


def colours(result) -> list:
    """Palette colour of each optimizer of ``result``, in order (:func:`._colours.palette`)."""
    pal = palette(result)
    return [pal[str(n)] for n in result.names]


def halo_width(linewidth: float, extra: float = 2.2) -> float:
    """Line width of the halo drawn under a line of ``linewidth`` points on a map."""
    return linewidth + extra


def halo_stroke(colour, linewidth: float, extra: float = 2.2):
    """Path effects that draw ``colour``'s halo (:func:`._colours.halo`) under a line."""
    from matplotlib import patheffects as pe

    stroke = pe.Stroke(linewidth=halo_width(linewidth, extra), foreground=halo(colour))
    return [stroke, pe.Normal()]


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def check_size(size) -> tuple[int, int]:
    """``(width, height)`` in pixels, two ints >= 16 (:func:`.options.frame_size`)."""
    return O.frame_size(size)


def check_frames(result, what: str = "result") -> int:
    """Number of recorded frames; raises if the result recorded none."""
    pos = result.positions
    n_frames = pos.shape[2] if pos.ndim == 4 else 0
    if n_frames == 0 or pos.shape[1] == 0:
        raise ValueError(
            f"{what} has no recorded frames (positions shape {tuple(pos.shape)}); run "
            "landscape.simulate with record_every > 0 (and record > 0)"
        )
    return n_frames


def check_items(name: str, value, what: str) -> list:
    """``value`` as a non-empty list; ``what`` names its items in the error message."""
    try:
        items = list(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of {what}, got {value!r}") from None
    if not items:
        raise ValueError(f"{name} must not be empty")
    return items


def check_bool(name: str, value) -> bool:
    """``value`` must be True or False (a NumPy bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_trajectories(trajectories, n_recorded: int) -> list:
    """Indices of recorded trajectories (a non-empty sequence of ints in range)."""
    if isinstance(trajectories, (int, np.integer)) and not isinstance(trajectories, bool):
        trajectories = (trajectories,)
    out = []
    for j in check_items("trajectories", trajectories, "ints"):
        j = V.integer("trajectories", j)
        if not 0 <= j < n_recorded:
            raise ValueError(
                f"trajectories must be in [0, {n_recorded}) (the recorded trajectories), got {j}"
            )
        out.append(j)
    return out


def check_event(result, event):
    """``None`` or a key of ``result.events``."""
    if event is not None and event not in result.events:
        raise ValueError(f"event must be one of {sorted(result.events)} or None, got {event!r}")
    return event


def check_choice_bool(name: str, value, allowed=(None, True, False)):
    """``value`` must be one of ``allowed`` (compared by identity for bools/None)."""
    for a in allowed:
        if value is a or (isinstance(a, str) and value == a):
            return value
    raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


# --------------------------------------------------------------------------
# figures, scales
# --------------------------------------------------------------------------
def new_figure(size, dpi, *, layout="constrained"):
    """A ``Figure`` of exactly ``size`` pixels at ``dpi`` with an Agg canvas (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w, h = check_size(size)
    dpi = V.positive("dpi", dpi)
    # a hair over so that int(inches * dpi) is never one pixel short
    fig = Figure(figsize=((w + 1e-3) / dpi, (h + 1e-3) / dpi), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    if layout == "constrained":
        fig.get_layout_engine().set(w_pad=2 / 72, h_pad=2 / 72, wspace=0.02, hspace=0.02)
    return fig


def frame_plan(n_frames: int, size, max_frames) -> tuple[tuple[int, int], np.ndarray, dict]:
    """Checked ``size``, the indices of the frames shown and the font sizes for ``size``.

    ``size`` is checked before ``max_frames``, as every renderer did.
    """
    size = check_size(size)
    frames = W.frame_indices(n_frames, W.check_max_frames(max_frames))
    return size, frames, font_sizes(size)


def axes_style(ax, fs, xlabel, ylabel) -> None:
    """Axis labels, tick labels and a light major grid in the font sizes ``fs``."""
    ax.set_xlabel(xlabel, fontsize=fs["label"], labelpad=1)
    ax.set_ylabel(ylabel, fontsize=fs["label"], labelpad=1)
    ax.tick_params(labelsize=fs["tick"], pad=1)
    ax.grid(True, which="major", alpha=0.3, linewidth=0.5)


def font_sizes(size) -> dict:
    """Font sizes (points) that suit a figure of ``size`` pixels at 100 dpi."""
    w, h = size
    base = float(np.clip(min(w / 96.0, h / 54.0), 6.0, 12.0))
    return {"title": base + 1, "label": base, "tick": base - 1, "legend": base - 1.5}


def loss_scale(values, log=None) -> str:
    """``"linear"``, ``"log"`` or ``"symlog"`` for plotting ``values``.

    ``log=None`` (auto): log when the positive values span more than two
    decades, symlog when negative values are present and the magnitudes span
    more than two decades, else linear.  ``log=True`` forces log (symlog if
    any value is < 0); ``log=False`` linear.
    """
    check_choice_bool("log", log)
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if log is False or v.size == 0:
        return "linear"
    neg = bool((v < 0).any())
    if log is True:
        return "symlog" if neg else "log"
    a = np.abs(v[v != 0])
    span = a.max() / a.min() if a.size else 1.0
    if neg:
        return "symlog" if span > 100 else "linear"
    return "log" if span > 100 else "linear"


def scale_values(values, start) -> np.ndarray:
    """Finite ``values`` that set an axis' range: at most 1000x the largest start value.

    Diverging trajectories reach 1e20 and more; letting them set the range
    would squash every other curve, so they leave the top of the axis instead.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    s = np.asarray(start, dtype=np.float64).ravel()
    s = s[np.isfinite(s)]
    if s.size and v.size:
        top = float(np.abs(s).max())
        if top > 0:
            v = v[v <= 1e3 * top]
    return v


def apply_scale(ax, scale: str, values, axis: str = "y") -> None:
    """Set ``ax``'s y (or x) scale and limits so that ``values`` fit."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    set_scale = ax.set_yscale if axis == "y" else ax.set_xscale
    set_lim = ax.set_ylim if axis == "y" else ax.set_xlim
    if v.size == 0:
        return
    lo, hi = float(v.min()), float(v.max())
    if scale == "log" and (v > 0).any():
        pos = v[v > 0]
        hi = float(pos.max())
        lo = max(float(pos.min()), hi * 1e-15)
        set_scale("log")
        set_lim(lo / 1.6, hi * 1.6)
    elif scale == "symlog":
        a = np.abs(v[v != 0])
        amax = float(a.max()) if a.size else 1.0
        thresh = max(float(a.min()) if a.size else 1.0, amax * 1e-6)
        set_scale("symlog", linthresh=thresh)
        pad = lambda x: x * 1.6 if abs(x) > thresh else x + np.sign(x or 1) * thresh  # noqa: E731
        set_lim(min(pad(lo), -thresh) if lo < 0 else 0.0, pad(hi) if hi > 0 else thresh)
    else:
        span = hi - lo or max(abs(hi), 1.0)
        set_lim(lo - 0.05 * span, hi + 0.05 * span)


def rgba_of(colour, alpha=1.0) -> np.ndarray:
    """An RGBA row for ``colour``."""
    from matplotlib.colors import to_rgba

    return np.array(to_rgba(colour, alpha))


def step_title(ax, fs, *, loc="left", placeholder="step 0"):
    """The step counter: a monospace axes title (above the data, never over it).

    ``placeholder`` is its text until the first frame (it reserves the space
    in the layout); the renderer sets the real text per frame.
    """
    return ax.set_title(placeholder, loc=loc, fontsize=fs["label"], family="monospace", pad=3)


def optimizer_handle(colour, *, line=True, marker="o"):
    """A legend handle for an optimizer: its colour inside its halo, as on the map.

    A tuple (line with its halo, marker with a halo edge) for
    :func:`._layout.figure_legend` with ``labels``.
    """
    from matplotlib.lines import Line2D

    dot = Line2D([], [], linestyle="none", marker=marker, markersize=6, color=colour,
                 markeredgecolor=halo(colour), markeredgewidth=1.0)  # fmt: skip
    if not line:
        return dot
    return (Line2D([], [], color=colour, linewidth=1.6, path_effects=halo_stroke(colour, 1.6)), dot)
