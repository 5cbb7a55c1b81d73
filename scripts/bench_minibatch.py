"""Benchmark of real mini-batch SGD in the fused engine against a vectorised NumPy loop.

Both run the same problem: ``n`` trajectories of mini-batch SGD (batch ``b``)
on the linear-regression finite sum with ``m`` examples for ``epochs``
epochs, a fresh permutation per trajectory and epoch.  NumPy draws the
permutations with ``Generator.permuted`` (one ``(n, m)`` array per epoch)
and gathers each batch with fancy indexing, the natural vectorised baseline;
the engine computes its keyed shuffle on the fly.  Compile time is excluded
(one warm-up run).  Prints one table; ratios are within this one run.

    python3 scripts/bench_minibatch.py [--n 4096] [--m 1024] [--b 64] [--epochs 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import landscape as ls


def numpy_sgd(X, y, theta0, lr, b, epochs, seed):
    """Vectorised mini-batch SGD over trajectories (rows of theta0); returns final thetas."""
    rng = np.random.default_rng(seed)
    n = theta0.shape[0]
    m = X.shape[0]
    w = theta0[:, 0].copy()
    c = theta0[:, 1].copy()
    x = X[:, 0]
    for _ in range(epochs):
        order = rng.permuted(np.tile(np.arange(m), (n, 1)), axis=1)
        for start in range(0, m, b):
            idx = order[:, start : start + b]
            xb = x[idx]
            r = w[:, None] * xb + c[:, None] - y[idx]
            w -= lr * (r * xb).mean(axis=1)
            c -= lr * r.mean(axis=1)
    return np.stack([w, c], axis=1)


def best_of(fn, repeat):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--m", type=int, default=1024)
    ap.add_argument("--b", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    for name in ("n", "m", "b", "epochs", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.b > args.m:
        ap.error(f"--b must be <= --m = {args.m}, got {args.b}")
    surf = ls.surfaces.linear_regression(m=args.m)
    X, y = surf.finite_sum.X, surf.finite_sum.y
    theta0 = np.tile([-2.0, 3.0], (args.n, 1))
    lr = 0.5
    steps = args.epochs * ls.minibatch.steps_per_epoch(args.m, args.b)
    opt = ls.optim.sgd(lr)

    def engine():
        return ls.simulate(surf, opt, theta0, steps, record_every=0, batch_size=args.b).final[0]

    engine()  # compile
    t_eng, fin_eng = best_of(engine, args.repeat)
    t_np, fin_np = best_of(lambda: numpy_sgd(X, y, theta0, lr, args.b, args.epochs, 0), args.repeat)
    # different shuffles: compare the distributions of the final full costs, not paths
    j_eng = np.median(surf.value(fin_eng))
    j_np = np.median(surf.value(fin_np))
    ex = args.n * steps * args.b
    print(
        f"mini-batch SGD on linear_regression(m={args.m}): {args.n} trajectories x {steps} steps "
        f"(b={args.b}, {args.epochs} epochs), threads=all"
    )
    print(f"{'':10}{'time s':>9}{'G examples/s':>14}{'median J':>11}")
    print(f"{'engine':10}{t_eng:9.3f}{ex / t_eng / 1e9:14.3f}{j_eng:11.5f}")
    print(f"{'numpy':10}{t_np:9.3f}{ex / t_np / 1e9:14.3f}{j_np:11.5f}")
    print(f"engine / numpy speed-up: {t_np / t_eng:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
