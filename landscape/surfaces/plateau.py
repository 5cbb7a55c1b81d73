"""A long, gently sloped plateau ending in a well.

Parameter layout ``P = [width, slope, a, c, curvature]`` where ``a`` and ``c``
are the quartic profile's coefficients, derived from ``depth`` and ``well``.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from .._cache import jit
from .._typed import cst
from ._base import Surface, points

__all__ = ["plateau"]


@jit
def _plateau_vg(X, G, F, P):
    w = cst(X, P[0])
    s = cst(X, P[1])
    a = cst(X, P[2])
    c = cst(X, P[3])
    cu = cst(X, P[4])
    zero = cst(X, 0.0)
    half = cst(X, 0.5)
    two = cst(X, 2.0)
    four = cst(X, 4.0)
    d, n = X.shape
    for j in range(n):
        u = X[0, j] - w
        up = max(u, zero)  # branchless: the quartic part vanishes on the plateau
        up2 = up * up
        F[j] = (a * up2 + c) * up2 - s * u
        G[0, j] = (four * a * up2 + two * c) * up - s
    for k in range(1, d):
        for j in range(n):
            x = X[k, j]
            F[j] += half * cu * x * x
            G[k, j] = cu * x


@jit
def _plateau_hess(x, P, H):
    d = x.shape[0]
    for i in range(d):
        for m in range(d):
            H[i, m] = 0.0
    u = x[0] - P[0]
    if u > 0.0:
        H[0, 0] = 12.0 * P[2] * u * u + 2.0 * P[3]
    for i in range(1, d):
        H[i, i] = P[4]


def plateau(
    width: float = 4.0,
    slope: float = 0.01,
    depth: float = 1.0,
    well: float = 1.0,
    curvature: float = 1.0,
    dim: int = 2,
) -> Surface:
    r"""A plateau of length ``width`` with a gentle ``slope``, then a well.

    Along the first coordinate, with :math:`u = x_0 - w` (``w = width``):

    .. math::
        g(u) = \begin{cases} -s\,u & u \le 0 \\
               a u^4 + c u^2 - s\,u & u > 0 \end{cases},
        \qquad
        f(x) = g(x_0 - w) + \tfrac12 \kappa \sum_{i \ge 1} x_i^2

    with :math:`a = (D - s\ell/2)/\ell^4`,
    :math:`c = s/(2\ell) - 2(D - s\ell/2)/\ell^2` (``s = slope``,
    ``D = depth``, ``ℓ = well``, ``κ = curvature``).  ``g`` is C¹ (value 0
    and slope ``-s`` at the edge ``u = 0``) and has its unique minimum
    ``g = -depth`` at ``u = well``, so the global minimum is
    ``(width + well, 0, ..., 0)`` with value ``-depth``.

    On the plateau the gradient is the constant ``(-slope, ...)``: gradient
    descent started at ``x_0 = 0`` needs ``width / (lr * slope)`` steps to
    cross it (e.g. 40 000 steps for the defaults and ``lr = 0.01``), momentum
    ``beta`` about ``1 - beta`` times as many once it has built up speed.

    Parameters
    ----------
    width, slope, depth, well, curvature : float
        All ``> 0``, with ``depth > slope * well / 2`` (otherwise the profile
        has no well).
    dim : int
        Dimension, ``>= 1``.
    """
    width = V.positive("width", width)
    slope = V.positive("slope", slope)
    depth = V.positive("depth", depth)
    well = V.positive("well", well)
    curvature = V.positive("curvature", curvature)
    dim = V.integer("dim", dim, minimum=1)
    V.fits_memory("dim", 16 * 8 * dim, f"the {dim}-D surface's bounds and critical points")
    excess = depth - slope * well / 2.0
    if not excess > 0.0:
        raise ValueError(
            f"depth must be > slope * well / 2 = {slope * well / 2.0!r}, got {depth!r}"
        )
    a = excess / well**4
    c = slope / (2.0 * well) - 2.0 * excess / well**2
    minimum = np.zeros(dim)
    minimum[0] = width + well
    bounds = np.empty((dim, 2))
    bounds[0] = (-1.0, width + 2.0 * well)
    bounds[1:] = (-2.0 / np.sqrt(curvature), 2.0 / np.sqrt(curvature))
    return Surface(
        name="plateau",
        dim=dim,
        params=np.array([width, slope, a, c, curvature]),
        vg=_plateau_vg,
        hess=_plateau_hess,
        minima=points([minimum], dim),
        saddles=points([], dim),
        maxima=points([], dim),
        bounds=bounds,
        formula=(
            r"g(x_0-w)+\tfrac12\kappa\sum_{i\ge1}x_i^2,\ "
            r"g(u)=-su\ (u\le0),\ au^4+cu^2-su\ (u>0)"
        ),
        kwargs={
            "width": width,
            "slope": slope,
            "depth": depth,
            "well": well,
            "curvature": curvature,
            "dim": dim,
        },
    )
