"""The fused CPU engine: one Numba kernel runs every step of every trajectory.

Trajectories are processed in blocks of ``CPU_BLOCK`` lanes stored as
structure of arrays (``X[k, j]``: coordinate ``k`` of lane ``j``); every
innermost loop runs over lanes, so LLVM vectorises the maths across
trajectories.  A block never mixes optimizers, so its kind and
hyperparameters are scalars and the lane loops carry no branch.  The kernel
is serial over a range of blocks and a range of steps, and releases the
GIL; :func:`run` spreads ranges of blocks over a thread pool
(``numba.get_num_threads()`` threads), each in chunks of steps whose state
is carried between calls, and stops them all on Ctrl-C.
That compiles ~4x faster than a ``prange`` kernel (the parfor passes cost
~8 s per surface) and schedules dynamically.  Nothing in a block depends on
which thread runs it (noise is counter-based), so results do not depend on
the thread count.

The gradient *stage* is compiled into the kernel (one kernel per surface
family, memoised; :mod:`landscape.engine.stages`): the surface's ``vg``, or
the mini-batch stage for a model fitted to data.  Everything else of a step
is :mod:`landscape.engine._step`'s and :mod:`landscape.optim._rules`'s
functions, shared with the other engines; the kernel only loops over blocks
and steps, carries state between chunks and polls the stop flag.
Optimizers, schedules, batch sizes, surface parameters, events and noise are
all run-time data, in one :class:`~landscape.engine.plan.Plan`.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

import numba
import numpy as np

from .. import _config
from .._cache import jit
from .._fpenv import poll, restore_fpenv, set_ftz
from ..optim import _rules as R
from . import _step
from ._chunks import next_window
from .stages import cpu_stage, family_of, inline_twin, needs_nrt

_KERNELS: dict = {}
_POOLS: dict = {}  # threads -> ThreadPoolExecutor
_POOL_LOCK = threading.Lock()


def stage_of(surface):
    """The CPU gradient stage for ``surface`` (see :func:`landscape.engine.stages.cpu_stage`)."""
    return cpu_stage(surface)


def kernel_for(stage, nrt: bool = False, label: str = ""):
    """The fused kernel for gradient stage ``stage`` (memoised per family).

    ``nrt=False`` (landscape's own surfaces, which allocate nothing per
    step): compiled without reference counting.  A user's ``vg`` may
    allocate, so its kernel keeps Numba's allocator (``nrt=True``; see
    :func:`landscape.engine.stages.needs_nrt`).  Functions such kernels call
    must not return arrays across the NRT / no-NRT boundary (reference
    counts would disagree and corrupt the heap): the step pieces return
    nothing, and :func:`landscape.engine._step.optimizer_of`, which returns
    array rows, is inlined.  ``label`` (the surface family) names the
    kernel in the disk cache's listing (``landscape cache``).
    """
    key = (stage, _config.CPU_BLOCK, bool(nrt))
    kern = _KERNELS.get(key)
    if kern is None:
        kern = _make_kernel(stage, _config.CPU_BLOCK, bool(nrt), label)
        _KERNELS[key] = kern
    return kern


def _make_kernel(stage, B, nrt, label):
    check_divergence, test_events, record_frame, add_noise, begin_step, update_lanes = (
        inline_twin(f) for f in (_step.check_divergence, _step.test_events, _step.record_frame,
                                 _step.add_noise, _step.begin_step, R.update_lanes)
    )  # fmt: skip
    optimizer_of, start, N_STATE = _step.optimizer_of, R.start, R.N_STATE

    # No allocation inside: the workspaces come from run(), so the kernel is
    # compiled without reference counting (NRT) when its stage allows it
    @jit(_nrt=nrt, label=label)
    def kernel(blk_lo, blk_hi, t_lo, t_hi, X0, plan, state, work, halt):
        """Blocks ``[blk_lo, blk_hi)`` over steps ``[t_lo, t_hi)``; each step is :mod:`._step`'s pieces."""
        SX, SS, SL, SET, SDT, SR = state
        X, G, S, F, live, ET, DT, OK, R2, sc, run, idx, keys = work
        out = plan.out
        n, d = X0.shape
        n_ev = plan.ev_kind.shape[0]
        nb = (n + B - 1) // B
        W = X.shape[1]
        for blk in range(blk_lo, blk_hi):
            old_env = 0
            if plan.ftz:
                old_env = set_ftz()
            o = blk // nb
            j0 = (blk - o * nb) * B
            nl = min(B, n - j0)
            kind, rule, hp, skind, srow, bsize = optimizer_of(plan, o)
            if t_lo == 0:
                start(run)
                for k in range(d):
                    for j in range(W):
                        X[k, j] = X0[j0 + min(j, nl - 1), k]
                        for q in range(N_STATE):
                            S[q][k, j] = 0
                for j in range(W):
                    live[j] = True
                    DT[j] = -1
                    for e in range(n_ev):
                        ET[e, j] = -1
            else:
                # resume where the previous chunk of steps left this block
                for k in range(d):
                    for j in range(W):
                        X[k, j] = SX[blk, k, j]
                        for q in range(N_STATE):
                            S[q][k, j] = SS[blk, q, k, j]
                for j in range(W):
                    live[j] = SL[blk, j]
                    DT[j] = SDT[blk, j]
                    for e in range(n_ev):
                        ET[e, j] = SET[blk, e, j]
                for q in range(run.shape[0]):
                    run[q] = SR[blk, q]
            n_rec = max(0, min(nl, plan.rec_n - j0))
            halted = False
            for t in range(t_lo, t_hi):
                if poll(halt) != 0:
                    # stop asked (Ctrl-C): leave at once, the run's outputs are dropped
                    halted = True
                    break
                stage(X, G, F, plan.P, t, plan.traj0 + j0, bsize, plan.seed_key, idx, keys)
                check_divergence(t, X, G, F, plan.bound, plan.big, live, DT, OK)
                test_events(t, X, F, plan.ev_kind, plan.ev_center, plan.ev_val, live, ET, R2)
                if n_rec > 0 and t % plan.rec_every == 0:
                    record_frame(out.pos, out.bloss, o, t // plan.rec_every, j0, X, F, n_rec)
                if t == plan.steps:
                    break
                if plan.sigma > 0.0:
                    add_noise(G, plan.sigma, plan.seed_key, plan.traj0 + j0, t, nl)
                begin_step(kind, hp, skind, srow, t, run, sc)
                update_lanes(rule, X, G, S, live, sc)
            if halted:
                if plan.ftz:
                    restore_fpenv(old_env)
                return
            if t_hi > plan.steps:
                for j in range(nl):
                    out.final_loss[o, j0 + j] = F[j]
                    out.div_t[o, j0 + j] = DT[j]
                    for k in range(d):
                        out.final[o, j0 + j, k] = X[k, j]
                    for e in range(n_ev):
                        out.ev_t[o, j0 + j, e] = ET[e, j]
            else:
                for k in range(d):
                    for j in range(W):
                        SX[blk, k, j] = X[k, j]
                        for q in range(N_STATE):
                            SS[blk, q, k, j] = S[q][k, j]
                for j in range(W):
                    SL[blk, j] = live[j]
                    SDT[blk, j] = DT[j]
                    for e in range(n_ev):
                        SET[blk, e, j] = ET[e, j]
                for q in range(run.shape[0]):
                    SR[blk, q] = run[q]
            if plan.ftz:
                restore_fpenv(old_env)

    return kernel


def _workspace(n: int, d: int, n_ev: int, dt):
    """One worker's block workspaces: X, G, rule state, F, live, events, divergence, scratch.

    Separate allocations for the state arrays: LLVM then knows that they do
    not overlap (views of one array would need run-time alias checks).
    """
    B = _config.CPU_BLOCK
    W = B if n >= B else (n + 7) // 8 * 8  # fewer trajectories: fewer lanes, a multiple of 8
    return (
        np.empty((d, W), dt),
        np.empty((d, W), dt),
        tuple(np.empty((d, W), dt) for _ in range(R.N_STATE)),
        np.empty(W, dt),
        np.empty(W, np.bool_),
        np.empty((n_ev, W), np.int64),
        np.empty(W, np.int64),
        np.empty(W, np.bool_),
        np.empty(W, dt),
        np.empty(R.S_SIZE, dt),
        np.empty(R.N_RUN, np.float64),
        np.empty(W, np.int64),
        np.empty((3, W), np.uint64),
    )


def n_blocks(n: int) -> int:
    """Blocks per optimizer for ``n`` trajectories."""
    B = _config.CPU_BLOCK
    return (n + B - 1) // B


def run(surface, X0, plan, progress: bool = False) -> None:
    """Run ``surface``'s kernel from starts ``X0`` over all blocks of ``plan``, in parallel.

    The kernel is chosen here, from the surface: its stage
    (:func:`~landscape.engine.stages.cpu_stage`) and whether it keeps NRT
    (:func:`~landscape.engine.stages.needs_nrt`), the same signature as the
    CUDA and batched engines' ``run``.

    ``plan`` is the run's :class:`~landscape.engine.plan.Plan`; its outputs
    are filled in place (the per-block state arrays are made here).  Ranges of
    blocks run on a thread pool (``numba.get_num_threads()`` workers, one
    too), each in chunks of steps of about ``CHUNK_SECONDS`` (or
    ``CHUNK_STEPS`` when set) that carry the block's state between them, so
    results are bit-identical to one long run.  The calling thread only
    waits: a ``KeyboardInterrupt`` (Ctrl-C) there sets a stop flag that every
    kernel polls once per step, and is re-raised as soon as the workers have
    left (within a step); nothing partial is returned.  With ``progress``
    it also draws a tqdm bar of the steps done (shown after 2 s).
    """
    n, d = X0.shape
    total = plan.n_opt * n_blocks(n)
    steps = plan.steps
    state = _state(total, n, d, plan.n_events, X0.dtype)
    halt = np.zeros(1, np.int64)
    # compile (if needed) here, in the calling thread, not in a worker
    family, _ = family_of(surface)
    kern = kernel_for(cpu_stage(surface), needs_nrt(surface), getattr(family, "__name__", ""))
    kern(0, 0, 0, 0, X0, plan, state, _workspace(n, d, plan.n_events, X0.dtype), halt)
    threads = max(1, min(numba.get_num_threads(), total))
    pace = [0.0, 0]  # seconds per block-step, last window
    pool = _executor(threads)
    # several ranges per thread so that uneven blocks (divergence, events) balance, and
    # ranges small enough that a chunk of steps keeps a range's state in cache
    chunk = max(1, min(total // (threads * 8), MAX_RANGE_BLOCKS))
    futures = []
    done = [0]  # block-steps finished (approximate while workers add to it)
    bar = _bar(steps + 1) if progress else None
    try:
        for lo in range(0, total, chunk):
            hi = min(lo + chunk, total)
            futures.append(pool.submit(_work, kern, lo, hi, X0, plan, state, halt, pace, done))
        for fut in futures:
            while True:
                try:
                    fut.result(timeout=0.25)
                    break
                except TimeoutError:
                    if bar is not None:
                        bar.update(done[0] // total - bar.n)
                    continue
    except BaseException:
        # Ctrl-C (or a failing range): every kernel leaves at its next step
        halt[0] = 1
        for fut in futures:
            fut.cancel()
        futures_wait(futures)
        raise
    finally:
        if bar is not None:
            bar.close()


def _bar(total_steps: int):
    """A tqdm bar over the steps of a run, on stderr, shown only after 2 s."""
    import sys

    from tqdm.auto import tqdm

    return tqdm(total=total_steps, unit="step", desc="simulate", delay=2.0, leave=False,
                file=sys.stderr, dynamic_ncols=True)  # fmt: skip


#: Target wall time of one kernel call (a chunk of steps over a range of
#: blocks): how often a worker returns to Python between chunks.  Ctrl-C
#: does not wait for it: kernels poll the stop flag every step.
CHUNK_SECONDS = 0.1

#: Most blocks in one range (one kernel call): a call runs each of its blocks
#: through a chunk of about ``CHUNK_SECONDS``, so the more blocks, the fewer
#: steps per chunk, and the state of a range of thousands of blocks would be
#: streamed from memory every step or two: one thread running 16 optimizers x
#: 32,768 trajectories in 20-D took 58 s as one range, 16 s in ranges of 32
#: blocks (``scripts/bench_study.py``'s tasks, whose workers run one thread).
MAX_RANGE_BLOCKS = 32

#: Steps per kernel call; 0 picks them from ``CHUNK_SECONDS`` as the run goes.
#: Results do not depend on it (tests set it to force many chunks).
CHUNK_STEPS = 0


def _state(total: int, n: int, d: int, n_ev: int, dt):
    """Per-block state carried between chunks of steps: X, rule state, live, events, divergence, running products."""
    B = _config.CPU_BLOCK
    W = B if n >= B else (n + 7) // 8 * 8
    return (
        np.empty((total, d, W), dt),
        np.empty((total, R.N_STATE, d, W), dt),
        np.empty((total, W), np.bool_),
        np.empty((total, n_ev, W), np.int64),
        np.empty((total, W), np.int64),
        np.empty((total, R.N_RUN), np.float64),
    )


def _work(kern, lo: int, hi: int, X0, plan, state, halt, pace, done) -> None:
    """Blocks ``lo:hi`` over all steps, in chunks of steps; returns early once ``halt[0]`` is set."""
    steps = plan.steps
    n, d = X0.shape
    work = _workspace(n, d, plan.n_events, X0.dtype)
    t = 0
    while t <= steps:
        if halt[0]:
            return
        w = CHUNK_STEPS or _window(pace, hi - lo)
        t_hi = min(steps + 1, t + w)
        t0 = time.perf_counter()
        kern(lo, hi, t, t_hi, X0, plan, state, work, halt)
        spent = time.perf_counter() - t0
        done[0] += (hi - lo) * (t_hi - t)
        if not CHUNK_STEPS:
            pace[0] = spent / ((hi - lo) * (t_hi - t))
            pace[1] = w
        t = t_hi


def _window(pace, nblk: int) -> int:
    """Steps for the next chunk of ``nblk`` blocks: about ``CHUNK_SECONDS`` at the last pace."""
    return next_window(pace[0] * nblk, pace[1], CHUNK_SECONDS)


def _executor(threads: int):
    """A thread pool of ``threads`` workers, one per size, shared and never shut down.

    Concurrent ``simulate`` calls (from several Python threads, with different
    ``numba.set_num_threads``) each get a pool of their size; no call can shut
    down a pool another is using.
    """
    with _POOL_LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="landscape")
            _POOLS[threads] = pool
    return pool
