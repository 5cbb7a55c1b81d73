r"""``gaussian_field``: a Gaussian random field by random Fourier features."""

from __future__ import annotations

import math

import numpy as np

from ... import _validate as V
from .._base import Surface, box, points
from ._trig import features_kernel
from .protocol import Batched, rows_per_chunk

__all__ = ["RandomFeatures", "gaussian_field"]


class RandomFeatures(Batched):
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
        step = rows_per_chunk(K * dtype.itemsize)
        for s in range(0, n, step):
            e = min(n, s + step)
            Z = self._buffer("Z", dtype, e - s, K, held)
            np.matmul(X[s:e], om_t, out=Z)
            features_kernel(Z, self.phase, self._ca, F[s:e])
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
