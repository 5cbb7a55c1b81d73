"""Overhead of a study on a local Dask cluster against one simulate per cell in a loop (#17).

The study: escape from the strict saddle over lr (4) x beta (4) x dim (4) =
64 cells of ``--trajectories`` (default 2**16) heavy-ball runs of
``--steps`` (default 1,000) steps each.  The loop runs one
:func:`landscape.simulate` per cell in this process (what a person would
write); the study runs as Dask tasks on a local cluster of ``--workers``
processes (default 2), each task one dim and one chunk of trajectories with
all 16 optimizer settings in one launch, stored in Zarr.  Both start from
warm kernels (a warm-up run compiles or loads them).  Each is timed
``--repeat`` times (default 2), alternately; reported: the best seconds of
each and their ratio (target <= 1.15 on 2 cores), from one run.

    python scripts/bench_study.py
    python scripts/bench_study.py --quick      # 2**10 trajectories x 100 steps (a smoke test)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import landscape as ls  # noqa: E402
from landscape import study as S  # noqa: E402

LRS, BETAS, DIMS = [0.01, 0.02, 0.05, 0.1], [0.0, 0.5, 0.9, 0.99], [2, 5, 10, 20]


def spec(n: int, steps: int, chunk: int) -> dict:
    return {
        "surface": {"name": "strict_saddle"},
        "axes": {"lr": LRS, "beta": BETAS, "dim": DIMS},
        "optimizer": {"kind": "heavy_ball"},
        "starts": {"kind": "ball", "center": 0.0, "radius": 1e-3},
        "run": {"steps": steps, "trajectories": n, "chunk": chunk},
        "events": {"escaped": {"kind": "leave_ball", "center": 0.0, "radius": 0.5}},
    }


def loop(n: int, steps: int) -> float:
    """One simulate per cell, in this process; seconds."""
    t = time.perf_counter()
    for dim in DIMS:
        surf = ls.surfaces.strict_saddle(dim=dim)
        x0 = ls.starts.indexed("ball", n, center=np.zeros(dim), radius=1e-3)
        ev = {"escaped": ls.events.leave_ball(np.zeros(dim), 0.5)}
        for lr in LRS:
            for beta in BETAS:
                ls.simulate(surf, ls.optim.heavy_ball(lr, beta), x0, steps, record_every=0,
                            events=ev, progress=False)  # fmt: skip
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trajectories", type=int, default=2**16)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=None, help="trajectories per task (default n/2)")
    ap.add_argument("--quick", action="store_true", help="2**10 trajectories x 100 steps")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each, alternately (best)")
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error(f"argument --repeat: must be >= 1, got {a.repeat}")
    n, steps = (2**10, 100) if a.quick else (a.trajectories, a.steps)
    chunk = a.chunk or max(1, n // 2)
    loop(min(n, 64), 2)  # warm: compile or load the kernels here
    loops, studies = [], []
    with tempfile.TemporaryDirectory() as tmp:
        S.run(S.load(spec(64, 2, 64)), Path(tmp) / "warm.zarr", workers=0)
        for r in range(a.repeat):  # alternately, so that a slow spell of the machine hits both
            loops.append(loop(n, steps))
            t = time.perf_counter()
            ds = S.run(S.load(spec(n, steps, chunk)), Path(tmp) / f"study{r}.zarr",
                       workers=a.workers)  # fmt: skip
            studies.append(time.perf_counter() - t)
            cells = int(np.prod([ds.sizes[k] for k in ("lr", "beta", "dim")]))
    t_loop, t_study = min(loops), min(studies)
    each = lambda ts: ", ".join(f"{t:.2f}" for t in ts)  # noqa: E731
    print(f"64 cells x {n} trajectories x {steps} steps (heavy ball, strict saddle), "
          f"best of {a.repeat}:")  # fmt: skip
    print(f"  one simulate per cell, in a loop: {t_loop:8.2f} s  ({each(loops)})")
    print(f"  study on a local cluster of {a.workers} workers: {t_study:8.2f} s  ({each(studies)}; "
          f"{cells} cells stored)")  # fmt: skip
    print(f"  ratio study / loop: {t_study / t_loop:.2f}  (target <= 1.15)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
