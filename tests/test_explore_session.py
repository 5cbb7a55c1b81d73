"""landscape.explorer.session: validate, simulate and reduce a state; the latest-wins worker.

Two surfaces only (each compiles a fused kernel once): the default state's
Rosenbrock and momentum_bowl's elongated bowl.  Runs are tiny.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from landscape._cache import compiles
from landscape.explorer import session as sess
from landscape.explorer.session import LIMITS, Session, View, live_data
from landscape.explorer.state import State
from landscape.recipes import RecipeError


def small(n=200, steps=200, **sim) -> State:
    """The default state (Rosenbrock, gd / momentum / adam) with few runs and steps."""
    state = State()
    state.set_starts(n=n)
    state.set(("simulate", "steps"), steps)
    for k, v in sim.items():
        state.set(("simulate", k), v)
    return state


@pytest.fixture(scope="module")
def session():
    s = Session()
    yield s
    s.close()


# --------------------------------------------------------------------------
# one run
# --------------------------------------------------------------------------
def test_run_returns_a_view_of_float32_frames():
    s = Session()
    view = s.run(small())
    assert isinstance(view, View) and view.names == ["gd", "momentum", "adam"]
    frames = len(view.steps)
    assert 2 <= frames <= LIMITS["frames"] + 1
    assert view.X.dtype == np.float32 and view.Y.dtype == np.float32
    assert view.X.shape == view.Y.shape == (frames, 3 * view.recorded)
    assert view.n == view.recorded == 200 and view.dim == 2
    assert view.steps[0] == 0 and view.steps[-1] == 200
    # the starts are the recipe's: first frame of each optimizer at its x0
    np.testing.assert_allclose(view.X[0, :200], view.X[0, 200:400])
    assert abs(float(view.X[0].mean()) + 1.5) < 0.05 and abs(float(view.Y[0].mean()) - 2.0) < 0.05
    lo, med, hi = view.loss
    assert view.loss.shape == (3, 3, frames)
    ok = np.isfinite(view.loss).all(axis=0)
    assert ok.all()
    assert (lo[ok] <= med[ok]).all() and (med[ok] <= hi[ok]).all()
    assert [c["diverged"] for c in view.counters] == [0.0, 0.0, 0.0]
    assert view.field is not None and view.verdicts == [] and view.note == ""
    assert view.timings["simulate"] > 0 and view.timings["prepare"] >= 0
    x, y = view.frame(10**6)  # clipped to the last frame
    np.testing.assert_array_equal(x, view.X[-1])
    # the same surface again: the map is not sent again
    again = s.run(small(steps=100))
    assert again.field is None and s.runs == 2


def test_no_recompilation_for_data_changes(session):
    state = small()
    session.run(state)  # the kernel exists
    edits = [
        lambda s: s.set(("optimizers", "gd", "lr"), 0.002),
        lambda s: s.set_kind("gd", "momentum"),
        lambda s: s.set_kind("gd", "adam"),
        lambda s: s.set_kind("gd", "rmsprop"),
        lambda s: s.set(
            ("optimizers", "adam", "schedule"), {"name": "inverse_time", "decay": 0.01}
        ),
        lambda s: s.set_starts(centre=[0.5, -0.5]),
        lambda s: s.set_starts(kind="ball", spread=0.3),
        lambda s: s.set_starts(kind="point", n=50),
        lambda s: s.set_starts(kind="uniform", n=300),
        lambda s: s.set(("simulate", "noise"), {"sigma": 0.5}),
        lambda s: s.set(("simulate", "steps"), 137),
        lambda s: s.add_optimizer("nesterov"),
    ]
    with compiles() as counter:
        for edit in edits:
            edit(state)
            assert state.problem() is None
            view = session.run(state)
            assert counter.n == 0, f"recompiled after {state.data}"
    assert view.steps[-1] == 135 and len(view.names) == 4  # record_every = 5


def test_diverged_runs_are_counted_and_left_out_of_the_band(session):
    state = small()
    state.set(("optimizers", "gd", "lr"), 1e3)
    view = session.run(state)
    assert view.counters[0]["diverged"] == 1.0
    assert [c["diverged"] for c in view.counters[1:]] == [0.0, 0.0]
    assert np.isnan(view.loss[:, 0, -1]).all()  # no gd run left to measure
    assert np.isfinite(view.loss[:, 1:, :]).all()


def test_claims_are_measured_and_a_renamed_optimizer_does_not_block_the_run(session):
    state = State.from_recipe("momentum_bowl")
    view = session.run(state)
    assert [v[1] for v in view.verdicts] == [True, True, True]
    assert [v[0] for v in view.verdicts] == [c["says"] for c in state.data["claims"]]
    state.rename("gd", "plain")  # the claims follow the label
    view = session.run(state)
    assert view.names == ["plain", "momentum"]
    assert [v[1] for v in view.verdicts] == [True, True, True]
    opts = state.data["optimizers"]  # renamed by hand (a TOML edit): the claims are not followed
    state.data["optimizers"] = {("solo" if k == "plain" else k): v for k, v in opts.items()}
    view = session.run(state)
    holds = [v[1] for v in view.verdicts]
    assert holds == [None, True, None]  # claims 0 and 2 name a "plain" the state no longer has
    assert "claims[2]" in view.verdicts[2][2] and "'plain'" in view.verdicts[2][2]


def test_a_state_that_simulates_nothing_is_refused(session):
    state = State.from_recipe("ewa_temperature")
    assert not state.simulates
    with pytest.raises(RecipeError, match="simulates nothing"):
        session.run(state)


def test_a_bad_value_raises_recipe_error_naming_the_field(session):
    state = small()
    state.set(("optimizers", "adam", "lr"), -1.0)
    with pytest.raises(RecipeError) as info:
        session.run(state)
    assert info.value.key == ("optimizers", "adam", "lr")


# --------------------------------------------------------------------------
# limits
# --------------------------------------------------------------------------
def test_live_data_thins_frames_to_the_limit(monkeypatch):
    monkeypatch.setitem(LIMITS, "frames", 10)
    state = small(n=50, steps=300, record_every=1)
    data, note = live_data(state, 2)
    every = data["simulate"]["record_every"]
    assert every == 30 and 300 // every + 1 <= LIMITS["frames"] + 1
    assert "every 30th step" in note and "record" not in data["simulate"]
    assert state.data["simulate"]["record_every"] == 1  # the state is not changed
    kept, note = live_data(small(n=50, steps=300, record_every=60), 2)
    assert kept["simulate"]["record_every"] == 60 and note == ""  # already fewer frames: kept


def test_live_data_lowers_record_to_fit_the_frame_bytes(monkeypatch):
    monkeypatch.setitem(LIMITS, "frames", 10)
    frames, opts, dim, item = 11, 3, 2, 8
    monkeypatch.setitem(LIMITS, "frame_bytes", 20 * frames * opts * dim * item)
    state = small(n=50, steps=300)
    data, note = live_data(state, 2)
    assert data["simulate"]["record"] == 20 and "first 20 of 50 runs" in note
    assert "claims" not in live_data(State.from_recipe("momentum_bowl"), 2)[0]


def test_run_applies_the_live_limits(session, monkeypatch):
    monkeypatch.setitem(LIMITS, "frames", 10)
    monkeypatch.setitem(LIMITS, "frame_bytes", 20 * 11 * 3 * 2 * 8)
    view = session.run(small(n=50, steps=300, record_every=1))
    assert len(view.steps) <= LIMITS["frames"] + 1 and view.recorded == 20 and view.n == 50
    assert view.X.shape == (len(view.steps), 3 * 20) and view.note


def test_validate_refuses_too_much_work(session, monkeypatch):
    monkeypatch.setitem(LIMITS, "work", 10_000)
    with pytest.raises(RecipeError) as info:
        session.validate(small(n=50, steps=100))  # 50 x 3 x 100 = 15,000
    assert info.value.key == ("starts", "n")
    assert "1.5e+04" in info.value.detail and "at most" in info.value.detail
    recipe, _ = session.validate(small(n=10, steps=100))  # 3,000: fine
    assert len(recipe.x0) == 10


# --------------------------------------------------------------------------
# latest wins
# --------------------------------------------------------------------------
def test_submit_runs_the_latest_state_and_collapses_the_rest():
    views, errors = [], []
    s = Session(on_view=views.append, on_error=errors.append)
    try:
        states = [small(n=100, steps=100 + i, record_every=1) for i in range(20)]
        for i, state in enumerate(states):
            state.set(("optimizers", "gd", "lr"), 0.001 * (i + 1))
        for state in states:  # faster than any run: they collapse
            s.submit(state)
        assert s.wait(120)
        assert errors == []
        assert 1 <= len(views) < 20 and s.runs == len(views)
        assert views[-1].steps[-1] == 119  # the last state submitted
        # an error goes to on_error; the next good state still gives a view
        bad = small(n=100, steps=50)
        bad.set(("optimizers", "gd", "lr"), -1.0)
        s.submit(bad)
        assert s.wait(60)
        assert len(errors) == 1 and isinstance(errors[0], RecipeError)
        assert errors[0].key == ("optimizers", "gd", "lr")
        s.submit(small(n=100, steps=77, record_every=1))
        assert s.wait(60)
        assert views[-1].steps[-1] == 77 and len(errors) == 1
    finally:
        s.close()
    thread = s._thread
    thread.join(10)
    assert not thread.is_alive()
    n = s.runs
    s.submit(small(n=10, steps=10))  # after close: ignored
    assert s.wait(1) and s.runs == n


def test_a_failing_callback_does_not_stop_the_worker(capsys):
    seen = threading.Event()
    calls = []

    def on_view(view):
        calls.append(view)
        if len(calls) == 1:
            raise RuntimeError("page gone")
        seen.set()

    s = Session(on_view=on_view)
    try:
        s.submit(small(n=20, steps=20))
        assert s.wait(60)
        s.submit(small(n=20, steps=30))
        assert s.wait(60) and seen.is_set()
    finally:
        s.close()
    assert len(calls) == 2 and "page gone" in capsys.readouterr().err


def test_module_exports():
    assert set(sess.__all__) <= set(dir(sess))
