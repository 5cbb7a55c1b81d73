"""Render benchmark (issue #3): frames per second of ``render.swarm``.

The target: a 300-frame, 1280x720 swarm of 10,000 points per optimizer x 4
optimizers renders at >= 10 frames/s on the project's 2-core CI machine.

    python scripts/bench_render.py                  # both layouts, .mp4 and .gif
    python scripts/bench_render.py --n 2000 --frames 100 --formats gif
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import landscape as ls
from landscape import render


def build(n: int, frames: int, dtype: str):
    """Four optimizers from ``n`` Rosenbrock starts, every step recorded."""
    surf = ls.surfaces.rosenbrock()
    opts = {
        "gd": ls.optim.gd(lr=1e-3),
        "momentum": ls.optim.momentum(lr=1e-3, beta=0.9),
        "rmsprop": ls.optim.rmsprop(lr=1e-3),
        "adam": ls.optim.adam(lr=1e-2),
    }
    x0 = ls.starts.normal(n, mean=[-1.5, 2.0], std=0.4, seed=0)
    res = ls.simulate(
        surf, opts, x0, steps=frames - 1, record_every=1, dtype=dtype,
        events={"near_min": ls.events.enter_ball([1.0, 1.0], 0.1)},
    )  # fmt: skip
    return surf, res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=10_000, help="starts (points) per optimizer")
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--size", default="1280x720", help="WxH pixels")
    p.add_argument("--layouts", default="panels,overlay")
    p.add_argument("--formats", default="mp4,gif")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--keep", default=None, help="directory to keep the outputs in")
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))

    t0 = time.perf_counter()
    surf, res = build(args.n, args.frames, args.dtype)
    print(f"simulate: {time.perf_counter() - t0:.1f} s  positions {res.positions.shape} "
          f"{res.positions.dtype}")  # fmt: skip
    print(f"cores: {os.cpu_count()}  size {w}x{h}  frames {args.frames}  "
          f"points {args.n} x {res.n_optimizers} optimizers")  # fmt: skip

    out_dir = args.keep or tempfile.mkdtemp(prefix="bench_render_")
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for fmt in args.formats.split(","):
        for layout in args.layouts.split(","):
            out = os.path.join(out_dir, f"swarm_{layout}.{fmt}")
            t = time.perf_counter()
            render.swarm(res, surf, out, layout=layout, event="near_min", size=(w, h),
                         max_points=args.n)  # fmt: skip
            dt = time.perf_counter() - t
            fps = args.frames / dt
            mb = os.path.getsize(out) / 2**20
            rows.append((fmt, layout, dt, fps, mb))
            print(f"  swarm {layout:8s} .{fmt}: {dt:6.1f} s  {fps:6.1f} frames/s  {mb:7.1f} MiB",
                  flush=True)  # fmt: skip
    if not args.keep:
        for name in os.listdir(out_dir):
            os.unlink(os.path.join(out_dir, name))
        os.rmdir(out_dir)
    worst = min(r[3] for r in rows)
    print(f"slowest: {worst:.1f} frames/s (target >= 10): {'PASS' if worst >= 10 else 'FAIL'}")
    return 0 if worst >= 10 else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
