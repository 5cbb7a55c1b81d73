"""Benchmark of the fused CPU engine against NumPy and JAX (``landscape bench``).

Workload: Adam on 2-D Rosenbrock, N trajectories x T steps, every 10th
position kept, float32 and float64.  Baselines, in the same run:

* NumPy: a plain vectorised loop over steps, written the way a user would;
* JAX (if installed): ``jit(vmap(lax.scan))`` with the same recording;
* with ``--formula``: the same engine on Rosenbrock written as a formula
  (:func:`landscape.surfaces.expression`), timed alternately with the
  built-in (its ratio should be about 1).

Prints a table of seconds, G trajectory-steps/s and the engine's speed-up.
Compile/JIT time is excluded everywhere (each is warmed up first).

    landscape bench                        # 65,536 x 2,000 (the reference size)
    landscape bench --n 4096 --steps 200   # quick check
    python scripts/benchmark.py            # the same
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from . import optim, starts, surfaces
from .engine import simulate

LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8


def rosen_grad(x):
    """Gradient of 2-D Rosenbrock for an (n, 2) array, the way a user writes it."""
    a, b = x[:, 0], x[:, 1]
    return np.stack([-400.0 * a * (b - a * a) - 2.0 * (1.0 - a), 200.0 * (b - a * a)], axis=1)


def numpy_adam(x0, steps, every, dtype):
    """What a user would write: vectorised over trajectories, a Python loop over steps."""
    x = x0.astype(dtype)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    frames = [x.copy()]
    for t in range(1, steps + 1):
        g = rosen_grad(x)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g**2
        mhat = m / (1 - B1**t)
        vhat = v / (1 - B2**t)
        x = x - LR * mhat / (np.sqrt(vhat) + EPS)
        if t % every == 0:
            frames.append(x.copy())
    return x, np.stack(frames)


def jax_runner(steps, every, dtype):
    """jit(vmap(lax.scan)) version, or None if JAX is missing."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", dtype == np.float64)

    def grad(x):
        a, b = x[0], x[1]
        return jnp.stack([-400.0 * a * (b - a * a) - 2.0 * (1.0 - a), 200.0 * (b - a * a)])

    def one(x0):
        def inner(carry, _):
            x, m, v, t = carry
            g = grad(x)
            t = t + 1
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g * g
            mhat = m / (1 - B1**t)
            vhat = v / (1 - B2**t)
            x = x - LR * mhat / (jnp.sqrt(vhat) + EPS)
            return (x, m, v, t), None

        def outer(carry, _):
            carry, _ = jax.lax.scan(inner, carry, None, length=every)
            return carry, carry[0]

        z = jnp.zeros_like(x0)
        carry = (x0, z, z, jnp.asarray(0, dtype))
        carry, frames = jax.lax.scan(outer, carry, None, length=steps // every)
        return carry[0], frames

    fn = jax.jit(jax.vmap(one))

    def run(x0):
        out = fn(jnp.asarray(x0, dtype))
        jax.block_until_ready(out)
        return out

    return run


def timed(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The benchmark's options (shared by the script and ``landscape bench``)."""
    p.add_argument("--n", type=int, default=65536)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--every", type=int, default=10)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-jax", action="store_true")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--formula", action="store_true",
                   help="also time Rosenbrock written as a formula (expression surface)")  # fmt: skip


def run(args) -> list:
    """Run the benchmark described by parsed ``args``; print and return the rows."""

    surf = surfaces.rosenbrock()
    fsurf = surfaces.expression("(1 - x)**2 + 100*(y - x**2)**2") if args.formula else None
    opt = {"adam": optim.adam(lr=LR, b1=B1, b2=B2, eps=EPS)}
    x0 = starts.normal(n=args.n, mean=[-1.5, 2.0], std=0.1, seed=0)
    work = args.n * args.steps
    print(
        f"Adam on 2-D Rosenbrock: {args.n} trajectories x {args.steps} steps, "
        f"every {args.every}th position kept; threads={os.environ.get('NUMBA_NUM_THREADS', 'all')}"
    )
    rows = []
    for name in args.dtypes.split(","):
        dt = np.dtype(name).type
        simulate(surf, opt, x0[:64], steps=20, record_every=args.every, dtype=name)  # compile

        def engine(dt_name=name):
            return simulate(surf, opt, x0, steps=args.steps, record_every=args.every, dtype=dt_name)

        t_eng = timed(engine, args.repeat)
        t_formula = None
        if fsurf is not None:  # alternate with the built-in, best of each
            simulate(fsurf, opt, x0[:64], steps=20, record_every=args.every, dtype=name)

            def formula(dt_name=name):
                return simulate(fsurf, opt, x0, steps=args.steps, record_every=args.every,
                                dtype=dt_name)  # fmt: skip

            t_formula = float("inf")
            for _ in range(args.repeat):
                t_eng = min(t_eng, timed(engine, 1))
                t_formula = min(t_formula, timed(formula, 1))
            same = np.array_equal(formula().final, engine().final, equal_nan=True)
            t_formula = (t_formula, same)
        res = engine()
        t_np = timed(lambda dt=dt: numpy_adam(x0, args.steps, args.every, dt), 1)
        x_np, _ = numpy_adam(x0, args.steps, args.every, dt)
        err = float(np.max(np.abs(res.final[0] - x_np)))
        t_jax = None
        if not args.no_jax:
            run = jax_runner(args.steps, args.every, dt)
            if run is not None:
                run(x0[:64])  # compile for a small shape is not enough: warm the real shape
                run(x0)
                t_jax = timed(lambda run=run: run(x0), args.repeat)
        rows.append((name, t_eng, t_np, t_jax, err, t_formula))

    print(
        f"{'dtype':8} {'engine s':>9} {'G tr-st/s':>10} {'numpy s':>9} {'x numpy':>8} "
        f"{'jax s':>8} {'x jax':>7} {'max|engine-numpy|':>18}"
    )
    for name, t_eng, t_np, t_jax, err, _ in rows:
        jx = f"{t_jax:8.3f} {t_jax / t_eng:7.1f}" if t_jax else f"{'-':>8} {'-':>7}"
        print(
            f"{name:8} {t_eng:9.3f} {work / t_eng / 1e9:10.3f} {t_np:9.3f} {t_np / t_eng:8.1f} "
            f"{jx} {err:18.2e}"
        )
    for name, t_eng, *_, t_formula in rows:
        if t_formula is not None:
            t, same = t_formula
            print(f"{name}: Rosenbrock as a formula {t:.3f} s, built-in {t_eng:.3f} s: "
                  f"formula / built-in = {t / t_eng:.2f}; same results: {same}")  # fmt: skip
    return rows


def main(argv=None):
    """Entry point of ``scripts/benchmark.py``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    run(p.parse_args(argv))
