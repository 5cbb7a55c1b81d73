"""CUDA kernels under numba's CUDA simulator, against the CPU engine.

Runs only in its own process with ``NUMBA_ENABLE_CUDASIM=1`` (set before
numba.cuda is imported); ``tests/test_cuda.py`` launches it.  The simulator
runs every CUDA thread as Python, so sizes are small; the thread-block size
(10) does not divide the number of trajectories.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":  # pragma: no cover
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 (run by tests/test_cuda.py)", allow_module_level=True)

import landscape as ls
from landscape import _config

# the simulator runs the uint64 hash in numpy scalars, which warn on wrap-around
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

EVENTS = {
    "near": ls.events.enter_ball([1.0, 1.0], 1.0),
    "low": ls.events.loss_below(1.0),
    "out": ls.events.leave_ball([-1.5, 2.0], 0.2),
}


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 10)


def every_kind():
    """One optimizer of every kind, with schedules, in one launch."""
    return [
        ls.optim.gd(lr=1e-3),
        ls.optim.momentum(lr=1e-3, beta=0.8),
        ls.optim.heavy_ball(lr=1e-4, schedule=ls.schedules.exponential(0.9, steps_per_epoch=4)),
        ls.optim.nesterov(lr=1e-4),
        ls.optim.rmsprop(lr=1e-3, beta=0.9),
        ls.optim.adagrad(lr=0.05),
        ls.optim.adam(lr=1e-2, schedule=ls.schedules.inverse_time(0.1)),
        ls.optim.adamw(lr=1e-2, schedule=ls.schedules.linear_warmup(5)),
        ls.optim.amsgrad(lr=1e-2),
        ls.optim.nadam(lr=1e-2, schedule=ls.schedules.inverse_time(0.1)),
        ls.optim.gd(lr=0.5),  # diverges on Rosenbrock
    ]


def both(surface, opts, x0, steps, **kw):
    g = ls.simulate(surface, opts, x0, steps, backend="cuda", **kw)
    c = ls.simulate(surface, opts, x0, steps, backend="cpu", **kw)
    assert g.config["backend"] == "cuda" and c.config["backend"] == "cpu"
    return g, c


def assert_agree(g, c, rtol=1e-12, atol=1e-12):
    np.testing.assert_array_equal(g.diverged, c.diverged)
    for name in c.events:
        np.testing.assert_array_equal(g.events[name], c.events[name])
    ok = c.diverged < 0
    np.testing.assert_allclose(g.final[ok], c.final[ok], rtol=rtol, atol=atol)
    np.testing.assert_allclose(g.final_loss[ok], c.final_loss[ok], rtol=rtol, atol=atol)
    np.testing.assert_allclose(g.positions, c.positions, rtol=rtol, atol=atol)


@pytest.mark.parametrize("noise", [None, ls.noise.gaussian(0.5)], ids=["exact", "noisy"])
def test_every_kind_matches_cpu_float64(noise):
    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(23, [-1.5, 2.0], 0.3, seed=1)
    g, c = both(
        surf, every_kind(), x0, 24, record_every=4, record=15, noise=noise, events=EVENTS, seed=3
    )
    assert (c.diverged[-1] >= 0).any(), "the last optimizer must diverge somewhere"
    assert (c.diverged[:-1] < 0).all()
    assert_agree(g, c)


def test_chunking_gives_the_same_numbers(monkeypatch):
    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(23, [-1.5, 2.0], 0.3, seed=2)
    opts = [ls.optim.adam(lr=1e-2), ls.optim.momentum(lr=1e-3)]
    kw = dict(record_every=5, record=9, noise=ls.noise.gaussian(0.3), events=EVENTS, seed=5)
    whole = ls.simulate(surf, opts, x0, 15, backend="cuda", **kw)
    monkeypatch.setattr(_config, "CUDA_MAX_CHUNK", 7)
    parts = ls.simulate(surf, opts, x0, 15, backend="cuda", **kw)
    np.testing.assert_array_equal(parts.final, whole.final)
    np.testing.assert_array_equal(parts.positions, whole.positions)
    for name in EVENTS:
        np.testing.assert_array_equal(parts.events[name], whole.events[name])


@pytest.mark.parametrize(
    "make,x0",
    [
        (
            lambda: ls.surfaces.strict_saddle(dim=5, k=2),
            lambda: ls.starts.ball(11, np.zeros(5), 1e-2, seed=4),
        ),
        (lambda: ls.surfaces.plateau(), lambda: ls.starts.normal(11, [3.5, 0.3], 0.5, seed=4)),
        (
            lambda: ls.surfaces.elongated_bowl(kappa=20.0, angle=0.4),
            lambda: ls.starts.sphere(11, [0, 0], 2.0),
        ),
    ],
    ids=["strict_saddle", "plateau", "bowl"],
)
def test_other_surface_families_match_cpu(make, x0):
    surf, starts = make(), x0()
    opts = [ls.optim.gd(lr=0.05), ls.optim.adam(lr=0.05), ls.optim.heavy_ball(lr=0.02)]
    d = surf.dim
    events = {"away": ls.events.leave_ball(np.zeros(d), 0.5), "low": ls.events.loss_below(-0.1)}
    g, c = both(
        surf, opts, starts, 20, record_every=5, events=events, noise=ls.noise.gaussian(0.1), seed=9
    )
    assert_agree(g, c)


def test_float32_matches_cpu_to_rounding():
    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(12, [-1.0, 1.0], 0.2, seed=6)
    g, c = both(
        surf,
        [ls.optim.adam(lr=1e-2), ls.optim.rmsprop(lr=1e-3)],
        x0,
        20,
        record_every=10,
        dtype="float32",
    )
    assert g.final.dtype == np.float32
    assert_agree(g, c, rtol=1e-4, atol=1e-5)


def test_too_many_events_is_a_clear_error():
    surf = ls.surfaces.rosenbrock()
    events = {f"e{i}": ls.events.loss_below(float(i)) for i in range(9)}
    with pytest.raises(ValueError, match="events"):
        ls.simulate(surf, ls.optim.gd(), [[0.0, 0.0]], 2, backend="cuda", events=events)


@pytest.mark.parametrize(
    "make",
    [lambda: ls.surfaces.linear_regression(m=13, seed=1), lambda: ls.surfaces.tanh_network(m=9)],
    ids=["linear_regression", "tanh_network"],
)
def test_minibatches_match_cpu(make):
    """Same keyed shuffles, partitions and epoch schedules on both backends."""
    surf = make()
    x0 = ls.starts.normal(11, [0.5, 0.5], 0.5, seed=2)
    opts = {
        "sgd": ls.optim.sgd(0.3),
        "adam": ls.optim.adam(0.05, schedule=ls.schedules.inverse_time(0.5)),
        "full": ls.optim.momentum(0.2),
    }
    g, c = both(
        surf,
        opts,
        x0,
        12,
        record_every=3,
        record=7,
        batch_size=[1, 4, 13 if surf.finite_sum.m == 13 else 9],
        events={"low": ls.events.loss_below(0.3)},
        seed=4,
    )
    assert_agree(g, c)
    np.testing.assert_allclose(g.batch_loss, c.batch_loss, rtol=1e-12, atol=1e-12)


# --- chunks of steps: launches of [t_lo, t_hi) carrying the state on the device ---


def _cuda_run(monkeypatch, chunk_steps, surface, opts, x0, steps, **kw):
    from landscape.engine import fused_cuda

    monkeypatch.setattr(fused_cuda, "CHUNK_STEPS", chunk_steps)
    return ls.simulate(surface, opts, x0, steps, backend="cuda", **kw)


def assert_same(a, b):
    for name in ("final", "final_loss", "positions", "diverged"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.events.keys() == b.events.keys()
    for name in a.events:
        np.testing.assert_array_equal(a.events[name], b.events[name], err_msg=name)
    if b.batch_loss is not None:
        np.testing.assert_array_equal(a.batch_loss, b.batch_loss)


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_step_chunks_match_one_launch_and_cpu(chunk, monkeypatch):
    """Chunks of 1, 3 and 7 steps (3 and 7 do not divide record_every=4)."""
    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(13, [-1.5, 2.0], 0.3, seed=1)
    opts = [
        ls.optim.momentum(lr=1e-3, beta=0.8),
        ls.optim.heavy_ball(lr=1e-4, schedule=ls.schedules.exponential(0.9, steps_per_epoch=4)),
        ls.optim.rmsprop(lr=1e-3, beta=0.9),
        ls.optim.adamw(lr=1e-2, schedule=ls.schedules.linear_warmup(5)),
        ls.optim.gd(lr=0.5),  # diverges on Rosenbrock
    ]
    kw = dict(record_every=4, record=9, noise=ls.noise.gaussian(0.5), events=EVENTS, seed=3)
    whole = _cuda_run(monkeypatch, 10**9, surf, opts, x0, 22, **kw)
    parts = _cuda_run(monkeypatch, chunk, surf, opts, x0, 22, **kw)
    c = ls.simulate(surf, opts, x0, 22, backend="cpu", **kw)
    assert (c.diverged[-1] >= 0).any() and (c.diverged[:-1] < 0).all()
    assert any((c.events[e] >= 0).any() for e in EVENTS)
    assert_same(parts, whole)
    assert_agree(parts, c)


@pytest.mark.parametrize("chunk", [1, 5])
def test_step_chunks_with_minibatches_match_cpu(chunk, monkeypatch):
    """Keyed shuffles and epochs follow absolute steps across launches (5 does not divide 3)."""
    surf = ls.surfaces.linear_regression(m=13, seed=1)
    x0 = ls.starts.normal(11, [0.5, 0.5], 0.5, seed=2)
    opts = {
        "sgd": ls.optim.sgd(0.3),
        "adam": ls.optim.adam(0.05, schedule=ls.schedules.inverse_time(0.5)),
        "full": ls.optim.momentum(0.2),
    }
    kw = dict(
        record_every=3, record=7, batch_size=[1, 4, 13], events={"low": ls.events.loss_below(0.3)},
        noise=ls.noise.gaussian(0.1), seed=4,
    )  # fmt: skip
    whole = _cuda_run(monkeypatch, 10**9, surf, opts, x0, 13, **kw)
    parts = _cuda_run(monkeypatch, chunk, surf, opts, x0, 13, **kw)
    c = ls.simulate(surf, opts, x0, 13, backend="cpu", **kw)
    assert_same(parts, whole)
    assert_agree(parts, c)
    np.testing.assert_allclose(parts.batch_loss, c.batch_loss, rtol=1e-12, atol=1e-12)


def test_step_and_trajectory_chunks_together(monkeypatch):
    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(23, [-1.5, 2.0], 0.3, seed=2)
    opts = [ls.optim.adam(lr=1e-2), ls.optim.nesterov(lr=1e-4)]
    kw = dict(record_every=5, record=9, noise=ls.noise.gaussian(0.3), events=EVENTS, seed=5)
    whole = _cuda_run(monkeypatch, 10**9, surf, opts, x0, 15, **kw)
    monkeypatch.setattr(_config, "CUDA_MAX_CHUNK", 7)
    parts = _cuda_run(monkeypatch, 4, surf, opts, x0, 15, **kw)
    assert_same(parts, whole)


def test_adaptive_step_chunks(monkeypatch):
    """With CHUNK_STEPS = 0 the launches follow CHUNK_SECONDS; same numbers."""
    from landscape.engine import _chunks, fused_cuda

    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(7, [-1.5, 2.0], 0.3, seed=2)
    opts = [ls.optim.adam(lr=1e-2)]
    kw = dict(record_every=5, noise=ls.noise.gaussian(0.3), events=EVENTS, seed=5)
    whole = _cuda_run(monkeypatch, 10**9, surf, opts, x0, 40, **kw)
    windows = []
    window = fused_cuda._window

    def spy(pace):
        windows.append(window(pace))
        return windows[-1]

    monkeypatch.setattr(fused_cuda, "_window", spy)
    monkeypatch.setattr(fused_cuda, "CHUNK_SECONDS", 1e-9)
    parts = _cuda_run(monkeypatch, 0, surf, opts, x0, 40, **kw)
    assert windows[0] == _chunks.FIRST_STEPS and windows[1:] and set(windows[1:]) == {1}
    assert_same(parts, whole)


def test_interrupt_between_launches_propagates(monkeypatch):
    """A KeyboardInterrupt between two launches ends the run; nothing is returned."""
    from landscape.engine import fused_cuda

    calls = []

    def stop(pace):
        calls.append(pace[1])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return 2

    monkeypatch.setattr(fused_cuda, "_window", stop)
    surf = ls.surfaces.rosenbrock()
    with pytest.raises(KeyboardInterrupt):
        _cuda_run(monkeypatch, 0, surf, ls.optim.adam(), [[0.0, 0.0]], 50)
    assert len(calls) == 3


def test_first_trajectory_keys_noise_and_shuffles_on_the_cuda_backend_too():
    """A chunk of starts run with first_trajectory = a is rows a:b of the whole run (#17)."""
    surf = ls.surfaces.linear_regression(m=13, seed=1)
    x0 = ls.starts.normal(11, [0.5, 0.5], 0.5, seed=2)
    opts = {"sgd": ls.optim.sgd(0.3), "adam": ls.optim.adam(0.05)}
    kw = dict(record_every=3, batch_size=[1, 4], noise=ls.noise.gaussian(0.2), seed=4)
    whole = ls.simulate(surf, opts, x0, 9, backend="cpu", **kw)
    part = ls.simulate(surf, opts, x0[4:11], 9, backend="cuda", first_trajectory=4, **kw)
    np.testing.assert_allclose(part.final, whole.final[:, 4:11], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(part.positions, whole.positions[:, 4:11], rtol=1e-12, atol=1e-12)
