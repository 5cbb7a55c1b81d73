"""Where the fused CPU engine's time goes on ``landscape bench``'s workload, in one run.

Adam on 2-D Rosenbrock, N trajectories x T steps (default the bench's
65,536 x 2,000), float32 and float64, best of ``--repeat``; every row in the
same run, so the ratios hold even on a noisy machine:

* ``numpy``   the bench's vectorised NumPy loop (the baseline of ``x numpy``);
* ``engine``  ``landscape.simulate`` as the bench runs it (every 10th frame kept);
* ``no frames``  the same with nothing recorded (``record_every=0``);
* ``+ 2 events`` the engine with a ball and a loss event (per-step tests);
* ``bare``    a hand-written kernel specialised to Adam on Rosenbrock:
  constants compiled in, no divergence checks, events, recording or stop
  flag, same blocks, threads and fastmath flags as the engine.  Its speed is
  the square-root and division throughput of the machine (one exact
  ``sqrt`` and one divide per coordinate and step), so it bounds every
  exact Adam kernel here.

    python scripts/bench_breakdown.py                  # the bench's size
    python scripts/bench_breakdown.py --n 16384 --steps 500
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import landscape as ls  # noqa: E402
from landscape import _config  # noqa: E402
from landscape._fpenv import restore_fpenv, set_ftz  # noqa: E402
from landscape._typed import cst  # noqa: E402
from landscape.bench import B1, B2, EPS, LR, numpy_adam, timed  # noqa: E402


@njit(**_config.NJIT_OPTIONS)
def bare_adam(X0, lo, hi, steps, out):
    """Adam on Rosenbrock for trajectories ``lo:hi``: blocks of 256 lanes, nothing else."""
    B = 256
    dt = X0.dtype
    X = np.empty((2, B), dt)
    G = np.empty((2, B), dt)
    M = np.zeros((2, B), dt)
    V = np.zeros((2, B), dt)
    one, two, hundred = cst(X0, 1.0), cst(X0, 2.0), cst(X0, 100.0)
    b1, b2, c1, c2 = cst(X0, B1), cst(X0, B2), cst(X0, 1.0 - B1), cst(X0, 1.0 - B2)
    old = set_ftz()
    for j0 in range(lo, hi, B):
        for k in range(2):
            for j in range(B):
                X[k, j] = X0[j0 + j, k]
                M[k, j] = 0
                V[k, j] = 0
        b1t = 1.0
        b2t = 1.0
        for _t in range(steps):
            for j in range(B):
                x = X[0, j]
                r = X[1, j] - x * x
                G[0, j] = -two * two * hundred * r * x - two * (one - x)
                G[1, j] = two * hundred * r
            b1t *= B1
            b2t *= B2
            sb = math.sqrt(1.0 - b2t)
            a = cst(X0, LR * sb / (1.0 - b1t))
            e = cst(X0, EPS * sb)
            for k in range(2):
                for j in range(B):
                    g = G[k, j]
                    m = b1 * M[k, j] + c1 * g
                    v = b2 * V[k, j] + c2 * g * g
                    X[k, j] = X[k, j] - a * m / (math.sqrt(v) + e)
                    M[k, j] = m
                    V[k, j] = v
        for k in range(2):
            for j in range(B):
                out[j0 + j, k] = X[k, j]
    restore_fpenv(old)


def bare(X0, steps, threads):
    """The bare kernel on ``threads`` threads, one contiguous range of blocks each."""
    n = X0.shape[0]
    out = np.empty_like(X0)
    per = -(-n // (256 * threads)) * 256
    with ThreadPoolExecutor(threads) as pool:
        futs = [pool.submit(bare_adam, X0, lo, min(n, lo + per), steps, out)
                for lo in range(0, n, per)]  # fmt: skip
        for f in futs:
            f.result()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=65536)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    n = args.n // 256 * 256
    surf = ls.surfaces.rosenbrock()
    opt = {"adam": ls.optim.adam(lr=LR, b1=B1, b2=B2, eps=EPS)}
    x0 = ls.starts.normal(n=n, mean=[-1.5, 2.0], std=0.1, seed=0)
    events = {"near": ls.events.enter_ball([1.0, 1.0], 0.1), "low": ls.events.loss_below(1e-3)}
    threads = numba.get_num_threads()
    work = n * args.steps
    print(f"Adam on 2-D Rosenbrock, {n} x {args.steps}, {threads} threads, best of {args.repeat}")
    print(f"{'dtype':8} {'row':12} {'seconds':>8} {'G tr-st/s':>10} {'x numpy':>8} {'of bare':>8}")
    for name in ("float32", "float64"):
        dt = np.dtype(name).type
        X0 = x0.astype(dt)
        ls.simulate(surf, opt, x0[:512], 20, dtype=name, events=events)  # compile
        bare(X0[:512], 3, 1)

        def sim(name=name, **kw):
            return lambda: ls.simulate(surf, opt, x0, args.steps, dtype=name, progress=False, **kw)

        rows = {
            "numpy": timed(lambda dt=dt: numpy_adam(x0, args.steps, 10, dt), 1),
            "engine": timed(sim(record_every=10), args.repeat),
            "no frames": timed(sim(record_every=0), args.repeat),
            "+ 2 events": timed(sim(record_every=10, events=events), args.repeat),
            "bare": timed(lambda X0=X0: bare(X0, args.steps, threads), args.repeat),
        }
        got = ls.simulate(surf, opt, x0, args.steps, dtype=name, record_every=0).final[0]
        ref = bare(X0, args.steps, threads)
        # the same maths in another order: equal to rounding, amplified along 2,000 steps
        print(f"{name:8} max|engine - bare| final position: {np.max(np.abs(got - ref)):.2e}")
        for row, sec in rows.items():
            print(f"{name:8} {row:12} {sec:8.3f} {work / sec / 1e9:10.3f} "
                  f"{rows['numpy'] / sec:8.1f} {rows['bare'] / sec:8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
