"""landscape.analysis: Hessian spectra, index, classification of endpoints."""

from __future__ import annotations

import numpy as np
import pytest

import landscape as ls
from landscape import analysis as an
from landscape.surfaces._base import Surface, box, points


# --------------------------------------------------------------------------
# helpers: quadratic forms with BLAS "batched" functions (flat or on the sphere)
# --------------------------------------------------------------------------
class _QuadBatched:
    """H(x) = ½ xᵀBx with value_and_grad / hvp / hessian as a batched surface has them."""

    def __init__(self, B, manifold=None):
        self.B = np.asarray(B, dtype=np.float64)
        self.diag = self.B.ndim == 1
        self.manifold = manifold

    def value_and_grad(self, X, G):
        G[:] = X * self.B if self.diag else X @ self.B
        return 0.5 * np.sum(X * G, axis=1)

    def hvp(self, x, v):
        return self.B * v if self.diag else self.B @ v

    def hessian(self, x):
        return np.diag(self.B) if self.diag else self.B.copy()


def _quad_surface(B, manifold=None):
    B = np.asarray(B, dtype=np.float64)
    d = B.shape[0]
    return Surface(
        name="test_quadratic_form",
        dim=d,
        params=np.zeros(0),
        vg=None,
        hess=None,
        minima=points([], d),
        saddles=points([], d),
        bounds=box(d, -2.0, 2.0),
        batched=_QuadBatched(B, manifold),
    )


def _random_symmetric(d, seed):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((d, d))
    return (M + M.T) / np.sqrt(2 * d)


def _with_spectrum(eigs, seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((len(eigs), len(eigs))))
    A = (Q * np.asarray(eigs)) @ Q.T
    return 0.5 * (A + A.T)


# --------------------------------------------------------------------------
# spectra and index
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 3, 6])
def test_strict_saddle_index_at_origin(k):
    d = 8
    surf = ls.surfaces.strict_saddle(dim=d, k=k, lam_pos=2.0, lam_neg=0.5)
    for method in ("exact", "lanczos"):
        idx = an.index(surf, np.zeros(d), method=method, k=d - 1)
        assert idx.count == k and idx.fraction == k / d and idx.exact and idx.dim == d
    spec = an.hessian_spectrum(surf, np.zeros(d), method="exact")
    assert spec.complete and spec.method == "exact"
    np.testing.assert_allclose(spec.eigenvalues, [-0.5] * k + [2.0] * (d - k))
    tab = an.classify(surf, np.vstack([surf.minima[:2], np.zeros((1, d))]))
    assert tab.column("label") == ["min"] * 2 + ["saddle"]
    assert tab.column("n_negative") == [0, 0, k]


def test_quadratic_exact_and_lanczos_agree():
    d = 300
    A = _random_symmetric(d, seed=1)
    surf = ls.surfaces.quadratic(A)
    x = np.full(d, 0.1)
    ref = np.linalg.eigvalsh(A)
    exact = an.hessian_spectrum(surf, x)  # auto: exact at d = 300
    assert exact.method == "exact" and exact.dim == d
    np.testing.assert_allclose(exact.eigenvalues, ref, rtol=1e-10, atol=1e-12)
    lz = an.hessian_spectrum(surf, x, method="lanczos", k=10, which="both", seed=3)
    assert lz.method == "lanczos" and not lz.complete
    np.testing.assert_allclose(lz.smallest, ref[:10], rtol=1e-8)
    np.testing.assert_allclose(lz.largest, ref[-10:], rtol=1e-8)
    assert lz.lambda_min == pytest.approx(ref[0]) and lz.lambda_max == pytest.approx(ref[-1])
    # seeded start vector: reproducible
    again = an.hessian_spectrum(surf, x, method="lanczos", k=10, which="both", seed=3)
    np.testing.assert_array_equal(lz.smallest, again.smallest)
    # the same through hvp (batched surface) instead of a formed Hessian
    lb = an.hessian_spectrum(_quad_surface(A), x, method="lanczos", k=10)
    np.testing.assert_allclose(lb.smallest, ref[:10], rtol=1e-8)
    # about half the eigenvalues of a random symmetric matrix are negative
    full = exact.index()
    assert full.exact and full.count == int(np.sum(ref < 0))
    part = lz.index()
    assert part.count == 10 and not part.exact  # a lower bound


def test_index_exactness_flag():
    d = 200
    eigs = np.concatenate([[-3.0, -2.0, -1.5, -1.0, -0.5], np.linspace(0.5, 4.0, d - 5)])
    surf = _quad_surface(_with_spectrum(eigs, seed=2))
    x = np.zeros(d)
    low = an.index(surf, x, method="lanczos", k=3)
    assert (low.count, low.exact) == (3, False)
    hit = an.index(surf, x, method="lanczos", k=5)  # k-th smallest negative: still a bound
    assert (hit.count, hit.exact) == (5, False)
    ok = an.index(surf, x, method="lanczos", k=8)
    assert (ok.count, ok.exact, ok.n_zero) == (5, True, 0)
    assert ok.fraction == pytest.approx(5 / d)
    ex = an.index(surf, x, method="exact")
    assert (ex.count, ex.exact) == (5, True)


def test_zero_eigenvalues_and_degenerate():
    surf = ls.surfaces.monkey_saddle()
    tab = an.classify(surf, np.zeros(2))
    assert tab.column("label") == ["degenerate"]
    spec = an.hessian_spectrum(surf, np.zeros(2))
    assert spec.index().n_zero == 2 and spec.index().count == 0
    # relative tolerance: 1e-10 next to 1e3 is a zero, next to 1 it is not
    s1 = _quad_surface(np.array([1e3, 1e-10, 2.0]))
    assert an.classify(s1, np.zeros(3)).column("label") == ["degenerate"]
    assert an.classify(s1, np.zeros(3), tol=1e-14).column("label") == ["min"]


def test_classify_named_surfaces():
    rosen = ls.surfaces.rosenbrock()
    tab = an.classify(rosen, [[1.0, 1.0], [-1.0, 1.0], [0.5, 0.0]])
    assert tab.column("label") == ["min", "not critical", "not critical"]
    assert tab.column("critical") == [True, False, False]
    assert tab.column("grad_norm")[0] < 1e-12 and tab.column("grad_norm")[1] > 1.0
    assert tab.column("value")[0] == 0.0
    # a non-critical point still gets its spectrum
    assert np.isfinite(tab.column("lambda_min")[2])
    saddle = ls.surfaces.saddle()
    assert an.classify(saddle, np.zeros(2)).column("label") == ["saddle"]
    assert an.classify(saddle, np.zeros(2)).column("index") == [0.5]
    him = ls.surfaces.himmelblau()
    crit = np.vstack([him.minima, him.saddles, him.maxima])
    labels = an.classify(him, crit).column("label")
    assert labels == ["min"] * len(him.minima) + ["saddle"] * len(him.saddles) + ["max"] * len(
        him.maxima
    )
    # non-finite points are labelled, not raised on
    t2 = an.classify(saddle, [[np.nan, 0.0], [0.0, 0.0]])
    assert t2.column("label") == ["diverged", "saddle"]


def test_classify_and_spectra_along_result(tmp_path):
    d, k = 4, 1
    surf = ls.surfaces.strict_saddle(dim=d, k=k)
    x0 = np.zeros((3, d))
    x0[0, 0] = 1e-3
    x0[1, 0] = -1e-3
    x0[2] = [1e-3, 0.1, 0.1, 0.1]
    res = ls.simulate(
        surf,
        {"gd": ls.optim.gd(lr=0.1), "big": ls.optim.gd(lr=50.0)},
        x0,
        steps=400,
        record_every=20,
    )
    tab = an.classify(None, res, optimizer="gd")
    assert tab.columns[:2] == ["optimizer", "trajectory"]
    assert tab.column("label") == ["min"] * 3
    assert tab.column("trajectory") == [0, 1, 2]
    big = an.classify(surf, res, optimizer=1)
    assert big.column("label") == ["diverged"] * 3
    path = big.to_csv(tmp_path / "c.csv")
    assert path.read_text().splitlines()[0].startswith("optimizer,trajectory,value")
    along, spectra = an.spectra_along(res, "gd", 0, every=2, keep_spectra=True)
    assert along.column("frame") == list(range(0, res.positions.shape[2], 2))
    assert along.column("step") == [int(s) for s in res.frame_steps[::2]]
    assert along.column("n_negative")[0] == k  # starts next to the saddle
    assert along.column("n_negative")[-1] == 0 and along.column("label")[-1] == "min"
    assert along.column("label")[0] == "not critical"
    assert len(spectra) == len(along.rows) and spectra[0].lambda_min < 0 < spectra[-1].lambda_min
    lab = an.spectra_along(res, "big", 0).column("label")
    assert lab[0] != "diverged" and lab[-1] == "diverged"
    with pytest.raises(ValueError, match="optimizer must be one of"):
        an.classify(surf, res)
    with pytest.raises(ValueError, match="trajectory must be < 3"):
        an.spectra_along(res, "gd", 3)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        an.spectra_along(res, "adam", 0)


# --------------------------------------------------------------------------
# the sphere
# --------------------------------------------------------------------------
def _sphere_case(d, seed):
    B = _random_symmetric(d, seed)
    lam, U = np.linalg.eigh(B)
    return _quad_surface(B, "sphere"), lam, U * np.sqrt(d)  # columns on |σ|² = d


def test_sphere_eigenvectors_are_critical_with_index_rank():
    d = 40
    surf, lam, S = _sphere_case(d, seed=5)
    tab, spectra = an.classify(surf, S.T, keep_spectra=True)
    assert all(g < 1e-10 for g in tab.column("grad_norm"))
    assert tab.column("n_negative") == list(range(d))
    assert tab.column("dim") == [d - 1] * d
    assert tab.column("label") == ["min"] + ["saddle"] * (d - 2) + ["max"]
    assert tab.column("index")[3] == pytest.approx(3 / (d - 1))
    # Riemannian Hessian at the j-th eigenvector: eigenvalues lam_i - lam_j, i != j
    for j in (0, 7, d - 1):
        want = np.sort(np.delete(lam, j) - lam[j])
        np.testing.assert_allclose(spectra[j].eigenvalues, want, atol=1e-12)
    # a random point on the sphere is not critical
    rng = np.random.default_rng(0)
    x = rng.standard_normal(d)
    x *= np.sqrt(d) / np.linalg.norm(x)
    assert an.classify(surf, x).column("label") == ["not critical"]


def test_sphere_lanczos_deflates_radial_direction():
    d = 60
    surf, lam, S = _sphere_case(d, seed=6)
    for j in (0, 3, 12):
        x = S[:, j]
        lz = an.hessian_spectrum(surf, x, method="lanczos", k=8, which="both")
        want = np.sort(np.delete(lam, j) - lam[j])
        assert lz.dim == d - 1
        np.testing.assert_allclose(lz.smallest, want[:8], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(lz.largest, want[-8:], rtol=1e-8, atol=1e-10)
        idx = lz.index()
        assert idx.count == min(j, 8) and idx.exact == (j < 8)
    # exact and Lanczos agree at a generic point too
    rng = np.random.default_rng(1)
    x = rng.standard_normal(d)
    x *= np.sqrt(d) / np.linalg.norm(x)
    ex = an.hessian_spectrum(surf, x, method="exact")
    lz = an.hessian_spectrum(surf, x, method="lanczos", k=5, which="both")
    np.testing.assert_allclose(lz.smallest, ex.eigenvalues[:5], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(lz.largest, ex.eigenvalues[-5:], rtol=1e-8, atol=1e-10)


def test_estimate_index_slq():
    d = 1200
    rng = np.random.default_rng(0)
    eigs = np.concatenate([-rng.uniform(0.2, 2.0, 360), rng.uniform(0.2, 3.0, d - 360)])
    surf = _quad_surface(_with_spectrum(eigs, seed=4))
    est = an.estimate_index(surf, np.zeros(d), probes=20, steps=60, seed=1)
    assert est.method == "slq" and not est.exact and est.dim == d
    assert est.fraction == pytest.approx(0.3, abs=0.05)
    assert 0 < est.stderr < 0.03
    assert an.index(surf, np.zeros(d)).method == "lanczos"  # auto above EXACT_MAX_DIM


def test_pspin_p2_eigenvectors():
    d = 30
    surf = ls.surfaces.pspin(dim=d, p=2, seed=3)
    # H is a quadratic form on the sphere: its Hessian is constant
    J = surf.hessian(np.ones(d))
    lam, U = np.linalg.eigh(0.5 * (J + J.T))
    tab = an.classify(surf, (U * np.sqrt(d)).T, gtol=1e-8)
    assert tab.column("critical") == [True] * d
    assert tab.column("n_negative") == list(range(d))


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
def test_bad_input():
    surf = ls.surfaces.saddle()
    with pytest.raises(ValueError, match=r"method must be one of .*'exact'.*got 'qr'"):
        an.hessian_spectrum(surf, [0, 0], method="qr")
    with pytest.raises(ValueError, match=r"which must be one of .*got 'middle'"):
        an.hessian_spectrum(surf, [0, 0], which="middle")
    with pytest.raises(ValueError, match=r"x must have shape \(2,\), got shape \(3,\)"):
        an.hessian_spectrum(surf, [0, 0, 0])
    with pytest.raises(ValueError, match="x must be finite"):
        an.index(surf, [np.inf, 0])
    with pytest.raises(ValueError, match="k must be < 2"):
        an.hessian_spectrum(surf, [0, 0], method="lanczos", k=2)
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        an.classify(surf, [0, 0], k=0)
    with pytest.raises(ValueError, match="tol must be >= 0, got -1"):
        an.index(surf, [0, 0], tol=-1)
    with pytest.raises(ValueError, match="gtol must be >= 0"):
        an.classify(surf, [0, 0], gtol=-1.0)
    with pytest.raises(ValueError, match=r"points must have shape \(m, 2\)"):
        an.classify(surf, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="surface must be a landscape Surface"):
        an.classify("saddle", [0, 0])
    with pytest.raises(ValueError, match="result must be a landscape Result"):
        an.spectra_along(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="optimizer must be None unless"):
        an.classify(surf, [0, 0], optimizer="gd")
    with pytest.raises(ValueError, match="x must not be 0 on the sphere"):
        an.index(_quad_surface(np.eye(3), "sphere"), np.zeros(3))


def test_lazy_import():
    assert "analysis" in ls.__all__
    assert ls.analysis is an


def test_lanczos_falls_back_to_exact_on_degenerate_spectra():
    """195 equal eigenvalues: Lanczos finds one copy per start vector and stalls."""
    surf = ls.surfaces.random_strict_saddle(dim=200, index=5, seed=1)
    sp = an.hessian_spectrum(surf, np.zeros(200), method="lanczos", k=8, which="both")
    np.testing.assert_allclose(sp.smallest[:5], -1.0, atol=1e-10)
    np.testing.assert_allclose(sp.largest[-8:], 1.0, atol=1e-10)
    assert an.index(surf, np.zeros(200), method="lanczos", k=8).count == 5
