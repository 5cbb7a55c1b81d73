r"""``random_quadratic`` and ``random_strict_saddle``: randomly rotated quadratics and saddles."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ... import _validate as V
from .._base import Surface, box, points
from .protocol import Batched, rowdot, rows_per_chunk

__all__ = [
    "RotatedQuadratic",
    "RotatedStrictSaddle",
    "random_quadratic",
    "random_strict_saddle",
]


def _dense_fits(dim):
    """Refuse a dimension whose dense (dim, dim) matrices would not fit in memory."""
    # the Gaussian draw, Q and R of its QR, the rotation and the Hessian
    V.fits_memory(
        "dim",
        5 * 8 * dim * dim,
        f"the dense {dim} x {dim} matrices (random rotation and Hessian)",
        hint="lower dim",
    )


def _haar_orthogonal(rng, d):
    """A Haar-random orthogonal ``(d, d)`` matrix: QR of a Gaussian, columns sign-fixed."""
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    Q *= np.where(np.diag(R) < 0, -1.0, 1.0)
    return np.ascontiguousarray(Q)


def _pair(name, value):
    """``(low, high)`` with ``0 < low <= high`` from a number or a pair."""
    msg = f"{name} must be a number > 0 or a pair (low, high) with 0 < low <= high, got {value!r}"
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(msg) from None
    if arr.ndim == 0:
        arr = np.array([arr, arr])
    if arr.shape != (2,) or not np.all(np.isfinite(arr)) or not 0 < arr[0] <= arr[1]:
        raise ValueError(msg)
    return float(arr[0]), float(arr[1])


class RotatedQuadratic(Batched):
    r"""Batched :math:`\tfrac12 (x-c)^\top A (x-c)`, :math:`A = Q\Lambda Q^\top`.

    Attributes ``matrix`` (``A``), ``rotation`` (``Q``), ``eigenvalues``
    (:math:`\Lambda`, in the order of ``Q``'s columns) and ``center`` (``c``).
    One batch is ``D = X - c``, ``G = D @ A`` (one GEMM), ``F = rowdot(D, G) / 2``.
    """

    def __init__(self, rotation, eigenvalues, center):
        super().__init__(rotation.shape[0])
        self.rotation = rotation
        self.eigenvalues = eigenvalues
        A = (rotation * eigenvalues) @ rotation.T
        self.matrix = np.ascontiguousarray(0.5 * (A + A.T))
        self.center = center
        self._zero_center = not np.any(center)

    def _vg(self, X, G, F, dtype, held):
        A = self._cast("matrix", dtype)
        if self._zero_center:
            np.matmul(X, A, out=G)
            F[:] = rowdot(X, G)
        else:
            c = self._cast("center", dtype)
            n, d = X.shape
            step = rows_per_chunk(d * dtype.itemsize)
            for s in range(0, n, step):
                e = min(n, s + step)
                D = self._buffer("D", dtype, e - s, d, held)
                np.subtract(X[s:e], c, out=D)
                np.matmul(D, A, out=G[s:e])
                F[s:e] = rowdot(D, G[s:e])
        F *= 0.5

    def hvp(self, x, v):
        return self.matrix @ np.asarray(v, dtype=np.float64)

    def hessian(self, x):
        return self.matrix.copy()


def random_quadratic(
    dim: int = 100,
    spectrum=None,
    index: int = 0,
    lam_pos=(0.1, 1.0),
    lam_neg=(0.1, 1.0),
    center=None,
    seed: int = 0,
) -> Surface:
    r"""A randomly rotated quadratic with a prescribed spectrum.

    .. math:: f(x) = \tfrac12 (x - c)^\top Q \Lambda Q^\top (x - c)

    with ``Q`` Haar-random orthogonal.  :math:`\Lambda` is ``spectrum`` if
    given; otherwise ``index`` negative eigenvalues
    ``-linspace(lam_neg[0], lam_neg[1], index)`` followed by ``dim - index``
    positive ones ``linspace(lam_pos[0], lam_pos[1], dim - index)`` (evenly
    spaced, deterministic; a single one is ``low``).  ``c`` is a minimum
    (``index = 0``), a saddle of that index, or a maximum (``index = dim``);
    gradient descent with step ``lr`` converges iff ``lr < 2 / max(lam_pos)``,
    at a rate set by the condition number ``lam_pos[1] / lam_pos[0]``.

    Parameters
    ----------
    dim : int
        Dimension ``d >= 1``.
    spectrum : array_like, shape (dim,), optional
        Explicit eigenvalues (finite); overrides ``index``, ``lam_pos`` and
        ``lam_neg``.
    index : int
        Number of negative eigenvalues, ``0 <= index <= dim``.
    lam_pos, lam_neg : float or (float, float)
        Ranges ``(low, high)``, ``0 < low <= high``, of the positive
        eigenvalues and of the magnitudes of the negative ones (a number
        ``v`` means ``(v, v)``).
    center : array_like, shape (dim,), optional
        The critical point ``c``; the origin by default.
    seed : int
        ``Q`` comes from the QR factorisation of
        ``numpy.random.default_rng(seed).standard_normal((dim, dim))``, its
        columns' signs fixed so that ``R`` has a positive diagonal.

    Notes
    -----
    ``c`` is listed as a minimum, saddle or maximum by the signs of the
    spectrum (as :func:`landscape.surfaces.quadratic` does; a zero eigenvalue
    is neither sign).  The plotting box is ``c`` :math:`\pm 3/\sqrt{\lambda}`
    with :math:`\lambda` the smallest non-zero :math:`|\lambda_i|`.  ``params``
    is ``[min eigenvalue, max eigenvalue]``.
    """
    dim = V.integer("dim", dim, minimum=1)
    _dense_fits(dim)
    index = V.integer("index", index, minimum=0)
    if index > dim:
        raise ValueError(f"index must be <= dim = {dim}, got {index!r}")
    lam_pos = _pair("lam_pos", lam_pos)
    lam_neg = _pair("lam_neg", lam_neg)
    if spectrum is not None:
        ev = V.vector("spectrum", spectrum, dim).copy()
    else:
        ev = np.concatenate(
            [-np.linspace(lam_neg[0], lam_neg[1], index), np.linspace(*lam_pos, dim - index)]
        )
    c = np.zeros(dim) if center is None else V.vector("center", center, dim).copy()
    seed = V.integer("seed", seed, minimum=0)
    Q = _haar_orthogonal(np.random.default_rng(seed), dim)
    top = float(np.max(np.abs(ev)))
    tol = 1e-12 * top
    pos, neg = bool(np.any(ev > tol)), bool(np.any(ev < -tol))
    crit, empty = points([c], dim), points([], dim)
    minima, saddles, maxima = empty, empty, empty
    if pos and neg:
        saddles = crit
    elif neg:
        maxima = crit
    else:
        minima = crit
    nz = np.abs(ev)[np.abs(ev) > tol]
    half = 3.0 / math.sqrt(float(nz.min())) if nz.size else 3.0
    return Surface(
        name="random_quadratic",
        dim=dim,
        params=np.array([float(ev.min()), float(ev.max())]),
        vg=None,
        hess=None,
        minima=minima,
        saddles=saddles,
        maxima=maxima,
        bounds=np.stack([c - half, c + half], axis=1),
        formula=r"\tfrac12 (x-c)^\top Q\Lambda Q^\top (x-c)",
        kwargs={
            "dim": dim,
            "spectrum": None if spectrum is None else ev.copy(),
            "index": index,
            "lam_pos": lam_pos,
            "lam_neg": lam_neg,
            "center": None if center is None else c.copy(),
            "seed": seed,
        },
        batched=RotatedQuadratic(Q, ev, c),
    )


class RotatedStrictSaddle(Batched):
    r"""Batched :math:`\tfrac12 x^\top A x + \tfrac q4 \sum_{i<k} y_i^4`, :math:`y = Q^\top x`.

    Attributes ``matrix`` (:math:`A = Q\Lambda Q^\top`), ``rotation`` (``Q``),
    ``eigenvalues``, ``index`` (``k``) and ``quartic`` (``q``).  One batch is
    ``G = X @ A`` (GEMM), ``Y = X @ Q[:, :k]``,
    ``G += (q Y^3) @ Q[:, :k].T`` and ``F = rowdot(X, G_quadratic) / 2 + q sum(Y^4) / 4``:
    one ``d x d`` product plus two ``d x k`` ones.
    """

    def __init__(self, rotation, eigenvalues, index, quartic):
        super().__init__(rotation.shape[0])
        self.rotation = rotation
        self.eigenvalues = eigenvalues
        self.index = int(index)
        self.quartic = float(quartic)
        A = (rotation * eigenvalues) @ rotation.T
        self.matrix = np.ascontiguousarray(0.5 * (A + A.T))
        self.escape = np.ascontiguousarray(rotation[:, : self.index])
        self.escape_t = np.ascontiguousarray(self.escape.T)

    def _vg(self, X, G, F, dtype, held):
        A = self._cast("matrix", dtype)
        Qk, Qk_t = self._cast("escape", dtype), self._cast("escape_t", dtype)
        q = dtype.type(self.quartic)
        np.matmul(X, A, out=G)
        F[:] = rowdot(X, G)
        F *= dtype.type(0.5)
        n, d = X.shape
        k = self.index
        step = rows_per_chunk((d + 2 * k) * dtype.itemsize)
        for s in range(0, n, step):
            e = min(n, s + step)
            Y = self._buffer("Y", dtype, e - s, k, held)
            Y3 = self._buffer("Y3", dtype, e - s, k, held)
            T = self._buffer("T", dtype, e - s, d, held)
            np.matmul(X[s:e], Qk, out=Y)
            np.multiply(Y, Y, out=Y3)
            Y3 *= Y
            F[s:e] += (q / dtype.type(4.0)) * rowdot(Y3, Y)
            Y3 *= q
            np.matmul(Y3, Qk_t, out=T)
            G[s:e] += T

    def hvp(self, x, v):
        x = np.asarray(x, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        y = x @ self.escape
        return self.matrix @ v + self.escape @ ((3.0 * self.quartic) * y * y * (v @ self.escape))

    def hessian(self, x):
        x = np.asarray(x, dtype=np.float64)
        y = x @ self.escape
        return self.matrix + (self.escape * ((3.0 * self.quartic) * y * y)) @ self.escape_t


_MAX_LISTED_INDEX = 10


def random_strict_saddle(
    dim: int = 100,
    index: int = 1,
    lam_pos: float = 1.0,
    lam_neg: float = 1.0,
    quartic: float = 1.0,
    seed: int = 0,
) -> Surface:
    r"""A randomly rotated strict saddle of index ``k`` at the origin, with quartic walls.

    .. math:: f(x) = \tfrac12 y^\top \Lambda y + \tfrac{q}{4}\sum_{i<k} y_i^4,
              \qquad y = Q^\top x,\quad
              \Lambda = \mathrm{diag}(\underbrace{-\lambda_-,\dots}_{k},
              \lambda_+,\dots,\lambda_+)

    :func:`landscape.surfaces.strict_saddle` in the coordinates ``y`` of a
    Haar-random orthogonal ``Q``: the escape directions are the first ``k``
    columns of ``Q``, not coordinate axes, so coordinate-wise optimizers
    (Adam, RMSprop, sign descent) meet the saddle in a generic orientation.
    The minima are :math:`y_i = \pm\sqrt{\lambda_-/q}` for ``i < k`` and 0
    otherwise, all with value :math:`-k\lambda_-^2/(4q)`.

    Parameters
    ----------
    dim : int
        Dimension ``d >= 1``.
    index : int
        Saddle index ``k``, ``1 <= k <= dim``.
    lam_pos, lam_neg, quartic : float
        Curvatures :math:`\lambda_+`, :math:`\lambda_-` and quartic
        coefficient ``q``, all ``> 0``.
    seed : int
        ``Q`` as in :func:`random_quadratic`: QR of
        ``numpy.random.default_rng(seed).standard_normal((dim, dim))``.

    Notes
    -----
    All :math:`2^k` minima are listed (rotated back, ``x = Q y``) when
    ``k <= 10``; beyond that ``minima`` is empty.  With ``k == dim`` the
    origin is listed as a maximum instead of a saddle.  The plotting box is
    :math:`\pm 1.5\sqrt{k\lambda_-/q}` per coordinate, which holds every
    minimum; ``params`` is ``[index, lam_pos, lam_neg, quartic]``.
    """
    dim = V.integer("dim", dim, minimum=1)
    _dense_fits(dim)
    index = V.integer("index", index, minimum=1)
    if index > dim:
        raise ValueError(f"index must be <= dim = {dim}, got {index!r}")
    lam_pos = V.positive("lam_pos", lam_pos)
    lam_neg = V.positive("lam_neg", lam_neg)
    quartic = V.positive("quartic", quartic)
    seed = V.integer("seed", seed, minimum=0)
    Q = _haar_orthogonal(np.random.default_rng(seed), dim)
    ev = np.full(dim, lam_pos)
    ev[:index] = -lam_neg
    r = math.sqrt(lam_neg / quartic)
    if index <= _MAX_LISTED_INDEX:
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=index)))
        minima = np.ascontiguousarray((r * signs) @ Q[:, :index].T)
    else:
        minima = points([], dim)
    origin, empty = points([np.zeros(dim)], dim), points([], dim)
    saddles, maxima = (origin, empty) if index < dim else (empty, origin)
    half = 1.5 * r * math.sqrt(index)
    return Surface(
        name="random_strict_saddle",
        dim=dim,
        params=np.array([float(index), lam_pos, lam_neg, quartic]),
        vg=None,
        hess=None,
        minima=minima,
        saddles=saddles,
        maxima=maxima,
        bounds=box(dim, -half, half),
        formula=r"\tfrac12 y^\top\Lambda y+\tfrac{q}{4}\sum_{i<k}y_i^4,\ y=Q^\top x",
        kwargs={
            "dim": dim,
            "index": index,
            "lam_pos": lam_pos,
            "lam_neg": lam_neg,
            "quartic": quartic,
            "seed": seed,
        },
        batched=RotatedStrictSaddle(Q, ev, index, quartic),
    )
