"""Small, seeded data sets for the course's examples."""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["temperature"]


def temperature(
    days: int = 365, seed: int = 0, mean: float = 10.0, amplitude: float = 8.0, noise: float = 3.0
) -> np.ndarray:
    r"""A year of daily temperatures (°C), like the course's London example.

    .. math:: \theta_t = \text{mean} - \text{amplitude}\cos(2\pi t/365) + \text{noise}\,\xi_t

    with :math:`\xi_t \sim N(0,1)` from ``numpy.random.default_rng(seed)``:
    cold in January, warm in July, noisy from day to day.
    """
    days = V.integer("days", days, minimum=1)
    rng = np.random.default_rng(V.integer("seed", seed, minimum=0))
    t = np.arange(1, days + 1, dtype=np.float64)
    season = V.real("mean", mean) - V.real("amplitude", amplitude) * np.cos(2 * np.pi * t / 365.0)
    return season + V.nonnegative("noise", noise) * rng.standard_normal(days)
