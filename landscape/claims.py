r"""Lessons as measured claims: a sentence, the quantity that makes it true, and a threshold.

A lesson such as "momentum arrives first" is only shown when a number
computed from the *same* simulated :class:`~landscape.Result` backs it.  A
:class:`Claim` names

* ``says`` — the words, as shown to people;
* ``measure`` — a quantity computed per optimizer from the Result (first
  step below a loss, direction reversals across an axis, median escape
  step, basin reached, ...) or, for figures that simulate nothing, from the
  figure's own data (the EWA of the temperatures, a schedule's value);
* a threshold that makes the words true: ``at_most`` / ``at_least`` (a
  number), ``less_than`` / ``more_than`` (another optimizer's value, times
  ``factor``), or ``all_different`` (every named optimizer a different value).

:func:`check` evaluates a claim on a :class:`Evidence` and returns a
:class:`Verdict` (holds or not, the values measured, one line of text).
Recipes list claims as ``[[claims]]`` tables (see :mod:`landscape.recipes`);
``landscape compare`` scenarios carry them as Python objects; tests check
that every one holds.

>>> c = Claim("momentum arrives first", "first_below", of=("momentum",),
...           less_than="gd", params={"level": 1e-4})        # doctest: +SKIP
>>> check(c, Evidence(result=res, surface=surf)).text       # doctest: +SKIP
'momentum arrives first: first step with loss < 0.0001: momentum 41 < gd 150  [holds]'

Measures
--------
Per optimizer (``of`` names optimizers of the Result; over several
trajectories the value is the ``stat`` — ``"median"`` by default, or
``"mean"``, ``"min"``, ``"max"`` — of the per-trajectory values, or the
value of one ``trajectory``):

``first_below(level, loss="loss")``
    First recorded step at which the loss (``"batch_loss"``: the mini-batch
    cost J^{t}) is below ``level``; ``inf`` if never.
``final_loss()``, ``loss_at(step)``
    The full cost at the end / at the recorded step ``step``.
``reversals(axis, steps=None)``
    How often the motion along ``axis`` changes direction within the first
    ``steps`` recorded steps: a zig-zag reverses every step.  ``axis`` is a
    coordinate index, ``"steep"`` or ``"shallow"`` (the Hessian's
    eigenvectors of largest/smallest eigenvalue at the minimum nearest the
    start).
``overshoot(axis)``
    How far the iterate goes past the minimum along ``axis``, as a fraction
    of the start's distance from it along that axis (0: never crosses).
``rises(loss="loss", steps=None)``
    Fraction of recorded steps at which the loss goes up.
``decades(loss="batch_loss", after=0)``
    log10(max / min) of the loss over recorded steps ``>= after``.
``late_distance(last)``
    Mean distance to the nearest known minimum over the last ``last``
    recorded frames.
``event_step(event)``
    Kaplan–Meier median of the event's first-passage step (``inf``: fewer
    than half reached it); ``stat`` is ignored (the median is the statistic).
``reached_by(event, step)``
    Fraction of trajectories whose event happened by ``step``.
``diverged()``
    Fraction of trajectories that diverged.
``basin()``
    Index (in ``surface.minima``) of the minimum nearest to where the
    trajectory ends (``trajectory``, default 0).
``basins()``
    How many different minima the trajectories end nearest to.
``basin_disagreement(other)``
    Fraction of starts at which this optimizer and ``other`` end nearest to
    different minima.

Figures that simulate nothing (one value each):

``ewa_start_shortfall(beta, days=7, bias_correction=False)``
    1 − mean(EWA) / mean(data) over the first ``days`` days: how far the
    average starts below the data (an uncorrected EWA starts near 0).
``ewa_lag(beta)``
    Lag (days) at which the bias-corrected EWA correlates best with a centred
    31-day moving average of the data (a smoother that does not lag).
``ewa_roughness(beta)``
    Standard deviation of the day-to-day change of the bias-corrected EWA.
``ewa_window(beta)``
    Days holding 1 − 1/e of the EWA's weight (about 1/(1−β)).
``lr_fraction(epoch)``
    A schedule's learning rate at ``epoch`` as a fraction of α₀
    (``of`` names schedules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate as V

__all__ = [
    "KEYS",
    "MEASURES",
    "Claim",
    "Evidence",
    "Verdict",
    "check",
    "check_all",
    "claim_from_table",
]

_STATS = ("median", "mean", "min", "max")


@dataclass(frozen=True)
class Evidence:
    """What a claim is measured on.

    ``result`` and ``surface`` for simulations; ``ewa`` (the recipe's
    ``days``, ``seed`` and ``betas``) for the EWA figure; ``schedules``
    (label -> Schedule) and ``lr0`` for the schedules figure.
    """

    result: object = None
    surface: object = None
    ewa: dict | None = None
    schedules: dict | None = None


@dataclass(frozen=True)
class Claim:
    """A lesson's sentence, the quantity behind it and the threshold that makes it true."""

    says: str
    measure: str
    of: tuple = ()
    params: dict = field(default_factory=dict)
    at_most: float | None = None
    at_least: float | None = None
    less_than: str | None = None
    more_than: str | None = None
    factor: float = 1.0
    all_different: bool = False
    stat: str = "median"
    trajectory: int | None = None

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class Verdict:
    """A claim measured: whether it holds, the values (label -> number) and a line of text."""

    claim: Claim
    holds: bool
    values: dict
    text: str

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _result(ev: Evidence):
    if ev.result is None:
        raise ValueError("this measure needs a simulated Result")
    return ev.result


def _surface(ev: Evidence):
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
        raise ValueError(f"step {step} is not a recorded step (record_every = {steps[1] - steps[0] if len(steps) > 1 else 0})")

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


def _times(res, event):
    from . import stats

    if event not in res.events:
        raise ValueError(f"event must be one of {sorted(res.events)}, got {event!r}")
    return stats.times(res, event)


def _event_step(ev, k, c, event):
    from . import stats

    res = _result(ev)
    d = _times(res, event)[res.names[k]]
    return float(stats.kaplan_meier(d).median().value)


def _reached_by(ev, k, c, event, step):
    res = _result(ev)
    t = np.asarray(res.events[event][k]) if event in res.events else _times(res, event)
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
    from . import datasets
    from .ewa import ewa

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
_PARAM_CHECKS = {
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


def validate(c: Claim) -> None:
    """Raise ``ValueError`` naming the field when ``c`` cannot be measured."""
    if not isinstance(c.says, str) or not c.says.strip():
        raise ValueError(f"says must be a non-empty sentence, got {c.says!r}")
    if c.measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {c.measure!r}")
    m = MEASURES[c.measure]
    for key in c.params:
        if key not in m.params:
            allowed = ", ".join(m.params) or "none"
            raise ValueError(f"{key} is not a parameter of measure {c.measure} (allowed: {allowed})")
    for key in m.required:
        if key not in c.params:
            raise ValueError(f"{key} is required by measure {c.measure}")
    for key, v in c.params.items():
        _PARAM_CHECKS[key](key, v)
    if m.per == "none":
        if c.of or c.less_than or c.more_than or c.all_different:
            raise ValueError(
                f"measure {c.measure} gives one number: use at_most / at_least, without of, "
                "less_than, more_than or all_different"
            )
    elif not c.of:
        raise ValueError(f"of is required by measure {c.measure} (the {m.per}s it is about)")
    if c.stat not in _STATS:
        raise ValueError(f"stat must be one of {', '.join(_STATS)}, got {c.stat!r}")
    rel = [c.at_most is not None, c.at_least is not None, c.less_than is not None,
           c.more_than is not None, bool(c.all_different)]  # fmt: skip
    if sum(rel) == 0:
        raise ValueError(
            "a claim needs a threshold: at_most, at_least, less_than, more_than or all_different"
        )
    if (c.less_than is not None) + (c.more_than is not None) + bool(c.all_different) > 1:
        raise ValueError("give only one of less_than, more_than, all_different")
    if c.all_different and len(c.of) < 2:
        raise ValueError("all_different needs at least two names in of")
    V.positive("factor", c.factor)
    for name in ("at_most", "at_least"):
        v = getattr(c, name)
        if v is not None and math.isnan(V.real(name, v, finite=False)):
            raise ValueError(f"{name} must be a number, got nan")


_CLAIM_KEYS = ("says", "measure", "of", "at_most", "at_least", "less_than", "more_than",
               "factor", "all_different", "stat", "trajectory")  # fmt: skip


#: every key a claim table may have (its own and the measures' parameters)
KEYS = (*_CLAIM_KEYS, *_PARAM_CHECKS)


def claim_from_table(t: dict) -> Claim:
    """A :class:`Claim` from a recipe's ``[[claims]]`` table (ValueError names the key)."""
    if not isinstance(t, dict):
        raise ValueError(f"must be a table {{ says = ..., measure = ..., ... }}, got {t!r}")
    for key in ("says", "measure"):
        if key not in t:
            raise ValueError(f"{key} is required")
    measure = t["measure"]
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    allowed = (*_CLAIM_KEYS, *MEASURES[measure].params)
    for key in t:
        if key not in allowed:
            raise ValueError(f"{key} is not a known key of a claim with measure {measure} "
                             f"(allowed: {', '.join(allowed)})")  # fmt: skip
    of = t.get("of", ())
    if isinstance(of, str):
        of = (of,)
    if not isinstance(of, (list, tuple)) or not all(isinstance(x, str) for x in of):
        raise ValueError(f"of must be a name or an array of names, got {of!r}")
    for key in ("less_than", "more_than", "stat"):
        if key in t and not isinstance(t[key], str):
            raise ValueError(f"{key} must be a string, got {t[key]!r}")
    if "all_different" in t and not isinstance(t["all_different"], bool):
        raise ValueError(f"all_different must be true or false, got {t['all_different']!r}")
    kw = {k: t[k] for k in _CLAIM_KEYS if k in t and k != "of"}
    if "trajectory" in kw:
        kw["trajectory"] = V.integer("trajectory", kw["trajectory"], minimum=0)
    params = {k: v for k, v in t.items() if k not in _CLAIM_KEYS}
    return Claim(of=tuple(of), params=params, **kw)


def names_used(c: Claim) -> list:
    """The optimizer (or schedule) names a claim refers to."""
    out = list(c.of)
    for key in ("less_than", "more_than"):
        if getattr(c, key) is not None:
            out.append(getattr(c, key))
    if "other" in c.params:
        out.append(c.params["other"])
    return out


# --------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------
def _fmt(v: float, integer: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    if math.isinf(v):
        return "never" if v > 0 else "-inf"
    if integer and float(v).is_integer():
        return str(int(v))
    return f"{v:.3g}"


def _describe(c: Claim) -> str:
    m = MEASURES[c.measure]
    p = {"loss": "loss", "steps_in": "", "bc": "", "after": 0, **c.params}
    if p["loss"] == "batch_loss":
        p["loss"] = "mini-batch cost"
    if c.params.get("steps") is not None:
        p["steps_in"] = f" in the first {c.params['steps']} steps"
    if c.measure == "late_distance" and int(c.params["last"]) == 1:
        return "distance to the nearest minimum at the end"
    if c.measure == "ewa_start_shortfall":
        p["bc"] = ", bias-corrected" if c.params.get("bias_correction") else ", uncorrected"
        p.setdefault("days", 7)
    try:
        return m.what.format(**p)
    except (KeyError, IndexError):  # pragma: no cover - a description missing a parameter
        return c.measure


def _index(ev: Evidence, c: Claim, name: str):
    m = MEASURES[c.measure]
    if m.per == "schedule":
        if ev.schedules is None or name not in ev.schedules:
            known = ", ".join(ev.schedules or ())
            raise ValueError(f"{name!r} is not a schedule of this figure (have: {known})")
        return name
    res = _result(ev)
    names = [str(n) for n in res.names]
    if name not in names:
        raise ValueError(f"{name!r} is not an optimizer of this run (have: {', '.join(names)})")
    return names.index(name)


def check(c: Claim, ev: Evidence) -> Verdict:
    """Measure ``c`` on ``ev``; raises ``ValueError`` when a name or measure does not apply."""
    m = MEASURES[c.measure]
    values = {}
    if m.per == "none":
        values[""] = float(m.fn(ev, None, c, **c.params))
    else:
        for name in dict.fromkeys(names_used(c)):
            if name == c.params.get("other"):
                _index(ev, c, name)
                continue
            values[name] = float(m.fn(ev, _index(ev, c, name), c, **c.params))
    subj = [""] if m.per == "none" else list(c.of)
    fmt = lambda v: _fmt(v, m.integer)  # noqa: E731
    parts, ok = [], True
    for name in subj:
        v = values[name]
        label = f"{name} " if name else ""
        lo, hi = c.at_least, c.at_most
        if lo is not None:
            ok &= v >= lo
        if hi is not None:
            ok &= v <= hi
        if lo is not None and hi is not None:
            bound = f"= {fmt(lo)}" if lo == hi else f"in [{fmt(lo)}, {fmt(hi)}]"
            parts.append(f"{label}{fmt(v)} {bound}")
        elif lo is not None or hi is not None:
            parts.append(f"{label}{fmt(v)} {'≥' if hi is None else '≤'} {fmt(lo if hi is None else hi)}")
        other = c.less_than if c.less_than is not None else c.more_than
        if other is not None:
            w = values[other]
            f = f" / {c.factor:g}" if c.factor != 1.0 and math.isfinite(w) else ""
            if c.less_than is not None:
                good = v * c.factor < w
                parts.append(f"{label}{fmt(v)} < {other} {fmt(w)}{f}")
            else:
                good = v > c.factor * w
                f = f"{c.factor:g} × " if c.factor != 1.0 and math.isfinite(w) else ""
                parts.append(f"{label}{fmt(v)} > {f}{other} {fmt(w)}")
            ok &= bool(good) and not math.isnan(v) and not math.isnan(w)
    if c.all_different:
        vs = [values[n] for n in c.of]
        ok &= len(set(vs)) == len(vs)
        parts.append("all different: " + ", ".join(f"{n} {fmt(values[n])}" for n in c.of))
    ok = bool(ok) and not any(math.isnan(values[n]) for n in subj)
    text = f"{c.says}: {_describe(c)}: {'; '.join(parts)}  [{'holds' if ok else 'FAILS'}]"
    return Verdict(c, ok, values, text)


def check_all(claims, ev: Evidence) -> list:
    """:func:`check` every claim; a list of :class:`Verdict`."""
    return [check(c, ev) for c in claims]
