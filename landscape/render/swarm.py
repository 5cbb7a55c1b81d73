"""``swarm``: the cloud of all (or a subsample of) starts of every optimizer moving."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as V
from . import _maps as M
from . import _style as S
from . import _writers as W
from .race import check_surface

__all__ = ["swarm"]

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


def swarm(
    result,
    surface,
    out,
    *,
    layout="panels",
    max_points=10000,
    event=None,
    levels=30,
    size=(960, 540),
    fps=20,
    dpi=100,
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
    out : path
        ``.gif``, ``.mp4`` or ``.png`` (the last frame).
    layout : {"panels", "overlay"}
        One panel per optimizer, or all clouds in one axes.
    max_points : int
        Show at most this many recorded trajectories per optimizer (a fixed
        random subsample; the counters always use all trajectories).
    event : str or None
        A key of ``result.events``: the counters show the fraction of all
        trajectories that reached it by the frame's step.
    levels, size, fps, dpi, title, max_frames, progress
        As in :func:`race`.

    Each counter also shows the fraction diverged by the frame's step;
    diverged points are hidden from their divergence step on.

    Returns
    -------
    pathlib.Path
    """
    path, _ = W.check_out(out)
    V.choice("layout", layout, LAYOUTS)
    n_frames = S.check_frames(result)
    surface = check_surface(surface, result)
    max_points = V.integer("max_points", max_points, minimum=1)
    S.check_event(result, event)
    levels = V.integer("levels", levels, minimum=2)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    steps = np.asarray(result.frame_steps, dtype=np.int64)
    n_opt, n_rec = result.n_optimizers, result.positions.shape[1]
    n = result.n

    m = min(max_points, n_rec)
    idx = None if m == n_rec else np.sort(np.random.default_rng(0).choice(n_rec, m, replace=False))
    dv = [np.asarray(result.diverged[k, :n_rec]) for k in range(n_opt)]
    if idx is not None:
        dv = [d[idx] for d in dv]
    div_count = [_Counter(result.diverged[k], n) for k in range(n_opt)]
    ev_count = [_Counter(result.events[event][k], n) for k in range(n_opt)] if event else None

    anchor = M.anchor_of(surface, result.x0[0])
    field = M.surface_field(surface, anchor)
    fig = S.new_figure(size, dpi)
    legend = None
    if layout == "panels":
        rows, ncols = _grid(n_opt, size)
        gs = fig.add_gridspec(rows, ncols)
        axes = [fig.add_subplot(gs[k // ncols, k % ncols]) for k in range(n_opt)]
        for k, ax in enumerate(axes):
            M.draw_map(ax, surface, field, levels=levels, fontsize=fs["tick"])
            ax.set_title(S.opt_label(result, k), fontsize=fs["legend"], pad=2)
            if k // ncols != rows - 1 and k + ncols < n_opt:
                ax.set_xlabel("")
                ax.tick_params(labelbottom=False)
            if k % ncols:
                ax.set_ylabel("")
                ax.tick_params(labelleft=False)
    else:
        axes = [fig.add_subplot()] * n_opt
        handles = M.draw_map(axes[0], surface, field, levels=levels, fontsize=fs["label"])
        from matplotlib.lines import Line2D

        handles = [
            Line2D(
                [], [], linestyle="none", marker="o", color=cols[k], label=S.opt_label(result, k)
            )
            for k in range(n_opt)
        ] + handles
        legend = axes[0].legend(handles=handles, loc="lower right", fontsize=fs["legend"],
                                framealpha=0.85)  # fmt: skip

    ms = float(np.clip(3000.0 / m, 2.0, 30.0))
    alpha = 0.55 if layout == "overlay" else 0.75
    start = np.zeros((0, 2))
    clouds = [
        axes[k].scatter(start[:, 0], start[:, 1], s=ms, color=cols[k], linewidths=0,
                        alpha=alpha, zorder=5, marker="o")
        for k in range(n_opt)
    ]  # fmt: skip
    texts = []
    for k in range(n_opt):
        if layout == "panels":
            t = axes[k].text(0.01, 0.01, "", transform=axes[k].transAxes, ha="left", va="bottom",
                             fontsize=fs["legend"], family="monospace", zorder=20,
                             bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6",
                                   "alpha": 0.85})  # fmt: skip
        else:
            t = axes[0].annotate("", xy=(0, 1), xycoords="axes fraction",
                                 xytext=(4, -4 - 1.5 * fs["legend"] * k), textcoords="offset points",
                                 ha="left", va="top", fontsize=fs["legend"], family="monospace",
                                 color=cols[k], zorder=20, fontweight="bold",
                                 bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none",
                                       "alpha": 0.8})  # fmt: skip
        texts.append(t)
    stamp = S.step_text(axes[0], size)
    auto = f"{S.surface_label(result, surface)}: {m} of {n} starts per optimizer"
    fig.suptitle((auto + M.slice_note(surface, anchor)) if title is None else str(title),
                 fontsize=fs["title"])  # fmt: skip
    dynamic = [*clouds, *texts, stamp] + ([legend] if legend is not None else [])
    width = max(len(str(nm)) for nm in result.names)

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
            parts = [] if layout == "panels" else [f"{str(result.names[k]):<{width}}"]
            if ev_count is not None:
                parts.append(f"{event} {100 * ev_count[k](s):5.1f}%")
            parts.append(f"diverged {100 * div_count[k](s):5.1f}%")
            texts[k].set_text("  ".join(parts))
        stamp.set_text(f"step {s}")
        return dynamic

    return W.save_animation(fig, update, len(frames), path, fps=fps, dpi=dpi, progress=progress)
