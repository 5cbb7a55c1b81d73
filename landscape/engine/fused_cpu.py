"""The fused CPU engine: one Numba kernel runs every step of every trajectory.

Trajectories are processed in blocks of ``CPU_BLOCK`` lanes stored as
structure of arrays (``X[k, j]``: coordinate ``k`` of lane ``j``); every
innermost loop runs over lanes, so LLVM vectorises the maths across
trajectories.  A block never mixes optimizers, so its kind and
hyperparameters are scalars and the lane loops carry no branch.  The kernel
is serial over a range of blocks and releases the GIL; :func:`run` spreads
ranges of blocks over a thread pool (``numba.get_num_threads()`` threads).
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

import numba
import numpy as np
from numba import njit

from .. import _config
from .._fpenv import restore_fpenv, set_ftz
from .._rng import normal, stream_key
from .._typed import cst
from ..events import ENTER_BALL, LEAVE_BALL
from ..optim import _rules as R
from ..optim.schedules import CONSTANT, R_WARMUP, factor_at

_KERNELS: dict = {}
_STAGES: dict = {}
_POOL: list = [None, 0]  # executor, its size


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
        blk_lo, blk_hi, X0, kinds, hp, skinds, srows, batch, P, steps, rec_every, rec_n, sigma,
        seed_key, ev_kind, ev_center, ev_val, bound, ftz,
        pos, bloss, final, final_loss, ev_t, div_t,
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
            b1t = 1.0
            b2t = 1.0
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
            for k in range(d):
                for j in range(W):
                    X[k, j] = X0[j0 + min(j, nl - 1), k]
            n_rec_here = max(0, min(nl, rec_n - j0))
            OK = np.empty(W, np.bool_)
            R2 = np.empty(W, dt)
            for t in range(steps + 1):
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
            for j in range(nl):
                final_loss[o, j0 + j] = F[j]
                div_t[o, j0 + j] = DT[j]
                for k in range(d):
                    final[o, j0 + j, k] = X[k, j]
                for e in range(n_ev):
                    ev_t[o, j0 + j, e] = ET[e, j]
            if ftz:
                restore_fpenv(old_env)

    return kernel


def n_blocks(n: int) -> int:
    """Blocks per optimizer for ``n`` trajectories."""
    B = _config.CPU_BLOCK
    return (n + B - 1) // B


def run(stage, n_opt: int, n: int, args: tuple) -> None:
    """Run the kernel of ``stage`` over all ``n_opt * n_blocks(n)`` blocks in parallel.

    ``args`` are the kernel's arguments after the block range.
    """
    kern = kernel_for(stage)
    total = n_opt * n_blocks(n)
    threads = max(1, min(numba.get_num_threads(), total))
    if threads == 1:
        kern(0, total, *args)
        return
    pool = _executor(threads)
    # several chunks per thread so that uneven blocks (divergence, events) balance
    chunk = max(1, total // (threads * 8))
    futures = [
        pool.submit(kern, lo, min(lo + chunk, total), *args) for lo in range(0, total, chunk)
    ]
    for fut in futures:
        fut.result()


def _executor(threads: int):
    from concurrent.futures import ThreadPoolExecutor

    if _POOL[0] is None or _POOL[1] != threads:
        if _POOL[0] is not None:
            _POOL[0].shutdown(wait=True)
        _POOL[0] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="landscape")
        _POOL[1] = threads
    return _POOL[0]
