"""Formula surfaces (``ls.surfaces.expression``) on the CUDA backend, under numba's simulator.

The generated ``vg`` is re-compiled as a CUDA device function like a
built-in family's (its source comes from ``linecache``), so an expression
restating Rosenbrock follows the built-in on the CUDA backend and the CPU
run of the same expression.  Runs only in its own process with
``NUMBA_ENABLE_CUDASIM=1`` (``tests/test_cuda.py`` launches this directory).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":  # pragma: no cover
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 (run by tests/test_cuda.py)", allow_module_level=True)

from test_simulator import assert_agree, small_blocks  # noqa: F401 - same folder; the autouse fixture applies here too

import landscape as ls

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

EVENTS = {"near": ls.events.enter_ball([1.0, 1.0], 1.0), "low": ls.events.loss_below(1.0)}


def opts():
    return [
        ls.optim.gd(lr=1e-3),
        ls.optim.momentum(lr=1e-3, beta=0.8),
        ls.optim.adam(lr=1e-2, schedule=ls.schedules.inverse_time(0.1)),
        ls.optim.rmsprop(lr=1e-3, beta=0.9),
        ls.optim.gd(lr=0.5),  # diverges on Rosenbrock
    ]


@pytest.mark.parametrize("noise", [None, ls.noise.gaussian(0.5)], ids=["exact", "noisy"])
def test_expression_rosenbrock_on_cuda_matches_builtin_and_cpu(noise):
    expr = ls.surfaces.expression("b*(y - x**2)**2 + (a - x)**2", {"a": 1.0, "b": 100.0})
    builtin = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(13, [-1.5, 2.0], 0.3, seed=1)
    kw = dict(record_every=4, record=9, noise=noise, events=EVENTS, seed=3)
    g = ls.simulate(expr, opts(), x0, 16, backend="cuda", **kw)
    c = ls.simulate(expr, opts(), x0, 16, backend="cpu", **kw)
    b = ls.simulate(builtin, opts(), x0, 16, backend="cuda", **kw)
    assert g.config["backend"] == b.config["backend"] == "cuda" and c.config["backend"] == "cpu"
    assert (c.diverged[-1] >= 0).any() and (c.diverged[:-1] < 0).all()
    assert_agree(g, c)  # expression: CUDA vs CPU
    assert_agree(g, b)  # expression vs built-in, both on CUDA


def test_expression_sum_form_on_cuda_matches_cpu():
    """A vector formula (sum over i, d = 4) with the dimension ``d`` in it."""
    expr = ls.surfaces.expression(
        "sum(b*(x[i+1]-x[i]**2)**2 + (a-x[i])**2, i) + 0.1*d", {"a": 1.0, "b": 100.0}, dim=4
    )
    x0 = ls.starts.normal(11, np.zeros(4), 0.3, seed=2)
    kw = dict(record_every=3, events={"low": ls.events.loss_below(2.0)}, seed=4)
    o = [ls.optim.adam(lr=1e-2), ls.optim.heavy_ball(lr=1e-4)]
    g = ls.simulate(expr, o, x0, 9, backend="cuda", **kw)
    c = ls.simulate(expr, o, x0, 9, backend="cpu", **kw)
    assert_agree(g, c)
    b = ls.simulate(ls.surfaces.rosenbrock(dim=4), o, x0, 9, backend="cuda", **kw)
    np.testing.assert_allclose(g.final, b.final, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.final_loss, b.final_loss + 0.4, rtol=1e-12, atol=1e-12)


def test_expression_float32_on_cuda_matches_cpu_to_rounding():
    expr = ls.surfaces.expression("b*(y - x**2)**2 + (a - x)**2", {"a": 1.0, "b": 100.0})
    x0 = ls.starts.normal(12, [-1.0, 1.0], 0.2, seed=6)
    o = [ls.optim.adam(lr=1e-2), ls.optim.rmsprop(lr=1e-3)]
    g = ls.simulate(expr, o, x0, 12, record_every=6, dtype="float32", backend="cuda")
    c = ls.simulate(expr, o, x0, 12, record_every=6, dtype="float32", backend="cpu")
    assert g.final.dtype == np.float32
    assert_agree(g, c, rtol=1e-4, atol=1e-5)
