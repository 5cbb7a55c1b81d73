"""Saddle points: the 2-D ``saddle``, the ``monkey_saddle`` and ``strict_saddle``."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .. import _validate as V
from .._cache import jit
from .._typed import cst
from ._base import Surface, box, points

__all__ = ["monkey_saddle", "saddle", "strict_saddle"]


# --------------------------------------------------------------------------
# saddle: f = a x^2 - b y^2,  P = [a, b]
# --------------------------------------------------------------------------
@jit
def _saddle_vg(X, G, F, P):
    a = cst(X, P[0])
    b = cst(X, P[1])
    two = cst(X, 2.0)
    n = X.shape[1]
    for j in range(n):
        x = X[0, j]
        y = X[1, j]
        F[j] = a * x * x - b * y * y
        G[0, j] = two * a * x
        G[1, j] = -two * b * y


@jit
def _saddle_hess(x, P, H):
    H[0, 0] = 2.0 * P[0]
    H[0, 1] = 0.0
    H[1, 0] = 0.0
    H[1, 1] = -2.0 * P[1]


def saddle(a: float = 1.0, b: float = 1.0) -> Surface:
    r"""The 2-D quadratic saddle.

    .. math:: f(x, y) = a x^2 - b y^2

    A non-degenerate saddle at the origin (Hessian ``diag(2a, -2b)``); ``y``
    is the escape direction.  Unbounded below.

    Parameters
    ----------
    a, b : float
        Curvatures, both ``> 0``.
    """
    a = V.positive("a", a)
    b = V.positive("b", b)
    return Surface(
        name="saddle",
        dim=2,
        params=np.array([a, b]),
        vg=_saddle_vg,
        hess=_saddle_hess,
        minima=points([], 2),
        saddles=points([[0.0, 0.0]], 2),
        maxima=points([], 2),
        bounds=box(2, -2.0, 2.0),
        formula=r"a x^2 - b y^2",
        kwargs={"a": a, "b": b},
    )


# --------------------------------------------------------------------------
# monkey saddle: f = x^3 - 3 x y^2,  P = []
# --------------------------------------------------------------------------
@jit
def _monkey_vg(X, G, F, P):
    three = cst(X, 3.0)
    six = cst(X, 6.0)
    n = X.shape[1]
    for j in range(n):
        x = X[0, j]
        y = X[1, j]
        F[j] = x * x * x - three * x * y * y
        G[0, j] = three * (x * x - y * y)
        G[1, j] = -six * x * y


@jit
def _monkey_hess(x, P, H):
    H[0, 0] = 6.0 * x[0]
    H[0, 1] = -6.0 * x[1]
    H[1, 0] = -6.0 * x[1]
    H[1, 1] = -6.0 * x[0]


def monkey_saddle() -> Surface:
    r"""The monkey saddle, a degenerate saddle with three descending valleys.

    .. math:: f(x, y) = x^3 - 3 x y^2 = \mathrm{Re}\,(x + i y)^3

    The Hessian vanishes at the origin, so second-order methods see no
    escape direction there; gradients shrink quadratically near it.
    """
    return Surface(
        name="monkey_saddle",
        dim=2,
        params=np.zeros(0),
        vg=_monkey_vg,
        hess=_monkey_hess,
        minima=points([], 2),
        saddles=points([[0.0, 0.0]], 2),
        maxima=points([], 2),
        bounds=box(2, -1.5, 1.5),
        formula=r"x^3 - 3 x y^2",
        kwargs={},
    )


# --------------------------------------------------------------------------
# strict saddle, P = [k, lam_pos, lam_neg, quartic]
# --------------------------------------------------------------------------
@jit
def _strict_vg(X, G, F, P):
    kk = int(P[0])
    lp = cst(X, P[1])
    ln = cst(X, P[2])
    q = cst(X, P[3])
    half = cst(X, 0.5)
    quarter = cst(X, 0.25)
    zero = cst(X, 0.0)
    d, n = X.shape
    for j in range(n):
        F[j] = zero
    for i in range(d):
        if i < kk:  # escape coordinate (same for every lane)
            for j in range(n):
                x = X[i, j]
                x2 = x * x
                F[j] += (quarter * q * x2 - half * ln) * x2
                G[i, j] = (q * x2 - ln) * x
        else:
            for j in range(n):
                x = X[i, j]
                F[j] += half * lp * x * x
                G[i, j] = lp * x


@jit
def _strict_hess(x, P, H):
    kk = int(P[0])
    d = x.shape[0]
    for i in range(d):
        for m in range(d):
            H[i, m] = 0.0
    for i in range(d):
        if i < kk:
            H[i, i] = 3.0 * P[3] * x[i] * x[i] - P[2]
        else:
            H[i, i] = P[1]


_MAX_LISTED_K = 10


def strict_saddle(
    dim: int = 10,
    k: int = 1,
    lam_pos: float = 1.0,
    lam_neg: float = 1.0,
    quartic: float = 1.0,
) -> Surface:
    r"""A strict saddle of index ``k`` at the origin, with quartic walls.

    .. math:: f(x) = \tfrac12\lambda_+ \sum_{i \ge k} x_i^2
              - \tfrac12\lambda_- \sum_{i < k} x_i^2
              + \tfrac{q}{4} \sum_{i < k} x_i^4

    The first ``k`` coordinates are escape directions (Hessian eigenvalue
    :math:`-\lambda_-`), the others stable (:math:`+\lambda_+`).  The minima
    are :math:`x_i = \pm\sqrt{\lambda_-/q}` for ``i < k`` and 0 otherwise,
    all with value :math:`-k\lambda_-^2/(4q)`.  From a start at distance
    :math:`\delta` along an escape direction, gradient descent with step
    ``lr`` needs about :math:`\log(1/\delta)/\log(1 + lr\,\lambda_-)` steps to
    leave the saddle.

    Parameters
    ----------
    dim : int
        Dimension, ``>= 1``.
    k : int
        Saddle index, ``1 <= k <= dim``.
    lam_pos, lam_neg, quartic : float
        Positive curvatures and quartic coefficient ``q``.

    Notes
    -----
    All :math:`2^k` minima are listed when ``k <= 10``; for larger ``k`` the
    ``minima`` array is empty (there are too many to list).  With
    ``k == dim`` every direction descends, so the origin is listed as a
    maximum instead of a saddle.  The other :math:`3^k - 2^k - 1` critical
    points (some escape coordinates at 0) are not listed.
    """
    dim = V.integer("dim", dim, minimum=1)
    V.fits_memory("dim", 16 * 8 * dim, f"the {dim}-D surface's bounds and critical points")
    k = V.integer("k", k, minimum=1)
    if k > dim:
        raise ValueError(f"k must be <= dim = {dim}, got {k!r}")
    lam_pos = V.positive("lam_pos", lam_pos)
    lam_neg = V.positive("lam_neg", lam_neg)
    quartic = V.positive("quartic", quartic)
    r = math.sqrt(lam_neg / quartic)
    if k <= _MAX_LISTED_K:
        rows = np.zeros((2**k, dim))
        rows[:, :k] = r * np.array(list(itertools.product((-1.0, 1.0), repeat=k)))
        minima = rows
    else:
        minima = points([], dim)
    origin = points([np.zeros(dim)], dim)
    saddles, maxima = (origin, points([], dim)) if k < dim else (points([], dim), origin)
    return Surface(
        name="strict_saddle",
        dim=dim,
        params=np.array([float(k), lam_pos, lam_neg, quartic]),
        vg=_strict_vg,
        hess=_strict_hess,
        minima=minima,
        saddles=saddles,
        maxima=maxima,
        bounds=box(dim, -1.5 * r, 1.5 * r),
        formula=(
            r"\tfrac12\lambda_+\sum_{i\ge k}x_i^2-\tfrac12\lambda_-\sum_{i<k}x_i^2"
            r"+\tfrac{q}{4}\sum_{i<k}x_i^4"
        ),
        kwargs={"dim": dim, "k": k, "lam_pos": lam_pos, "lam_neg": lam_neg, "quartic": quartic},
    )
