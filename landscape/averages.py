r"""Exponentially weighted averages, with and without bias correction.

.. math:: v_0 = 0,\qquad v_t = \beta v_{t-1} + (1-\beta)\,\theta_t,\qquad
          \hat v_t = \frac{v_t}{1-\beta^t}

:math:`v_t` averages over roughly the last :math:`1/(1-\beta)` values (weights
fall to :math:`1/e` after that many steps, since :math:`\beta^{1/(1-\beta)}
\approx 1/e`).  Starting from :math:`v_0 = 0` biases early values towards 0;
dividing by :math:`1-\beta^t` removes the bias (the weights then sum to 1).
"""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["ewa", "ewa_window"]


def ewa(theta, beta: float, bias_correction: bool = False) -> np.ndarray:
    r"""Exponentially weighted average of the series ``theta`` along axis 0.

    Parameters
    ----------
    theta : array_like, shape (T, ...)
        The series :math:`\theta_1 \ldots \theta_T` (extra axes are averaged
        independently).
    beta : float in [0, 1)
    bias_correction : bool
        Return :math:`v_t / (1-\beta^t)` instead of :math:`v_t`.

    Returns
    -------
    ndarray, same shape as ``theta``: :math:`v_1 \ldots v_T`.
    """
    b = V.beta("beta", beta)
    th = np.asarray(theta, dtype=np.float64)
    if th.ndim == 0 or th.shape[0] == 0:
        raise ValueError(f"theta must be a non-empty series, got shape {th.shape}")
    out = np.empty_like(th)
    v = np.zeros(th.shape[1:])
    for t in range(th.shape[0]):
        v = b * v + (1.0 - b) * th[t]
        out[t] = v
    if bias_correction:
        t = np.arange(1, th.shape[0] + 1, dtype=np.float64).reshape((-1,) + (1,) * (th.ndim - 1))
        out = out / (1.0 - b**t)
    return out


def ewa_window(beta: float) -> float:
    r"""Approximate number of values averaged, :math:`1/(1-\beta)`."""
    b = V.beta("beta", beta)
    return 1.0 / (1.0 - b)
