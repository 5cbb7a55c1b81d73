"""The static contour map of a surface (drawn once per axes) and its critical points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The map's colours, low loss to high: light greys with a cool tint, low
#: loss darker (relative luminance 0.35 to 0.96), so that every optimizer
#: colour, drawn inside its halo (:func:`._colours.halo`), keeps a WCAG
#: contrast of at least 3 on every level.
BG_COLOURS = ("#8fa3ae", "#b7c4cb", "#d5dde1", "#ebeff1", "#fafafa")


def background_cmap():
    """The colormap of contour maps and 3-D surfaces."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("landscape_bg", BG_COLOURS)


@dataclass
class Field:
    """A surface on a 2-D grid (the first two coordinates; a slice if d > 2)."""

    X: np.ndarray
    Y: np.ndarray
    Z: np.ndarray
    anchor: np.ndarray | None  # the point the slice goes through (d > 2), else None
    zmin: float
    floor: float  # > 0: values are shown as log10(z - zmin + floor)
    hi: float  # clip (in shown units) for readability

    @property
    def is_log(self) -> bool:
        return self.floor > 0

    def shown(self, z):
        """Loss values in the map's units (log10(z - min + floor) if log, else z)."""
        z = np.asarray(z, dtype=np.float64)
        if self.is_log:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.log10(np.maximum(z - self.zmin, 0.0) + self.floor)
        return z

    @property
    def box(self) -> np.ndarray:
        """The ``(2, 2)`` box of the grid."""
        return np.array([[self.X[0, 0], self.X[0, -1]], [self.Y[0, 0], self.Y[-1, 0]]])

    @property
    def T(self):
        return self.shown(self.Z)

    @property
    def z_label(self) -> str:
        return "log10(loss - min + c)" if self.is_log else "loss"


def anchor_of(surface, x0_row) -> np.ndarray | None:
    """The slice anchor for a d > 2 surface (a start, or zeros), None for d = 2."""
    if surface.dim <= 2:
        return None
    if x0_row is None:
        return np.zeros(surface.dim)
    return np.asarray(x0_row, dtype=np.float64).reshape(surface.dim).copy()


def surface_field(
    surface, anchor=None, n: int = 200, log=None, floor_quantile=0.01, box=None
) -> Field:
    """Evaluate ``surface`` on an ``n x n`` grid over ``box`` (default: its bounds; first two coords).

    ``log=None`` picks log-spaced values when the surface's values are skewed
    (the median of ``z - min`` is under a tenth of its maximum, e.g.
    Rosenbrock or Beale), which is when they span decades; values are then
    shown as ``log10(z - min + c)`` with ``c`` the ``floor_quantile`` of the
    positive ``z - min`` (larger ``c``: smoother bottom on coarse grids).
    Both are decided on the grid, so over the box that is drawn.
    """
    b = np.asarray(surface.bounds if box is None else box, dtype=np.float64)
    xs = np.linspace(b[0, 0], b[0, 1], n)
    ys = np.linspace(b[1, 0], b[1, 1], n)
    X, Y = np.meshgrid(xs, ys)
    pts = np.empty((n, n, surface.dim))
    if surface.dim > 2:
        pts[:] = anchor if anchor is not None else 0.0
    pts[..., 0] = X
    pts[..., 1] = Y
    with np.errstate(all="ignore"):
        Z = np.asarray(surface.value(pts), dtype=np.float64)
    Z = np.where(np.isfinite(Z), Z, np.nan)
    fin = Z[np.isfinite(Z)]
    if fin.size == 0:
        raise ValueError(f"surface {surface.label} is not finite anywhere on the box {b.tolist()}")
    zmin = float(fin.min())
    zr = fin - zmin
    top = float(zr.max())
    skewed = top > 0 and float(np.median(zr)) < 0.1 * top
    floor = 0.0
    if (log is None and skewed) or (log is True and top > 0):
        pos = zr[zr > 0]
        floor = max(float(np.quantile(pos, floor_quantile)), top * 1e-10)
    field = Field(X, Y, Z, anchor, zmin, floor, np.inf)
    T = field.T
    tf = T[np.isfinite(T)]
    # linear maps: clip the top 2% so that steep walls do not flatten the rest
    field.hi = float(tf.max()) if field.is_log else float(np.quantile(tf, 0.98))
    return field


# --------------------------------------------------------------------------
# the box a map shows
# --------------------------------------------------------------------------
BOUNDS = ("auto", "surface")
#: padding of the automatic box, as a fraction of its span on each side
PAD = 0.08
#: the automatic box's shorter side is at least this fraction of its longer one
MIN_ASPECT = 0.25
#: positions farther than this many bounds-widths outside ``surface.bounds`` are ignored
FAR = 10.0


def check_bounds(bounds):
    """``"auto"``, ``"surface"`` or a ``[[xmin, xmax], [ymin, ymax]]`` box of finite numbers."""
    if isinstance(bounds, str):
        if bounds in BOUNDS:
            return bounds
        raise ValueError(f"bounds must be 'auto', 'surface' or [[xmin, xmax], [ymin, ymax]], "
                         f"got {bounds!r}")  # fmt: skip
    try:
        b = np.array(bounds, dtype=np.float64)
    except (TypeError, ValueError):
        b = None
    if b is None or b.shape != (2, 2) or not np.isfinite(b).all() or not (b[:, 0] < b[:, 1]).all():
        raise ValueError(
            "bounds must be 'auto', 'surface' or [[xmin, xmax], [ymin, ymax]] (finite, "
            f"min < max), got {bounds!r}"
        )
    return b


def shown_positions(result, k: int, traj) -> tuple[np.ndarray, np.ndarray]:
    """Positions of optimizer ``k``'s trajectories ``traj`` before they diverged, and their ends.

    Returns ``(points, ends)``: every finite recorded position (``(N, d)``)
    at a step before the trajectory's divergence, and each trajectory's last
    such position (``(M, d)``, trajectories with none left out).
    """
    traj = np.asarray(traj, dtype=np.int64)
    P = np.asarray(result.positions[k][traj], dtype=np.float64)  # (m, frames, d)
    steps = np.asarray(result.frame_steps)
    dv = np.asarray(result.diverged[k])[traj]
    ok = np.isfinite(P).all(axis=2) & ((dv[:, None] < 0) | (steps[None, :] < dv[:, None]))
    points = P[ok]
    has = ok.any(axis=1)
    last = ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
    ends = P[np.flatnonzero(has), last[has]]
    return points, ends


def map_box(surface, bounds, points, ends=None) -> np.ndarray:
    """The ``(2, 2)`` box a map shows (first two coordinates).

    ``bounds="surface"``: ``surface.bounds``; a box: that box; ``"auto"``:
    the box of ``points`` (``(N, d)`` positions of the shown trajectories,
    already cut at divergence: :func:`shown_positions`) and of the known
    minimum nearest to each of ``ends`` (where each trajectory ends), its
    shorter side at least :data:`MIN_ASPECT` of the longer one, padded by
    :data:`PAD` on each side.  Positions farther than :data:`FAR`
    bounds-widths outside ``surface.bounds`` (runaways that did not trip the
    divergence test) and non-finite ones are left out.
    """
    bounds = check_bounds(bounds)
    sb = np.asarray(surface.bounds, dtype=np.float64)[:2]
    if isinstance(bounds, np.ndarray):
        return bounds.copy()
    if bounds == "surface":
        return sb.copy()
    width = sb[:, 1] - sb[:, 0]
    lo_ok, hi_ok = sb[:, 0] - FAR * width, sb[:, 1] + FAR * width

    def near(p):
        p = np.asarray(p, dtype=np.float64)
        p = p.reshape(-1, p.shape[-1]) if p.size else np.zeros((0, 2))
        p = p[np.isfinite(p).all(axis=1)]
        return p[((p[:, :2] >= lo_ok) & (p[:, :2] <= hi_ok)).all(axis=1)]

    P = near(points)
    E = near(ends) if ends is not None else np.zeros((0, P.shape[1] if P.ndim == 2 else 2))
    parts = [P[:, :2]] if len(P) else []
    minima = np.asarray(getattr(surface, "minima", np.zeros((0, 2))), dtype=np.float64)
    if len(E) and minima.ndim == 2 and len(minima) and minima.shape[1] == E.shape[1]:
        nearest = np.argmin(((E[:, None, :] - minima[None, :, :]) ** 2).sum(axis=2), axis=1)
        parts.append(minima[np.unique(nearest), :2])
    if not parts:
        return sb.copy()
    P = np.concatenate(parts)
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = hi - lo
    # at least a sliver of the surface's own box around a single point
    longest = max(float(span.max()), 0.05 * float(width.max()), 1e-9)
    span = np.maximum(span, MIN_ASPECT * longest)
    centre = 0.5 * (lo + hi)
    half = 0.5 * span * (1.0 + 2.0 * PAD)
    return np.column_stack([centre - half, centre + half])


def coord_names(surface) -> tuple[str, str]:
    """Axis labels of the first two coordinates (mathtext).

    ``$x_1$``, ``$x_2$`` in general, or the surface's own ``axes``; a finite-sum surface names its model's
    parameters: ``w``, ``b`` for a regression on one feature (``w_1, w_2``
    with more), ``w``, ``a`` for a one-unit tanh network.
    """
    fs = getattr(surface, "finite_sum", None)
    default = ("$x_1$", "$x_2$")
    axes = tuple(getattr(surface, "axes", ()) or ())
    if len(axes) >= 2:
        return f"${axes[0]}$", f"${axes[1]}$"
    if fs is None:
        return default
    try:
        p = int(np.shape(fs.X)[1])
        if fs.model in ("linear", "logistic"):
            names = ["w"] if p == 1 else [f"w_{k + 1}" for k in range(p)]
            names.append("b")
        elif fs.model == "tanh":
            h = int(fs.hidden)
            if h == 1:
                names = ["w"] if p == 1 else [f"w_{k + 1}" for k in range(p)]
                names.append("a")
            else:
                names = [f"W_{{{u + 1}{k + 1}}}" if p > 1 else f"w_{u + 1}" for u in range(h)
                         for k in range(p)]  # fmt: skip
                names += [f"a_{u + 1}" for u in range(h)]
        else:
            return default
    except (AttributeError, TypeError, ValueError, IndexError):
        return default
    if len(names) < 2:
        return default
    return f"${names[0]}$", f"${names[1]}$"


def draw_map(ax, surface, field: Field, *, levels=30, show_critical=True, fontsize=8):
    """Filled contours, thin contour lines and the critical points; returns legend handles."""
    T = np.minimum(field.T, field.hi)
    tf = T[np.isfinite(T)]
    lo, hi = float(tf.min()), float(tf.max())
    if not hi > lo:
        hi = lo + 1.0
    lv = np.linspace(lo, hi, max(2, int(levels)) + 1)
    ax.contourf(field.X, field.Y, T, levels=lv, cmap=background_cmap(), zorder=0)
    ax.contour(field.X, field.Y, T, levels=lv, colors="k", linewidths=0.3, alpha=0.3, zorder=1)
    b = field.box
    ax.set_xlim(b[0, 0], b[0, 1])
    ax.set_ylim(b[1, 0], b[1, 1])
    xl, yl = coord_names(surface)
    ax.set_xlabel(xl, fontsize=fontsize, labelpad=1)
    ax.set_ylabel(yl, fontsize=fontsize, labelpad=1)
    ax.tick_params(labelsize=max(fontsize - 1, 4), pad=1)
    handles = []
    if show_critical:
        handles = draw_critical(ax, surface, field.anchor, fontsize, box=field.box)
    return handles


_CRITICAL = (
    ("minima", "minimum", {"marker": "*", "markersize": 13}),
    ("saddles", "saddle", {"marker": "X", "markersize": 8}),
    ("maxima", "maximum", {"marker": "^", "markersize": 8}),
)


def draw_critical(ax, surface, anchor=None, fontsize=8, box=None):
    """Mark the known minima, saddles and maxima in ``box`` (hollow: off the plotted slice)."""
    from matplotlib.lines import Line2D

    handles = []
    b = np.asarray(surface.bounds if box is None else box, dtype=np.float64)
    for attr, label, style in _CRITICAL:
        pts = np.asarray(getattr(surface, attr, np.zeros((0, 2))), dtype=np.float64)
        if pts.size == 0 or pts.ndim != 2 or pts.shape[1] < 2:
            continue
        inside = (
            (pts[:, 0] >= b[0, 0]) & (pts[:, 0] <= b[0, 1])
            & (pts[:, 1] >= b[1, 0]) & (pts[:, 1] <= b[1, 1])
        )  # fmt: skip
        pts = pts[inside]
        if not len(pts):
            continue
        if anchor is not None and pts.shape[1] > 2:
            scale = np.maximum(np.abs(anchor[2:]), 1.0)
            on = np.all(np.abs(pts[:, 2:] - anchor[2:]) <= 1e-6 * scale, axis=1)
        else:
            on = np.ones(len(pts), dtype=bool)
        kw = {"linestyle": "none", "markeredgecolor": "k", "markeredgewidth": 0.8, **style}
        for mask, face in ((on, "white"), (~on, "none")):
            if mask.any():
                ax.plot(pts[mask, 0], pts[mask, 1], markerfacecolor=face, zorder=4, **kw)
        handles.append(Line2D([], [], markerfacecolor="white", label=label, **kw))
    return handles


def slice_note(surface, anchor) -> str:
    """Title suffix for d > 2 surfaces."""
    if anchor is None:
        return ""
    rest = ", ".join(f"{v:.3g}" for v in anchor[2:6]) + (", ..." if surface.dim > 6 else "")
    return f"  [first 2 of {surface.dim} coords; contour: slice at x3.. = ({rest})]"
