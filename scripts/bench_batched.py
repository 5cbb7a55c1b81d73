"""Benchmark of the batched engine against the time of the gradient's matrix products.

The target (issue #7): per step, within 1.5x on the CPU of the time of the
gradient's matrix products alone (the floor), measured at d = 256, K = 1024
random Fourier features, 1,024 trajectories, Adam, nothing recorded.

For each dtype, in one run and on the same arrays:

* ``engine``: ``ls.simulate(surface, adam, x0, steps, record_every=0)``
  (compiled beforehand), per step;
* ``floor``: the two GEMMs of the gradient alone, ``X @ W.T`` (n x K) and
  ``S @ W`` (n x d), repeated ``steps`` times;
* ``surface``: ``surface.batched.value_and_grad(X, G)`` alone, ``steps`` times
  (so ``engine - surface`` is the engine's own cost: the update kernel and
  the Python step loop).

The three run in turn, ``--repeat`` times, and each keeps its best time (a
busy machine slows some runs; the best of each is the comparable number).  Uses ``ls.surfaces.gaussian_field``
when it exists, else a local random-Fourier-feature surface of the same shapes.

    python scripts/bench_batched.py [--dim 256] [--features 1024] [--n 1024] [--steps 150]
        [--repeat 5] [--dtype float64 float32] [--surface auto|gaussian_field|local|local-numpy]
        [--noise SIGMA]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np
from numba import njit

import landscape as ls
from landscape.surfaces._base import Surface, box

# Cody-Waite reduction by pi/2 (three-part constant) and the Cephes minimax
# polynomials on |r| <= pi/4: branch-free, so LLVM vectorises the loop (NumPy's
# float64 sin/cos are scalar libm calls, ~17 ns each on x86-64).
_S = (
    1.58962301576546568060e-10,
    -2.50507477628578072866e-8,
    2.75573136213857245213e-6,
    -1.98412698295895385996e-4,
    8.33333333332211858878e-3,
    -1.66666666666666307295e-1,
)
_C = (
    -1.13585365213876817300e-11,
    2.08757008419747316778e-9,
    -2.75573141792967388112e-7,
    2.48015872888517045348e-5,
    -1.38888888888730564116e-3,
    4.16666666666665929218e-2,
)
_DP1, _DP2, _DP3 = 1.57079625129699707031, 7.54978941586159635335e-8, 5.39030285815811905290e-15
_TWO_OVER_PI = 0.63661977236758134308


@njit(fastmath=True, nogil=True, error_model="numpy")
def _dot(u, v):
    acc = 0.0
    for k in range(u.shape[0]):
        acc += u[k] * v[k]
    return acc


@njit(fastmath={"contract"}, nogil=True, error_model="numpy")  # no reassoc: Cody-Waite
def _features(Z, b, a, F, C):
    """``Z <- -a * sin(Z + b)``, ``F = cos(Z + b) @ a`` in one pass (float64 inside)."""
    n, K = Z.shape
    for i in range(n):
        for k in range(K):
            x = np.float64(Z[i, k]) + b[k]
            j = math.floor(x * _TWO_OVER_PI + 0.5)
            r = ((x - j * _DP1) - j * _DP2) - j * _DP3
            q = np.int64(j)
            z = r * r
            s = r + r * z * (((((_S[0] * z + _S[1]) * z + _S[2]) * z + _S[3]) * z + _S[4]) * z
                             + _S[5])  # fmt: skip
            c = 1.0 - 0.5 * z + z * z * (((((_C[0] * z + _C[1]) * z + _C[2]) * z + _C[3]) * z
                                          + _C[4]) * z + _C[5])  # fmt: skip
            swap = (q & 1) != 0
            sn = c if swap else s
            cs = s if swap else c
            sn = -sn if (q & 2) != 0 else sn
            cs = -cs if ((q + 1) & 2) != 0 else cs
            C[k] = cs
            Z[i, k] = -a[k] * sn
        F[i] = _dot(C, a)


class _LocalRFF:
    """f(x) = sum_k a_k cos(w_k . x + b_k), a_k ~ N(0, 2/K); the gradient is two GEMMs.

    ``fast=True``: the features in one vectorised Numba pass (:func:`_features`);
    ``fast=False``: plain NumPy (``np.cos``, ``np.sin``).
    """

    manifold = None

    def __init__(self, dim, features, seed=0, fast=True):
        rng = np.random.default_rng(seed)
        self.fast = fast
        self.W = {np.dtype(np.float64): rng.standard_normal((features, dim)) / np.sqrt(dim)}
        self.b = {np.dtype(np.float64): rng.uniform(0.0, 2.0 * np.pi, features)}
        self.a = {np.dtype(np.float64): rng.standard_normal(features) * np.sqrt(2.0 / features)}
        for tab in (self.W, self.b, self.a):
            tab[np.dtype(np.float32)] = tab[np.dtype(np.float64)].astype(np.float32)
        self._z = {}

    def value_and_grad(self, X, G):
        dt = X.dtype
        W, b, a = self.W[dt], self.b[dt], self.a[dt]
        n, K = X.shape[0], W.shape[0]
        Z = self._z.get((n, dt))
        if Z is None:
            Z = self._z[(n, dt)] = np.empty((n, K), dt)
        np.matmul(X, W.T, out=Z)
        if self.fast:
            F = np.empty(n, dt)
            _features(Z, self.b[np.dtype(np.float64)], self.a[np.dtype(np.float64)], F,
                      np.empty(K))  # fmt: skip
        else:
            Z += b
            F = np.cos(Z) @ a
            np.sin(Z, out=Z)
            Z *= -a
        np.matmul(Z, W, out=G)
        return F

    def hvp(self, x, v):
        W, b, a = (t[np.dtype(np.float64)] for t in (self.W, self.b, self.a))
        z = W @ x + b
        return -(W.T @ (a * np.cos(z) * (W @ v)))

    def hessian(self, x):
        W, b, a = (t[np.dtype(np.float64)] for t in (self.W, self.b, self.a))
        z = W @ x + b
        return -(W.T * (a * np.cos(z))) @ W


def make_surface(dim, features, which="auto"):
    """(surface, W, description): ``ls.surfaces.gaussian_field`` or the local stand-in.

    ``which``: ``"auto"`` (gaussian_field if it exists, else ``"local"``),
    ``"gaussian_field"``, ``"local"`` (Numba feature pass), ``"local-numpy"``.
    """
    gf = getattr(ls.surfaces, "gaussian_field", None)
    if which == "gaussian_field" or (which == "auto" and gf is not None):
        if gf is None:
            raise SystemExit("ls.surfaces.gaussian_field does not exist yet; use --surface local")
        surf = gf(dim=dim, features=features)
        W = _feature_matrix(surf, dim, features)
        return surf, W, "ls.surfaces.gaussian_field"
    fast = which != "local-numpy"
    b = _LocalRFF(dim, features, fast=fast)
    surf = Surface(
        "local_rff", dim, np.zeros(0), None, None, np.zeros((0, dim)), np.zeros((0, dim)),
        box(dim, -3.0, 3.0), formula="", kwargs={"dim": dim, "features": features}, batched=b,
    )  # fmt: skip
    how = "one Numba pass for sin/cos" if fast else "NumPy sin/cos"
    return surf, b.W[np.dtype(np.float64)], f"local random Fourier features ({how})"


def _feature_matrix(surf, dim, features):
    """The (K, d) frequency matrix of a gaussian_field, or a random one of that shape."""
    for name in ("W", "omega", "Omega", "frequencies"):
        W = getattr(surf.batched, name, None)
        if isinstance(W, np.ndarray) and W.shape in ((features, dim), (dim, features)):
            return W if W.shape == (features, dim) else W.T
    return np.random.default_rng(0).standard_normal((features, dim)) / np.sqrt(dim)


def _best_interleaved(fns, repeat):
    """Best time of each function, running them in turn ``repeat`` times (robust to load)."""
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def bench(dim, features, n, steps, repeat, dtypes, which="auto", sigma=0.0):
    surf, W64, source = make_surface(dim, features, which)
    print(f"surface: {source}; d = {dim}, K = {features}, n = {n}, Adam, {steps} steps, "
          f"record_every=0, noise sigma={sigma:g}, best of {repeat}")  # fmt: skip
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; numpy {np.__version__}")
    x0 = ls.starts.normal(n, np.zeros(dim), 1.0, seed=0)
    opt = ls.optim.adam(lr=1e-2)
    noise = ls.noise.gaussian(sigma) if sigma > 0 else None
    rows = []
    for dtype in dtypes:
        dt = np.dtype(dtype)
        ls.simulate(surf, opt, x0, 2, record_every=0, dtype=dtype)  # compile

        def engine(dtype=dtype):
            ls.simulate(surf, opt, x0, steps, record_every=0, dtype=dtype, noise=noise)

        X = np.ascontiguousarray(x0, dtype=dt)
        G = np.empty_like(X)
        W = np.ascontiguousarray(W64, dtype=dt)
        Wt = np.ascontiguousarray(W.T)
        Z = np.empty((n, features), dt)

        def floor(X=X, Wt=Wt, W=W, Z=Z, G=G):
            for _ in range(steps):
                np.matmul(X, Wt, out=Z)
                np.matmul(Z, W, out=G)

        def surface_only(X=X, G=G):
            for _ in range(steps):
                surf.batched.value_and_grad(X, G)

        floor()
        surface_only()
        t_engine, t_floor, t_surf = _best_interleaved([engine, floor, surface_only], repeat)
        # steps + 1 gradients per run (the last iterate's loss), steps of floor
        per = t_engine / steps
        rows.append((dtype, per, t_floor / steps, t_surf / steps))
    print(f"{'dtype':8} {'engine ms/step':>15} {'floor ms/step':>14} {'ratio':>6} "
          f"{'surface ms/step':>16} {'surf/floor':>10} {'engine-surf ms':>15}")  # fmt: skip
    for dtype, per, fl, sf in rows:
        print(f"{dtype:8} {per * 1e3:15.3f} {fl * 1e3:14.3f} {per / fl:6.2f} {sf * 1e3:16.3f} "
              f"{sf / fl:10.2f} {(per - sf) * 1e3:15.3f}")  # fmt: skip
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--features", type=int, default=1024)
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--dtype", nargs="+", default=["float64", "float32"])
    p.add_argument(
        "--surface", default="auto", choices=["auto", "gaussian_field", "local", "local-numpy"]
    )
    p.add_argument("--noise", type=float, default=0.0, help="gradient noise sigma (default none)")
    a = p.parse_args(argv)
    bench(a.dim, a.features, a.n, a.steps, a.repeat, a.dtype, a.surface, a.noise)


if __name__ == "__main__":
    main()
