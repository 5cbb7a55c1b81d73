"""The argument record every engine takes: a run packed as arrays and numbers.

:func:`landscape.simulate` validates its arguments and packs them once into
a :class:`Plan` — optimizers (kinds, hyperparameter rows, schedules, batch
sizes), the surface's parameters, steps and recording, noise, events, the
divergence bound — with the :class:`Outputs` the engine fills.  The fused
CPU kernel, the CUDA kernel (with device copies of the arrays) and the
batched engine read the same fields by name; Numba passes a named tuple of
arrays and numbers into compiled code field by field.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Outputs", "Plan"]


class Outputs(NamedTuple):
    """What a run fills, frame-major as the kernels write it."""

    #: ``(n_opt, n_frames, rec_n, d)`` recorded positions
    pos: np.ndarray
    #: ``(n_opt, n_frames, rec_n)`` mini-batch costs of recorded steps, or ``(n_opt, 0, 0)``
    bloss: np.ndarray
    #: ``(n_opt, n, d)`` final positions
    final: np.ndarray
    #: ``(n_opt, n)`` final losses
    final_loss: np.ndarray
    #: ``(n_opt, n, n_events)`` first-passage steps (``-1``: never)
    ev_t: np.ndarray
    #: ``(n_opt, n)`` divergence steps (``-1``: never)
    div_t: np.ndarray


class Plan(NamedTuple):
    """A whole run as data: one record instead of two dozen positional arguments."""

    #: ``(n_opt,)`` int64 optimizer kinds (:data:`landscape.optim._rules.KIND_NAMES`)
    kinds: np.ndarray
    #: ``(n_opt, HP_SIZE)`` float64 hyperparameter rows
    hp: np.ndarray
    #: ``(n_opt,)`` int64 schedule kinds
    skinds: np.ndarray
    #: ``(n_opt, ROW)`` float64 schedule rows
    srows: np.ndarray
    #: ``(n_opt,)`` int64 mini-batch sizes (0: the full batch / not a finite sum)
    batch: np.ndarray
    #: surface parameters in the run's dtype
    P: np.ndarray
    #: number of updates
    steps: int
    #: keep every ``rec_every``-th step (0: none)
    rec_every: int
    #: record the first ``rec_n`` trajectories
    rec_n: int
    #: gradient-noise scale (0: none)
    sigma: float
    #: key of the counter-based generator
    seed_key: np.uint64
    #: global index of the first trajectory: noise and mini-batch shuffles are keyed on
    #: ``traj0 + j``, so a run of starts ``a:b`` with ``traj0 = a`` is rows ``a:b`` of the whole
    traj0: int
    #: ``(E,)`` int64 event kinds
    ev_kind: np.ndarray
    #: ``(E, d)`` event centres in the run's dtype
    ev_center: np.ndarray
    #: ``(E,)`` squared radii / loss levels in the run's dtype
    ev_val: np.ndarray
    #: divergence bound on ``|x_k|``
    bound: float
    #: the dtype's largest finite number (a larger loss or gradient is not finite)
    big: float
    #: flush denormals to zero in the kernels' threads
    ftz: bool
    #: what the run fills
    out: Outputs

    @property
    def n_opt(self) -> int:
        """Number of optimizers."""
        return int(self.kinds.shape[0])

    @property
    def n_events(self) -> int:
        """Number of events."""
        return int(self.ev_kind.shape[0])

    @property
    def dtype(self):
        """The run's dtype."""
        return self.out.final.dtype


def plan(kinds, hp, skinds, srows, batch, P, steps, rec_every, rec_n, sigma, seed_key,
         events, bound, ftz, out: Outputs, traj0: int = 0) -> Plan:  # fmt: skip
    """A :class:`Plan` with every field in the type the kernels are compiled for.

    ``events`` is ``(kinds, centres, values)`` from :func:`landscape.events.pack`;
    centres and values are cast to the outputs' dtype (the kernels compare
    in it).
    """
    dt = out.final.dtype
    ev_kind, ev_center, ev_val = events
    return Plan(
        kinds=np.ascontiguousarray(kinds, dtype=np.int64),
        hp=np.ascontiguousarray(hp, dtype=np.float64),
        skinds=np.ascontiguousarray(skinds, dtype=np.int64),
        srows=np.ascontiguousarray(srows, dtype=np.float64),
        batch=np.ascontiguousarray(batch, dtype=np.int64),
        P=np.ascontiguousarray(P, dtype=dt),
        steps=int(steps),
        rec_every=int(rec_every),
        rec_n=int(rec_n),
        sigma=float(sigma),
        seed_key=np.uint64(seed_key),
        traj0=int(traj0),
        ev_kind=np.ascontiguousarray(ev_kind, dtype=np.int64),
        ev_center=np.ascontiguousarray(ev_center, dtype=dt),
        ev_val=np.ascontiguousarray(ev_val, dtype=dt),
        bound=float(bound),
        big=float(np.finfo(dt).max),
        ftz=bool(ftz),
        out=out,
    )
