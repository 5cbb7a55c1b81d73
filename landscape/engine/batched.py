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
   noise, projects onto the sphere's tangent space when the surface lives on
   one, applies the optimizer's update rule (the functions of
   :mod:`landscape.optim._rules`) and retracts onto the sphere.

The kernel is serial on purpose: BLAS runs its own thread pool, and an
OpenMP ``prange`` loop next to it makes the two pools fight (see DESIGN,
"High-dim surfaces are GEMM-bound").  Everything the fused engine keys on
is keyed the same way here: the noise of trajectory ``j`` (index within its
optimizer) at step ``t`` is ``normal(stream_key(seed_key, j, t), k)``,
schedules are ``factor_at(kind, row, t)``, the bias-correction powers are
running products and the per-step scalars come from
:func:`landscape.optim._rules.step_scalars` in the run's dtype, so both
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
from numba import njit

from .. import _config
from .._fpenv import restore_fpenv, set_ftz
from .._rng import normal, stream_key
from .._typed import cst
from ..events import ENTER_BALL, LEAVE_BALL
from ..optim import _rules as R
from ..optim.schedules import CONSTANT, R_WARMUP, factor_at

__all__ = ["MANIFOLDS", "run"]

#: Values of ``Surface.batched.manifold`` the engine knows.
MANIFOLDS = (None, "sphere")


@njit(inline="always", **_config.NJIT_OPTIONS)
def _update_row(rule, x, g, m, v, s):
    """One optimizer step on a row (``x``, ``m``, ``v`` updated in place).

    ``s`` holds the step's scalars (:func:`landscape.optim._rules.step_scalars`)
    in the row's dtype; each loop runs over contiguous coordinates.
    """
    d = x.shape[0]
    a = s[R.S_A]
    if rule == R.RULE_GD:
        for k in range(d):
            x[k] = R.gd(x[k], g[k], a)
    elif rule == R.RULE_MOM:
        b1 = s[R.S_B1]
        c1 = s[R.S_C1]
        for k in range(d):
            x[k], m[k] = R.momentum(x[k], g[k], m[k], a, b1, c1)
    elif rule == R.RULE_NAG:
        b1 = s[R.S_B1]
        for k in range(d):
            x[k], m[k] = R.nesterov(x[k], g[k], m[k], a, b1)
    elif rule == R.RULE_RMS:
        b2 = s[R.S_B2]
        c2 = s[R.S_C2]
        e = s[R.S_E]
        for k in range(d):
            x[k], v[k] = R.rms(x[k], g[k], v[k], a, b2, c2, e)
    else:
        b1 = s[R.S_B1]
        c1 = s[R.S_C1]
        b2 = s[R.S_B2]
        c2 = s[R.S_C2]
        e = s[R.S_E]
        dec = s[R.S_DECAY]
        for k in range(d):
            x[k], m[k], v[k] = R.adam(x[k], g[k], m[k], v[k], a, b1, c1, b2, c2, e, dec)


@njit(**_config.NJIT_OPTIONS)
def _step(
    t, steps, n, X, G, F, M, V, live, DT, ET, b1t, b2t, SC, Z,
    kinds, hp, skinds, srows, sigma, seed_key, ev_kind, ev_center, ev_val, bound, ftz, sphere,
    rec_every, rec_n, pos,
):  # fmt: skip
    """Everything of step ``t`` after the gradient, for all ``n_opt * n`` rows.

    Rows ``o * n + j`` (optimizer ``o``, trajectory ``j``).  State that
    lives across steps: ``M``, ``V`` (optimizer moments), ``live``, ``DT``
    (divergence step), ``ET`` (event steps), ``b1t``, ``b2t`` (running
    bias-correction powers per optimizer).  ``SC`` (n_opt, S_SIZE) and ``Z``
    (d,) are workspaces.
    """
    old_env = 0
    if ftz:
        old_env = set_ftz()
    n_opt = kinds.shape[0]
    d = X.shape[1]
    n_ev = ev_kind.shape[0]
    dt = X.dtype
    big = np.finfo(dt).max
    xmax = cst(X, bound)
    zero = cst(X, 0.0)
    dd = cst(X, d)
    update = t < steps
    if update:
        for o in range(n_opt):
            lr_t = hp[o, R.HP_LR]
            if skinds[o] != CONSTANT or srows[o, R_WARMUP] > 0.0:
                lr_t *= factor_at(skinds[o], srows[o], t)
            b1t[o] *= hp[o, R.HP_B1]
            b2t[o] *= hp[o, R.HP_B2]
            R.step_scalars(kinds[o], hp[o], lr_t, b1t[o], b2t[o], SC[o])
    recording = rec_n > 0 and t % rec_every == 0
    f = t // rec_every if recording else 0
    for j in range(n):
        have_noise = False
        for o in range(n_opt):
            r = o * n + j
            x = X[r]
            g = G[r]
            if live[r]:
                # divergence: non-finite loss/gradient or a coordinate beyond the bound
                ok = abs(F[r]) < big
                for k in range(d):
                    ok = ok & (abs(x[k]) <= xmax) & (abs(g[k]) < big)
                if not ok:
                    DT[r] = t
                    live[r] = False
            if live[r]:
                for e in range(n_ev):
                    if ET[r, e] >= 0:
                        continue
                    ek = ev_kind[e]
                    thr = cst(X, ev_val[e])
                    if ek == ENTER_BALL or ek == LEAVE_BALL:
                        r2 = zero
                        for k in range(d):
                            dx = x[k] - cst(X, ev_center[e, k])
                            r2 += dx * dx
                        hit = (r2 < thr) if ek == ENTER_BALL else (r2 > thr)
                    else:
                        hit = F[r] < thr
                    if hit:
                        ET[r, e] = t
            if recording and j < rec_n:
                prow = pos[o, f, j]
                for k in range(d):
                    prow[k] = x[k]
            if not update or not live[r]:
                continue
            if sigma > 0.0:
                if not have_noise:
                    # one draw per (trajectory, step): the same under every optimizer
                    key = stream_key(seed_key, j, t)
                    for k in range(d):
                        Z[k] = normal(key, k)
                    have_noise = True
                for k in range(d):
                    g[k] += sigma * Z[k]
            if sphere:
                gx = zero
                xx = zero
                for k in range(d):
                    gx += g[k] * x[k]
                    xx += x[k] * x[k]
                c = gx / xx
                for k in range(d):
                    g[k] -= c * x[k]
            _update_row(R.rule_of(kinds[o]), x, g, M[r], V[r], SC[o])
            if sphere:
                xx = zero
                for k in range(d):
                    xx += x[k] * x[k]
                c = math.sqrt(dd / xx)
                for k in range(d):
                    x[k] *= c
    if ftz:
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


def run(surface, dt, X0c, opt_data, steps, rec_every, rec_n, sigma, seed_key, ev, bound, ftz,
        out) -> None:  # fmt: skip
    """Run every optimizer from every start; fill the outputs of :func:`simulate` in place.

    ``opt_data = (kinds, hp, skinds, srows)``, ``ev = (ev_kind, ev_center, ev_val)``,
    ``out = (pos, final, final_loss, ev_t, div_t)`` shaped as in the fused engine.
    """
    batched = surface.batched
    kinds, hp, skinds, srows = opt_data
    ev_kind, ev_center, ev_val = ev
    pos, final, final_loss, ev_t, div_t = out
    n_opt = kinds.shape[0]
    n, d = X0c.shape
    N = n_opt * n
    sphere = getattr(batched, "manifold", None) == "sphere"
    X = np.empty((N, d), dtype=dt)
    for o in range(n_opt):
        X[o * n : (o + 1) * n] = X0c
    G = np.zeros((N, d), dtype=dt)
    M = np.zeros((N, d), dtype=dt)  # calloc: pages untouched by the rules cost nothing
    V = np.zeros((N, d), dtype=dt)
    live = np.ones(N, dtype=np.bool_)
    DT = np.full(N, -1, dtype=np.int64)
    ET = np.full((N, ev_kind.shape[0]), -1, dtype=np.int64)
    b1t = np.ones(n_opt)
    b2t = np.ones(n_opt)
    SC = np.empty((n_opt, R.S_SIZE), dtype=dt)
    Z = np.empty(d)
    rec_every_k = max(rec_every, 1)
    F = None
    with np.errstate(all="ignore"):  # diverged rows are data, not warnings
        for t in range(steps + 1):
            F = _loss_row(batched.value_and_grad(X, G), N, dt)
            _step(
                t, steps, n, X, G, F, M, V, live, DT, ET, b1t, b2t, SC, Z,
                kinds, hp, skinds, srows, sigma, seed_key, ev_kind, ev_center, ev_val, bound,
                ftz, sphere, rec_every_k, rec_n, pos,
            )  # fmt: skip
    final[...] = X.reshape(n_opt, n, d)
    final_loss[...] = F.reshape(n_opt, n)
    div_t[...] = DT.reshape(n_opt, n)
    ev_t[...] = ET.reshape(n_opt, n, -1)
