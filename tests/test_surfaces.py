"""Surface families: kernels against NumPy references, finite differences and
known critical points; dtype and lane-count contract; argument validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess

import landscape.surfaces as S
from landscape.surfaces import _critical

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference_surfaces as ref
except ImportError:
    import reference_surfaces as ref


# --------------------------------------------------------------------------
# the surfaces under test
# --------------------------------------------------------------------------
_RNG_A = np.random.default_rng(7).standard_normal((3, 3))

CASES = {
    "rosenbrock-2": lambda: S.rosenbrock(),
    "rosenbrock-5": lambda: S.rosenbrock(dim=5, a=1.0, b=30.0),
    "quadratic-pd": lambda: S.quadratic(_RNG_A @ _RNG_A.T + 0.5 * np.eye(3), [1.0, -2.0, 0.5]),
    "quadratic-indef": lambda: S.quadratic([[2.0, 0.5, 0.0], [0.5, -1.0, 0.3], [0.0, 0.3, 1.5]]),
    "quadratic-nd": lambda: S.quadratic(-np.diag([1.0, 2.0]), center=[0.3, 0.1]),
    "elongated_bowl": lambda: S.elongated_bowl(kappa=50.0, angle=0.3, scale=2.0),
    "saddle": lambda: S.saddle(a=1.5, b=0.5),
    "monkey_saddle": lambda: S.monkey_saddle(),
    "strict_saddle": lambda: S.strict_saddle(dim=5, k=2, lam_pos=2.0, lam_neg=0.5, quartic=3.0),
    "strict_saddle-max": lambda: S.strict_saddle(dim=3, k=3),
    "plateau": lambda: S.plateau(width=2.0, slope=0.1, depth=1.5, well=0.7, curvature=2.0, dim=3),
    "beale": lambda: S.beale(),
    "himmelblau": lambda: S.himmelblau(),
    "rastrigin": lambda: S.rastrigin(dim=3, A=10.0),
    "ackley": lambda: S.ackley(dim=3),
    "ackley-1d": lambda: S.ackley(dim=1, a=10.0, b=0.5, c=3.0),
    "six_hump_camel": lambda: S.six_hump_camel(),
    "styblinski_tang": lambda: S.styblinski_tang(dim=3),
    "goldstein_price": lambda: S.goldstein_price(),
}

_BUILT: dict = {}


def build(case):
    if case not in _BUILT:
        _BUILT[case] = CASES[case]()
    return _BUILT[case]


def sample(surf, n=9, seed=0):
    """``n`` points drawn uniformly from the surface's plotting box."""
    rng = np.random.default_rng(seed)
    b = surf.bounds
    return b[:, 0] + (b[:, 1] - b[:, 0]) * rng.random((n, surf.dim))


def block(surf, pts, dtype=np.float64):
    """Run the raw kernel on rows ``pts``; returns ``(F, G)`` with G as rows."""
    X = np.ascontiguousarray(np.asarray(pts).T, dtype=dtype)
    G = np.full_like(X, np.nan)
    F = np.full(X.shape[1], np.nan, dtype=dtype)
    surf.vg(X, G, F, surf.params)
    return F, G.T


def fd_grad(surf, x, h):
    """Central differences of the value at one point."""
    d = x.size
    E = h * np.eye(d)
    fp = surf.value(x + E)
    fm = surf.value(x - E)
    return (fp - fm) / (2 * h)


def fd_hess(surf, x, h):
    """Central differences of the analytic gradient at one point (columns)."""
    d = x.size
    E = h * np.eye(d)
    gp = surf.grad(x + E)  # row k: gradient at x + h e_k
    gm = surf.grad(x - E)
    return ((gp - gm) / (2 * h)).T


def critical_sets(surf):
    return (("min", surf.minima), ("saddle", surf.saddles), ("max", surf.maxima))


# --------------------------------------------------------------------------
# kernels against the NumPy reference and finite differences
# --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_value_and_grad_match_reference(case):
    surf = build(case)
    x = sample(surf)
    F, G = block(surf, x)
    Fr, Gr = ref.value_and_grad(surf, x)
    fs = max(1.0, np.max(np.abs(Fr)))
    gs = max(1.0, np.max(np.abs(Gr)))
    np.testing.assert_allclose(F, Fr, rtol=1e-11, atol=1e-12 * fs)
    np.testing.assert_allclose(G, Gr, rtol=1e-10, atol=1e-11 * gs)
    # the Surface helpers agree with the raw kernel
    f2, g2 = surf.value_and_grad(x)
    np.testing.assert_array_equal(f2, F)
    np.testing.assert_array_equal(g2, G)


@pytest.mark.parametrize("case", CASES)
def test_grad_matches_finite_differences(case):
    surf = build(case)
    for x in sample(surf, n=5, seed=1):
        g = surf.grad(x)
        h = 1e-6 * max(1.0, float(np.max(np.abs(x))))
        fd = fd_grad(surf, x, h)
        scale = max(1.0, float(np.max(np.abs(g))), abs(float(surf.value(x))) * 1e-3)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("case", CASES)
def test_hessian_matches_finite_differences_of_grad(case):
    surf = build(case)
    for x in sample(surf, n=5, seed=2):
        H = surf.hessian(x)
        assert H.shape == (surf.dim, surf.dim)
        np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(H))))
        h = 1e-6 * max(1.0, float(np.max(np.abs(x))))
        fd = fd_hess(surf, x, h)
        scale = max(1.0, float(np.max(np.abs(H))), float(np.max(np.abs(surf.grad(x)))) * 1e-3)
        np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-5 * scale)


# --------------------------------------------------------------------------
# critical points
# --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_listed_critical_points(case):
    surf = build(case)
    total = 0
    for kind, pts in critical_sets(surf):
        assert pts.ndim == 2 and pts.shape[1] == surf.dim, (kind, pts.shape)
        assert pts.dtype == np.float64
        total += pts.shape[0]
        if pts.shape[0] == 0:
            continue
        f, g = surf.value_and_grad(pts)
        fs = max(1.0, float(np.max(np.abs(f))))
        assert np.max(np.abs(g)) <= 1e-10 * fs, (kind, np.max(np.abs(g)))
        for p in pts:
            ev = np.linalg.eigvalsh(surf.hessian(p))
            tol = 1e-9 * max(1.0, float(np.max(np.abs(ev))))
            if kind == "min":
                assert np.all(ev > tol), (p, ev)
            elif kind == "max":
                assert np.all(ev < -tol), (p, ev)
            elif surf.name == "monkey_saddle":
                assert np.all(np.abs(ev) <= tol), (p, ev)  # degenerate
            else:
                assert ev.min() < -tol and ev.max() > tol, (p, ev)
    assert total >= 1
    # no point is listed twice
    allp = np.concatenate([p for _, p in critical_sets(surf)])
    diff = np.max(np.abs(allp[:, None, :] - allp[None, :, :]), axis=2)
    assert np.all(diff[np.triu_indices(len(allp), 1)] > 1e-6)


@pytest.mark.parametrize("case", CASES)
def test_first_minimum_is_lowest(case):
    """The first listed minimum is the lowest point of the plotting box: lowest of
    the listed minima, of 4000 samples, and of local descents from the 5 best
    samples.  With no minimum listed the surface has none: from its first listed
    saddle or maximum it falls without bound along the lowest curvature direction."""
    surf = build(case)
    pts = sample(surf, n=4000, seed=3)
    f_box = surf.value(pts)
    if surf.minima.shape[0] == 0:
        p = np.concatenate([surf.saddles, surf.maxima])[0]
        v = np.linalg.eigh(surf.hessian(p))[1][:, 0]
        half = float(np.max(surf.bounds[:, 1] - surf.bounds[:, 0])) / 2
        t = half * np.array([1.0, 10.0, 100.0, 1000.0])[:, None]
        down = np.minimum(surf.value(p + t * v), surf.value(p - t * v))
        assert np.all(np.diff(down) < 0), down
        assert down[-1] < f_box.min() - 1e3, (down, f_box.min())
        return
    f = surf.value(surf.minima)
    tol = 1e-12 * max(1.0, abs(f[0]))
    assert f[0] <= f.min() + tol, f
    assert f[0] <= f_box.min() + tol, (f[0], f_box.min())
    for x0 in pts[np.argsort(f_box)[:5]]:
        res = minimize(
            lambda x: float(surf.value(x)),
            x0,
            jac=surf.grad,
            method="L-BFGS-B",
            bounds=surf.bounds,
        )
        assert res.fun >= f[0] - 1e-9 * max(1.0, abs(f[0])), (res.x, res.fun, f[0])


KNOWN_MIN = {
    "rosenbrock-2": 0.0,
    "rosenbrock-5": 0.0,
    "elongated_bowl": 0.0,
    "strict_saddle": -2 * 0.5**2 / (4 * 3.0),
    "strict_saddle-max": -3 * 1.0 / 4,
    "plateau": -1.5,
    "beale": 0.0,
    "himmelblau": 0.0,
    "rastrigin": 0.0,
    "ackley": 0.0,
    "ackley-1d": 0.0,
    "six_hump_camel": -1.0316284534898774,
    "styblinski_tang": -39.16616570377142 * 3,
    "goldstein_price": 3.0,
}


@pytest.mark.parametrize("case", sorted(KNOWN_MIN))
def test_known_minimum_values(case):
    surf = build(case)
    f = surf.value(surf.minima)
    np.testing.assert_allclose([f[0], f.min()], KNOWN_MIN[case], rtol=1e-12, atol=1e-12)


def test_known_minimum_locations():
    np.testing.assert_allclose(build("goldstein_price").minima[0], [0.0, -1.0], atol=1e-12)
    st = build("styblinski_tang")
    np.testing.assert_allclose(st.minima[0], [-2.903534027771177] * 3, rtol=1e-14)
    np.testing.assert_allclose(build("beale").minima[0], [3.0, 0.5], atol=1e-12)
    hb = build("himmelblau")
    np.testing.assert_allclose(hb.value(hb.maxima), [181.61652152258262], rtol=1e-13)
    np.testing.assert_allclose(build("plateau").minima, [[2.7, 0.0, 0.0]])
    np.testing.assert_allclose(build("rastrigin").minima, np.zeros((1, 3)))


@pytest.mark.parametrize(
    "case, n_min, n_saddle, n_max",
    [
        ("beale", 1, 2, 0),
        ("himmelblau", 4, 4, 1),
        ("six_hump_camel", 6, 7, 2),
        ("goldstein_price", 4, 4, 1),
    ],
)
def test_2d_critical_points_are_complete(case, n_min, n_saddle, n_max):
    """Newton from a grid over 1.5x the plotting box finds exactly the listed points."""
    surf = build(case)
    b = surf.bounds
    c, h = b.mean(axis=1), (b[:, 1] - b[:, 0]) / 2
    wide = np.stack([c - 1.5 * h, c + 1.5 * h], axis=1)
    axes = [np.linspace(lo, hi, 61) for lo, hi in wide]
    starts = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, 2)
    found = _critical.find(surf.vg, surf.hess, surf.params, starts, within=wide)
    assert found["degenerate"].shape[0] == 0
    for kind, listed in critical_sets(surf):
        got = found[kind]
        assert listed.shape[0] == {"min": n_min, "saddle": n_saddle, "max": n_max}[kind]
        assert got.shape == listed.shape, (kind, got, listed)
        np.testing.assert_allclose(got, listed, atol=1e-9)  # same order: sorted by value


def test_styblinski_tang_critical_points():
    surf = S.styblinski_tang(dim=3)
    assert surf.minima.shape == (8, 3) and surf.saddles.shape == (18, 3)
    assert surf.maxima.shape == (1, 3)
    r = surf.minima[0, 0]
    assert abs(r + 2.903534027771177) < 1e-14
    big = S.styblinski_tang(dim=12)
    assert big.minima.shape == (1, 12) and big.saddles.shape == (0, 12)
    np.testing.assert_allclose(big.value(big.minima), -39.16616570377142 * 12, rtol=1e-13)


def test_strict_saddle_minima_listing():
    s = S.strict_saddle(dim=4, k=3, lam_neg=2.0, quartic=0.5)
    assert s.minima.shape == (8, 4)
    np.testing.assert_allclose(np.abs(s.minima[:, :3]), 2.0)
    np.testing.assert_array_equal(s.minima[:, 3], 0.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(s.hessian(np.zeros(4))), [-2, -2, -2, 1])
    assert S.strict_saddle(dim=12, k=11).minima.shape == (0, 12)
    assert S.strict_saddle(dim=12, k=10).minima.shape == (1024, 12)
    # one compiled kernel serves every k and dim
    assert S.strict_saddle(dim=3, k=1).vg is s.vg


def test_quadratic_classification_and_sharing():
    pd = build("quadratic-pd")
    assert pd.minima.shape == (1, 3) and pd.saddles.shape == (0, 3)
    np.testing.assert_allclose(pd.minima[0], [1.0, -2.0, 0.5])
    ind = build("quadratic-indef")
    assert ind.saddles.shape == (1, 3) and ind.minima.shape == (0, 3)
    nd = build("quadratic-nd")
    assert nd.maxima.shape == (1, 2) and nd.minima.shape == (0, 2)
    bowl = build("elongated_bowl")
    assert bowl.vg is pd.vg and bowl.hess is pd.hess
    assert bowl.kwargs["L"] == pytest.approx(100.0) and bowl.kwargs["mu"] == pytest.approx(2.0)
    ev, vec = np.linalg.eigh(bowl.hessian(np.zeros(2)))
    np.testing.assert_allclose(ev, [2.0, 100.0])
    steep = vec[:, 1] * np.sign(vec[0, 1])
    np.testing.assert_allclose(steep, [math.cos(0.3), math.sin(0.3)], atol=1e-12)
    again = S.make(bowl.name, **bowl.kwargs)
    np.testing.assert_array_equal(again.params, bowl.params)


def test_plateau_profile():
    s = build("plateau")  # width 2, slope 0.1
    x = np.array([[-1.0, 0.0, 0.0], [0.5, 0.0, 0.0], [2.0, 0.0, 0.0]])
    f, g = s.value_and_grad(x)
    np.testing.assert_allclose(f, [0.3, 0.15, 0.0], atol=1e-15)
    np.testing.assert_allclose(g[:, 0], -0.1, rtol=1e-14)
    # C^1 at the edge of the plateau
    eps = 1e-9
    fl, gl = s.value_and_grad([2.0 - eps, 0, 0])
    fr, gr = s.value_and_grad([2.0 + eps, 0, 0])
    assert abs(fl - fr) < 1e-9 and abs(gl[0] - gr[0]) < 1e-7
    # gradient descent crosses the plateau in about width / (lr * slope) steps
    lr, x, steps = 0.5, np.zeros(3), 0
    while x[0] < 2.0:
        x = x - lr * s.grad(x)
        steps += 1
    assert steps == math.ceil(2.0 / (lr * 0.1))


def test_ackley_gradient_finite_at_origin():
    for surf in (build("ackley"), build("ackley-1d")):
        for dtype in (np.float64, np.float32):
            pts = np.zeros((3, surf.dim))
            pts[1] = 1e-30
            pts[2] = -1e-20
            F, G = block(surf, pts, dtype)
            assert np.all(np.isfinite(F)) and np.all(np.isfinite(G))
            assert np.all(G[0] == 0.0)
            assert abs(F[0]) < 1e-5
            assert np.max(np.abs(G)) <= surf.params[0] * surf.params[1] + 1e-3
        H = surf.hessian(np.zeros(surf.dim))
        assert np.all(np.isfinite(H))


def test_rosenbrock_matches_scipy():
    rng = np.random.default_rng(3)
    for d in (2, 5):
        surf = S.rosenbrock(dim=d)
        x = rng.uniform(-2, 2, size=(6, d))
        f, g = surf.value_and_grad(x)
        np.testing.assert_allclose(f, [rosen(p) for p in x], rtol=1e-13)
        np.testing.assert_allclose(g, [rosen_der(p) for p in x], rtol=1e-12, atol=1e-12)
        for p in x[:3]:
            np.testing.assert_allclose(surf.hessian(p), rosen_hess(p), rtol=1e-13, atol=1e-12)


# --------------------------------------------------------------------------
# dtype and lane contract
# --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_float32_block_close_to_float64(case):
    surf = build(case)
    x = sample(surf, n=9, seed=4).astype(np.float32).astype(np.float64)
    F64, G64 = block(surf, x)
    F32, G32 = block(surf, x, np.float32)
    assert F32.dtype == np.float32 and G32.dtype == np.float32
    fs = max(1.0, float(np.max(np.abs(F64))))
    gs = max(1.0, float(np.max(np.abs(G64))))
    np.testing.assert_allclose(F32, F64, rtol=1e-4, atol=2e-5 * fs)
    np.testing.assert_allclose(G32, G64, rtol=1e-4, atol=2e-5 * gs)


@pytest.mark.parametrize("case", CASES)
def test_single_lane_matches_block(case):
    surf = build(case)
    x = sample(surf, n=4, seed=5)
    F, G = block(surf, x)
    for i, p in enumerate(x):
        f1, g1 = block(surf, p[None, :])
        assert f1.shape == (1,)
        np.testing.assert_allclose(f1[0], F[i], rtol=1e-14, atol=1e-300)
        gs = max(1.0, np.max(np.abs(G)))
        np.testing.assert_allclose(g1[0], G[i], rtol=1e-14, atol=1e-14 * gs)


# --------------------------------------------------------------------------
# registry and records
# --------------------------------------------------------------------------
EXPECTED = {
    "ackley", "beale", "elongated_bowl", "gaussian_field", "goldstein_price", "himmelblau",
    "linear_regression", "logistic_regression", "monkey_saddle", "plateau", "pspin", "quadratic",
    "random_quadratic", "random_strict_saddle", "rastrigin", "rosenbrock", "saddle",
    "six_hump_camel", "strict_saddle", "styblinski_tang", "tanh_network",
}  # fmt: skip


def test_registry():
    assert set(S.names()) == EXPECTED
    assert EXPECTED <= set(S.__all__)
    for name in S.names():
        assert callable(getattr(S, name))
        surf = S.make(name, A=np.eye(2)) if name == "quadratic" else S.make(name)
        assert surf.name == name
        d = surf.dim
        assert surf.params.dtype == np.float64 and surf.params.ndim == 1
        assert surf.bounds.shape == (d, 2) and np.all(surf.bounds[:, 0] < surf.bounds[:, 1])
        assert surf.formula
        for _, pts in critical_sets(surf):
            assert pts.shape[1:] == (d,)
        again = S.make(name, **surf.kwargs)
        np.testing.assert_array_equal(again.params, surf.params)
        np.testing.assert_array_equal(again.minima, surf.minima)
    with pytest.raises(ValueError, match="surface"):
        S.make("nope")


def test_finite_sum_models_are_the_finite_sum_surfaces():
    """``finite_sum.MODELS`` (named in error messages) lists exactly the surfaces with examples."""
    from landscape.surfaces.finite_sum import MODELS

    assert "MODELS" in S.finite_sum.__all__
    made = {name: S.make(name, A=np.eye(2)) if name == "quadratic" else S.make(name)
            for name in S.names()}  # fmt: skip
    assert set(MODELS) == {n for n, surf in made.items() if getattr(surf, "finite_sum", None)}
    assert list(MODELS) == sorted(MODELS) and len(MODELS) == len(set(MODELS))


def test_docstrings_have_formula():
    for name in S.names():
        doc = getattr(S, name).__doc__
        assert doc and ".. math::" in doc, name


# --------------------------------------------------------------------------
# argument validation
# --------------------------------------------------------------------------
BAD = [
    (S.quadratic, {"A": [[1.0, 2.0], [0.0, 1.0]]}, "A"),
    (S.quadratic, {"A": [[1.0, 2.0, 3.0]]}, "A"),
    (S.quadratic, {"A": [[1.0, np.nan], [np.nan, 1.0]]}, "A"),
    (S.quadratic, {"A": "abc"}, "A"),
    (S.quadratic, {"A": np.eye(2), "center": [1.0, 2.0, 3.0]}, "center"),
    (S.elongated_bowl, {"kappa": 0.5}, "kappa"),
    (S.elongated_bowl, {"scale": 0.0}, "scale"),
    (S.elongated_bowl, {"angle": float("nan")}, "angle"),
    (S.elongated_bowl, {"kappa": 4.0, "L": 5.0}, "L"),
    (S.saddle, {"a": -1.0}, "a"),
    (S.saddle, {"b": float("inf")}, "b"),
    (S.strict_saddle, {"dim": 0}, "dim"),
    (S.strict_saddle, {"k": 0}, "k"),
    (S.strict_saddle, {"dim": 3, "k": 4}, "k"),
    (S.strict_saddle, {"k": 1.5}, "k"),
    (S.strict_saddle, {"lam_pos": 0.0}, "lam_pos"),
    (S.strict_saddle, {"lam_neg": -1.0}, "lam_neg"),
    (S.strict_saddle, {"quartic": 0.0}, "quartic"),
    (S.plateau, {"width": -1.0}, "width"),
    (S.plateau, {"slope": 0.0}, "slope"),
    (S.plateau, {"depth": 0.1, "slope": 1.0, "well": 1.0}, "depth"),
    (S.plateau, {"well": 0.0}, "well"),
    (S.plateau, {"curvature": -2.0}, "curvature"),
    (S.plateau, {"dim": 0}, "dim"),
    (S.rastrigin, {"dim": 0}, "dim"),
    (S.rastrigin, {"A": 0.0}, "A"),
    (S.ackley, {"dim": 2.5}, "dim"),
    (S.ackley, {"a": 0.0}, "a"),
    (S.ackley, {"b": -0.2}, "b"),
    (S.ackley, {"c": "x"}, "c"),
    (S.styblinski_tang, {"dim": 0}, "dim"),
    (S.rosenbrock, {"dim": 1}, "dim"),
]


@pytest.mark.parametrize(
    "ctor, kwargs, name", BAD, ids=[f"{c.__name__}-{n}-{i}" for i, (c, _, n) in enumerate(BAD)]
)
def test_bad_arguments_raise(ctor, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        ctor(**kwargs)


# --------------------------------------------------------------------------
# surfaces.make: an unknown name or parameter is a ValueError naming it
# --------------------------------------------------------------------------
def test_make_unknown_name_raises_valueerror():
    with pytest.raises(ValueError, match="surface"):
        S.make("rosenbrok")


@pytest.mark.parametrize("call,match", [
    (lambda: S.make("rosenbrock", bogus=1), "bogus"),
])  # fmt: skip
def test_make_unknown_parameter_raises_valueerror(call, match):
    """Regression: an unknown keyword raised ``TypeError: rosenbrock() got an
    unexpected keyword argument 'bogus'`` instead of the ValueError naming the
    argument that ``ls.optim.make("adam", lrr=0.1)`` gives:

        ls.surfaces.make("rosenbrock", bogus=1)                # TypeError
    """
    with pytest.raises(ValueError, match=match):
        call()
