r"""The p-spin theory: threshold and ground-state energies per spin as ``N`` grows."""

from __future__ import annotations

import math
from typing import NamedTuple

from ... import _validate as V

__all__ = ["PSpinEnergies", "pspin_energies"]


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
    from scipy.optimize import brentq  # here, not at the top: it doubles import time

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
