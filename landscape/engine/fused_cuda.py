"""The fused CUDA engine: one thread per trajectory, a chunk of steps per launch.

Each surface function and update rule is the *same Python source* as on the
CPU: :func:`device_version` re-compiles a Numba CPU function's source as a
``cuda.jit(device=True)`` function, with every Numba function it calls
replaced by its device twin (recursively).  A launch runs the steps
``[t_lo, t_hi)``: the state that crosses steps (position, moments, live
flag, event and divergence steps, bias-correction powers) is loaded from
device arrays at its start (from ``X0`` when ``t_lo == 0``), kept in
thread-local arrays (registers after unrolling) while it runs and stored
back at its end; recorded frames are written as they come, final states,
event times and divergence steps by the launch that reaches the last step.
:func:`run` sizes the chunks of steps to about ``CHUNK_SECONDS`` a launch
and synchronises after each, so Python (and Ctrl-C) gets control between
them; results do not depend on the chunking.

Trajectories of one optimizer fill whole warps (each optimizer's range is
padded to a multiple of 32 threads), so a warp never mixes optimizer kinds.
Gradient noise uses the counter-based generator keyed by the *global*
trajectory index, so results do not depend on chunking or block size and
follow the CPU run to rounding.
"""

from __future__ import annotations

import time
import types as _pytypes

import numpy as np
from numba import from_dtype
from numba.core.registry import CPUDispatcher

from .. import _backend, _config
from .. import _rng as RNG
from ..events import ENTER_BALL, LEAVE_BALL
from ..optim import _rules as R
from ..optim import schedules as S
from ._chunks import next_window

# this module is imported only when a CUDA run is asked for; kernels refer to
# ``cuda`` as a module global (the CUDA simulator swaps it for its own)
cuda = _backend.cuda()

WARP = 32
MAX_EVENTS = 8
_DEVICE: dict = {}
_KERNELS: dict = {}


def device_version(fn):
    """The ``cuda.jit(device=True)`` twin of a Numba CPU function (memoised)."""
    if not isinstance(fn, CPUDispatcher):
        return fn
    dev = _DEVICE.get(fn)
    if dev is None:
        py = fn.py_func
        glb = dict(py.__globals__)
        for name in py.__code__.co_names:
            obj = glb.get(name)
            if isinstance(obj, CPUDispatcher):
                glb[name] = device_version(obj)
        clone = _pytypes.FunctionType(
            py.__code__, glb, py.__name__, py.__defaults__, py.__closure__
        )
        clone.__qualname__ = py.__qualname__
        dev = cuda.jit(device=True)(clone)
        _DEVICE[fn] = dev
    return dev


def _device_stage(family, finite_sum):
    """The device gradient stage ``stage(X, G, F, P, t, j0, b, seed_key, idx, keys)`` of a family.

    ``family`` is a surface's ``vg`` (ordinary surface) or, with
    ``finite_sum``, a finite sum's per-example accumulator: the mini-batch
    stage is then the same source as the CPU one
    (:func:`landscape.surfaces.finite_sum.stage_functions`).
    """
    if finite_sum:
        from ..surfaces.finite_sum import stage_functions

        twins = {f: device_version(f) for f in (RNG.permute_lanes, RNG.shuffle_key, RNG.half_bits)}
        return stage_functions(device_version(family), cuda.jit(device=True), twins)[1]
    vg_d = device_version(family)

    @cuda.jit(device=True)
    def stage(X, G, F, P, t, j0, b, seed_key, idx, keys):
        vg_d(X, G, F, P)

    return stage


def family_of(surface):
    """``(family, finite_sum)``: what the CUDA kernel of ``surface`` is compiled from."""
    if surface.finite_sum is not None:
        return surface.finite_sum.acc, True
    return surface.vg, False


def kernel_for(family, dim: int, dtype, finite_sum: bool = False):
    """The CUDA kernel for a surface family in ``dim`` dimensions and ``dtype`` (memoised).

    ``family`` is a surface's ``vg``, or with ``finite_sum`` its finite sum's
    accumulator (see :func:`family_of`).
    """
    key = (family, bool(finite_sum), int(dim), np.dtype(dtype).name)
    kern = _KERNELS.get(key)
    if kern is None:
        kern = _make_kernel(family, bool(finite_sum), int(dim), np.dtype(dtype))
        _KERNELS[key] = kern
    return kern


def _make_kernel(family, finite_sum, D, dtype):
    DT = from_dtype(dtype)
    stage = _device_stage(family, finite_sum)
    rule_of = device_version(R.rule_of)
    step_scalars = device_version(R.step_scalars)
    factor_at = device_version(S.factor_at)
    stream_key = device_version(RNG.stream_key)
    normal = device_version(RNG.normal)
    gd = device_version(R.gd)
    momentum = device_version(R.momentum)
    nesterov = device_version(R.nesterov)
    rms = device_version(R.rms)
    adam = device_version(R.adam)
    CONSTANT, R_WARMUP = S.CONSTANT, S.R_WARMUP
    RULE_GD, RULE_MOM, RULE_NAG, RULE_RMS = R.RULE_GD, R.RULE_MOM, R.RULE_NAG, R.RULE_RMS
    S_A, S_B1, S_C1, S_B2, S_C2, S_E, S_DECAY, S_SIZE = (
        R.S_A, R.S_B1, R.S_C1, R.S_B2, R.S_C2, R.S_E, R.S_DECAY, R.S_SIZE,
    )  # fmt: skip
    HP_B1, HP_B2, HP_LR = R.HP_B1, R.HP_B2, R.HP_LR

    @cuda.jit
    def kernel(
        t_lo, t_hi, X0, j_off, n_pad, kinds, hp, skinds, srows, batch, P, steps, rec_every, rec_n, sigma,
        seed_key, ev_kind, ev_center, ev_val, bound, big,
        pos, bloss, final, final_loss, ev_t, div_t, SX, SM, SV, SL, SET, SDT, SB,
    ):  # fmt: skip
        i = cuda.grid(1)
        n = X0.shape[0]
        n_opt = kinds.shape[0]
        if i >= n_opt * n_pad:
            return
        o = i // n_pad
        j = i - o * n_pad
        if j >= n:
            return
        jg = j_off + j  # global trajectory index: the noise key
        n_ev = ev_kind.shape[0]
        X = cuda.local.array((D, 1), DT)
        G = cuda.local.array((D, 1), DT)
        M = cuda.local.array(D, DT)
        V = cuda.local.array(D, DT)
        F = cuda.local.array(1, DT)
        sc = cuda.local.array(S_SIZE, DT)
        lim = cuda.local.array(2, DT)
        ET = cuda.local.array(MAX_EVENTS, np.int64)
        idx = cuda.local.array(1, np.int64)
        keys = cuda.local.array((3, 1), np.uint64)
        bsize = batch[o]
        rec_bl = bloss.shape[1] > 0
        lim[0] = bound
        lim[1] = big
        xmax = lim[0]
        fmax = lim[1]
        kind = kinds[o]
        rule = rule_of(kind)
        skind = skinds[o]
        scheduled = skind != CONSTANT or srows[o, R_WARMUP] > 0.0
        b1_ = hp[o, HP_B1]
        b2_ = hp[o, HP_B2]
        b1t = 1.0
        b2t = 1.0
        live = True
        dstep = -1
        if t_lo == 0:
            for k in range(D):
                X[k, 0] = X0[j, k]
                M[k] = 0
                V[k] = 0
            for e in range(n_ev):
                ET[e] = -1
        else:
            # resume where the previous launch left this trajectory
            for k in range(D):
                X[k, 0] = SX[o, k, j]
                M[k] = SM[o, k, j]
                V[k] = SV[o, k, j]
            for e in range(n_ev):
                ET[e] = SET[o, e, j]
            live = SL[o, j]
            dstep = SDT[o, j]
            b1t = SB[o, 0, j]
            b2t = SB[o, 1, j]
        rec = rec_every > 0 and jg < rec_n
        for t in range(t_lo, t_hi):
            stage(X, G, F, P, t, jg, bsize, seed_key, idx, keys)
            if live:
                ok = abs(F[0]) < fmax
                for k in range(D):
                    ok = ok and abs(X[k, 0]) <= xmax and abs(G[k, 0]) < fmax
                if not ok:
                    live = False
                    dstep = t
            if live:
                for e in range(n_ev):
                    if ET[e] < 0:
                        ek = ev_kind[e]
                        if ek == ENTER_BALL or ek == LEAVE_BALL:
                            r2 = F[0] - F[0]
                            for k in range(D):
                                dx = X[k, 0] - ev_center[e, k]
                                r2 += dx * dx
                            hit = r2 < ev_val[e] if ek == ENTER_BALL else r2 > ev_val[e]
                        else:
                            hit = F[0] < ev_val[e]
                        if hit:
                            ET[e] = t
            if rec and t % rec_every == 0:
                f = t // rec_every
                for k in range(D):
                    pos[o, f, j, k] = X[k, 0]
                if rec_bl:
                    bloss[o, f, j] = F[0]
            if t == steps or not live:
                continue
            if sigma > 0.0:
                key = stream_key(seed_key, jg, t)
                for k in range(D):
                    G[k, 0] += sigma * normal(key, k)
            lr_t = hp[o, HP_LR]
            if scheduled:
                lr_t *= factor_at(skind, srows[o], t)
            b1t *= b1_
            b2t *= b2_
            step_scalars(kind, hp[o], lr_t, b1t, b2t, sc)
            a = sc[S_A]
            for k in range(D):
                x = X[k, 0]
                g = G[k, 0]
                if rule == RULE_GD:
                    X[k, 0] = gd(x, g, a)
                elif rule == RULE_MOM:
                    X[k, 0], M[k] = momentum(x, g, M[k], a, sc[S_B1], sc[S_C1])
                elif rule == RULE_NAG:
                    X[k, 0], M[k] = nesterov(x, g, M[k], a, sc[S_B1])
                elif rule == RULE_RMS:
                    X[k, 0], V[k] = rms(x, g, V[k], a, sc[S_B2], sc[S_C2], sc[S_E])
                else:
                    X[k, 0], M[k], V[k] = adam(
                        x, g, M[k], V[k], a, sc[S_B1], sc[S_C1], sc[S_B2], sc[S_C2],
                        sc[S_E], sc[S_DECAY],
                    )  # fmt: skip
        if t_hi > steps:
            for k in range(D):
                final[o, j, k] = X[k, 0]
            final_loss[o, j] = F[0]
            div_t[o, j] = dstep
            for e in range(n_ev):
                ev_t[o, j, e] = ET[e]
        else:
            for k in range(D):
                SX[o, k, j] = X[k, 0]
                SM[o, k, j] = M[k]
                SV[o, k, j] = V[k]
            for e in range(n_ev):
                SET[o, e, j] = ET[e]
            SL[o, j] = live
            SDT[o, j] = dstep
            SB[o, 0, j] = b1t
            SB[o, 1, j] = b2t

    return kernel


def _free_bytes() -> int:
    try:
        free, _total = cuda.current_context().get_memory_info()
        return int(free)
    except Exception:  # noqa: BLE001 - the simulator has no memory info
        return 1 << 34


def chunk_size(n: int, n_opt: int, d: int, n_ev: int, rec_frames: int, itemsize: int) -> int:
    """Trajectories per launch so that inputs and outputs fit in free device memory."""
    per_traj = (
        d * itemsize  # start
        + n_opt * (d * itemsize + itemsize + 8 + 8 * n_ev)  # final, loss, divergence, events
        + n_opt * rec_frames * (d + 1) * itemsize  # frames and mini-batch costs (upper bound)
        + n_opt * (3 * d * itemsize + 1 + 8 * n_ev + 8 + 16)  # state carried between launches
    )
    budget = int(_free_bytes() * _config.CUDA_MEMORY_FRACTION)
    cap = _config.CUDA_MAX_CHUNK
    fit = max(WARP, budget // max(per_traj, 1))
    size = min(n, fit, cap) if cap else min(n, fit)
    return max(1, size)


#: Target wall time of one launch (a chunk of steps over a chunk of
#: trajectories): how often Python, and so Ctrl-C, gets control back.
CHUNK_SECONDS = 0.2

#: Steps per launch; 0 picks them from ``CHUNK_SECONDS`` as the run goes.
#: Results do not depend on it (tests set it to force many launches).
CHUNK_STEPS = 0


def _window(pace) -> int:
    """Steps for the next launch: about ``CHUNK_SECONDS`` at the last pace.

    ``pace`` is ``[seconds per step, steps]`` of the last launch (steps 0:
    none yet).
    """
    return next_window(pace[0], pace[1], CHUNK_SECONDS)


def _state(n_opt: int, n_pad: int, d: int, n_ev: int, dtype):
    """Device state carried between launches: X, M, V, live, events, divergence, powers."""
    return (
        cuda.device_array((n_opt, d, n_pad), dtype),
        cuda.device_array((n_opt, d, n_pad), dtype),
        cuda.device_array((n_opt, d, n_pad), dtype),
        cuda.device_array((n_opt, n_pad), np.bool_),
        cuda.device_array((n_opt, n_ev, n_pad), np.int64),
        cuda.device_array((n_opt, n_pad), np.int64),
        cuda.device_array((n_opt, 2, n_pad), np.float64),
    )


def run(surface, dim, dtype, X0, opt_arrays, steps, rec_every, rec_n, sigma, seed_key,
        ev_arrays, bound, outs):  # fmt: skip
    """Run all trajectories on the GPU, in chunks of trajectories if memory requires.

    ``outs`` are host arrays ``(pos, bloss, final, final_loss, ev_t, div_t)``
    laid out like the CPU engine's; each chunk's part is copied back into them.
    Each chunk of trajectories runs in launches of a chunk of steps (about
    ``CHUNK_SECONDS`` each, or ``CHUNK_STEPS``) that carry the state on the
    device between them, with a synchronisation after each: a
    ``KeyboardInterrupt`` (Ctrl-C) is raised between launches, within about
    ``CHUNK_SECONDS``, and nothing partial is returned.  Results are
    bit-identical however the steps are chunked.
    """
    kinds, hp, skinds, srows, batch, P = opt_arrays
    ev_kind, ev_center, ev_val = ev_arrays
    if ev_kind.shape[0] > MAX_EVENTS:
        raise ValueError(
            f"events must number at most {MAX_EVENTS} on the cuda backend, got {ev_kind.shape[0]}"
        )
    pos, bloss, final, final_loss, ev_t, div_t = outs
    n, d = X0.shape
    n_opt = kinds.shape[0]
    n_frames = pos.shape[1]
    rec_bl = bloss.shape[1] > 0
    family, finite_sum = family_of(surface)
    kern = kernel_for(family, dim, dtype, finite_sum)
    itemsize = np.dtype(dtype).itemsize
    size = chunk_size(n, n_opt, d, ev_kind.shape[0], n_frames if rec_n else 0, itemsize)
    big = float(np.finfo(dtype).max)
    # event centres and levels in the run's dtype, as the CPU kernel uses them
    ev_center = np.ascontiguousarray(ev_center, dtype=dtype)
    ev_val = np.ascontiguousarray(ev_val, dtype=dtype)
    dev_in = [
        cuda.to_device(a) for a in (kinds, hp, skinds, srows, batch, P, ev_kind, ev_center, ev_val)
    ]
    d_kinds, d_hp, d_sk, d_sr, d_b, d_P, d_ek, d_ec, d_ev = dev_in
    tpb = int(_config.CUDA_THREADS_PER_BLOCK)
    n_ev = ev_kind.shape[0]
    pace = [0.0, 0]  # seconds per step and steps of the last launch
    compiled = False
    for lo in range(0, n, size):
        hi = min(n, lo + size)
        m = hi - lo
        rec_here = max(0, min(hi, rec_n) - lo)
        n_pad = (m + WARP - 1) // WARP * WARP
        d_x0 = cuda.to_device(np.ascontiguousarray(X0[lo:hi]))
        d_pos = cuda.device_array((n_opt, n_frames, rec_here, d), dtype)
        d_bl = cuda.device_array((n_opt, n_frames if rec_bl else 0, rec_here), dtype)
        d_final = cuda.device_array((n_opt, m, d), dtype)
        d_floss = cuda.device_array((n_opt, m), dtype)
        d_evt = cuda.device_array((n_opt, m, ev_kind.shape[0]), np.int64)
        d_div = cuda.device_array((n_opt, m), np.int64)
        state = _state(n_opt, n_pad, d, n_ev, dtype)
        blocks = (n_opt * n_pad + tpb - 1) // tpb
        args = (
            d_x0, lo, n_pad, d_kinds, d_hp, d_sk, d_sr, d_b, d_P, steps, rec_every, rec_n, sigma,
            seed_key, d_ek, d_ec, d_ev, bound, big,
            d_pos, d_bl, d_final, d_floss, d_evt, d_div, *state,
        )  # fmt: skip
        if not compiled:
            # compile outside the timed launches: an empty step range runs nothing
            kern[blocks, tpb](0, 0, *args)
            cuda.synchronize()
            compiled = True
        t = 0
        while t <= steps:
            w = CHUNK_STEPS or _window(pace)
            t_hi = min(steps + 1, t + w)
            t0 = time.perf_counter()
            kern[blocks, tpb](t, t_hi, *args)
            cuda.synchronize()  # Python (and a Ctrl-C) gets control back here
            if not CHUNK_STEPS:
                # per step of this chunk of trajectories; later chunks are no larger
                pace[0] = (time.perf_counter() - t0) / (t_hi - t)
                pace[1] = w
            t = t_hi
        if rec_here:
            pos[:, :, lo : lo + rec_here] = d_pos.copy_to_host()
            if rec_bl:
                bloss[:, :, lo : lo + rec_here] = d_bl.copy_to_host()
        final[:, lo:hi] = d_final.copy_to_host()
        final_loss[:, lo:hi] = d_floss.copy_to_host()
        ev_t[:, lo:hi] = d_evt.copy_to_host()
        div_t[:, lo:hi] = d_div.copy_to_host()
