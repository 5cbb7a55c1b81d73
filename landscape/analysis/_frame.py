r"""The (Riemannian) Hessian at one point, as a dense matrix or a linear operator."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse.linalg

__all__ = ["Frame", "check_surface", "manifold", "point"]


def manifold(surface):
    """``None`` (flat) or ``"sphere"``: the manifold of ``surface``'s batched object."""
    batched = getattr(surface, "batched", None)
    m = getattr(batched, "manifold", None) if batched is not None else None
    if m not in (None, "sphere"):
        raise ValueError(f"surface manifold must be one of [None, 'sphere'], got {m!r}")
    return m


def point(name, x, dim) -> np.ndarray:
    """``x`` as a finite, C-contiguous float64 vector of length ``dim`` (``name`` in errors)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a point of {dim} numbers, got {x!r}") from None
    if arr.shape != (dim,):
        raise ValueError(f"{name} must have shape ({dim},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return np.ascontiguousarray(arr)


class Frame:
    """The Hessian at ``x`` as an operator on ``R^n`` (the tangent space on the sphere).

    ``n = d`` flat; ``n = d - 1`` on the sphere, in the orthonormal tangent
    basis given by the Householder reflection ``Q = I - 2 w w^T`` with
    ``Q u = s e_1`` (``u = x/|x|``): tangent coordinates ``y`` map to
    ``Q [0; y]`` and back by ``(Q v)[1:]``.
    """

    def __init__(self, surface, x, value=None, grad=None):
        self.surface = surface
        self.x = x
        self.d = surface.dim
        self.manifold = manifold(surface)
        if grad is None:
            value, grad = surface.value_and_grad(x)
        self.value = float(value)
        g = np.asarray(grad, dtype=np.float64)
        self._H = None
        if self.manifold == "sphere":
            if self.d < 2:
                raise ValueError(f"a sphere needs dim >= 2, got dim {self.d}")
            r2 = float(x @ x)
            if not r2 > 0:
                raise ValueError("x must not be 0 on the sphere (it has no tangent space there)")
            u = x / math.sqrt(r2)
            self.mu = float(x @ g) / r2
            self.grad = g - float(u @ g) * u
            s = -1.0 if u[0] >= 0 else 1.0
            w = u.copy()
            w[0] -= s
            self.w = w / np.linalg.norm(w)  # |w|^2 = 2 + 2|u_0| >= 2 before normalising
            self.n = self.d - 1
        else:
            self.mu = 0.0
            self.grad = g
            self.w = None
            self.n = self.d

    @property
    def grad_norm(self) -> float:
        return float(np.linalg.norm(self.grad))

    def _hess(self):
        if self._H is None:
            H = np.asarray(self.surface.hessian(self.x), dtype=np.float64)
            self._H = 0.5 * (H + H.T)
        return self._H

    def _hvp(self, v):
        if getattr(self.surface, "batched", None) is None:
            return self._hess() @ v  # compiled surface: form the Hessian once
        return np.asarray(self.surface.hvp(self.x, v), dtype=np.float64)

    def dense(self):
        """The ``(n, n)`` (tangent) Hessian."""
        H = self._hess()
        if self.w is None:
            return H
        w = self.w
        M = H - self.mu * np.eye(self.d)
        M = M - 2.0 * np.outer(w, w @ M)  # Q M
        M = M - 2.0 * np.outer(M @ w, w)  # Q M Q
        T = M[1:, 1:]
        return 0.5 * (T + T.T)

    def matvec(self, y):
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if self.w is None:
            return self._hvp(y)
        w = self.w
        v = np.empty(self.d)
        v[0] = 0.0
        v[1:] = y
        v -= 2.0 * float(w @ v) * w  # tangent vector Q [0; y]
        h = self._hvp(v) - self.mu * v
        h -= 2.0 * float(w @ h) * w
        return h[1:]

    def operator(self):
        n = self.n
        return scipy.sparse.linalg.LinearOperator(
            (n, n), matvec=self.matvec, rmatvec=self.matvec, dtype=np.float64
        )


def check_surface(surface):
    """``surface``, refused unless it is a landscape Surface on a known manifold."""
    dim = getattr(surface, "dim", None)
    if not isinstance(dim, int) or not hasattr(surface, "value_and_grad"):
        raise ValueError(f"surface must be a landscape Surface, got {surface!r}")
    manifold(surface)
    return surface
