"""Recipes (landscape.recipes): the bundled gallery loads and renders; errors name file + key.

Compile budget: one float64 kernel per surface family of the gallery
(quadratic, rosenbrock, beale, himmelblau, plateau, strict_saddle, and the
linear_regression finite sum) plus the batched engine's update kernel
(random_strict_saddle: BLAS, no surface kernel), shared with
tests/test_cli.py and tests/test_render.py when they run in one process.  Renders are tiny
(scale 0.2, at most 4 frames).
"""

from __future__ import annotations

import inspect
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

import landscape as ls
from landscape import recipes

GALLERY = recipes.gallery_paths()
SCALE, MAX_FRAMES = 0.2, 4

BASE = """\
title = "A tiny race"
lesson = "Momentum is smoother."
output = "tiny.gif"

[surface]
name = "elongated_bowl"
kappa = 10.0

[optimizers.gd]
kind = "gd"
lr = 0.05

[optimizers."momentum β=0.9"]
kind = "momentum"
lr = 0.05
beta = 0.9

[starts]
kind = "point"
x = [-2.0, 1.0]

[simulate]
steps = 20
record_every = 1

[render]
kind = "race"
size = [160, 90]
fps = 10
"""


def write(tmp_path, text, name="recipe.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path, text, name="recipe.toml") -> str:
    path = write(tmp_path, text, name)
    with pytest.raises(recipes.RecipeError) as info:
        recipes.load(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(path)) or msg.startswith(name), msg
    return msg


def frames_of(path) -> tuple[int, tuple[int, int]]:
    from PIL import Image

    with Image.open(path) as im:
        return getattr(im, "n_frames", 1), im.size


# --------------------------------------------------------------------------
# the bundled gallery
# --------------------------------------------------------------------------
def test_gallery_is_found_and_covers_the_course():
    names = {p.stem for p in GALLERY}
    assert len(names) >= 12
    kinds = {recipes.load(p).kind for p in GALLERY}
    assert kinds == set(recipes.RENDERERS)  # every renderer is shown at least once
    assert recipes.find("momentum_bowl") == recipes.gallery_dir() / "momentum_bowl.toml"


def test_gallery_dir_can_be_overridden(tmp_path, monkeypatch):
    write(tmp_path, BASE, "only.toml")
    monkeypatch.setenv("LANDSCAPE_ANIMATIONS", str(tmp_path))
    assert [p.name for p in recipes.gallery_paths()] == ["only.toml"]
    monkeypatch.setenv("LANDSCAPE_ANIMATIONS", str(tmp_path / "missing"))
    with pytest.raises(recipes.RecipeError, match="LANDSCAPE_ANIMATIONS"):
        recipes.gallery_paths()


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_bundled_recipe_renders_tiny(path, tmp_path):
    rec = recipes.load(path)
    assert rec.title.strip() and rec.lesson.strip() and "\n" not in rec.lesson
    out = rec.run(tmp_path, scale=SCALE, max_frames=MAX_FRAMES)
    assert out == tmp_path / rec.output and out.exists()
    w, h = rec.render_options.get("size", (960, 540))
    n, size = frames_of(out)
    assert size == (round(w * SCALE), round(h * SCALE))
    if rec.animated and out.suffix == ".gif":
        assert n == MAX_FRAMES
    else:
        assert out.suffix == ".png" and n == 1


def test_renderer_options_match_landscape_render():
    """Every [render] key a recipe accepts is a keyword of the renderer it calls."""
    from landscape import render

    assert recipes.RENDERERS is render.RENDERERS  # one registry, read by recipes
    for kind, spec in recipes.RENDERERS.items():
        params = inspect.signature(spec.function).parameters
        assert getattr(render, spec.name) is spec.function, kind
        for key in spec.keys:
            assert key in params, (kind, key)
        if spec.animated is not False:
            assert {"max_frames", "progress", "fps"} <= set(params), kind
    assert tuple(render.FORMATS) == (".gif", ".mp4", ".png")


# --------------------------------------------------------------------------
# running: formats, scale, backends, noise per optimizer
# --------------------------------------------------------------------------
def test_run_formats_and_paths(tmp_path):
    rec = recipes.load(write(tmp_path, BASE))
    assert rec.out_path() == Path("gallery") / "tiny.gif"
    assert rec.out_path(tmp_path, fmt="png") == tmp_path / "tiny.png"
    assert rec.out_path(tmp_path / "x.mp4") == tmp_path / "x.mp4"
    with pytest.raises(recipes.RecipeError, match="disagrees"):
        rec.out_path(tmp_path / "x.gif", fmt="mp4")
    with pytest.raises(recipes.RecipeError, match="format must be one of gif, mp4, png"):
        rec.out_path(tmp_path, fmt="avi")
    with pytest.raises(recipes.RecipeError, match="output format must be one of"):
        rec.out_path(tmp_path / "x.jpg")
    out = rec.run(tmp_path / "last.png", max_frames=3)
    assert frames_of(out) == (1, (160, 90))
    with pytest.raises(recipes.RecipeError, match="scale must be > 0"):
        rec.run(tmp_path, scale=0)


def test_still_figures_only_write_png(tmp_path):
    rec = recipes.load(recipes.find("lr_decay_schedules"))
    assert not rec.animated and rec.output.endswith(".png")
    with pytest.raises(recipes.RecipeError, match="still figure"):
        rec.out_path(tmp_path, fmt="gif")


def test_cuda_backend_is_a_clear_error(tmp_path):
    rec = recipes.load(write(tmp_path, BASE))
    with pytest.raises(recipes.RecipeError, match="backend .cuda. is not usable here"):
        rec.run(tmp_path, backend="cuda")
    with pytest.raises(recipes.RecipeError, match="backend must be one of"):
        rec.simulate(backend="tpu")


def test_noise_per_optimizer_joins_separate_launches(tmp_path):
    text = BASE.replace(
        'kind = "gd"\nlr = 0.05', 'kind = "gd"\nlr = 0.05\nnoise = { sigma = 2.0, batch_size = 4 }'
    )
    text = text.replace(
        "record_every = 1",
        "record_every = 1\nnoise = { sigma = 2.0 }\n"
        'events = { near = { kind = "enter_ball", center = [0, 0], radius = 0.5 } }',
    )
    rec = recipes.load(write(tmp_path, text))
    res = rec.simulate()
    assert res.names == ["gd", "momentum β=0.9"]
    surf, x0 = rec.surface, rec.x0
    kw = dict(steps=20, record_every=1, seed=0, events=rec.simulate_options["events"])
    a = ls.simulate(surf, {"gd": rec.optimizers["gd"]}, x0, noise=ls.noise.gaussian(2.0, 4), **kw)
    b = ls.simulate(
        surf, {"m": rec.optimizers["momentum β=0.9"]}, x0, noise=ls.noise.gaussian(2.0), **kw
    )
    np.testing.assert_array_equal(res.positions[0], a.positions[0])
    np.testing.assert_array_equal(res.positions[1], b.positions[0])
    np.testing.assert_array_equal(res.events["near"][1], b.events["near"][0])
    assert res.config["optimizers"][0]["noise"]["batch_size"] == 4
    assert res.loss.shape == (2, 1, 21)


# --------------------------------------------------------------------------
# real mini-batches on finite-sum surfaces
# --------------------------------------------------------------------------
MINIBATCH = """\
title = "Tiny mini-batches"
lesson = "Smaller batches, noisier steps."

[surface]
name = "linear_regression"
m = 40

[optimizers."batch GD"]
kind = "sgd"
lr = 0.5
batch_size = "m"

[optimizers."mini-batch (b = 8)"]
kind = "sgd"
lr = 0.5
batch_size = 8

[optimizers.momentum]
lr = 0.5
beta = 0.9

[starts]
kind = "point"
x = [-1.0, 1.0]

[simulate]
steps = 12
record_every = 1
seed = 4
batch_size = 1

[render]
kind = "minibatch"
size = [160, 90]
"""


def test_batch_size_keys_reach_simulate(tmp_path):
    rec = recipes.load(write(tmp_path, MINIBATCH))
    # own keys win, "m" is the full batch, simulate.batch_size fills in the rest
    assert rec.batch_sizes == {"batch GD": 40, "mini-batch (b = 8)": 8, "momentum": 1}
    res = rec.simulate()
    assert res.minibatch["batch_size"] == [40, 8, 1]
    assert res.minibatch["steps_per_epoch"] == [1, 5, 40]
    assert res.batch_loss.shape == (3, 1, 13)
    direct = ls.simulate(rec.surface, rec.optimizers, rec.x0, 12, record_every=1, seed=4,
                         batch_size=[40, 8, 1])  # fmt: skip
    np.testing.assert_array_equal(res.positions, direct.positions)
    np.testing.assert_array_equal(res.batch_loss, direct.batch_loss)
    # without simulate.batch_size the others use the full batch
    rec2 = recipes.load(write(tmp_path, MINIBATCH.replace("batch_size = 1\n", ""), "two.toml"))
    assert rec2.batch_sizes == {"batch GD": 40, "mini-batch (b = 8)": 8, "momentum": 40}
    # no batch_size anywhere: plain full-batch runs
    plain = MINIBATCH.replace("batch_size = 1\n", "").replace('batch_size = "m"\n', "")
    rec3 = recipes.load(write(tmp_path, plain.replace("batch_size = 8\n", ""), "three.toml"))
    assert rec3.batch_sizes == {}
    assert rec3.simulate().minibatch["batch_size"] == [40, 40, 40]
    out = rec.run(tmp_path, max_frames=3)
    assert frames_of(out) == (1, (160, 90))


def test_batch_size_with_noise_per_optimizer_joins_launches(tmp_path):
    text = MINIBATCH.replace("batch_size = 8\n", "batch_size = 8\nnoise = { sigma = 0.5 }\n")
    rec = recipes.load(write(tmp_path, text))
    res = rec.simulate()
    assert res.names == ["batch GD", "mini-batch (b = 8)", "momentum"]
    assert res.minibatch["batch_size"] == [40, 8, 1]
    assert res.minibatch["steps_per_epoch"] == [1, 5, 40]
    noisy = ls.simulate(rec.surface, {"mb": rec.optimizers["mini-batch (b = 8)"]}, rec.x0, 12,
                        record_every=1, seed=4, batch_size=8, noise=ls.noise.gaussian(0.5))  # fmt: skip
    np.testing.assert_array_equal(res.positions[1], noisy.positions[0])
    np.testing.assert_array_equal(res.batch_loss[1], noisy.batch_loss[0])
    assert res.batch_loss.shape == (3, 1, 13)
    assert res.examples_processed()[:, -1].tolist() == [12 * 40, 2 * 40 + 2 * 8, 12]


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "batch_size = 8",
            "batch_size = 0",
            'optimizers."mini-batch (b = 8)".batch_size must be >= 1, got 0',
        ),
        (
            "batch_size = 8",
            "batch_size = 2.5",
            'optimizers."mini-batch (b = 8)".batch_size must be an integer, got 2.5',
        ),
        (
            "batch_size = 8",
            'batch_size = "all"',
            'optimizers."mini-batch (b = 8)".batch_size must be an integer >= 1 or "m" '
            "(the full batch), got 'all'",
        ),
        (
            "batch_size = 8",
            "batch_size = 41",
            'optimizers."mini-batch (b = 8)".batch_size must be <= m = 40 (the examples of '
            "surface linear_regression), got 41",
        ),
        ("batch_size = 1\n", "batch_size = -2\n", "simulate.batch_size must be >= 1, got -2"),
        (
            "batch_size = 1\n",
            "batch_size = 100\n",
            "simulate.batch_size must be <= m = 40",
        ),
        (
            "batch_size = 8",
            'batch_size = 8\nschedule = { name = "inverse_time", decay = 1.0, steps_per_epoch = 4 }',
            'optimizers."mini-batch (b = 8)".schedule.steps_per_epoch = 4 disagrees with the '
            "data: m = 40 examples in batches of 8 make 5 steps per epoch",
        ),
        (
            "beta = 0.9",
            'beta = 0.9\nschedule = { name = "linear_warmup", warmup_steps = 2, '
            'then = { name = "exponential", steps_per_epoch = 3 } }',
            "optimizers.momentum.schedule.then.steps_per_epoch = 3 disagrees with the data: "
            "m = 40 examples in batches of 1 make 40 steps per epoch",
        ),
        (
            'kind = "minibatch"',
            'kind = "minibatch"\nx_axis = "time"',
            "render.x_axis must be one of epoch, examples, step, got 'time'",
        ),
        (
            'kind = "minibatch"',
            'kind = "minibatch"\nlayout = "grid"',
            "render.layout must be one of overlay, panels, got 'grid'",
        ),
    ],
)
def test_batch_size_errors_name_file_and_key(tmp_path, old, new, expected):
    assert old in MINIBATCH
    msg = error_of(tmp_path, MINIBATCH.replace(old, new, 1))
    assert "recipe.toml: " in msg
    assert expected in msg, msg


def test_batch_size_needs_a_finite_sum_surface(tmp_path):
    msg = error_of(tmp_path, BASE.replace("lr = 0.05\n", "lr = 0.05\nbatch_size = 4\n", 1))
    assert msg.endswith(
        "recipe.toml: optimizers.gd.batch_size needs a finite-sum surface (linear_regression, "
        "logistic_regression, tanh_network): surface elongated_bowl has no examples to draw "
        "mini-batches from; for gradient noise that stands in for a batch of b examples use "
        "noise = { sigma = ..., batch_size = b }"
    ), msg
    msg = error_of(tmp_path, BASE.replace("record_every = 1", "record_every = 1\nbatch_size = 4"))
    assert "recipe.toml: simulate.batch_size needs a finite-sum surface" in msg
    mb = BASE.replace('kind = "race"', 'kind = "minibatch"\nx_axis = "examples"')
    mb = mb.replace("fps = 10", "")
    msg = error_of(tmp_path, mb)
    assert "render.x_axis = 'examples' needs a finite-sum surface" in msg


def test_finite_sum_surfaces_from_a_recipe(tmp_path):
    """Every finite-sum surface builds from [surface], with generated or given data."""
    for name in ls.surfaces.finite_sum.MODELS:
        text = MINIBATCH.replace('name = "linear_regression"\nm = 40', f'name = "{name}"\nm = 40')
        surf = recipes.load(write(tmp_path, text, f"{name}.toml")).surface
        assert surf.name == name and surf.finite_sum.m == 40 and surf.dim == 2
    given = MINIBATCH.replace(
        "m = 40", "X = [0.0, 1.0, 2.0, 3.0]\ny = [1.0, 3.0, 5.0, 7.0]"
    ).replace("batch_size = 8", "batch_size = 2")
    rec = recipes.load(write(tmp_path, given, "given.toml"))
    np.testing.assert_allclose(rec.surface.minima, [[2.0, 1.0]], atol=1e-9)
    assert rec.batch_sizes == {"batch GD": 4, "mini-batch (b = 8)": 2, "momentum": 1}
    msg = error_of(tmp_path, MINIBATCH.replace("m = 40", "m = 40\nweigth = 2.0"))
    assert "surface.weigth is not a known parameter of surface linear_regression" in msg


# --------------------------------------------------------------------------
# errors name the file, the key and what is allowed
# --------------------------------------------------------------------------
def test_bad_value_names_file_and_key(tmp_path):
    msg = error_of(
        tmp_path, BASE.replace('lr = 0.05\n\n[optimizers."m', 'lr = -0.1\n\n[optimizers."m')
    )
    assert msg.endswith("recipe.toml: optimizers.gd.lr must be > 0, got -0.1")


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("beta = 0.9", "beta = 1.5", 'optimizers."momentum β=0.9".beta must be in [0, 1), got 1.5'),
        (
            "beta = 0.9",
            "betta = 0.9",
            'optimizers."momentum β=0.9".betta is not a known hyperparameter of momentum; '
            "allowed here: kind, lr, beta, schedule, noise",
        ),
        (
            'lr = 0.05\n\n[optimizers."m',
            'lr = "fast"\n\n[optimizers."m',
            "optimizers.gd.lr must be a real number, got 'fast'",
        ),
        ("kappa = 10.0", "kappa = 0.5", "surface.kappa must be >= 1, got 0.5"),
        (
            "kappa = 10.0",
            "kapa = 10.0",
            "surface.kapa is not a known parameter of surface "
            "elongated_bowl; allowed here: name, kappa, angle, scale, L, mu",
        ),
        ('name = "elongated_bowl"', 'name = "banana"', "surface.name must be one of"),
        ('kind = "gd"', 'kind = "sgdd"', "optimizers.gd.kind must be one of adagrad, adam"),
        ('kind = "point"', 'kind = "cloud"', "starts.kind must be one of ball, grid, normal"),
        (
            "x = [-2.0, 1.0]",
            "x = [-2.0, 1.0, 3.0]",
            "starts gives 3-D points but the surface is 2-D",
        ),
        ('kind = "race"', 'kind = "movie"', "render.kind must be one of"),
        (
            "fps = 10",
            'fps = 10\nlayout = "panels"',
            "render.layout is not a known option of the race renderer",
        ),
        ("fps = 10", "fps = 0", "render.fps must be >= 1, got 0"),
        ("fps = 10", "fps = 10.5", "render.fps must be an integer, got 10.5"),
        ("size = [160, 90]", "size = [160]", "render.size must be [width, height]"),
        ("fps = 10", "fps = 10\ntrajectories = [0, 1]", "render.trajectories[1] must be < 1"),
        ("steps = 20", "steps = 0", "simulate.steps must be >= 1, got 0"),
        (
            "steps = 20",
            'steps = 20\ndtype = "float16"',
            "simulate.dtype must be one of float32, float64",
        ),
        ("record_every = 1", "record_every = 0", "simulate.record_every must be >= 1"),
        ('title = "A tiny race"', "title = 3", "title must be a string, got integer 3"),
        (
            'title = "A tiny race"\n',
            'title = "A tiny race"\ncolour = "red"\n',
            "colour is not a known top-level key; allowed here: title, lesson, claims, output",
        ),
        ('output = "tiny.gif"', 'output = "tiny.jpg"', "output must end in .gif, .mp4, .png"),
        ('output = "tiny.gif"', 'output = "sub/tiny.gif"', "output must be a file name without"),
        (
            'lr = 0.05\n\n[optimizers."m',
            'lr = 0.05\nschedule = { name = "inverse_time", decay = -1.0 }\n\n[optimizers."m',
            "optimizers.gd.schedule.decay must be >= 0, got -1.0",
        ),
        (
            'lr = 0.05\n\n[optimizers."m',
            'lr = 0.05\nschedule = { name = "sometimes" }\n\n[optimizers."m',
            "optimizers.gd.schedule.name must be one of constant, cosine",
        ),
        (
            'lr = 0.05\n\n[optimizers."m',
            'lr = 0.05\nschedule = { name = "cosine" }\n\n[optimizers."m',
            "optimizers.gd.schedule.decay_steps is required",
        ),
        (
            "record_every = 1",
            'record_every = 1\nevents = { out = { kind = "leave_ball", center = [0], radius = 1 } }',
            "simulate.events.out.center must have length 2",
        ),
        (
            "record_every = 1",
            "record_every = 1\nnoise = { sigma = -1 }",
            "simulate.noise.sigma must be >= 0",
        ),
    ],
)
def test_errors_name_file_key_and_what_is_allowed(tmp_path, old, new, expected):
    assert old in BASE
    msg = error_of(tmp_path, BASE.replace(old, new, 1))
    assert "recipe.toml: " in msg
    assert expected in msg, msg


def test_structural_errors(tmp_path):
    assert "invalid TOML" in error_of(tmp_path, BASE + "\n[render\n")
    assert "is required" in error_of(
        tmp_path, BASE.replace('lesson = "Momentum is smoother."\n', "")
    )
    missing = tmp_path / "missing.toml"
    with pytest.raises(recipes.RecipeError, match="missing.toml: no such recipe file"):
        recipes.load(missing)
    ewa = 'title = "t"\nlesson = "l"\n[surface]\nname = "saddle"\n[render]\nkind = "ewa"\n'
    assert "surface is not used by render.kind = 'ewa'" in error_of(tmp_path, ewa)
    surv = BASE.replace('kind = "race"', 'kind = "survival"').replace("fps = 10", 'event = "x"')
    assert "render.event names an event, but [simulate] defines no events" in error_of(
        tmp_path, surv
    )
    sched = 'title = "t"\nlesson = "l"\n[render]\nkind = "schedules"\n'
    assert "schedules is required" in error_of(tmp_path, sched)
    high = BASE.replace('name = "elongated_bowl"\nkappa = 10.0', 'name = "strict_saddle"\ndim = 3')
    assert "draws a 2-D surface" in error_of(tmp_path, high)
    assert issubclass(recipes.RecipeError, ValueError)


def test_keypath_quotes_like_toml():
    assert (
        recipes.keypath(("optimizers", "momentum β=0.9", "beta"))
        == 'optimizers."momentum β=0.9".beta'
    )
    assert recipes.keypath(("render", "size", 1)) == "render.size[1]"
    assert recipes.keypath(("a-b_c",)) == "a-b_c"


def test_schedules_and_starts_are_built_by_the_package(tmp_path):
    text = BASE.replace(
        'kind = "point"\nx = [-2.0, 1.0]',
        'kind = "normal"\nn = 8\nmean = [0.0, 1.0]\nstd = 0.1\nseed = 2',
    )
    text = text.replace(
        'lr = 0.05\n\n[optimizers."m',
        'lr = 0.05\nschedule = { name = "linear_warmup", warmup_steps = 5, '
        'then = { name = "exponential", base = 0.9 } }\n\n[optimizers."m',
    )
    rec = recipes.load(write(tmp_path, text))
    np.testing.assert_array_equal(rec.x0, ls.starts.normal(8, [0.0, 1.0], 0.1, seed=2))
    sched = rec.optimizers["gd"].schedule
    assert sched.warmup == 5 and sched.name == "exponential"
    assert math.isclose(sched(10, 1.0), 0.9**11)


HIGH_DIM = """\
title = "A saddle in 120-D"
lesson = "Escape."

[surface]
name = "random_strict_saddle"
dim = 120
index = 3

[optimizers.adam]
lr = 0.01

[starts]
kind = "ball"
n = 6
center = 0.0
radius = 0.001
seed = 1

[simulate]
steps = 60
record_every = 0
events = { escaped = { kind = "leave_ball", center = 0, radius = 0.5 } }

[render]
kind = "survival"
event = "escaped"
size = [160, 90]
"""


def test_scalar_center_broadcasts_to_the_surface_dimension(tmp_path):
    rec = recipes.load(write(tmp_path, HIGH_DIM))
    np.testing.assert_array_equal(rec.x0, ls.starts.ball(6, np.zeros(120), 0.001, seed=1))
    ev = rec.simulate_options["events"]["escaped"]
    assert ev.center.shape == (120,) and not ev.center.any()
    res = rec.simulate()  # the batched engine, from a recipe
    assert res.config["engine"] == "batched"
    assert (res.events["escaped"] >= 0).all()
    assert rec.run(tmp_path, scale=SCALE).exists()
    # the other vector arguments of the starts broadcast too (not grid's: num**d points)
    for start, expected in [
        ('kind = "point"\nx = 0.25', ls.starts.point(np.full(120, 0.25))),
        ('kind = "sphere"\nn = 3\ncenter = 1\nradius = 2.0',
         ls.starts.sphere(3, np.ones(120), 2.0)),
        ('kind = "normal"\nn = 3\nmean = -1.0', ls.starts.normal(3, np.full(120, -1.0))),
        ('kind = "uniform"\nn = 3\nlow = -1\nhigh = 1',
         ls.starts.uniform(3, np.full(120, -1.0), np.ones(120))),
    ]:  # fmt: skip
        text = HIGH_DIM.replace(
            'kind = "ball"\nn = 6\ncenter = 0.0\nradius = 0.001\nseed = 1', start
        )
        np.testing.assert_array_equal(recipes.load(write(tmp_path, text)).x0, expected)
    # a list still has to have the surface's length; a scalar must be a finite number
    short = HIGH_DIM.replace("center = 0.0", "center = [0.0, 0.0]")
    assert "starts gives 2-D points but the surface is 120-D" in error_of(tmp_path, short)
    for old, new, expected in [
        ("center = 0.0", "center = inf", "starts.center must be finite, got inf"),
        ("center = 0,", "center = nan,", "simulate.events.escaped.center must be finite, got nan"),
        ("center = 0.0", "center = true", "starts.center must be a number or an array of 120"),
    ]:
        assert expected in error_of(tmp_path, HIGH_DIM.replace(old, new, 1))


def test_absurd_render_requests_are_refused_up_front_with_an_estimate(tmp_path, bowl_recipe):
    """10**6 frames would take hours: refused before simulating, naming max_frames."""
    p = tmp_path / "long.toml"
    text = bowl_recipe.replace("steps = 400", "steps = 2000000").replace(
        'kind = "race"', 'kind = "race"\nmax_frames = 1000000'
    )
    p.write_text(text.replace("[simulate]", "[simulate]\nrecord_every = 1\nrecord = 1"),
                 encoding="utf-8")  # fmt: skip
    rec = recipes.load(p)
    with pytest.raises(recipes.RecipeError, match=r"max_frames = 1000000 would draw 1000000 "
                       r"frames of 960x540, about .* h"):  # fmt: skip
        rec.run(tmp_path / "out.gif")
    assert not any(tmp_path.glob("out*"))
    # the default cap keeps the same recipe affordable: 600 frames
    rec2 = recipes.load(p)
    assert rec2.render_options["max_frames"] == 1000000


# --------------------------------------------------------------------------
# renderers are declared: a new one is one module plus one registry line
# --------------------------------------------------------------------------
def test_a_new_renderer_needs_no_change_to_recipes(tmp_path, monkeypatch):
    """A tiny renderer, declared and registered, is loaded, checked and run by recipes."""
    from landscape import render
    from landscape.render import options as O

    calls = []

    def dots(result, surface, out, *, colour="red", size=(960, 540), dpi=100, title=None,
             fps=20, max_frames=None, progress=False):  # fmt: skip
        calls.append(dict(result=result, surface=surface, colour=colour, size=size,
                          title=title, fps=fps, max_frames=max_frames))  # fmt: skip
        out.write_bytes(b"GIF89a")
        return out

    spec = render.Renderer(dots, inputs=("result", "surface"),
                           options={"colour": O.choice("red", "blue")})  # fmt: skip
    monkeypatch.setitem(render.RENDERERS, "dots", spec)  # the one registry line
    text = BASE.replace('kind = "race"', 'kind = "dots"\ncolour = "blue"\nmax_frames = 9')
    rec = recipes.load(write(tmp_path, text))
    assert rec.kind == "dots" and rec.animated and rec.simulates
    assert rec.render_options == {"colour": "blue", "max_frames": 9, "size": (160, 90), "fps": 10}
    made = rec.make(tmp_path, scale=0.5, max_frames=4)
    assert made.path == tmp_path / "tiny.gif" and made.path.read_bytes() == b"GIF89a"
    (call,) = calls
    assert call["result"].names == ["gd", "momentum β=0.9"] and call["surface"] is rec.surface
    assert call["colour"] == "blue" and call["title"] == "A tiny race"
    assert (call["size"], call["fps"], call["max_frames"]) == ((80, 45), 10, 4)
    # its declaration is the schema: unknown keys and bad values are one-line errors
    msg = error_of(tmp_path, text.replace('colour = "blue"', 'colour = "green"'))
    assert msg.endswith("recipe.toml: render.colour must be one of blue, red, got 'green'")
    msg = error_of(tmp_path, text.replace('colour = "blue"', "trail = 3"))
    assert "render.trail is not a known option of the dots renderer; allowed here: kind, " in msg
    assert "render.kind must be one of" in error_of(tmp_path, text.replace('"dots"', '"dotz"'))


def test_render_time_limits_are_read_at_call_time(tmp_path, monkeypatch):
    rec = recipes.load(write(tmp_path, BASE))
    monkeypatch.setattr(recipes, "SECONDS_PER_FRAME", 1e5)
    with pytest.raises(
        recipes.RecipeError,
        match=r"would draw 21 frames of 160x90, about .* h at 100000.0 s a frame",
    ):
        rec.make(tmp_path)
    monkeypatch.setattr(recipes, "MAX_RENDER_SECONDS", 10**9)
    assert rec.make(tmp_path, max_frames=2).path.exists()


def test_check_backend_is_public_and_one_line():
    from landscape import _backend

    assert _backend.check("cpu") == "cpu" and _backend.check("auto") == "auto"
    with pytest.raises(ValueError, match=r"^backend must be one of cpu, cuda, auto, got 'tpu'$"):
        _backend.check("tpu")
    with pytest.raises(recipes.RecipeError, match="backend must be one of cpu, cuda, auto"):
        recipes.check_backend("gpu")
