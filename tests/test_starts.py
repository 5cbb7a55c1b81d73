"""Starting points (landscape.starts): shapes, seeds, distributions, and
argument validation."""

from __future__ import annotations

import numpy as np
import pytest

import landscape as ls


def test_starts():
    a = ls.starts.normal(50, [1.0, -2.0, 0.5], 0.3, seed=4)
    assert a.shape == (50, 3)
    np.testing.assert_array_equal(a, ls.starts.normal(50, [1.0, -2.0, 0.5], 0.3, seed=4))
    assert not np.array_equal(a, ls.starts.normal(50, [1.0, -2.0, 0.5], 0.3, seed=5))
    np.testing.assert_array_equal(ls.starts.normal(3, [1.0, 2.0], 0.0), [[1.0, 2.0]] * 3)
    big = ls.starts.normal(20000, [1.0, -2.0], [0.5, 2.0], seed=1)
    np.testing.assert_allclose(big.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(big.std(0), [0.5, 2.0], rtol=0.03)

    u = ls.starts.uniform(100, [0.0, -1.0], [1.0, 3.0], seed=2)
    assert u.shape == (100, 2)
    assert np.all((u >= [0.0, -1.0]) & (u <= [1.0, 3.0]))
    np.testing.assert_array_equal(u, ls.starts.uniform(100, [0.0, -1.0], [1.0, 3.0], seed=2))

    c = np.array([1.0, 2.0, -1.0])
    s = ls.starts.sphere(64, c, 2.5, seed=3)
    assert s.shape == (64, 3)
    np.testing.assert_allclose(np.linalg.norm(s - c, axis=1), 2.5, rtol=1e-14)
    np.testing.assert_array_equal(s, ls.starts.sphere(64, c, 2.5, seed=3))

    b = ls.starts.ball(500, c, 0.7, seed=3)
    r = np.linalg.norm(b - c, axis=1)
    assert b.shape == (500, 3) and np.all(r <= 0.7)
    # uniform in the ball: P(r < R/2) = 1/8 in 3-D
    assert abs(np.mean(r < 0.35) - 0.125) < 0.05

    g = ls.starts.grid(5, [0.0, -1.0, 2.0], [1.0, 1.0, 3.0])
    assert g.shape == (125, 3)
    assert len({tuple(p) for p in g}) == 125
    assert [0.0, -1.0, 2.0] in g.tolist() and [1.0, 1.0, 3.0] in g.tolist()
    assert ls.starts.grid(1, [0.0], [1.0]).shape == (1, 1)

    p = ls.starts.point([0.5, -0.5], n=4)
    np.testing.assert_array_equal(p, [[0.5, -0.5]] * 4)
    assert ls.starts.point([0.5, -0.5]).shape == (1, 2)


BAD = [
    (lambda: ls.starts.normal(0, [0, 0]), "n"),
    (lambda: ls.starts.normal(2.5, [0, 0]), "n"),
    (lambda: ls.starts.normal(5, [0, 0], std=-1.0), "std"),
    (lambda: ls.starts.normal(5, [0, float("inf")]), "mean"),
    (lambda: ls.starts.normal(5, [0, 0], seed=-1), "seed"),
    (lambda: ls.starts.uniform(5, [0, 0], [1, -1]), "high"),
    (lambda: ls.starts.uniform(5, [0, 0], [1, 1, 1]), "high"),
    (lambda: ls.starts.sphere(5, [0, 0], 0.0), "radius"),
    (lambda: ls.starts.ball(5, [0, 0], -1.0), "radius"),
    (lambda: ls.starts.grid(0, [0, 0], [1, 1]), "num"),
    (lambda: ls.starts.point([[0, 0]]), "x"),
    (lambda: ls.starts.point([0, 0], n=0), "n"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

