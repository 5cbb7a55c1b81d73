"""The batched engine (BLAS gradients + one fused update kernel per step).

Surfaces here are local batched quadratics (f = 1/2 x^T A x, gradient X @ A),
flat and on the sphere, so these tests do not depend on the random surfaces
of ``landscape.surfaces.random``.  Checked against the slow NumPy oracle
(tests/reference.py), against the fused engine on ``ls.surfaces.quadratic``
(the same numbers to rounding), and against a projected/retracted oracle on
the sphere.

Compile budget: the batched kernel in float64 and float32, the fused
quadratic kernel in float64 and float32, and two subprocesses (thread counts).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import landscape as ls
from landscape._rng import normals, seed_key_of
from landscape.surfaces._base import Surface, box

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference as ref
    from ._helpers import build_opt
except ImportError:
    import reference as ref
    from _helpers import build_opt

RTOL = 1e-10


# --------------------------------------------------------------------------
# local batched surfaces
# --------------------------------------------------------------------------
class BatchedQuadratic:
    """``f = 1/2 x^T A x`` for rows of ``X``; counts calls and the shapes/dtypes seen."""

    def __init__(self, A, manifold=None, bad_loss=False):
        self.A64 = np.asarray(A, dtype=np.float64)
        self.A = {np.dtype(np.float64): self.A64, np.dtype(np.float32): self.A64.astype(np.float32)}
        self.manifold = manifold
        self.calls = []
        self.bad_loss = bad_loss

    def value_and_grad(self, X, G):
        assert X.flags.c_contiguous and G.flags.c_contiguous and X.dtype == G.dtype
        self.calls.append((X.shape, X.dtype))
        np.matmul(X, self.A[X.dtype], out=G)
        F = 0.5 * np.einsum("ij,ij->i", X, G)
        return F[:-1] if self.bad_loss else F

    def hvp(self, x, v):
        return self.A64 @ v

    def hessian(self, x):
        return self.A64.copy()


def batched_quadratic(A, manifold=None, **kw):
    A = np.asarray(A, dtype=np.float64)
    d = A.shape[0]
    return Surface(
        "batched_quadratic", d, np.zeros(0), None, None, np.zeros((0, d)), np.zeros((0, d)),
        box(d, -3.0, 3.0), formula=r"\tfrac12 x^\top A x", kwargs={"A": A},
        batched=BatchedQuadratic(A, manifold, **kw),
    )  # fmt: skip


def sym(d, low, high, seed):
    """A symmetric matrix with eigenvalues spread over [low, high]."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (Q * np.linspace(low, high, d)) @ Q.T


def ref_vg(A):
    return lambda x: (0.5 * np.einsum("ij,ij->i", x, x @ A), x @ A)


GRID = [  # every kind, several schedules
    ("gd", {"lr": 0.3}, None),
    ("momentum", {"lr": 0.5, "beta": 0.9}, ("inverse_time", {"decay": 0.3, "steps_per_epoch": 7})),
    ("heavy_ball", {"lr": 0.05, "beta": 0.85}, ("exponential", {"base": 0.9, "steps_per_epoch": 5})),
    ("nesterov", {"lr": 0.05, "beta": 0.7}, ("inverse_sqrt_step", {"k": 1.5})),
    ("rmsprop", {"lr": 1e-2, "beta": 0.95, "eps": 1e-6}, ("cosine", {"decay_steps": 30})),
    ("adagrad", {"lr": 0.2, "eps": 1e-7},
     ("staircase", {"factor": 0.5, "every": 2, "steps_per_epoch": 6})),
    ("adam", {"lr": 0.05, "b1": 0.9, "b2": 0.99, "eps": 1e-8},
     ("linear_warmup", {"warmup_steps": 10, "then": ("cosine", {"decay_steps": 40})})),
    ("adamw", {"lr": 0.03, "b1": 0.8, "b2": 0.999, "eps": 1e-6, "weight_decay": 0.1},
     ("piecewise", {"boundaries": [2, 4], "factors": [1.0, 0.3, 0.1], "steps_per_epoch": 10})),
    ("amsgrad", {"lr": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-8}, ("cosine", {"decay_steps": 30})),
    ("nadam", {"lr": 0.05, "b1": 0.9, "b2": 0.99, "eps": 1e-8, "momentum_decay": 0.01},
     ("inverse_time", {"decay": 0.3, "steps_per_epoch": 7})),
    ("sgd", {"lr": 3.0}, None),  # unstable along the top eigenvalue: diverges
]


def ls_events(spec):
    out = {}
    for name, ev in spec.items():
        if ev[0] == "loss_below":
            out[name] = ls.events.loss_below(ev[1])
        else:
            out[name] = getattr(ls.events, ev[0])(ev[1], ev[2])
    return out


# --------------------------------------------------------------------------
# against the reference oracle
# --------------------------------------------------------------------------
def test_matches_reference_every_kind_schedule_noise_events_divergence():
    d, n, steps, rec_every, record, seed, sigma = 6, 23, 50, 5, 13, 77, 0.2
    A = sym(d, -0.3, 2.0, seed=1)
    surf = batched_quadratic(A)
    x0 = ls.starts.normal(n, np.full(d, 0.3), 1.0, seed=2)
    items = [build_opt(*g) for g in GRID]
    ev = {"left": ("leave_ball", [0.3] * d, 2.0), "near": ("enter_ball", [0.0] * d, 1.0),
          "low": ("loss_below", -0.05)}
    bound = 40.0
    res = ls.simulate(surf, [o for o, _ in items], x0, steps, record_every=rec_every,
                      record=record, events=ls_events(ev), noise=ls.noise.gaussian(sigma),
                      seed=seed, diverge_at=bound)
    assert res.config["engine"] == "batched" and res.config["backend"] == "cpu"
    assert res.positions.shape == (len(items), record, steps // rec_every + 1, d)
    # one value_and_grad per step (and the last iterate), on every row at once
    assert surf.batched.calls == [((len(items) * n, d), np.dtype(np.float64))] * (steps + 1)
    table = ref.gaussian_noise_table(seed_key_of(seed), range(n), steps, d, sigma, normals)
    for o, (_, spec) in enumerate(items):
        want = ref.run_reference(ref_vg(A), spec, x0, steps, rec_every,
                                 noise_fn=lambda i, t: table[i, t], events=ev, diverge_at=bound)
        ref.assert_run_matches(res, o, want, list(range(n)), set(range(record)))
    # the events and divergence discriminate
    for name, times in res.events.items():
        assert (times > 0).any() and (times < 0).any(), name
    assert (res.diverged[-1] >= 0).all()  # lr = 3: every trajectory diverges
    assert (res.diverged[:-1] >= 0).any() and (res.diverged[:-1] < 0).any()
    # a diverged trajectory is frozen where it was flagged
    o = len(items) - 1
    for j in range(record):
        td = res.diverged[o, j]
        frozen = res.positions[o, j, -(-td // rec_every):]
        np.testing.assert_array_equal(frozen, np.broadcast_to(res.final[o, j], frozen.shape))
    # the diverging optimizer changes nothing for the others (bit for bit)
    alone = ls.simulate(surf, [o for o, _ in items[:-1]], x0, steps, record_every=rec_every,
                        record=record, events=ls_events(ev), noise=ls.noise.gaussian(sigma),
                        seed=seed, diverge_at=bound)
    for key in ("positions", "final", "final_loss", "diverged"):
        np.testing.assert_array_equal(getattr(alone, key), getattr(res, key)[:-1], err_msg=key)
    res.summary()
    res.format_table()


def test_non_finite_gradient_and_start_beyond_bound():
    A = sym(3, 0.5, 1.0, seed=3)
    surf = batched_quadratic(A)
    x0 = np.array([[1.0, 0.5, -0.2], [2e6, 0.0, 0.0], [0.3, 0.2, 0.1]])
    items = [build_opt("adam", {"lr": 1e30, "eps": 0.0}), build_opt("gd", {"lr": 0.1})]
    res = ls.simulate(surf, [o for o, _ in items], x0, 10, record_every=1)
    assert (res.diverged[:, 1] == 0).all()
    assert (res.diverged[0] >= 0).all() and res.diverged[1, 0] == -1
    for o, (_, spec) in enumerate(items):
        want = ref.run_reference(ref_vg(A), spec, x0, 10, 1)
        ref.assert_run_matches(res, o, want, [0, 1, 2], {0, 1, 2})


# --------------------------------------------------------------------------
# against the fused engine on the same quadratic
# --------------------------------------------------------------------------
def test_same_numbers_as_the_fused_engine():
    """n = 300 spans two fused blocks; noise keyed by (seed, trajectory, step, coord)."""
    d, n, steps = 4, 300, 40
    A = sym(d, 0.1, 2.0, seed=4)
    opts = {"gd": ls.optim.gd(0.4), "hb": ls.optim.heavy_ball(0.1, 0.8),
            "nag": ls.optim.nesterov(0.05, 0.9, schedule=ls.schedules.cosine(30)),
            "rms": ls.optim.rmsprop(0.02), "adam": ls.optim.adam(0.05),
            "adamw": ls.optim.adamw(0.05, weight_decay=0.2,
                                    schedule=ls.schedules.inverse_time(0.1, steps_per_epoch=4))}
    x0 = ls.starts.normal(n, [1.0, -1.0, 0.5, 0.0], 0.7, seed=5)
    kw = dict(record_every=4, record=270, noise=ls.noise.gaussian(0.3), seed=9,
              events={"near": ls.events.enter_ball([0.0] * d, 0.4),
                      "low": ls.events.loss_below(0.05)})
    for dtype, rtol in (("float64", 1e-12), ("float32", 2e-5)):
        a = ls.simulate(batched_quadratic(A), opts, x0, steps, dtype=dtype, **kw)
        b = ls.simulate(ls.surfaces.quadratic(A), opts, x0, steps, dtype=dtype, **kw)
        assert a.final.dtype == np.dtype(dtype) and a.positions.dtype == np.dtype(dtype)
        assert a.final_loss.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a.diverged, b.diverged)
        for key in ("positions", "final", "final_loss"):
            np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=rtol,
                                       atol=rtol * 1e-2, err_msg=f"{key} {dtype}")
        if dtype == "float64":  # float32 event steps may differ by a step at a threshold
            for name in a.events:
                np.testing.assert_array_equal(a.events[name], b.events[name], err_msg=name)
                assert (a.events[name] > 0).any()


def test_float32_runs_in_float32():
    A = sym(8, 0.2, 1.5, seed=6)
    surf = batched_quadratic(A)
    x0 = ls.starts.normal(5, np.ones(8), 0.5, seed=7)
    opts = [ls.optim.adam(0.05), ls.optim.momentum(0.3)]
    r32 = ls.simulate(surf, opts, x0, 30, dtype="float32", record_every=10)
    assert {c[1] for c in surf.batched.calls} == {np.dtype(np.float32)}
    for key in ("positions", "final", "final_loss"):
        assert getattr(r32, key).dtype == np.float32, key
    r64 = ls.simulate(surf, opts, x0, 30, record_every=10)
    np.testing.assert_allclose(r32.final, r64.final, rtol=1e-4, atol=1e-5)


def test_recording_subsets():
    A = sym(5, 0.2, 1.0, seed=8)
    surf = batched_quadratic(A)
    x0 = ls.starts.normal(9, np.ones(5), 0.5, seed=1)
    opts = [ls.optim.adam(0.05), ls.optim.gd(0.5)]
    full = ls.simulate(surf, opts, x0, 12, record_every=3)
    part = ls.simulate(surf, opts, x0, 12, record_every=3, record=4)
    none = ls.simulate(surf, opts, x0, 12, record_every=0)
    assert full.positions.shape == (2, 9, 5, 5) and part.positions.shape == (2, 4, 5, 5)
    assert none.positions.shape[1:3] == (0, 0) and none.loss.shape == (2, 0, 0)
    np.testing.assert_array_equal(part.positions, full.positions[:, :4])
    np.testing.assert_array_equal(none.final, full.final)
    np.testing.assert_array_equal(full.positions[:, :, 0], np.broadcast_to(x0, (2, 9, 5)))
    np.testing.assert_array_equal(full.positions[:, :, -1], full.final)
    np.testing.assert_allclose(full.loss[:, :, -1], full.final_loss, rtol=1e-14)


# --------------------------------------------------------------------------
# the sphere: projected and retracted steps
# --------------------------------------------------------------------------
def sphere_reference(A, spec, x0, steps, table=None):
    """Per trajectory: project g on the tangent space, the textbook update, retract."""
    d = A.shape[0]
    out = []
    for i, x in enumerate(np.asarray(x0, dtype=np.float64)):
        x = x * math.sqrt(d) / np.linalg.norm(x)
        st = ref._State(d)
        for t in range(steps):
            g = x @ A
            if table is not None:
                g = g + table[i, t]
            g = g - (g @ x) / (x @ x) * x
            x = ref.update(spec, st, x, g, spec.schedule(t, spec.lr))
            x = x * math.sqrt(d) / np.linalg.norm(x)
        out.append(x)
    return np.array(out)


def test_sphere_matches_projected_retracted_reference():
    d, n, steps, sigma, seed = 7, 6, 40, 0.1, 3
    A = sym(d, -1.0, 1.0, seed=9)
    surf = batched_quadratic(A, manifold="sphere")
    x0 = ls.starts.normal(n, np.zeros(d), 1.0, seed=10)  # not on the sphere: scaled onto it
    items = [build_opt(*GRID[i]) for i in (0, 2, 3, 4, 6, 7)]
    res = ls.simulate(surf, [o for o, _ in items], x0, steps, record_every=1,
                      noise=ls.noise.gaussian(sigma), seed=seed)
    table = ref.gaussian_noise_table(seed_key_of(seed), range(n), steps, d, sigma, normals)
    np.testing.assert_allclose(np.sum(res.x0**2, axis=1), d, rtol=1e-14)
    np.testing.assert_allclose(res.positions[:, :, 0], np.broadcast_to(res.x0, (6, n, d)))
    for o, (_, spec) in enumerate(items):
        np.testing.assert_allclose(res.final[o], sphere_reference(A, spec, x0, steps, table),
                                   rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-13), ("float32", 1e-6)])
def test_sphere_stays_on_sphere_and_finds_the_smallest_eigenvector(dtype, tol):
    d, n, steps = 12, 8, 10_000
    A = sym(d, -1.0, 2.0, seed=11)  # p = 2 spherical model: minimum at the bottom eigenvector
    w, Q = np.linalg.eigh(A)
    surf = batched_quadratic(A, manifold="sphere")
    x0 = ls.starts.normal(n, np.zeros(d), 1.0, seed=12)
    res = ls.simulate(surf, {"gd": ls.optim.gd(0.02), "adam": ls.optim.adam(0.01,
                      schedule=ls.schedules.cosine(steps))}, x0, steps, record_every=100,
                      dtype=dtype)  # fmt: skip
    np.testing.assert_allclose(np.sum(res.final.astype(np.float64) ** 2, axis=2), d,
                               rtol=10 * tol)  # fmt: skip
    np.testing.assert_allclose(np.sum(res.positions.astype(np.float64) ** 2, axis=3), d,
                               rtol=10 * tol)  # fmt: skip
    assert (res.diverged < 0).all()
    # gradient descent decreases the energy step after step, to the ground state d * lambda_min / 2
    gd_loss = res.loss[0]
    assert np.all(np.diff(gd_loss, axis=1) <= 1e4 * tol * d)
    np.testing.assert_allclose(res.final_loss, 0.5 * d * w[0], rtol=1e-4)
    overlap = np.abs(res.final.astype(np.float64) @ Q[:, 0]) / math.sqrt(d)
    np.testing.assert_allclose(overlap, 1.0, atol=1e-4)


# --------------------------------------------------------------------------
# the random surfaces of landscape.surfaces.random, when present
# --------------------------------------------------------------------------
needs_random = pytest.mark.skipif(not hasattr(ls.surfaces, "random_quadratic"),
                                  reason="landscape.surfaces.random is not there yet")


@needs_random
def test_random_quadratic_same_numbers_as_the_fused_quadratic():
    surf = ls.surfaces.random_quadratic(dim=6, index=2, center=[0.1, 0, 0, -0.2, 0, 0.3], seed=3)
    fused = ls.surfaces.quadratic(surf.batched.matrix, center=surf.batched.center)
    x0 = ls.starts.normal(40, np.zeros(6), 0.5, seed=4)
    opts = [ls.optim.gd(0.2), ls.optim.adam(0.02), ls.optim.nesterov(0.05, 0.9)]
    kw = dict(record_every=5, noise=ls.noise.gaussian(0.05), seed=1, diverge_at=20.0,
              events={"left": ls.events.leave_ball(np.zeros(6), 2.0)})
    a = ls.simulate(surf, opts, x0, 60, **kw)
    b = ls.simulate(fused, opts, x0, 60, **kw)
    np.testing.assert_array_equal(a.diverged, b.diverged)
    np.testing.assert_array_equal(a.events["left"], b.events["left"])
    assert (a.events["left"] > 0).any()
    for key in ("positions", "final", "final_loss"):
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=1e-11, atol=1e-13)


@needs_random
def test_pspin_descends_on_the_sphere():
    surf = ls.surfaces.pspin(dim=24, p=3, seed=0)
    x0 = ls.starts.normal(16, np.zeros(24), 1.0, seed=1)
    res = ls.simulate(surf, {"gd": ls.optim.gd(0.02), "adam": ls.optim.adam(0.02)}, x0, 2000,
                      record_every=200)  # fmt: skip
    np.testing.assert_allclose(np.sum(res.positions**2, axis=3), 24.0, rtol=1e-13)
    assert (res.diverged < 0).all()
    assert np.all(np.diff(res.loss[0], axis=1) <= 1e-9)  # gradient descent lowers the energy
    assert np.all(res.final_loss < res.loss[:, :, 0])


# --------------------------------------------------------------------------
# thread counts
# --------------------------------------------------------------------------
_THREAD_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import landscape as ls
    sys.path.insert(0, {tests!r})
    from test_batched import batched_quadratic, sym

    A = sym(96, -0.5, 2.0, seed=1)
    x0 = ls.starts.normal(300, np.full(96, 0.2), 1.0, seed=2)
    out = {{}}
    for dtype in ("float64",):
        for manifold in (None, "sphere"):
            r = ls.simulate(batched_quadratic(A, manifold), [ls.optim.adam(0.02), ls.optim.gd(0.3)],
                            x0, 30, record_every=10, record=40, dtype=dtype, seed=5,
                            noise=ls.noise.gaussian(0.5),
                            events={{"near": ls.events.enter_ball(np.zeros(96), 9.0)}})
            tag = f"{{dtype}}_{{manifold}}"
            out[tag + "_final"] = r.final
            out[tag + "_pos"] = r.positions
            out[tag + "_near"] = r.events["near"]
            out[tag + "_div"] = r.diverged
            assert r.final.dtype == np.dtype(dtype)
    np.savez(sys.argv[1], **out)
    """
)


def test_same_numbers_for_any_thread_count(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_THREAD_SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__))))
    procs = {}
    for threads in (1, 2):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))  # fmt: skip
        procs[threads] = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / f"t{threads}.npz")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    for p in procs.values():
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    a, b = np.load(tmp_path / "t1.npz"), np.load(tmp_path / "t2.npz")
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert np.isfinite(a["float64_None_final"]).all()


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
def _sim(surface=None, **kw):
    surf = surface if surface is not None else batched_quadratic(np.eye(3))
    args = dict(optimizers=ls.optim.gd(0.1), x0=np.ones((2, 3)), steps=3)
    args.update(kw)
    return ls.simulate(surf, args.pop("optimizers"), args.pop("x0"), args.pop("steps"), **args)


BAD = [
    (lambda: _sim(x0=np.ones((2, 4))), "x0"),
    (lambda: _sim(x0=[[1.0, float("nan"), 0.0]]), "x0"),
    (lambda: _sim(batched_quadratic(np.eye(3), "sphere"), x0=[[1.0, 0, 0], [0, 0, 0]]), "x0"),
    (lambda: _sim(steps=0), "steps"),
    (lambda: _sim(record_every=-1), "record_every"),
    (lambda: _sim(dtype="float16"), "dtype"),
    (lambda: _sim(seed=-1), "seed"),
    (lambda: _sim(noise=0.1), "noise"),
    (lambda: _sim(batch_size=4), "batch_size"),
    (lambda: _sim(events={"e": ls.events.enter_ball([0, 0], 1.0)}), "center"),
    (lambda: _sim(diverge_at=-1.0), "diverge_at"),
    (lambda: _sim(backend="tpu"), "backend"),
    (lambda: _sim(batched_quadratic(np.eye(3), "torus")), "manifold"),
    (lambda: _sim(batched_quadratic(np.eye(3), bad_loss=True)), "value_and_grad"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_cuda_backend_is_refused_and_auto_runs_on_the_cpu():
    with pytest.raises(ls.CudaUnavailable, match="batched engine.*cuBLAS via CuPy"):
        _sim(backend="cuda")
    res = _sim(backend="auto")
    assert res.config["backend"] == "cpu" and res.config["engine"] == "batched"
