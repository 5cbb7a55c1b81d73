r"""The pieces of one step, written once for the three engines.

Every engine keeps its trajectories as *lanes*: arrays ``X[k, j]``
(coordinate ``k`` of lane ``j``) — a block of ``CPU_BLOCK`` trajectories in
the fused CPU engine, one trajectory per CUDA thread (``W = 1``), one row of
the batched engine viewed as ``(d, 1)``.  A step is

1. the gradient stage (``X`` -> ``F``, ``G``; :mod:`landscape.engine.stages`);
2. :func:`check_divergence` — freeze lanes with a non-finite loss or gradient
   or a coordinate beyond the bound, noting the step;
3. :func:`test_events` — first-passage steps of the run's events;
4. :func:`record_frame` — on recorded steps, positions (and mini-batch costs);
5. on update steps: :func:`add_noise` (counter-based, keyed by the global
   trajectory index, so no result depends on blocks, threads or chunks),
   :func:`begin_step` (learning rate of the schedule, running products and
   per-step scalars, once per optimizer and step) and the rule
   (:func:`landscape.optim._rules.update_lanes`).

Each function is compiled for the CPU with ``@njit`` and, unchanged, for the
GPU by :func:`landscape.engine.stages.device_version` (which swaps every
Numba function it calls for its device twin — so functions here call other
compiled functions by their bare names, never as ``module.attr``).
"""

from __future__ import annotations

from .._cache import jit
from .._rng import normal, stream_key
from .._typed import cst
from ..events import ENTER_BALL, LEAVE_BALL
from ..optim._rules import HP_LR, next_scalars, rule_of
from ..optim.schedules import CONSTANT, R_WARMUP, factor_at

__all__ = [
    "add_noise", "begin_step", "check_divergence", "optimizer_of", "record_frame", "test_events",
]  # fmt: skip


@jit(inline="always")
def optimizer_of(plan, o):
    """``(kind, rule, hp row, schedule kind, schedule row, batch size)`` of optimizer ``o``.

    Inlined: it returns array rows, which must not cross between kernels
    compiled with and without reference counting (NRT) — that corrupted the
    heap (an abort at exit) when a user's NRT kernel followed a no-NRT one.
    """
    kind = plan.kinds[o]
    return kind, rule_of(kind), plan.hp[o], plan.skinds[o], plan.srows[o], plan.batch[o]


@jit(_nrt=False)
def begin_step(kind, hp, skind, srow, t, run, sc):
    """Per-step scalars of update ``t + 1`` into ``sc``: schedule, running products, rule scalars."""
    lr_t = hp[HP_LR]
    if skind != CONSTANT or srow[R_WARMUP] > 0.0:
        lr_t *= factor_at(skind, srow, t)
    next_scalars(kind, hp, lr_t, t, run, sc)


@jit(_nrt=False)
def check_divergence(t, X, G, F, bound, big, live, DT, OK):
    """Freeze live lanes whose loss/gradient is not finite or whose ``|x_k|`` exceeds ``bound``.

    ``DT[j]`` becomes ``t`` and ``live[j]`` False for such a lane (its
    position is no longer updated).  ``bound``/``big`` (the dtype's largest
    number) are float64 and compared in ``X``'s dtype; ``OK`` is a bool
    workspace of one entry per lane.
    """
    d, W = X.shape
    xmax = cst(X, bound)
    fmax = cst(X, big)
    if W == 1:
        # one lane (a CUDA thread, a batched row): reduce over the coordinates
        ok = abs(F[0]) < fmax
        for k in range(d):
            ok = ok & (abs(X[k, 0]) <= xmax) & (abs(G[k, 0]) < fmax)
        OK[0] = ok
    else:
        # a block of lanes: lanes innermost, vectorised across trajectories
        for j in range(W):
            OK[j] = abs(F[j]) < fmax
        for k in range(d):
            for j in range(W):
                OK[j] = OK[j] & (abs(X[k, j]) <= xmax) & (abs(G[k, j]) < fmax)
    # a cheap any-reduction first; the per-lane bookkeeping is rare
    anybad = False
    for j in range(W):
        anybad |= live[j] & ~OK[j]
    if anybad:
        for j in range(W):
            if live[j] and not OK[j]:
                DT[j] = t
                live[j] = False


@jit(_nrt=False)
def test_events(t, X, F, ev_kind, ev_center, ev_val, live, ET, R2):
    """First step ``ET[e, j]`` at which live lane ``j`` meets event ``e`` (``-1``: not yet).

    Balls compare squared distances to ``ev_val`` (the squared radius),
    ``loss_below`` the loss; centres and levels are in ``X``'s dtype.
    ``R2`` is a workspace of one entry per lane.
    """
    d, W = X.shape
    zero = cst(X, 0.0)
    for e in range(ev_kind.shape[0]):
        ek = ev_kind[e]
        thr = ev_val[e]
        if ek == ENTER_BALL or ek == LEAVE_BALL:
            if W == 1:  # one lane: reduce over the coordinates
                r2 = zero
                for k in range(d):
                    dx = X[k, 0] - ev_center[e, k]
                    r2 += dx * dx
                R2[0] = r2
            else:
                for j in range(W):
                    R2[j] = zero
                for k in range(d):
                    c = ev_center[e, k]
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


@jit(_nrt=False)
def record_frame(pos, bloss, o, f, j0, X, F, nrec):
    """Frame ``f`` of optimizer ``o``: ``pos[o, f, j0 + j] = X[:, j]`` for ``j < nrec``.

    With a mini-batch cost array (``bloss.shape[1] > 0``) also
    ``bloss[o, f, j0 + j] = F[j]``.  Frames are frame-major, so one frame of
    a block is one contiguous write.
    """
    d = X.shape[0]
    prow = pos[o, f]
    for k in range(d):
        for j in range(nrec):
            prow[j0 + j, k] = X[k, j]
    if bloss.shape[1] > 0:
        for j in range(nrec):
            bloss[o, f, j0 + j] = F[j]


@jit(_nrt=False)
def add_noise(G, sigma, seed_key, j0, t, nl):
    """``G[k, j] += sigma * z`` for lanes ``j < nl``, ``z`` the normal of (trajectory ``j0 + j``, step ``t``, ``k``)."""
    d = G.shape[0]
    for j in range(nl):
        key = stream_key(seed_key, j0 + j, t)
        for k in range(d):
            G[k, j] += sigma * normal(key, k)
