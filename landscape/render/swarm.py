"""``swarm``: the cloud of all (or a subsample of) starts of every optimizer moving."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as V
from . import _colours as C
from . import _labels as L
from . import _layout as Y
from . import _maps as M
from . import _style as S
from . import _writers as W
from . import options as O
from .race import check_surface

__all__ = ["SWARM", "swarm"]

LAYOUTS = ("panels", "overlay")


def _grid(n: int, size) -> tuple[int, int]:
    """Rows and columns for ``n`` panels that make the panels as large as possible."""
    w, h = size
    best, best_score = (1, n), -1.0
    for rows in range(1, n + 1):
        cols = math.ceil(n / rows)
        score = min(w / cols, 1.33 * h / rows) - 1e-3 * (rows * cols - n)
        if score > best_score:
            best, best_score = (rows, cols), score
    return best


class _Counter:
    """Fraction of all ``n`` trajectories whose event time (>= 0) is <= a step."""

    def __init__(self, times, n):
        t = np.asarray(times)
        self.sorted = np.sort(t[t >= 0])
        self.n = max(int(n), 1)

    def __call__(self, step) -> float:
        return np.searchsorted(self.sorted, step, side="right") / self.n


@W.renderer(out_at=2)
def swarm(
    result,
    surface,
    *,
    layout="panels",
    max_points=10000,
    event=None,
    levels=30,
    bounds="auto",
    size=O.DEFAULT_SIZE,
    fps=O.DEFAULT_FPS,
    dpi=O.DEFAULT_DPI,
    title=None,
    max_frames=None,
    progress=False,
):
    """Animate the point cloud of each optimizer's trajectories on the contour map.

    Parameters
    ----------
    result : Result
        With recorded frames.
    surface : Surface
        The surface of the run (d > 2: first two coordinates, contour of the
        slice through trajectory 0's start).
    out : path, optional
        ``.gif``, ``.mp4`` or ``.png`` (the last frame); None (default):
        write no file, return an :class:`~landscape.render.Inline` for Jupyter.
    layout : {"panels", "overlay"}
        One panel per optimizer (titled with its label and its counters),
        or all clouds in one axes (the counters in the legend below it).
    max_points : int
        Show at most this many recorded trajectories per optimizer (a fixed
        random subsample; the counters always use all trajectories).
    event : str or None
        A key of ``result.events``: the counters show the fraction of all
        trajectories that reached it by the frame's step.
    bounds : "auto", "surface" or [[xmin, xmax], [ymin, ymax]]
        The box the maps show; ``"auto"`` frames the shown points (up to
        divergence) and the minima nearest to where they end
        (:func:`._maps.map_box`).
    levels, size, fps, dpi, title, max_frames, progress
        As in :func:`race`.

    Each counter also shows the fraction diverged by the frame's step;
    diverged points are hidden from their divergence step on.

    Returns
    -------
    pathlib.Path or Inline
        ``out``; without ``out``, the encoded bytes (:class:`landscape.render.Inline`).

    ``swarm.plot(result, surface, ...)`` builds the figure without writing it.
    """
    V.choice("layout", layout, LAYOUTS)
    n_frames = S.check_frames(result)
    surface = check_surface(surface, result)
    max_points = V.integer("max_points", max_points, minimum=1)
    S.check_event(result, event)
    levels = V.integer("levels", levels, minimum=2, maximum=V.MAX_CONTOUR_LEVELS)
    bounds = M.check_bounds(bounds)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    steps = np.asarray(result.frame_steps, dtype=np.int64)
    n_opt, n_rec = result.n_optimizers, result.positions.shape[1]
    n = result.n

    m = min(max_points, n_rec)
    idx = None if m == n_rec else np.sort(np.random.default_rng(0).choice(n_rec, m, replace=False))
    shown_idx = np.arange(n_rec) if idx is None else idx
    dv = [np.asarray(result.diverged[k, :n_rec])[shown_idx] for k in range(n_opt)]
    div_count = [_Counter(result.diverged[k], n) for k in range(n_opt)]
    ev_count = [_Counter(result.events[event][k], n) for k in range(n_opt)] if event else None

    anchor = M.anchor_of(surface, result.x0[0])
    shown = [M.shown_positions(result, k, shown_idx) for k in range(n_opt)]
    box = M.map_box(surface, bounds, np.concatenate([p for p, _ in shown]),
                    np.concatenate([e for _, e in shown]))  # fmt: skip
    field = M.surface_field(surface, anchor, box=box)
    fig = S.new_figure(size, dpi)
    labels = [L.opt_label(result, k) for k in range(n_opt)]

    def pct(x) -> str:
        # padded with figure spaces (digit-wide): the text keeps its width frame to frame
        return f"{100 * x:5.1f}%".replace(" ", "\u2007")

    def counters(k, s) -> str:
        parts = [] if ev_count is None else [f"{event} {pct(ev_count[k](s))}"]
        return ", ".join([*parts, f"diverged {pct(div_count[k](s))}"])

    legend = None
    if layout == "panels":
        rows, ncols = _grid(n_opt, size)
        gs = fig.add_gridspec(rows, ncols)
        axes = [fig.add_subplot(gs[k // ncols, k % ncols], label=f"map {k}") for k in range(n_opt)]
        panel_w = (size[0] - 60.0) / ncols - 8.0
        heads = [Y.wrap_text(fig, labels[k], panel_w, fs["legend"]) for k in range(n_opt)]
        crit = []
        for k, ax in enumerate(axes):
            crit = M.draw_map(ax, surface, field, levels=levels, fontsize=fs["tick"])
            if k // ncols != rows - 1 and k + ncols < n_opt:
                ax.set_xlabel("")
                ax.tick_params(labelbottom=False)
            if k % ncols:
                ax.set_ylabel("")
                ax.tick_params(labelleft=False)
        # each panel's title: its label, then the step and its counters (dynamic)
        texts = [ax.set_title(f"{heads[k]}\nstep {steps[0]}: {counters(k, steps[0])}",
                              fontsize=fs["legend"], pad=2) for k, ax in enumerate(axes)]  # fmt: skip
        if crit:
            Y.figure_legend(fig, crit, fs["legend"])
    else:
        ax = fig.add_subplot(label="map")
        axes = [ax] * n_opt
        crit = M.draw_map(ax, surface, field, levels=levels, fontsize=fs["label"])
        # legend entries: the label, then the counters on a line of their own (dynamic)
        heads = [Y.wrap_text(fig, t, size[0] - 60.0, fs["legend"]) for t in labels]
        handles = [S.optimizer_handle(cols[k], line=False) for k in range(n_opt)] + crit
        entries = [f"{heads[k]}\n{counters(k, steps[0])}" for k in range(n_opt)]
        legend = Y.figure_legend(fig, handles, fs["legend"],
                                 labels=entries + [h.get_label() for h in crit])  # fmt: skip
        texts = legend.get_texts()[:n_opt]
        stamp = S.step_title(ax, fs)

    ms = float(np.clip(3000.0 / m, 2.0, 30.0))
    alpha = 0.55 if layout == "overlay" else 0.75
    start = np.zeros((0, 2))
    clouds = [
        axes[k].scatter(start[:, 0], start[:, 1], s=ms, color=cols[k], alpha=alpha, zorder=5,
                        marker="o", edgecolors=C.halo(cols[k]), linewidths=0.4 if ms >= 6 else 0.25)
        for k in range(n_opt)
    ]  # fmt: skip
    auto = f"{L.surface_label(result, surface)}: {m} of {n} starts per optimizer"
    auto += M.slice_note(surface, anchor)
    fig.suptitle(Y.wrapped_title(fig, auto if title is None else str(title), fs["title"]),
                 fontsize=fs["title"])  # fmt: skip
    # overlay: the legend is redrawn over the clouds each frame (its counters change)
    dynamic = [*clouds, *texts] if layout == "panels" else [*clouds, legend, stamp]

    def update(i):
        f = int(frames[i])
        s = int(steps[f])
        for k in range(n_opt):
            p = result.positions[k, :, f, :2]
            if idx is not None:
                p = p[idx]
            keep = (dv[k] < 0) | (dv[k] > s)
            keep &= np.isfinite(p).all(axis=1)
            clouds[k].set_offsets(p if keep.all() else p[keep])
            if layout == "panels":
                texts[k].set_text(f"{heads[k]}\nstep {s}: {counters(k, s)}")
            else:
                texts[k].set_text(f"{heads[k]}\n{counters(k, s)}")
        if layout == "overlay":
            stamp.set_text(f"step {s}")
        return dynamic

    return W.Plot(fig, update, len(frames), fps=fps, dpi=dpi, progress=progress)


#: :func:`swarm` for declarative callers (recipes): its inputs and its options.
SWARM = O.Renderer(
    swarm,
    inputs=("result", "surface"),
    options={
        "layout": O.choice(*LAYOUTS),
        "max_points": O.integer(1, O.MAX_COUNT),
        "event": O.event,
        "levels": O.levels,
        "bounds": O.bounds,
    },
    needs_2d=True,
)
