"""Exponentially weighted averages (landscape.averages: ls.ewa, ls.ewa_window): against a hand loop,
their properties, the course's temperature example, argument validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import landscape as ls

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference as ref
except ImportError:
    import reference as ref


def test_ewa_matches_hand_loop():
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(50) * 3 + 1
    for beta in (0.0, 0.5, 0.9, 0.98):
        for bc in (False, True):
            np.testing.assert_allclose(ls.ewa(theta, beta, bc), ref.ewa_loop(theta, beta, bc),
                                       rtol=1e-13, atol=1e-15)
    # extra axes averaged independently
    th2 = rng.standard_normal((30, 3, 2))
    out = ls.ewa(th2, 0.8, bias_correction=True)
    assert out.shape == th2.shape
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(out[:, i, j], ref.ewa_loop(th2[:, i, j], 0.8, True),
                                       rtol=1e-13)


def test_ewa_properties():
    c = 7.3
    for beta in (0.5, 0.9, 0.98, 0.999):
        v = ls.ewa(np.full(200, c), beta, bias_correction=True)
        np.testing.assert_allclose(v, c, rtol=1e-13)
        raw = ls.ewa([4.0, 1.0], beta)
        assert raw[0] == pytest.approx((1 - beta) * 4.0, rel=1e-15)
    for beta, tol in ((0.9, 0.06), (0.98, 0.015)):
        N = ls.ewa_window(beta)
        assert N == pytest.approx(1.0 / (1.0 - beta))
        n = int(round(N))
        impulse = np.zeros(n + 1)
        impulse[0] = 1.0
        w = ls.ewa(impulse, beta)  # weight the first value carries at each later step
        assert w[n] / w[0] == pytest.approx(math.exp(-1.0), rel=tol)


def test_ewa_course_temperature():
    theta = ls.datasets.temperature()
    assert theta.shape == (365,)
    np.testing.assert_array_equal(theta, ls.datasets.temperature())
    t = np.arange(1, 366)
    season = 52.0 - 14.0 * np.cos(2 * np.pi * t / 365.0)
    rough, lags = {}, {}
    for beta in (0.5, 0.9, 0.98):
        v = ls.ewa(theta, beta, bias_correction=True)
        assert v[0] == pytest.approx(theta[0], rel=1e-14)  # bias correction fixes the start
        raw = ls.ewa(theta, beta)
        assert raw[0] == pytest.approx((1 - beta) * theta[0], rel=1e-14)
        rough[beta] = np.mean(np.abs(np.diff(v)))
        # lag: shift of the seasonal curve that best explains the smoothed one
        err = [np.mean((v[100:] - season[100 - s: 365 - s]) ** 2) for s in range(80)]
        lags[beta] = int(np.argmin(err))
    assert rough[0.98] < rough[0.9] < rough[0.5] < np.mean(np.abs(np.diff(theta)))
    assert lags[0.5] < lags[0.9] < lags[0.98]
    assert lags[0.98] > 20


BAD = [
    (lambda: ls.ewa([1.0, 2.0], 1.0), "beta"),
    (lambda: ls.ewa([], 0.9), "theta"),
    (lambda: ls.ewa_window(-0.5), "beta"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

