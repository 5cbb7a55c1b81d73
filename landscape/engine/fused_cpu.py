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
family, memoised): :func:`plain_stage` for an ordinary surface's ``vg``, the
mini-batch stage of :mod:`landscape.surfaces.finite_sum` for a model fitted
to data.  Optimizers, schedules, batch sizes, surface parameters, events and
noise are all run-time data.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

import numba
import numpy as np
from numba import njit

from .. import _config
from .._fpenv import poll, restore_fpenv, set_ftz
from .._rng import normal, stream_key
from .._typed import cst
from ..events import ENTER_BALL, LEAVE_BALL
from ..optim import _rules as R
from ..optim.schedules import CONSTANT, R_WARMUP, factor_at
from ._chunks import next_window

_KERNELS: dict = {}
_STAGES: dict = {}
_POOLS: dict = {}  # threads -> ThreadPoolExecutor
_POOL_LOCK = threading.Lock()


def plain_stage(vg):
    """The gradient stage of an ordinary surface: its ``vg``, nothing else (memoised)."""
    stage = _STAGES.get(vg)
    if stage is None:

        @njit(inline="always", **_config.NJIT_OPTIONS)
        def stage(X, G, F, P, t, j0, b, seed_key, idx, keys):
            vg(X, G, F, P)

        _STAGES[vg] = stage
    return stage


def stage_of(surface):
    """The CPU gradient stage for ``surface`` (mini-batches for finite sums)."""
    if surface.finite_sum is not None:
        from ..surfaces.finite_sum import cpu_functions

        return cpu_functions(surface.finite_sum.acc)[2]
    return plain_stage(surface.vg)


def kernel_for(stage):
    """The fused kernel for gradient stage ``stage`` (memoised per family)."""
    key = (stage, _config.CPU_BLOCK)
    kern = _KERNELS.get(key)
    if kern is None:
        kern = _make_kernel(stage, _config.CPU_BLOCK)
        _KERNELS[key] = kern
    return kern


def _make_kernel(stage, B):
    opts = dict(_config.NJIT_OPTIONS)

    @njit(**opts)
    def kernel(
        blk_lo, blk_hi, t_lo, t_hi, X0, kinds, hp, skinds, srows, batch, P, steps, rec_every,
        rec_n, sigma, seed_key, ev_kind, ev_center, ev_val, bound, ftz,
        pos, bloss, final, final_loss, ev_t, div_t, SX, SM, SV, SL, SET, SDT, SB, halt,
    ):  # fmt: skip
        n, d = X0.shape
        n_ev = ev_kind.shape[0]
        nb = (n + B - 1) // B
        # lanes per block: B, or fewer (a multiple of 8) when there are fewer trajectories
        W = B if n >= B else (n + 7) // 8 * 8
        dt = X0.dtype
        big = np.finfo(dt).max
        for blk in range(blk_lo, blk_hi):
            old_env = 0
            if ftz:
                old_env = set_ftz()
            o = blk // nb
            j0 = (blk - o * nb) * B
            nl = min(B, n - j0)
            kind = kinds[o]
            skind = skinds[o]
            scheduled = skind != CONSTANT or srows[o, R_WARMUP] > 0.0
            b1_ = hp[o, R.HP_B1]
            b2_ = hp[o, R.HP_B2]
            b1t = SB[blk, 0]
            b2t = SB[blk, 1]
            rule = R.rule_of(kind)
            bsize = batch[o]
            rec_bl = bloss.shape[1] > 0
            idx = np.empty(W, np.int64)
            keys = np.empty((3, W), np.uint64)
            X = np.empty((d, W), dt)
            G = np.empty((d, W), dt)
            M = np.zeros((d, W), dt)
            Vv = np.zeros((d, W), dt)
            F = np.empty(W, dt)
            live = np.ones(W, np.bool_)
            ET = np.full((n_ev, W), -1, np.int64)
            DT = np.full(W, -1, np.int64)
            EC = np.empty((n_ev, d), dt)
            EV = np.empty(n_ev, dt)
            for e in range(n_ev):
                EV[e] = ev_val[e]
                for k in range(d):
                    EC[e, k] = ev_center[e, k]
            sc = np.empty(R.S_SIZE, dt)
            bnd = np.empty(1, dt)
            bnd[0] = bound
            xmax = bnd[0]
            zero = cst(X0, 0.0)
            if t_lo == 0:
                b1t = 1.0
                b2t = 1.0
                for k in range(d):
                    for j in range(W):
                        X[k, j] = X0[j0 + min(j, nl - 1), k]
            else:
                # resume where the previous chunk of steps left this block
                for k in range(d):
                    for j in range(W):
                        X[k, j] = SX[blk, k, j]
                        M[k, j] = SM[blk, k, j]
                        Vv[k, j] = SV[blk, k, j]
                for j in range(W):
                    live[j] = SL[blk, j]
                    DT[j] = SDT[blk, j]
                    for e in range(n_ev):
                        ET[e, j] = SET[blk, e, j]
            n_rec_here = max(0, min(nl, rec_n - j0))
            OK = np.empty(W, np.bool_)
            R2 = np.empty(W, dt)
            halted = False
            for t in range(t_lo, t_hi):
                if poll(halt) != 0:
                    # stop asked (Ctrl-C): leave at once, the run's outputs are dropped
                    halted = True
                    break
                stage(X, G, F, P, t, j0, bsize, seed_key, idx, keys)
                # divergence: non-finite loss/gradient or a coordinate beyond the bound
                for j in range(W):
                    OK[j] = abs(F[j]) < big
                for k in range(d):
                    for j in range(W):
                        OK[j] = OK[j] & (abs(X[k, j]) <= xmax) & (abs(G[k, j]) < big)
                # a cheap any-reduction first; the per-lane bookkeeping is rare
                anybad = False
                for j in range(W):
                    anybad |= live[j] & ~OK[j]
                if anybad:
                    for j in range(W):
                        if live[j] and not OK[j]:
                            DT[j] = t
                            live[j] = False
                for e in range(n_ev):
                    ek = ev_kind[e]
                    thr = EV[e]
                    if ek == ENTER_BALL or ek == LEAVE_BALL:
                        for j in range(W):
                            R2[j] = zero
                        for k in range(d):
                            c = EC[e, k]
                            for j in range(W):
                                dx = X[k, j] - c
                                R2[j] += dx * dx
                        for j in range(W):
                            hit = (R2[j] < thr) if ek == ENTER_BALL else (R2[j] > thr)
                            ET[e, j] = t if (hit & live[j] & (ET[e, j] < 0)) else ET[e, j]
                    else:
                        for j in range(W):
                            hit = F[j] < thr
                            ET[e, j] = t if (hit & live[j] & (ET[e, j] < 0)) else ET[e, j]
                if n_rec_here > 0 and t % rec_every == 0:
                    # frame-major output: one frame of a block is one contiguous run
                    f = t // rec_every
                    prow = pos[o, f, j0 : j0 + n_rec_here]
                    for k in range(d):
                        for j in range(n_rec_here):
                            prow[j, k] = X[k, j]
                    if rec_bl:
                        for j in range(n_rec_here):
                            bloss[o, f, j0 + j] = F[j]
                if t == steps:
                    break
                if sigma > 0.0:
                    for j in range(nl):
                        key = stream_key(seed_key, j0 + j, t)
                        for k in range(d):
                            G[k, j] += sigma * normal(key, k)
                lr_t = hp[o, R.HP_LR]
                if scheduled:
                    lr_t *= factor_at(skind, srows[o], t)
                b1t *= b1_
                b2t *= b2_
                R.step_scalars(kind, hp[o], lr_t, b1t, b2t, sc)
                a = sc[R.S_A]
                if rule == R.RULE_GD:
                    for k in range(d):
                        for j in range(W):
                            xn = R.gd(X[k, j], G[k, j], a)
                            X[k, j] = xn if live[j] else X[k, j]
                elif rule == R.RULE_MOM:
                    b1 = sc[R.S_B1]
                    c1 = sc[R.S_C1]
                    for k in range(d):
                        for j in range(W):
                            xn, mn = R.momentum(X[k, j], G[k, j], M[k, j], a, b1, c1)
                            X[k, j] = xn if live[j] else X[k, j]
                            M[k, j] = mn
                elif rule == R.RULE_NAG:
                    b1 = sc[R.S_B1]
                    for k in range(d):
                        for j in range(W):
                            xn, mn = R.nesterov(X[k, j], G[k, j], M[k, j], a, b1)
                            X[k, j] = xn if live[j] else X[k, j]
                            M[k, j] = mn
                elif rule == R.RULE_RMS:
                    b2 = sc[R.S_B2]
                    c2 = sc[R.S_C2]
                    e_ = sc[R.S_E]
                    for k in range(d):
                        for j in range(W):
                            xn, vn = R.rms(X[k, j], G[k, j], Vv[k, j], a, b2, c2, e_)
                            X[k, j] = xn if live[j] else X[k, j]
                            Vv[k, j] = vn
                else:
                    b1 = sc[R.S_B1]
                    c1 = sc[R.S_C1]
                    b2 = sc[R.S_B2]
                    c2 = sc[R.S_C2]
                    e_ = sc[R.S_E]
                    dec = sc[R.S_DECAY]
                    for k in range(d):
                        for j in range(W):
                            xn, mn, vn = R.adam(
                                X[k, j], G[k, j], M[k, j], Vv[k, j], a, b1, c1, b2, c2, e_, dec
                            )
                            X[k, j] = xn if live[j] else X[k, j]
                            M[k, j] = mn
                            Vv[k, j] = vn
            if halted:
                if ftz:
                    restore_fpenv(old_env)
                return
            if t_hi > steps:
                for j in range(nl):
                    final_loss[o, j0 + j] = F[j]
                    div_t[o, j0 + j] = DT[j]
                    for k in range(d):
                        final[o, j0 + j, k] = X[k, j]
                    for e in range(n_ev):
                        ev_t[o, j0 + j, e] = ET[e, j]
            else:
                for k in range(d):
                    for j in range(W):
                        SX[blk, k, j] = X[k, j]
                        SM[blk, k, j] = M[k, j]
                        SV[blk, k, j] = Vv[k, j]
                for j in range(W):
                    SL[blk, j] = live[j]
                    SDT[blk, j] = DT[j]
                    for e in range(n_ev):
                        SET[blk, e, j] = ET[e, j]
                SB[blk, 0] = b1t
                SB[blk, 1] = b2t
            if ftz:
                restore_fpenv(old_env)

    return kernel


def n_blocks(n: int) -> int:
    """Blocks per optimizer for ``n`` trajectories."""
    B = _config.CPU_BLOCK
    return (n + B - 1) // B


def run(stage, n_opt: int, n: int, args: tuple, progress: bool = False) -> None:
    """Run the kernel of ``stage`` over all ``n_opt * n_blocks(n)`` blocks in parallel.

    ``args`` are the kernel's arguments after the block and step ranges, up
    to the outputs (the per-block state arrays are made here).  Ranges of
    blocks run on a thread pool (``numba.get_num_threads()`` workers, one
    too), each in chunks of steps of about ``CHUNK_SECONDS`` (or
    ``CHUNK_STEPS`` when set) that carry the block's state between them, so
    results are bit-identical to one long run.  The calling thread only
    waits: a ``KeyboardInterrupt`` (Ctrl-C) there sets a stop flag that every
    kernel polls once per step, and is re-raised as soon as the workers have
    left (within a step); nothing partial is returned.  With ``progress``
    it also draws a tqdm bar of the steps done (shown after 2 s).
    """
    kern = kernel_for(stage)
    total = n_opt * n_blocks(n)
    X0 = args[0]
    steps = args[7]
    n_ev = args[12].shape[0]
    state = _state(total, n, X0.shape[1], n_ev, X0.dtype)
    halt = np.zeros(1, np.int64)
    # compile (if needed) here, in the calling thread, not in a worker
    kern(0, 0, 0, 0, *args, *state, halt)
    threads = max(1, min(numba.get_num_threads(), total))
    pace = [0.0, 0]  # seconds per block-step, last window
    pool = _executor(threads)
    # several ranges per thread so that uneven blocks (divergence, events) balance
    chunk = total if threads == 1 else max(1, total // (threads * 8))
    futures = []
    done = [0]  # block-steps finished (approximate while workers add to it)
    bar = _bar(steps + 1) if progress else None
    try:
        for lo in range(0, total, chunk):
            hi = min(lo + chunk, total)
            futures.append(pool.submit(_work, kern, lo, hi, steps, args, state, halt, pace, done))
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

#: Steps per kernel call; 0 picks them from ``CHUNK_SECONDS`` as the run goes.
#: Results do not depend on it (tests set it to force many chunks).
CHUNK_STEPS = 0


def _state(total: int, n: int, d: int, n_ev: int, dt):
    """Per-block state carried between chunks of steps: X, M, V, live, events, divergence, powers."""
    B = _config.CPU_BLOCK
    W = B if n >= B else (n + 7) // 8 * 8
    return (
        np.empty((total, d, W), dt),
        np.empty((total, d, W), dt),
        np.empty((total, d, W), dt),
        np.empty((total, W), np.bool_),
        np.empty((total, n_ev, W), np.int64),
        np.empty((total, W), np.int64),
        np.empty((total, 2), np.float64),
    )


def _work(kern, lo: int, hi: int, steps: int, args, state, halt, pace, done) -> None:
    """Blocks ``lo:hi`` over all steps, in chunks of steps; returns early once ``halt[0]`` is set."""
    t = 0
    while t <= steps:
        if halt[0]:
            return
        w = CHUNK_STEPS or _window(pace, hi - lo)
        t_hi = min(steps + 1, t + w)
        t0 = time.perf_counter()
        kern(lo, hi, t, t_hi, *args, *state, halt)
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
