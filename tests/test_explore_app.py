"""The explorer's page without a browser: its controls drive the state, the runs and the exports.

An :class:`Explorer` outside a server session runs every change at once (as in a
notebook), so these tests turn its widgets and read what it shows.  The browser
itself is driven in test_explore_browser.py.
"""

import subprocess
import sys
import tomllib

import numpy as np
import pytest

pytest.importorskip("panel")

from _helpers import ctrl_c, default_sigint  # noqa: E402

import landscape as ls  # noqa: E402
from landscape import recipes  # noqa: E402
from landscape._cache import compiles  # noqa: E402
from landscape.explorer.app import Explorer  # noqa: E402
from landscape.explorer.state import State  # noqa: E402


def _explorer(name=None, **simulate):
    st = State() if name is None else State.from_recipe(name)
    for k, v in simulate.items():
        st.set(("simulate", k), v)
    ex = Explorer(st)
    ex.panel()
    return ex


@pytest.fixture(scope="module")
def bowl():
    """momentum_bowl (gd and momentum on the elongated bowl), shortened."""
    return _explorer("momentum_bowl", steps=60)


@pytest.mark.parametrize("path", recipes.gallery_paths(), ids=lambda p: p.stem)
def test_every_gallery_recipe_opens(path):
    ex = _explorer(path.stem)
    assert ex.failed is None, ex.failed
    if ex.state.simulates:
        v = ex.current
        assert v is not None and v.X.shape[1] == len(v.names) * v.recorded
        assert ex.player.value == len(v.steps) - 1
        # the lesson's claims are measured on this very run and shown
        assert len(v.verdicts) == len(ex.state.data.get("claims", []))
        assert all(holds for _, holds, _ in v.verdicts), v.verdicts
        assert "✓" in ex.claims.object or not v.verdicts
    else:  # ewa, schedules: the renderer's figure
        assert ex.figure.visible and ex.figure.object[:4] == b"\x89PNG"


def test_controls_rerun_without_recompiling(bowl):
    ex = bowl
    before = ex.current
    with compiles() as listener:
        ex.widgets[("optimizers", "gd", "log10 lr")].value = -1.6
        assert ex.state.data["optimizers"]["gd"]["lr"] == pytest.approx(10**-1.6, rel=1e-3)
        after_lr = ex.current
        assert after_lr is not before
        assert not np.array_equal(after_lr.X, before.X)
        ex.widgets[("optimizers", "momentum", "beta")].value = 0.5
        ex.widgets[("optimizers", "gd", "schedule")].value = "inverse_time"
        assert ex.state.data["optimizers"]["gd"]["schedule"]["name"] == "inverse_time"
        ex.widgets[("optimizers", "gd", "kind")].value = "rmsprop"
        ex.widgets[("starts", "kind")].value = "normal"
        ex.widgets[("starts", "n")].value = 300
        ex.widgets[("simulate", "noise")].value = 0.5
        ex.widgets[("simulate", "steps")].value = 40
    assert ex.failed is None, ex.failed
    v = ex.current
    assert v.n == 300 and int(v.steps[-1]) == 40
    assert listener.n == 0, "a data change recompiled a kernel"


def test_bad_value_is_shown_next_to_its_field_and_the_page_recovers(bowl):
    ex = bowl
    good = ex.current
    ex.widgets[("optimizers", "momentum", "lr")].value = -0.5
    assert ex.failed is not None and ex.failed.key == ("optimizers", "momentum", "lr")
    pane = ex._errors["opt:momentum"]
    assert pane.visible and "lr" in pane.object and "-0.5" in pane.object
    assert not ex._errors["general"].visible
    assert ex.current is good  # the last good run stays on screen
    ex.widgets[("optimizers", "momentum", "lr")].value = 0.02
    assert ex.failed is None and not pane.visible and ex.current is not good


def test_click_on_the_map_moves_the_start(bowl):
    from bokeh.events import Tap

    ex = bowl
    ex._on_tap(Tap(ex.map.fig, x=-1.25, y=0.75))
    assert ex.state.start_centre()[:2] == [-1.25, 0.75]
    assert ex.map.start.data == {"x": [-1.25], "y": [0.75]}
    assert ex.widgets[("starts", "x")].value == -1.25
    x0 = ex.current.X[0]
    if ex.state.start_spread() == 0:
        assert np.allclose(x0, -1.25)
    else:
        assert abs(float(np.mean(x0)) + 1.25) < 0.2


def test_player_scrubs_frames(bowl):
    ex = bowl
    v = ex.current
    ex.player.value = 3
    assert np.array_equal(ex.map.swarm.data["x"], v.X[3])
    assert ex.loss.step.location == float(v.steps[3])


def test_add_and_remove_optimizers():
    ex = _explorer("rmsprop_bowl", steps=30)
    kind, add = ex.widgets[("optimizers", "add")]
    kind.value = "adam"
    add.clicks += 1
    assert list(ex.state.data["optimizers"]) == ["gd", "rmsprop", "adam"]
    assert ex.current.names == ["gd", "rmsprop", "adam"]
    ex.widgets[("optimizers", "rmsprop", "remove")].clicks += 1
    assert ex.current.names == ["gd", "adam"]


def test_export_keeps_only_the_claims_that_hold():
    ex = _explorer("momentum_bowl")
    text = ex.export_toml()
    data = tomllib.loads(text)
    assert data["lesson"] == ex.state.data["lesson"] and len(data["claims"]) == 3
    recipes.from_dict(data, "momentum_bowl")
    # momentum at a tiny learning rate no longer arrives first: that claim is not exported
    ex.widgets[("optimizers", "momentum", "log10 lr")].value = -4
    held = [h for _, h, _ in ex.current.verdicts]
    assert False in held
    data = tomllib.loads(ex.export_toml())
    assert len(data.get("claims", [])) == held.count(True)
    assert data["lesson"].startswith("Explored by hand from momentum_bowl")
    assert data["optimizers"]["momentum"]["lr"] == pytest.approx(1e-4)
    recipe = recipes.from_dict(data, "momentum_bowl")
    assert all(v.holds for v in recipe.check())


@pytest.mark.parametrize("fmt", ["gif", "mp4"])
def test_export_renders_the_state(fmt):
    import asyncio

    ex = _explorer("momentum_bowl", steps=12, record_every=1)
    data = asyncio.run(ex._export_in_background(fmt)).getvalue()
    assert data[:4] == b"GIF8" if fmt == "gif" else data[4:8] == b"ftyp"
    assert f"{fmt.upper()} rendered" in ex.status.object


def test_toml_editor_applies_or_says_what_is_wrong(bowl):
    ex = bowl
    ex.toml.value = "title = 'x'\n[surface\n"
    ex._on_apply_toml(None)
    assert ex.toml_error.visible and "invalid TOML" in ex.toml_error.object
    st = State.from_recipe("rmsprop_bowl")
    st.set(("simulate", "steps"), 20)
    ex.toml.value = st.to_toml()
    ex._on_apply_toml(None)
    assert ex.failed is None and ex.current.names == ["gd", "rmsprop"]


def test_formula_surface_from_the_surface_menu():
    ex = _explorer("momentum_bowl", steps=30)
    ex.widgets[("surface",)].value = "formula (type your own)"
    assert "expression" in ex.state.data["surface"] and ex.failed is None
    ex.widgets[("surface", "expression")].value = "x**2 + 3*y**2 +"
    assert ex.failed is not None and ex.failed.key[0] == "surface"
    assert ex._errors["surface"].visible
    ex.widgets[("surface", "expression")].value = "x**2 + 3*y**2"
    assert ex.failed is None and ex.current.field is not None


def test_ls_explore_returns_the_page():
    import panel as pn

    page = ls.explore("rmsprop_bowl")
    assert isinstance(page, pn.layout.Row)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "landscape.cli", "explore", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    "args, words",
    [
        (["no_such_recipe"], "no_such_recipe"),
        (["--port", "70000"], "--port"),
        (["--port", "x"], "--port"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(args, words):
    r = _cli(*args, "--no-browser")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("landscape explore: error:") and words in lines[0]
    )


def test_export_in_background_shows_a_failure_on_the_page(bowl, monkeypatch):
    import asyncio

    ex = bowl

    def broken(fmt):
        raise ValueError("writing .mp4 needs ffmpeg")

    monkeypatch.setattr(ex, "_export_render", broken)
    with pytest.raises(ValueError):
        asyncio.run(ex._export_in_background("mp4"))
    assert ex._errors["general"].visible and "ffmpeg" in ex._errors["general"].object


def test_text_from_a_link_is_shown_as_text_never_as_markup():
    st = State.from_recipe("rmsprop_bowl")
    st.set(("simulate", "steps"), 20)
    st.data["title"] = "<img src=x onerror=alert(1)>"
    st.rename("gd", "<b>gd</b>")
    st.set(("optimizers", "<b>gd</b>", "lr"), -1)
    ex = Explorer(State.from_query(st.to_query()))
    ex.panel()
    assert "<img" not in ex.lesson.object and "&lt;img" in ex.lesson.object
    shown = [p.object for p in ex._errors.values() if p.visible]
    assert shown and all("<b>" not in m for m in shown) and "&lt;b&gt;" in shown[0]
    cards = [c for c in ex.controls if getattr(c, "title", "") == "Optimizers"][0]
    assert all("<b>" not in getattr(c, "title", "") for c in cards)


def test_cli_without_panel_says_which_extra_to_install():
    code = (
        "import sys; sys.modules['panel'] = None\n"
        "from landscape.cli import main\n"
        "sys.exit(main(['explore', '--no-browser']))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install "landscape[explore]"' in lines[0]


def test_an_emptied_box_is_an_error_at_its_field_and_later_changes_still_run():
    ex = _explorer("momentum_bowl", steps=30)
    lr = ex.state.data["optimizers"]["gd"]["lr"]
    ex.widgets[("optimizers", "gd", "lr")].value = None
    assert ex._errors["opt:gd"].visible and "empty" in ex._errors["opt:gd"].object
    assert ex.state.data["optimizers"]["gd"]["lr"] == lr  # nothing was written
    ex.widgets[("starts", "x")].value = None
    assert ex._errors["starts"].visible
    ex.widgets[("starts", "x")].value = -2.0
    ex.widgets[("simulate", "steps")].value = 25
    assert ex.failed is None and ex.current.total_steps == 25


def test_out_of_range_numbers_get_the_recipes_message():
    ex = _explorer("momentum_bowl", steps=30)
    ex.widgets[("starts", "n")].value = 0
    assert ex.failed is not None and ex.failed.key == ("starts", "n")
    assert ex._errors["starts"].visible and "n" in ex._errors["starts"].object
    ex.widgets[("starts", "n")].value = 1
    ex.widgets[("simulate", "steps")].value = 0
    assert ex._errors["simulate"].visible and "steps" in ex._errors["simulate"].object


def test_a_toml_with_values_of_the_wrong_type_still_builds_the_controls():
    ex = _explorer("momentum_bowl", steps=30)
    st = State.from_recipe("momentum_bowl")
    st.set(("simulate", "steps"), "many")
    st.set(("optimizers", "momentum", "beta"), "x")
    ex.toml.value = st.to_toml()
    ex._on_apply_toml(None)
    assert ex.failed is not None and ex.failed.key[:1] in (("simulate",), ("optimizers",))
    assert ex.toml_error.visible and "next to the field" in ex.toml_error.object
    assert ex.widgets[("simulate", "steps")].value == 100  # shown as a number; the message says why


def test_figures_that_simulate_nothing_hide_the_runs_views():
    ex = _explorer("momentum_bowl", steps=30)
    ex.widgets[("preset",)].value = "ewa_temperature"
    assert ex.figure.visible and not ex._run_views.visible and not ex._player_row.visible
    assert ex.status.object == "" and ex.current is None
    ex.widgets[("preset",)].value = "rmsprop_bowl"
    assert not ex.figure.visible and ex._run_views.visible and ex.current is not None


def test_a_map_keeps_its_surface_two_dimensional():
    ex = _explorer("saddle_escape", steps=30)
    assert ("surface", "dim") not in ex.widgets and ("surface", "k") in ex.widgets
    ex = _explorer("saddles_high_dim", steps=20)  # loss curves: any dimension
    assert ("surface", "dim") in ex.widgets
    assert "slice through the start" in ex.map.fig.title.text


def test_a_new_kind_renames_its_label_and_a_new_surface_says_the_lesson_is_gone():
    ex = _explorer("momentum_bowl", steps=30)
    ex.widgets[("optimizers", "gd", "kind")].value = "rmsprop"
    assert list(ex.state.data["optimizers"]) == ["rmsprop", "momentum"]
    assert [h for _, h, _ in ex.current.verdicts] == [None, True, None]  # they were about gd
    assert "not all of it holds" in ex.lesson.object
    ex.widgets[("surface",)].value = "himmelblau"
    assert "Explored by hand from momentum_bowl" in ex.state.data["lesson"]
    assert not ex.state.data.get("claims") and ex.failed is None


def test_export_measures_the_state_it_writes():
    ex = _explorer("momentum_bowl")
    ex.state.set(("optimizers", "momentum", "lr"), 1e-4)  # not yet run (e.g. the TOML editor)
    data = tomllib.loads(ex.export_toml())
    assert data["optimizers"]["momentum"]["lr"] == 1e-4
    recipe = recipes.from_dict(data, "momentum_bowl")
    assert all(v.holds for v in recipe.check())


def test_ctrl_c_stops_the_server_promptly():
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [sys.executable, "-m", "landscape.cli", "explore", "rmsprop_bowl", "--no-browser",
            "--port", str(port)]  # fmt: skip
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          preexec_fn=default_sigint) as proc:  # fmt: skip
        end = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/explore", timeout=30).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < end, proc.stdout.read()
                time.sleep(0.2)
        assert ctrl_c(proc, within=10) < 10 and proc.returncode in (0, 130)
