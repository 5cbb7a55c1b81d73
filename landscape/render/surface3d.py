"""``surface3d``: trajectories riding on the 3-D surface (z = loss)."""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from . import _maps as M
from . import _style as S
from . import _writers as W
from .race import check_traced

__all__ = ["surface3d"]


def surface3d(
    result,
    surface,
    out,
    *,
    trajectories=(0,),
    elev=35.0,
    azim=-60.0,
    rotate=False,
    size=(960, 540),
    fps=20,
    dpi=100,
    title=None,
    max_frames=None,
    progress=False,
):
    """Animate trajectories as 3-D lines and markers on the surface ``z = loss``.

    The surface is drawn once on a 60 x 60 grid over ``surface.bounds``; when
    its values span decades (e.g. Rosenbrock) z is ``log10(loss - min + c)``,
    otherwise the loss clipped at its 98th percentile on the grid (the same
    transform is applied to the trajectories' losses).  ``rotate=True`` turns
    the camera half a turn (from ``azim``) over the animation; every frame is
    then redrawn in full, which is several times slower.

    Parameters
    ----------
    result, surface, out, trajectories, size, fps, dpi, title, max_frames, progress
        As in :func:`race`.
    elev, azim : float
        Camera elevation and azimuth in degrees.
    rotate : bool
        Rotate the camera during the animation.

    Returns
    -------
    pathlib.Path
    """
    path, n_frames, surface, traj = check_traced(result, surface, out, trajectories)
    elev = V.real("elev", elev)
    azim = V.real("azim", azim)
    rotate = S.check_bool("rotate", rotate)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    steps = np.asarray(result.frame_steps, dtype=np.int64)

    anchor = M.anchor_of(surface, result.x0[traj[0]])
    field = M.surface_field(surface, anchor, n=60, floor_quantile=0.1)
    T = field.T
    lo = float(np.nanmin(T))
    hi = field.hi
    Tc = np.clip(T, lo, hi)

    fig = S.new_figure(size, dpi)
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(field.X, field.Y, Tc, cmap=M.background_cmap(), rstride=1, cstride=1,
                    linewidth=0.1, edgecolor=(0, 0, 0, 0.08), antialiased=False, alpha=0.85,
                    zorder=0)  # fmt: skip
    b = np.asarray(surface.bounds, dtype=np.float64)
    ax.set_xlim(b[0, 0], b[0, 1])
    ax.set_ylim(b[1, 0], b[1, 1])
    ax.set_zlim(lo, hi if hi > lo else lo + 1.0)
    xl, yl = M.coord_names(surface)
    ax.set_xlabel(xl, fontsize=fs["label"], labelpad=-4)
    ax.set_ylabel(yl, fontsize=fs["label"], labelpad=-4)
    ax.set_zlabel(field.z_label, fontsize=fs["label"], labelpad=-2)
    ax.tick_params(labelsize=fs["tick"], pad=0)
    ax.view_init(elev=elev, azim=azim)

    from matplotlib.lines import Line2D

    items = []
    for k in range(result.n_optimizers):
        for j in traj:
            pos = np.asarray(result.positions[k, j], dtype=np.float64)
            with np.errstate(all="ignore"):
                z = field.shown(surface.value(pos))
            z = np.clip(np.where(np.isfinite(z), z, hi), lo, hi)
            line = ax.plot([], [], [], color=cols[k], linewidth=2.0, zorder=5)[0]
            head = ax.plot([], [], [], "o", color=cols[k], markeredgecolor="k",
                           markersize=7, zorder=6)[0]  # fmt: skip
            items.append((pos[:, 0].copy(), pos[:, 1].copy(), z, line, head))
    handles = [
        Line2D([], [], color=cols[k], marker="o", markeredgecolor="k", label=S.opt_label(result, k))
        for k in range(result.n_optimizers)
    ]
    legend = ax.legend(handles=handles, loc="upper left", fontsize=fs["legend"], framealpha=0.85)
    stamp = ax.text2D(0.99, 0.99, "", transform=ax.transAxes, ha="right", va="top",
                      fontsize=fs["label"], family="monospace", zorder=20)  # fmt: skip
    auto = f"{S.surface_label(result, surface)} (z = {field.z_label})" + M.slice_note(
        surface, anchor
    )
    fig.suptitle(auto if title is None else str(title), fontsize=fs["title"])
    dynamic = [a for it in items for a in it[3:]] + [stamp, legend]
    n_shown = len(frames)

    def update(i):
        f = int(frames[i])
        for xs, ys, zs, line, head in items:
            line.set_data_3d(xs[: f + 1], ys[: f + 1], zs[: f + 1])
            head.set_data_3d(xs[f : f + 1], ys[f : f + 1], zs[f : f + 1])
        stamp.set_text(f"step {steps[f]}")
        if rotate:
            ax.view_init(elev=elev, azim=azim + 180.0 * i / max(n_shown - 1, 1))
            return None  # the camera moves: redraw everything
        return dynamic

    return W.save_animation(fig, update, len(frames), path, fps=fps, dpi=dpi, progress=progress)
