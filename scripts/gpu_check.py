"""One prepared GPU run for issue #4: correctness against the CPU, then speed.

Run on a machine with an NVIDIA GPU (see ../shared/gpu/README.md):

    python scripts/gpu_check.py            # the full check (a few minutes)
    python scripts/gpu_check.py --quick    # small sizes (also runs under NUMBA_ENABLE_CUDASIM=1)

(a) Agreement: for every surface family, all optimizer kinds in one launch,
    10^4 trajectories with gradient noise and events: GPU vs CPU final states
    (max relative error), event times and divergence steps (mismatch counts).
(b) Benchmark, same GPU, one run: Adam on 2-D Rosenbrock, 2^20 trajectories x
    2,000 steps, every 100th position kept, float32 and float64: this
    project's kernel, JAX jit(vmap(lax.scan)) and PyTorch eager (each if
    installed), compile time excluded; G trajectory-steps/s and ratios.
(c) An events-only run of 10^8 trajectories (chunked automatically).
(d) The disk cache for CUDA kernels: the same GPU simulation in two fresh
    processes sharing an empty cache directory; the second must load the
    kernel (cache hits, no misses) and give bit-identical results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import landscape as ls
from landscape import _backend, bench

LR, B1, B2, EPS = bench.LR, bench.B1, bench.B2, bench.EPS


def _surface(name):
    return ls.surfaces.make(name, **({"A": np.eye(3)} if name == "quadratic" else {}))


def _opts():
    return [
        ls.optim.gd(lr=1e-3), ls.optim.momentum(lr=1e-3), ls.optim.heavy_ball(lr=1e-4),
        ls.optim.nesterov(lr=1e-4), ls.optim.rmsprop(lr=1e-3), ls.optim.adagrad(lr=1e-2),
        ls.optim.adam(lr=1e-2, schedule=ls.schedules.inverse_time(1e-3)),
        ls.optim.adamw(lr=1e-2, schedule=ls.schedules.linear_warmup(10)),
    ]  # fmt: skip


def agreement(n, steps):
    print(f"\n(a) GPU vs CPU, {n} trajectories x {steps} steps, 8 optimizers, noise, events")
    print(f"{'surface':18} {'dtype':8} {'max rel err':>12} {'event diff':>11} {'div diff':>9}")
    worst = 0.0
    for name in ls.surfaces.names():
        surf = _surface(name)
        if surf.batched is not None:  # the batched engine runs on the CPU only
            continue
        lo, hi = surf.bounds[:, 0], surf.bounds[:, 1]
        x0 = ls.starts.uniform(n, lo + 0.25 * (hi - lo), hi - 0.25 * (hi - lo), seed=1)
        centre = (lo + hi) / 2
        events = {"away": ls.events.leave_ball(centre, 0.25 * float(np.min(hi - lo))),
                  "low": ls.events.loss_below(float(np.median(surf.value(x0))))}  # fmt: skip
        for dt in ("float64",) if name != "rosenbrock" else ("float64", "float32"):
            kw = dict(
                record_every=0, dtype=dt, noise=ls.noise.gaussian(0.01), events=events, seed=7
            )
            if surf.finite_sum is not None:  # real mini-batches: keyed shuffles on both sides
                m = surf.finite_sum.m
                kw["batch_size"] = [min(b, m) for b in (1, 8, 64, m, 1, 8, 64, m)]
            g = ls.simulate(surf, _opts(), x0, steps, backend="cuda", **kw)
            c = ls.simulate(surf, _opts(), x0, steps, backend="cpu", **kw)
            ok = (g.diverged < 0) & (c.diverged < 0)
            scale = np.maximum(np.abs(c.final[ok]), 1.0)
            err = float(np.max(np.abs(g.final[ok] - c.final[ok]) / scale)) if ok.any() else 0.0
            ev = sum(int((g.events[k] != c.events[k]).sum()) for k in events)
            dv = int((g.diverged != c.diverged).sum())
            if dt == "float64":
                worst = max(worst, err)
            print(f"{name:18} {dt:8} {err:12.2e} {ev:11d} {dv:9d}")
    print(f"worst float64 relative error: {worst:.2e}")


def jax_adam(n, steps, every, dtype):
    """Seconds for the JAX jit(vmap(lax.scan)) baseline (compile excluded), or None."""
    run = bench.jax_runner(steps, every, dtype)
    if run is None:
        return None
    x0 = ls.starts.normal(n, [-1.5, 2.0], 0.1, seed=0)
    run(x0)
    t0 = time.perf_counter()
    run(x0)
    return time.perf_counter() - t0


def torch_adam(n, steps, every, dtype):
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    x = torch.tensor(ls.starts.normal(n, [-1.5, 2.0], 0.1, seed=0), dtype=tdt, device="cuda")
    m = torch.zeros_like(x)
    v = torch.zeros_like(x)
    frames = torch.empty((steps // every, n, 2), dtype=tdt, device="cuda")
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for t in range(1, steps + 1):
        a, b = x[:, 0], x[:, 1]
        g = torch.stack([-400.0 * a * (b - a * a) - 2.0 * (1.0 - a), 200.0 * (b - a * a)], dim=1)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        x = x - LR * (m / (1 - B1**t)) / (torch.sqrt(v / (1 - B2**t)) + EPS)
        if t % every == 0:
            frames[t // every - 1] = x
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def benchmark(n, steps, every):
    print(f"\n(b) Adam on 2-D Rosenbrock, {n} trajectories x {steps} steps, every {every}th kept")
    surf = ls.surfaces.rosenbrock()
    opt = ls.optim.adam(lr=LR, b1=B1, b2=B2, eps=EPS)
    x0 = ls.starts.normal(n, [-1.5, 2.0], 0.1, seed=0)
    work = n * steps
    print(f"{'dtype':8} {'landscape s':>11} {'G tr-st/s':>10} {'jax s':>8} {'x jax':>6} "
          f"{'torch s':>8} {'x torch':>8}")  # fmt: skip
    for dt in ("float32", "float64"):
        ls.simulate(surf, opt, x0[:4096], 20, record_every=every, dtype=dt, backend="cuda")
        t0 = time.perf_counter()
        ls.simulate(surf, opt, x0, steps, record_every=every, dtype=dt, backend="cuda")
        t_ls = time.perf_counter() - t0
        t_jax = jax_adam(n, steps, every, np.dtype(dt).type)
        t_torch = torch_adam(n, steps, every, np.dtype(dt).type)
        jx = f"{t_jax:8.3f} {t_jax / t_ls:6.2f}" if t_jax else f"{'-':>8} {'-':>6}"
        tx = f"{t_torch:8.3f} {t_torch / t_ls:8.2f}" if t_torch else f"{'-':>8} {'-':>8}"
        print(f"{dt:8} {t_ls:11.3f} {work / t_ls / 1e9:10.1f} {jx} {tx}")


def events_only(n, steps):
    print(f"\n(c) events only: {n:.0e} trajectories x {steps} steps, Adam, float32")
    surf = ls.surfaces.saddle()
    x0 = ls.starts.ball(n, [0.0, 0.0], 1e-3, seed=0)
    ev = {"escaped": ls.events.leave_ball([0.0, 0.0], 1.0)}
    t0 = time.perf_counter()
    res = ls.simulate(surf, ls.optim.adam(lr=1e-2), x0, steps, record_every=0, dtype="float32",
                      events=ev, backend="cuda")  # fmt: skip
    dt = time.perf_counter() - t0
    esc = res.events["escaped"][0]
    print(
        f"{dt:.2f} s ({n * steps / dt / 1e9:.1f} G trajectory-steps/s), escaped "
        f"{(esc >= 0).mean():.4f}, median step {np.median(esc[esc >= 0]):.0f}"
    )


_CACHE_CHILD = """
import json, time
t0 = time.perf_counter()
import numpy as np, landscape as ls
from landscape.engine import fused_cuda
r = ls.simulate(ls.surfaces.rosenbrock(), [ls.optim.adam(0.01), ls.optim.momentum(0.005)],
                np.full((1024, 2), -1.0), 200, record_every=20, seed=1, backend="cuda",
                noise=ls.optim.noise.gaussian(0.05))
hits = sum(sum(k._cache_hits.values()) for k in fused_cuda._KERNELS.values())
misses = sum(sum(k._cache_misses.values()) for k in fused_cuda._KERNELS.values())
print(json.dumps({"s": time.perf_counter() - t0, "hits": hits, "misses": misses,
                  "final": r.final.tolist(), "pos": r.positions.tolist()}))
"""


def disk_cache():
    print("\n(d) disk cache of the CUDA kernel: two fresh processes, one empty cache directory")
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "LANDSCAPE_CACHE_DIR": d}
        env.pop("LANDSCAPE_CACHE", None)
        runs = []
        for phase in ("cold", "warm"):
            proc = subprocess.run([sys.executable, "-c", _CACHE_CHILD], env=env, text=True,
                                  capture_output=True, timeout=600)  # fmt: skip
            if proc.returncode != 0:
                print(f"{phase}: FAILED\n{proc.stderr[-3000:]}")
                return
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            r = runs[-1]
            print(f"{phase}: {r['s']:.2f} s (import included), cache hits {r['hits']}, "
                  f"misses {r['misses']}")  # fmt: skip
        same = runs[0]["final"] == runs[1]["final"] and runs[0]["pos"] == runs[1]["pos"]
        ok = runs[1]["hits"] > 0 and runs[1]["misses"] == 0 and same
        print(f"bit-identical: {same}; second process loaded the kernel: {ok}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    args = p.parse_args(argv)
    ok, why = _backend.cuda_status()
    print(f"device: {why}")
    if not ok:
        raise SystemExit(f"no usable GPU: {why}")
    if args.quick:
        agreement(64, 20)
        benchmark(4096, 200, 100)
        events_only(10_000, 100)
    else:
        agreement(10_000, 200)
        benchmark(2**20, 2000, 100)
        events_only(10**8, 1000)
    if not os.environ.get("NUMBA_ENABLE_CUDASIM"):
        disk_cache()


if __name__ == "__main__":
    main()
