r"""Hessian spectra, saddle index and the classification of endpoints.

Where did the optimizers stop, and what kind of point is it?

* :func:`hessian_spectrum` — eigenvalues of the Hessian at one point:
  ``"exact"`` (all ``d`` of them, :func:`scipy.linalg.eigh` of the
  symmetrised ``surface.hessian(x)``) or ``"lanczos"`` (the ``k`` smallest
  and/or largest, :func:`scipy.sparse.linalg.eigsh` on a
  :class:`~scipy.sparse.linalg.LinearOperator` whose product is
  ``surface.hvp(x, v)``, from a seeded start vector).  ``"auto"`` is exact
  up to :data:`EXACT_MAX_DIM` dimensions.
* :func:`index` — the saddle index: the number and fraction of negative
  eigenvalues.  From Lanczos' ``k`` smallest it is exact when the ``k``-th
  smallest is not negative, a lower bound otherwise (:attr:`Index.exact`).
* :func:`estimate_index` — the fraction of negative eigenvalues for very
  large ``d``, by stochastic Lanczos quadrature (an estimate with a
  standard error, not a bound).
* :func:`classify` — for each endpoint (rows of an array, or a
  :class:`~landscape.Result`'s final points): value, gradient norm,
  critical or not, ``"min"``, ``"saddle"``, ``"max"``, ``"degenerate"``,
  ``"not critical"`` or ``"diverged"``, the index and the extreme
  eigenvalues, as a tidy :class:`~landscape.escape.Table`.
* :func:`spectra_along` — the same at the recorded frames of one trajectory.

Zero eigenvalues
----------------
An eigenvalue counts as zero when ``|λ| <= tol · max(1, max|λ|)`` (the rule of
:func:`landscape.surfaces._critical.classify`): relative to the spectrum's
largest magnitude, absolute below 1.  A point is a minimum when every
eigenvalue is positive beyond that, a maximum when every one is negative, a
saddle when both signs occur (whatever the zeros), degenerate otherwise.  Only
:math:`\lambda_{\min}` and :math:`\lambda_{\max}` decide the label, so it is
exact with Lanczos too (which always computes both).

The sphere
----------
On a surface whose ``batched.manifold`` is ``"sphere"`` (the spherical
p-spin model: points with :math:`|\sigma|^2 = N = d`) the relevant objects
are Riemannian.  With :math:`P = I - \sigma\sigma^\top/|\sigma|^2`:

* gradient :math:`P\nabla H` (its norm decides criticality);
* Hessian :math:`P\,(\nabla^2 H - \mu I)\,P` with
  :math:`\mu = \sigma\cdot\nabla H/|\sigma|^2`, restricted to the
  :math:`(d-1)`-dimensional tangent space: the radial direction, on which
  the projected matrix is 0, is not an eigenvalue.  Both methods work in an
  orthonormal tangent basis (the last :math:`d-1` columns of the Householder
  reflection that maps :math:`\sigma/|\sigma|` to :math:`\pm e_1`): exact
  forms the :math:`(d-1)\times(d-1)` matrix, Lanczos maps each vector into
  the tangent space, applies ``hvp`` and maps back, so the operator is
  :math:`(d-1)`-dimensional and the radial direction is deflated exactly.

The index and :attr:`Spectrum.dim` then refer to :math:`d-1`.  :math:`|\sigma|`
is taken from the point itself (the sphere through ``x``; :math:`\sqrt d` for
the surface's points).  At an eigenvector of :math:`B` on the sphere, for
:math:`H = \tfrac12\sigma^\top B\sigma`, the Riemannian Hessian has the
eigenvalues :math:`\lambda_i(B) - \lambda_j(B)`, so the ``j``-th smallest
eigenvector is a critical point of index ``j - 1``.

Cost
----
Exact: one ``(d, d)`` Hessian and an :math:`O(d^3)` eigendecomposition per
point.  Lanczos: a few hundred Hessian-vector products (``batched.hvp`` on
high-dimensional surfaces; compiled surfaces form their Hessian once per point
and multiply by it).  Lanczos resolves well-separated ends of the spectrum
to machine precision; exactly repeated eigenvalues (a multiplicity above
one) may converge slowly, so prefer ``"exact"`` where it is affordable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from . import _validate as V
from .table import Table
from .results import Result

__all__ = [
    "EXACT_MAX_DIM",
    "Index",
    "Spectrum",
    "classify",
    "estimate_index",
    "hessian_spectrum",
    "index",
    "spectra_along",
]

#: ``method="auto"`` uses the exact eigendecomposition up to this dimension
#: (of the tangent space on the sphere) and Lanczos above it.
EXACT_MAX_DIM = 1000

#: Default number of eigenvalues Lanczos computes at each requested end.
DEFAULT_K = 20

METHODS = ("auto", "exact", "lanczos")
WHICH = ("smallest", "largest", "both")
LABELS = ("min", "saddle", "max", "degenerate", "not critical", "diverged")


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Index:
    """The saddle index at a point.

    Attributes
    ----------
    count : int
        Negative eigenvalues (``< -threshold``) found.
    fraction : float
        ``count / dim``.
    exact : bool
        True when ``count`` is the index; False when it is a lower bound (all
        ``k`` smallest Lanczos eigenvalues were negative) or an estimate
        (``method == "slq"``).
    dim : int
        Dimension of the space (``d``, or ``d - 1`` on the sphere).
    n_zero : int
        Eigenvalues within ``±threshold`` found (a lower bound unless the
        spectrum is complete or the largest computed one is above it).
    threshold : float
        The zero threshold ``tol · max(1, max|λ|)``.
    method : str
        ``"exact"``, ``"lanczos"`` or ``"slq"``.
    stderr : float or None
        Standard error of ``fraction`` over the probes (``"slq"`` only).
    """

    count: int
    fraction: float
    exact: bool
    dim: int
    n_zero: int
    threshold: float
    method: str
    stderr: float | None = None


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Hessian eigenvalues at one point (Riemannian on the sphere).

    Attributes
    ----------
    smallest : ndarray
        The lowest eigenvalues computed, ascending (all ``dim`` of them for
        the exact method).
    largest : ndarray
        The highest eigenvalues computed, ascending (all of them for exact).
    dim : int
        Dimension of the space (``d``, or ``d - 1`` on the sphere).
    method : str
        ``"exact"`` or ``"lanczos"``.
    manifold : str or None
        ``None`` (flat) or ``"sphere"``.
    """

    smallest: np.ndarray
    largest: np.ndarray
    dim: int
    method: str
    manifold: str | None = None

    @property
    def complete(self) -> bool:
        """True when every eigenvalue was computed."""
        return self.smallest.size == self.dim

    @property
    def eigenvalues(self) -> np.ndarray:
        """All computed eigenvalues, ascending (the full spectrum when :attr:`complete`)."""
        if self.complete:
            return self.smallest
        return np.sort(np.concatenate([self.smallest, self.largest]))

    @property
    def lambda_min(self) -> float:
        """Smallest eigenvalue."""
        return float(self.smallest[0])

    @property
    def lambda_max(self) -> float:
        """Largest eigenvalue."""
        return float(self.largest[-1])

    def threshold(self, tol: float = 1e-8) -> float:
        """Zero threshold: ``tol · max(1, max|λ|)``."""
        tol = V.nonnegative("tol", tol)
        scale = max(abs(self.lambda_min), abs(self.lambda_max))
        return tol * max(1.0, scale)

    def index(self, tol: float = 1e-8) -> Index:
        """The saddle index from the computed eigenvalues (see :class:`Index`)."""
        z = self.threshold(tol)
        low = self.smallest
        count = int(np.count_nonzero(low < -z))
        n_zero = int(np.count_nonzero(np.abs(low) <= z))
        exact = self.complete or bool(low[-1] >= -z)
        return Index(
            count=count,
            fraction=count / self.dim,
            exact=exact,
            dim=self.dim,
            n_zero=n_zero,
            threshold=z,
            method=self.method,
        )

    def label(self, tol: float = 1e-8) -> str:
        """``"min"``, ``"saddle"``, ``"max"`` or ``"degenerate"`` (the gradient is not looked at)."""
        z = self.threshold(tol)
        lo, hi = self.lambda_min, self.lambda_max
        if lo < -z and hi > z:
            return "saddle"
        if lo > z:
            return "min"
        if hi < -z:
            return "max"
        return "degenerate"


# --------------------------------------------------------------------------
# the (Riemannian) Hessian at one point
# --------------------------------------------------------------------------
def _manifold(surface):
    batched = getattr(surface, "batched", None)
    m = getattr(batched, "manifold", None) if batched is not None else None
    if m not in (None, "sphere"):
        raise ValueError(f"surface manifold must be one of [None, 'sphere'], got {m!r}")
    return m


def _point(name, x, dim):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a point of {dim} numbers, got {x!r}") from None
    if arr.shape != (dim,):
        raise ValueError(f"{name} must have shape ({dim},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return np.ascontiguousarray(arr)


class _Frame:
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
        self.manifold = _manifold(surface)
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


def _resolve_method(method, n):
    V.choice("method", method, METHODS)
    if method == "auto":
        return "exact" if n <= EXACT_MAX_DIM else "lanczos"
    return method


#: Largest dimension at which a Lanczos run that does not converge falls back to eigh.
LANCZOS_FALLBACK_MAX_DIM = 4000


def _check_k(k, n, which):
    if n < 2:
        raise ValueError(f"method='lanczos' needs dimension >= 2, got {n}; use method='exact'")
    if k is None:
        k = min(DEFAULT_K, n - 1)
        if which == "both":
            k = min(k, n // 2)
    k = V.integer("k", k, minimum=1)
    if k >= n:
        raise ValueError(f"k must be < {n} (the dimension) with method='lanczos', got {k!r}")
    if which == "both" and 2 * k > n:
        raise ValueError(f"k must be <= {n // 2} (half the dimension) with which='both', got {k!r}")
    return k


def _eigsh(frame, k, which, seed, maxiter):
    rng = np.random.default_rng(seed)
    v0 = rng.standard_normal(frame.n)
    try:
        vals = scipy.sparse.linalg.eigsh(
            frame.operator(), k=k, which=which, v0=v0, maxiter=maxiter, return_eigenvectors=False
        )
    except scipy.sparse.linalg.ArpackNoConvergence as exc:
        raise RuntimeError(
            f"Lanczos ({which}, k={k}) did not converge at this point: "
            f"{len(exc.eigenvalues)} of {k} eigenvalues; raise maxiter or use method='exact'"
        ) from None
    return np.sort(vals)


def _spectrum(frame, method, k, which, seed, maxiter):
    method = _resolve_method(method, frame.n)
    if method == "exact":
        if frame.n == 0:
            raise ValueError("the space has dimension 0: no Hessian spectrum")
        ev = scipy.linalg.eigh(frame.dense(), eigvals_only=True)
        ev = np.sort(ev)
        return Spectrum(ev, ev, frame.n, "exact", frame.manifold)
    k = _check_k(k, frame.n, which)
    try:
        low = _eigsh(frame, k if which != "largest" else 1, "SA", seed, maxiter)
        high = _eigsh(frame, k if which != "smallest" else 1, "LA", seed, maxiter)
    except RuntimeError:
        # Lanczos finds one copy of an exactly repeated eigenvalue per start
        # vector, so highly degenerate spectra may not converge: fall back to
        # the exact spectrum where that is affordable
        if frame.n > LANCZOS_FALLBACK_MAX_DIM:
            raise
        ev = np.sort(scipy.linalg.eigh(frame.dense(), eigvals_only=True))
        return Spectrum(ev, ev, frame.n, "exact", frame.manifold)
    return Spectrum(low, high, frame.n, "lanczos", frame.manifold)


def _check_common(method, which, seed, maxiter):
    V.choice("method", method, METHODS)
    V.choice("which", which, WHICH)
    V.integer("seed", seed, minimum=0)
    if maxiter is not None:
        V.integer("maxiter", maxiter, minimum=1)


def _check_surface(surface):
    dim = getattr(surface, "dim", None)
    if not isinstance(dim, int) or not hasattr(surface, "value_and_grad"):
        raise ValueError(f"surface must be a landscape Surface, got {surface!r}")
    _manifold(surface)
    return surface


def hessian_spectrum(
    surface,
    x,
    *,
    method: str = "auto",
    k: int | None = None,
    which: str = "smallest",
    seed: int = 0,
    maxiter: int | None = None,
) -> Spectrum:
    """Eigenvalues of the Hessian of ``surface`` at ``x`` (Riemannian on the sphere).

    Parameters
    ----------
    surface : Surface
    x : array (d,)
        The point.
    method : {"auto", "exact", "lanczos"}
        ``"exact"``: all eigenvalues (:func:`scipy.linalg.eigh`);
        ``"lanczos"``: :func:`scipy.sparse.linalg.eigsh` on Hessian-vector
        products; ``"auto"``: exact when the dimension is at most
        :data:`EXACT_MAX_DIM`.  A Lanczos run that does not converge (exactly
        repeated eigenvalues stall it: it finds one copy per start vector)
        falls back to the exact spectrum up to
        :data:`LANCZOS_FALLBACK_MAX_DIM` dimensions, and raises above.
    k : int, optional
        Lanczos only: eigenvalues to compute at each requested end (default
        ``min(20, dim - 1)``; ``k < dim``).
    which : {"smallest", "largest", "both"}
        Lanczos only: the ``k`` smallest (plus the largest one), the ``k``
        largest (plus the smallest one) or both ends.
    seed : int
        Seeds Lanczos' start vector (reproducible results).
    maxiter : int, optional
        Lanczos restarts (:func:`~scipy.sparse.linalg.eigsh`'s ``maxiter``).

    Returns
    -------
    Spectrum
    """
    surface = _check_surface(surface)
    _check_common(method, which, seed, maxiter)
    x = _point("x", x, surface.dim)
    return _spectrum(_Frame(surface, x), method, k, which, seed, maxiter)


def index(
    surface,
    x,
    *,
    method: str = "auto",
    k: int | None = None,
    tol: float = 1e-8,
    seed: int = 0,
    maxiter: int | None = None,
) -> Index:
    """The saddle index at ``x``: negative eigenvalues, their fraction, exact or a lower bound.

    With Lanczos the negatives are counted among the ``k`` smallest; the count
    is exact when the ``k``-th smallest is ``>= -threshold`` (see
    :class:`Index`), a lower bound otherwise: raise ``k``, or use
    :func:`estimate_index` for the fraction at very large ``d``.
    Other parameters as :func:`hessian_spectrum`; ``tol`` sets the zero
    threshold (module docstring).
    """
    V.nonnegative("tol", tol)
    return hessian_spectrum(surface, x, method=method, k=k, seed=seed, maxiter=maxiter).index(tol)


def estimate_index(
    surface,
    x,
    *,
    probes: int = 20,
    steps: int = 60,
    tol: float = 1e-8,
    seed: int = 0,
) -> Index:
    r"""Estimate the fraction of negative eigenvalues by stochastic Lanczos quadrature.

    For each of ``probes`` Rademacher vectors ``v``, ``steps`` Lanczos steps
    (fully reorthogonalised) from ``v`` give Ritz values :math:`\theta_i` and
    weights :math:`\tau_i` (squared first components of the tridiagonal
    matrix's eigenvectors); :math:`\sum_i \tau_i [\theta_i < -z]` estimates
    :math:`v^\top 1[\nabla^2 H < 0] v/|v|^2`, whose mean is the fraction of
    negative eigenvalues.  The estimate has a probe error of about
    ``stderr`` and a quadrature error of order ``1/steps`` (the step function
    is smoothed over the gaps between Ritz values), so it suits the large-``d``
    fraction, not a small index.  ``count`` is ``round(fraction · dim)``;
    ``exact`` is False; ``n_zero`` is 0 (not estimated).

    Memory: ``steps × dim`` floats per probe.
    """
    surface = _check_surface(surface)
    probes = V.integer("probes", probes, minimum=1)
    steps = V.integer("steps", steps, minimum=2)
    V.nonnegative("tol", tol)
    V.integer("seed", seed, minimum=0)
    x = _point("x", x, surface.dim)
    frame = _Frame(surface, x)
    n = frame.n
    if n == 0:
        raise ValueError("the space has dimension 0: no Hessian spectrum")
    rng = np.random.default_rng(seed)
    nodes, weights = [], []
    for _ in range(probes):
        v = rng.integers(0, 2, size=n).astype(np.float64) * 2.0 - 1.0
        th, tau = _lanczos_quadrature(frame.matvec, v, min(steps, n))
        nodes.append(th)
        weights.append(tau)
    scale = max(float(np.max(np.abs(th))) for th in nodes)
    z = tol * max(1.0, scale)
    per = np.array([float(np.sum(tau[th < -z])) for th, tau in zip(nodes, weights, strict=True)])
    frac = float(per.mean())
    se = float(per.std(ddof=1) / math.sqrt(probes)) if probes > 1 else float("nan")
    return Index(
        count=int(round(frac * n)),
        fraction=frac,
        exact=False,
        dim=n,
        n_zero=0,
        threshold=z,
        method="slq",
        stderr=se,
    )


def _lanczos_quadrature(matvec, v, m):
    """Ritz values and Gauss weights of ``m`` Lanczos steps from ``v``."""
    n = v.size
    Q = np.empty((m, n))
    alpha = np.empty(m)
    beta = np.empty(m)
    Q[0] = v / np.linalg.norm(v)
    size = m
    for j in range(m):
        w = matvec(Q[j])
        alpha[j] = float(Q[j] @ w)
        # full reorthogonalisation (twice is enough)
        for _ in range(2):
            w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        if j == m - 1:
            break
        b = float(np.linalg.norm(w))
        if not b > 1e-12 * max(1.0, float(np.max(np.abs(alpha[: j + 1])))):
            size = j + 1  # invariant subspace found: the quadrature is exact
            break
        beta[j] = b
        Q[j + 1] = w / b
    theta, S = scipy.linalg.eigh_tridiagonal(alpha[:size], beta[: size - 1])
    return theta, S[0] ** 2


# --------------------------------------------------------------------------
# endpoints and trajectories
# --------------------------------------------------------------------------
_COLUMNS = [
    "value",
    "grad_norm",
    "critical",
    "label",
    "index",
    "n_negative",
    "index_exact",
    "lambda_min",
    "lambda_max",
    "dim",
    "method",
]


def _empty_row():
    nan = float("nan")
    return {
        "value": nan,
        "grad_norm": nan,
        "critical": False,
        "label": "diverged",
        "index": nan,
        "n_negative": None,
        "index_exact": None,
        "lambda_min": nan,
        "lambda_max": nan,
        "dim": None,
        "method": None,
    }


def _analyse(surface, pts, flags, opts, keep):
    """Rows (and spectra) for the points ``pts`` ``(m, d)``; ``flags``: diverged already."""
    method, k, which, seed, maxiter, tol, gtol = opts
    ok = ~flags & np.all(np.isfinite(pts), axis=1)
    rows, spectra = [], []
    vals = np.full(pts.shape[0], np.nan)
    grads = np.full(pts.shape, np.nan)
    if np.any(ok):
        with np.errstate(all="ignore"):
            vals[ok], grads[ok] = surface.value_and_grad(pts[ok])
    for i in range(pts.shape[0]):
        row = _empty_row()
        if not ok[i] or not (np.isfinite(vals[i]) and np.all(np.isfinite(grads[i]))):
            rows.append(row)
            spectra.append(None)
            continue
        frame = _Frame(surface, np.ascontiguousarray(pts[i]), vals[i], grads[i])
        spec = _spectrum(frame, method, k, which, seed, maxiter)
        idx = spec.index(tol)
        gn = frame.grad_norm
        crit = bool(gn <= gtol)
        row.update(
            value=frame.value,
            grad_norm=gn,
            critical=crit,
            label=spec.label(tol) if crit else "not critical",
            index=idx.fraction,
            n_negative=idx.count,
            index_exact=idx.exact,
            lambda_min=spec.lambda_min,
            lambda_max=spec.lambda_max,
            dim=spec.dim,
            method=spec.method,
        )
        rows.append(row)
        spectra.append(spec if keep else None)
    return rows, spectra


def _options(method, k, which, seed, maxiter, tol, gtol):
    _check_common(method, which, seed, maxiter)
    tol = V.nonnegative("tol", tol)
    gtol = V.nonnegative("gtol", gtol)
    if k is not None:
        V.integer("k", k, minimum=1)
    return (method, k, which, seed, maxiter, tol, gtol)


def _optimizer(result, optimizer):
    if optimizer is None:
        if result.n_optimizers != 1:
            raise ValueError(
                f"optimizer must be one of {list(result.names)} (the result has "
                f"{result.n_optimizers} optimizers), got None"
            )
        return 0
    if isinstance(optimizer, str):
        if optimizer not in result.names:
            raise ValueError(f"optimizer must be one of {list(result.names)}, got {optimizer!r}")
        return list(result.names).index(optimizer)
    if isinstance(optimizer, (int, np.integer)) and not isinstance(optimizer, bool):
        if 0 <= int(optimizer) < result.n_optimizers:
            return int(optimizer)
        raise ValueError(
            f"optimizer must be a name in {list(result.names)} or a position in "
            f"[0, {result.n_optimizers}), got {optimizer!r}"
        )
    raise ValueError(f"optimizer must be one of {list(result.names)}, got {optimizer!r}")


def _result_surface(surface, result):
    if surface is None:
        surface = result.surface
        if surface is None:
            raise ValueError("surface must be given: this Result has no surface, got None")
    return _check_surface(surface)


def classify(
    surface,
    points,
    *,
    optimizer=None,
    gtol: float = 1e-6,
    tol: float = 1e-8,
    method: str = "auto",
    k: int | None = None,
    which: str = "smallest",
    seed: int = 0,
    maxiter: int | None = None,
    keep_spectra: bool = False,
):
    """Classify endpoints as minima, saddles, maxima, degenerate or not critical.

    Parameters
    ----------
    surface : Surface or None
        None takes the Result's surface.
    points : array (m, d) or (d,), or Result
        The points; a :class:`~landscape.Result` gives the final points of
        ``optimizer`` (its trajectories that diverged are labelled
        ``"diverged"``).
    optimizer : str or int, optional
        With a Result: which optimizer (name or position; optional when
        there is only one).
    gtol : float
        A point is critical when its gradient's Euclidean norm (Riemannian
        on the sphere) is ``<= gtol``.
    tol : float
        Zero threshold for eigenvalues (module docstring).
    method, k, which, seed, maxiter
        As :func:`hessian_spectrum` (per point).
    keep_spectra : bool
        Also return the :class:`Spectrum` of every point (None where
        diverged).

    Returns
    -------
    Table
        One row per point.  Columns: ``point`` (row number) or ``optimizer``
        and ``trajectory``; ``value``, ``grad_norm``, ``critical``, ``label``
        (``"min"``, ``"saddle"``, ``"max"``, ``"degenerate"``, ``"not
        critical"``, or ``"diverged"`` for a diverged trajectory or a
        non-finite point, whose other columns are empty), ``index``
        (fraction of negative eigenvalues), ``n_negative``, ``index_exact``
        (False: a Lanczos lower bound), ``lambda_min``, ``lambda_max``,
        ``dim`` (``d``, or ``d - 1`` on the sphere), ``method``.  A
        non-critical point still gets its index and eigenvalues.  With
        ``keep_spectra=True`` returns ``(table, spectra)``.
    """
    opts = _options(method, k, which, seed, maxiter, tol, gtol)
    if isinstance(points, Result):
        result = points
        surface = _result_surface(surface, result)
        o = _optimizer(result, optimizer)
        pts = np.asarray(result.final[o], dtype=np.float64)
        flags = np.asarray(result.diverged[o]) >= 0
        lead = [{"optimizer": result.names[o], "trajectory": j} for j in range(pts.shape[0])]
        cols = ["optimizer", "trajectory"]
    else:
        surface = _check_surface(surface)
        if optimizer is not None:
            raise ValueError(f"optimizer must be None unless points is a Result, got {optimizer!r}")
        try:
            pts = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"points must be an (m, {surface.dim}) array or a Result, got {points!r}"
            ) from None
        if pts.ndim == 1:
            pts = pts.reshape(1, -1)
        if pts.ndim != 2 or pts.shape[1] != surface.dim:
            raise ValueError(
                f"points must have shape (m, {surface.dim}) or ({surface.dim},), got shape "
                f"{np.shape(points)}"
            )
        flags = np.zeros(pts.shape[0], dtype=bool)
        lead = [{"point": i} for i in range(pts.shape[0])]
        cols = ["point"]
    rows, spectra = _analyse(surface, pts, flags, opts, keep_spectra)
    table = Table([{**a, **r} for a, r in zip(lead, rows, strict=True)], cols + _COLUMNS)
    return (table, spectra) if keep_spectra else table


def spectra_along(
    result,
    optimizer=None,
    trajectory: int = 0,
    *,
    every: int = 1,
    surface=None,
    gtol: float = 1e-6,
    tol: float = 1e-8,
    method: str = "auto",
    k: int | None = None,
    which: str = "smallest",
    seed: int = 0,
    maxiter: int | None = None,
    keep_spectra: bool = False,
):
    """Spectrum, index and label at the recorded frames of one trajectory.

    Frames ``0, every, 2·every, ...`` of ``result.positions[o, trajectory]``
    (``simulate`` with ``record_every > 0``; ``trajectory`` below the number
    recorded).  Frames at or after the step the trajectory diverged are
    labelled ``"diverged"``.  Other parameters as :func:`classify`.

    Returns
    -------
    Table
        Columns ``optimizer``, ``trajectory``, ``frame``, ``step``, then
        those of :func:`classify`; ``(table, spectra)`` with
        ``keep_spectra=True`` (e.g. ``np.array([s.smallest for s in
        spectra])`` for the evolution of the smallest eigenvalues).
    """
    if not isinstance(result, Result):
        raise ValueError(f"result must be a landscape Result, got {type(result).__name__}")
    opts = _options(method, k, which, seed, maxiter, tol, gtol)
    surface = _result_surface(surface, result)
    o = _optimizer(result, optimizer)
    n_rec, n_frames = result.positions.shape[1], result.positions.shape[2]
    if n_frames == 0 or n_rec == 0:
        raise ValueError(
            "result must have recorded frames (simulate with record_every > 0), got none"
        )
    trajectory = V.integer("trajectory", trajectory, minimum=0)
    if trajectory >= n_rec:
        raise ValueError(
            f"trajectory must be < {n_rec} (trajectories recorded), got {trajectory!r}"
        )
    every = V.integer("every", every, minimum=1)
    frames = np.arange(0, n_frames, every)
    pts = np.asarray(result.positions[o, trajectory, frames], dtype=np.float64)
    steps = np.asarray(result.frame_steps)[frames]
    div = int(result.diverged[o, trajectory])
    flags = (steps >= div) if div >= 0 else np.zeros(frames.size, dtype=bool)
    rows, spectra = _analyse(surface, pts, flags, opts, keep_spectra)
    lead = [
        {"optimizer": result.names[o], "trajectory": trajectory, "frame": int(f), "step": int(s)}
        for f, s in zip(frames, steps, strict=True)
    ]
    cols = ["optimizer", "trajectory", "frame", "step"] + _COLUMNS
    table = Table([{**a, **r} for a, r in zip(lead, rows, strict=True)], cols)
    return (table, spectra) if keep_spectra else table
