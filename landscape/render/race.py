"""``race``: selected trajectories of every optimizer racing over the contour map."""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from . import _colours as C
from . import _labels as L
from . import _layout as Y
from . import _maps as M
from . import _style as S
from . import _writers as W
from . import options as O

__all__ = ["RACE", "race"]


def check_surface(surface, result):
    """``surface`` (None: ``result.surface``) must be a Surface of the result's dimension."""
    from ..surfaces import Surface

    if surface is None:
        surface = getattr(result, "surface", None)
        if surface is None:
            raise ValueError("surface must be a landscape.surfaces.Surface (the result has none)")
    if not isinstance(surface, Surface):
        raise ValueError(f"surface must be a landscape.surfaces.Surface, got {surface!r}")
    d = result.positions.shape[-1] if result.positions.ndim == 4 else result.final.shape[-1]
    if surface.dim != d:
        raise ValueError(f"surface has dimension {surface.dim} but the result has {d}")
    return surface


def check_traced(result, surface, trajectories):
    """Checked arguments shared by :func:`race` and ``surface3d``.

    Returns ``(n_frames, surface, trajectory indices)``.
    """
    n_frames = S.check_frames(result)
    surface = check_surface(surface, result)
    traj = S.check_trajectories(trajectories, result.positions.shape[1])
    return n_frames, surface, traj


def legend_labels(result, items) -> list:
    """Each optimizer's label, with the step it diverged at (first shown trajectory) if it did."""
    labels = []
    for k in range(result.n_optimizers):
        label = L.opt_label(result, k)
        gone = [it["diverged"] for it in items if it["k"] == k and it["diverged"] >= 0]
        if gone:
            label += f" (diverged at step {min(gone)})"
        labels.append(label)
    return labels


@W.renderer(out_at=2)
def race(
    result,
    surface,
    *,
    trajectories=(0,),
    trail=40,
    fade=True,
    levels=30,
    log_loss=None,
    show_critical=True,
    bounds="auto",
    size=O.DEFAULT_SIZE,
    fps=O.DEFAULT_FPS,
    dpi=O.DEFAULT_DPI,
    title=None,
    max_frames=None,
    progress=False,
):
    """Animate trajectories of every optimizer on the contour map, with a loss panel.

    Left: filled contours of ``surface`` (log-spaced when its values span
    decades), its known minima (star), saddles (X) and maxima (triangle), and
    for each optimizer and each index in ``trajectories`` a marker with a
    fading trail of the last ``trail`` recorded frames, each in its colour
    inside a dark (or, for dark colours, white) halo.  Right: the loss of
    the same trajectories against the step, revealed up to a moving cursor.
    A diverged trajectory's marker turns into an X at its divergence step.
    Below both panels, one legend: each optimizer's kind, learning rate and
    non-default hyperparameters.

    Parameters
    ----------
    result : Result
        With recorded frames (``record_every > 0``).
    surface : Surface or None
        The surface the result was run on (None: ``result.surface`` where the
        Result carries one).  For d > 2 the map shows the first
        two coordinates and the 2-D slice through the other coordinates of the
        first shown trajectory's start.
    out : path, optional
        ``.gif``, ``.mp4`` or ``.png`` (the last frame); None (default):
        write no file, return an :class:`~landscape.render.Inline` for Jupyter.
    trajectories : sequence of int
        Indices among the recorded trajectories.
    trail : int
        Trail length in recorded frames (0: no trail).
    fade : bool
        Older parts of a trail fade out (default); False keeps the whole
        trail at full strength, so a path stays as drawn (the course's
        pictures of zig-zags).
    levels : int
        Number of contour levels (2 to 1000).
    log_loss : None, True or False
        Loss axis: None = log if positive losses span more than 2 decades,
        symlog if they can be negative and span decades; True = log (symlog
        with negative losses); False = linear.
    show_critical : bool
        Mark the surface's known critical points.
    bounds : "auto", "surface" or [[xmin, xmax], [ymin, ymax]]
        The box the map shows: ``"auto"`` frames the shown trajectories (up
        to divergence) and the minimum nearest to where each ends, padded
        (:func:`._maps.map_box`); ``"surface"`` is ``surface.bounds``.
    size, dpi : (int, int), float
        Frame size in pixels and pixels per inch (font scale).
    fps : float
        Frames per second.
    title : str or None
        None: the surface's label.
    max_frames : int or None
        Keep at most this many frames, evenly spread (first and last kept).
    progress : bool
        tqdm bar over the frames.

    Returns
    -------
    pathlib.Path or Inline
        ``out``; without ``out``, the encoded bytes (:class:`landscape.render.Inline`).

    ``race.plot(result, surface, ...)`` (the same arguments without ``out``)
    builds the figure without writing it (:class:`._writers.Plot`).
    """
    n_frames, surface, traj = check_traced(result, surface, trajectories)
    trail = V.integer("trail", trail, minimum=0)
    fade = S.check_bool("fade", fade)
    levels = V.integer("levels", levels, minimum=2, maximum=V.MAX_CONTOUR_LEVELS)
    S.check_choice_bool("log_loss", log_loss)
    bounds = M.check_bounds(bounds)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    steps = np.asarray(result.frame_steps, dtype=np.int64)

    # data of the shown trajectories: positions (first two coords) and losses
    items = []
    for k in range(result.n_optimizers):
        for j in traj:
            pos = np.asarray(result.positions[k, j], dtype=np.float64)
            with np.errstate(all="ignore"):
                loss = np.asarray(surface.value(pos), dtype=np.float64)
            loss = np.where(np.isfinite(loss), loss, np.nan)
            items.append({"k": k, "pos": pos[:, :2].copy(), "loss": loss,
                          "diverged": int(result.diverged[k, j])})  # fmt: skip

    fig = S.new_figure(size, dpi)
    gs = fig.add_gridspec(1, 2, width_ratios=(1.45, 1.0))
    ax_map = fig.add_subplot(gs[0], label="map")
    ax_loss = fig.add_subplot(gs[1], label="loss")

    anchor = M.anchor_of(surface, result.x0[traj[0]])
    shown = [M.shown_positions(result, k, traj) for k in range(result.n_optimizers)]
    box = M.map_box(surface, bounds, np.concatenate([p for p, _ in shown]),
                    np.concatenate([e for _, e in shown]))  # fmt: skip
    field = M.surface_field(surface, anchor, box=box)
    crit = M.draw_map(ax_map, surface, field, levels=levels, show_critical=show_critical,
                      fontsize=fs["label"])  # fmt: skip
    stamp = S.step_title(ax_map, fs)

    # loss panel: faint full curves (static), revealed curves + cursor (dynamic)
    losses = [it["loss"] for it in items]
    all_loss = S.scale_values(np.concatenate(losses), [v[0] for v in losses])
    scale = S.loss_scale(all_loss, log_loss)
    S.apply_scale(ax_loss, scale, all_loss)
    ax_loss.set_xlim(steps[0], steps[-1] if steps[-1] > steps[0] else steps[0] + 1)
    S.axes_style(ax_loss, fs, "step", "loss")
    cursor = ax_loss.axvline(steps[0], color="0.3", linewidth=0.8, zorder=3)

    from matplotlib.collections import LineCollection

    width = 2.0
    artists = []
    for it in items:
        c = cols[it["k"]]
        ax_loss.plot(steps, it["loss"], color=c, alpha=0.25, linewidth=1.0)
        # the halo is a second, wider trail under the coloured one (same fading)
        under = LineCollection([], linewidths=S.halo_width(width), zorder=5, capstyle="butt")
        over = LineCollection([], linewidths=width, zorder=5.1, capstyle="butt")
        ax_map.add_collection(under)
        ax_map.add_collection(over)
        head = ax_map.plot([], [], "o", color=c, markeredgecolor=C.halo(c), markeredgewidth=1.2,
                           markersize=7, zorder=6)[0]  # fmt: skip
        seen = ax_loss.plot([], [], color=c, linewidth=1.6, zorder=4)[0]
        dot = ax_loss.plot([], [], "o", color=c, markeredgecolor="k", markeredgewidth=0.6,
                           markersize=5, zorder=5)[0]  # fmt: skip
        artists.append((under, over, head, seen, dot, S.rgba_of(C.halo(c)), S.rgba_of(c)))
    labels = legend_labels(result, items)
    handles = [S.optimizer_handle(cols[k]) for k in range(result.n_optimizers)] + crit
    Y.figure_legend(fig, handles, fs["legend"], labels=labels + [h.get_label() for h in crit])
    auto = L.surface_label(result, surface) + M.slice_note(surface, anchor)
    fig.suptitle(Y.wrapped_title(fig, auto if title is None else str(title), fs["title"]),
                 fontsize=fs["title"])  # fmt: skip

    dynamic = [cursor, stamp]
    for under, over, head, seen, dot, _, _ in artists:
        dynamic += [seen, dot, under, over, head]

    def update(i):
        f = int(frames[i])
        s = steps[f]
        for it, (under, over, head, seen, dot, rgba_halo, rgba) in zip(items, artists, strict=True):
            pos, loss, dv = it["pos"], it["loss"], it["diverged"]
            head.set_data(pos[f : f + 1, 0], pos[f : f + 1, 1])
            head.set_marker("X" if 0 <= dv <= s else "o")
            f0 = max(0, f - trail)
            seg_pts = pos[f0 : f + 1]
            if trail and len(seg_pts) > 1:
                segs = np.stack([seg_pts[:-1], seg_pts[1:]], axis=1)
                u = np.linspace(0.0, 1.0, len(segs)) if fade else np.ones(len(segs))
                # older segments fade; the halo fades faster, so the tail keeps its colour
                for coll, base, alpha in ((under, rgba_halo, 0.85 * u**2),
                                          (over, rgba, 0.12 + 0.88 * u**1.2)):  # fmt: skip
                    rows = np.repeat(base[None, :], len(segs), axis=0)
                    rows[:, 3] = alpha
                    coll.set_segments(segs)
                    coll.set_color(rows)
            else:
                under.set_segments([])
                over.set_segments([])
            seen.set_data(steps[: f + 1], loss[: f + 1])
            dot.set_data(steps[f : f + 1], loss[f : f + 1])
        cursor.set_xdata([s, s])
        stamp.set_text(f"step {s}")
        return dynamic

    return W.Plot(fig, update, len(frames), fps=fps, dpi=dpi, progress=progress)


#: :func:`race` for declarative callers (recipes): its inputs and its options.
RACE = O.Renderer(
    race,
    inputs=("result", "surface"),
    options={
        "trajectories": O.array(O.trajectory),
        "trail": O.integer(0, O.MAX_COUNT),
        "fade": O.boolean,
        "levels": O.levels,
        "log_loss": O.boolean,
        "show_critical": O.boolean,
        "bounds": O.bounds,
    },
    needs_2d=True,
)
