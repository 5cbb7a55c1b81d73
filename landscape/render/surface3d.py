"""``surface3d``: trajectories riding on the 3-D surface (z = loss)."""

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
from .race import check_traced, legend_labels

__all__ = ["SURFACE3D", "surface3d"]

#: grid points per side of the drawn surface
GRID = 40
#: colour bands of the surface (flat colours keep GIF frames small)
BANDS = 14


@W.renderer(out_at=2)
def surface3d(
    result,
    surface,
    *,
    trajectories=(0,),
    elev=35.0,
    azim=-60.0,
    rotate=False,
    bounds="auto",
    size=O.DEFAULT_SIZE,
    fps=O.DEFAULT_FPS,
    dpi=O.DEFAULT_DPI,
    title=None,
    max_frames=60,
    progress=False,
):
    """Animate trajectories as 3-D lines and markers on the surface ``z = loss``.

    The surface is drawn once on a 40 x 40 grid over the box ``bounds`` in
    14 flat colour bands (the map's colours); when its values span decades
    (e.g. Rosenbrock) z is ``log10(loss - min + c)``, otherwise the loss
    clipped at its 98th percentile on the grid (the same transform is
    applied to the trajectories' losses).  Each optimizer is drawn in its
    colour inside its halo; the legend is below the axes.
    ``rotate=True`` turns the camera half a turn (from ``azim``) over the
    animation; every frame is then redrawn in full, which is several times
    slower, hence at most ``max_frames = 60`` frames by default.

    Parameters
    ----------
    result, surface, out, trajectories, size, fps, dpi, title, progress
        As in :func:`race`.
    elev, azim : float
        Camera elevation and azimuth in degrees.
    rotate : bool
        Rotate the camera during the animation.
    bounds : "auto", "surface" or [[xmin, xmax], [ymin, ymax]]
        As in :func:`race`; parts of trajectories outside the box are not drawn.
    max_frames : int or None
        At most this many frames, evenly spread (None: every recorded frame).

    Returns
    -------
    pathlib.Path or Inline
        ``out``; without ``out``, the encoded bytes (:class:`landscape.render.Inline`).

    ``surface3d.plot(result, surface, ...)`` builds the figure without writing it.
    """
    n_frames, surface, traj = check_traced(result, surface, trajectories)
    elev = V.real("elev", elev)
    azim = V.real("azim", azim)
    rotate = S.check_bool("rotate", rotate)
    bounds = M.check_bounds(bounds)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    steps = np.asarray(result.frame_steps, dtype=np.int64)

    anchor = M.anchor_of(surface, result.x0[traj[0]])
    shown = [M.shown_positions(result, k, traj) for k in range(result.n_optimizers)]
    box = M.map_box(surface, bounds, np.concatenate([p for p, _ in shown]),
                    np.concatenate([e for _, e in shown]))  # fmt: skip
    field = M.surface_field(surface, anchor, n=GRID, floor_quantile=0.1, box=box)
    T = field.T
    lo = float(np.nanmin(T))
    hi = field.hi if field.hi > lo else lo + 1.0
    Tc = np.clip(T, lo, hi)

    from matplotlib.colors import BoundaryNorm

    fig = S.new_figure(size, dpi)
    ax = fig.add_subplot(projection="3d", label="surface")
    cmap = M.background_cmap()
    norm = BoundaryNorm(np.linspace(lo, hi, BANDS + 1), cmap.N)
    ax.plot_surface(field.X, field.Y, Tc, cmap=cmap, norm=norm, rstride=1, cstride=1,
                    linewidth=0, antialiased=False, shade=False, zorder=0)  # fmt: skip
    ax.set_xlim(box[0, 0], box[0, 1])
    ax.set_ylim(box[1, 0], box[1, 1])
    ax.set_zlim(lo, hi)
    xl, yl = M.coord_names(surface)
    ax.set_xlabel(xl, fontsize=fs["label"], labelpad=-4)
    ax.set_ylabel(yl, fontsize=fs["label"], labelpad=-4)
    ax.set_zlabel(field.z_label, fontsize=fs["label"], labelpad=-2)
    ax.tick_params(labelsize=fs["tick"], pad=0)
    ax.locator_params(nbins=5)  # fewer tick labels: faster full redraws
    ax.view_init(elev=elev, azim=azim)
    ax.set_box_aspect((1.3, 1.0, 0.75), zoom=1.1)  # wider than tall: fills a wide frame

    inside = lambda x, y: (x >= box[0, 0]) & (x <= box[0, 1]) & (y >= box[1, 0]) & (y <= box[1, 1])  # noqa: E731
    items = []
    for k in range(result.n_optimizers):
        for j in traj:
            pos = np.asarray(result.positions[k, j], dtype=np.float64)
            with np.errstate(all="ignore"):
                z = field.shown(surface.value(pos))
            z = np.clip(np.where(np.isfinite(z), z, hi), lo, hi)
            x, y = pos[:, 0].copy(), pos[:, 1].copy()
            out = ~inside(x, y)
            x[out] = y[out] = z[out] = np.nan  # off the drawn surface: not drawn
            c = cols[k]
            line = ax.plot([], [], [], color=c, linewidth=1.8, zorder=5,
                           path_effects=S.halo_stroke(c, 1.8, extra=1.0))[0]  # fmt: skip
            head = ax.plot([], [], [], "o", color=c, markeredgecolor=C.halo(c),
                           markeredgewidth=1.0, markersize=7, zorder=6)[0]  # fmt: skip
            items.append((x, y, z, line, head, int(result.diverged[k, j])))
    labels = legend_labels(
        result, [{"k": k, "diverged": int(result.diverged[k, j])}
                 for k in range(result.n_optimizers) for j in traj]
    )  # fmt: skip
    handles = [S.optimizer_handle(cols[k]) for k in range(result.n_optimizers)]
    Y.figure_legend(fig, handles, fs["legend"], labels=labels)
    stamp = S.step_title(ax, fs)
    auto = f"{L.surface_label(result, surface)} (z = {field.z_label})" + M.slice_note(
        surface, anchor
    )
    fig.suptitle(Y.wrapped_title(fig, auto if title is None else str(title), fs["title"]),
                 fontsize=fs["title"])  # fmt: skip
    dynamic = [a for it in items for a in it[3:5]] + [stamp]
    n_shown = len(frames)

    def update(i):
        f = int(frames[i])
        for xs, ys, zs, line, head, _ in items:
            line.set_data_3d(xs[: f + 1], ys[: f + 1], zs[: f + 1])
            head.set_data_3d(xs[f : f + 1], ys[f : f + 1], zs[f : f + 1])
        stamp.set_text(f"step {steps[f]}")
        if rotate:
            ax.view_init(elev=elev, azim=azim + 180.0 * i / max(n_shown - 1, 1))
            return [ax]  # the camera moves: redraw the axes (the title, legend stay cached)
        return dynamic

    return W.Plot(fig, update, len(frames), fps=fps, dpi=dpi, progress=progress)


#: :func:`surface3d` for declarative callers (recipes): its inputs and its options.
SURFACE3D = O.Renderer(
    surface3d,
    inputs=("result", "surface"),
    options={
        "trajectories": O.array(O.trajectory),
        "elev": O.real,
        "azim": O.real,
        "rotate": O.boolean,
        "bounds": O.bounds,
    },
    needs_2d=True,
)
