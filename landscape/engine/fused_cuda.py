"""The fused CUDA engine: one thread per trajectory, a chunk of steps per launch.

Each surface function, step piece (:mod:`landscape.engine._step`) and update
rule (:func:`landscape.optim._rules.update_lanes`) is the *same Python
source* as on the CPU, called on one lane per thread:
:func:`landscape.engine.stages.device_version` re-compiles a Numba CPU
function's source as a ``cuda.jit(device=True)`` function, with every Numba
function it calls replaced by its device twin (recursively).  A launch runs the steps
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

import numpy as np
from numba import from_dtype

from .. import _backend, _config
from .._cache import attach
from ..optim import _rules as R
from . import _step
from ._chunks import next_window
from .stages import device_stage, device_version, family_of

# this module is imported only when a CUDA run is asked for; kernels refer to
# ``cuda`` as a module global (the CUDA simulator swaps it for its own)
cuda = _backend.cuda()

WARP = 32
MAX_EVENTS = 8
_KERNELS: dict = {}

__all__ = ["device_version", "family_of", "kernel_for", "run"]


def kernel_for(family, dim: int, dtype, finite_sum: bool = False):
    """The CUDA kernel for a surface family in ``dim`` dimensions and ``dtype`` (memoised).

    ``family`` is a surface's ``vg``, or with ``finite_sum`` its finite sum's
    accumulator (see :func:`landscape.engine.stages.family_of`).
    """
    key = (family, bool(finite_sum), int(dim), np.dtype(dtype).name)
    kern = _KERNELS.get(key)
    if kern is None:
        kern = _make_kernel(family, bool(finite_sum), int(dim), np.dtype(dtype))
        _KERNELS[key] = kern
    return kern


def _make_kernel(family, finite_sum, D, dtype):
    DT = from_dtype(dtype)
    stage = device_stage(family, finite_sum)
    optimizer_of = device_version(_step.optimizer_of)
    start = device_version(R.start)
    update_lanes = device_version(R.update_lanes)
    begin_step = device_version(_step.begin_step)
    check_divergence = device_version(_step.check_divergence)
    test_events = device_version(_step.test_events)
    record_frame = device_version(_step.record_frame)
    add_noise = device_version(_step.add_noise)
    N_STATE, N_RUN, S_SIZE = R.N_STATE, R.N_RUN, R.S_SIZE

    @cuda.jit
    def kernel(t_lo, t_hi, X0, j_off, n_pad, plan, state):
        """Steps ``[t_lo, t_hi)`` of one trajectory per thread: the same step pieces as the CPU."""
        SX, SS, SL, SET, SDT, SR = state
        out = plan.out
        i = cuda.grid(1)
        n = X0.shape[0]
        n_opt = plan.kinds.shape[0]
        if i >= n_opt * n_pad:
            return
        o = i // n_pad
        j = i - o * n_pad
        if j >= n:
            return
        jg = j_off + j  # global trajectory index: the noise key
        n_ev = plan.ev_kind.shape[0]
        X = cuda.local.array((D, 1), DT)
        G = cuda.local.array((D, 1), DT)
        S = cuda.local.array((N_STATE, D, 1), DT)
        F = cuda.local.array(1, DT)
        live = cuda.local.array(1, np.bool_)
        DTs = cuda.local.array(1, np.int64)
        ET = cuda.local.array((MAX_EVENTS, 1), np.int64)
        OK = cuda.local.array(1, np.bool_)
        R2 = cuda.local.array(1, DT)
        sc = cuda.local.array(S_SIZE, DT)
        run = cuda.local.array(N_RUN, np.float64)
        idx = cuda.local.array(1, np.int64)
        keys = cuda.local.array((3, 1), np.uint64)
        kind, rule, hp, skind, srow, bsize = optimizer_of(plan, o)
        if t_lo == 0:
            start(run)
            for k in range(D):
                X[k, 0] = X0[j, k]
                for q in range(N_STATE):
                    S[q, k, 0] = 0
            for e in range(n_ev):
                ET[e, 0] = -1
            live[0] = True
            DTs[0] = -1
        else:
            # resume where the previous launch left this trajectory
            for k in range(D):
                X[k, 0] = SX[o, k, j]
                for q in range(N_STATE):
                    S[q, k, 0] = SS[o, q, k, j]
            for e in range(n_ev):
                ET[e, 0] = SET[o, e, j]
            live[0] = SL[o, j]
            DTs[0] = SDT[o, j]
            for q in range(N_RUN):
                run[q] = SR[o, q, j]
        rec = plan.rec_every > 0 and jg < plan.rec_n
        for t in range(t_lo, t_hi):
            stage(X, G, F, plan.P, t, plan.traj0 + jg, bsize, plan.seed_key, idx, keys)
            check_divergence(t, X, G, F, plan.bound, plan.big, live, DTs, OK)
            test_events(t, X, F, plan.ev_kind, plan.ev_center, plan.ev_val, live, ET, R2)
            if rec and t % plan.rec_every == 0:
                record_frame(out.pos, out.bloss, o, t // plan.rec_every, j, X, F, 1)
            if t == plan.steps:
                break
            if plan.sigma > 0.0:
                add_noise(G, plan.sigma, plan.seed_key, plan.traj0 + jg, t, 1)
            begin_step(kind, hp, skind, srow, t, run, sc)
            update_lanes(rule, X, G, S, live, sc)
        if t_hi > plan.steps:
            for k in range(D):
                out.final[o, j, k] = X[k, 0]
            out.final_loss[o, j] = F[0]
            out.div_t[o, j] = DTs[0]
            for e in range(n_ev):
                out.ev_t[o, j, e] = ET[e, 0]
        else:
            for k in range(D):
                SX[o, k, j] = X[k, 0]
                for q in range(N_STATE):
                    SS[o, q, k, j] = S[q, k, 0]
            for e in range(n_ev):
                SET[o, e, j] = ET[e, 0]
            SL[o, j] = live[0]
            SDT[o, j] = DTs[0]
            for q in range(N_RUN):
                SR[o, q, j] = run[q]

    return attach(kernel, getattr(family, "__name__", ""))


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
        + n_opt * ((1 + R.N_STATE) * d * itemsize + 1 + 8 * n_ev + 8 + 8 * R.N_RUN)  # carried state
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
    """Device state carried between launches: X, rule state, live, events, divergence, running products."""
    return (
        cuda.device_array((n_opt, d, n_pad), dtype),
        cuda.device_array((n_opt, R.N_STATE, d, n_pad), dtype),
        cuda.device_array((n_opt, n_pad), np.bool_),
        cuda.device_array((n_opt, n_ev, n_pad), np.int64),
        cuda.device_array((n_opt, n_pad), np.int64),
        cuda.device_array((n_opt, R.N_RUN, n_pad), np.float64),
    )


def run(surface, X0, plan) -> None:
    """Run all trajectories on the GPU, in chunks of trajectories if memory requires.

    ``plan`` is the run's :class:`~landscape.engine.plan.Plan`; its host
    outputs are filled, each chunk's part copied back into them.  Each chunk
    of trajectories runs in launches of a chunk of steps (about
    ``CHUNK_SECONDS`` each, or ``CHUNK_STEPS``) that carry the state on the
    device between them, with a synchronisation after each: a
    ``KeyboardInterrupt`` (Ctrl-C) is raised between launches, within about
    ``CHUNK_SECONDS``, and nothing partial is returned.  Results are
    bit-identical however the steps are chunked.
    """
    n_ev = plan.n_events
    if n_ev > MAX_EVENTS:
        raise ValueError(f"events must number at most {MAX_EVENTS} on the cuda backend, got {n_ev}")
    out = plan.out
    dtype = out.final.dtype
    n, d = X0.shape
    n_opt = plan.n_opt
    n_frames = out.pos.shape[1]
    rec_bl = out.bloss.shape[1] > 0
    family, finite_sum = family_of(surface)
    kern = kernel_for(family, d, dtype, finite_sum)
    itemsize = np.dtype(dtype).itemsize
    size = chunk_size(n, n_opt, d, n_ev, n_frames if plan.rec_n else 0, itemsize)
    # the inputs once on the device; the outputs per chunk of trajectories
    inputs = plan._replace(**{
        f: cuda.to_device(getattr(plan, f))
        for f in ("kinds", "hp", "skinds", "srows", "batch", "P", "ev_kind", "ev_center", "ev_val")
    })  # fmt: skip
    tpb = int(_config.CUDA_THREADS_PER_BLOCK)
    pace = [0.0, 0]  # seconds per step and steps of the last launch
    compiled = False
    for lo in range(0, n, size):
        hi = min(n, lo + size)
        m = hi - lo
        rec_here = max(0, min(hi, plan.rec_n) - lo)
        n_pad = (m + WARP - 1) // WARP * WARP
        d_x0 = cuda.to_device(np.ascontiguousarray(X0[lo:hi]))
        d_out = type(out)(
            pos=cuda.device_array((n_opt, n_frames, rec_here, d), dtype),
            bloss=cuda.device_array((n_opt, n_frames if rec_bl else 0, rec_here), dtype),
            final=cuda.device_array((n_opt, m, d), dtype),
            final_loss=cuda.device_array((n_opt, m), dtype),
            ev_t=cuda.device_array((n_opt, m, n_ev), np.int64),
            div_t=cuda.device_array((n_opt, m), np.int64),
        )
        d_plan = inputs._replace(out=d_out)
        state = _state(n_opt, n_pad, d, n_ev, dtype)
        blocks = (n_opt * n_pad + tpb - 1) // tpb
        if not compiled:
            # compile outside the timed launches: an empty step range runs nothing
            kern[blocks, tpb](0, 0, d_x0, lo, n_pad, d_plan, state)
            cuda.synchronize()
            compiled = True
        t = 0
        while t <= plan.steps:
            w = CHUNK_STEPS or _window(pace)
            t_hi = min(plan.steps + 1, t + w)
            t0 = time.perf_counter()
            kern[blocks, tpb](t, t_hi, d_x0, lo, n_pad, d_plan, state)
            cuda.synchronize()  # Python (and a Ctrl-C) gets control back here
            if not CHUNK_STEPS:
                # per step of this chunk of trajectories; later chunks are no larger
                pace[0] = (time.perf_counter() - t0) / (t_hi - t)
                pace[1] = w
            t = t_hi
        if rec_here:
            out.pos[:, :, lo : lo + rec_here] = d_out.pos.copy_to_host()
            if rec_bl:
                out.bloss[:, :, lo : lo + rec_here] = d_out.bloss.copy_to_host()
        out.final[:, lo:hi] = d_out.final.copy_to_host()
        out.final_loss[:, lo:hi] = d_out.final_loss.copy_to_host()
        out.ev_t[:, lo:hi] = d_out.ev_t.copy_to_host()
        out.div_t[:, lo:hi] = d_out.div_t.copy_to_host()
