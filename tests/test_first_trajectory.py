"""simulate(first_trajectory=a): a chunk of starts gives exactly its rows of the whole run.

Gradient noise and mini-batch shuffles are keyed on the trajectory's global
index, so a study cut into chunks (issue #17: Dask tasks, any order, any
worker) gives the numbers of one undisturbed run.  The CUDA backend is
checked in tests/cuda_sim/test_simulator.py.
"""

import numpy as np
import pytest

import landscape as ls


@pytest.mark.parametrize("cuts", [[0, 40], [0, 13, 31, 40], [0, 1, 2, 39, 40]])
def test_chunks_of_a_noisy_minibatch_run_are_its_rows(cuts):
    surf = ls.surfaces.linear_regression(m=64)
    x0 = ls.starts.normal(40, mean=[0.0, 0.0], std=1.0, seed=0)
    opts = {"sgd": ls.optim.sgd(0.1), "adam": ls.optim.adam(0.01)}
    kw = dict(steps=25, record_every=5, noise=ls.noise.gaussian(0.3), batch_size=[8, 64], seed=7,
              events={"low": ls.events.loss_below(0.4)})  # fmt: skip
    whole = ls.simulate(surf, opts, x0, **kw)
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        part = ls.simulate(surf, opts, x0[a:b], first_trajectory=a, **kw)
        np.testing.assert_array_equal(part.final, whole.final[:, a:b])
        np.testing.assert_array_equal(part.positions, whole.positions[:, a:b])
        np.testing.assert_array_equal(part.batch_loss, whole.batch_loss[:, a:b])
        np.testing.assert_array_equal(part.events["low"], whole.events["low"][:, a:b])
        assert part.config.get("first_trajectory", 0) == a


def test_the_batched_engine_keys_noise_on_the_global_index_too():
    surf = ls.surfaces.random_strict_saddle(dim=40, seed=0)
    x0 = ls.starts.ball(30, center=np.zeros(40), radius=1e-3, seed=0)
    kw = dict(steps=15, record_every=0, noise=ls.noise.gaussian(0.1), seed=3)
    whole = ls.simulate(surf, ls.optim.adam(0.01), x0, **kw)
    part = ls.simulate(surf, ls.optim.adam(0.01), x0[10:30], first_trajectory=10, **kw)
    np.testing.assert_array_equal(part.final, whole.final[:, 10:30])


def test_an_offset_changes_the_noise():
    surf = ls.surfaces.rosenbrock()
    x0 = np.zeros((3, 2))
    kw = dict(steps=10, record_every=0, noise=ls.noise.gaussian(0.5))
    a = ls.simulate(surf, ls.optim.gd(1e-3), x0, **kw)
    b = ls.simulate(surf, ls.optim.gd(1e-3), x0, first_trajectory=3, **kw)
    assert not np.array_equal(a.final, b.final)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", 2**62])
def test_bad_first_trajectory_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="first_trajectory"):
        ls.simulate(ls.surfaces.rosenbrock(), ls.optim.gd(1e-3), np.zeros((2, 2)), 3,
                    first_trajectory=bad)  # fmt: skip
