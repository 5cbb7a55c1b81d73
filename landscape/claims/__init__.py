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

from .. import _validate as V
from ._measures import MEASURES, PARAM_CHECKS, STATS

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
            raise ValueError(
                f"{key} is not a parameter of measure {c.measure} (allowed: {allowed})"
            )
    for key in m.required:
        if key not in c.params:
            raise ValueError(f"{key} is required by measure {c.measure}")
    for key, v in c.params.items():
        PARAM_CHECKS[key](key, v)
    if m.per == "none":
        if c.of or c.less_than or c.more_than or c.all_different:
            raise ValueError(
                f"measure {c.measure} gives one number: use at_most / at_least, without of, "
                "less_than, more_than or all_different"
            )
    elif not c.of:
        raise ValueError(f"of is required by measure {c.measure} (the {m.per}s it is about)")
    if c.stat not in STATS:
        raise ValueError(f"stat must be one of {', '.join(STATS)}, got {c.stat!r}")
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
KEYS = (*_CLAIM_KEYS, *PARAM_CHECKS)


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
    res = ev.result
    if res is None:
        raise ValueError(f"measure {c.measure} needs a simulated Result")
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
            parts.append(
                f"{label}{fmt(v)} {'≥' if hi is None else '≤'} {fmt(lo if hi is None else hi)}"
            )
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
