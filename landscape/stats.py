r"""First-passage (escape-time) statistics from a :class:`~landscape.Result`.

A :class:`~landscape.Result` stores, per optimizer and trajectory, the step
at which each event first happened (``result.events[name]``, -1 if it did not
happen by the end) and the step at which the trajectory diverged
(``result.diverged``, -1 if it did not).  This module turns those arrays into
right-censored survival data and summarises them.

Event-time semantics
--------------------
* An event time ``t >= 0`` is the number of updates made when the condition
  first held (0: it already held at the start).  It is an **observed** time.
* ``-1`` means the event did not happen within the run: the trajectory is
  **right-censored** at ``result.steps`` (it might still escape later).
* A trajectory that **diverged** at step ``s`` before reaching the event is
  right-censored at ``s`` (the kernels stop checking events once a
  trajectory is frozen).  The diverged fraction is reported separately
  (:func:`diverged_fraction`), never merged into "escaped".
* Censored trajectories are **never** counted as escaped: raw fractions
  (:func:`escaped_fraction`) count only observed times, Kaplan–Meier curves
  (:func:`survival`) only drop at observed times, and a quantile the curve
  does not reach is reported as ``inf`` (``> horizon``), not as the horizon.

Estimators
----------
* Kaplan–Meier survival curves and their pointwise confidence bands
  (Greenwood variance, ``"log-log"`` or ``"linear"`` transform) come from
  :func:`scipy.stats.ecdf` on :class:`scipy.stats.CensoredData`.
* Quantiles: :math:`\hat q_p = \min\{t : \hat S(t) \le 1 - p\}`; their
  confidence interval is read off the band the same way (the lower limit
  is where the band's lower edge crosses :math:`1 - p`, the upper limit where
  its upper edge does, ``inf`` if it never does) — the Brookmeyer–Crowley
  construction, which scipy does not provide.
* Mean of the escaped times: a bootstrap interval
  (:func:`scipy.stats.bootstrap`, percentile) for up to
  ``BOOTSTRAP_MAX`` escaped trajectories, a normal (CLT) interval above
  that (the bootstrap of a mean of 10⁶ values adds nothing but time).
* Pairwise comparison of optimizers: the log-rank test
  (:func:`scipy.stats.logrank`).

Degenerate data (no trajectory, no observed event, a single value) is
handled explicitly (``nan``/``inf`` results, never a warning).
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

__all__ = [
    "BOOTSTRAP_MAX",
    "Estimate",
    "LogrankResult",
    "Summary",
    "Survival",
    "Times",
    "compare",
    "diverged_fraction",
    "escaped_fraction",
    "kaplan_meier",
    "logrank",
    "logrank_times",
    "mean_escaped",
    "quantiles",
    "summary",
    "summary_row",
    "survival",
    "times",
]

BOOTSTRAP_MAX = 20_000
_CI_UNDEFINED = "The confidence interval is undefined"
_TOL = 1e-12


# --------------------------------------------------------------------------
# censored durations
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Times:
    """Right-censored durations of one optimizer's trajectories.

    Attributes
    ----------
    time : ndarray of float, shape (n,)
        Event step if ``observed``, else the censoring step (the divergence
        step for diverged trajectories, ``horizon`` for the others).
    observed : ndarray of bool, shape (n,)
        The event happened (``time`` is an escape time).
    diverged : ndarray of bool, shape (n,)
        The trajectory diverged (at any step, before or after the event).
    horizon : int
        Number of steps of the run (``result.steps``).
    """

    time: np.ndarray
    observed: np.ndarray
    diverged: np.ndarray
    horizon: int

    @classmethod
    def from_arrays(cls, event, diverged=None, horizon: int | None = None) -> Times:
        """Build from raw ``event`` steps (-1 = censored) and ``diverged`` steps."""
        ev = np.asarray(event, dtype=np.int64).ravel()
        dv = (
            np.full(ev.shape, -1, np.int64)
            if diverged is None
            else np.asarray(diverged, dtype=np.int64).ravel()
        )
        if dv.shape != ev.shape:
            raise ValueError(f"diverged must have shape {ev.shape}, got {dv.shape}")
        top = int(max(ev.max(initial=0), dv.max(initial=0)))
        horizon = top if horizon is None or horizon <= 0 else int(horizon)
        if top > horizon:
            raise ValueError(f"event or divergence steps exceed the horizon {horizon}")
        observed = ev >= 0
        t = np.where(observed, ev, np.where(dv >= 0, dv, horizon)).astype(np.float64)
        return cls(t, observed, dv >= 0, horizon)

    @property
    def n(self) -> int:
        """Number of trajectories."""
        return int(self.time.shape[0])

    def censored_data(self) -> _st.CensoredData:
        """The same data as :class:`scipy.stats.CensoredData`."""
        return _st.CensoredData(
            uncensored=self.time[self.observed], right=self.time[~self.observed]
        )


def _check_event(result, event: str) -> np.ndarray:
    if event not in result.events:
        raise ValueError(f"event must be one of {sorted(result.events)}, got {event!r}")
    return np.asarray(result.events[event])


def times(result, event: str) -> dict[str, Times]:
    """Censored durations of ``event`` per optimizer name (see module docstring).

    ``result`` may also be a labelled dataset (:meth:`landscape.Result.to_xarray`,
    a stored study: :func:`landscape.study.open_result`) narrowed with
    ``.sel(...)`` to one axis besides ``trajectory``: its values (as text)
    are then the names, e.g. ``survival(ds.sel(dim=10, beta=0.9), "escaped")``
    gives one curve per learning rate.  So every function here works on it.
    """
    if hasattr(result, "data_vars"):
        return _dataset_times(result, event)
    ev = _check_event(result, event)
    div = np.asarray(result.diverged)
    return {
        name: Times.from_arrays(ev[i], div[i], result.steps) for i, name in enumerate(result.names)
    }


def _dataset_times(ds, event: str) -> dict[str, Times]:
    """:func:`times` of an xarray dataset with one axis left besides trajectory (and event)."""
    axis, names, ev, div = _dataset_arrays(ds, event)
    horizon = int(ds.attrs["steps"])
    return {n: Times.from_arrays(ev[i], div[i], horizon) for i, n in enumerate(names)}


def _dataset_arrays(ds, event: str | None):
    """``(axis, names, event steps (k, n), divergence steps (k, n))`` of a dataset narrowed to
    one axis besides ``trajectory`` (``event=None``: the divergence steps only)."""
    axis = _dataset_axis(ds)
    if event is not None and ("event_step" not in ds or event not in
                              [str(e) for e in ds["event"].values]):  # fmt: skip
        have = [str(e) for e in ds["event"].values] if "event" in ds.coords else []
        raise ValueError(f"event must be one of {have}, got {event!r}")
    div = ds["diverged"].transpose(axis, "trajectory").values
    ev = None
    if event is not None:
        ev = ds["event_step"].sel(event=event).transpose(axis, "trajectory").values
    return axis, [str(v) for v in ds[axis].values], ev, div


def _dataset_axis(ds) -> str:
    """The one axis of a narrowed dataset besides ``trajectory`` (its values name the curves);
    read from the dimensions alone."""
    if "diverged" not in ds:
        raise ValueError('the dataset has no "diverged" (a study keeps it with "diverged" in '
                         "keep.what): escape times are censored at divergence")  # fmt: skip
    left = [d for d in ds["diverged"].dims if d != "trajectory"]
    if not left:
        raise ValueError("the dataset must have one axis left besides trajectory (its values "
                         "name the curves); it has none: select fewer axes")  # fmt: skip
    if len(left) != 1:
        raise ValueError(
            "the dataset must have one axis left besides trajectory (its values name the curves); "
            f"it has {left}: select the others first, e.g. ds.sel("
            + ", ".join(f"{d}=..." for d in left[1:])
            + ")"
        )
    return left[0]


# --------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval (``inf``: beyond the data)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Survival:
    r"""A Kaplan–Meier survival curve :math:`\hat S(t) = P(T > t)` with its band.

    ``survival[i]``, ``low[i]``, ``high[i]`` hold on ``[time[i], time[i+1])``
    (right-continuous step function, 1 before ``time[0]``).  ``time`` lists
    every distinct observed or censoring step.  Where the band is undefined
    (the curve is exactly 0 or 1) it is set to the curve itself.
    """

    time: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    n_events: int
    n_diverged: int
    horizon: int
    confidence: float

    def at(self, t):
        r""":math:`\hat S(t)` at step(s) ``t`` (array-like or scalar)."""
        return self._eval(self.survival, t)

    def band_at(self, t):
        """Lower and upper band at step(s) ``t``."""
        return self._eval(self.low, t), self._eval(self.high, t)

    def _eval(self, arr, t):
        t = np.asarray(t, dtype=np.float64)
        idx = np.searchsorted(self.time, t, side="right") - 1
        out = np.where(idx >= 0, arr[np.clip(idx, 0, None)] if arr.size else 1.0, 1.0)
        return float(out) if out.ndim == 0 else out

    def quantile(self, p: float) -> Estimate:
        r"""Step by which a fraction ``p`` has escaped, with its confidence interval.

        :math:`\min\{t : \hat S(t) \le 1 - p\}`; ``inf`` where the curve (or
        the band's edge) never gets that low within the run: the quantile
        lies beyond the horizon.
        """
        if not 0.0 < p < 1.0:
            raise ValueError(f"p must be in (0, 1), got {p!r}")
        level = 1.0 - p + _TOL
        return Estimate(
            _first(self.time, self.survival <= level),
            _first(self.time, self.low <= level),
            _first(self.time, self.high <= level),
        )

    def median(self) -> Estimate:
        """:meth:`quantile` at 1/2."""
        return self.quantile(0.5)

    def steps(self, last: int | None = None):
        """``(x, y, low, high)`` ready for ``ax.step(..., where="post")`` from step 0."""
        last = self.horizon if last is None else int(last)
        x = np.concatenate([[0.0], self.time, [float(last)]])
        y = np.concatenate(
            [[1.0], self.survival, [self.survival[-1] if self.survival.size else 1.0]]
        )
        lo = np.concatenate([[1.0], self.low, [self.low[-1] if self.low.size else 1.0]])
        hi = np.concatenate([[1.0], self.high, [self.high[-1] if self.high.size else 1.0]])
        return x, y, lo, hi


def _first(time, mask) -> float:
    if not mask.any():
        return math.inf
    return float(time[int(np.argmax(mask))])


def kaplan_meier(data, *, confidence: float = 0.95, method: str = "log-log") -> Survival:
    """Kaplan–Meier curve of a :class:`Times` (scipy's ``ecdf`` + Greenwood band).

    ``method`` is scipy's band transform, ``"log-log"`` (default, stays in
    [0, 1]) or ``"linear"``.
    """
    if not isinstance(data, Times):
        raise ValueError(f"data must be a landscape.stats.Times, got {type(data).__name__}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if method not in ("log-log", "linear"):
        raise ValueError(f"method must be 'log-log' or 'linear', got {method!r}")
    common = dict(
        n=data.n,
        n_events=int(data.observed.sum()),
        n_diverged=int(data.diverged.sum()),
        horizon=data.horizon,
        confidence=confidence,
    )
    if data.n == 0:
        e = np.zeros(0)
        return Survival(e, e, e, e, **common)
    sf = _st.ecdf(data.censored_data()).sf
    t = np.asarray(sf.quantiles, dtype=np.float64)
    s = np.asarray(sf.probabilities, dtype=np.float64)
    if common["n_events"] == 0:
        return Survival(t, s, s.copy(), s.copy(), **common)
    with warnings.catch_warnings():
        # the Greenwood band is undefined where S is 0 or 1: filled in below
        warnings.filterwarnings("ignore", message=_CI_UNDEFINED, category=RuntimeWarning)
        ci = sf.confidence_interval(confidence, method=method)
    lo = np.asarray(ci.low.probabilities, dtype=np.float64)
    hi = np.asarray(ci.high.probabilities, dtype=np.float64)
    lo = np.where(np.isnan(lo), s, lo)
    hi = np.where(np.isnan(hi), s, hi)
    return Survival(t, s, lo, hi, **common)


def survival(
    result, event: str, *, confidence: float = 0.95, method: str = "log-log"
) -> dict[str, Survival]:
    """Kaplan–Meier curve of ``event`` per optimizer name."""
    return {
        name: kaplan_meier(d, confidence=confidence, method=method)
        for name, d in times(result, event).items()
    }


def quantiles(
    result, event: str, ps=(0.25, 0.5, 0.75), *, confidence: float = 0.95
) -> dict[str, dict[float, Estimate]]:
    """``{name: {p: Estimate}}``: escape-step quantiles with confidence intervals."""
    return {
        name: {float(p): s.quantile(float(p)) for p in ps}
        for name, s in survival(result, event, confidence=confidence).items()
    }


# --------------------------------------------------------------------------
# fractions
# --------------------------------------------------------------------------
def escaped_fraction(result, event: str, t: int | None = None) -> np.ndarray:
    """Fraction of ALL trajectories with an observed event at step ``<= t``, per optimizer.

    ``t=None``: by the end of the run.  Censored and diverged-before-escape
    trajectories count as not escaped (this is the raw fraction, a lower
    bound on ``1 - S(t)`` of the Kaplan–Meier curve when some diverged).
    """
    if hasattr(result, "data_vars"):
        ev = _dataset_arrays(result, event)[2]
    else:
        ev = _check_event(result, event)
    hit = ev >= 0
    if t is not None:
        hit &= ev <= int(t)
    return hit.mean(axis=1)


def diverged_fraction(result, t: int | None = None) -> np.ndarray:
    """Fraction of trajectories that diverged (by step ``t``), per optimizer."""
    if hasattr(result, "data_vars"):
        dv = _dataset_arrays(result, None)[3]
    else:
        dv = np.asarray(result.diverged)
    hit = dv >= 0
    if t is not None:
        hit &= dv <= int(t)
    return hit.mean(axis=1)


def mean_escaped(
    data: Times, *, confidence: float = 0.95, seed: int = 0, n_resamples: int = 999
) -> Estimate:
    """Mean escape step of the trajectories that escaped, with a confidence interval.

    This is conditional on escaping within the run (it ignores the censored
    ones, so it is biased low when many are censored; the median from
    :class:`Survival` is not).  Percentile bootstrap
    (:func:`scipy.stats.bootstrap`) for up to :data:`BOOTSTRAP_MAX` values,
    normal interval above; ``nan`` without escapes, a zero-width interval
    when all escape steps are equal.
    """
    x = data.time[data.observed]
    if x.size == 0:
        return Estimate(math.nan, math.nan, math.nan)
    m = float(x.mean())
    if x.size == 1:
        return Estimate(m, math.nan, math.nan)
    if float(np.ptp(x)) == 0.0:
        return Estimate(m, m, m)
    if x.size > BOOTSTRAP_MAX:
        half = float(_st.norm.ppf(0.5 + confidence / 2)) * float(x.std(ddof=1)) / math.sqrt(x.size)
        return Estimate(m, m - half, m + half)
    res = _st.bootstrap(
        (x,),
        np.mean,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        vectorized=True,
        batch=max(1, 2_000_000 // x.size),
        rng=np.random.default_rng(seed),
    )
    ci = res.confidence_interval
    return Estimate(m, float(ci.low), float(ci.high))


# --------------------------------------------------------------------------
# comparisons
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class LogrankResult:
    """Log-rank statistic and p-value (``nan`` when the test is undefined)."""

    statistic: float
    pvalue: float


def logrank_times(a: Times, b: Times, alternative: str = "two-sided") -> LogrankResult:
    """Log-rank test (:func:`scipy.stats.logrank`) between two :class:`Times`.

    Undefined (``nan``) when either group is empty, no event was observed at
    all, or the statistic's variance is 0 (e.g. every event at one step with
    no one left at risk).
    """
    if a.n == 0 or b.n == 0 or not (a.observed.any() or b.observed.any()):
        return LogrankResult(math.nan, math.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            r = _st.logrank(a.censored_data(), b.censored_data(), alternative=alternative)
        except (RuntimeWarning, FloatingPointError, ZeroDivisionError):
            return LogrankResult(math.nan, math.nan)
    return LogrankResult(float(r.statistic), float(r.pvalue))


def logrank(result, event: str, a: str, b: str, alternative: str = "two-sided") -> LogrankResult:
    """Log-rank test between optimizers ``a`` and ``b`` (names) of ``result``."""
    d = times(result, event)
    what = "optimizer"
    if hasattr(result, "data_vars"):  # a dataset: the curves are named by one axis's values
        what = _dataset_axis(result)
        a, b = (v if isinstance(v, str) else str(v) for v in (a, b))
    for name in (a, b):
        if name not in d:
            raise ValueError(f"{what} must be one of {list(d)}, got {name!r}")
    return logrank_times(d[a], d[b], alternative)


def compare(result, event: str, *, confidence: float = 0.95) -> list[dict]:
    """All pairs of optimizers: medians and the log-rank test, one row per pair."""
    d = times(result, event)
    curves = {k: kaplan_meier(v, confidence=confidence) for k, v in d.items()}
    rows = []
    for a, b in itertools.combinations(d, 2):
        lr = logrank_times(d[a], d[b])
        rows.append(
            {
                "a": a,
                "b": b,
                "median_a": curves[a].median().value,
                "median_b": curves[b].median().value,
                "logrank_statistic": lr.statistic,
                "pvalue": lr.pvalue,
            }
        )
    return rows


def summary(result, event: str, *, confidence: float = 0.95, seed: int = 0) -> Summary:
    """One row per optimizer, printed as a table (see :class:`Summary`).

    Columns: ``optimizer``, ``n``, ``steps``, ``escaped`` (raw fraction),
    ``median`` / ``median_low`` / ``median_high`` (Kaplan–Meier, ``inf`` =
    beyond the run), ``q25``, ``q75``, ``mean_escaped`` /
    ``mean_escaped_low`` / ``mean_escaped_high``, ``diverged`` (fraction,
    at any step) and ``escaped_then_diverged`` (fraction that escaped and
    diverged later; ``diverged - escaped_then_diverged`` diverged first and
    are censored).
    """
    rows = []
    for name, d in times(result, event).items():
        rows.append({"optimizer": name, **summary_row(d, confidence=confidence, seed=seed)})
    label = _dataset_axis(result) if hasattr(result, "data_vars") else "optimizer"
    return Summary(rows, event=event, confidence=confidence, label=label)


def summary_row(d: Times, *, confidence: float = 0.95, seed: int = 0) -> dict:
    """The statistics of :func:`summary` for one :class:`Times`."""
    s = kaplan_meier(d, confidence=confidence)
    med = s.median()
    me = mean_escaped(d, confidence=confidence, seed=seed)
    return {
        "n": d.n,
        "steps": d.horizon,
        "escaped": float(d.observed.mean()) if d.n else math.nan,
        "median": med.value,
        "median_low": med.low,
        "median_high": med.high,
        "q25": s.quantile(0.25).value,
        "q75": s.quantile(0.75).value,
        "mean_escaped": me.value,
        "mean_escaped_low": me.low,
        "mean_escaped_high": me.high,
        "diverged": float(d.diverged.mean()) if d.n else math.nan,
        "escaped_then_diverged": float((d.observed & d.diverged).mean()) if d.n else math.nan,
    }


# --------------------------------------------------------------------------
# display
# --------------------------------------------------------------------------
class Summary(list):
    """The rows of :func:`summary` (a list of dicts) that print as a table.

    ``str()`` and ``repr()`` give an aligned text table: the escaped and
    diverged fractions as percentages, the Kaplan–Meier median with its
    confidence interval (``>300``: beyond a 300-step run), the quartiles,
    the mean of the escaped with its interval, and a note on the
    trajectories that both escaped and diverged.  "Escaped" counts only
    events observed before any divergence: a trajectory that diverged first
    is censored at its divergence step, and one that escaped and diverged
    later counts in both fractions.
    """

    def __init__(self, rows=(), *, event: str = "", confidence: float = 0.95,
                 label: str = "optimizer"):  # fmt: skip
        super().__init__(rows)
        self.event = event
        self.confidence = confidence
        self.label = label  # the header of the first column (a dataset's axis)

    def format(self) -> str:
        """The aligned text table (what ``print`` shows)."""
        if not self:
            return f"no trajectories for {self.event!r}"
        steps = int(self[0]["steps"])
        ci = f"[{self.confidence:.0%} CI]"

        def quartiles(r):
            return f"{_step(r['q25'], steps)}, {_step(r['q75'], steps)}"

        cols = [
            (self.label, "<", [r["optimizer"] for r in self]),
            ("n", ">", [str(r["n"]) for r in self]),
            ("escaped", ">", [_percent(r["escaped"]) for r in self]),
            (f"median step {ci}", "ci", [_with_ci(r, "median", steps, _step) for r in self]),
            ("quartiles", "<", [quartiles(r) for r in self]),
            (f"mean if escaped {ci}", "ci", [_with_ci(r, "mean_escaped", 0, _mean) for r in self]),
            ("diverged", ">", [_percent(r["diverged"]) for r in self]),
        ]
        notes = [_note(r) for r in self]
        if any(notes):
            cols.append(("note", "<", notes))
        lines = [
            f"steps to {self.event!r} (run of {steps} steps; Kaplan–Meier medians and quartiles)",
            *_align(cols),
        ]
        if any(r["diverged"] > 0 for r in self):
            lines.append(
                "escaped: before any divergence (diverging first censors a trajectory);"
                " diverged: at any step"
            )
        if any(math.isinf(r[k]) for r in self for k in ("median", "median_high", "q75")):
            lines.append(f">{steps}: beyond the run (the survival curve does not get that low)")
        return "\n".join(lines)

    __str__ = format

    def __repr__(self) -> str:
        return self.format()


def _align(cols) -> list[str]:
    """Heading, rule and rows of ``(heading, align, cells)`` columns; "ci" cells align on "["."""
    out = []
    for head, how, cells in cols:
        if how == "ci":
            parts = [c.split(" [", 1) if " [" in c else [c, ""] for c in cells]
            w = max(len(p[0]) for p in parts)
            cells = [p[0].rjust(w) + (f" [{p[1]}" if p[1] else "") for p in parts]
            how = "<"
        width = max(len(head), *(len(c) for c in cells))
        pad = str.ljust if how == "<" else str.rjust
        out.append([pad(head, width), "-" * width, *(pad(c, width) for c in cells)])
    return ["  ".join(row).rstrip() for row in zip(*out, strict=True)]


def _percent(f: float) -> str:
    if math.isnan(f):
        return "-"
    if f in (0.0, 1.0):
        return f"{f:.0%}"
    for digits in range(3, 9):  # never show a fraction strictly inside (0, 1) as 0% or 100%
        text = f"{100 * f:.{digits}g}"
        if text not in ("0", "100"):
            return text + "%"
    return f"{100 * f}%"


def _step(v: float, steps: int) -> str:
    if math.isnan(v):
        return "-"
    return f">{steps}" if math.isinf(v) else f"{v:.0f}"


def _mean(v: float, steps: int) -> str:
    return "-" if math.isnan(v) else f"{v:.1f}"


def _with_ci(row: dict, key: str, steps: int, fmt) -> str:
    low, high = row[f"{key}_low"], row[f"{key}_high"]
    text = fmt(row[key], steps)
    if math.isnan(low) or math.isnan(high):
        return text
    return f"{text} [{fmt(low, steps)}, {fmt(high, steps)}]"


def _note(row: dict) -> str:
    both = row.get("escaped_then_diverged", math.nan)
    if math.isnan(both):
        return ""
    first = row["diverged"] - both
    notes = []
    if both == 1.0:
        notes.append("all escaped, then diverged")
    elif both > 0:
        notes.append(f"{_percent(both)} escaped, then diverged")
    if first > 0:
        notes.append(f"{_percent(first)} diverged before escaping (censored)")
    return "; ".join(notes)
