"""Runs that can be stopped and shared: Ctrl-C, concurrent callers, chunks of steps.

The fused CPU engine runs each range of blocks in chunks of steps (about
``fused_cpu.CHUNK_SECONDS`` each) that carry the state between them, so a
Ctrl-C is noticed between chunks and a run gives the same bits however it
is chunked or threaded.  The interrupt tests run in subprocesses: a SIGINT
sent while the kernel runs must end the process within 2 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from _helpers import default_sigint

import landscape as ls
from landscape.engine import fused_cpu

#: Prints "kernel" on stderr once the fused kernel's first chunk starts, then
#: runs the command line (as ``python -m landscape.cli``) or a long simulate.
_HOOK = """
import sys
from landscape.engine import fused_cpu
_work = fused_cpu._work
def _announce(*a, **k):
    if not getattr(_announce, "said", False):
        _announce.said = True
        print("kernel", file=sys.stderr, flush=True)
    return _work(*a, **k)
fused_cpu._work = _announce
"""


def _interrupt(args, cwd):
    """Start ``python args``, SIGINT it 1 s after its kernel starts; (returncode, seconds, stderr)."""
    # faulthandler: a child that does not stop is aborted with every thread's stack on stderr
    env = dict(os.environ, NUMBA_NUM_THREADS="2", PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
    with subprocess.Popen(
        [sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
    ) as proc:  # fmt: skip
        try:
            line = proc.stderr.readline()
            assert line.strip() == "kernel", line + proc.stderr.read()
            time.sleep(1.0)
            assert proc.poll() is None, "the run ended before the interrupt"
            proc.send_signal(signal.SIGINT)
            t0 = time.perf_counter()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)
                raise AssertionError(
                    "did not stop within 20 s:\n" + proc.stderr.read()[-6000:]
                ) from None
            waited = time.perf_counter() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
        err = proc.stderr.read()
    return proc.returncode, waited, err


def test_sigint_stops_a_long_simulate_within_2s(tmp_path):
    script = _HOOK + textwrap.dedent("""
        import landscape as ls
        x0 = ls.starts.normal(65536, [0.0, 0.0], 1.0, seed=0)
        ls.simulate(ls.surfaces.rosenbrock(), ls.optim.adam(0.01), x0, 10**8, record_every=0)
        print("finished")
    """)
    code, waited, err = _interrupt(["-c", script], tmp_path)
    assert "KeyboardInterrupt" in err
    assert code in (-signal.SIGINT, 130, 1), err
    assert waited < 2.0, f"took {waited:.2f} s to stop"


def test_sigint_stops_a_long_batched_run_within_2s(tmp_path):
    # the batched engine is a Python loop over steps: Ctrl-C lands between steps
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import landscape as ls
        surf = ls.surfaces.gaussian_field(dim=64, features=256, seed=0)
        x0 = np.random.default_rng(0).normal(size=(4096, 64))
        ls.simulate(surf, ls.optim.adam(0.01), x0[:4], 3, record_every=0)
        print("kernel", file=sys.stderr, flush=True)
        ls.simulate(surf, ls.optim.adam(0.01), x0, 10**8, record_every=0)
        print("finished")
    """)
    code, waited, err = _interrupt(["-c", script], tmp_path)
    assert "KeyboardInterrupt" in err
    assert code in (-signal.SIGINT, 130, 1), err
    assert waited < 2.0, f"took {waited:.2f} s to stop"


def test_sigint_stops_cli_render_with_status_130_and_no_files(tmp_path):
    recipe = tmp_path / "huge.toml"
    recipe.write_text(
        textwrap.dedent("""
        title = "huge"
        lesson = "never finishes"
        [surface]
        name = "elongated_bowl"
        kappa = 10.0
        [optimizers.gd]
        lr = 0.05
        [starts]
        kind = "normal"
        n = 65536
        mean = [1.0, 1.0]
        std = 0.5
        [simulate]
        steps = 10000000
        record_every = 1000000
        [render]
        kind = "race"
    """)
    )
    out = tmp_path / "out"
    out.mkdir()
    run_cli = "import runpy; runpy.run_module('landscape.cli', run_name='__main__')"
    script = _HOOK + f"sys.argv = ['landscape', 'render', {str(recipe)!r}, '-o', {str(out)!r}]\n"
    code, waited, err = _interrupt(["-c", script + run_cli], tmp_path)
    assert code == 130, err
    assert "interrupted" in err
    assert waited < 2.0, f"took {waited:.2f} s to stop"
    assert list(out.iterdir()) == []


def test_threads_with_different_thread_counts_share_the_engine(tmp_path):
    # 6 Python threads, each with its own numba.set_num_threads, 36 calls in all
    script = textwrap.dedent("""
        import concurrent.futures as cf
        import numba, numpy as np
        import landscape as ls
        surf = ls.surfaces.rosenbrock()
        x0 = ls.starts.normal(1500, [0.0, 0.0], 1.0, seed=2)
        opts = [ls.optim.adam(0.01), ls.optim.momentum(1e-3)]
        kw = dict(record_every=9, noise=ls.noise.gaussian(0.2), seed=4,
                  events={"e": ls.events.loss_below(0.5)})
        numba.set_num_threads(1)
        ref = ls.simulate(surf, opts, x0, 60, **kw)
        def call(i):
            numba.set_num_threads(1 + i % 4)
            return ls.simulate(surf, opts, x0, 60, **kw)
        with cf.ThreadPoolExecutor(6) as ex:
            got = list(ex.map(call, range(36)))
        same = [np.array_equal(r.final, ref.final) and np.array_equal(r.positions, ref.positions)
                and np.array_equal(r.events["e"], ref.events["e"]) for r in got]
        print(len(got), sum(same))
    """)
    env = dict(os.environ, NUMBA_NUM_THREADS="4")
    res = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["36", "36"]


def _run(surface, optimizers, x0, steps, chunk_steps, monkeypatch, **kw):
    monkeypatch.setattr(fused_cpu, "CHUNK_STEPS", chunk_steps)
    return ls.simulate(surface, optimizers, x0, steps, **kw)


def _same(a, b):
    assert np.array_equal(a.final, b.final, equal_nan=True)
    assert np.array_equal(a.final_loss, b.final_loss, equal_nan=True)
    assert np.array_equal(a.positions, b.positions, equal_nan=True)
    assert np.array_equal(a.diverged, b.diverged)
    assert a.events.keys() == b.events.keys()
    for k in a.events:
        assert np.array_equal(a.events[k], b.events[k])
    if a.batch_loss is not None:
        assert np.array_equal(a.batch_loss, b.batch_loss, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("threads", [1, 2])
def test_chunked_runs_equal_one_shot_runs(dtype, threads, monkeypatch):
    import numba

    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(300, [0.0, 0.0], 1.2, seed=1)
    opts = {
        "gd": ls.optim.gd(1e-3),
        "adam": ls.optim.adam(0.02, schedule=ls.schedules.cosine(150)),
        "mom": ls.optim.momentum(2e-3),
        "rms": ls.optim.rmsprop(schedule=ls.schedules.linear_warmup(20)),
        "nag": ls.optim.nesterov(1e-4, 0.5),
    }
    kw = dict(
        record_every=5, record=40, dtype=dtype, noise=ls.noise.gaussian(0.5), seed=7,
        diverge_at=20.0,
        events={"low": ls.events.loss_below(0.5), "in": ls.events.enter_ball([1, 1], 0.2),
                "out": ls.events.leave_ball([0, 0], 3.0)},
    )  # fmt: skip
    old = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        one = _run(surf, opts, x0, 203, 10**9, monkeypatch, **kw)
        for chunk in (1, 7, 64):
            _same(_run(surf, opts, x0, 203, chunk, monkeypatch, **kw), one)
        _same(_run(surf, opts, x0, 203, 0, monkeypatch, **kw), one)
    finally:
        numba.set_num_threads(old)
    assert (one.diverged >= 0).any() and (one.diverged < 0).any()
    assert all((t >= 0).any() for t in one.events.values())


def test_chunked_minibatch_runs_equal_one_shot_runs(monkeypatch):
    surf = ls.surfaces.linear_regression(m=40, features=3, seed=4)
    x0 = np.zeros((3, 4)) + 0.1 * np.arange(12).reshape(3, 4)
    opts = [ls.optim.adam(0.1, schedule=ls.schedules.exponential(0.9)), ls.optim.momentum(0.1)]
    kw = dict(batch_size=[7, 40], record_every=4, events={"low": ls.events.loss_below(0.5)})
    one = _run(surf, opts, x0, 101, 10**9, monkeypatch, **kw)
    for chunk in (1, 3, 10):
        _same(_run(surf, opts, x0, 101, chunk, monkeypatch, **kw), one)


def test_long_runs_show_progress_when_asked(tmp_path):
    """progress=True draws a tqdm bar of the steps done on stderr (after 2 s)."""
    code = (
        "import landscape as ls\n"
        "s = ls.surfaces.rosenbrock()\n"
        "x0 = ls.starts.normal(65536, [-1.5, 2.0], 0.1, seed=0)\n"
        "ls.simulate(s, ls.optim.adam(1e-3), x0, steps=60000, record_every=0, progress=True)\n"
    )
    env = dict(os.environ, NUMBA_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, text=True,
                         capture_output=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "simulate" in out.stderr and "step" in out.stderr


@pytest.mark.parametrize("bad", ["yes", 1, None.__class__])
def test_progress_must_be_a_bool(bad):
    with pytest.raises(ValueError, match="progress must be"):
        ls.simulate(ls.surfaces.rosenbrock(), ls.optim.gd(1e-3), [[0.0, 0.0]], 2, progress=bad)
