r"""High-dimensional random landscapes: seeded, any dimension, BLAS gradients.

Four families, each a :class:`~landscape.surfaces.Surface` whose ``vg`` and
``hess`` are None and whose ``batched`` object computes value and gradient
for a whole batch of points with matrix products (NumPy's BLAS):

``gaussian_field``
    a Gaussian random field with squared-exponential covariance, by random
    Fourier features;
``pspin``
    the spherical p-spin glass (p = 2, 3, 4) on :math:`\lVert\sigma\rVert^2 = N`;
``random_quadratic``
    a randomly rotated quadratic with a prescribed spectrum;
``random_strict_saddle``
    a randomly rotated strict saddle of index ``k`` with quartic walls.

The batched protocol (see ``Surface.batched``): ``value_and_grad(X, G) -> F``
for ``X``, ``G`` of shape ``(n, d)``, C order, both float32 or both float64;
the matrix products run in that dtype (float32 copies of the random matrices
are made on first use and kept) and ``F`` (shape ``(n,)``) has that dtype.
Rows are processed in chunks so that no intermediate exceeds
:data:`WORK_BYTES`; the chunk buffer is kept between calls (one per dtype,
see :meth:`clear_workspace`).  ``hvp(x, v)`` and ``hessian(x)`` work in
float64 at one point.  ``manifold`` is None, or ``"sphere"`` for ``pspin``.

Every random draw comes from ``numpy.random.default_rng(seed)`` in the order
documented by each constructor, so the same arguments give the same surface
and ``make(surface.name, **surface.kwargs)`` rebuilds it.
"""

from __future__ import annotations

import itertools
import math
import threading
from typing import NamedTuple

import numpy as np
from numba import njit
from scipy.optimize import brentq

from .. import _validate as V
from ._base import Surface, box, points

__all__ = [
    "PSpinEnergies",
    "energy_per_spin",
    "gaussian_field",
    "pspin",
    "pspin_energies",
    "random_quadratic",
    "random_strict_saddle",
]

#: Largest intermediate (bytes) a batched call builds; larger batches are chunked.
WORK_BYTES = 256 * 2**20

#: Largest coupling tensor of ``pspin``: ``dim ** p`` entries.
PSPIN_MAX_ENTRIES = 2**26

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# --------------------------------------------------------------------------
# shared machinery
# --------------------------------------------------------------------------
def _check_batch(X, G, dim):
    """The batched contract: ``X``, ``G`` of shape ``(n, dim)``, one float dtype, C order."""
    if not (isinstance(X, np.ndarray) and isinstance(G, np.ndarray)):
        raise ValueError(
            f"X and G must be numpy arrays, got {type(X).__name__}, {type(G).__name__}"
        )
    if X.ndim != 2 or X.shape[1] != dim or G.shape != X.shape:
        raise ValueError(
            f"X and G must have the same shape (n, {dim}), got {X.shape} and {G.shape}"
        )
    if X.dtype not in _DTYPES or G.dtype != X.dtype:
        raise ValueError(
            f"X and G must both be float32 or both float64, got {X.dtype} and {G.dtype}"
        )
    if not (G.flags.c_contiguous and G.flags.writeable):
        raise ValueError("G must be a writeable C-contiguous array")
    if np.may_share_memory(X, G):
        raise ValueError("X and G must not overlap")
    return X.dtype


def _rows_per_chunk(row_bytes):
    return max(1, int(WORK_BYTES // max(1, int(row_bytes))))


def _rowdot(A, B):
    """Row-wise dot products ``sum_j A[i, j] B[i, j]`` in the arrays' dtype."""
    return np.einsum("ij,ij->i", A, B)


class _Batched:
    """Base of the batched objects: float32 copies and a reusable work buffer."""

    manifold = None

    def __init__(self, dim):
        self.dim = int(dim)
        self._f32 = {}
        self._work = {}
        self._lock = threading.Lock()

    def _cast(self, name, dtype):
        """Attribute ``name`` in ``dtype`` (the float32 copy is made once and kept)."""
        arr = getattr(self, name)
        if dtype == np.float64:
            return arr
        out = self._f32.get(name)
        if out is None:
            out = np.ascontiguousarray(arr, dtype=np.float32)
            self._f32[name] = out
        return out

    def _buffer(self, key, dtype, rows, cols, held):
        """A C-contiguous ``(rows, cols)`` work array, kept for the next call when ``held``."""
        if not held:  # another thread is inside value_and_grad: use a private buffer
            return np.empty((rows, cols), dtype)
        k = (key, np.dtype(dtype).name, cols)
        buf = self._work.get(k)
        if buf is None or buf.shape[0] < rows:
            buf = np.empty((rows, cols), dtype)
            self._work[k] = buf
        return buf[:rows]

    def clear_workspace(self):
        """Free the work buffers kept between calls (at most :data:`WORK_BYTES` each)."""
        self._work.clear()

    def value_and_grad(self, X, G):
        """Values (returned, shape ``(n,)``) and gradients (written into ``G``) of rows ``X``."""
        dtype = _check_batch(X, G, self.dim)
        F = np.empty(X.shape[0], dtype)
        if X.shape[0] == 0:
            return F
        held = self._lock.acquire(blocking=False)
        try:
            self._vg(X, G, F, dtype, held)
        finally:
            if held:
                self._lock.release()
        return F

    def hvp(self, x, v):
        """Hessian-vector product at one point (float64)."""
        return self.hessian(x) @ np.asarray(v, dtype=np.float64)


# --------------------------------------------------------------------------
# sin / cos for the random features: a vectorisable kernel
# --------------------------------------------------------------------------
# NumPy's float64 np.sin / np.cos are scalar libm calls (about 18 ns per value
# here, twice the cost of the two matrix products); this kernel evaluates both
# with a Cody-Waite reduction by pi/2 and Cephes' minimax polynomials on
# [-pi/4, pi/4] (<= 1 ulp there), which LLVM vectorises.  It is compiled with
# FMA contraction only: 'reassoc' would fold the three-part reduction
# ((z - q P1) - q P2) - q P3 into z - q (P1 + P2 + P3) and lose ~1e-11.
# |q| < 2**19 keeps q * P1 and q * P2 exact (33-bit constants); beyond that
# (|z| > 8e5, a diverging trajectory) the row falls back to math.sin/cos.
_PIO2_1 = 1.5707963267341256  # pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 (+1e-37)
_PIO2_2 = 6.077100506303966e-11
_PIO2_3 = 2.0222662487959506e-21
_TWO_OVER_PI = 0.6366197723675814
_Q_MAX = 1 << 19
_Z_FAST = _Q_MAX * 1.5707963267948966
_S0, _S1, _S2 = 1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6
_S3, _S4, _S5 = -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1
_C0, _C1, _C2 = -1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7
_C3, _C4, _C5 = 2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2


@njit(fastmath={"contract"}, error_model="numpy", nogil=True)
def _features_kernel(Z, b, ca, F):
    """Row by row: ``z = Z + b``; ``F = sum_k ca_k cos z_k``; ``Z <- -ca * sin z``.

    ``Z`` (float32 or float64) holds ``X @ Omega^T``; ``b`` and ``ca`` are
    float64; the trigonometry runs in float64 and is rounded to ``Z``'s dtype.
    """
    n, K = Z.shape
    ts = np.empty(K)
    tc = np.empty(K)
    for r in range(n):
        wide = 0
        for k in range(K):
            z = np.float64(Z[r, k]) + b[k]
            q = math.floor(z * _TWO_OVER_PI + 0.5)
            t = ((z - q * _PIO2_1) - q * _PIO2_2) - q * _PIO2_3
            t2 = t * t
            s = t + t * t2 * (((((_S0 * t2 + _S1) * t2 + _S2) * t2 + _S3) * t2 + _S4) * t2 + _S5)
            c = (
                1.0
                - 0.5 * t2
                + t2 * t2 * (((((_C0 * t2 + _C1) * t2 + _C2) * t2 + _C3) * t2 + _C4) * t2 + _C5)
            )
            qi = np.int64(q)
            odd = (qi & 1) != 0
            ts[k] = (1.0 - np.float64(qi & 2)) * (c if odd else s)
            tc[k] = (1.0 - np.float64((qi + 1) & 2)) * (s if odd else c)
            wide |= (qi > _Q_MAX) | (qi < -_Q_MAX)
        if wide:  # huge or non-finite arguments: libm for those entries
            for k in range(K):
                z = np.float64(Z[r, k]) + b[k]
                if not abs(z) < _Z_FAST:
                    ts[k] = math.sin(z)
                    tc[k] = math.cos(z)
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        k4 = K - K % 4
        for k in range(0, k4, 4):
            a0 += ca[k] * tc[k]
            a1 += ca[k + 1] * tc[k + 1]
            a2 += ca[k + 2] * tc[k + 2]
            a3 += ca[k + 3] * tc[k + 3]
        for k in range(k4, K):
            a0 += ca[k] * tc[k]
        for k in range(K):
            Z[r, k] = -ca[k] * ts[k]
        F[r] = (a0 + a1) + (a2 + a3)


# --------------------------------------------------------------------------
# gaussian_field: random Fourier features
# --------------------------------------------------------------------------
class RandomFeatures(_Batched):
    r"""Batched :math:`f(x) = c \sum_k a_k \cos(\omega_k\cdot x + b_k)`.

    Attributes ``omega`` (``(K, d)``), ``phase`` (``b``, ``(K,)``),
    ``weights`` (``a``, ``(K,)``) and ``scale`` (``c``), all float64.
    One batch is ``Z = X @ omega.T`` (GEMM), one pass of a compiled kernel
    for ``cos``/``sin`` and ``F``, and ``G = Z @ omega`` (GEMM).
    """

    def __init__(self, omega, phase, weights, scale):
        super().__init__(omega.shape[1])
        self.features = int(omega.shape[0])
        self.omega = np.ascontiguousarray(omega)
        self.omega_t = np.ascontiguousarray(omega.T)
        self.phase = np.ascontiguousarray(phase)
        self.weights = np.ascontiguousarray(weights)
        self.scale = float(scale)
        self._ca = self.scale * self.weights

    def _vg(self, X, G, F, dtype, held):
        om, om_t = self._cast("omega", dtype), self._cast("omega_t", dtype)
        K, n = self.features, X.shape[0]
        step = _rows_per_chunk(K * dtype.itemsize)
        for s in range(0, n, step):
            e = min(n, s + step)
            Z = self._buffer("Z", dtype, e - s, K, held)
            np.matmul(X[s:e], om_t, out=Z)
            _features_kernel(Z, self.phase, self._ca, F[s:e])
            np.matmul(Z, om, out=G[s:e])

    def value(self, x):
        """Values at rows ``x`` (float64, NumPy's trigonometry; a reference)."""
        z = np.asarray(x, dtype=np.float64) @ self.omega_t + self.phase
        return np.cos(z) @ self._ca

    def hvp(self, x, v):
        r""":math:`-c\sum_k a_k \cos(z_k)(\omega_k\cdot v)\,\omega_k` at one point (float64)."""
        x = np.asarray(x, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        z = self.omega @ x + self.phase
        return -((self._ca * np.cos(z)) * (self.omega @ v)) @ self.omega

    def hessian(self, x):
        r""":math:`-c\,\Omega^\top \mathrm{diag}(a \cos z)\,\Omega` at one point (float64)."""
        x = np.asarray(x, dtype=np.float64)
        z = self.omega @ x + self.phase
        return -(self.omega_t * (self._ca * np.cos(z))) @ self.omega


def gaussian_field(
    dim: int = 2,
    features: int = 1024,
    length_scale: float = 1.0,
    amplitude: float = 1.0,
    seed: int = 0,
) -> Surface:
    r"""A Gaussian random field with squared-exponential covariance (random Fourier features).

    .. math:: f(x) = A\sqrt{2/K}\,\sum_{k=1}^{K} a_k \cos(\omega_k\cdot x + b_k),
              \qquad \omega_k \sim N(0, I/\ell^2),\ b_k \sim U(0, 2\pi),\ a_k \sim N(0, 1)

    Over draws of the features, :math:`E f(x) = 0` and
    :math:`E f(x) f(y) = A^2 \exp(-\lVert x - y\rVert^2 / (2\ell^2))` for any
    ``K`` (exactly, not only as ``K`` grows); the field is Gaussian as
    :math:`K \to \infty`.  A smooth, bounded landscape with many minima,
    saddles and maxima (none are listed) whose typical feature size is
    :math:`\ell` in every direction.

    Parameters
    ----------
    dim : int
        Dimension ``d >= 1``.
    features : int
        Number of features ``K >= 1``; cost per point is about ``4 K d`` flops.
    length_scale : float
        Correlation length :math:`\ell > 0`.
    amplitude : float
        Standard deviation :math:`A > 0` of :math:`f(x)`.
    seed : int
        ``numpy.random.default_rng(seed)`` draws, in this order,
        ``standard_normal((K, d)) / ell`` (the :math:`\omega_k`, rows),
        ``uniform(0, 2 pi, K)`` (the :math:`b_k`) and ``standard_normal(K)``
        (the :math:`a_k`).

    Notes
    -----
    ``batched`` (:class:`RandomFeatures`) computes a batch as
    ``Z = X @ omega.T``, ``F = c cos(Z + b) @ a``,
    ``G = -(c a sin(Z + b)) @ omega``.  The plotting box is
    :math:`\pm 3\ell` per coordinate; ``params`` is ``[length_scale, amplitude]``.
    """
    dim = V.integer("dim", dim, minimum=1)
    features = V.integer("features", features, minimum=1)
    # omega, its scaled copy and the packed parameters: three (features, dim) arrays
    V.fits_memory(
        "dim, features",
        3 * 8 * features * dim,
        f"the random features of gaussian_field(dim={dim}, features={features})",
        hint="lower dim or features",
    )
    length_scale = V.positive("length_scale", length_scale)
    amplitude = V.positive("amplitude", amplitude)
    seed = V.integer("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((features, dim)) / length_scale
    phase = rng.uniform(0.0, 2.0 * math.pi, features)
    weights = rng.standard_normal(features)
    scale = amplitude * math.sqrt(2.0 / features)
    empty = points([], dim)
    return Surface(
        name="gaussian_field",
        dim=dim,
        params=np.array([length_scale, amplitude]),
        vg=None,
        hess=None,
        minima=empty,
        saddles=empty,
        maxima=empty,
        bounds=box(dim, -3.0 * length_scale, 3.0 * length_scale),
        formula=r"A\sqrt{2/K}\sum_k a_k\cos(\omega_k\cdot x+b_k)",
        kwargs={
            "dim": dim,
            "features": features,
            "length_scale": length_scale,
            "amplitude": amplitude,
            "seed": seed,
        },
        batched=RandomFeatures(omega, phase, weights, scale),
    )


# --------------------------------------------------------------------------
# pspin: the spherical p-spin glass
# --------------------------------------------------------------------------
def _symmetrize(J):
    """The average of ``J`` over all permutations of its axes.

    Built up one axis at a time: if ``T`` is symmetric in its first ``m - 1``
    axes, averaging ``T`` with its ``m - 1`` transposes that swap axis ``i``
    and axis ``m - 1`` makes it symmetric in the first ``m`` (the swaps are
    coset representatives of :math:`S_{m-1}` in :math:`S_m`): ``1 + 2 + ... +
    (p - 1)`` passes instead of ``p!``.
    """
    T = J
    for m in range(2, J.ndim + 1):
        out = T.copy()
        for i in range(m - 1):
            out += np.swapaxes(T, i, m - 1)
        out /= m
        T = out
    return T


class PSpin(_Batched):
    r"""Batched spherical p-spin energy :math:`H` and its Euclidean gradient.

    Attributes ``couplings`` (the symmetrised tensor :math:`J^s`, shape
    ``(N,) * p``), ``p`` and ``coupling_scale`` (:math:`N^{-(p-1)/2}`).
    With ``M = p N^{-(p-1)/2} J^s`` reshaped to ``(N, N^(p-1))``, one batch is
    ``T = X @ M`` (GEMM) followed by ``p - 2`` row-wise contractions with
    ``X``, giving ``G``; then ``F = rowdot(X, G) / p`` (Euler's identity for a
    homogeneous polynomial of degree ``p``).
    """

    manifold = "sphere"

    def __init__(self, couplings, p):
        N = couplings.shape[0]
        super().__init__(N)
        self.p = int(p)
        self.couplings = couplings
        self.coupling_scale = float(N) ** (-(p - 1) / 2.0)
        self.grad_matrix = (p * self.coupling_scale) * couplings.reshape(N, N ** (p - 1))

    def _vg(self, X, G, F, dtype, held):
        N, p, n = self.dim, self.p, X.shape[0]
        M = self._cast("grad_matrix", dtype)
        if p == 2:
            np.matmul(X, M, out=G)
        else:
            step = _rows_per_chunk(N ** (p - 1) * dtype.itemsize)
            for s in range(0, n, step):
                e = min(n, s + step)
                m, Xc = e - s, X[s:e]
                T = self._buffer("T", dtype, m, N ** (p - 1), held)
                np.matmul(Xc, M, out=T)
                for level in range(p - 1, 2, -1):  # contract the last index, p = 4
                    U = self._buffer(f"U{level}", dtype, m, N ** (level - 1), held)
                    np.einsum("rjk,rk->rj", T.reshape(m, N ** (level - 1), N), Xc, out=U)
                    T = U
                np.einsum("rjk,rk->rj", T.reshape(m, N, N), Xc, out=G[s:e])
        F[:] = _rowdot(X, G)
        F /= p

    def hessian(self, x):
        r"""Euclidean Hessian :math:`p(p-1)N^{-(p-1)/2} J^s(\cdot,\cdot,x,\dots,x)` (float64)."""
        x = np.asarray(x, dtype=np.float64)
        N, p = self.dim, self.p
        T = self.grad_matrix.reshape(-1)
        for _ in range(p - 2):
            T = T.reshape(-1, N) @ x
        return (p - 1) * T.reshape(N, N)

    def energy_per_spin(self, x):
        """``H(x) / N`` at rows ``x`` (float64)."""
        X = np.ascontiguousarray(np.atleast_2d(np.asarray(x, dtype=np.float64)))
        F = self.value_and_grad(X, np.empty_like(X))
        return (F / self.dim).reshape(np.shape(x)[:-1])


def pspin(dim: int = 100, p: int = 3, seed: int = 0) -> Surface:
    r"""The spherical p-spin glass of Crisanti and Sommers, on :math:`\lVert\sigma\rVert^2 = N`.

    .. math:: H(\sigma) = N^{-(p-1)/2} \sum_{i_1,\dots,i_p=1}^{N}
              J_{i_1\dots i_p}\,\sigma_{i_1}\cdots\sigma_{i_p},
              \qquad J_{i_1\dots i_p} \sim N(0, 1)\ \text{iid}

    with ``N = dim``.  The surface's value is the total energy ``H``; the
    energy per spin is ``H / N`` (:func:`energy_per_spin`).  With this
    normalisation :math:`E\,H(\sigma)H(\tau) = N(\sigma\cdot\tau/N)^p`: at a
    random point of the sphere ``H / N`` has mean 0 and variance ``1 / N``.
    :func:`pspin_energies` gives the threshold and ground-state energies per
    spin as ``N`` grows (for ``p = 3``: -1.633 and -1.657).

    Parameters
    ----------
    dim : int
        Number of spins ``N >= 2``, with ``N**p <= 2**26`` (the coupling
        tensor is stored, in float64 and, once used, float32).
    p : int
        Interaction order, one of 2, 3, 4.
    seed : int
        The couplings are ``numpy.random.default_rng(seed).standard_normal((dim,) * p)``.

    Notes
    -----
    ``batched.manifold`` is ``"sphere"``: the batched engine projects the
    gradient onto the sphere's tangent space and retracts to
    :math:`\lVert x\rVert^2 = N`.  Start on the sphere, e.g.
    ``ls.starts.sphere(n, np.zeros(dim), radius=np.sqrt(dim), seed=0)``.
    ``value_and_grad``, ``hvp`` and ``hessian`` are the Euclidean ones of the
    polynomial :math:`H` on all of :math:`\mathbb R^N`
    (:math:`\nabla H = p N^{-(p-1)/2} J^s(\cdot, \sigma, \dots, \sigma)` with
    :math:`J^s` the symmetrised couplings); the Riemannian Hessian on the
    sphere is :math:`P(\nabla^2 H - (\sigma\cdot\nabla H / N) I)P` with ``P``
    the tangent projection.  ``H`` is odd for odd ``p`` and even for even
    ``p``; no critical points are listed.  The plotting box is
    :math:`\pm\sqrt N` per coordinate (the smallest box holding the sphere);
    ``params`` is ``[p]``.
    """
    dim = V.integer("dim", dim, minimum=2)
    p = V.integer("p", p)
    if p not in (2, 3, 4):
        raise ValueError(f"p must be one of [2, 3, 4], got {p!r}")
    seed = V.integer("seed", seed, minimum=0)
    if dim**p > PSPIN_MAX_ENTRIES:
        top = int(math.floor(PSPIN_MAX_ENTRIES ** (1.0 / p) + 1e-9))
        raise ValueError(
            f"dim must be <= {top} for p = {p} (the coupling tensor has dim**p entries, "
            f"at most 2**26), got dim={dim!r} with p={p!r}"
        )
    J = np.random.default_rng(seed).standard_normal((dim,) * p)
    Js = _symmetrize(J)
    del J
    empty = points([], dim)
    r = math.sqrt(dim)
    return Surface(
        name="pspin",
        dim=dim,
        params=np.array([float(p)]),
        vg=None,
        hess=None,
        minima=empty,
        saddles=empty,
        maxima=empty,
        bounds=box(dim, -r, r),
        formula=r"N^{-(p-1)/2}\sum_{i_1\dots i_p}J_{i_1\dots i_p}\sigma_{i_1}\cdots\sigma_{i_p}",
        kwargs={"dim": dim, "p": p, "seed": seed},
        batched=PSpin(Js, p),
    )


def energy_per_spin(surface, x):
    """The p-spin energy per spin ``H(x) / N`` at points ``x`` of shape ``(..., N)``."""
    if not isinstance(getattr(surface, "batched", None), PSpin):
        raise ValueError(f"surface must be a pspin surface, got {surface!r}")
    return np.asarray(surface.value(x)) / surface.dim


class PSpinEnergies(NamedTuple):
    """Energies per spin (``H / N``) of the spherical p-spin as ``N`` grows."""

    threshold: float
    ground_state: float | None


def _complexity_zero(p):
    r"""Ground state per spin of the pure spherical p-spin, ``p >= 3`` (ABČ 2013).

    :math:`-E_0` is the zero below :math:`-E_\infty` of the complexity of
    local minima, :math:`\theta_p(u) = \tfrac12\log(p-1) -
    \tfrac{p-2}{4(p-1)}u^2 - I_1(u)`, where
    :math:`I_1(u) = -\tfrac{u}{E_\infty^2}\sqrt{u^2-E_\infty^2}
    - \log(-u+\sqrt{u^2-E_\infty^2}) + \log E_\infty` and
    :math:`E_\infty = 2\sqrt{(p-1)/p}`.
    """
    e_inf = 2.0 * math.sqrt((p - 1) / p)

    def theta(u):
        root = math.sqrt(u * u - e_inf * e_inf)
        i1 = -u / e_inf**2 * root - math.log(-u + root) + math.log(e_inf)
        return 0.5 * math.log(p - 1) - (p - 2) / (4.0 * (p - 1)) * u * u - i1

    return brentq(theta, -10.0, -e_inf * (1.0 + 1e-12), xtol=1e-15, rtol=1e-15)


def pspin_energies(p: int) -> PSpinEnergies:
    r"""Threshold and ground-state energies per spin of :func:`pspin` as ``N`` grows.

    .. math:: E_{th} = -2\sqrt{(p-1)/p}

    in the normalisation :math:`E\,H(\sigma)H(\tau) = N(\sigma\cdot\tau/N)^p`
    of :func:`pspin`.  Gradient descent from random starts on the sphere
    gets stuck near :math:`E_{th}` for ``p >= 3`` (exponentially many local
    minima above it, Cugliandolo and Kurchan 1993); the global minimum is
    lower, at :math:`E_{gs}`.

    Returns
    -------
    PSpinEnergies
        ``(threshold, ground_state)``.

        * ``p = 2``: both are :math:`-\sqrt2` (the smallest eigenvalue of the
          symmetrised coupling matrix, a GOE edge: no threshold gap);
        * ``p = 3``: -1.63299 and -1.65700;
        * ``p = 4``: -1.73205 and -1.79409.

    Notes
    -----
    For ``p >= 3`` the ground state is computed, not tabulated: it is the zero
    of the complexity of local minima (:func:`_complexity_zero`) of
    Auffinger, Ben Arous and Černý, "Random matrices and complexity of spin
    glasses", Comm. Pure Appl. Math. 66 (2013), arXiv:1003.1129, who show it
    equals the 1RSB ground state of Crisanti and Sommers (Z. Phys. B 87,
    1992) and quote 1.657 for ``p = 3`` (the formula gives 1.656998).  For
    ``p = 4`` no page quoting the number could be consulted while writing
    this; -1.79409 comes from the same formula and agrees with an
    independent check, the zero-temperature limit of the Crisanti-Sommers
    1RSB functional with :math:`\xi(q) = q^4` (-1.7940 at inverse
    temperature :math:`10^5`, converging as :math:`\log\beta/\beta`).
    """
    p = V.integer("p", p)
    if p not in (2, 3, 4):
        raise ValueError(f"p must be one of [2, 3, 4], got {p!r}")
    threshold = -2.0 * math.sqrt((p - 1) / p)
    ground = -math.sqrt(2.0) if p == 2 else _complexity_zero(p)
    return PSpinEnergies(threshold, ground)


# --------------------------------------------------------------------------
# random_quadratic and random_strict_saddle
# --------------------------------------------------------------------------
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


class RotatedQuadratic(_Batched):
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
            F[:] = _rowdot(X, G)
        else:
            c = self._cast("center", dtype)
            n, d = X.shape
            step = _rows_per_chunk(d * dtype.itemsize)
            for s in range(0, n, step):
                e = min(n, s + step)
                D = self._buffer("D", dtype, e - s, d, held)
                np.subtract(X[s:e], c, out=D)
                np.matmul(D, A, out=G[s:e])
                F[s:e] = _rowdot(D, G[s:e])
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


class RotatedStrictSaddle(_Batched):
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
        F[:] = _rowdot(X, G)
        F *= dtype.type(0.5)
        n, d = X.shape
        k = self.index
        step = _rows_per_chunk((d + 2 * k) * dtype.itemsize)
        for s in range(0, n, step):
            e = min(n, s + step)
            Y = self._buffer("Y", dtype, e - s, k, held)
            Y3 = self._buffer("Y3", dtype, e - s, k, held)
            T = self._buffer("T", dtype, e - s, d, held)
            np.matmul(X[s:e], Qk, out=Y)
            np.multiply(Y, Y, out=Y3)
            Y3 *= Y
            F[s:e] += (q / dtype.type(4.0)) * _rowdot(Y3, Y)
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
