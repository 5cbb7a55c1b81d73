"""landscape.explorer.state: a recipe as the table its TOML loads to, its files, URLs and edits.

Nothing here simulates (surfaces are built, kernels are not run).
"""

from __future__ import annotations

import base64
import json
import math
import random
import tomllib
import tracemalloc
import zlib

import pytest

from landscape import recipes, surfaces
from landscape.explorer import state as st
from landscape.explorer.state import MAX_QUERY, State, explorable_surfaces, to_toml
from landscape.recipes import RecipeError

GALLERY = [p.stem for p in recipes.gallery_paths()]


def _pack(raw: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


# --------------------------------------------------------------------------
# gallery recipes: TOML, URL and validation round trips
# --------------------------------------------------------------------------
@pytest.mark.parametrize("stem", GALLERY)
def test_gallery_recipe_round_trips_through_toml_and_url(stem, tmp_path):
    state = State.from_recipe(stem)
    assert state.name == stem and "output" not in state.data
    text = state.to_toml()
    assert tomllib.loads(text) == state.data
    assert State.from_toml(text, stem) == state
    assert State.from_query(state.to_query()) == state
    rec = state.recipe()
    assert state.problem() is None
    path = tmp_path / f"{stem}.toml"
    path.write_text(text, encoding="utf-8")
    loaded = recipes.load(path)
    assert loaded.kind == rec.kind and loaded.title == rec.title
    if rec.simulates:
        assert list(loaded.optimizers) == list(rec.optimizers)
        assert (loaded.x0 == rec.x0).all()
        assert loaded.simulate_options["steps"] == rec.simulate_options["steps"]
        assert len(loaded.claims) == len(rec.claims)


def test_default_state_is_a_valid_recipe():
    state = State()
    assert state.problem() is None and state.simulates
    assert list(state.recipe().optimizers) == ["gd", "momentum", "adam"]
    assert State() == state and State() is not state
    other = state.copy()
    other.set(("optimizers", "gd", "lr"), 0.5)
    assert state.get(("optimizers", "gd", "lr")) == 0.001  # the copy is independent


def test_get_set_delete():
    state = State()
    assert state.get(("simulate", "steps")) == 500
    assert state.get(("simulate", "nope"), "d") == "d"
    assert state.get(("title", "deeper")) is None  # through a non-table
    state.set(("simulate", "noise", "sigma"), 0.5)
    assert state.data["simulate"]["noise"] == {"sigma": 0.5}
    state.delete(("simulate", "noise"))
    state.delete(("simulate", "noise"))  # twice: no error
    assert "noise" not in state.data["simulate"]


def test_from_toml_refuses_invalid_toml_with_recipe_error():
    with pytest.raises(RecipeError, match="<pasted>: invalid TOML"):
        State.from_toml("title = ", "pasted")


# --------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------
def test_query_is_compact_and_url_safe():
    q = State().to_query()
    assert len(q) < 1000 and set(q) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("garbage!!", "cannot be read"),
        ("", "cannot be read"),
        ("aGVsbG8", "cannot be read"),  # base64 of b"hello": not zlib
        ("x" * (MAX_QUERY + 1), f"at most {MAX_QUERY} characters"),
        (_pack(b"not json"), "cannot be read"),
        (_pack(b"[1, 2]"), "not a recipe table"),
        (_pack(b'{"recipe": 3}'), "not a recipe table"),
        (_pack(b'{"name": "a"}'), "not a recipe table"),
        (_pack(b"[" * 100_000), "cannot be read"),  # nesting too deep for the JSON reader
    ],
)
def test_damaged_query_raises_value_error(text, says):
    with pytest.raises(ValueError, match=says):
        State.from_query(text)


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9])
def test_truncated_query_raises_value_error(cut):
    q = State.from_recipe("momentum_bowl").to_query()
    with pytest.raises(ValueError, match="cut or edited"):
        State.from_query(q[: int(len(q) * cut)])


def test_query_cut_in_its_checksum_is_refused():
    q = State().to_query()
    with pytest.raises(ValueError, match="cut or edited"):
        State.from_query(q[:-3])  # the data is whole, its checksum is not


def test_query_of_a_non_string_is_refused():
    with pytest.raises(ValueError, match="must be a string"):
        State.from_query(None)


def test_query_with_a_bad_name_falls_back_to_explore():
    raw = json.dumps({"name": "not an identifier!", "recipe": State().data}).encode()
    assert State.from_query(_pack(raw)).name == "explore"


def test_zip_bomb_is_refused_without_inflating_it():
    bomb = _pack(b" " * 10_000_000)
    assert len(bomb) <= MAX_QUERY  # it fits a URL
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="too large"):
            State.from_query(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # far less than the 10 MB it inflates to


def test_a_state_too_large_for_a_url_is_refused():
    state = State()
    state.data["lesson"] = base64.b64encode(
        random.Random(0).randbytes(20_000)
    ).decode()  # incompressible
    with pytest.raises(ValueError, match=f"at most {MAX_QUERY} fit a URL"):
        state.to_query()


# --------------------------------------------------------------------------
# the TOML writer
# --------------------------------------------------------------------------
def test_toml_writer_round_trips_awkward_keys_and_values():
    data = {
        "title": 'a "quoted" title with β and \\ backslash\nand a newline',
        "lesson": "tab\there",
        "surface": {"name": "rosenbrock", "a": 1.0, "b": 100},
        "optimizers": {
            "momentum β=0.9": {"kind": "momentum", "lr": 1e-8, "beta": 0.9},
            'a "b"': {"kind": "gd", "lr": 0.1},
            "with space": {
                "kind": "adam",
                "lr": 3e-4,
                "schedule": {"name": "inverse_time", "decay": 0.01},
            },
            "x.y": {"kind": "sgd", "lr": 1.8, "noise": {"sigma": 0.5}},
        },  # fmt: skip
        "starts": {"kind": "point", "x": [-1.5, 2.0]},
        "simulate": {
            "steps": 10,
            "diverge_at": math.inf,
            "events": {"e x": {"kind": "leave_ball", "center": [0.0, 0.0], "radius": 0.5}},
            "noise": {"sigma": 0.5, "batch_size": 8},
            "floats": [1e-8, 0.1, 1e300, 5e-324, -0.0, -math.inf, 2.5e-07],
            "flags": [True, False],
            "empty": [],
        },
        "render": {"kind": "swarm"},
        "claims": [
            {"says": "über", "measure": "final_loss", "of": "momentum β=0.9", "at_most": 1e-3}
        ],
    }
    text = to_toml(data)
    back = tomllib.loads(text)
    assert back == data
    assert math.copysign(1.0, back["simulate"]["floats"][4]) == -1.0  # -0.0 stays negative
    assert '[optimizers."momentum β=0.9"]' in text and "[[claims]]" in text


def test_toml_writer_writes_nan():
    text = to_toml({"x": math.nan})
    assert math.isnan(tomllib.loads(text)["x"])


def test_toml_writer_refuses_what_toml_cannot_hold():
    with pytest.raises(ValueError, match="not NoneType"):
        to_toml({"x": None})


def test_to_toml_claims_argument_and_empty_claims():
    state = State.from_recipe("momentum_bowl")
    assert "[[claims]]" not in state.to_toml(claims=[])
    one = [{"says": "s", "measure": "final_loss", "of": "gd", "at_most": 1.0}]
    assert tomllib.loads(state.to_toml(claims=one))["claims"] == one
    assert len(state.data["claims"]) == 3  # the state keeps its own


# --------------------------------------------------------------------------
# problem(): the key path of the wrong field
# --------------------------------------------------------------------------
def _broken(path, value):
    state = State()
    state.set(path, value)
    return state.problem()


@pytest.mark.parametrize(
    ("path", "value", "key", "says"),
    [
        (("optimizers", "gd", "lr"), -0.1, ("optimizers", "gd", "lr"), "must be > 0, got -0.1"),
        (("optimizers", "gd", "kind"), "nope", ("optimizers", "gd", "kind"), "must be one of"),
        (("starts", "n"), 0, ("starts", "n"), "got 0"),
        (("simulate", "steps"), 0, ("simulate", "steps"), "got 0"),
        (("surface", "name"), "nosuch", ("surface", "name"), "rosenbrock"),
    ],
)
def test_problem_names_the_field(path, value, key, says):
    err = _broken(path, value)
    assert isinstance(err, RecipeError)
    assert err.key == key
    assert says in err.detail and not err.detail.startswith("<")  # detail: without the file
    assert str(err).startswith("<explore>: ")


def test_problem_of_a_bad_formula_names_the_surface():
    state = State()
    state.set_surface({"expression": "x**"})
    err = state.problem()
    assert isinstance(err, RecipeError) and err.key[:1] == ("surface",)
    assert "expression" in err.detail


def test_problem_of_a_label_with_spaces():
    state = State()
    label = state.add_optimizer("gd", lr=-1.0)
    assert state.problem().key == ("optimizers", label, "lr")


# --------------------------------------------------------------------------
# edits
# --------------------------------------------------------------------------
def test_add_optimizer_gives_unique_labels():
    state = State({**State().data, "optimizers": {}})
    assert state.add_optimizer() == "gd"
    assert state.add_optimizer("gd") == "gd 2"
    assert state.add_optimizer("gd", lr=0.5) == "gd 3"
    assert state.add_optimizer("adam") == "adam"
    opts = state.data["optimizers"]
    assert opts["gd 3"] == {"kind": "gd", "lr": 0.5}
    assert opts["adam"]["lr"] == st.hyperparameters("adam")["lr"]
    assert state.problem() is None
    with pytest.raises(ValueError, match="kind must be one of"):
        state.add_optimizer("nope")


def test_set_kind_keeps_lr_and_shared_hyperparameters():
    state = State()
    state.set(("optimizers", "momentum", "lr"), 0.004)
    state.set(("optimizers", "momentum", "schedule"), {"name": "inverse_time", "decay": 0.01})
    state.set_kind("momentum", "heavy_ball")
    assert state.data["optimizers"]["momentum"] == {
        "kind": "heavy_ball", "lr": 0.004, "beta": 0.9,
        "schedule": {"name": "inverse_time", "decay": 0.01},
    }  # fmt: skip
    state.set_kind("momentum", "adam")  # beta is not adam's: dropped
    assert state.data["optimizers"]["momentum"] == {
        "kind": "adam", "lr": 0.004, "schedule": {"name": "inverse_time", "decay": 0.01},
    }  # fmt: skip
    state.set(("optimizers", "adam", "eps"), 1e-6)
    state.set_kind("adam", "gd")  # b1, b2, eps dropped
    assert state.data["optimizers"]["adam"] == {"kind": "gd", "lr": 0.01}
    assert list(state.data["optimizers"]) == ["gd", "momentum", "adam"]
    assert state.problem() is None


def test_set_kind_of_a_label_without_kind():
    state = State.from_recipe("momentum_bowl")  # [optimizers.gd] with no kind
    state.set_kind("gd", "rmsprop")
    assert state.data["optimizers"]["gd"] == {"kind": "rmsprop", "lr": 0.038}
    assert state.problem() is None or state.problem().key[0] == "claims"


def test_rename_keeps_order_and_refuses_duplicates_and_empty():
    state = State.from_recipe("momentum_bowl")
    state.rename("gd", "plain GD")
    assert list(state.data["optimizers"]) == ["plain GD", "momentum"]
    assert state.data["optimizers"]["plain GD"]["kind"] == "gd"  # the label was its kind
    state.rename("momentum", "momentum")  # to itself: a no-op
    assert list(state.data["optimizers"]) == ["plain GD", "momentum"]
    with pytest.raises(ValueError, match="already used"):
        state.rename("plain GD", "momentum")
    with pytest.raises(ValueError, match="must not be empty"):
        state.rename("plain GD", "  ")
    assert list(state.data["optimizers"]) == ["plain GD", "momentum"]
    # the claims follow the label: they name "plain GD" now, and the recipe is valid
    assert state.problem() is None
    claims = state.data["claims"]
    assert [c["of"] for c in claims] == ["plain GD", "momentum", "momentum"]
    assert claims[2]["less_than"] == "plain GD"


def test_set_starts_converts_kinds_keeping_centre_and_count():
    state = State()
    assert state.start_kind() == "normal" and state.start_count() == 1000
    for kind in ["point", "normal", "ball", "sphere", "uniform", "normal"]:
        state.set_starts(kind=kind)
        assert state.start_kind() == kind
        assert state.start_centre() == pytest.approx([-1.5, 2.0])
        assert state.start_count() == 1000
        assert state.problem() is None, kind
    assert state.start_spread() == pytest.approx(0.1)
    state.set_starts(kind="grid")  # 1,000 runs: about 32 a side, not 1,000 a side
    assert state.start_kind() == "grid" and state.start_count() == 32
    assert state.start_centre() == pytest.approx([-1.5, 2.0])
    assert len(state.recipe().x0) == 32**2
    state.set_starts(kind="ball")
    assert state.start_count() == 32**2 and state.start_centre() == pytest.approx([-1.5, 2.0])


def test_set_starts_given_values_and_x0():
    state = State.from_recipe("momentum_bowl")
    assert state.start_kind() == "point" and state.start_spread() == 0.0
    state.set_starts(kind="ball", centre=[1.0, 2.0], spread=0.5, n=7)
    assert state.data["starts"] == {"kind": "ball", "n": 7, "center": [1.0, 2.0], "radius": 0.5,
                                    "seed": 0}  # fmt: skip
    state.data["starts"] = {"x0": [[0.0, 0.0], [2.0, 4.0]]}
    assert state.start_kind() == "x0" and state.start_centre() == [1.0, 2.0]
    assert state.start_count() == 2
    state.set_starts(kind="normal")
    assert state.data["starts"]["mean"] == [1.0, 2.0] and state.start_count() == 2
    with pytest.raises(ValueError, match="kind must be one of"):
        state.set_starts(kind="nope")


def test_set_surface_drops_events_claims_and_event_options():
    state = State.from_recipe("saddle_escape")
    state.set_surface({"name": "himmelblau"}, box=[(-5.0, 5.0), (-4.0, 6.0)])
    assert "events" not in state.data["simulate"] and "claims" not in state.data
    assert "event" not in state.data["render"]
    (x0, y0) = state.start_centre()
    assert -5 < x0 < 5 and -4 < y0 < 6
    assert state.start_kind() == "ball" and state.start_count() == 400
    assert state.problem() is None


def test_set_surface_drops_batch_sizes_off_a_finite_sum():
    kept = State.from_recipe("batch_vs_minibatch")
    kept.set_surface({"name": "linear_regression", "m": 256})
    assert [o.get("batch_size") for o in kept.data["optimizers"].values()] == [1, 64, "m"]
    assert kept.problem() is None
    state = State.from_recipe("batch_vs_minibatch")
    state.set_surface({"name": "rosenbrock"}, box=[(-2.0, 2.0), (-1.0, 3.0)])
    assert not any("batch_size" in o for o in state.data["optimizers"].values())
    assert "batch_size" not in state.data["simulate"] and "claims" not in state.data
    (x0, y0) = state.start_centre()
    assert -2 < x0 < 2 and -1 < y0 < 3
    assert state.problem() is None


@pytest.mark.parametrize("stem", GALLERY)
def test_set_surface_on_any_simulating_gallery_recipe_stays_valid(stem):
    state = State.from_recipe(stem)
    if not state.simulates:
        assert st.State.from_recipe(stem).problem() is None
        return
    state.set_surface({"name": "rosenbrock"}, box=[(-2.0, 2.0), (-1.0, 3.0)])
    err = state.problem()
    # a survival figure needs an event: the one thing a new surface cannot keep
    assert err is None or err.key == ("render", "event"), err


# --------------------------------------------------------------------------
# what the controls offer
# --------------------------------------------------------------------------
def test_explorable_surfaces_are_two_dimensional():
    names = explorable_surfaces()
    assert {"rosenbrock", "himmelblau", "linear_regression"} <= set(names)
    assert "quadratic" not in names  # it needs a matrix
    for name in names:
        params = st.surface_parameters(name)
        assert params is not None
        surf = getattr(surfaces, name)(**({"dim": 2} if "dim" in params else {}))
        assert surf.dim == 2, name
    assert explorable_surfaces() == names and explorable_surfaces() is not names


def test_surface_and_optimizer_parameters():
    assert st.surface_parameters("rosenbrock") == {"dim": 2, "a": 1.0, "b": 100.0}
    assert st.surface_parameters("quadratic") is None
    assert "dim" not in st.surface_parameters("linear_regression")
    hp = st.hyperparameters("adam")
    assert next(iter(hp)) == "lr" and {"b1", "b2", "eps"} <= set(hp)
    assert st.hyperparameters("momentum") == {"lr": 0.01, "beta": 0.9}
    assert st.schedule_parameters("inverse_time") == {"decay": 1.0, "steps_per_epoch": 1}
