r"""Hessian spectra at one point (exact or Lanczos) and the saddle index.

See :mod:`landscape.analysis` for the zero rule and the sphere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from .. import _validate as V
from ._frame import Frame, check_surface, point

__all__ = [
    "DEFAULT_K",
    "EXACT_MAX_DIM",
    "LANCZOS_FALLBACK_MAX_DIM",
    "METHODS",
    "WHICH",
    "Index",
    "Spectrum",
    "check_options",
    "frame_spectrum",
    "hessian_spectrum",
    "index",
]

#: ``method="auto"`` uses the exact eigendecomposition up to this dimension
#: (of the tangent space on the sphere) and Lanczos above it.
EXACT_MAX_DIM = 1000

#: Default number of eigenvalues Lanczos computes at each requested end.
DEFAULT_K = 20

#: Largest dimension at which a Lanczos run that does not converge falls back to eigh.
LANCZOS_FALLBACK_MAX_DIM = 4000

METHODS = ("auto", "exact", "lanczos")
WHICH = ("smallest", "largest", "both")


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


def _resolve_method(method, n):
    V.choice("method", method, METHODS)
    if method == "auto":
        return "exact" if n <= EXACT_MAX_DIM else "lanczos"
    return method


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


def frame_spectrum(frame, method, k, which, seed, maxiter) -> Spectrum:
    """The :class:`Spectrum` of a :class:`~landscape.analysis._frame.Frame` (arguments checked).

    As :func:`hessian_spectrum`, for a Hessian already set up at its point;
    a Lanczos run that does not converge falls back to the exact spectrum up
    to :data:`LANCZOS_FALLBACK_MAX_DIM` dimensions.
    """
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


def check_options(method, which, seed, maxiter) -> None:
    """Refuse a bad ``method``, ``which``, ``seed`` or ``maxiter`` (as :func:`hessian_spectrum` takes them)."""
    V.choice("method", method, METHODS)
    V.choice("which", which, WHICH)
    V.integer("seed", seed, minimum=0)
    if maxiter is not None:
        V.integer("maxiter", maxiter, minimum=1)


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
    surface = check_surface(surface)
    check_options(method, which, seed, maxiter)
    x = point("x", x, surface.dim)
    return frame_spectrum(Frame(surface, x), method, k, which, seed, maxiter)


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
