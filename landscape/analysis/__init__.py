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
  eigenvalues, as a tidy :class:`~landscape.table.Table`.
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

Modules
-------
:mod:`.spectra` (:func:`hessian_spectrum`, :func:`index`, :class:`Spectrum`,
:class:`Index`), :mod:`.slq` (:func:`estimate_index`), :mod:`.endpoints`
(:func:`classify`, :func:`spectra_along`) and :mod:`._frame` (the Hessian at
one point as a matrix or an operator, Riemannian on the sphere).
"""

from .endpoints import LABELS, classify, spectra_along
from .slq import estimate_index
from .spectra import (
    DEFAULT_K,
    EXACT_MAX_DIM,
    LANCZOS_FALLBACK_MAX_DIM,
    METHODS,
    WHICH,
    Index,
    Spectrum,
    hessian_spectrum,
    index,
)

__all__ = [
    "DEFAULT_K",
    "EXACT_MAX_DIM",
    "LABELS",
    "LANCZOS_FALLBACK_MAX_DIM",
    "METHODS",
    "WHICH",
    "Index",
    "Spectrum",
    "classify",
    "estimate_index",
    "hessian_spectrum",
    "index",
    "spectra_along",
]
