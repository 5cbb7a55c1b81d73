"""starts.indexed: row i depends only on (seed, first + i), so chunks are rows of the whole (#17)."""

import numpy as np
import pytest
from scipy import stats

import landscape as ls

KINDS = {
    "point": {"x": [0.5, -1.0, 2.0]},
    "normal": {"mean": [1.0, -2.0, 0.0], "std": 0.5},
    "uniform": {"low": [0.0, -1.0, 2.0], "high": [1.0, 1.0, 5.0]},
    "sphere": {"center": [0.0, 0.0, 1.0], "radius": 2.0},
    "ball": {"center": [0.0, 0.0, 1.0], "radius": 1e-3},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cuts", [[0, 500], [0, 1, 250, 251, 500], [0, 123, 499, 500]])
def test_any_chunking_gives_the_rows_of_the_whole(kind, cuts):
    whole = ls.starts.indexed(kind, 500, seed=3, **KINDS[kind])
    parts = [ls.starts.indexed(kind, b - a, first=a, seed=3, **KINDS[kind])
             for a, b in zip(cuts[:-1], cuts[1:], strict=True)]  # fmt: skip
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_the_distributions_are_the_named_ones():
    z = ls.starts.indexed("normal", 20_000, mean=[0.0, 0.0], std=1.0, seed=1)
    for c in range(2):
        assert stats.kstest(z[:, c], "norm").pvalue > 1e-3
    assert abs(np.corrcoef(z.T)[0, 1]) < 0.03
    u = ls.starts.indexed("uniform", 20_000, low=[0.0], high=[1.0], seed=1)[:, 0]
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    d, r = 3, 2.0
    b = ls.starts.indexed("ball", 20_000, center=np.zeros(d), radius=r, seed=1)
    rad = np.linalg.norm(b, axis=1)
    assert rad.max() <= r and stats.kstest((rad / r) ** d, "uniform").pvalue > 1e-3
    s = ls.starts.indexed("sphere", 2_000, center=np.ones(d), radius=r, seed=1)
    np.testing.assert_allclose(np.linalg.norm(s - 1.0, axis=1), r)
    assert np.abs((s - 1.0).mean(axis=0)).max() < 0.1  # no preferred direction


def test_seeds_give_other_sequences_and_the_same_seed_the_same():
    a = ls.starts.indexed("normal", 10, mean=[0.0], seed=1)
    assert np.array_equal(a, ls.starts.indexed("normal", 10, mean=[0.0], seed=1))
    assert not np.array_equal(a, ls.starts.indexed("normal", 10, mean=[0.0], seed=2))


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"kind": "grid", "n": 3}, "kind must be one of"),
        ({"kind": "normal", "n": 3, "mean": [0.0], "radius": 1.0}, "radius is not a parameter"),
        ({"kind": "normal", "n": 3, "mean": [0.0], "first": -1}, "first"),
        ({"kind": "uniform", "n": 3, "low": [0.0], "high": [1.0, 2.0]}, "high must have length 1"),
        ({"kind": "uniform", "n": 3, "low": [1.0], "high": [0.0]}, "high must be >= low"),
        ({"kind": "normal", "n": 3, "mean": [0.0], "std": -1.0}, "std must be finite and >= 0"),
        ({"kind": "normal", "n": 3, "mean": [0.0, 0.0], "std": [1.0, 2.0, 3.0]}, "std must be a"),
        ({"kind": "point", "n": 3}, "x is required for indexed 'point' starts"),
        ({"kind": "ball", "n": 3, "center": [0.0]}, "radius is required"),
        ({"kind": "ball", "n": 3, "center": [0.0], "radius": -1.0}, "radius"),
        ({"kind": "normal", "n": 0, "mean": [0.0]}, "n must be"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, words):
    kind = kwargs.pop("kind")
    n = kwargs.pop("n")
    with pytest.raises(ValueError, match=words):
        ls.starts.indexed(kind, n, **kwargs)


def test_a_standard_deviation_per_coordinate():
    x = ls.starts.indexed("normal", 50, mean=[1.0, 2.0], std=[0.5, 0.0], seed=4)
    assert np.all(x[:, 1] == 2.0) and x[:, 0].std() > 0.2
