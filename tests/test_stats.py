"""landscape.stats: Kaplan-Meier, quantiles, fractions, log-rank on censored event times."""

from __future__ import annotations

import itertools
import math
import time
import warnings

import numpy as np
import pytest
from scipy import stats as st

import landscape as ls
from landscape import stats as S


def fake_result(events, diverged=None, steps=10, names=None):
    """A Result holding only event times (no frames), for the stats functions."""
    ev = np.atleast_2d(np.asarray(events, dtype=np.int64))
    k, n = ev.shape
    dv = np.full_like(ev, -1) if diverged is None else np.atleast_2d(np.asarray(diverged))
    return ls.Result(
        names=names or [f"opt{i}" for i in range(k)],
        positions=np.zeros((k, 0, 0, 2)),
        frame_steps=np.zeros(0, dtype=np.int64),
        final=np.zeros((k, n, 2)),
        final_loss=np.zeros((k, n)),
        events={"escaped": ev},
        diverged=dv.astype(np.int64),
        x0=np.zeros((n, 2)),
        config={"steps": steps},
    )


def test_hand_computed_small_case():
    # escapes at 1, 2, 2, 5; one diverged at 3 before escaping (censored at 3);
    # one never escaped (censored at the horizon 6)
    res = fake_result([[1, 2, 2, -1, 5, -1]], [[-1, -1, -1, 3, -1, -1]], steps=6)
    d = S.times(res, "escaped")["opt0"]
    np.testing.assert_array_equal(d.time, [1, 2, 2, 3, 5, 6])
    np.testing.assert_array_equal(d.observed, [1, 1, 1, 0, 1, 0])
    s = S.kaplan_meier(d)
    # S(1) = 5/6, S(2) = 5/6 * 3/5 = 1/2, S(3) = 1/2 (censoring), S(5) = 1/2 * 1/2, S(6) = 1/4
    np.testing.assert_allclose(s.time, [1, 2, 3, 5, 6])
    np.testing.assert_allclose(s.survival, [5 / 6, 0.5, 0.5, 0.25, 0.25])
    assert s.at(0) == 1.0 and s.at(1.5) == pytest.approx(5 / 6) and s.at(100) == 0.25
    med = s.median()
    assert med.value == 2.0 and med.low <= 2.0 <= med.high
    assert s.quantile(0.75).value == 5.0
    assert s.quantile(0.9).value == math.inf  # never that low within the run: not "6"
    # raw fractions: 4 of 6 escaped; the diverged one is not an escape
    assert S.escaped_fraction(res, "escaped")[0] == pytest.approx(4 / 6)
    assert S.escaped_fraction(res, "escaped", t=2)[0] == pytest.approx(3 / 6)
    assert S.diverged_fraction(res)[0] == pytest.approx(1 / 6)
    assert S.diverged_fraction(res, t=2)[0] == 0.0


def test_matches_scipy_on_synthetic_censored_data():
    rng = np.random.default_rng(1)
    n, horizon = 3000, 400
    t = np.floor(rng.exponential(150.0, n)).astype(np.int64)
    div = np.where(rng.random(n) < 0.1, rng.integers(0, horizon, n), -1)
    ev = np.where((t <= horizon) & ((div < 0) | (t < div)), t, -1)
    res = fake_result([ev], [div], steps=horizon)
    d = S.times(res, "escaped")["opt0"]
    # censoring never treated as escape
    assert d.observed.sum() == (ev >= 0).sum()
    cens = ~d.observed
    np.testing.assert_array_equal(d.time[cens & (div >= 0)], div[cens & (div >= 0)])
    assert np.all(d.time[cens & (div < 0)] == horizon)
    for method in ("log-log", "linear"):
        s = S.kaplan_meier(d, confidence=0.9, method=method)
        ref = st.ecdf(
            st.CensoredData(uncensored=t[ev >= 0], right=np.where(div >= 0, div, horizon)[ev < 0])
        ).sf
        np.testing.assert_allclose(s.time, ref.quantiles)
        np.testing.assert_allclose(s.survival, ref.probabilities)
        ci = ref.confidence_interval(0.9, method=method)
        np.testing.assert_allclose(s.low, ci.low.probabilities)
        np.testing.assert_allclose(s.high, ci.high.probabilities)
        assert np.all(s.low <= s.survival + 1e-15) and np.all(s.survival <= s.high + 1e-15)
    # the true median of floor(Exp(150)) is about 150 ln 2 = 104: inside the CI
    med = S.kaplan_meier(d).median()
    assert med.low <= 104 <= med.high and med.high - med.low < 30


def test_all_censored_and_all_escaped_are_explicit():
    res = fake_result([[-1, -1, -1], [3, 3, 3]], steps=5)
    rows = {r["optimizer"]: r for r in S.summary(res, "escaped")}
    assert rows["opt0"]["escaped"] == 0.0
    assert rows["opt0"]["median"] == math.inf and rows["opt0"]["median_high"] == math.inf
    assert math.isnan(rows["opt0"]["mean_escaped"])
    s0 = S.survival(res, "escaped")["opt0"]
    assert np.all(s0.survival == 1.0)
    # all at one step: S drops to 0, the undefined band is pinned to the curve, no warning
    assert rows["opt1"]["median"] == 3.0
    assert rows["opt1"]["mean_escaped"] == rows["opt1"]["mean_escaped_low"] == 3.0
    s1 = S.survival(res, "escaped")["opt1"]
    assert s1.at(3) == 0.0 and s1.band_at(3) == (0.0, 0.0)
    # log-rank undefined when nothing escaped or the variance vanishes: nan, no warning
    lr = S.logrank(res, "escaped", "opt0", "opt0")
    assert math.isnan(lr.pvalue)
    both = fake_result([[2, 2], [2, 2]], steps=5)
    assert math.isnan(S.logrank(both, "escaped", "opt0", "opt1").pvalue)


def test_logrank_and_compare():
    rng = np.random.default_rng(2)
    n, horizon = 2000, 300
    fast = np.minimum(np.floor(rng.exponential(50, n)), horizon + 1).astype(np.int64)
    slow = np.minimum(np.floor(rng.exponential(80, n)), horizon + 1).astype(np.int64)
    same = np.minimum(np.floor(rng.exponential(50, n)), horizon + 1).astype(np.int64)
    ev = np.stack([fast, slow, same])
    ev[ev > horizon] = -1
    res = fake_result(ev, steps=horizon, names=["fast", "slow", "same"])
    lr = S.logrank(res, "escaped", "fast", "slow")
    ref = st.logrank(
        S.times(res, "escaped")["fast"].censored_data(),
        S.times(res, "escaped")["slow"].censored_data(),
    )
    assert lr.pvalue == pytest.approx(ref.pvalue) and lr.statistic == pytest.approx(ref.statistic)
    assert lr.pvalue < 1e-6
    assert S.logrank(res, "escaped", "fast", "same").pvalue > 1e-3
    rows = S.compare(res, "escaped")
    assert [(r["a"], r["b"]) for r in rows] == [
        ("fast", "slow"),
        ("fast", "same"),
        ("slow", "same"),
    ]
    assert rows[0]["median_a"] < rows[0]["median_b"]
    q = S.quantiles(res, "escaped", (0.25, 0.5))
    assert q["fast"][0.25].value < q["fast"][0.5].value
    with pytest.raises(ValueError, match="optimizer must be one of"):
        S.logrank(res, "escaped", "fast", "nope")
    with pytest.raises(ValueError, match="event must be one of"):
        S.summary(res, "nope")


def test_mean_escaped_bootstrap_and_normal():
    rng = np.random.default_rng(3)
    x = rng.integers(10, 50, 500)
    d = S.Times.from_arrays(x, horizon=100)
    m = S.mean_escaped(d)
    assert m.low < m.value < m.high and m.value == pytest.approx(x.mean())
    big = S.Times.from_arrays(rng.integers(10, 50, S.BOOTSTRAP_MAX + 1), horizon=100)
    mb = S.mean_escaped(big)
    assert mb.low < mb.value < mb.high and mb.high - mb.low < 0.5
    one = S.mean_escaped(S.Times.from_arrays([4, -1], horizon=10))
    assert one.value == 4.0 and math.isnan(one.low)


def test_million_event_only_trajectories_in_seconds():
    """10^6 trajectories x 2 optimizers, record_every=0: stats take seconds."""
    surf = ls.surfaces.saddle(1.0, 1.0)
    x0 = ls.starts.sphere(10**6, [0.0, 0.0], 1e-3, seed=0)
    res = ls.simulate(
        surf,
        [ls.optim.gd(0.05), ls.optim.adam(0.05)],
        x0,
        steps=150,
        record_every=0,
        events={"escaped": ls.events.leave_ball([0.0, 0.0], 1.0)},
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = S.summary(res, "escaped")
        cmp_rows = S.compare(res, "escaped")
    elapsed = time.perf_counter() - t0
    assert elapsed < 10.0, elapsed
    assert rows[0]["n"] == 10**6 and rows[0]["median"] > rows[1]["median"]
    assert cmp_rows[0]["pvalue"] < 1e-10


def _columns(rule: str) -> list[tuple[int, int]]:
    """(start, end) of each column, read off the table's rule of dashes."""
    spans, start = [], None
    for i, ch in enumerate(rule + " "):
        if ch == "-" and start is None:
            start = i
        elif ch != "-" and start is not None:
            spans.append((start, i))
            start = None
    return spans


def test_summary_prints_an_aligned_table_that_explains_divergence():
    # "both": every trajectory escapes (steps 2-4), then diverges (5-6): escaped AND diverged
    # "first": one escapes at 3; two diverge (at 2 and 4) before escaping: censored, not escaped
    # "never": nothing escapes within the 10 steps: the median is beyond the run
    res = fake_result(
        [[2, 3, 4], [3, -1, -1], [-1, -1, -1]],
        [[5, 6, 6], [-1, 2, 4], [-1, -1, -1]],
        steps=10,
        names=["both", "first", "never"],
    )
    table = S.summary(res, "escaped")
    assert isinstance(table, list) and all(isinstance(r, dict) for r in table)
    assert [r["escaped_then_diverged"] for r in table] == [1.0, 0.0, 0.0]
    assert [r["escaped"] for r in table] == pytest.approx([1.0, 1 / 3, 0.0])
    assert [r["diverged"] for r in table] == pytest.approx([1.0, 2 / 3, 0.0])
    text = str(table)
    assert repr(table) == text
    title, head, rule, *rows = text.splitlines()[:6]
    assert "'escaped'" in title and "run of 10 steps" in title
    spans = _columns(rule)
    headings = [head[a:b].strip() for a, b in spans]
    assert headings == [
        "optimizer",
        "n",
        "escaped",
        "median step [95% CI]",
        "quartiles",
        "mean if escaped [95% CI]",
        "diverged",
        "note",
    ]
    cells = {}
    for line in rows:
        line = line.ljust(len(rule))  # trailing blanks are stripped
        # two spaces between columns, never text across a gap
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert line[end:start] == "  ", (line, end, start)
        cells[line[: spans[0][1]].strip()] = [line[a:b] for a, b in spans]
    # numbers right-aligned, the name and the note left-aligned
    assert cells["both"][2] == "   100%" and cells["never"][2] == "     0%"
    assert cells["first"][2].strip() == "33.3%" and cells["first"][6].strip() == "66.7%"
    assert cells["both"][0].startswith("both")
    # the median and its CI: inf shown as beyond the run, the values aligned on "["
    assert cells["both"][3].strip() == "3 [2, 4]"
    assert cells["never"][3].strip() == ">10 [>10, >10]"
    assert cells["both"][3].index("[") == cells["never"][3].index("[")
    assert cells["never"][4].strip() == ">10, >10" and cells["never"][5].strip() == "-"
    # the combined states say what they are
    assert cells["both"][7].strip() == "all escaped, then diverged"
    assert cells["first"][7].strip() == "66.7% diverged before escaping (censored)"
    assert cells["never"][7].strip() == ""
    foot = text.splitlines()[6:]
    assert any("before any divergence" in f and "censors" in f for f in foot)
    assert any(f.startswith(">10: beyond the run") for f in foot)


def test_summary_table_without_divergence_has_no_note():
    res = fake_result([[1, 2, 3, 3], [4, 4, 5, 6]], steps=8, names=["gd", "adam(lr=0.01)"])
    lines = str(S.summary(res, "escaped")).splitlines()
    assert len(lines) == 5  # title, headings, rule, two rows: no note column, no footnote
    assert "note" not in lines[1] and lines[1].rstrip().endswith("diverged")
    assert lines[3].split()[:5] == ["gd", "4", "100%", "2", "[1,"]
    assert lines[4].split()[:4] == ["adam(lr=0.01)", "4", "100%", "4"]
