r"""Gradient-noise models for the fused engine.

:func:`gaussian` adds :math:`\sigma\,\xi` to every gradient coordinate at
every step, :math:`\xi \sim N(0, 1)` drawn by the counter-based generator
keyed by ``(seed, trajectory, step, coordinate)``.  With ``batch_size`` the
scale is :math:`\sigma/\sqrt{b}`, the standard deviation of a mean of ``b``
independent per-example gradient errors.  Trajectory ``i`` sees the same noise
under every optimizer of a run (common random numbers), which sharpens
comparisons between optimizers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import _validate as V

__all__ = ["Noise", "gaussian"]


@dataclass(frozen=True)
class Noise:
    """Additive Gaussian gradient noise of standard deviation ``scale``."""

    sigma: float
    batch_size: int | None = None

    @property
    def scale(self) -> float:
        """Effective standard deviation per coordinate."""
        return self.sigma / math.sqrt(self.batch_size) if self.batch_size else self.sigma

    def describe(self) -> dict:
        """Plain-data description (for saved configs)."""
        return {"kind": "gaussian", "sigma": self.sigma, "batch_size": self.batch_size}


def gaussian(sigma: float, batch_size: int | None = None) -> Noise:
    r"""Additive Gaussian gradient noise, :math:`\sigma` or :math:`\sigma/\sqrt{b}`."""
    s = V.nonnegative("sigma", sigma)
    b = None if batch_size is None else V.integer("batch_size", batch_size, minimum=1)
    return Noise(s, b)
