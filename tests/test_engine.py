"""The fused engine (landscape.engine) against slow NumPy oracles
(tests/reference.py) and theory: every rule and schedule on one launch,
block and thread-count independence, recompilation, divergence, float32.

Compile budget: one float64 kernel per surface family used here (rosenbrock,
quadratic/elongated_bowl, strict_saddle, saddle), one float32 kernel
(quadratic family), one with a patched CPU_BLOCK, and two subprocesses for the
thread-count check.

The regression test at the end pins a bug found while writing this file.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import njit

import landscape as ls
from landscape import _config
from landscape._rng import normals, seed_key_of
from landscape.engine import fused_cpu

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference as ref
    from ._helpers import build_opt, vg_of
except ImportError:
    import reference as ref
    from _helpers import build_opt, vg_of


RTOL = 1e-10


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def grid(h):
    """Every kind and every schedule, learning rates scaled by curvature scale ``h``."""
    return [
        ("gd", {"lr": 0.5 * h}, None),
        ("momentum", {"lr": 1.0 * h, "beta": 0.9},
         ("inverse_time", {"decay": 0.3, "steps_per_epoch": 7})),
        ("heavy_ball", {"lr": 0.1 * h, "beta": 0.85},
         ("exponential", {"base": 0.9, "steps_per_epoch": 5})),
        ("nesterov", {"lr": 0.1 * h, "beta": 0.7},
         ("inverse_sqrt_epoch", {"k": 1.5, "steps_per_epoch": 4})),
        ("rmsprop", {"lr": 1e-2, "beta": 0.95, "eps": 1e-6}, ("inverse_sqrt_step", {"k": 2.0})),
        ("adagrad", {"lr": 0.2, "eps": 1e-7},
         ("staircase", {"factor": 0.5, "every": 2, "steps_per_epoch": 6})),
        ("adam", {"lr": 0.05, "b1": 0.9, "b2": 0.99, "eps": 1e-8},
         ("cosine", {"decay_steps": 40, "alpha": 0.1})),
        ("adamw", {"lr": 0.03, "b1": 0.8, "b2": 0.999, "eps": 1e-6, "weight_decay": 0.1},
         ("piecewise", {"boundaries": [2, 4], "factors": [1.0, 0.3, 0.1], "steps_per_epoch": 10})),
        ("gd", {"lr": 0.6 * h},
         ("manual", {"boundaries": [3], "factors": [1.0, 0.25], "steps_per_epoch": 4})),
        ("adam", {"lr": 0.02, "b1": 0.0, "b2": 0.9, "eps": 1e-8},
         ("linear_warmup", {"warmup_steps": 15, "then": ("cosine", {"decay_steps": 30})})),
        ("sgd", {"lr": 0.4 * h},
         ("linear_warmup", {"warmup_steps": 10, "then": ("exponential", {"base": 0.99})})),
        ("momentum", {"lr": 0.3 * h, "beta": 0.0}, None),
        ("heavy_ball", {"lr": 0.02 * h, "beta": 0.95}, ("cosine", {"decay_steps": 1000})),
        ("rmsprop", {"lr": 1e-3, "beta": 0.99, "eps": 0.0},
         ("exponential", {"base": 1.0, "steps_per_epoch": 3})),
        ("adagrad", {"lr": 0.05, "eps": 0.0},
         ("linear_warmup", {"warmup_steps": 8,
                            "then": ("staircase", {"factor": 0.7, "every": 1,
                                                   "steps_per_epoch": 9})})),
        ("adamw", {"lr": 0.01, "b1": 0.95, "b2": 0.9, "eps": 1e-8, "weight_decay": 0.5},
         ("inverse_time", {"decay": 2.0, "steps_per_epoch": 11})),
    ]


# --------------------------------------------------------------------------
# kernel vs reference: every kind, every schedule, one launch
# --------------------------------------------------------------------------
SURFACES = {
    # (surface factory, start mean, start std, curvature scale h ~ 1/L, events)
    "rosenbrock": (lambda: ls.surfaces.rosenbrock(), [-1.0, 1.0], 0.25, 3e-4,
                   lambda: {"left": ("leave_ball", [-1.0, 1.0], 0.5),
                            "near": ("enter_ball", [1.0, 1.0], 1.6),
                            "low": ("loss_below", 3.0)}),
    "elongated_bowl": (lambda: ls.surfaces.elongated_bowl(kappa=20.0, angle=0.4), [2.0, -1.0],
                       0.5, 0.05,
                       lambda: {"left": ("leave_ball", [2.0, -1.0], 1.2),
                                "near": ("enter_ball", [0.0, 0.0], 1.0),
                                "low": ("loss_below", 0.5)}),
    "strict_saddle": (lambda: ls.surfaces.strict_saddle(dim=5, k=2, lam_pos=2.0, lam_neg=0.5,
                                                        quartic=3.0),
                      [0.05, -0.02, 0.5, -0.5, 0.3], 0.3, 0.1,
                      lambda: {"left": ("leave_ball", [0.0] * 5, 0.6),
                               "near": ("enter_ball", [0.4082, 0.4082, 0, 0, 0], 0.3),
                               "low": ("loss_below", -0.01)}),
}


def ls_events(spec):
    out = {}
    for name, ev in spec.items():
        if ev[0] == "loss_below":
            out[name] = ls.events.loss_below(ev[1])
        else:
            out[name] = getattr(ls.events, ev[0])(ev[1], ev[2])
    return out


@pytest.mark.parametrize("surface", list(SURFACES))
def test_kernel_matches_reference_every_kind_and_schedule(surface):
    make, mean, std, h, evs = SURFACES[surface]
    surf = make()
    n, steps, rec_every, record = 37, 60, 7, 20
    x0 = ls.starts.normal(n, mean, std, seed=1)
    items = [build_opt(*g) for g in grid(h)]
    opts = {f"o{i}": o for i, (o, _) in enumerate(items)}
    ev = evs()
    res = ls.simulate(surf, opts, x0, steps, record_every=rec_every, record=record,
                      events=ls_events(ev))
    assert res.positions.shape == (len(items), record, steps // rec_every + 1, surf.dim)
    np.testing.assert_array_equal(res.frame_steps, np.arange(0, steps + 1, rec_every))
    for o, (_, spec) in enumerate(items):
        want = ref.run_reference(vg_of(surf), spec, x0, steps, rec_every, events=ev)
        ref.assert_run_matches(res, o, want, list(range(n)), set(range(record)))
    # the events actually discriminate (not all -1 or all 0)
    for name, times in res.events.items():
        assert (times > 0).any(), name


def test_kernel_matches_reference_across_blocks_with_noise():
    """n = 300 > CPU_BLOCK: trajectories on both sides of the block boundary,
    a recorded subset that crosses it, and counter-based noise keyed by
    (seed, trajectory index within the optimizer, step, coordinate)."""
    assert _config.CPU_BLOCK < 300 < 2 * _config.CPU_BLOCK
    surf = ls.surfaces.rosenbrock()
    n, steps, rec_every, record, seed, sigma = 300, 40, 4, 260, 12345, 0.7
    x0 = ls.starts.normal(n, [-1.0, 1.0], 0.25, seed=2)
    g = grid(3e-4)
    items = [build_opt(*g[i]) for i in (0, 2, 6, 7, 9)]
    ev = {"left": ("leave_ball", [-1.0, 1.0], 0.4), "low": ("loss_below", 3.0)}
    res = ls.simulate(surf, [o for o, _ in items], x0, steps, record_every=rec_every,
                      record=record, events=ls_events(ev), noise=ls.noise.gaussian(sigma),
                      seed=seed)
    rows = [0, 1, 100, 254, 255, 256, 257, 258, 259, 260, 261, 299]
    table = ref.gaussian_noise_table(seed_key_of(seed), rows, steps, 2, sigma, normals)
    pos_of = {r: k for k, r in enumerate(rows)}

    def noise_fn(i, t):
        return table[pos_of[i], t]

    for o, (_, spec) in enumerate(items):
        want = ref.run_reference(vg_of(surf), spec, x0[rows], steps, rec_every,
                                 noise_fn=noise_fn, events=ev, traj_ids=rows)
        ref.assert_run_matches(res, o, want, rows, set(range(record)))
    # frames beyond `record` are not kept
    assert res.positions.shape[1] == record


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # hypothesis' report path on failure
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(ls.optim.names()),
    lr=st.floats(1e-3, 0.05),
    beta=st.floats(0.0, 0.99),
    b2=st.floats(0.5, 0.9999),  # b2 -> 0 makes m/sqrt(v) ill-conditioned (g -> 0)
    eps=st.sampled_from([0.0, 1e-8, 1e-3]),
    wd=st.floats(0.0, 1.0),
    sched=st.sampled_from(["constant", "inverse_time", "exponential", "staircase", "cosine",
                           "warmup", "piecewise", "inverse_sqrt_step"]),
    spe=st.integers(1, 5),
)
def test_random_hyperparameters_match_reference(kind, lr, beta, b2, eps, wd, sched, spe):
    surf = ls.surfaces.elongated_bowl(kappa=5.0, angle=1.1)
    hp = {"lr": lr}
    if kind in ("momentum", "heavy_ball", "nesterov"):
        hp["beta"] = beta
    if kind == "rmsprop":
        hp.update(beta=b2, eps=eps)
    if kind == "adagrad":
        hp["eps"] = eps
    if kind in ("adam", "adamw", "amsgrad", "nadam"):
        hp.update(b1=beta, b2=b2, eps=eps)
    if kind == "adamw":
        hp["weight_decay"] = wd
    if kind == "nadam":
        hp["momentum_decay"] = wd * 0.01
    sdesc = {
        "constant": None,
        "inverse_time": ("inverse_time", {"decay": 0.5, "steps_per_epoch": spe}),
        "exponential": ("exponential", {"base": 0.8, "steps_per_epoch": spe}),
        "staircase": ("staircase", {"factor": 0.3, "every": 2, "steps_per_epoch": spe}),
        "cosine": ("cosine", {"decay_steps": 3 * spe, "alpha": 0.2}),
        "warmup": ("linear_warmup", {"warmup_steps": spe + 1,
                                     "then": ("exponential", {"base": 0.9})}),
        "piecewise": ("piecewise", {"boundaries": [2, 3], "factors": [1.0, 0.5, 2.0],
                                    "steps_per_epoch": spe}),
        "inverse_sqrt_step": ("inverse_sqrt_step", {"k": 0.5}),
    }[sched]
    opt, spec = build_opt(kind, hp, sdesc)
    x0 = np.array([[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]])
    res = ls.simulate(surf, opt, x0, 25, record_every=5)
    want = ref.run_reference(vg_of(surf), spec, x0, 25, 5)
    ref.assert_run_matches(res, 0, want, [0, 1, 2], {0, 1, 2}, rtol=1e-9)


_THREAD_SCRIPT = textwrap.dedent(
    """
    import sys
    import numba
    import numpy as np
    import landscape as ls

    surf = ls.surfaces.saddle(a=1.0, b=0.5)
    x0 = ls.starts.normal(600, [0.3, 0.01], 0.2, seed=3)
    opts = {"gd": ls.optim.gd(0.05), "adam": ls.optim.adam(0.01),
            "hb": ls.optim.heavy_ball(0.02, 0.9)}
    r = ls.simulate(surf, opts, x0, 40, record_every=5, noise=ls.noise.gaussian(0.5),
                    seed=11, events={"esc": ls.events.leave_ball([0, 0], 1.0)})
    fs = ls.surfaces.linear_regression(m=50)
    mb = ls.simulate(fs, [ls.optim.sgd(0.5), ls.optim.adam(0.05)], x0, 20, record_every=4,
                     batch_size=[1, 7], seed=11)
    np.savez(sys.argv[1], final=r.final, final_loss=r.final_loss, positions=r.positions,
             loss=r.loss, esc=r.events["esc"], diverged=r.diverged, mb_final=mb.final,
             mb_batch_loss=mb.batch_loss)
    print(numba.get_num_threads())
    """
)


def test_bit_identical_across_thread_counts(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_THREAD_SCRIPT)
    procs = {}
    for threads in (1, 2):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        procs[threads] = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / f"t{threads}.npz")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    for threads, p in procs.items():
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out.strip() == str(threads)
    a, b = np.load(tmp_path / "t1.npz"), np.load(tmp_path / "t2.npz")
    for key in a.files:
        assert np.array_equal(a[key], b[key]), key
    assert np.isfinite(a["final"]).all()


def test_results_do_not_depend_on_the_range_size(monkeypatch):
    """Ranges of at most MAX_RANGE_BLOCKS blocks per kernel call (one here: every block
    its own range, over chunks of 7 steps) give the numbers of the default ranges."""
    from landscape.engine import fused_cpu

    surf = ls.surfaces.strict_saddle(dim=3)
    x0 = ls.starts.indexed("ball", 700, center=[0.0, 0.0, 0.0], radius=1e-3, seed=2)
    opts = [ls.optim.heavy_ball(0.05, 0.9), ls.optim.adam(0.02)]
    kw = dict(record_every=10, record=20, noise=ls.noise.gaussian(0.01), seed=5,
              events={"esc": ls.events.leave_ball([0.0, 0.0, 0.0], 0.5)})  # fmt: skip
    whole = ls.simulate(surf, opts, x0, 60, **kw)
    ranges = []
    work = fused_cpu._work
    monkeypatch.setattr(fused_cpu, "MAX_RANGE_BLOCKS", 1)
    monkeypatch.setattr(fused_cpu, "CHUNK_STEPS", 7)
    monkeypatch.setattr(fused_cpu, "_work", lambda k, lo, hi, *a: (ranges.append(hi - lo),
                                                                  work(k, lo, hi, *a)))  # fmt: skip
    parts = ls.simulate(surf, opts, x0, 60, **kw)
    assert ranges and max(ranges) == 1 and len(ranges) == 2 * 3  # 2 optimizers x 3 blocks
    for key in ("final", "final_loss", "positions", "diverged"):
        np.testing.assert_array_equal(getattr(whole, key), getattr(parts, key), err_msg=key)
    np.testing.assert_array_equal(whole.events["esc"], parts.events["esc"])


def test_results_do_not_depend_on_block_size(monkeypatch):
    """CPU_BLOCK = 8 (n = 45: six blocks per optimizer, a partial last one) gives
    the same numbers as the default block: lanes are independent and the noise
    is keyed by the trajectory index, not by block or lane."""
    surf = ls.surfaces.elongated_bowl(kappa=8.0, angle=0.2)
    x0 = ls.starts.normal(45, [1.0, -1.0], 0.5, seed=10)
    opts = {"gd": ls.optim.gd(0.05), "adam": ls.optim.adam(0.05),
            "nag": ls.optim.nesterov(0.02, 0.8, schedule=ls.schedules.cosine(20))}
    kw = dict(record_every=3, record=30, noise=ls.noise.gaussian(0.3), seed=5,
              events={"near": ls.events.enter_ball([0, 0], 0.5)})
    a = ls.simulate(surf, opts, x0, 30, **kw)
    monkeypatch.setattr(_config, "CPU_BLOCK", 8)
    b = ls.simulate(surf, opts, x0, 30, **kw)
    for key in ("positions", "loss", "final", "final_loss", "diverged"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)
    np.testing.assert_array_equal(a.events["near"], b.events["near"])


# --------------------------------------------------------------------------
# theory
# --------------------------------------------------------------------------
@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1000.0])
def test_gd_optimal_step_contracts_exactly(kappa):
    """lr = 2/(L+mu): both eigen-directions shrink by (kappa-1)/(kappa+1) per step."""
    surf = ls.surfaces.elongated_bowl(kappa=kappa, angle=0.7, scale=1.0)
    L, mu = kappa, 1.0
    steps = 40
    x0 = np.array([[1.0, 0.0], [0.0, -2.0], [3.0, 4.0], [-0.1, 0.05]])
    res = ls.simulate(surf, ls.optim.gd(2.0 / (L + mu)), x0, steps, record_every=1)
    rho = (kappa - 1.0) / (kappa + 1.0)
    norms = np.linalg.norm(res.positions[0], axis=-1)  # (n, frames)
    want = np.linalg.norm(x0, axis=1)[:, None] * rho ** np.arange(steps + 1)
    np.testing.assert_allclose(norms, want, rtol=1e-9)


@pytest.mark.parametrize("kappa", [25.0, 100.0])
def test_heavy_ball_polyak_rate(kappa):
    surf = ls.surfaces.elongated_bowl(kappa=kappa, angle=0.3)
    L, mu = kappa, 1.0
    sq = math.sqrt(kappa)
    rho = (sq - 1.0) / (sq + 1.0)
    alpha = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    beta = rho**2
    T = 400
    x0 = np.array([[1.0, 1.0], [-2.0, 0.5], [0.3, -3.0]])
    res = ls.simulate(surf, {"hb": ls.optim.heavy_ball(alpha, beta),
                             "gd": ls.optim.gd(2.0 / (L + mu))},
                      x0, T, record_every=T // 2)
    nrm = np.linalg.norm(res.positions, axis=-1)  # (opt, n, 3 frames)
    hb = nrm[0]
    emp = (hb[:, 2] / hb[:, 1]) ** (2.0 / T)
    # x_t ~ (A + B t) rho^t (double root): the raw estimate carries a 2^(2/T) factor
    np.testing.assert_allclose(emp, rho, rtol=0.01)
    fitted = ((hb[:, 2] / T) / (hb[:, 1] / (T / 2))) ** (2.0 / T)
    np.testing.assert_allclose(fitted, rho, rtol=1e-3)
    # much faster than GD's (kappa-1)/(kappa+1)
    gd_rate = (nrm[1, :, 2] / nrm[1, :, 1]) ** (2.0 / T)
    np.testing.assert_allclose(gd_rate, (kappa - 1) / (kappa + 1), rtol=1e-6)
    assert np.all(emp < gd_rate - 0.1)
    assert np.all(nrm[0, :, 2] < 1e-12 * nrm[1, :, 2])


SADDLE_CASES = [
    # (eta, delta, r, b)
    (0.1, 1e-3, 1.0, 1.0),
    (0.05, 1e-6, 0.5, 1.0),
    (0.01, 1e-2, 2.0, 1.0),
    (0.2, 1e-7, 3.0, 1.0),
    (0.1, 1e-4, 1.0, 0.5),
    (0.03, 1e-5, 1.5, 2.0),
]


@pytest.mark.parametrize("eta,delta,r,b", SADDLE_CASES)
def test_saddle_escape_time(eta, delta, r, b):
    """GD on f = x^2 - b y^2 from (0, delta): y_t = (1 + 2 b eta)^t delta, and
    leave_ball(0, r) fires first at t* = floor(log(r/delta)/log(1+2 b eta)) + 1."""
    ratio = math.log(r / delta) / math.log(1.0 + 2.0 * b * eta)
    frac = ratio - math.floor(ratio)
    assert 0.02 < frac < 0.98, "pick a non-integer log ratio"
    t_star = math.floor(ratio) + 1
    assert t_star == math.ceil(ratio)
    surf = ls.surfaces.saddle(a=1.0, b=b)
    x0 = np.array([[0.0, delta], [0.0, -delta]])
    res = ls.simulate(surf, ls.optim.gd(eta), x0, t_star + 5, record_every=1,
                      events={"escape": ls.events.leave_ball([0, 0], r),
                              "inside": ls.events.enter_ball([0, 0], r)})
    np.testing.assert_array_equal(res.events["escape"][0], [t_star, t_star])
    np.testing.assert_array_equal(res.events["inside"][0], [0, 0])
    y = res.positions[0, 0, :, 1]
    np.testing.assert_allclose(y, delta * (1.0 + 2.0 * b * eta) ** np.arange(t_star + 6),
                               rtol=1e-12)
    assert abs(y[t_star - 1]) <= r < abs(y[t_star])


def test_ewa_momentum_equals_heavy_ball_with_scaled_lr():
    surf = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(9, [-1.0, 1.0], 0.2, seed=5)
    for alpha, beta in ((2e-3, 0.9), (5e-3, 0.95), (1e-3, 0.5)):
        res = ls.simulate(surf, [ls.optim.momentum(alpha, beta),
                                 ls.optim.heavy_ball(alpha * (1 - beta), beta)],
                          x0, 80, record_every=10)
        np.testing.assert_allclose(res.positions[0], res.positions[1], rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(res.final[0], res.final[1], rtol=1e-11, atol=1e-13)


# --------------------------------------------------------------------------
# no recompilation
# --------------------------------------------------------------------------
def test_no_recompilation_for_data_changes():
    surf = ls.surfaces.rosenbrock()
    kern = fused_cpu.kernel_for(fused_cpu.stage_of(surf))
    x0 = ls.starts.normal(5, [0.0, 0.0], 0.5, seed=0)
    ls.simulate(surf, ls.optim.gd(1e-3), x0, 5)
    n_sig = len(kern.signatures)
    assert n_sig >= 1
    ls.simulate(surf, ls.optim.gd(2e-3), x0, 7)
    ls.simulate(surf, [ls.optim.adam(0.01), ls.optim.nesterov(1e-4, 0.5),
                       ls.optim.adagrad(0.1, schedule=ls.schedules.cosine(10))], x0, 5)
    ls.simulate(surf, {"a": ls.optim.rmsprop(schedule=ls.schedules.linear_warmup(3)),
                       "b": ls.optim.adamw()}, x0[:1], 5, record_every=0,
                events={"e": ls.events.loss_below(1.0),
                        "f": ls.events.enter_ball([1, 1], 0.1)},
                noise=ls.noise.gaussian(0.1, batch_size=8), seed=3)
    ls.simulate(surf, ls.optim.momentum(), ls.starts.normal(300, [0, 0], 1.0), 3,
                record_every=2, record=5, diverge_at=10.0)
    ls.simulate(ls.surfaces.rosenbrock(b=50.0), ls.optim.gd(1e-3), x0, 4, record=0)
    ls.simulate(ls.surfaces.rosenbrock(dim=3, a=2.0), ls.optim.heavy_ball(1e-4),
                np.zeros((4, 3)), 4, events={"l": ls.events.leave_ball([0, 0, 0], 1.0)})
    assert ls.surfaces.rosenbrock(dim=3).vg is surf.vg
    assert fused_cpu.kernel_for(fused_cpu.stage_of(surf)) is kern
    assert len(kern.signatures) == n_sig

    bowl = ls.surfaces.elongated_bowl(kappa=10.0)
    kq = fused_cpu.kernel_for(fused_cpu.stage_of(bowl))
    ls.simulate(bowl, ls.optim.gd(0.01), np.ones((2, 2)), 3)
    nq = len(kq.signatures)
    ls.simulate(ls.surfaces.elongated_bowl(kappa=3.0, angle=1.0), ls.optim.adam(), np.ones((2, 2)),
                3, noise=ls.noise.gaussian(1.0))
    ls.simulate(ls.surfaces.quadratic(np.eye(3), [1, 2, 3]), ls.optim.gd(0.1), np.ones((3, 3)), 3)
    ls.simulate(ls.surfaces.quadratic(np.eye(1)), ls.optim.gd(0.1), np.ones((1, 1)), 3)
    assert len(kq.signatures) == nq


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
def _sim(**kw):
    args = dict(surface=ls.surfaces.rosenbrock(), optimizers=ls.optim.gd(1e-3),
                x0=np.zeros((3, 2)), steps=5)
    args.update(kw)
    return ls.simulate(args.pop("surface"), args.pop("optimizers"), args.pop("x0"),
                       args.pop("steps"), **args)


BAD = [
    # simulate
    (lambda: _sim(x0=np.zeros((3, 3))), "x0"),
    (lambda: _sim(x0=np.zeros((2, 3, 2))), "x0"),
    (lambda: _sim(x0=np.zeros((0, 2))), "x0"),
    (lambda: _sim(x0=[[0.0, float("nan")]]), "x0"),
    (lambda: _sim(x0=[[0.0, 1.0], [float("inf"), 0.0]]), "x0"),
    (lambda: _sim(x0="abc"), "x0"),
    (lambda: _sim(steps=0), "steps"),
    (lambda: _sim(steps=-3), "steps"),
    (lambda: _sim(steps=2.5), "steps"),
    (lambda: _sim(steps=10.0), "steps"),
    (lambda: _sim(steps=True), "steps"),
    (lambda: _sim(record_every=-1), "record_every"),
    (lambda: _sim(record_every=1.5), "record_every"),
    (lambda: _sim(record=-1), "record"),
    (lambda: _sim(dtype="float16"), "dtype"),
    (lambda: _sim(dtype=np.int32), "dtype"),
    (lambda: _sim(backend="tpu"), "backend"),
    (lambda: _sim(seed=-1), "seed"),
    (lambda: _sim(noise=0.1), "noise"),
    (lambda: _sim(events=[ls.events.loss_below(1.0)]), "events"),
    (lambda: _sim(events={"e": ls.events.leave_ball([0, 0, 0], 1.0)}), "center"),
    (lambda: _sim(events={"e": ls.events.enter_ball([0], 1.0)}), "center"),
    (lambda: _sim(events={"e": "loss_below"}), "events"),
    (lambda: _sim(diverge_at=0.0), "diverge_at"),
    (lambda: _sim(diverge_at=float("nan")), "diverge_at"),
    (lambda: _sim(optimizers={}), "optimizers"),
    (lambda: _sim(optimizers="adam"), "optimizers"),
    (lambda: _sim(optimizers={"a": "adam"}), "optimizers"),
    (lambda: _sim(surface="rosenbrock"), "surface"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()



# --------------------------------------------------------------------------
# divergence
# --------------------------------------------------------------------------
def test_divergence_is_frozen_and_isolated_float64():
    surf = ls.surfaces.rosenbrock()
    near = ls.starts.normal(6, [0.8, 0.7], 0.1, seed=6)
    far = np.array([[30.0, 30.0], [-25.0, 40.0], [2e6, 0.0]])  # the last: beyond at t=0
    x0 = np.concatenate([near[:3], far[:2], near[3:], far[2:]])
    steps = 40
    items = [build_opt("gd", {"lr": 0.02}), build_opt("gd", {"lr": 1e-4})]
    res = ls.simulate(surf, {"huge": items[0][0], "tiny": items[1][0]}, x0, steps,
                      record_every=1, events={"low": ls.events.loss_below(0.05)})
    div = res.diverged
    far_rows = [3, 4, 8]
    near_rows = [0, 1, 2, 5, 6, 7]
    assert np.all(div[0] >= 0)  # huge lr: everything blows up
    assert np.all(div[1, far_rows] >= 0)
    assert np.all(div[1, near_rows] == -1)
    assert np.all(div[:, 8] == 0)
    for o in range(2):
        for j in np.flatnonzero(div[o] >= 0):
            td = div[o, j]
            frozen = res.positions[o, j, td:]
            assert np.array_equal(frozen, np.broadcast_to(frozen[0], frozen.shape),
                                  equal_nan=True)
            assert np.array_equal(res.final[o, j], frozen[0], equal_nan=True)
            assert res.events["low"][o, j] < td  # (-1 or before) never checked after
    # matches the reference loop, divergence steps included
    for o, (_, spec) in enumerate(items):
        want = ref.run_reference(vg_of(surf), spec, x0, steps, 1,
                                 events={"low": ("loss_below", 0.05)})
        np.testing.assert_array_equal(res.diverged[o], want["diverged"])
        np.testing.assert_array_equal(res.events["low"][o], want["events"]["low"])
        live = want["diverged"] < 0
        np.testing.assert_allclose(res.final[o, live], want["final"][live], rtol=RTOL)
    # the survivors are bit-identical to a run without the diverging ones
    alone = ls.simulate(surf, {"tiny": items[1][0]}, x0[near_rows], steps, record_every=1,
                        events={"low": ls.events.loss_below(0.05)})
    np.testing.assert_array_equal(alone.positions[0], res.positions[1, near_rows])
    np.testing.assert_array_equal(alone.final[0], res.final[1, near_rows])
    np.testing.assert_array_equal(alone.final_loss[0], res.final_loss[1, near_rows])
    np.testing.assert_array_equal(alone.events["low"][0], res.events["low"][1, near_rows])
    assert res.diverged_fraction() == pytest.approx([1.0, 3 / 9])


def test_divergence_custom_bound():
    surf = ls.surfaces.rosenbrock()
    x0 = np.array([[0.5, 0.5], [3.0, 3.0]])
    res = ls.simulate(surf, ls.optim.gd(1e-3), x0, 30, record_every=1, diverge_at=4.0)
    want = ref.run_reference(vg_of(surf), ref.OptSpec("gd", 1e-3), x0, 30, 1, diverge_at=4.0)
    np.testing.assert_array_equal(res.diverged[0], want["diverged"])
    assert res.diverged[0, 0] == -1 and res.diverged[0, 1] > 0
    np.testing.assert_allclose(res.positions[0], want["positions"], rtol=RTOL)


def test_nan_producing_settings_never_raise():
    """Adam/RMSprop with eps = 0 at an exact stationary point: 0/0 = NaN."""
    surf = ls.surfaces.rosenbrock()
    x0 = np.array([[1.0, 1.0], [-1.0, 0.5]])  # (1, 1): gradient exactly 0
    items = [build_opt("adam", {"lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 0.0}),
             build_opt("rmsprop", {"lr": 0.01, "beta": 0.9, "eps": 0.0}),
             build_opt("adam", {"lr": 1e30, "b1": 0.9, "b2": 0.999, "eps": 0.0})]
    res = ls.simulate(surf, [o for o, _ in items], x0, 10, record_every=1,
                      events={"low": ls.events.loss_below(1e-3)})
    assert res.diverged[0, 0] == 1 and res.diverged[1, 0] == 1
    assert np.all(res.diverged[2] == 1)
    assert res.diverged[0, 1] == -1
    for o, (_, spec) in enumerate(items):
        want = ref.run_reference(vg_of(surf), spec, x0, 10, 1,
                                 events={"low": ("loss_below", 1e-3)})
        np.testing.assert_array_equal(res.diverged[o], want["diverged"])
        np.testing.assert_array_equal(res.events["low"][o], want["events"]["low"])
    res.summary()  # no warnings, no errors
    res.format_table()


def test_divergence_float32():
    surf = ls.surfaces.elongated_bowl(kappa=10.0, angle=0.5)
    L = 10.0
    x0 = np.array([[1.0, 2.0], [-3.0, 0.5], [5e6, 0.0], [0.2, -0.1]])
    kw = dict(record_every=1, dtype="float32")
    res = ls.simulate(surf, {"bad": ls.optim.gd(2.5 / L), "ok": ls.optim.gd(0.5 / L)},
                      x0, 300, **kw)
    assert res.final.dtype == np.float32 and res.positions.dtype == np.float32
    assert np.all(res.diverged[0] >= 0)
    np.testing.assert_array_equal(res.diverged[1], [-1, -1, 0, -1])
    for j in range(4):
        td = res.diverged[0, j]
        frozen = res.positions[0, j, td:]
        assert np.array_equal(frozen, np.broadcast_to(frozen[0], frozen.shape), equal_nan=True)
    ok_rows = [0, 1, 3]
    alone = ls.simulate(surf, {"ok": ls.optim.gd(0.5 / L)}, x0[ok_rows], 300, **kw)
    np.testing.assert_array_equal(alone.positions[0], res.positions[1, ok_rows])
    np.testing.assert_array_equal(alone.final[0], res.final[1, ok_rows])


# --------------------------------------------------------------------------
# float32
# --------------------------------------------------------------------------
def test_float32_agrees_with_float64():
    surf = ls.surfaces.elongated_bowl(kappa=4.0, angle=0.3)
    x0 = ls.starts.normal(7, [1.0, -2.0], 0.5, seed=8)
    opts = {"gd": ls.optim.gd(0.1), "hb": ls.optim.heavy_ball(0.05, 0.8),
            "adam": ls.optim.adam(0.05), "nag": ls.optim.nesterov(0.05, 0.5),
            "rms": ls.optim.rmsprop(0.01, schedule=ls.schedules.cosine(50))}
    kw = dict(record_every=10, noise=ls.noise.gaussian(0.1), seed=2)
    r64 = ls.simulate(surf, opts, x0, 60, **kw)
    r32 = ls.simulate(surf, opts, x0, 60, dtype="float32", **kw)
    assert r32.final.dtype == np.float32 and r64.final.dtype == np.float64
    assert r32.config["dtype"] == "float32"
    np.testing.assert_allclose(r32.positions, r64.positions, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(r32.final_loss, r64.final_loss, rtol=1e-3, atol=1e-5)
    assert np.all(r32.diverged == -1)
    r32t = ls.simulate(surf, opts, x0, 60, dtype=np.float32, **kw)  # numpy dtypes accepted
    np.testing.assert_array_equal(r32t.final, r32.final)


def test_float32_denormal_range():
    """GD on |x|^2/2 with lr 0.1: x_t = 0.9^t x_0 falls through float32's
    subnormal range (flushed to zero) without NaN, divergence or slowdown."""
    surf = ls.surfaces.quadratic(np.eye(2))
    x0 = np.array([[1.0, -2.0], [3.0, 0.5]])
    steps = 1000
    res = ls.simulate(surf, ls.optim.gd(0.1), x0, steps, record_every=50, dtype="float32")
    t = res.frame_steps
    want = x0[:, None, :] * 0.9 ** t[None, :, None]
    normal_range = t <= 700  # 0.9^700 * 3 ~ 3e-32, well inside float32's normal range
    np.testing.assert_allclose(res.positions[0][:, normal_range], want[:, normal_range],
                               rtol=1e-4)
    tiny = np.finfo(np.float32).tiny
    assert np.all(np.isfinite(res.positions))
    assert np.all(np.abs(res.final[0]) <= tiny)
    assert np.all((res.final_loss[0] >= 0) & (res.final_loss[0] <= tiny))
    assert np.all(res.diverged == -1)
    # the caller's floating-point environment is left alone (subnormals still work)
    sub = np.array([2.0**-1070])
    assert (sub / 2.0)[0] == 2.0**-1071
    assert np.float32(1e-40) * np.float32(1.0) != 0


@njit
def _allocating_bowl_vg(X, G, F, P):
    """0.5 |x|^2 through a temporary array: a stage that needs Numba's allocator (NRT)."""
    d, n = X.shape
    tmp = np.empty(n)
    for j in range(n):
        tmp[j] = 0.0
        for k in range(d):
            G[k, j] = X[k, j]
            tmp[j] += 0.5 * X[k, j] * X[k, j]
        F[j] = tmp[j]


def test_a_stage_that_allocates_gets_a_kernel_with_nrt():
    """landscape's kernels compile without reference counting; a user's allocating vg keeps NRT."""
    from landscape.engine import fused_cpu, stages
    from landscape.surfaces._base import Surface, box

    surf = Surface("allocating_bowl", 2, np.zeros(0), _allocating_bowl_vg, None, np.zeros((1, 2)),
                   np.zeros((0, 2)), box(2, -2.0, 2.0))  # fmt: skip
    assert stages.needs_nrt(surf)
    res = ls.simulate(surf, ls.optim.gd(0.5), [[1.0, -2.0]], 3, record_every=1)
    np.testing.assert_allclose(res.positions[0, 0, :, 0], [1.0, 0.5, 0.25, 0.125])
    assert fused_cpu.kernel_for(fused_cpu.stage_of(surf), True).targetoptions["_nrt"] is True
    for own in (ls.surfaces.quadratic(A=np.eye(2)), ls.surfaces.linear_regression(m=20)):
        assert not stages.needs_nrt(own)
        assert fused_cpu.kernel_for(fused_cpu.stage_of(own)).targetoptions["_nrt"] is False


_MIXED_NRT_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from numba import njit
    import landscape as ls
    from landscape.surfaces._base import Surface, box

    @njit
    def vg(X, G, F, P):
        tmp = np.empty(X.shape[1])
        for j in range(X.shape[1]):
            tmp[j] = 0.5 * (X[0, j] ** 2 + X[1, j] ** 2)
            G[0, j] = X[0, j]
            G[1, j] = X[1, j]
            F[j] = tmp[j]

    ls.simulate(ls.surfaces.quadratic(A=np.eye(2)), ls.optim.adam(0.1), [[1.0, -2.0]], 3)
    user = Surface("user", 2, np.zeros(0), vg, None, np.zeros((1, 2)), np.zeros((0, 2)),
                   box(2, -2.0, 2.0))
    print(ls.simulate(user, ls.optim.adam(0.1), [[1.0, -2.0]], 3).final[0, 0, 0])
    """
)


def test_user_nrt_kernel_after_a_no_nrt_kernel_exits_cleanly():
    """A no-NRT kernel, then a user's NRT kernel, in one process: no heap corruption at exit.

    (Regression: a helper returning array rows across the two kinds of kernel
    made glibc abort the process at exit.)
    """
    proc = subprocess.run([sys.executable, "-c", _MIXED_NRT_SCRIPT], capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
