r"""The batched engine: BLAS gradients for every row, one fused Numba update per step.

High-dimensional surfaces (:mod:`landscape.surfaces.random`) compute their
gradient with matrix products, so the fused engine's lanes-innermost scalar
loops would leave most of the time on the table.  Here every trajectory of
every optimizer is one row of an ``(n_opt * n, d)`` matrix ``X`` (C order;
the rows of one optimizer are contiguous) and each step is

1. one ``surface.batched.value_and_grad(X, G)`` call on all rows (BLAS,
   in the run's dtype; frozen rows are computed too and simply not updated);
2. one call of a serial ``@njit(nogil=True)`` kernel that, row by row,
   checks divergence, tests the events, records the frame, adds the gradient
   noise (the step pieces of :mod:`landscape.engine._step`, shared with the
   fused engines, on the row as one lane), projects onto the sphere's
   tangent space when the surface lives on one, applies the optimizer's
   update rule (:func:`landscape.optim._rules.update_lanes`, on the row's
   contiguous coordinates) and retracts onto the sphere.

The kernel is serial on purpose: BLAS runs its own thread pool, and an
OpenMP ``prange`` loop next to it makes the two pools fight (see DESIGN,
"High-dim surfaces are GEMM-bound").  Everything the fused engine keys on
is keyed the same way here: the noise of trajectory ``j`` (index within its
optimizer) at step ``t`` is ``normal(stream_key(seed_key, j, t), k)``,
schedules, running products and per-step scalars come from
:func:`landscape.engine._step.begin_step` in the run's dtype, so both
engines give the same numbers on the same surface (to the rounding of the
gradient's matrix products).

On a sphere (``batched.manifold == "sphere"``, points on
:math:`\lVert x\rVert^2 = d`) each step is *projected and retracted*: the
(noisy) gradient is projected onto the tangent space,
:math:`g \leftarrow g - (g\cdot x/\lVert x\rVert^2)\,x`, the optimizer
updates ``x`` and its state as usual (states stay in ambient coordinates,
no parallel transport), and ``x`` is put back on the sphere,
:math:`x \leftarrow x\sqrt{d}/\lVert x\rVert`.
"""

from __future__ import annotations

import math

import numpy as np

from .._cache import jit
from .._fpenv import restore_fpenv, set_ftz
from .._typed import cst
from ..optim import _rules as R
from ..optim._rules import N_RUN, N_STATE, S_SIZE, rule_of, start
from . import _step
from .stages import inline_twin

__all__ = ["MANIFOLDS", "run"]

#: Values of ``Surface.batched.manifold`` the engine knows.
MANIFOLDS = (None, "sphere")


check_divergence, test_events, record_frame, add_noise, begin_step, update_lanes = (
    inline_twin(f) for f in (_step.check_divergence, _step.test_events, _step.record_frame,
                             _step.add_noise, _step.begin_step, R.update_lanes)
)  # fmt: skip


# nothing is allocated inside: compiled without reference counting, the
# per-row views cost no atomic increments
@jit(_nrt=False)
def _step_rows(t, n, X, G, F, S, live, DT, ET, RUN, SC, Z, ONES, OK, R2, plan, sphere):
    """Everything of step ``t`` after the gradient, for all ``n_opt * n`` rows.

    Rows ``o * n + j`` (optimizer ``o``, trajectory ``j``).  State that
    lives across steps: ``S`` (rule state, ``(N, N_STATE, d)``), ``live``,
    ``DT`` (divergence step), ``ET`` (event steps), ``RUN`` (running
    products per optimizer).  ``SC`` (n_opt, S_SIZE), ``Z`` (d, 1),
    ``ONES`` (d,), ``OK`` and ``R2`` (1,) are workspaces.  Each row is one
    lane ``(d, 1)`` for the divergence, event, recording and noise pieces,
    and ``d`` lanes ``(1, d)`` for the update (contiguous coordinates).
    """
    old_env = 0
    if plan.ftz:
        old_env = set_ftz()
    n_opt = plan.kinds.shape[0]
    d = X.shape[1]
    zero = cst(X, 0.0)
    dd = cst(X, d)
    update = t < plan.steps
    if update:
        for o in range(n_opt):
            begin_step(plan.kinds[o], plan.hp[o], plan.skinds[o], plan.srows[o], t, RUN[o], SC[o])
    recording = plan.rec_n > 0 and t % plan.rec_every == 0
    f = t // plan.rec_every if recording else 0
    for j in range(n):
        have_noise = False
        for o in range(n_opt):
            r = o * n + j
            x = X[r]
            g = G[r]
            x1 = x.reshape((d, 1))
            lv = live[r : r + 1]
            check_divergence(t, x1, g.reshape((d, 1)), F[r : r + 1], plan.bound, plan.big, lv,
                             DT[r : r + 1], OK)  # fmt: skip
            test_events(t, x1, F[r : r + 1], plan.ev_kind, plan.ev_center, plan.ev_val, lv,
                        ET[r].reshape((ET.shape[1], 1)), R2)  # fmt: skip
            if recording and j < plan.rec_n:
                record_frame(plan.out.pos, plan.out.bloss, o, f, j, x1, F[r : r + 1], 1)
            if not update or not live[r]:
                continue
            if plan.sigma > 0.0:
                if not have_noise:
                    # one draw per (trajectory, step): the same under every optimizer
                    for k in range(d):
                        Z[k, 0] = 0.0
                    add_noise(Z, 1.0, plan.seed_key, plan.traj0 + j, t, 1)
                    have_noise = True
                for k in range(d):
                    g[k] += plan.sigma * Z[k, 0]
            if sphere:
                gx = zero
                xx = zero
                for k in range(d):
                    gx += g[k] * x[k]
                    xx += x[k] * x[k]
                c = gx / xx
                for k in range(d):
                    g[k] -= c * x[k]
            update_lanes(rule_of(plan.kinds[o]), x.reshape((1, d)), g.reshape((1, d)),
                         S[r].reshape((N_STATE, 1, d)), ONES, SC[o])  # fmt: skip
            if sphere:
                xx = zero
                for k in range(d):
                    xx += x[k] * x[k]
                c = math.sqrt(dd / xx)
                for k in range(d):
                    x[k] *= c
    if plan.ftz:
        restore_fpenv(old_env)


def retract(X0: np.ndarray) -> np.ndarray:
    """Rows of ``X0`` scaled onto the sphere :math:`\\lVert x\\rVert^2 = d` (float64)."""
    norms = np.sqrt(np.einsum("ij,ij->i", X0, X0))
    if np.any(norms == 0.0):
        bad = int(np.flatnonzero(norms == 0.0)[0])
        raise ValueError(
            f"x0 must have nonzero rows on a sphere surface (they are scaled onto |x|^2 = d), "
            f"got a zero row {bad}"
        )
    return X0 * (math.sqrt(X0.shape[1]) / norms)[:, None]


def _loss_row(F, N, dt):
    F = np.asarray(F)
    if F.shape != (N,):
        F = F.reshape(-1)
        if F.shape != (N,):
            raise ValueError(
                f"surface.batched.value_and_grad must return the loss of each row, shape ({N},), "
                f"got shape {np.shape(F)}"
            )
    if F.dtype != dt or not F.flags.c_contiguous:
        F = np.ascontiguousarray(F, dtype=dt)
    return F


def run(surface, X0c, plan) -> None:
    """Run every optimizer from every start; fill ``plan.out`` (:class:`~landscape.engine.plan.Plan`) in place."""
    batched = surface.batched
    out = plan.out
    dt = out.final.dtype
    n_opt = plan.n_opt
    n, d = X0c.shape
    N = n_opt * n
    sphere = getattr(batched, "manifold", None) == "sphere"
    X = np.empty((N, d), dtype=dt)
    for o in range(n_opt):
        X[o * n : (o + 1) * n] = X0c
    G = np.zeros((N, d), dtype=dt)
    S = np.zeros((N, N_STATE, d), dtype=dt)  # calloc: pages untouched by the rules cost nothing
    live = np.ones(N, dtype=np.bool_)
    DT = np.full(N, -1, dtype=np.int64)
    ET = np.full((N, plan.n_events), -1, dtype=np.int64)
    RUN = np.empty((n_opt, N_RUN))
    for o in range(n_opt):
        start(RUN[o])
    SC = np.empty((n_opt, S_SIZE), dtype=dt)
    Z = np.empty((d, 1))
    ONES = np.ones(d, dtype=np.bool_)
    OK = np.empty(1, dtype=np.bool_)
    R2 = np.empty(1, dtype=dt)
    F = None
    with np.errstate(all="ignore"):  # diverged rows are data, not warnings
        for t in range(plan.steps + 1):
            F = _loss_row(batched.value_and_grad(X, G), N, dt)
            _step_rows(t, n, X, G, F, S, live, DT, ET, RUN, SC, Z, ONES, OK, R2, plan, sphere)
    out.final[...] = X.reshape(n_opt, n, d)
    out.final_loss[...] = F.reshape(n_opt, n)
    out.div_t[...] = DT.reshape(n_opt, n)
    out.ev_t[...] = ET.reshape(n_opt, n, -1)
