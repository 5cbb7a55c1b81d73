"""Learning-rate schedules (landscape.optim.schedules): values against their
definitions in tests/reference.py, as the fused kernel applies them
(``factor_at``), and argument validation."""

from __future__ import annotations

import numpy as np
import pytest

import landscape as ls

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference as ref
    from ._helpers import build_opt, build_schedule, vg_of
except ImportError:
    import reference as ref
    from _helpers import build_opt, build_schedule, vg_of


SCHEDULE_DESCS = [
    ("constant", {}),
    ("inverse_time", {"decay": 1.0}),
    ("inverse_time", {"decay": 0.5, "steps_per_epoch": 3}),
    ("exponential", {"base": 0.95}),
    ("exponential", {"base": 0.8, "steps_per_epoch": 4}),
    ("inverse_sqrt_epoch", {"k": 1.0}),
    ("inverse_sqrt_epoch", {"k": 0.7, "steps_per_epoch": 5}),
    ("inverse_sqrt_step", {"k": 1.0}),
    ("inverse_sqrt_step", {"k": 3.0}),
    ("staircase", {"factor": 0.5, "every": 10}),
    ("staircase", {"factor": 0.3, "every": 2, "steps_per_epoch": 3}),
    ("cosine", {"decay_steps": 20}),
    ("cosine", {"decay_steps": 7, "alpha": 0.25}),
    ("piecewise", {"boundaries": [10, 20], "factors": [1.0, 0.1, 0.01]}),
    ("piecewise", {"boundaries": [2, 5, 6], "factors": [1.0, 0.5, 0.2, 0.05],
                   "steps_per_epoch": 4}),
    ("manual", {"boundaries": [3], "factors": [1.0, 0.25], "steps_per_epoch": 2}),
    ("linear_warmup", {"warmup_steps": 10, "then": ("inverse_sqrt_step", {"k": 1.0})}),
    ("linear_warmup", {"warmup_steps": 1, "then": ("exponential", {"base": 0.9})}),
    ("linear_warmup", {"warmup_steps": 6,
                       "then": ("inverse_time", {"decay": 0.2, "steps_per_epoch": 4})}),
    ("linear_warmup", {"warmup_steps": 12, "then": ("cosine", {"decay_steps": 30, "alpha": 0.1})}),
    ("linear_warmup", {"warmup_steps": 5,
                       "then": ("piecewise", {"boundaries": [3], "factors": [1.0, 0.1],
                                              "steps_per_epoch": 2})}),
]


@pytest.mark.parametrize("desc", SCHEDULE_DESCS, ids=lambda d: d[0])
def test_schedule_values_match_definition(desc):
    sched, fn = build_schedule(desc)
    ts = np.arange(0, 80)
    want = np.array([fn(int(t), 0.3) for t in ts])
    np.testing.assert_allclose(sched(ts, 0.3), want, rtol=1e-13)
    for t in (0, 1, 17, 79):
        assert sched(t, 0.3) == pytest.approx(fn(t, 0.3), rel=1e-13)
        assert isinstance(sched(t, 0.3), float)


def test_kernel_uses_the_schedules():
    """GD on f = x^2/2 (A = I): x_{t+1} = (1 - alpha_t) x_t reveals alpha_t."""
    surf = ls.surfaces.quadratic(np.eye(1))
    lr0, steps = 0.2, 50
    built = [build_schedule(d) for d in SCHEDULE_DESCS]
    opts = [ls.optim.gd(lr0, schedule=s) for s, _ in built]
    res = ls.simulate(surf, opts, np.array([[1.0]]), steps, record_every=1)
    x = res.positions[:, 0, :, 0]  # (optimizer, frame)
    alpha = 1.0 - x[:, 1:] / x[:, :-1]
    for o, (_, fn) in enumerate(built):
        want = [fn(t, lr0) for t in range(steps)]
        np.testing.assert_allclose(alpha[o], want, rtol=1e-10, err_msg=SCHEDULE_DESCS[o][0])


def test_course_inverse_time_example():
    s = ls.schedules.inverse_time(decay=1)
    lr = s.by_epoch([1, 2, 3, 4], 0.2)
    np.testing.assert_allclose(lr, [0.1, 0.2 / 3, 0.05, 0.04], rtol=1e-15)
    assert [round(v, 4) for v in lr] == [0.1, 0.0667, 0.05, 0.04]
    # with 3 steps per epoch: constant inside an epoch, by_epoch at the first update
    s3 = ls.schedules.inverse_time(decay=1, steps_per_epoch=3)
    np.testing.assert_allclose(s3.by_epoch([1, 2, 3, 4], 0.2), lr, rtol=1e-15)
    np.testing.assert_allclose(s3(np.arange(12), 0.2), np.repeat(lr, 3), rtol=1e-15)
    # ... and the kernel steps with exactly these rates (x_{t+1} = (1 - alpha_t) x_t)
    surf = ls.surfaces.quadratic(np.eye(2))
    res = ls.simulate(surf, [ls.optim.gd(0.2, schedule=s), ls.optim.gd(0.2, schedule=s3)],
                      np.array([[1.0, -2.0]]), 12, record_every=1)
    x = res.positions[:, 0, :, :]
    alpha = 1.0 - x[:, 1:, :] / x[:, :-1, :]
    np.testing.assert_allclose(alpha[0, :4, 0], lr, rtol=1e-12)
    np.testing.assert_allclose(alpha[0, :4, 1], lr, rtol=1e-12)
    np.testing.assert_allclose(alpha[1, :, 0], np.repeat(lr, 3), rtol=1e-12)


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
BAD = [
    (lambda: ls.schedules.make("cosin"), "schedule"),
    (lambda: ls.schedules.inverse_time(decay=-1.0), "decay"),
    (lambda: ls.schedules.inverse_time(steps_per_epoch=0), "steps_per_epoch"),
    (lambda: ls.schedules.exponential(base=0.0), "base"),
    (lambda: ls.schedules.exponential(base=1.5), "base"),
    (lambda: ls.schedules.inverse_sqrt_epoch(k=0.0), "k"),
    (lambda: ls.schedules.inverse_sqrt_step(k=-1.0), "k"),
    (lambda: ls.schedules.staircase(every=0), "every"),
    (lambda: ls.schedules.staircase(every=2.5), "every"),
    (lambda: ls.schedules.staircase(factor=0.0), "factor"),
    (lambda: ls.schedules.cosine(0), "decay_steps"),
    (lambda: ls.schedules.cosine(10, alpha=1.5), "alpha"),
    (lambda: ls.schedules.piecewise([10, 20], [1.0, 0.1]), "factors"),
    (lambda: ls.schedules.piecewise([10], [1.0, 0.1, 0.01]), "factors"),
    (lambda: ls.schedules.piecewise([20, 10], [1.0, 0.1, 0.01]), "boundaries"),
    (lambda: ls.schedules.piecewise([0], [1.0, 0.1]), "boundaries"),
    (lambda: ls.schedules.piecewise([5], [1.0, -0.1]), "factors"),
    (lambda: ls.schedules.manual([5], [1.0]), "factors"),
    (lambda: ls.schedules.linear_warmup(0), "warmup_steps"),
    (lambda: ls.schedules.linear_warmup(5, then=0.5), "then"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()



# --------------------------------------------------------------------------
# Regressions: bugs found while writing these tests (fixed).
# --------------------------------------------------------------------------
def test_warmup_of_constant_schedule_is_applied_by_kernel():
    """Regression: the kernel skipped ``factor_at`` for CONSTANT-kind schedules,
    but ``linear_warmup(W)`` (with no ``then``) *is* a CONSTANT-kind schedule
    carrying ``warmup = W`` in its row, so the warm-up multiplier was dropped:

        s = ls.schedules.linear_warmup(10)
        s(np.arange(3), 0.2)                       # [0.02, 0.04, 0.06]  (correct)
        r = ls.simulate(ls.surfaces.quadratic(np.eye(1)), ls.optim.gd(0.2, schedule=s),
                        [[1.0]], 3, record_every=1)
        x = r.positions[0, 0, :, 0]; 1 - x[1:] / x[:-1]   # [0.2, 0.2, 0.2]  (wrong)
    """
    sched = ls.schedules.linear_warmup(10)
    np.testing.assert_allclose(sched(np.arange(3), 0.2), [0.02, 0.04, 0.06], rtol=1e-14)
    surf = ls.surfaces.quadratic(np.eye(1))
    res = ls.simulate(surf, ls.optim.gd(0.2, schedule=sched), [[1.0]], 12, record_every=1)
    x = res.positions[0, 0, :, 0]
    want = [min(1.0, (t + 1) / 10) * 0.2 for t in range(12)]
    np.testing.assert_allclose(1.0 - x[1:] / x[:-1], want, rtol=1e-10)
    # and against the reference loop on Rosenbrock, for a non-trivial rule too
    rosen = ls.surfaces.rosenbrock()
    x0 = ls.starts.normal(5, [-1.0, 1.0], 0.25, seed=1)
    for kind, hp in (("sgd", {"lr": 1e-4}), ("adam", {"lr": 0.05, "b1": 0.9, "b2": 0.99,
                                                      "eps": 1e-8})):
        opt, spec = build_opt(kind, hp, ("linear_warmup", {"warmup_steps": 10}))
        res = ls.simulate(rosen, opt, x0, 30, record_every=3)
        want = ref.run_reference(vg_of(rosen), spec, x0, 30, 3)
        ref.assert_run_matches(res, 0, want, list(range(5)), set(range(5)))


@pytest.mark.parametrize("call,match", [
    (lambda: ls.schedules.make("cosine", decay_steps=10, bogus=1), "bogus"),
])
def test_make_unknown_parameter_raises_valueerror(call, match):
    """Regression: an unknown keyword raised ``TypeError: cosine() got an
    unexpected keyword argument 'bogus'`` instead of the ValueError naming the
    argument that ``ls.optim.make("adam", lrr=0.1)`` gives:

        ls.schedules.make("cosine", decay_steps=10, bogus=1)   # TypeError
    """
    with pytest.raises(ValueError, match=match):
        call()
