"""Classic 2-D test functions: Beale, Himmelblau, six-hump camel, Goldstein–Price.

Definitions follow the Virtual Library of Simulation Experiments (Surjanovic &
Bingham).  None has numeric parameters (``P`` is empty).  Critical points are
listed from rounded values (a Newton search from a fine grid over a box
around the plotting box, made once offline) and polished at first
construction by Newton steps on the compiled gradient
(:func:`landscape.surfaces._critical.refine`); the test suite re-runs the
grid search and checks the lists are complete.
"""

from __future__ import annotations

import functools

import numpy as np

from .._cache import jit
from .._typed import cst
from . import _critical
from ._base import Surface, points

__all__ = ["beale", "goldstein_price", "himmelblau", "six_hump_camel"]

_NO_PARAMS = np.zeros(0)


def _surface(name, vg, hess, crit, bounds, formula):
    minima, saddles, maxima = crit
    return Surface(
        name=name,
        dim=2,
        params=_NO_PARAMS.copy(),
        vg=vg,
        hess=hess,
        minima=minima.copy(),
        saddles=saddles.copy(),
        maxima=maxima.copy(),
        bounds=np.array(bounds, dtype=np.float64),
        formula=formula,
        kwargs={},
    )


def _refined(vg, hess, minima, saddles, maxima):
    """Polish the rounded lists; each sorted by value (maxima decreasing)."""
    out = []
    for rows, desc in ((minima, False), (saddles, False), (maxima, True)):
        pts = _critical.refine(vg, hess, _NO_PARAMS, points(rows, 2))
        out.append(_critical.sort_by_value(vg, _NO_PARAMS, pts, descending=desc))
    return tuple(out)


# --------------------------------------------------------------------------
# Beale: f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2
# --------------------------------------------------------------------------
@jit
def _beale_vg(X, G, F, P):
    one = cst(X, 1.0)
    two = cst(X, 2.0)
    three = cst(X, 3.0)
    c1 = cst(X, 1.5)
    c2 = cst(X, 2.25)
    c3 = cst(X, 2.625)
    n = X.shape[1]
    for j in range(n):
        x = X[0, j]
        y = X[1, j]
        y2 = y * y
        y3 = y2 * y
        t1 = c1 - x + x * y
        t2 = c2 - x + x * y2
        t3 = c3 - x + x * y3
        F[j] = t1 * t1 + t2 * t2 + t3 * t3
        G[0, j] = two * (t1 * (y - one) + t2 * (y2 - one) + t3 * (y3 - one))
        G[1, j] = two * x * (t1 + two * y * t2 + three * y2 * t3)


@jit
def _beale_hess(p, P, H):
    x = p[0]
    y = p[1]
    c = (1.5, 2.25, 2.625)
    hxx = 0.0
    hxy = 0.0
    hyy = 0.0
    for i in range(1, 4):
        yi = y**i
        t = c[i - 1] - x + x * yi
        u = yi - 1.0  # dt/dx
        v = i * x * y ** (i - 1)  # dt/dy
        hxx += 2.0 * u * u
        hxy += 2.0 * (u * v + t * i * y ** (i - 1))
        hyy += 2.0 * (v * v + t * i * (i - 1) * x * (y ** (i - 2) if i >= 2 else 0.0))
    H[0, 0] = hxx
    H[0, 1] = hxy
    H[1, 0] = hxy
    H[1, 1] = hyy


@functools.lru_cache(maxsize=1)
def _beale_crit():
    return _refined(
        _beale_vg,
        _beale_hess,
        minima=[[3.0, 0.5]],
        saddles=[[0.0, 1.0], [0.10053794, -2.64451359]],
        maxima=[],
    )


def beale() -> Surface:
    r"""Beale's function: a narrow curved valley with steep walls.

    .. math:: f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2
              + (2.625 - x + xy^3)^2

    Global minimum 0 at ``(3, 0.5)``; saddles at ``(0, 1)`` (value 14.203125,
    on the line ``x = 0`` where ``f`` is constant) and near
    ``(0.100538, -2.644514)`` (value 9.8645).  Usual domain ``[-4.5, 4.5]^2``.
    """
    return _surface(
        "beale",
        _beale_vg,
        _beale_hess,
        _beale_crit(),
        [[-4.5, 4.5], [-4.5, 4.5]],
        r"(1.5-x+xy)^2+(2.25-x+xy^2)^2+(2.625-x+xy^3)^2",
    )


# --------------------------------------------------------------------------
# Himmelblau: f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2
# --------------------------------------------------------------------------
@jit
def _himmelblau_vg(X, G, F, P):
    two = cst(X, 2.0)
    four = cst(X, 4.0)
    seven = cst(X, 7.0)
    eleven = cst(X, 11.0)
    n = X.shape[1]
    for j in range(n):
        x = X[0, j]
        y = X[1, j]
        a = x * x + y - eleven
        b = x + y * y - seven
        F[j] = a * a + b * b
        G[0, j] = four * x * a + two * b
        G[1, j] = two * a + four * y * b


@jit
def _himmelblau_hess(p, P, H):
    x = p[0]
    y = p[1]
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    H[0, 0] = 4.0 * a + 8.0 * x * x + 2.0
    H[0, 1] = 4.0 * (x + y)
    H[1, 0] = 4.0 * (x + y)
    H[1, 1] = 4.0 * b + 8.0 * y * y + 2.0


@functools.lru_cache(maxsize=1)
def _himmelblau_crit():
    return _refined(
        _himmelblau_vg,
        _himmelblau_hess,
        minima=[
            [3.0, 2.0],
            [-2.805118, 3.131312],
            [-3.779310, -3.283186],
            [3.584428, -1.848126],
        ],
        saddles=[
            [3.38515418, 0.07385188],
            [0.0866775, 2.8842547],
            [-3.07302575, -0.08135304],
            [-0.12796135, -1.95371498],
        ],
        maxima=[[-0.270845, -0.923039]],
    )


def himmelblau() -> Surface:
    r"""Himmelblau's function: four equal minima around a central maximum.

    .. math:: f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2

    Four global minima with value 0: ``(3, 2)``, ``(-2.805118, 3.131312)``,
    ``(-3.779310, -3.283186)``, ``(3.584428, -1.848126)``; a local maximum
    at ``(-0.270845, -0.923039)`` (value 181.617); four saddles between
    neighbouring minima.  Usual domain ``[-5, 5]^2``.
    """
    return _surface(
        "himmelblau",
        _himmelblau_vg,
        _himmelblau_hess,
        _himmelblau_crit(),
        [[-5.0, 5.0], [-5.0, 5.0]],
        r"(x^2+y-11)^2+(x+y^2-7)^2",
    )


# --------------------------------------------------------------------------
# Six-hump camel: f = (4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2
# --------------------------------------------------------------------------
@jit
def _camel_vg(X, G, F, P):
    two = cst(X, 2.0)
    four = cst(X, 4.0)
    eight = cst(X, 8.0)
    sixteen = cst(X, 16.0)
    c21 = cst(X, 2.1)
    c84 = cst(X, 8.4)
    third = cst(X, 1.0 / 3.0)
    n = X.shape[1]
    for j in range(n):
        x = X[0, j]
        y = X[1, j]
        x2 = x * x
        y2 = y * y
        F[j] = (four - c21 * x2 + third * x2 * x2) * x2 + x * y + (four * y2 - four) * y2
        G[0, j] = (eight - c84 * x2 + two * x2 * x2) * x + y
        G[1, j] = x + (sixteen * y2 - eight) * y


@jit
def _camel_hess(p, P, H):
    x = p[0]
    y = p[1]
    x2 = x * x
    H[0, 0] = 8.0 - 25.2 * x2 + 10.0 * x2 * x2
    H[0, 1] = 1.0
    H[1, 0] = 1.0
    H[1, 1] = 48.0 * y * y - 8.0


@functools.lru_cache(maxsize=1)
def _camel_crit():
    return _refined(
        _camel_vg,
        _camel_hess,
        minima=[
            [-0.08984201, 0.7126564],
            [0.08984201, -0.7126564],
            [-1.70360671, 0.79608357],
            [1.70360671, -0.79608357],
            [-1.60710475, -0.56865145],
            [1.60710475, 0.56865145],
        ],
        saddles=[
            [0.0, 0.0],
            [-1.10920534, 0.76826809],
            [1.10920534, -0.76826809],
            [-1.63806798, -0.22867407],
            [1.63806798, 0.22867407],
            [-1.29607027, -0.60508439],
            [1.29607027, 0.60508439],
        ],
        maxima=[[-1.23022988, -0.16233458], [1.23022988, 0.16233458]],
    )


def six_hump_camel() -> Surface:
    r"""The six-hump camel-back function.

    .. math:: f(x, y) = \left(4 - 2.1 x^2 + \tfrac{x^4}{3}\right) x^2 + x y
              + \left(-4 + 4 y^2\right) y^2

    Two global minima ``(0.0898, -0.7126)`` and ``(-0.0898, 0.7126)`` with
    value ``-1.0316285``, four local minima (values -0.2155 and 2.1043, in
    symmetric pairs), seven saddles (one at the origin) and two local maxima
    near ``±(1.2302, 0.1623)``, all found by Newton from a grid.  Usual domain
    ``x in [-3, 3], y in [-2, 2]``; the plotting box ``[-2, 2] x [-1, 1]``
    holds all six minima.
    """
    return _surface(
        "six_hump_camel",
        _camel_vg,
        _camel_hess,
        _camel_crit(),
        [[-2.0, 2.0], [-1.0, 1.0]],
        r"\left(4-2.1x^2+\tfrac{x^4}{3}\right)x^2+xy+\left(-4+4y^2\right)y^2",
    )


# --------------------------------------------------------------------------
# Goldstein–Price: f = A(x, y) B(x, y) with
#   A = 1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)
#   B = 30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)
# --------------------------------------------------------------------------
@jit
def _gp_vg(X, G, F, P):
    one = cst(X, 1.0)
    two = cst(X, 2.0)
    three = cst(X, 3.0)
    four = cst(X, 4.0)
    six = cst(X, 6.0)
    c12 = cst(X, 12.0)
    c14 = cst(X, 14.0)
    c18 = cst(X, 18.0)
    c19 = cst(X, 19.0)
    c24 = cst(X, 24.0)
    c27 = cst(X, 27.0)
    c30 = cst(X, 30.0)
    c32 = cst(X, 32.0)
    c36 = cst(X, 36.0)
    c48 = cst(X, 48.0)
    c54 = cst(X, 54.0)
    n = X.shape[1]
    for j in range(n):
        x = X[0, j]
        y = X[1, j]
        p = x + y + one
        q = c19 - c14 * x + three * x * x - c14 * y + six * x * y + three * y * y
        qx = six * (x + y) - c14  # = dq/dy
        A = one + p * p * q
        Ax = p * (two * q + p * qx)  # = dA/dy
        r = two * x - three * y
        s = c18 - c32 * x + c12 * x * x + c48 * y - c36 * x * y + c27 * y * y
        sx = c24 * x - c36 * y - c32
        sy = c54 * y - c36 * x + c48
        B = c30 + r * r * s
        Bx = r * (four * s + r * sx)
        By = r * (r * sy - six * s)
        F[j] = A * B
        G[0, j] = Ax * B + A * Bx
        G[1, j] = Ax * B + A * By


@jit
def _gp_hess(pt, P, H):
    x = pt[0]
    y = pt[1]
    p = x + y + 1.0
    q = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    qx = 6.0 * (x + y) - 14.0
    A = 1.0 + p * p * q
    Ax = p * (2.0 * q + p * qx)
    A2 = 2.0 * q + 4.0 * p * qx + 6.0 * p * p  # every second derivative of A
    r = 2.0 * x - 3.0 * y
    s = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    sx = 24.0 * x - 36.0 * y - 32.0
    sy = 54.0 * y - 36.0 * x + 48.0
    B = 30.0 + r * r * s
    Bx = r * (4.0 * s + r * sx)
    By = r * (r * sy - 6.0 * s)
    Bxx = 8.0 * s + 8.0 * r * sx + 24.0 * r * r
    Bxy = -12.0 * s + 4.0 * r * sy - 6.0 * r * sx - 36.0 * r * r
    Byy = 18.0 * s - 12.0 * r * sy + 54.0 * r * r
    H[0, 0] = A2 * B + 2.0 * Ax * Bx + A * Bxx
    H[0, 1] = A2 * B + Ax * By + Ax * Bx + A * Bxy
    H[1, 0] = H[0, 1]
    H[1, 1] = A2 * B + 2.0 * Ax * By + A * Byy


@functools.lru_cache(maxsize=1)
def _gp_crit():
    return _refined(
        _gp_vg,
        _gp_hess,
        minima=[[0.0, -1.0], [-0.6, -0.4], [1.8, 0.2], [1.2, 0.8]],
        saddles=[[-0.4, -0.6], [1.2, -0.2], [1.4, 0.6], [0.6, 0.4]],
        maxima=[[0.8, 0.2]],
    )


def goldstein_price() -> Surface:
    r"""The Goldstein–Price function: a steep, flat-bottomed basin.

    .. math:: f(x, y) = \left[1 + (x + y + 1)^2
              (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]
              \left[30 + (2x - 3y)^2
              (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]

    Global minimum 3 at ``(0, -1)``; local minima 30, 84 and 840 at
    ``(-0.6, -0.4)``, ``(1.8, 0.2)`` and ``(1.2, 0.8)``; saddles 35, 99, 980
    and 990 at ``(-0.4, -0.6)``, ``(1.2, -0.2)``, ``(1.4, 0.6)`` and
    ``(0.6, 0.4)``; a local maximum 1155 at ``(0.8, 0.2)``.  Values span six
    decades on the usual domain ``[-2, 2]^2`` (plot ``log f``).
    """
    return _surface(
        "goldstein_price",
        _gp_vg,
        _gp_hess,
        _gp_crit(),
        [[-2.0, 2.0], [-2.0, 2.0]],
        r"\left[1+(x+y+1)^2(19-14x+3x^2-14y+6xy+3y^2)\right]"
        r"\left[30+(2x-3y)^2(18-32x+12x^2+48y-36xy+27y^2)\right]",
    )
