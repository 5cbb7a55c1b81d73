"""Finite-sum surfaces and real mini-batch gradient descent (issue #6).

Checks: the partition of an epoch (sizes, last batch smaller); every epoch
visits every example exactly once, read back from the engine's own gradient
stage; the keyed shuffle against an independent Python implementation and
chi-square tests of uniformity; batch size m is exactly full-batch gradient
descent; the size-weighted mean of an epoch's mini-batch gradients is the
full gradient; the variance of the mini-batch gradient follows sampling
without replacement; the kernel against a slow NumPy reference for several
optimizers and an epoch-based schedule; model gradients and Hessians against
finite differences; errors name the argument.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import landscape as ls
from landscape.engine import fused_cpu

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference as ref
except ImportError:
    import reference as ref

# --------------------------------------------------------------------------
# partitions and the keyed shuffle
# --------------------------------------------------------------------------


def test_partition_of_the_course_example():
    assert ls.minibatch.partition(7, 2) == [2, 2, 2, 1]
    assert ls.minibatch.partition(8, 2) == [2, 2, 2, 2]
    assert ls.minibatch.partition(5, 5) == [5]
    assert ls.minibatch.partition(5, 1) == [1] * 5
    assert ls.minibatch.steps_per_epoch(7, 2) == 4


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 3000), data=st.data())
def test_partition_sizes(m, data):
    b = data.draw(st.integers(1, m))
    sizes = ls.minibatch.partition(m, b)
    assert sum(sizes) == m
    assert len(sizes) == math.ceil(m / b) == ls.minibatch.steps_per_epoch(m, b)
    assert all(s == b for s in sizes[:-1])
    assert sizes[-1] == (m - b * (m // b) if m % b else b)


@pytest.mark.parametrize("m", [1, 2, 3, 7, 16, 17, 64, 65, 100, 256, 1000, 4097])
def test_permutation_is_a_bijection_and_matches_the_python_reference(m):
    for seed, traj, epoch in ((0, 0, 0), (3, 7, 2), (11, 300, 5)):
        perm = ls.minibatch.permutation(m, seed=seed, trajectory=traj, epoch=epoch)
        np.testing.assert_array_equal(np.sort(perm), np.arange(m))
        np.testing.assert_array_equal(
            perm, ref.feistel_permutation(ref.shuffle_key(seed, traj, epoch), m)
        )


def test_permutations_differ_by_trajectory_epoch_and_seed():
    base = ls.minibatch.permutation(50)
    for kw in ({"trajectory": 1}, {"epoch": 1}, {"seed": 1}):
        assert not np.array_equal(base, ls.minibatch.permutation(50, **kw))
    np.testing.assert_array_equal(base, ls.minibatch.permutation(50))


@pytest.mark.parametrize("m", [3, 4, 5])
def test_every_permutation_of_a_small_set_is_equally_likely(m):
    n_draws = 150 * math.factorial(m)
    counts = Counter(
        tuple(ls.minibatch.permutation(m, seed=1, trajectory=j)) for j in range(n_draws)
    )
    assert len(counts) == math.factorial(m)
    assert stats.chisquare(list(counts.values())).pvalue > 1e-3


def test_pairs_share_a_batch_as_often_as_uniform_shuffles_predict():
    m, b, n_draws = 40, 8, 12_000
    together = np.zeros((m, m))
    first = np.zeros(m)
    for j in range(n_draws):
        batch = ls.minibatch.batches(m, b, seed=2, trajectory=j)[0]
        together[np.ix_(batch, batch)] += 1
        first[batch[0]] += 1
    expected = n_draws * b * (b - 1) / (m * (m - 1))
    z = (together[np.triu_indices(m, 1)] - expected) / math.sqrt(expected)
    assert abs(z.mean()) < 0.1 and 0.85 < z.std() < 1.15
    assert stats.chisquare(first).pvalue > 1e-3


# --------------------------------------------------------------------------
# the engine's mini-batch stage: epochs, partitions, full batch
# --------------------------------------------------------------------------
def one_hot_surface(m):
    """Least squares with x_i = e_i: the gradient's support is the batch."""
    X = np.eye(m)
    y = -1.0 - np.arange(m)  # residual 1 + i at theta = 0: never zero
    return ls.surfaces.linear_regression(X, y)


@pytest.mark.parametrize("m,b", [(7, 2), (12, 4), (10, 1), (9, 9), (13, 5)])
def test_every_epoch_visits_every_example_once(m, b):
    surf = one_hot_surface(m)
    nb = ls.minibatch.steps_per_epoch(m, b)
    epochs = 3
    for traj in (0, 5):
        _, grad = ls.minibatch.batch_gradients(
            surf, np.zeros(m + 1), b, seed=4, trajectories=[traj], steps=range(epochs * nb)
        )
        for e in range(epochs):
            seen = []
            expected = ls.minibatch.batches(m, b, seed=4, trajectory=traj, epoch=e)
            for q in range(nb):
                g = grad[0, e * nb + q, :m]
                members = np.flatnonzero(g)
                assert sorted(members) == sorted(expected[q])
                assert len(members) == ls.minibatch.partition(m, b)[q]
                # the mean over the batch: g_i = (1 + i) / |batch|
                np.testing.assert_allclose(g[members], (1.0 + members) / len(members), rtol=1e-14)
                seen.extend(members)
            assert sorted(seen) == list(range(m))


def test_epoch_mean_of_minibatch_gradients_is_the_full_gradient():
    surf = ls.surfaces.logistic_regression(m=103, features=2, seed=3)
    theta = np.array([0.4, -0.8, 0.3])
    full = surf.grad(theta)
    for b in (1, 10, 25, 103):
        sizes = np.array(ls.minibatch.partition(103, b), dtype=float)
        cost, grad = ls.minibatch.batch_gradients(surf, theta, b, trajectories=[0, 9])
        mean = np.einsum("q,tqd->td", sizes / 103, grad)
        np.testing.assert_allclose(mean, np.broadcast_to(full, mean.shape), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(cost @ (sizes / 103), surf.value(theta), rtol=1e-12)
    # b dividing m: the plain mean
    surf = ls.surfaces.linear_regression(m=96)
    _, grad = ls.minibatch.batch_gradients(surf, [1.0, 2.0], 32)
    np.testing.assert_allclose(grad[0].mean(axis=0), surf.grad([1.0, 2.0]), rtol=1e-12)


@pytest.mark.parametrize("b", [1, 5, 20, 60])
def test_minibatch_gradient_variance_follows_sampling_without_replacement(b):
    m = 80
    surf = ls.surfaces.linear_regression(m=m, noise=1.0, seed=5)
    theta = np.array([0.5, 0.5])
    X, y = surf.finite_sum.X, surf.finite_sum.y
    per_example = np.array(
        [ref.example_value_and_grad("linear", theta, X[i], y[i])[1] for i in range(m)]
    )
    sigma2 = per_example.var(axis=0)  # population variance over the m examples
    predicted = (m - b) / (b * (m - 1)) * sigma2
    n_samples = 6000
    # the first batch of epoch 0 of many trajectories: independent permutations
    _, grad = ls.minibatch.batch_gradients(surf, theta, b, trajectories=range(n_samples), steps=[0])
    g = grad[:, 0, :]
    np.testing.assert_allclose(
        g.mean(axis=0), per_example.mean(axis=0), atol=4 * np.sqrt(predicted / n_samples).max()
    )
    # standard error of a sample variance from the sample's fourth moment
    dev = g - g.mean(axis=0)
    se = np.sqrt(((dev**4).mean(axis=0) - dev.var(axis=0) ** 2) / n_samples)
    assert np.all(np.abs(g.var(axis=0) - predicted) < 4 * se)
    assert np.all(np.abs(g.var(axis=0) / predicted - 1) < 0.12)


def test_full_batch_has_no_variance_and_is_the_surface_gradient():
    surf = ls.surfaces.tanh_network(m=60)
    theta = np.array([0.7, -1.1])
    cost, grad = ls.minibatch.batch_gradients(surf, theta, 60, trajectories=[0, 3], steps=[0, 1, 7])
    f, g = surf.value_and_grad(theta)
    assert np.all(cost == f) and np.all(grad == g)


# --------------------------------------------------------------------------
# the fused engine against the slow reference
# --------------------------------------------------------------------------
def _ref_spec(kind, lr, schedule=None, **hp):
    return ref.OptSpec(kind, lr, schedule=schedule or ref.constant(), **hp)


CASES = {
    "gd": (ls.optim.gd(0.5), lambda nb: _ref_spec("gd", 0.5)),
    "momentum": (ls.optim.momentum(0.3, beta=0.8), lambda nb: _ref_spec("momentum", 0.3, beta=0.8)),
    "adam+decay": (
        ls.optim.adam(0.05, schedule=ls.schedules.inverse_time(0.5)),
        lambda nb: _ref_spec("adam", 0.05, schedule=ref.inverse_time(0.5, steps_per_epoch=nb)),
    ),
}


@pytest.mark.parametrize("b", [1, 8, 37])
def test_engine_matches_the_reference_minibatch_loop(b):
    m, steps = 37, 14
    surf = ls.surfaces.linear_regression(m=m, seed=2)
    nb = ls.minibatch.steps_per_epoch(m, b)
    # trajectories across a block boundary (global indices key the shuffles)
    x0 = ls.starts.normal(260, [0.0, 0.0], 2.0, seed=1)
    res = ls.simulate(surf, {k: v[0] for k, v in CASES.items()}, x0, steps, record_every=1,
                      batch_size=b, seed=9)  # fmt: skip
    assert res.config["minibatch"]["steps_per_epoch"] == [nb] * 3
    pick = [0, 1, 255, 256, 259]
    X, y = surf.finite_sum.X, surf.finite_sum.y
    for i, (_, make_spec) in enumerate(CASES.values()):
        final, frames, costs = ref.minibatch_run(
            "linear", X, y, make_spec(nb), x0[pick], steps, b, seed=9, traj_ids=pick
        )
        np.testing.assert_allclose(res.final[i, pick], final, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(res.positions[i, pick], frames, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(res.batch_loss[i, pick], costs, rtol=1e-10, atol=1e-12)
    # the reported final loss is the full cost
    np.testing.assert_allclose(res.final_loss, surf.value(res.final), rtol=1e-12)


def test_batch_size_m_is_exactly_full_batch_gradient_descent():
    surf = ls.surfaces.logistic_regression(m=50, l2=0.01)
    x0 = ls.starts.normal(7, [0.0, 0.0], 1.0, seed=2)
    opts = {"gd": ls.optim.gd(1.0), "adam": ls.optim.adam(0.1)}
    full = ls.simulate(surf, opts, x0, 30, record_every=3, batch_size=50)
    default = ls.simulate(surf, opts, x0, 30, record_every=3)
    np.testing.assert_array_equal(full.positions, default.positions)
    np.testing.assert_array_equal(full.batch_loss, full.loss.astype(full.batch_loss.dtype))
    # against a textbook full-batch loop on the surface's NumPy formula
    X, y = surf.finite_sum.X, surf.finite_sum.y
    final, _, _ = ref.minibatch_run("logistic", X, y, _ref_spec("gd", 1.0), x0, 30, 50, seed=0,
                                     record_every=0, l2=0.01)  # fmt: skip
    np.testing.assert_allclose(full.final[0], final, rtol=1e-12, atol=1e-14)


def test_same_seed_same_numbers_and_seed_changes_the_shuffles():
    surf = ls.surfaces.linear_regression(m=64)
    x0 = np.tile([0.0, 2.0], (4, 1))
    a = ls.simulate(surf, ls.optim.sgd(0.5), x0, 40, batch_size=4, seed=1)
    b = ls.simulate(surf, ls.optim.sgd(0.5), x0, 40, batch_size=4, seed=1)
    c = ls.simulate(surf, ls.optim.sgd(0.5), x0, 40, batch_size=4, seed=2)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.array_equal(a.final, c.final)
    # same start, different trajectories: different shuffles, different paths
    assert len({tuple(r) for r in a.final[0]}) == 4


def test_results_do_not_depend_on_block_size(monkeypatch):
    """Shuffles are keyed by the trajectory index, not by block or lane."""
    from landscape import _config

    surf = ls.surfaces.linear_regression(m=30)
    x0 = ls.starts.normal(21, [0.0, 0.0], 1.0, seed=3)
    kw = dict(record_every=2, batch_size=[1, 4], seed=6)
    opts = [ls.optim.sgd(0.4), ls.optim.momentum(0.3)]
    whole = ls.simulate(surf, opts, x0, 12, **kw)
    monkeypatch.setattr(_config, "CPU_BLOCK", 8)
    small = ls.simulate(surf, opts, x0, 12, **kw)
    np.testing.assert_array_equal(small.positions, whole.positions)
    np.testing.assert_array_equal(small.batch_loss, whole.batch_loss)


def test_examples_processed_and_epochs():
    surf = ls.surfaces.linear_regression(m=10)
    res = ls.simulate(surf, {"a": ls.optim.sgd(0.1), "b": ls.optim.sgd(0.1)}, [[0.0, 0.0]], 8,
                      record_every=1, batch_size={"a": 3})  # fmt: skip
    assert res.minibatch == {"m": 10, "batch_size": [3, 10], "steps_per_epoch": [4, 1]}
    np.testing.assert_array_equal(
        res.examples_processed(), [[0, 3, 6, 9, 10, 13, 16, 19, 20], np.arange(9) * 10]
    )
    np.testing.assert_allclose(res.epochs()[1], np.arange(9))
    with pytest.raises(ValueError, match="finite-sum"):
        ls.simulate(ls.surfaces.saddle(), ls.optim.gd(0.1), [[1.0, 1.0]], 2).examples_processed()


def test_epoch_schedules_see_data_epochs():
    m, b = 20, 6  # 4 steps per epoch
    surf = ls.surfaces.linear_regression(m=m)
    res = ls.simulate(surf, ls.optim.sgd(0.4, schedule=ls.schedules.exponential(0.5)),
                      [[0.0, 0.0]], 9, record_every=1, batch_size=b)  # fmt: skip
    assert res.config["minibatch"]["steps_per_epoch"] == [4]
    with pytest.raises(ValueError, match="steps_per_epoch=3 conflicts"):
        ls.simulate(surf, ls.optim.sgd(0.4, schedule=ls.schedules.exponential(0.5, steps_per_epoch=3)),
                    [[0.0, 0.0]], 2, batch_size=b)  # fmt: skip
    # an explicit, matching steps_per_epoch is accepted
    ls.simulate(surf, ls.optim.sgd(0.4, schedule=ls.schedules.exponential(0.5, steps_per_epoch=4)),
                [[0.0, 0.0]], 2, batch_size=b)  # fmt: skip


def test_divergence_is_recorded_and_leaves_the_others_alone():
    surf = ls.surfaces.linear_regression(m=32)
    x0 = np.tile([0.0, 0.0], (3, 1))
    res = ls.simulate(surf, {"ok": ls.optim.sgd(0.3), "bad": ls.optim.sgd(50.0)}, x0, 60,
                      batch_size=4)  # fmt: skip
    alone = ls.simulate(surf, ls.optim.sgd(0.3), x0, 60, batch_size=4)
    assert np.all(res.diverged[1] >= 0) and np.all(res.diverged[0] < 0)
    np.testing.assert_array_equal(res.final[0], alone.final[0])


def test_float32_runs_natively_and_follows_float64():
    surf = ls.surfaces.linear_regression(m=64)
    x0 = ls.starts.normal(20, [0.5, 0.5], 0.3, seed=0)
    r64 = ls.simulate(surf, ls.optim.adam(0.02), x0, 50, batch_size=8)
    r32 = ls.simulate(surf, ls.optim.adam(0.02), x0, 50, batch_size=8, dtype="float32")
    assert r32.final.dtype == np.float32 and r32.batch_loss.dtype == np.float32
    np.testing.assert_allclose(r32.final, r64.final, rtol=2e-3, atol=2e-3)


def test_result_round_trip_keeps_batch_loss(tmp_path):
    surf = ls.surfaces.linear_regression(m=16)
    res = ls.simulate(surf, ls.optim.sgd(0.5), [[0.0, 0.0]], 10, record_every=2, batch_size=4)
    back = ls.load(res.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(back.batch_loss, res.batch_loss)
    assert back.minibatch == res.minibatch
    np.testing.assert_allclose(back.loss, res.loss)
    assert back.surface.finite_sum.m == 16


def test_kernel_compiles_once_per_model():
    surf = ls.surfaces.linear_regression(m=16)
    ls.simulate(surf, ls.optim.sgd(0.1), [[0.0, 0.0]], 3, batch_size=4)
    kern = fused_cpu.kernel_for(fused_cpu.stage_of(surf))
    n_sig = len(kern.signatures)
    other = ls.surfaces.linear_regression(m=40, features=3, seed=4)
    ls.simulate(other, [ls.optim.adam(0.1), ls.optim.momentum(0.1)], np.zeros((3, 4)), 5,
                batch_size=[7, 40], record_every=1, events={"low": ls.events.loss_below(0.5)})  # fmt: skip
    assert fused_cpu.kernel_for(fused_cpu.stage_of(other)) is kern
    assert len(kern.signatures) == n_sig


# --------------------------------------------------------------------------
# the models themselves
# --------------------------------------------------------------------------
def _fd_check(surf, theta, h=1e-6):
    theta = np.asarray(theta, dtype=float)
    d = theta.size
    eye = np.eye(d)
    g_fd = np.array(
        [(surf.value(theta + h * e) - surf.value(theta - h * e)) / (2 * h) for e in eye]
    )
    np.testing.assert_allclose(surf.grad(theta), g_fd, rtol=1e-6, atol=1e-8)
    H_fd = np.array([(surf.grad(theta + h * e) - surf.grad(theta - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(surf.hessian(theta), H_fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "make,theta",
    [
        (lambda: ls.surfaces.linear_regression(m=50, features=3), [0.3, -0.2, 1.0, 0.5]),
        (lambda: ls.surfaces.logistic_regression(m=50, features=2, l2=0.1), [0.3, -0.2, 0.4]),
        (lambda: ls.surfaces.tanh_network(m=50), [0.8, -1.3]),
        (lambda: ls.surfaces.tanh_network(m=40, hidden=3), [0.3, -0.5, 0.9, 1.1, -0.4, 0.2]),
    ],
)
def test_model_gradients_and_hessians_against_finite_differences(make, theta):
    _fd_check(make(), theta)


@pytest.mark.parametrize("model,make,kw", [
    ("linear", lambda: ls.surfaces.linear_regression(m=30, features=2), {}),
    ("logistic", lambda: ls.surfaces.logistic_regression(m=30, features=2, l2=0.2), {"l2": 0.2}),
    ("tanh", lambda: ls.surfaces.tanh_network(m=30, hidden=2), {"hidden": 2}),
])  # fmt: skip
def test_full_cost_matches_the_per_example_formula(model, make, kw):
    surf = make()
    rng = np.random.default_rng(0)
    X, y = surf.finite_sum.X, surf.finite_sum.y
    for theta in rng.normal(size=(3, surf.dim)):
        f, g = ref.batch_value_and_grad(model, theta, X, y, range(len(y)), **kw)
        np.testing.assert_allclose(surf.value(theta), f, rtol=1e-12)
        np.testing.assert_allclose(surf.grad(theta), g, rtol=1e-10, atol=1e-14)


def test_linear_regression_is_the_courses_elongated_bowl():
    surf = ls.surfaces.linear_regression()
    X, y = surf.finite_sum.X, surf.finite_sum.y
    A = np.hstack([X, np.ones((len(y), 1))])
    np.testing.assert_allclose(surf.minima[0], np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-10)
    H = surf.hessian(surf.minima[0])
    # steep along b, shallow along w: oscillation along b, slow progress along w
    assert H[1, 1] / H[0, 0] > 15
    assert abs(H[0, 1]) < 0.1 * H[0, 0] ** 0.5


def test_tanh_network_has_a_saddle_between_two_minima():
    surf = ls.surfaces.tanh_network()
    assert surf.minima.shape == (2, 2)
    np.testing.assert_allclose(surf.minima[0], -surf.minima[1], atol=1e-10)
    np.testing.assert_allclose(np.abs(surf.minima[0]), [1.5, 2.0], rtol=0.05)
    np.testing.assert_allclose(surf.saddles, [[0.0, 0.0]], atol=1e-12)
    ev = np.linalg.eigvalsh(surf.hessian([0.0, 0.0]))
    assert ev[0] < -0.1 and ev[1] > 0.1
    assert np.max(np.abs(surf.grad([0.0, 0.0]))) == 0.0


def test_logistic_regression_minimum_is_stationary():
    surf = ls.surfaces.logistic_regression(m=200, seed=1)
    assert surf.minima.shape == (1, 2)
    assert np.max(np.abs(surf.grad(surf.minima[0]))) < 1e-9
    assert np.all(np.linalg.eigvalsh(surf.hessian(surf.minima[0])) > 0)


def test_user_data_and_generated_data_are_reproducible():
    a = ls.surfaces.linear_regression(m=20, seed=3)
    b = ls.surfaces.make("linear_regression", m=20, seed=3)
    np.testing.assert_array_equal(a.params, b.params)
    X, y = ls.datasets.regression(20, seed=3)
    c = ls.surfaces.linear_regression(X, y)
    np.testing.assert_array_equal(a.params, c.params)
    assert "20x1 array" in c.label
    Xc, yc = ls.datasets.classification(30, seed=1)
    assert set(np.unique(yc)) <= {0.0, 1.0}
    assert ls.surfaces.logistic_regression(Xc, yc).finite_sum.m == 30


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda s: ls.simulate(
                ls.surfaces.saddle(), ls.optim.gd(0.1), [[1, 1]], 2, batch_size=4
            ),
            "batch_size needs a finite-sum surface",
        ),
        (
            lambda s: ls.simulate(s, ls.optim.gd(0.1), [[1, 1]], 2, batch_size=0),
            "batch_size must be >= 1",
        ),
        (
            lambda s: ls.simulate(s, ls.optim.gd(0.1), [[1, 1]], 2, batch_size=11),
            r"batch_size must be between 1 and m = 10",
        ),
        (lambda s: ls.simulate(s, ls.optim.gd(0.1), [[1, 1]], 2, batch_size=2.5), "batch_size"),
        (
            lambda s: ls.simulate(s, [ls.optim.gd(0.1)], [[1, 1]], 2, batch_size=[1, 2]),
            r"one size per optimizer \(1\), got 2",
        ),
        (
            lambda s: ls.simulate(s, {"a": ls.optim.gd(0.1)}, [[1, 1]], 2, batch_size={"b": 1}),
            "batch_size has no optimizer named 'b'",
        ),
        (
            lambda s: ls.simulate(s, {"a": ls.optim.gd(0.1)}, [[1, 1]], 2, batch_size={"a": 0}),
            r"batch_size\['a'\] must be >= 1",
        ),
        (lambda s: ls.surfaces.linear_regression(np.ones((3, 1)), [1.0, 2.0]), "y must have m = 3"),
        (
            lambda s: ls.surfaces.linear_regression(np.ones((3, 1))),
            "X and y must be given together",
        ),
        (
            lambda s: ls.surfaces.linear_regression([[1.0], [np.nan]], [1.0, 2.0]),
            "X must be finite",
        ),
        (
            lambda s: ls.surfaces.logistic_regression([[1.0], [2.0]], [0.0, 0.5]),
            "class labels 0 or 1",
        ),
        (lambda s: ls.surfaces.linear_regression(m=0), "m must be >= 1"),
        (lambda s: ls.surfaces.tanh_network(hidden=0), "hidden must be >= 1"),
        (lambda s: ls.surfaces.logistic_regression(l2=-1.0), "l2 must be"),
        (lambda s: ls.minibatch.partition(5, 6), "batch_size must be between 1 and m = 5"),
        (lambda s: ls.minibatch.batch_gradients(ls.surfaces.saddle(), [0, 0], 1), "finite-sum"),
        (lambda s: ls.minibatch.batch_gradients(s, [0, 0, 0], 1), "theta must have length 2"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    surf = ls.surfaces.linear_regression(m=10)
    with pytest.raises(ValueError, match=match):
        call(surf)
