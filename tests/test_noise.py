"""Gradient noise (landscape.optim.noise): common random numbers keyed by
(seed, trajectory, step, coordinate), batch-size scaling, moments, and
argument validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import landscape as ls
from landscape._rng import normals, seed_key_of

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference as ref
    from . import reference_surfaces as refsurf
except ImportError:
    import reference as ref
    import reference_surfaces as refsurf


def _recovered_noise(res, surf, lrs):
    """GD on a quadratic after one step: xi = (x0 - x1)/lr - grad(x0)."""
    g0 = refsurf.value_and_grad(surf, res.x0)[1]
    out = []
    for o, lr in enumerate(lrs):
        x1 = res.positions[o, :, 1, :]
        out.append((res.x0 - x1) / lr - g0)
    return np.array(out)


def test_noise_common_random_numbers_batch_size_and_seeds():
    surf = ls.surfaces.elongated_bowl(kappa=3.0, angle=0.2)
    x0 = ls.starts.normal(5, [1.0, -1.0], 0.5, seed=4)
    lrs = [0.1, 0.05, 0.2]
    opts = {f"gd{lr}": ls.optim.gd(lr) for lr in lrs}
    opts["adam"] = ls.optim.adam(0.01)
    kw = dict(record_every=1, seed=7)
    res = ls.simulate(surf, opts, x0, 3, noise=ls.noise.gaussian(0.5), **kw)
    xi = _recovered_noise(res, surf, lrs)
    # the noise each trajectory saw at step 0 is the keyed normal, identical for all optimizers
    table = ref.gaussian_noise_table(seed_key_of(7), range(5), 1, 2, 0.5, normals)[:, 0]
    for o in range(len(lrs)):
        np.testing.assert_allclose(xi[o], table, rtol=1e-8, atol=1e-12)
    # ... and different from trajectory to trajectory
    assert np.all(np.abs(np.diff(table[:, 0])) > 0)

    # batch_size scales sigma by 1/sqrt(b): gaussian(0.5, b=4) == gaussian(0.25)
    assert ls.noise.gaussian(0.5, batch_size=4).scale == 0.25
    assert ls.noise.gaussian(0.5, batch_size=3).scale == pytest.approx(0.5 / math.sqrt(3))
    res_b = ls.simulate(surf, opts, x0, 3, noise=ls.noise.gaussian(0.5, batch_size=4), **kw)
    res_q = ls.simulate(surf, opts, x0, 3, noise=ls.noise.gaussian(0.25), **kw)
    np.testing.assert_array_equal(res_b.positions, res_q.positions)
    np.testing.assert_allclose(_recovered_noise(res_b, surf, lrs), xi / 2, rtol=1e-8, atol=1e-12)

    # same seed: identical; other seed: different; sigma=0: as without noise
    res2 = ls.simulate(surf, opts, x0, 3, noise=ls.noise.gaussian(0.5), **kw)
    np.testing.assert_array_equal(res.positions, res2.positions)
    np.testing.assert_array_equal(res.final, res2.final)
    res3 = ls.simulate(surf, opts, x0, 3, noise=ls.noise.gaussian(0.5), record_every=1, seed=8)
    assert not np.any(res3.final == res.final)
    res0 = ls.simulate(surf, opts, x0, 3, noise=ls.noise.gaussian(0.0), **kw)
    resn = ls.simulate(surf, opts, x0, 3, **kw)
    np.testing.assert_array_equal(res0.positions, resn.positions)


def test_noise_statistics():
    """The keyed normals are standard normal (moments), independent across steps."""
    surf = ls.surfaces.quadratic(np.eye(1))
    n = 4000
    res = ls.simulate(surf, ls.optim.gd(1.0), np.ones((n, 1)), 2, record_every=1,
                      noise=ls.noise.gaussian(1.0), seed=3)
    # x1 = x0 - (x0 + xi0) = -xi0 ; x2 = x1 - (x1 + xi1) = -xi1
    xi0 = -res.positions[0, :, 1, 0]
    xi1 = -res.positions[0, :, 2, 0]
    for xi in (xi0, xi1):
        assert abs(xi.mean()) < 4 / math.sqrt(n)
        assert abs(xi.std() - 1.0) < 0.05
    assert abs(np.corrcoef(xi0, xi1)[0, 1]) < 4 / math.sqrt(n)


BAD = [
    (lambda: ls.noise.gaussian(-1.0), "sigma"),
    (lambda: ls.noise.gaussian(1.0, batch_size=0), "batch_size"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

