"""The fused CPU engine: one Numba kernel runs every step of every trajectory.

Trajectories are processed in blocks of ``CPU_BLOCK`` lanes stored as
structure of arrays (``X[k, j]``: coordinate ``k`` of lane ``j``); every
innermost loop runs over lanes, so LLVM vectorises the maths across
trajectories.  A block never mixes optimizers, so its kind and
hyperparameters are scalars and the lane loops carry no branch.  Blocks are
spread over threads with ``prange``; nothing in a block depends on which
thread runs it (noise is counter-based), so results do not depend on the
thread count.

The surface's ``vg`` is compiled into the kernel (one kernel per surface family
and dtype, memoised); optimizers, schedules, surface parameters, events and
noise are all run-time data.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .. import _config
from .._fpenv import restore_fpenv, set_ftz
from .._typed import cst
from .._rng import normal, stream_key
from ..events import ENTER_BALL, LEAVE_BALL
from ..optim import _rules as R
from ..optim.schedules import factor_at

_KERNELS: dict = {}


def kernel_for(vg):
    """The fused kernel for surface function ``vg`` (memoised per family)."""
    key = (vg, _config.CPU_BLOCK)
    kern = _KERNELS.get(key)
    if kern is None:
        kern = _make_kernel(vg, _config.CPU_BLOCK)
        _KERNELS[key] = kern
    return kern


def _make_kernel(vg, B):
    opts = dict(_config.NJIT_OPTIONS)

    @njit(parallel=True, **opts)
    def kernel(
        X0, kinds, hp, skinds, srows, P, steps, rec_every, rec_n, sigma, seed_key,
        ev_kind, ev_center, ev_val, bound, ftz,
        pos, loss, final, final_loss, ev_t, div_t,
    ):  # fmt: skip
        n, d = X0.shape
        n_opt = kinds.shape[0]
        n_ev = ev_kind.shape[0]
        nb = (n + B - 1) // B
        dt = X0.dtype
        big = np.finfo(dt).max
        for blk in prange(n_opt * nb):
            old_env = 0
            if ftz:
                old_env = set_ftz()
            o = blk // nb
            j0 = (blk - o * nb) * B
            nl = min(B, n - j0)
            kind = kinds[o]
            rule = R.rule_of(kind)
            X = np.empty((d, B), dt)
            G = np.empty((d, B), dt)
            M = np.zeros((d, B), dt)
            Vv = np.zeros((d, B), dt)
            F = np.empty(B, dt)
            live = np.ones(B, np.bool_)
            ET = np.full((n_ev, B), -1, np.int64)
            DT = np.full(B, -1, np.int64)
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
                for j in range(B):
                    X[k, j] = X0[j0 + min(j, nl - 1), k]
            n_rec_here = max(0, min(nl, rec_n - j0))
            # frames are buffered per lane and flushed in runs of FC frames, so
            # each lane's writes to the (trajectory, frame, coord) output are contiguous
            FC = max(1, min(16, 64 // d))
            FB = np.empty((B, FC, d), dt)
            LB = np.empty((B, FC), dt)
            fq = 0
            f0 = 0
            OK = np.empty(B, np.bool_)
            R2 = np.empty(B, dt)
            for t in range(steps + 1):
                vg(X, G, F, P)
                # divergence: non-finite loss/gradient or a coordinate beyond the bound
                for j in range(B):
                    OK[j] = abs(F[j]) < big
                for k in range(d):
                    for j in range(B):
                        OK[j] = OK[j] & (abs(X[k, j]) <= xmax) & (abs(G[k, j]) < big)
                for j in range(B):
                    fresh = live[j] & ~OK[j]
                    DT[j] = t if fresh else DT[j]
                    live[j] = live[j] & OK[j]
                for e in range(n_ev):
                    ek = ev_kind[e]
                    thr = EV[e]
                    if ek == ENTER_BALL or ek == LEAVE_BALL:
                        for j in range(B):
                            R2[j] = zero
                        for k in range(d):
                            c = EC[e, k]
                            for j in range(B):
                                dx = X[k, j] - c
                                R2[j] += dx * dx
                        for j in range(B):
                            hit = (R2[j] < thr) if ek == ENTER_BALL else (R2[j] > thr)
                            ET[e, j] = t if (hit & live[j] & (ET[e, j] < 0)) else ET[e, j]
                    else:
                        for j in range(B):
                            hit = F[j] < thr
                            ET[e, j] = t if (hit & live[j] & (ET[e, j] < 0)) else ET[e, j]
                if n_rec_here > 0 and t % rec_every == 0:
                    for j in range(n_rec_here):
                        LB[j, fq] = F[j]
                        for k in range(d):
                            FB[j, fq, k] = X[k, j]
                    fq += 1
                    if fq == FC or t + rec_every > steps:
                        for j in range(n_rec_here):
                            for q in range(fq):
                                loss[o, j0 + j, f0 + q] = LB[j, q]
                                for k in range(d):
                                    pos[o, j0 + j, f0 + q, k] = FB[j, q, k]
                        f0 += fq
                        fq = 0
                if t == steps:
                    break
                if sigma > 0.0:
                    for j in range(nl):
                        key = stream_key(seed_key, j0 + j, t)
                        for k in range(d):
                            G[k, j] += sigma * normal(key, k)
                lr_t = hp[o, R.HP_LR] * factor_at(skinds[o], srows[o], t)
                R.step_scalars(kind, hp[o], lr_t, t + 1.0, sc)
                a = sc[R.S_A]
                if rule == R.RULE_GD:
                    for k in range(d):
                        for j in range(B):
                            xn = R.gd(X[k, j], G[k, j], a)
                            X[k, j] = xn if live[j] else X[k, j]
                elif rule == R.RULE_MOM:
                    b1 = sc[R.S_B1]
                    c1 = sc[R.S_C1]
                    for k in range(d):
                        for j in range(B):
                            xn, mn = R.momentum(X[k, j], G[k, j], M[k, j], a, b1, c1)
                            X[k, j] = xn if live[j] else X[k, j]
                            M[k, j] = mn
                elif rule == R.RULE_NAG:
                    b1 = sc[R.S_B1]
                    for k in range(d):
                        for j in range(B):
                            xn, mn = R.nesterov(X[k, j], G[k, j], M[k, j], a, b1)
                            X[k, j] = xn if live[j] else X[k, j]
                            M[k, j] = mn
                elif rule == R.RULE_RMS:
                    b2 = sc[R.S_B2]
                    c2 = sc[R.S_C2]
                    e_ = sc[R.S_E]
                    for k in range(d):
                        for j in range(B):
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
                        for j in range(B):
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
