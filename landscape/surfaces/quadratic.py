"""Quadratic forms: the general ``quadratic`` and the 2-D ``elongated_bowl``.

Parameter layout ``P = [c_0 .. c_{d-1}, A_00, A_01, .., A_{d-1,d-1}]``
(center, then ``A`` row-major); ``d`` is read from ``X``'s shape, so one
compiled kernel serves every dimension, matrix and center.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as V
from .._cache import jit
from .._typed import cst
from ._base import Surface, points

__all__ = ["elongated_bowl", "quadratic"]


# --------------------------------------------------------------------------
# f = 1/2 (x - c)^T A (x - c),  grad = A (x - c),  Hessian = A
# --------------------------------------------------------------------------
@jit
def _quadratic_vg(X, G, F, P):
    zero = cst(X, 0.0)
    half = cst(X, 0.5)
    d, n = X.shape
    for k in range(d):
        for j in range(n):
            G[k, j] = zero
    for k in range(d):
        for m in range(d):
            a = cst(X, P[d + k * d + m])
            c = cst(X, P[m])
            for j in range(n):
                G[k, j] += a * (X[m, j] - c)
    for j in range(n):
        F[j] = zero
    for k in range(d):
        c = cst(X, P[k])
        for j in range(n):
            F[j] += half * (X[k, j] - c) * G[k, j]


@jit
def _quadratic_hess(x, P, H):
    d = x.shape[0]
    for i in range(d):
        for k in range(d):
            H[i, k] = P[d + i * d + k]


def _matrix(name, A):
    try:
        arr = np.array(A, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a square matrix of numbers, got {A!r}") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(
            f"{name} must be a square (d, d) matrix with d >= 1, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {A!r}")
    asym = float(np.max(np.abs(arr - arr.T)))
    if asym > 1e-12 * max(1.0, float(np.max(np.abs(arr)))):
        raise ValueError(f"{name} must be symmetric, got max |{name} - {name}^T| = {asym:.3g}")
    return 0.5 * (arr + arr.T)


def _quadratic_surface(name, A, c, formula, kwargs):
    d = A.shape[0]
    ev = np.linalg.eigvalsh(A)
    top = float(np.max(np.abs(ev)))
    tol = 1e-12 * top
    pos, neg = bool(np.any(ev > tol)), bool(np.any(ev < -tol))
    crit = points([c], d)
    empty = points([], d)
    minima, saddles, maxima = empty, empty, empty
    if pos and neg:
        saddles = crit
    elif neg:
        maxima = crit
    else:  # positive (semi-)definite, including A = 0
        minima = crit
    # Box: 3 / sqrt(smallest non-zero |eigenvalue|) around c, so the shallowest
    # direction rises to |f| = 4.5 at the edge.
    nz = np.abs(ev)[np.abs(ev) > tol]
    half = 3.0 / math.sqrt(float(nz.min())) if nz.size else 3.0
    bounds = np.stack([c - half, c + half], axis=1)
    return Surface(
        name=name,
        dim=d,
        params=np.concatenate([c, A.ravel()]),
        vg=_quadratic_vg,
        hess=_quadratic_hess,
        minima=minima,
        saddles=saddles,
        maxima=maxima,
        bounds=bounds,
        formula=formula,
        kwargs=kwargs,
    )


def quadratic(A, center=None) -> Surface:
    r"""A quadratic form with symmetric matrix ``A`` centred at ``center``.

    .. math:: f(x) = \tfrac12 (x - c)^\top A (x - c), \qquad
              \nabla f = A (x - c), \qquad \nabla^2 f = A

    Parameters
    ----------
    A : array_like, shape (d, d)
        Symmetric, finite matrix (asymmetry up to 1e-12 relative is
        symmetrised away).
    center : array_like, shape (d,), optional
        The critical point ``c``; the origin by default.

    Notes
    -----
    ``c`` is listed as the minimum if ``A`` is positive (semi-)definite, the
    maximum if negative definite, a saddle if ``A`` is indefinite.  A singular
    semi-definite ``A`` has a whole affine subspace of (non-strict) minima;
    only ``c`` is listed.
    """
    A = _matrix("A", A)
    d = A.shape[0]
    c = np.zeros(d) if center is None else V.vector("center", center, d)
    return _quadratic_surface(
        "quadratic",
        A,
        c,
        r"\tfrac12 (x-c)^\top A (x-c)",
        {"A": A, "center": c},
    )


def elongated_bowl(
    kappa: float = 10.0,
    angle: float = 0.0,
    scale: float = 1.0,
    *,
    L: float | None = None,
    mu: float | None = None,
) -> Surface:
    r"""A 2-D ill-conditioned quadratic bowl with condition number ``kappa``.

    .. math:: f(x) = \tfrac12 x^\top R_\theta\,
              \mathrm{diag}(s\kappa,\ s)\,R_\theta^\top x

    where :math:`R_\theta` rotates by ``angle`` radians: the steep axis
    (curvature ``L = scale * kappa``) points along
    :math:`(\cos\theta, \sin\theta)`, the shallow one (curvature
    ``mu = scale``) along :math:`(-\sin\theta, \cos\theta)`.  Minimum 0 at the
    origin.  Gradient descent is stable for ``lr < 2 / L`` and converges at
    rate ``1 - 1/kappa`` per step with ``lr = 1/L``.

    Parameters
    ----------
    kappa : float
        Condition number ``L / mu``, ``>= 1``.
    angle : float
        Rotation of the steep axis from the first coordinate axis, radians.
    scale : float
        Smallest eigenvalue ``mu``, ``> 0``.
    L, mu : float, optional
        Derived values, accepted only so that ``make(s.name, **s.kwargs)``
        round-trips; they must equal ``scale * kappa`` and ``scale``.

    Notes
    -----
    Uses the same compiled kernels as :func:`quadratic`.  ``kwargs`` holds
    ``L`` and ``mu`` besides the constructor arguments.
    """
    kappa = V.real("kappa", kappa)
    if not kappa >= 1.0:
        raise ValueError(f"kappa must be >= 1, got {kappa!r}")
    angle = V.real("angle", angle)
    scale = V.positive("scale", scale)
    big, small = scale * kappa, scale
    for nm, given, want in (("L", L, big), ("mu", mu, small)):
        if given is not None:
            g = V.real(nm, given)
            if not math.isclose(g, want, rel_tol=1e-12):
                raise ValueError(f"{nm} is derived and must equal {want!r}, got {given!r}")
    cs, sn = math.cos(angle), math.sin(angle)
    R = np.array([[cs, -sn], [sn, cs]])
    A = R @ np.diag([big, small]) @ R.T
    A = 0.5 * (A + A.T)
    return _quadratic_surface(
        "elongated_bowl",
        A,
        np.zeros(2),
        r"\tfrac12 x^\top R_\theta\,\mathrm{diag}(s\kappa,\,s)\,R_\theta^\top x",
        {"kappa": kappa, "angle": angle, "scale": scale, "L": big, "mu": small},
    )
