"""The :class:`Surface` record and helpers shared by every surface family.

A surface family is two Numba functions plus data:

``vg(X, G, F, P)``
    value and gradient for a *block* of points stored as structure of arrays:
    ``X`` has shape ``(d, n)`` (coordinate, lane), ``G`` the same shape,
    ``F`` shape ``(n,)``; ``P`` is a 1-D float array of the surface's numeric
    parameters.  Loops over lanes are innermost so LLVM vectorises them.  The
    same function serves a SIMD block on the CPU and a single lane (``n = 1``)
    on the GPU.
``hess(x, P, H)``
    the Hessian at one point ``x`` (shape ``(d,)``) written into ``H``
    (``(d, d)``).

Inside ``vg`` write every constant as ``cst(X, 2.0)`` (see
:mod:`landscape._typed`) and read parameters as ``cst(X, P[i])``: a bare float
literal is float64 in Numba and would promote a float32 kernel to float64.

Numeric parameters are data (``P``), never closure constants, so one compiled
kernel per family and dtype serves every parameter value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Surface"]


def _as_points(x, dim):
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != dim:
        raise ValueError(f"points must have last dimension {dim}, got shape {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class Surface:
    """A loss surface: compiled value/gradient/Hessian plus what is known about it.

    Attributes
    ----------
    name : str
        Registry name (``landscape.surfaces.<name>``).
    dim : int
        Dimension ``d`` of the parameter space.
    params : numpy.ndarray
        Numeric parameters, passed to the kernels as data.
    vg, hess : numba dispatchers
        Block value-and-gradient and point Hessian (see module docstring).
    minima, saddles, maxima : numpy.ndarray
        Known critical points, each of shape ``(k, d)`` (``k`` may be 0).
    bounds : numpy.ndarray
        A plotting box, shape ``(d, 2)`` (low, high per coordinate).
    formula : str
        The formula in LaTeX, for titles and documentation.
    kwargs : dict
        The keyword arguments the surface was built with (for reproducibility).
    finite_sum : FiniteSum or None
        For a model fitted to data (:mod:`landscape.surfaces.finite_sum`): the
        data and the per-example accumulator that mini-batches use.  ``vg``
        and ``hess`` are then the full-batch cost's.
    batched : object or None
        For high-dimensional surfaces whose gradient is matrix products
        (:mod:`landscape.surfaces.random`): an object with
        ``value_and_grad(X, G) -> F`` (``X``, ``G`` of shape ``(n, d)``, C
        order, float32 or float64, computed with BLAS in that dtype),
        ``hvp(x, v)`` and ``hessian(x)`` (float64, one point) and ``manifold``
        (None, or ``"sphere"``: the points live on ``|x|^2 = d``).
        :func:`landscape.simulate` runs these in the batched engine; ``vg``
        and ``hess`` may then be None.
    axes : tuple of str
        Names of the coordinates for axis labels (mathtext without ``$``),
        e.g. ``("x", "y")``; empty: ``x_1, x_2, ...``.
    """

    name: str
    dim: int
    params: np.ndarray
    vg: object
    hess: object
    minima: np.ndarray
    saddles: np.ndarray
    bounds: np.ndarray
    formula: str = ""
    maxima: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    kwargs: dict = field(default_factory=dict)
    finite_sum: object = None
    batched: object = None
    axes: tuple = ()

    # -- evaluation helpers (NumPy in, NumPy out; compile on first use) -------
    def value_and_grad(self, x):
        """Value and gradient at points ``x`` of shape ``(..., d)``."""
        pts = _as_points(x, self.dim)
        flat = pts.reshape(-1, self.dim)
        if self.batched is not None:
            Xb = np.ascontiguousarray(flat)
            Gb = np.empty_like(Xb)
            F = self.batched.value_and_grad(Xb, Gb)
            return np.asarray(F).reshape(pts.shape[:-1]), Gb.reshape(pts.shape)
        X = np.ascontiguousarray(flat.T)
        G = np.empty_like(X)
        F = np.empty(X.shape[1])
        self.vg(X, G, F, self.params)
        return F.reshape(pts.shape[:-1]), G.T.reshape(pts.shape)

    def value(self, x):
        """Loss at points ``x`` of shape ``(..., d)``; returns shape ``(...)``."""
        return self.value_and_grad(x)[0]

    def grad(self, x):
        """Gradient at points ``x`` of shape ``(..., d)``."""
        return self.value_and_grad(x)[1]

    def hvp(self, x, v):
        """Hessian-vector product at one point ``x`` (float64, shape ``(d,)``)."""
        x = np.ascontiguousarray(_as_points(x, self.dim), dtype=np.float64).reshape(self.dim)
        v = np.ascontiguousarray(_as_points(v, self.dim), dtype=np.float64).reshape(self.dim)
        if self.batched is not None:
            return np.asarray(self.batched.hvp(x, v), dtype=np.float64)
        return self.hessian(x) @ v

    def hessian(self, x):
        """Hessian at one point ``x`` (shape ``(d,)``) or a stack ``(..., d)``."""
        pts = _as_points(x, self.dim)
        flat = pts.reshape(-1, self.dim)
        out = np.empty((flat.shape[0], self.dim, self.dim))
        for i in range(flat.shape[0]):
            if self.batched is not None:
                out[i] = self.batched.hessian(np.ascontiguousarray(flat[i]))
            else:
                self.hess(np.ascontiguousarray(flat[i]), self.params, out[i])
        return out.reshape(pts.shape + (self.dim,))

    @property
    def label(self) -> str:
        """Readable name with parameters, e.g. ``rosenbrock(a=1, b=100)``."""
        if not self.kwargs:
            return self.name
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self.kwargs.items())
        return f"{self.name}({inner})"

    def __repr__(self) -> str:
        return f"<Surface {self.label} dim={self.dim}>"


def _fmt(v):
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, np.ndarray) and v.size > 16:
        return f"<{'x'.join(map(str, v.shape))} array>"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=3, separator=",", max_line_width=10**6).replace(
            "\n", ""
        )
    return repr(v) if isinstance(v, str) else str(v)


def points(rows, dim):
    """Known critical points as a float ``(k, dim)`` array (``k`` may be 0)."""
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, dim) if len(rows) else np.zeros((0, dim))
    return arr


def box(dim, low, high):
    """A plotting box of shape ``(dim, 2)``."""
    b = np.empty((dim, 2))
    b[:, 0] = low
    b[:, 1] = high
    return b
