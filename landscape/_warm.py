"""``landscape cache warm``: compile the built-in surface families ahead of time.

Every built-in surface that can be made with its default parameters is
simulated for one step (one trajectory, every engine piece it uses: the fused
or batched kernel, the mini-batch stage of a finite sum, the schedule and
rule helpers) and evaluated once from Python (value, gradient and Hessian,
as the renderers and critical-point finders do), in worker processes, so the
disk cache (:mod:`landscape._cache`) holds their kernels.  Surfaces that
share a family (``quadratic`` and ``elongated_bowl``) are compiled once.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np

__all__ = ["plan", "warm", "warm_one"]


def plan(names=None) -> tuple[list[str], list[str]]:
    """``(to_warm, skipped)``: surface names, one per family; skipped ones with the reason."""
    from . import surfaces
    from .engine.stages import family_of

    names = list(surfaces.names() if not names else names)
    for name in names:
        if name not in surfaces.names():
            raise ValueError(f"surface must be one of {surfaces.names()}, got {name!r}")
    seen: dict = {}
    todo, skipped = [], []
    for name in names:
        try:
            key = family_of(surfaces.make(name))
        except ValueError as exc:  # needs parameters: its family is compiled when first used
            skipped.append(f"{name} ({exc})")
            continue
        if key in seen:
            skipped.append(f"{name} (same kernels as {seen[key]})")
            continue
        seen[key] = name
        todo.append(name)
    return todo, skipped


def warm_one(name: str, dtype: str) -> tuple[str, str, float, int]:
    """Compile (or load) what surface ``name`` needs in ``dtype``; ``(name, dtype, seconds, compiles)``."""
    from . import optim, simulate, surfaces
    from ._cache import compiles

    t0 = time.perf_counter()
    with compiles() as count:
        s = surfaces.make(name)
        x0 = np.full((1, s.dim), 0.5)
        kw = {"batch_size": 1} if s.finite_sum is not None else {}
        simulate(s, optim.adam(1e-3), x0, 1, dtype=dtype, **kw)
        s.value_and_grad(x0[0])
        if s.dim <= 10:
            s.hessian(x0[0])
    return name, dtype, time.perf_counter() - t0, count.n


def warm(todo, dtypes=("float64",), jobs: int = 0, out=print) -> int:
    """Warm surfaces ``todo`` (names, e.g. from :func:`plan`) for ``dtypes`` with ``jobs`` processes.

    Prints one line per (surface, dtype); returns the number that failed.
    """
    for dt in dtypes:
        if dt not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dt!r}")
    work = [(n, dt) for n in todo for dt in dtypes]
    jobs = jobs or max(1, min(len(work), multiprocessing.cpu_count()))
    failed = 0
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
    try:
        futures = {pool.submit(warm_one, n, dt): (n, dt) for n, dt in work}
        for fut in as_completed(futures):
            n, dt = futures[fut]
            try:
                _, _, secs, compiles = fut.result()
            except Exception as exc:  # one family failing must not stop the others
                failed += 1
                out(f"  {n} {dt}: FAILED ({type(exc).__name__}: {exc})")
                continue
            what = f"compiled {compiles} function(s)" if compiles else "already cached"
            out(f"  {n} {dt}: {secs:.1f} s, {what}")
    except BaseException:  # Ctrl-C: drop the queued work, do not wait for it
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return failed
