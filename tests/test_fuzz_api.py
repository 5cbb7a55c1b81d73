"""Bad and extreme arguments to the API, recipes and CLI (issue #12).

Each case either gives the correct result or a clear ``ValueError`` whose
message names the argument (and the limit).  Size cases must fail on the
memory estimate, never by allocating: they run under a small
``LANDSCAPE_MEMORY_LIMIT`` so the verdict does not depend on the machine,
and each is checked to fail fast.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import landscape as ls
from landscape import _validate as V
from landscape import cli, compare, events, minibatch, optim, recipes, schedules, starts, surfaces

_BOWL = surfaces.quadratic(np.eye(2))
_GD = optim.gd(0.1)
_X0 = np.ones((3, 2))


def _sim(x0=_X0, steps=10, **kw):
    return ls.simulate(_BOWL, _GD, x0, steps, **kw)


# --------------------------------------------------------------------------
# API arguments: (id, call, pattern the message must match)
# --------------------------------------------------------------------------
API_ERRORS = [
    ("steps-2^63-1", lambda: _sim(steps=2**63 - 1), r"steps must be <= 2\*\*62, got 2\*\*63 - 1"),
    ("steps-2^63", lambda: _sim(steps=2**63), r"steps must be <= 2\*\*62, got 2\*\*63"),
    ("steps-huge", lambda: _sim(steps=10**5000), r"steps must be <= 2\*\*62, got about 2\*\*"),
    ("steps-zero", lambda: _sim(steps=0), "steps must be >= 1"),
    ("steps-float", lambda: _sim(steps=10.0), "steps must be an integer"),
    ("steps-bool", lambda: _sim(steps=True), "steps must be an integer"),
    ("record_every-2^63", lambda: _sim(record_every=2**63), r"record_every must be <= 2\*\*62"),
    ("seed-2^64", lambda: _sim(seed=2**64), r"seed must be <= 2\*\*64 - 1"),
    ("seed-negative", lambda: _sim(seed=-1), "seed must be >= 0"),
    ("dtype-list", lambda: _sim(dtype=["float32"]), r"dtype must be one of .*got \['float32'\]"),
    ("dtype-float16", lambda: _sim(dtype="float16"), "dtype must be one of"),
    ("flush_denormals-str", lambda: _sim(flush_denormals="no"), "flush_denormals must be True"),
    ("flush_denormals-int", lambda: _sim(flush_denormals=0), "flush_denormals must be True"),
    ("x0-bool", lambda: _sim(x0=_X0.astype(bool)), "x0 must be numbers, got a bool array"),
    ("x0-complex", lambda: _sim(x0=_X0 + 1j), "x0 must be real, got a complex array"),
    ("x0-masked", lambda: _sim(x0=np.ma.masked_array(_X0)), "x0 must be a plain array"),
    ("x0-strings", lambda: _sim(x0=[["a", "b"]]), r"x0 must be an \(n, 2\) array of numbers"),
    ("x0-nan", lambda: _sim(x0=[[np.nan, 0.0]]), "x0 must be finite"),
    (
        "enter_ball-float32-1e-25",
        lambda: _sim(dtype="float32", events={"near": events.enter_ball([0, 0], 1e-25)}),
        r"events\['near'\] radius=1e-25 cannot be compared in float32: its square underflows",
    ),
    (
        "leave_ball-float32-1e20",
        lambda: _sim(dtype="float32", events={"far": events.leave_ball([0, 0], 1e20)}),
        r"events\['far'\] radius=1e\+20 .* overflows",
    ),
    (
        "leave_ball-float64-1e200",
        lambda: _sim(events={"far": events.leave_ball([0, 0], 1e200)}),
        r"events\['far'\] radius=1e\+200 .* float64: its square overflows",
    ),
    (
        "loss_below-float32-1e300",
        lambda: _sim(dtype="float32", events={"low": events.loss_below(-1e300)}),
        r"events\['low'\] level=-1e\+300 is beyond the range of float32",
    ),
    ("enter_ball-center-complex", lambda: events.enter_ball([1j, 0], 1.0), "center must be real"),
    ("Optimizer-bogus", lambda: optim.Optimizer("bogus", 0.1), r"kind must be one of \[.*'gd'"),
    ("Optimizer-lr-str", lambda: optim.Optimizer("gd", "x"), "lr must be a real number"),
    ("Optimizer-schedule", lambda: optim.Optimizer("gd", 0.1, schedule=1), "schedule must be"),
    ("make-bogus", lambda: optim.make("bogus"), r"optimizer must be one of \[.*got 'bogus'"),
    ("make-unhashable", lambda: optim.make(["gd"]), r"optimizer must be one of .*got \['gd'\]"),
    ("schedule-make-bogus", lambda: schedules.make("bogus"), "schedule must be one of"),
    (
        "piecewise-int",
        lambda: schedules.piecewise(5, [1.0]),
        "boundaries must be a list of numbers",
    ),
    ("piecewise-factors", lambda: schedules.piecewise([5], 1.0), "factors must be a list"),
    (
        "piecewise-2^70",
        lambda: schedules.piecewise([2**70], [1.0, 0.5]),
        r"boundaries\[0\] must be <=",
    ),
    ("warmup-2^63", lambda: schedules.linear_warmup(2**63), r"warmup_steps must be <= 2\*\*62"),
    (
        "minibatch-seed",
        lambda: minibatch.permutation(10, seed=2**64),
        r"seed must be <= 2\*\*64 - 1",
    ),
    ("minibatch-m-2^64", lambda: minibatch.permutation(2**64), r"m must be <= 2\*\*62"),
    ("starts-seed", lambda: starts.normal(2, [0, 0], seed=2**64), r"seed must be <= 2\*\*64 - 1"),
    ("starts-mean-bool", lambda: starts.normal(2, [True, False]), "mean must be numbers"),
    ("lr-int-beyond-float", lambda: optim.gd(10**400), r"lr must be finite, got about 2\*\*1328"),
    ("level-int-beyond-float", lambda: events.loss_below(-(10**400)), "level must be finite"),
    ("x0-int-beyond-float", lambda: _sim(x0=[[10**400, 0]]), "x0 must be finite"),
    ("diverge_at-int-beyond-float", lambda: _sim(diverge_at=10**400), "diverge_at must be finite"),
    ("compare-scenario-list", lambda: compare.run([["bowl"]], n=1), "scenario must be one of"),
    ("compare-n-zero", lambda: compare.run(n=0), "n must be >= 1"),
]


@pytest.mark.parametrize(
    ("call", "pattern"), [c[1:] for c in API_ERRORS], ids=[c[0] for c in API_ERRORS]
)
def test_api_argument_is_a_clear_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_float32_enter_ball_fires_on_the_centre_at_the_smallest_allowed_radius():
    r = 2.0 * float(np.sqrt(np.finfo(np.float32).tiny))
    res = _sim(x0=np.zeros((2, 2)), dtype="float32", events={"near": events.enter_ball([0, 0], r)})
    assert res.events["near"].tolist() == [[0, 0]]


def test_flush_denormals_accepts_numpy_bools():
    res = _sim(dtype="float32", flush_denormals=np.bool_(False))
    assert res.final.shape == (1, 3, 2)


@pytest.mark.parametrize("dim", [2, 3, 1025, 4096], ids=lambda d: f"rosenbrock-{d}")
def test_rosenbrock_any_dim(dim):
    s = surfaces.rosenbrock(dim)
    assert s.minima.shape == (1, dim)
    assert np.all(s.minima == 1.0)
    assert s.value(s.minima)[0] == 0.0


def test_rosenbrock_a_zero_and_two_d():
    assert np.all(surfaces.rosenbrock(1500, a=0.0).minima == 0.0)
    assert surfaces.rosenbrock(2, a=2.0).minima.tolist() == [[2.0, 4.0]]


# --------------------------------------------------------------------------
# Laws: steps in range run, out of range are refused naming steps
# --------------------------------------------------------------------------
@settings(max_examples=20, deadline=None, derandomize=True)
@given(steps=st.integers(1, 60), every=st.integers(0, 70))
def test_any_steps_in_range_runs(steps, every):
    res = _sim(steps=steps, record_every=every)
    assert res.config["steps"] == steps
    n_frames = steps // every + 1 if every else 0
    assert res.positions.shape[2] == n_frames
    assert np.all(np.isfinite(res.final_loss))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(steps=st.one_of(st.integers(max_value=0), st.integers(min_value=V.MAX_STEPS + 1)))
def test_any_steps_out_of_range_is_refused(steps):
    with pytest.raises(ValueError, match=r"^steps must be (>= 1|<= 2\*\*62)"):
        _sim(steps=steps)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.one_of(st.integers(max_value=-1), st.integers(min_value=2**64)))
def test_any_seed_out_of_range_is_refused(seed):
    with pytest.raises(ValueError, match=r"^seed must be"):
        _sim(seed=seed)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=st.text())
def test_echoed_text_has_no_control_characters(text):
    out = V.safe_text(text)
    assert all(c.isprintable() or c == " " for c in out)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(nbytes=st.integers(0, 2**200), limit=st.integers(1, 2**50))
def test_memory_check_refuses_exactly_above_the_limit(nbytes, limit):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(V.MEMORY_ENV, str(limit))
        if nbytes > limit:
            with pytest.raises(ValueError, match=r"^n: things would need .* memory available"):
                V.fits_memory("n", nbytes, "things")
        else:
            V.fits_memory("n", nbytes, "things")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8G", 8 * 2**30), ("500M", 500 * 2**20), ("1.5 GiB", 3 * 2**29), ("4096", 4096)],
    ids=["8G", "500M", "1.5GiB", "bytes"],
)
def test_memory_limit_env(text, expected, monkeypatch):
    monkeypatch.setenv(V.MEMORY_ENV, text)
    assert V.available_memory() == expected


@pytest.mark.parametrize("text", ["abc", "-1G", "0", "nan"], ids=["abc", "negative", "zero", "nan"])
def test_memory_limit_env_bad(text, monkeypatch):
    monkeypatch.setenv(V.MEMORY_ENV, text)
    with pytest.raises(ValueError, match=V.MEMORY_ENV):
        V.available_memory()


def test_available_memory_without_override(monkeypatch):
    monkeypatch.delenv(V.MEMORY_ENV, raising=False)
    assert V.available_memory() > 2**20


# --------------------------------------------------------------------------
# Sizes: refused on the estimate, before allocating, within a second
# --------------------------------------------------------------------------
SIZES = [
    (
        # 0.6 GiB without the batched engine's state, 1.8 GiB with it
        "simulate-batched-state",
        lambda: ls.simulate(
            surfaces.random_quadratic(dim=200),
            {"adam": optim.adam(0.1), "gd": optim.gd(0.1)},
            np.broadcast_to(np.zeros(200), (10**5, 200)),
            10,
            record_every=0,
        ),
        r"^x0: 100000 starts x 2 optimizers in 200-D \(.*the batched engine's state\)",
    ),
    (
        "simulate-x0-rows",
        lambda: _sim(x0=np.broadcast_to(np.zeros(2), (10**8, 2)), record_every=0),
        r"^x0: 100000000 starts",
    ),
    (
        "simulate-frames",
        lambda: _sim(x0=np.zeros((1000, 2)), steps=10**6, record_every=1),
        r"^record_every/record: 1000001 frames",
    ),
    (
        "random_quadratic-1e5",
        lambda: surfaces.random_quadratic(dim=10**5),
        r"^dim: the dense 100000 x 100000",
    ),
    (
        "random_strict_saddle-1e5",
        lambda: surfaces.random_strict_saddle(dim=10**5),
        r"^dim: the dense",
    ),
    (
        "gaussian_field-1e5",
        lambda: surfaces.gaussian_field(dim=10**5, features=10**5),
        r"^dim, features: ",
    ),
    ("rosenbrock-1e12", lambda: surfaces.rosenbrock(10**12), r"^dim: the 1000000000000-D surface"),
    (
        "grid-1e5",
        lambda: starts.grid(10**5, [0, 0], [1, 1]),
        r"^num: a grid of 100000\*\*2 = 10000000000 points",
    ),
    (
        "grid-1000-d",
        lambda: starts.grid(10, np.zeros(1000), np.ones(1000)),
        r"^num: a grid of 10\*\*1000 = about 2\*\*3321",
    ),
    ("normal-1e9", lambda: starts.normal(10**9, [0, 0]), r"^n: 1000000000 starting points"),
    ("point-1e9", lambda: starts.point([0, 0], 10**9), r"^n: 1000000000 starting points"),
    ("ball-1e10", lambda: starts.ball(10**10, [0, 0], 1.0), r"^n: "),
    (
        "permutation-2^40",
        lambda: minibatch.permutation(2**40),
        r"^m: the permutation of 1099511627776 examples",
    ),
    ("partition-1e15", lambda: minibatch.partition(10**15, 1), r"^m: a list of"),
    ("batches-2^40", lambda: minibatch.batches(2**40, 2**40), r"^m: the batches"),
    ("compare-n-1e9", lambda: compare.run(n=10**9), r"^n: 1000000000 starts per optimizer"),
    (
        "tanh_network-hidden-1e6",
        lambda: surfaces.tanh_network(hidden=10**6),
        r"^hidden: the critical",
    ),
]


@pytest.mark.parametrize(("call", "pattern"), [c[1:] for c in SIZES], ids=[c[0] for c in SIZES])
def test_size_is_refused_on_the_estimate(call, pattern, monkeypatch):
    monkeypatch.setenv(V.MEMORY_ENV, "1G")
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=pattern) as info:
        call()
    assert time.perf_counter() - t0 < 2.0
    assert "would need" in str(info.value) and "1 GiB of memory available" in str(info.value)


# --------------------------------------------------------------------------
# Recipes: (id, replace, by, pattern after "<file>: ")
# --------------------------------------------------------------------------
_NORMAL = 'kind = "normal"\nn = {n}\nmean = [0.0, 0.0]'
RECIPES = [
    (
        "normal-n-1e9",
        "x0 = [[1.0, 1.0]]",
        _NORMAL.format(n=10**9),
        r"starts\.n must be <= 1000000 for an animation, got 1000000000",
    ),
    (
        "point-n-1e9",
        "x0 = [[1.0, 1.0]]",
        'kind = "point"\nn = 1000000000\nx = [0.0, 0.0]',
        r"starts\.n must be <= 1000000",
    ),
    (
        "grid-num-1e5",
        "x0 = [[1.0, 1.0]]",
        'kind = "grid"\nnum = 100000\nlow = [0.0, 0.0]\nhigh = [1.0, 1.0]',
        r"starts\.num = 100000 gives 100000\*\*2 = 10000000000 starts",
    ),
    (
        "fps-1e8",
        'kind = "race"',
        'kind = "race"\nfps = 100000000',
        r"render\.fps must be <= 1000, got 100000000",
    ),
    (
        "levels-1e8",
        'kind = "race"',
        'kind = "race"\nlevels = 100000000',
        r"render\.levels must be <= 1000, got 100000000",
    ),
    (
        "seed-2^64",
        "steps = 400",
        "steps = 400\nseed = 18446744073709551616",
        r"simulate\.seed must be <= 2\*\*64 - 1",
    ),
    (
        "frames-memory",
        "x0 = [[1.0, 1.0]]",
        _NORMAL.format(n=10**6),
        r"simulate\.record_every: 401 frames of 1000000 starts .* would need",
    ),
    (
        "radius-float32",
        "steps = 400",
        'steps = 400\ndtype = "float32"\n[simulate.events.near]\nkind = "enter_ball"\ncenter = [0.0, 0.0]\nradius = 1e-25',
        r"simulate\.events cannot be used with dtype = 'float32': .*radius=1e-25 .*underflows",
    ),
    (
        "label-control-chars",
        "[optimizers.gd]\nlr = 0.05",
        '[optimizers."g\\u001b[31m\\nd"]\nkind = "gd"\nlr = -1.0',
        r'optimizers\."g\\x1b\[31m d"\.lr must be > 0',
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "pattern"), [c[1:] for c in RECIPES], ids=[c[0] for c in RECIPES]
)
def test_recipe_is_a_clear_error_before_work(old, new, pattern, tmp_path, monkeypatch, bowl_recipe):
    monkeypatch.setenv(V.MEMORY_ENV, "1G")
    assert old in bowl_recipe
    path = tmp_path / "r.toml"
    path.write_text(bowl_recipe.replace(old, new), encoding="utf-8")
    t0 = time.perf_counter()
    with pytest.raises(recipes.RecipeError) as info:
        recipes.load(path)
    assert time.perf_counter() - t0 < 2.0
    msg = str(info.value)
    assert msg.startswith(str(path) + ": ") or msg.startswith("r.toml: "), msg
    assert "\n" not in msg and "\x1b" not in msg
    assert re.search(pattern, msg), msg


def test_recipe_simulate_error_names_the_file(tmp_path, monkeypatch, bowl_recipe):
    path = tmp_path / "r.toml"
    path.write_text(bowl_recipe, encoding="utf-8")
    rec = recipes.load(path)
    monkeypatch.setenv(V.MEMORY_ENV, "1K")  # the run's own estimate now refuses it
    with pytest.raises(recipes.RecipeError, match=r"r\.toml: simulate: record_every/record: "):
        rec.simulate()


# --------------------------------------------------------------------------
# CLI: one line on stderr, exit 2, before any work
# --------------------------------------------------------------------------
CLI = [
    ("compare-n-abc", ["compare", "--n", "abc"], "--n must be an integer, got 'abc'"),
    ("compare-n-zero", ["compare", "--n", "0"], "--n must be >= 1, got '0'"),
    (
        "compare-n-1e9",
        ["compare", "--n", "1000000000"],
        "--n: 1000000000 starts per optimizer would need",
    ),
    ("compare-seed-x", ["compare", "--seed", "x"], "--seed must be an integer, got 'x'"),
    ("compare-scenario", ["compare", "nope"], "scenario must be one of"),
]


@pytest.mark.parametrize(("argv", "expected"), [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_cli_bad_argument_is_one_line(argv, expected, capsys, monkeypatch):
    monkeypatch.setenv(V.MEMORY_ENV, "1G")
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("landscape compare: error: ") and expected in err, err
