"""Classic optimisation test functions in any dimension.

Rosenbrock, Rastrigin, Ackley and Styblinski–Tang live here; the 2-D classics
(Beale, Himmelblau, six-hump camel, Goldstein–Price) are in
:mod:`landscape.surfaces.classic_2d` and re-exported.  Each family has a block
value-and-gradient function (lanes innermost) and a point Hessian; see
:mod:`landscape.surfaces._base` for the contract.  Definitions follow the
Virtual Library of Simulation Experiments (Surjanovic & Bingham).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from .. import _validate as V
from .._cache import jit
from .._typed import cst
from . import _critical
from ._base import Surface, box, points
from .classic_2d import beale, goldstein_price, himmelblau, six_hump_camel

__all__ = [
    "ackley",
    "beale",
    "goldstein_price",
    "himmelblau",
    "rastrigin",
    "rosenbrock",
    "six_hump_camel",
    "styblinski_tang",
]


# --------------------------------------------------------------------------
# Rosenbrock: f = sum_{i<d-1} b (x_{i+1} - x_i^2)^2 + (a - x_i)^2
# --------------------------------------------------------------------------
@jit
def _rosenbrock_vg(X, G, F, P):
    # Constants follow X's dtype (cst) so float32 runs stay float32 end to end.
    a = cst(X, P[0])
    b = cst(X, P[1])
    zero = cst(X, 0.0)
    two = cst(X, 2.0)
    four = cst(X, 4.0)
    d, n = X.shape
    if d == 2:
        # the common case in one pass over the lanes
        for j in range(n):
            x = X[0, j]
            r = X[1, j] - x * x
            s = a - x
            F[j] = b * r * r + s * s
            G[0, j] = -four * b * r * x - two * s
            G[1, j] = two * b * r
        return
    for j in range(n):
        F[j] = zero
    for k in range(d):
        for j in range(n):
            G[k, j] = zero
    for k in range(d - 1):
        for j in range(n):
            x = X[k, j]
            y = X[k + 1, j]
            r = y - x * x
            s = a - x
            F[j] += b * r * r + s * s
            G[k, j] += -four * b * r * x - two * s
            G[k + 1, j] += two * b * r


@jit
def _rosenbrock_hess(x, P, H):
    a = P[0]  # noqa: F841 - the Hessian does not depend on a
    b = P[1]
    d = x.shape[0]
    for i in range(d):
        for k in range(d):
            H[i, k] = 0.0
    for k in range(d - 1):
        xi = x[k]
        H[k, k] += 12.0 * b * xi * xi - 4.0 * b * x[k + 1] + 2.0
        H[k, k + 1] += -4.0 * b * xi
        H[k + 1, k] += -4.0 * b * xi
        H[k + 1, k + 1] += 2.0 * b


def rosenbrock(dim: int = 2, a: float = 1.0, b: float = 100.0) -> Surface:
    r"""Rosenbrock's banana valley in ``dim >= 2`` dimensions.

    .. math:: f(x) = \sum_{i=1}^{d-1} b\,(x_{i+1} - x_i^2)^2 + (a - x_i)^2

    The global minimum is ``x = (a, a^2, ...)`` for ``a = 1`` all ones, f = 0.
    With the standard ``a = 1, b = 100`` this matches
    :func:`scipy.optimize.rosen`.
    """
    dim = V.integer("dim", dim, minimum=2)
    V.fits_memory("dim", 16 * 8 * dim, f"the {dim}-D surface's bounds and critical points")
    a = V.real("a", a)
    b = V.positive("b", b)
    # Global minimum: x_1 = a, x_{i+1} = x_i^2 (exact for the chain a, a^2, a^4 ...
    # only when a in {0, 1}; for other a the chain is the 2-D minimum).
    if dim == 2 or a in (0.0, 1.0):
        # a, a^2, a^4, ... written out: a ** (2**i) overflows the float
        # conversion of 2**i for i >= 1024 (and 0^k = 0, 1^k = 1 anyway)
        minimum = [a, a * a] if dim == 2 else [a] * dim
        minima = points([minimum], dim)
    else:
        minima = points([], dim)
    return Surface(
        name="rosenbrock",
        dim=dim,
        params=np.array([a, b]),
        vg=_rosenbrock_vg,
        hess=_rosenbrock_hess,
        minima=minima,
        saddles=points([], dim),
        maxima=points([], dim),
        bounds=box(dim, -2.0, 2.0) if dim > 2 else np.array([[-2.0, 2.0], [-1.0, 3.0]]),
        formula=r"\sum_i b(x_{i+1}-x_i^2)^2+(a-x_i)^2",
        kwargs={"dim": dim, "a": a, "b": b},
    )


# --------------------------------------------------------------------------
# Rastrigin: f = A d + sum_i (x_i^2 - A cos(2 pi x_i)),  P = [A]
# --------------------------------------------------------------------------
@jit
def _rastrigin_vg(X, G, F, P):
    A = cst(X, P[0])
    two = cst(X, 2.0)
    tau = cst(X, 2.0 * math.pi)
    d, n = X.shape
    base = A * cst(X, d)
    for j in range(n):
        F[j] = base
    for k in range(d):
        for j in range(n):
            x = X[k, j]
            t = tau * x
            F[j] += x * x - A * math.cos(t)
            G[k, j] = two * x + tau * A * math.sin(t)


@jit
def _rastrigin_hess(x, P, H):
    A = P[0]
    tau = 2.0 * math.pi
    d = x.shape[0]
    for i in range(d):
        for m in range(d):
            H[i, m] = 0.0
        H[i, i] = 2.0 + tau * tau * A * math.cos(tau * x[i])


def rastrigin(dim: int = 2, A: float = 10.0) -> Surface:
    r"""Rastrigin's function: a parabola covered in a regular egg-crate.

    .. math:: f(x) = A d + \sum_{i=1}^{d} \left(x_i^2 - A\cos(2\pi x_i)\right)

    Global minimum 0 at the origin; a local minimum near every integer point
    (only the global one is listed).  Usual domain ``[-5.12, 5.12]^d``.

    Parameters
    ----------
    dim : int
        Dimension, ``>= 1``.
    A : float
        Ripple amplitude, ``> 0``.
    """
    dim = V.integer("dim", dim, minimum=1)
    V.fits_memory("dim", 16 * 8 * dim, f"the {dim}-D surface's bounds and critical points")
    A = V.positive("A", A)
    return Surface(
        name="rastrigin",
        dim=dim,
        params=np.array([A]),
        vg=_rastrigin_vg,
        hess=_rastrigin_hess,
        minima=points([np.zeros(dim)], dim),
        saddles=points([], dim),
        maxima=points([], dim),
        bounds=box(dim, -5.12, 5.12),
        formula=r"A d + \sum_i \left(x_i^2 - A\cos(2\pi x_i)\right)",
        kwargs={"dim": dim, "A": A},
    )


# --------------------------------------------------------------------------
# Ackley, P = [a, b, c]
#   f = -a exp(-b s) - exp(sum_i cos(c x_i) / d) + a + e,  s = sqrt(sum x^2 / d)
# --------------------------------------------------------------------------
# Added to sum x^2 so s > 0: the cone term's gradient a b e^{-bs} x_i/(d s) is
# then 0 at the origin (not 0/0) and bounded by a b / sqrt(d) even when x^2
# underflows (1e-36 is a normal float32).  It shifts s by at most 1e-18.
_ACKLEY_TINY2 = 1e-36


@jit
def _ackley_vg(X, G, F, P):
    a = cst(X, P[0])
    b = cst(X, P[1])
    c = cst(X, P[2])
    zero = cst(X, 0.0)
    tiny2 = cst(X, _ACKLEY_TINY2)
    e = cst(X, math.e)
    d, n = X.shape
    inv_d = cst(X, 1.0 / d)
    # pass 1: F <- sum x^2, G[0] <- sum cos(c x)
    for j in range(n):
        F[j] = tiny2
        G[0, j] = zero
    for k in range(d):
        for j in range(n):
            x = X[k, j]
            F[j] += x * x
            G[0, j] += math.cos(c * x)
    # pass 2: per lane, value and the two gradient coefficients
    #   grad_i = alpha x_i + beta sin(c x_i)
    if d == 1:
        for j in range(n):
            s = math.sqrt(F[j] * inv_d)
            ex = math.exp(-b * s)
            E = math.exp(G[0, j] * inv_d)
            x = X[0, j]
            F[j] = a - a * ex - E + e
            G[0, j] = a * b * ex * inv_d / s * x + E * c * inv_d * math.sin(c * x)
    else:
        for j in range(n):
            s = math.sqrt(F[j] * inv_d)
            ex = math.exp(-b * s)
            E = math.exp(G[0, j] * inv_d)
            F[j] = a - a * ex - E + e
            G[0, j] = a * b * ex * inv_d / s  # alpha
            G[1, j] = E * c * inv_d  # beta
        for k in range(2, d):
            for j in range(n):
                x = X[k, j]
                G[k, j] = G[0, j] * x + G[1, j] * math.sin(c * x)
        for j in range(n):
            al = G[0, j]
            be = G[1, j]
            x0 = X[0, j]
            x1 = X[1, j]
            G[0, j] = al * x0 + be * math.sin(c * x0)
            G[1, j] = al * x1 + be * math.sin(c * x1)


@jit
def _ackley_hess(x, P, H):
    a = P[0]
    b = P[1]
    c = P[2]
    d = x.shape[0]
    s2 = 0.0
    sc = 0.0
    for i in range(d):
        s2 += x[i] * x[i]
        sc += math.cos(c * x[i])
    s = math.sqrt(s2 / d)
    E = math.exp(sc / d)
    for i in range(d):
        si = math.sin(c * x[i])
        for m in range(d):
            H[i, m] = -E * c * c * si * math.sin(c * x[m]) / (d * d)
        H[i, i] += E * c * c * math.cos(c * x[i]) / d
    if s > 0.0:  # the cone term is not twice differentiable at the origin
        ex = math.exp(-b * s)
        phi = a * b * ex / (d * s)
        psi = a * b * ex * (b * s + 1.0) / (d * d * s * s * s)
        for i in range(d):
            for m in range(d):
                H[i, m] -= psi * x[i] * x[m]
            H[i, i] += phi


def ackley(dim: int = 2, a: float = 20.0, b: float = 0.2, c: float = 2.0 * math.pi) -> Surface:
    r"""Ackley's function: a nearly flat, rippled outer region and a central funnel.

    .. math:: f(x) = -a \exp\!\Big(-b\sqrt{\tfrac1d \textstyle\sum_i x_i^2}\Big)
              - \exp\!\Big(\tfrac1d \textstyle\sum_i \cos(c x_i)\Big) + a + e

    Global minimum 0 at the origin.  The first term is a cone at the origin,
    not differentiable there: the kernel returns gradient 0 at exactly the
    origin (finite everywhere), and the Hessian at the origin omits the cone
    term (it is unbounded there).  Usual domain ``[-32.768, 32.768]^d``; the
    plotting box ``[-5, 5]^d`` shows the funnel and its ripples.

    Parameters
    ----------
    dim : int
        Dimension, ``>= 1``.
    a, b, c : float
        Depth of the funnel, its decay rate and the ripple frequency; ``> 0``.
    """
    dim = V.integer("dim", dim, minimum=1)
    V.fits_memory("dim", 16 * 8 * dim, f"the {dim}-D surface's bounds and critical points")
    a = V.positive("a", a)
    b = V.positive("b", b)
    c = V.positive("c", c)
    return Surface(
        name="ackley",
        dim=dim,
        params=np.array([a, b, c]),
        vg=_ackley_vg,
        hess=_ackley_hess,
        minima=points([np.zeros(dim)], dim),
        saddles=points([], dim),
        maxima=points([], dim),
        bounds=box(dim, -5.0, 5.0),
        formula=(
            r"-a\exp\left(-b\sqrt{\tfrac1d\sum_i x_i^2}\right)"
            r"-\exp\left(\tfrac1d\sum_i\cos(c x_i)\right)+a+e"
        ),
        kwargs={"dim": dim, "a": a, "b": b, "c": c},
    )


# --------------------------------------------------------------------------
# Styblinski–Tang: f = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i),  P = []
# --------------------------------------------------------------------------
@jit
def _styblinski_vg(X, G, F, P):
    half = cst(X, 0.5)
    two = cst(X, 2.0)
    five = cst(X, 5.0)
    sixteen = cst(X, 16.0)
    c25 = cst(X, 2.5)
    zero = cst(X, 0.0)
    d, n = X.shape
    for j in range(n):
        F[j] = zero
    for k in range(d):
        for j in range(n):
            x = X[k, j]
            x2 = x * x
            F[j] += half * ((x2 - sixteen) * x2 + five * x)
            G[k, j] = (two * x2 - sixteen) * x + c25


@jit
def _styblinski_hess(x, P, H):
    d = x.shape[0]
    for i in range(d):
        for m in range(d):
            H[i, m] = 0.0
        H[i, i] = 6.0 * x[i] * x[i] - 16.0


_ST_MAX_LISTED_DIM = 8


@functools.lru_cache(maxsize=1)
def _styblinski_roots():
    """The three 1-D critical points (global min, local max, local min)."""
    approx = np.array([[-2.903534], [0.156731], [2.746803]])
    return _critical.refine(_styblinski_vg, _styblinski_hess, np.zeros(0), approx)[:, 0]


def styblinski_tang(dim: int = 2) -> Surface:
    r"""The Styblinski–Tang function: a separable double well per coordinate.

    .. math:: f(x) = \tfrac12 \sum_{i=1}^{d} \left(x_i^4 - 16 x_i^2 + 5 x_i\right)

    Each coordinate has critical points ``r_- = -2.903534...`` (global
    minimum), ``r_0 = 0.156731...`` (maximum) and ``r_+ = 2.746803...``
    (local minimum).  The global minimum is ``x_i = r_-`` for all ``i``,
    value ``-39.16616570377142 d``; every point of ``{r_-, r_+}^d`` is a
    minimum, ``(r_0, ..., r_0)`` the only maximum, and the other
    :math:`3^d - 2^d - 1` combinations are saddles.

    Parameters
    ----------
    dim : int
        Dimension, ``>= 1``.

    Notes
    -----
    All :math:`3^d` critical points are listed for ``dim <= 8`` (minima
    global first); above that only the global minimum and the maximum.
    """
    dim = V.integer("dim", dim, minimum=1)
    V.fits_memory("dim", 16 * 8 * dim, f"the {dim}-D surface's bounds and critical points")
    r_min, r_max, r_loc = _styblinski_roots()
    P = np.zeros(0)
    if dim <= _ST_MAX_LISTED_DIM:
        combos = np.array(list(itertools.product((r_min, r_max, r_loc), repeat=dim)))
        n_max = np.sum(combos == r_max, axis=1)
        minima = _critical.sort_by_value(_styblinski_vg, P, combos[n_max == 0])
        saddles = _critical.sort_by_value(_styblinski_vg, P, combos[(n_max > 0) & (n_max < dim)])
    else:
        minima = points([np.full(dim, r_min)], dim)
        saddles = points([], dim)
    return Surface(
        name="styblinski_tang",
        dim=dim,
        params=P,
        vg=_styblinski_vg,
        hess=_styblinski_hess,
        minima=minima,
        saddles=saddles,
        maxima=points([np.full(dim, r_max)], dim),
        bounds=box(dim, -5.0, 5.0),
        formula=r"\tfrac12\sum_i\left(x_i^4-16x_i^2+5x_i\right)",
        kwargs={"dim": dim},
    )
