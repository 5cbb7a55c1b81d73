"""The measures of :mod:`landscape.claims`: quantities computed from a run or a figure's data.

Each measure is ``fn(evidence, k, claim, **params) -> float`` (``k``: the
optimizer's index in the Result, a schedule's label, or None for figures
that give one number) and is registered in :data:`MEASURES` with the words
that describe it and its parameters, each checked by :data:`PARAM_CHECKS`
when a claim is made (before anything runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as V

__all__ = ["MEASURES", "PARAM_CHECKS", "STATS"]

STATS = ("median", "mean", "min", "max")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _result(ev):
    if ev.result is None:
        raise ValueError("this measure needs a simulated Result")
    return ev.result


def _surface(ev):
    surf = ev.surface if ev.surface is not None else getattr(ev.result, "surface", None)
    if surf is None:
        raise ValueError("this measure needs the surface the result was run on")
    return surf


def _recorded(res):
    if res.positions.ndim != 4 or res.positions.shape[2] == 0 or res.positions.shape[1] == 0:
        raise ValueError("this measure needs recorded frames (record_every > 0)")


def _alive(res, k: int, j: int) -> int:
    """Number of recorded frames before trajectory ``j`` of optimizer ``k`` diverged."""
    dv = int(res.diverged[k, j])
    steps = np.asarray(res.frame_steps)
    return len(steps) if dv < 0 else int(np.searchsorted(steps, dv, side="left"))


def _loss_array(res, which: str):
    if which == "loss":
        return res.loss
    if which == "batch_loss":
        if res.batch_loss is None:
            raise ValueError('loss = "batch_loss" needs a finite-sum surface run with mini-batches')
        return res.batch_loss
    raise ValueError(f'loss must be "loss" or "batch_loss", got {which!r}')


def _minima(surf) -> np.ndarray:
    mins = np.asarray(getattr(surf, "minima", np.zeros((0, surf.dim))), dtype=np.float64)
    if mins.ndim != 2 or len(mins) == 0:
        raise ValueError(f"surface {surf.name} lists no minima")
    return mins


def _nearest(points, mins) -> np.ndarray:
    d = np.linalg.norm(points[:, None, :] - mins[None, :, :], axis=2)
    return np.argmin(d, axis=1)


def _direction(surf, axis, start) -> np.ndarray:
    """A unit vector: coordinate ``axis`` or the steep/shallow Hessian eigenvector."""
    d = surf.dim
    if isinstance(axis, str):
        mins = _minima(surf)
        m = mins[_nearest(np.asarray(start, dtype=np.float64)[None, :], mins)[0]]
        w, vec = np.linalg.eigh(np.asarray(surf.hessian(m), dtype=np.float64))
        v = vec[:, -1] if axis == "steep" else vec[:, 0]
        return v / np.linalg.norm(v)
    if not 0 <= int(axis) < d:
        raise ValueError(f"axis must be a coordinate index in [0, {d}), got {axis}")
    e = np.zeros(d)
    e[int(axis)] = 1.0
    return e


def _per_traj(res, k, stat, trajectory, fn) -> float:
    """``stat`` over the recorded trajectories (or one ``trajectory``) of ``fn(k, j)``."""
    n = res.positions.shape[1] if res.positions.ndim == 4 else res.n
    if trajectory is not None:
        if not 0 <= trajectory < n:
            raise ValueError(f"trajectory must be in [0, {n}), got {trajectory}")
        return float(fn(k, trajectory))
    vals = np.array([fn(k, j) for j in range(n)], dtype=np.float64)
    return _reduce(vals, stat)


def _reduce(vals, stat) -> float:
    if vals.size == 0:
        return math.nan
    if stat == "median":
        return float(np.median(vals))
    if stat == "mean":
        return float(np.mean(vals))
    if stat == "min":
        return float(np.min(vals))
    return float(np.max(vals))


# --------------------------------------------------------------------------
# measures: fn(evidence, k, claim, **params) -> float  (k: optimizer index or label)
# --------------------------------------------------------------------------
def _first_below(ev, k, c, level, loss="loss"):
    res = _result(ev)
    _recorded(res)
    arr = _loss_array(res, loss)
    steps = np.asarray(res.frame_steps)
    level = V.real("level", level)

    def one(k, j):
        n = _alive(res, k, j)
        hit = np.nonzero(arr[k, j, :n] < level)[0]
        return float(steps[hit[0]]) if hit.size else math.inf

    return _per_traj(res, k, c.stat, c.trajectory, one)


def _final_loss(ev, k, c):
    res = _result(ev)
    fl = np.where(np.asarray(res.diverged[k]) >= 0, math.inf, np.asarray(res.final_loss[k]))
    if c.trajectory is not None:
        return float(fl[c.trajectory])
    return _reduce(fl.astype(np.float64), c.stat)


def _loss_at(ev, k, c, step):
    res = _result(ev)
    _recorded(res)
    steps = np.asarray(res.frame_steps)
    f = int(np.searchsorted(steps, step))
    if f >= len(steps) or steps[f] != step:
        raise ValueError(
            f"step {step} is not a recorded step (record_every = {steps[1] - steps[0] if len(steps) > 1 else 0})"
        )

    def one(k, j):
        return math.inf if _alive(res, k, j) <= f else float(res.loss[k, j, f])

    return _per_traj(res, k, c.stat, c.trajectory, one)


def _reversals(ev, k, c, axis, steps=None):
    res = _result(ev)
    _recorded(res)
    surf = _surface(ev)
    fsteps = np.asarray(res.frame_steps)
    upto = len(fsteps) if steps is None else int(np.searchsorted(fsteps, steps, side="right"))

    def one(k, j):
        pos = np.asarray(res.positions[k, j, : min(upto, _alive(res, k, j))], dtype=np.float64)
        u = _direction(surf, axis, pos[0])
        dx = np.diff(pos @ u)
        scale = max(float(np.abs(dx).max()) if dx.size else 0.0, 1e-300)
        dx = dx[np.abs(dx) > 1e-9 * scale]  # standing still is no reversal
        return float(np.count_nonzero(np.sign(dx[1:]) != np.sign(dx[:-1])))

    return _per_traj(res, k, c.stat, c.trajectory, one)


def _overshoot(ev, k, c, axis):
    res = _result(ev)
    _recorded(res)
    surf = _surface(ev)
    mins = _minima(surf)

    def one(k, j):
        pos = np.asarray(res.positions[k, j, : _alive(res, k, j)], dtype=np.float64)
        m = mins[_nearest(pos[-1:], mins)[0]]
        u = _direction(surf, axis, pos[0])
        s = (pos - m) @ u
        if s[0] == 0.0:
            return 0.0
        past = -np.sign(s[0]) * s  # > 0: on the far side of the minimum
        return float(max(0.0, past.max()) / abs(s[0]))

    return _per_traj(res, k, c.stat, c.trajectory, one)


def _rises(ev, k, c, loss="loss", steps=None):
    res = _result(ev)
    _recorded(res)
    arr = _loss_array(res, loss)
    fsteps = np.asarray(res.frame_steps)
    upto = len(fsteps) if steps is None else int(np.searchsorted(fsteps, steps, side="right"))

    def one(k, j):
        y = np.asarray(arr[k, j, : min(upto, _alive(res, k, j))], dtype=np.float64)
        if y.size < 2:
            return 0.0
        return float(np.mean(np.diff(y) > 0))

    return _per_traj(res, k, c.stat, c.trajectory, one)


def _decades(ev, k, c, loss="batch_loss", after=0):
    res = _result(ev)
    _recorded(res)
    arr = _loss_array(res, loss)
    f0 = int(np.searchsorted(np.asarray(res.frame_steps), after))

    def one(k, j):
        y = np.asarray(arr[k, j, f0 : _alive(res, k, j)], dtype=np.float64)
        y = y[np.isfinite(y) & (y > 0)]
        return float(np.log10(y.max() / y.min())) if y.size else 0.0

    return _per_traj(res, k, c.stat, c.trajectory, one)


def _late_distance(ev, k, c, last):
    res = _result(ev)
    _recorded(res)
    mins = _minima(_surface(ev))

    def one(k, j):
        if int(res.diverged[k, j]) >= 0:
            return math.inf
        pos = np.asarray(res.positions[k, j, -int(last) :], dtype=np.float64)
        d = np.linalg.norm(pos[:, None, :] - mins[None, :, :], axis=2).min(axis=1)
        return float(d.mean())

    return _per_traj(res, k, c.stat, c.trajectory, one)


def _check_event(res, event) -> None:
    if event not in res.events:
        raise ValueError(f"event must be one of {sorted(res.events)}, got {event!r}")


def _event_step(ev, k, c, event):
    from .. import stats

    res = _result(ev)
    _check_event(res, event)
    d = stats.times(res, event)[res.names[k]]
    return float(stats.kaplan_meier(d).median().value)


def _reached_by(ev, k, c, event, step):
    res = _result(ev)
    _check_event(res, event)
    t = np.asarray(res.events[event][k])
    return float(np.mean((t >= 0) & (t <= step)))


def _diverged(ev, k, c):
    return float(np.mean(np.asarray(_result(ev).diverged[k]) >= 0))


def _ends(res, k, mins):
    fin = np.asarray(res.final[k], dtype=np.float64)
    b = _nearest(fin, mins).astype(np.float64)
    b[np.asarray(res.diverged[k]) >= 0] = -1.0  # diverged: no basin
    return b


def _basin(ev, k, c):
    res = _result(ev)
    b = _ends(res, k, _minima(_surface(ev)))
    return float(b[0 if c.trajectory is None else c.trajectory])


def _basins(ev, k, c):
    res = _result(ev)
    b = _ends(res, k, _minima(_surface(ev)))
    return float(len(set(b[b >= 0].tolist())))


def _basin_disagreement(ev, k, c, other):
    res = _result(ev)
    mins = _minima(_surface(ev))
    return float(np.mean(_ends(res, k, mins) != _ends(res, res.index(other), mins)))


def _ewa_series(ev, beta, bias_correction):
    from .. import datasets
    from ..averages import ewa

    if ev.ewa is None:
        raise ValueError("this measure needs the EWA figure's data (days, seed)")
    theta = datasets.temperature(days=ev.ewa.get("days", 365), seed=ev.ewa.get("seed", 0))
    return theta, ewa(theta, V.beta("beta", beta), bias_correction=bias_correction)


def _ewa_start_shortfall(ev, k, c, beta, days=7, bias_correction=False):
    theta, v = _ewa_series(ev, beta, bool(bias_correction))
    days = V.integer("days", days, minimum=1)
    return float(1.0 - v[:days].mean() / theta[:days].mean())


def _ewa_lag(ev, k, c, beta, max_lag=120):
    theta, v = _ewa_series(ev, beta, True)
    # reference: a centred 31-day moving average (no lag, little noise)
    half = 15
    ref = np.convolve(theta, np.ones(2 * half + 1) / (2 * half + 1), mode="valid")
    vv = v[half : len(theta) - half]
    n = len(ref)
    best, arg = -np.inf, 0
    for lag in range(0, min(int(max_lag), n - 10)):
        r = np.corrcoef(vv[lag:], ref[: n - lag])[0, 1]
        if r > best:
            best, arg = r, lag
    return float(arg)


def _ewa_roughness(ev, k, c, beta):
    _, v = _ewa_series(ev, beta, True)
    return float(np.std(np.diff(v)))


def _ewa_window(ev, k, c, beta):
    beta = V.beta("beta", beta)
    # weights (1-b) b^i, i = 0, 1, ...: the first n hold 1 - b^n of the total
    return -1.0 / math.log(beta) if beta > 0 else 1.0


def _lr_fraction(ev, k, c, epoch):
    if ev.schedules is None:
        raise ValueError("this measure needs the figure's schedules")
    sched = ev.schedules[k]
    return float(np.asarray(sched.by_epoch([V.integer("epoch", epoch, minimum=1)], lr0=1.0))[0])


@dataclass(frozen=True)
class _Measure:
    fn: object
    what: str  # how the value reads: "first step with loss < {level}"
    per: str  # "optimizer", "schedule" or "none"
    params: tuple  # allowed parameter names
    required: tuple = ()
    integer: bool = False  # values print as integers


#: measure name -> how it is computed and described.
MEASURES = {
    "first_below": _Measure(_first_below, "first step with {loss} < {level}", "optimizer",
                            ("level", "loss"), ("level",), True),
    "final_loss": _Measure(_final_loss, "final loss", "optimizer", ()),
    "loss_at": _Measure(_loss_at, "loss at step {step}", "optimizer", ("step",), ("step",)),
    "reversals": _Measure(_reversals, "direction reversals along the {axis} axis{steps_in}",
                          "optimizer", ("axis", "steps"), ("axis",), True),
    "overshoot": _Measure(_overshoot, "overshoot past the minimum along the {axis} axis "
                          "(fraction of the start's offset)", "optimizer", ("axis",), ("axis",)),
    "rises": _Measure(_rises, "fraction of steps where {loss} rises{steps_in}", "optimizer",
                      ("loss", "steps")),
    "decades": _Measure(_decades, "decades spanned by {loss} after step {after}", "optimizer",
                        ("loss", "after")),
    "late_distance": _Measure(_late_distance, "mean distance to the minimum over the last "
                              "{last} frames", "optimizer", ("last",), ("last",)),
    "event_step": _Measure(_event_step, "median step of event {event!r}", "optimizer",
                           ("event",), ("event",), True),
    "reached_by": _Measure(_reached_by, "fraction with event {event!r} by step {step}",
                           "optimizer", ("event", "step"), ("event", "step")),
    "diverged": _Measure(_diverged, "fraction diverged", "optimizer", ()),
    "basin": _Measure(_basin, "minimum reached (index in surface.minima)", "optimizer", (),
                      (), True),
    "basins": _Measure(_basins, "different minima reached", "optimizer", (), (), True),
    "basin_disagreement": _Measure(_basin_disagreement, "fraction of starts ending in a "
                                   "different basin than {other}", "optimizer", ("other",),
                                   ("other",)),
    "ewa_start_shortfall": _Measure(_ewa_start_shortfall, "first-{days}-day shortfall of the "
                                    "β = {beta} average{bc}", "none",
                                    ("beta", "days", "bias_correction"), ("beta",)),
    "ewa_lag": _Measure(_ewa_lag, "lag (days) of the β = {beta} average", "none", ("beta",),
                        ("beta",), True),
    "ewa_roughness": _Measure(_ewa_roughness, "day-to-day std of the β = {beta} average", "none",
                              ("beta",), ("beta",)),
    "ewa_window": _Measure(_ewa_window, "days holding 1 − 1/e of the β = {beta} weights", "none",
                           ("beta",), ("beta",)),
    "lr_fraction": _Measure(_lr_fraction, "learning rate at epoch {epoch} / α₀", "schedule",
                            ("epoch",), ("epoch",)),
}  # fmt: skip


# --------------------------------------------------------------------------
# validation and construction
# --------------------------------------------------------------------------
def _axis(name, v):
    if isinstance(v, str):
        if v not in ("steep", "shallow"):
            raise ValueError(f'{name} must be "steep", "shallow" or a coordinate index, got {v!r}')
        return v
    return V.integer(name, v, minimum=0)


def _loss_name(name, v):
    if v not in ("loss", "batch_loss"):
        raise ValueError(f'{name} must be "loss" or "batch_loss", got {v!r}')
    return v


def _text(name, v):
    if not isinstance(v, str) or not v:
        raise ValueError(f"{name} must be a name (a string), got {v!r}")
    return v


def _flag(name, v):
    if not isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{name} must be true or false, got {v!r}")
    return bool(v)


#: parameter -> check(name, value), run when a claim is made (before any simulation)
PARAM_CHECKS = {
    "level": V.real,
    "loss": _loss_name,
    "step": lambda n, v: V.integer(n, v, minimum=0),
    "steps": lambda n, v: V.integer(n, v, minimum=1),
    "after": lambda n, v: V.integer(n, v, minimum=0),
    "last": lambda n, v: V.integer(n, v, minimum=1),
    "axis": _axis,
    "event": _text,
    "other": _text,
    "beta": V.beta,
    "days": lambda n, v: V.integer(n, v, minimum=1),
    "bias_correction": _flag,
    "epoch": lambda n, v: V.integer(n, v, minimum=1),
}
