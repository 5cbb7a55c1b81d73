r"""``pspin``: the spherical p-spin glass, and its energy per spin."""

from __future__ import annotations

import math

import numpy as np

from ... import _validate as V
from .._base import Surface, box, points
from .protocol import Batched, rowdot, rows_per_chunk

__all__ = ["PSPIN_MAX_ENTRIES", "PSpin", "energy_per_spin", "pspin"]

#: Largest coupling tensor of ``pspin``: ``dim ** p`` entries.
PSPIN_MAX_ENTRIES = 2**26


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


class PSpin(Batched):
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
            step = rows_per_chunk(N ** (p - 1) * dtype.itemsize)
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
        F[:] = rowdot(X, G)
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
