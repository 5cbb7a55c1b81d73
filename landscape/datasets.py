"""Small, seeded data sets for the course's examples."""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["classification", "regression", "teacher", "temperature"]


def temperature(
    days: int = 365, seed: int = 0, mean: float = 52.0, amplitude: float = 14.0, noise: float = 5.0
) -> np.ndarray:
    r"""A year of daily temperatures (°F), like the course's London example.

    .. math:: \theta_t = \text{mean} - \text{amplitude}\cos(2\pi t/365) + \text{noise}\,\xi_t

    with :math:`\xi_t \sim N(0,1)` from ``numpy.random.default_rng(seed)``:
    cold in January (about 38 °F), warm in July (about 66 °F), noisy from day
    to day.  In °F, as in the course, the year starts well away from 0, so an
    average that starts from v₀ = 0 without bias correction is visibly wrong
    for its first weeks.
    """
    days = V.integer("days", days, minimum=1)
    rng = np.random.default_rng(V.integer("seed", seed, minimum=0))
    t = np.arange(1, days + 1, dtype=np.float64)
    season = V.real("mean", mean) - V.real("amplitude", amplitude) * np.cos(2 * np.pi * t / 365.0)
    return season + V.nonnegative("noise", noise) * rng.standard_normal(days)


def _features(rng, m, features, scale):
    return V.positive("scale", scale) * rng.standard_normal((m, features))


def regression(
    m: int = 1024,
    features: int = 1,
    weight: float = 3.0,
    bias: float = -1.0,
    scale: float = 0.2,
    noise: float = 0.5,
    seed: int = 0,
):
    r"""A linear-regression data set ``(X, y)``: ``y = weight * sum_k x_k + bias + noise * xi``.

    ``X`` has shape ``(m, features)`` with independent :math:`N(0, \text{scale}^2)`
    entries (``numpy.random.default_rng(seed)``); ``weight`` may be a number
    or one per feature.
    """
    m = V.integer("m", m, minimum=1)
    features = V.integer("features", features, minimum=1)
    w = (
        V.vector("weight", weight, features)
        if np.ndim(weight)
        else np.full(features, V.real("weight", weight))
    )
    rng = np.random.default_rng(V.integer("seed", seed, minimum=0))
    X = _features(rng, m, features, scale)
    y = X @ w + V.real("bias", bias) + V.nonnegative("noise", noise) * rng.standard_normal(m)
    return X, y


def classification(
    m: int = 1024,
    features: int = 1,
    weight: float = 2.0,
    bias: float = -0.5,
    scale: float = 1.0,
    seed: int = 0,
):
    r"""A binary classification data set ``(X, y)`` drawn from the logistic model.

    :math:`P(y = 1 \mid x) = \sigma(\text{weight}\cdot\sum_k x_k + \text{bias})`, so the
    classes overlap and logistic regression has a finite minimum.
    """
    m = V.integer("m", m, minimum=1)
    features = V.integer("features", features, minimum=1)
    w = V.real("weight", weight)
    rng = np.random.default_rng(V.integer("seed", seed, minimum=0))
    X = _features(rng, m, features, scale)
    z = w * X.sum(axis=1) + V.real("bias", bias)
    y = (rng.random(m) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return X, y


def teacher(
    m: int = 512,
    weight: float = 1.5,
    out: float = 2.0,
    noise: float = 0.1,
    seed: int = 0,
):
    r"""Data from a one-unit tanh teacher: ``y = out * tanh(weight * x) + noise * xi``, ``x ~ N(0, 1)``."""
    m = V.integer("m", m, minimum=1)
    rng = np.random.default_rng(V.integer("seed", seed, minimum=0))
    X = rng.standard_normal((m, 1))
    y = V.real("out", out) * np.tanh(V.real("weight", weight) * X[:, 0])
    y = y + V.nonnegative("noise", noise) * rng.standard_normal(m)
    return X, y
