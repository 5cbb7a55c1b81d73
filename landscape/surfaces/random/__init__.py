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
:data:`~landscape.surfaces.random.protocol.WORK_BYTES`; the chunk buffer is kept between calls (one per dtype,
see :meth:`clear_workspace`).  ``hvp(x, v)`` and ``hessian(x)`` work in
float64 at one point.  ``manifold`` is None, or ``"sphere"`` for ``pspin``.

Every random draw comes from ``numpy.random.default_rng(seed)`` in the order
documented by each constructor, so the same arguments give the same surface
and ``make(surface.name, **surface.kwargs)`` rebuilds it.

Modules: :mod:`.protocol` (the batched contract, chunking and work buffers),
:mod:`._trig` (the compiled sin/cos kernel of the random features),
:mod:`.field` (``gaussian_field``), :mod:`.spin_glass` (``pspin``),
:mod:`.pspin_theory` (``pspin_energies``) and :mod:`.rotated`
(``random_quadratic``, ``random_strict_saddle``).
"""

from .field import RandomFeatures, gaussian_field
from .protocol import WORK_BYTES
from .pspin_theory import PSpinEnergies, pspin_energies
from .rotated import RotatedQuadratic, RotatedStrictSaddle, random_quadratic, random_strict_saddle
from .spin_glass import PSPIN_MAX_ENTRIES, PSpin, energy_per_spin, pspin

__all__ = [
    "PSPIN_MAX_ENTRIES",
    "WORK_BYTES",
    "PSpin",
    "PSpinEnergies",
    "RandomFeatures",
    "RotatedQuadratic",
    "RotatedStrictSaddle",
    "energy_per_spin",
    "gaussian_field",
    "pspin",
    "pspin_energies",
    "random_quadratic",
    "random_strict_saddle",
]
