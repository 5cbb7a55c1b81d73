"""Plain NumPy value and gradient of every surface, for checking the kernels.

Written from the textbook formulas, independently of the Numba code: points
are rows (``x`` has shape ``(n, d)``), everything is vectorised over rows,
nothing is clever.  ``REFERENCE[name](x, **surface.kwargs)`` returns
``(f, g)`` with shapes ``(n,)`` and ``(n, d)``.  Goldstein–Price's gradient
is taken by the complex step (exact to rounding for a polynomial).
"""

from __future__ import annotations

import numpy as np


def rosenbrock(x, dim, a, b):
    xi, xn = x[:, :-1], x[:, 1:]
    f = np.sum(b * (xn - xi**2) ** 2 + (a - xi) ** 2, axis=1)
    g = np.zeros_like(x)
    g[:, :-1] += -4.0 * b * xi * (xn - xi**2) - 2.0 * (a - xi)
    g[:, 1:] += 2.0 * b * (xn - xi**2)
    return f, g


def quadratic(x, A, center):
    A = np.asarray(A, dtype=float)
    r = x - np.asarray(center, dtype=float)
    g = r @ A.T
    f = 0.5 * np.einsum("ni,ij,nj->n", r, A, r)
    return f, g


def elongated_bowl(x, kappa, angle, scale, L=None, mu=None):
    u = np.array([np.cos(angle), np.sin(angle)])  # steep axis
    v = np.array([-np.sin(angle), np.cos(angle)])  # shallow axis
    pu, pv = x @ u, x @ v
    f = 0.5 * scale * kappa * pu**2 + 0.5 * scale * pv**2
    g = scale * kappa * pu[:, None] * u + scale * pv[:, None] * v
    return f, g


def saddle(x, a, b):
    f = a * x[:, 0] ** 2 - b * x[:, 1] ** 2
    g = np.stack([2 * a * x[:, 0], -2 * b * x[:, 1]], axis=1)
    return f, g


def monkey_saddle(x):
    X, Y = x[:, 0], x[:, 1]
    f = X**3 - 3 * X * Y**2
    g = np.stack([3 * X**2 - 3 * Y**2, -6 * X * Y], axis=1)
    return f, g


def strict_saddle(x, dim, k, lam_pos, lam_neg, quartic):
    esc, stab = x[:, :k], x[:, k:]
    f = (
        0.5 * lam_pos * np.sum(stab**2, axis=1)
        - 0.5 * lam_neg * np.sum(esc**2, axis=1)
        + quartic / 4 * np.sum(esc**4, axis=1)
    )
    g = np.concatenate([-lam_neg * esc + quartic * esc**3, lam_pos * stab], axis=1)
    return f, g


def plateau(x, width, slope, depth, well, curvature, dim):
    D = depth - slope * well / 2
    a = D / well**4
    c = slope / (2 * well) - 2 * D / well**2
    u = x[:, 0] - width
    right = u > 0
    prof = np.where(right, a * u**4 + c * u**2 - slope * u, -slope * u)
    dprof = np.where(right, 4 * a * u**3 + 2 * c * u - slope, -slope)
    f = prof + 0.5 * curvature * np.sum(x[:, 1:] ** 2, axis=1)
    g = np.concatenate([dprof[:, None], curvature * x[:, 1:]], axis=1)
    return f, g


def beale(x):
    X, Y = x[:, 0], x[:, 1]
    f = np.zeros(len(x))
    g = np.zeros_like(x)
    for c, p in ((1.5, 1), (2.25, 2), (2.625, 3)):
        t = c - X + X * Y**p
        f += t**2
        g[:, 0] += 2 * t * (Y**p - 1)
        g[:, 1] += 2 * t * p * X * Y ** (p - 1)
    return f, g


def himmelblau(x):
    X, Y = x[:, 0], x[:, 1]
    f = (X**2 + Y - 11) ** 2 + (X + Y**2 - 7) ** 2
    gx = 2 * (X**2 + Y - 11) * 2 * X + 2 * (X + Y**2 - 7)
    gy = 2 * (X**2 + Y - 11) + 2 * (X + Y**2 - 7) * 2 * Y
    return f, np.stack([gx, gy], axis=1)


def rastrigin(x, dim, A):
    f = A * dim + np.sum(x**2 - A * np.cos(2 * np.pi * x), axis=1)
    g = 2 * x + 2 * np.pi * A * np.sin(2 * np.pi * x)
    return f, g


def ackley(x, dim, a, b, c):
    r = np.sqrt(np.sum(x**2, axis=1) / dim)
    m = np.sum(np.cos(c * x), axis=1) / dim
    f = -a * np.exp(-b * r) - np.exp(m) + a + np.e
    with np.errstate(divide="ignore", invalid="ignore"):
        dr = np.where(r[:, None] > 0, x / (dim * r[:, None]), 0.0)
    g = a * b * np.exp(-b * r)[:, None] * dr + np.exp(m)[:, None] * c * np.sin(c * x) / dim
    return f, g


def six_hump_camel(x):
    X, Y = x[:, 0], x[:, 1]
    f = (4 - 2.1 * X**2 + X**4 / 3) * X**2 + X * Y + (-4 + 4 * Y**2) * Y**2
    gx = 8 * X - 8.4 * X**3 + 2 * X**5 + Y
    gy = X - 8 * Y + 16 * Y**3
    return f, np.stack([gx, gy], axis=1)


def styblinski_tang(x, dim):
    f = 0.5 * np.sum(x**4 - 16 * x**2 + 5 * x, axis=1)
    g = 0.5 * (4 * x**3 - 32 * x + 5)
    return f, g


def _gp_value(X, Y):
    t1 = 1 + (X + Y + 1) ** 2 * (19 - 14 * X + 3 * X**2 - 14 * Y + 6 * X * Y + 3 * Y**2)
    t2 = 30 + (2 * X - 3 * Y) ** 2 * (18 - 32 * X + 12 * X**2 + 48 * Y - 36 * X * Y + 27 * Y**2)
    return t1 * t2


def goldstein_price(x):
    X, Y = x[:, 0], x[:, 1]
    h = 1e-30
    f = _gp_value(X, Y)
    gx = _gp_value(X + 1j * h, Y).imag / h
    gy = _gp_value(X, Y + 1j * h).imag / h
    return f, np.stack([gx, gy], axis=1)


REFERENCE = {
    "rosenbrock": rosenbrock,
    "quadratic": quadratic,
    "elongated_bowl": elongated_bowl,
    "saddle": saddle,
    "monkey_saddle": monkey_saddle,
    "strict_saddle": strict_saddle,
    "plateau": plateau,
    "beale": beale,
    "himmelblau": himmelblau,
    "rastrigin": rastrigin,
    "ackley": ackley,
    "six_hump_camel": six_hump_camel,
    "styblinski_tang": styblinski_tang,
    "goldstein_price": goldstein_price,
}


def value_and_grad(surface, x):
    """Reference ``(f, g)`` for ``surface`` at rows ``x`` ``(n, d)``."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    return REFERENCE[surface.name](x, **surface.kwargs)
