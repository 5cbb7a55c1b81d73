"""High-dimensional random surfaces (landscape.surfaces.random): derivatives
against finite differences, the batched contract, statistics of the random
families, reproducibility and argument validation."""

from __future__ import annotations

import itertools
import math
import threading

import numpy as np
import pytest

import landscape as ls
from landscape.surfaces import random as R
from landscape.surfaces.random import protocol
from landscape.surfaces.random._trig import features_kernel

S = ls.surfaces
FAMILIES = ("gaussian_field", "pspin", "random_quadratic", "random_strict_saddle")

# --------------------------------------------------------------------------
# the surfaces under test (high dimension; pspin p = 4 is capped by dim**4)
# --------------------------------------------------------------------------
CASES = {
    "gaussian_field": lambda: S.gaussian_field(
        dim=300, features=256, length_scale=2.0, amplitude=1.5, seed=3
    ),
    "pspin-2": lambda: S.pspin(dim=300, p=2, seed=1),
    "pspin-3": lambda: S.pspin(dim=200, p=3, seed=1),
    "pspin-4": lambda: S.pspin(dim=40, p=4, seed=1),
    "random_quadratic": lambda: S.random_quadratic(
        dim=300,
        index=7,
        lam_pos=(0.5, 4.0),
        lam_neg=(0.2, 2.0),
        center=np.linspace(-1, 1, 300),
        seed=2,
    ),
    "random_strict_saddle": lambda: S.random_strict_saddle(
        dim=250, index=3, lam_pos=2.0, lam_neg=0.5, quartic=3.0, seed=4
    ),
}
_BUILT: dict = {}


def build(case):
    if case not in _BUILT:
        _BUILT[case] = CASES[case]()
    return _BUILT[case]


def sample(surf, n, seed=0):
    """``n`` points: on the sphere for pspin, else uniform in the plotting box."""
    rng = np.random.default_rng(seed)
    if surf.batched.manifold == "sphere":
        return ls.starts.sphere(n, np.zeros(surf.dim), math.sqrt(surf.dim), seed=seed)
    b = surf.bounds
    return b[:, 0] + (b[:, 1] - b[:, 0]) * rng.random((n, surf.dim))


def step_of(surf):
    """Finite-difference step: small against the scale on which the surface varies."""
    return 1e-5 * (surf.kwargs["length_scale"] if surf.name == "gaussian_field" else 1.0)


def unit(rng, d):
    u = rng.standard_normal(d)
    return u / np.linalg.norm(u)


# --------------------------------------------------------------------------
# derivatives
# --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_gradient_matches_central_differences(case):
    surf = build(case)
    d, h = surf.dim, step_of(surf)
    for x in sample(surf, 2, seed=1):
        g = surf.grad(x)
        E = h * np.eye(d)
        fd = (surf.value(x + E) - surf.value(x - E)) / (2 * h)  # 2 d points, one batch each
        scale = max(1.0, float(np.max(np.abs(g))))
        np.testing.assert_allclose(fd, g, rtol=0, atol=1e-6 * scale)


@pytest.mark.parametrize("case", CASES)
def test_hvp_matches_differences_of_the_gradient(case):
    surf = build(case)
    rng = np.random.default_rng(2)
    h = step_of(surf)
    for x in sample(surf, 2, seed=2):
        u = unit(rng, surf.dim)
        hv = surf.hvp(x, u)
        fd = (surf.grad(x + h * u) - surf.grad(x - h * u)) / (2 * h)
        scale = max(1.0, float(np.max(np.abs(hv))))
        np.testing.assert_allclose(fd, hv, rtol=0, atol=1e-6 * scale)


@pytest.mark.parametrize("case", CASES)
def test_hessian_times_v_is_hvp(case):
    surf = build(case)
    rng = np.random.default_rng(3)
    x = sample(surf, 1, seed=3)[0]
    H = surf.hessian(x)
    assert H.shape == (surf.dim, surf.dim) and H.dtype == np.float64
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * np.max(np.abs(H)))
    for _ in range(3):
        v = rng.standard_normal(surf.dim)
        hv = surf.hvp(x, v)
        np.testing.assert_allclose(H @ v, hv, rtol=1e-10, atol=1e-10 * np.max(np.abs(hv)))


# --------------------------------------------------------------------------
# the batched contract
# --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_batch_equals_per_point(case):
    surf = build(case)
    X = sample(surf, 7, seed=4)
    F, G = surf.value_and_grad(X)
    assert F.shape == (7,) and G.shape == (7, surf.dim)
    for i, x in enumerate(X):
        f1, g1 = surf.value_and_grad(x[None, :])
        fs = max(1.0, abs(F[i]))
        gs = max(1.0, float(np.max(np.abs(G[i]))))
        np.testing.assert_allclose(f1[0], F[i], rtol=0, atol=1e-12 * fs)
        np.testing.assert_allclose(g1[0], G[i], rtol=0, atol=1e-12 * gs)


@pytest.mark.parametrize("case", CASES)
def test_float32_stays_float32_and_is_close(case):
    surf = build(case)
    X = sample(surf, 16, seed=5)
    F64, G64 = surf.value_and_grad(X)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    G32 = np.empty_like(X32)
    F32 = surf.batched.value_and_grad(X32, G32)
    assert F32.dtype == np.float32 and G32.dtype == np.float32 and F32.shape == (16,)
    fs = max(1.0, float(np.max(np.abs(F64))))
    gs = max(1.0, float(np.max(np.abs(G64))))
    np.testing.assert_allclose(F32, F64, rtol=0, atol=1e-4 * fs)
    np.testing.assert_allclose(G32, G64, rtol=0, atol=1e-4 * gs)


@pytest.mark.parametrize("case", CASES)
def test_chunked_rows_give_the_same_numbers(case, monkeypatch):
    surf = build(case)
    X = sample(surf, 11, seed=6)
    F, G = surf.value_and_grad(X)
    surf.batched.clear_workspace()
    monkeypatch.setattr(protocol, "WORK_BYTES", 1)  # one row per chunk
    assert protocol.rows_per_chunk(8) == 1  # read at call time
    F1, G1 = surf.value_and_grad(X)
    np.testing.assert_allclose(F1, F, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(F))))
    np.testing.assert_allclose(G1, G, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(G))))
    surf.batched.clear_workspace()


def test_concurrent_calls_do_not_share_a_buffer():
    surf = build("gaussian_field")
    batches = [sample(surf, 64, seed=s) for s in range(4)]
    want = [surf.value_and_grad(X) for X in batches]
    got = [None] * 4

    def work(i):
        for _ in range(5):
            got[i] = surf.value_and_grad(batches[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (F, G), (F1, G1) in zip(want, got, strict=True):
        np.testing.assert_allclose(F1, F, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(G1, G, rtol=1e-12, atol=1e-12)


def test_bad_batches_are_refused():
    b = build("random_strict_saddle").batched
    d = b.dim
    X = np.zeros((3, d))
    with pytest.raises(ValueError, match="shape"):
        b.value_and_grad(X, np.zeros((3, d + 1)))
    with pytest.raises(ValueError, match="float32 or both float64"):
        b.value_and_grad(X, np.zeros((3, d), np.float32))
    with pytest.raises(ValueError, match="float32 or both float64"):
        b.value_and_grad(X.astype(np.int64), np.zeros((3, d), np.int64))
    with pytest.raises(ValueError, match="C-contiguous"):
        b.value_and_grad(X, np.zeros((d, 3)).T)
    with pytest.raises(ValueError, match="overlap"):
        b.value_and_grad(X, X)
    assert b.value_and_grad(np.zeros((0, d)), np.zeros((0, d))).shape == (0,)


def test_feature_kernel_matches_numpy_trigonometry():
    rng = np.random.default_rng(7)
    K = 37  # not a multiple of the 4 accumulators
    b = rng.uniform(0, 2 * np.pi, K)
    ca = rng.standard_normal(K)
    for scale in (1.0, 100.0, 1e5, 1e8):  # 1e8: the libm fallback
        Z0 = rng.standard_normal((5, K)) * scale
        Z0[0, :3] = [np.pi / 4, -np.pi / 4, 3 * np.pi / 2]  # quadrant edges
        Z, F = Z0.copy(), np.empty(5)
        features_kernel(Z, b, ca, F)
        z = Z0 + b
        np.testing.assert_allclose(Z, -ca * np.sin(z), rtol=0, atol=4e-16 * np.max(np.abs(ca)))
        np.testing.assert_allclose(F, np.cos(z) @ ca, rtol=0, atol=1e-14 * np.sum(np.abs(ca)))
    Z = np.array([[np.nan, np.inf, 0.0]])
    F = np.empty(1)
    features_kernel(Z, np.zeros(3), np.ones(3), F)
    assert np.isnan(Z[0, 0]) and np.isnan(Z[0, 1]) and Z[0, 2] == 0.0 and np.isnan(F[0])


# --------------------------------------------------------------------------
# gaussian_field statistics
# --------------------------------------------------------------------------
def test_gaussian_field_covariance_over_seeds():
    """E f(x) f(y) = A^2 exp(-|x - y|^2 / (2 l^2)), E f = 0, Var f = A^2 (exact for any K)."""
    d, ell, amp, n_seeds, n_pairs = 4, 0.7, 1.3, 300, 64
    dists = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0]) * ell
    rng = np.random.default_rng(11)
    per_seed = np.empty((n_seeds, dists.size + 1))
    for s in range(n_seeds):
        surf = S.gaussian_field(dim=d, features=32, length_scale=ell, amplitude=amp, seed=s)
        base = rng.uniform(-30 * ell, 30 * ell, (n_pairs, d))
        u = rng.standard_normal((n_pairs, d))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        pts = np.concatenate([base] + [base + r * u for r in dists])
        f = surf.value(pts).reshape(dists.size + 1, n_pairs)
        per_seed[s, :-1] = np.mean(f[0] * f[1:], axis=1)
        per_seed[s, -1] = np.mean(f[0])
    # seeds are independent: their averages give honest standard errors
    est = per_seed.mean(axis=0)
    err = per_seed.std(axis=0, ddof=1) / math.sqrt(n_seeds)
    want = np.append(amp**2 * np.exp(-(dists**2) / (2 * ell**2)), 0.0)
    assert np.all(err < 0.06 * amp**2)  # the test has power
    assert np.all(np.abs(est - want) < 5 * err), (est, want, err)


def test_gaussian_field_bounds_and_record():
    surf = S.gaussian_field(dim=5, length_scale=0.5)
    np.testing.assert_array_equal(surf.bounds, np.tile([-1.5, 1.5], (5, 1)))
    np.testing.assert_array_equal(surf.params, [0.5, 1.0])
    assert surf.batched.omega.shape == (1024, 5) and surf.batched.manifold is None
    X = sample(surf, 9)
    np.testing.assert_allclose(surf.value(X), surf.batched.value(X), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# pspin
# --------------------------------------------------------------------------
def _naive_pspin(J, x):
    """Value and gradient of the non-symmetrised definition, with np.einsum."""
    p, N = J.ndim, J.shape[0]
    c = N ** (-(p - 1) / 2)
    letters = "ijkl"[:p]
    value = c * np.einsum(f"{letters}," + ",".join(letters) + "->", J, *([x] * p))
    grad = np.zeros(N)
    for m in range(p):
        others = [ch for i, ch in enumerate(letters) if i != m]
        grad += c * np.einsum(
            f"{letters}," + ",".join(others) + f"->{letters[m]}", J, *([x] * (p - 1))
        )
    return value, grad


@pytest.mark.parametrize("p", [2, 3, 4])
def test_pspin_matches_the_naive_definition(p):
    N, seed = 9, 5
    surf = S.pspin(dim=N, p=p, seed=seed)
    J = np.random.default_rng(seed).standard_normal((N,) * p)  # the documented draw
    for x in sample(surf, 3, seed=p):
        v, g = _naive_pspin(J, x)
        f1, g1 = surf.value_and_grad(x)
        np.testing.assert_allclose(f1, v, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g1, g, rtol=1e-12, atol=1e-12)
    Js = surf.batched.couplings
    for perm in itertools.permutations(range(p)):
        np.testing.assert_allclose(Js.transpose(perm), Js, rtol=0, atol=1e-15)


@pytest.mark.parametrize(("p", "N"), [(2, 40), (3, 24), (4, 14)])
def test_pspin_energy_per_spin_has_mean_0_and_variance_1_over_N(p, N):
    n_seeds, n_pts = 120, 48
    per_seed = np.empty((n_seeds, 2))
    for s in range(n_seeds):
        surf = S.pspin(dim=N, p=p, seed=s)
        e = R.energy_per_spin(surf, sample(surf, n_pts, seed=1000 + s))
        per_seed[s] = e.mean(), (N * e**2).mean()
    est = per_seed.mean(axis=0)
    err = per_seed.std(axis=0, ddof=1) / math.sqrt(n_seeds)
    assert err[1] < 0.05
    assert abs(est[0]) < 5 * err[0] and abs(est[1] - 1.0) < 5 * err[1], (est, err)


def test_pspin_record_and_helpers():
    surf = S.pspin(dim=30, p=3, seed=2)
    assert surf.batched.manifold == "sphere" and surf.vg is None and surf.hess is None
    assert surf.minima.shape == (0, 30) and surf.bounds.shape == (30, 2)
    np.testing.assert_allclose(surf.bounds[:, 1], math.sqrt(30))
    x = sample(surf, 4, seed=0)
    np.testing.assert_allclose(R.energy_per_spin(surf, x), surf.value(x) / 30, rtol=1e-15)
    np.testing.assert_allclose(surf.batched.energy_per_spin(x), surf.value(x) / 30, rtol=1e-12)
    with pytest.raises(ValueError, match="surface"):
        S.energy_per_spin(S.saddle(), [0.0, 0.0])


def test_pspin_energies():
    for p in (2, 3, 4):
        e = S.pspin_energies(p)
        assert e.threshold == pytest.approx(-2 * math.sqrt((p - 1) / p), rel=1e-15)
        assert e.ground_state <= e.threshold
    assert S.pspin_energies(2).ground_state == pytest.approx(-math.sqrt(2), rel=1e-15)
    assert S.pspin_energies(3).ground_state == pytest.approx(-1.657, abs=5e-4)
    assert S.pspin_energies(4).ground_state == pytest.approx(-1.7941, abs=5e-4)
    with pytest.raises(ValueError, match="p must be one of"):
        S.pspin_energies(5)


def test_pspin_2_ground_state_is_the_goe_edge():
    """For p = 2 the minimum of H/N on the sphere is lambda_min(M)/2/N -> -sqrt(2)."""
    N = 400
    surf = S.pspin(dim=N, p=2, seed=0)
    lam = np.linalg.eigvalsh(surf.hessian(np.zeros(N)))  # Hessian = 2 N^{-1/2} J_sym
    assert lam[0] / 2 == pytest.approx(-math.sqrt(2), abs=0.06)


# --------------------------------------------------------------------------
# random_quadratic and random_strict_saddle
# --------------------------------------------------------------------------
def test_random_quadratic_spectrum():
    surf = build("random_quadratic")
    H = surf.hessian(sample(surf, 1)[0])
    want = np.concatenate([-np.linspace(0.2, 2.0, 7), np.linspace(0.5, 4.0, 293)])
    np.testing.assert_allclose(np.linalg.eigvalsh(H), np.sort(want), rtol=0, atol=1e-12)
    Q = surf.batched.rotation
    np.testing.assert_allclose(Q.T @ Q, np.eye(300), rtol=0, atol=1e-12)
    c = np.linspace(-1, 1, 300)
    np.testing.assert_array_equal(surf.saddles, c[None, :])
    assert surf.minima.shape == (0, 300) and surf.maxima.shape == (0, 300)
    f, g = surf.value_and_grad(c)
    assert abs(f) < 1e-14 and np.max(np.abs(g)) < 1e-14
    np.testing.assert_array_equal(surf.params, [-2.0, 4.0])


def test_random_quadratic_explicit_spectrum_and_kinds():
    spec = np.array([3.0, -1.0, 0.5, 2.0, 0.0])
    surf = S.random_quadratic(dim=5, spectrum=spec, seed=9)
    np.testing.assert_allclose(
        np.linalg.eigvalsh(surf.hessian(np.ones(5))), np.sort(spec), atol=1e-14
    )
    assert surf.saddles.shape == (1, 5)
    assert S.random_quadratic(dim=4).minima.shape == (1, 4)
    assert S.random_quadratic(dim=4, index=4).maxima.shape == (1, 4)
    one = S.random_quadratic(dim=3, index=1, lam_pos=2.0, lam_neg=(0.3, 0.9))
    np.testing.assert_allclose(one.batched.eigenvalues, [-0.3, 2.0, 2.0])


def test_random_strict_saddle_index_and_minima():
    surf = build("random_strict_saddle")
    d, k = surf.dim, 3
    lam = np.linalg.eigvalsh(surf.hessian(np.zeros(d)))
    np.testing.assert_allclose(lam[:k], -0.5, atol=1e-12)
    np.testing.assert_allclose(lam[k:], 2.0, atol=1e-12)
    np.testing.assert_array_equal(surf.saddles, np.zeros((1, d)))
    assert surf.minima.shape == (2**k, d)
    F, G = surf.value_and_grad(surf.minima)
    np.testing.assert_allclose(F, -k * 0.5**2 / (4 * 3.0), rtol=1e-12)
    assert np.max(np.abs(G)) < 1e-12
    for m in surf.minima:
        assert np.all(np.abs(m) <= surf.bounds[:, 1])
        assert np.linalg.eigvalsh(surf.hessian(m))[0] == pytest.approx(min(2 * 0.5, 2.0), rel=1e-10)
    top = S.random_strict_saddle(dim=3, index=3)
    assert top.maxima.shape == (1, 3) and top.saddles.shape == (0, 3) and top.minima.shape == (8, 3)
    assert S.random_strict_saddle(dim=12, index=11).minima.shape == (0, 12)


# --------------------------------------------------------------------------
# registry, reproducibility, validation
# --------------------------------------------------------------------------
SMALL = {
    "gaussian_field": {"dim": 6, "features": 16, "length_scale": 0.8, "amplitude": 2.0},
    "pspin": {"dim": 7, "p": 3},
    "random_quadratic": {"dim": 6, "index": 2, "center": [0.1, 0, 0, 0, 0, -0.2]},
    "random_strict_saddle": {"dim": 6, "index": 2, "quartic": 2.0},
}


@pytest.mark.parametrize("name", FAMILIES)
def test_seeded_reproducible_and_rebuilt_from_kwargs(name):
    assert name in S.names() and callable(getattr(S, name))
    a = S.make(name, **SMALL[name], seed=3)
    b = S.make(name, **SMALL[name], seed=3)
    c = S.make(name, **SMALL[name], seed=4)
    again = S.make(name, **a.kwargs)
    X = sample(a, 5, seed=8)
    Fa, Ga = a.value_and_grad(X)
    for same in (b, again):
        F, G = same.value_and_grad(X)
        np.testing.assert_array_equal(F, Fa)
        np.testing.assert_array_equal(G, Ga)
        np.testing.assert_array_equal(same.params, a.params)
        np.testing.assert_array_equal(same.minima, a.minima)
        np.testing.assert_array_equal(same.bounds, a.bounds)
    assert not np.allclose(c.value(X), Fa)
    assert a.name == name and a.label.startswith(name) and a.formula
    assert a.vg is None and a.hess is None and a.batched is not None
    assert a.params.dtype == np.float64 and a.params.ndim == 1
    assert a.bounds.shape == (a.dim, 2) and np.all(a.bounds[:, 0] < a.bounds[:, 1])
    for pts in (a.minima, a.saddles, a.maxima):
        assert pts.ndim == 2 and pts.shape[1] == a.dim
    assert ".. math::" in getattr(S, name).__doc__


BAD = [
    (S.gaussian_field, {"dim": 0}, "dim"),
    (S.gaussian_field, {"dim": 2.5}, "dim"),
    (S.gaussian_field, {"features": 0}, "features"),
    (S.gaussian_field, {"length_scale": 0.0}, "length_scale"),
    (S.gaussian_field, {"amplitude": -1.0}, "amplitude"),
    (S.gaussian_field, {"amplitude": float("nan")}, "amplitude"),
    (S.gaussian_field, {"seed": -1}, "seed"),
    (S.pspin, {"p": 5}, r"p must be one of \[2, 3, 4\], got 5"),
    (S.pspin, {"p": 1}, "p must be one of"),
    (S.pspin, {"p": 3.0}, "p must be an integer"),
    (S.pspin, {"dim": 1}, "dim"),
    (S.pspin, {"dim": 500, "p": 3}, r"dim must be <= 406 .*dim=500 with p=3"),
    (S.pspin, {"dim": 100, "p": 4}, r"dim must be <= 90 .*dim=100 with p=4"),
    (S.pspin, {"seed": "a"}, "seed"),
    (S.random_quadratic, {"dim": 3, "spectrum": [1.0, 2.0]}, "spectrum must have length 3"),
    (S.random_quadratic, {"dim": 3, "spectrum": [1.0, np.nan, 2.0]}, "spectrum"),
    (S.random_quadratic, {"index": -1}, "index"),
    (S.random_quadratic, {"dim": 3, "index": 4}, "index must be <= dim = 3"),
    (S.random_quadratic, {"lam_pos": (1.0, 0.5)}, r"lam_pos must be .*low <= high"),
    (S.random_quadratic, {"lam_neg": 0.0}, "lam_neg"),
    (S.random_quadratic, {"lam_pos": "abc"}, "lam_pos"),
    (S.random_quadratic, {"lam_pos": (1.0, 2.0, 3.0)}, "lam_pos"),
    (S.random_quadratic, {"dim": 3, "center": [1.0, 2.0]}, "center"),
    (S.random_quadratic, {"seed": 1.5}, "seed"),
    (S.random_strict_saddle, {"index": 0}, "index"),
    (S.random_strict_saddle, {"dim": 3, "index": 4}, "index must be <= dim = 3"),
    (S.random_strict_saddle, {"lam_pos": 0.0}, "lam_pos"),
    (S.random_strict_saddle, {"lam_neg": -1.0}, "lam_neg"),
    (S.random_strict_saddle, {"quartic": float("inf")}, "quartic"),
]


@pytest.mark.parametrize(("ctor", "kwargs", "match"), BAD)
def test_bad_arguments_name_the_argument(ctor, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ctor(**kwargs)


def test_make_checks_keywords():
    with pytest.raises(ValueError, match="allowed"):
        S.make("pspin", q=3)
