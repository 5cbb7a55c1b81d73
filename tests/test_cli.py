"""The ``landscape`` command: return codes, one-line errors, render and gallery.

The full gallery runs at a reduced size (scale 0.15, 4 frames) so CI runs the
command itself; its kernels are the ones tests/test_recipes.py compiles.
"""

from __future__ import annotations

import pytest

import landscape
from landscape import recipes
from landscape.cli import main

TINY = """\
title = "Tiny"
lesson = "A tiny race for the CLI tests."

[surface]
name = "elongated_bowl"
kappa = 10.0

[optimizers.gd]
lr = 0.05

[optimizers.momentum]
lr = 0.05
beta = 0.9

[starts]
kind = "point"
x = [-2.0, 1.0]

[simulate]
steps = 12

[render]
kind = "race"
size = [120, 68]
"""


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("CI", "1")


def one_error_line(capsys, command) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"landscape {command}: error: "), err
    assert "Traceback" not in err
    return lines[0]


def gif_frames(path):
    from PIL import Image

    with Image.open(path) as im:
        return im.n_frames, im.size


def test_list_shows_recipes_with_lessons(capsys):
    assert main(["list", "--no-measure"]) == 0
    out = capsys.readouterr().out
    assert "surfaces:" in out and "optimizers:" in out and "recipes" in out
    assert "momentum_bowl" in out
    plateau = recipes.load(recipes.find("plateau"))
    assert plateau.lesson in out
    assert all(c.says in out for c in plateau.claims)


@pytest.mark.parametrize("bound, status", [("at_most = 1e-6", 0), ("at_most = 1e-30", 1)])
def test_list_and_render_print_each_lesson_with_its_measured_value(
    tmp_path, monkeypatch, capsys, bowl_recipe, bound, status
):
    claim = '[[claims]]\nsays = "GD converges"\nmeasure = "final_loss"\nof = "gd"\n'
    (tmp_path / "bowl.toml").write_text(bowl_recipe + claim + bound + "\n", encoding="utf-8")
    monkeypatch.setenv("LANDSCAPE_ANIMATIONS", str(tmp_path))
    assert main(["list"]) == status
    out, err = capsys.readouterr()
    assert "bowl: GD converges in a bowl" in out
    line = next(s for s in out.splitlines() if "GD converges: final loss: gd " in s)
    assert line.endswith("[holds]" if status == 0 else "[FAILS]")
    assert ("claim(s) of a lesson do not hold" in err) == bool(status)
    assert main(["render", "bowl", "-o", str(tmp_path / "b.png"), "--scale", "0.3"]) == status
    out, _ = capsys.readouterr()
    assert "lesson: GD converges in a bowl" in out and "GD converges: final loss: gd " in out
    assert main(["gallery", "-o", str(tmp_path / "g"), "--scale", "0.3"]) == status
    out, _ = capsys.readouterr()
    assert "lesson: GD converges in a bowl" in out and "1 files in" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"landscape {landscape.__version__}"


def test_render_a_tiny_recipe(tmp_path, capsys):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY, encoding="utf-8")
    assert main(["render", str(recipe), "-o", str(tmp_path / "out/"), "--max-frames", "5"]) == 0
    out = tmp_path / "out" / "tiny.gif"
    assert capsys.readouterr().out.startswith(str(out))
    assert gif_frames(out) == (5, (120, 68))
    assert (
        main(
            [
                "render",
                str(recipe),
                "-o",
                str(tmp_path / "t.gif"),
                "--scale",
                "0.5",
                "--max-frames",
                "3",
                "-q",
            ]
        )
        == 0
    )
    assert gif_frames(tmp_path / "t.gif") == (3, (60, 34))
    assert main(["render", str(recipe), "-o", str(tmp_path), "--format", "png"]) == 0
    assert (tmp_path / "tiny.png").exists()


def test_bad_recipe_is_one_line_and_status_2(tmp_path, capsys):
    recipe = tmp_path / "bad.toml"
    recipe.write_text(
        TINY.replace("lr = 0.05\n\n[optimizers.m", "lr = -0.1\n\n[optimizers.m"), encoding="utf-8"
    )
    assert main(["render", str(recipe), "-o", str(tmp_path)]) == 2
    line = one_error_line(capsys, "render")
    assert line.endswith("bad.toml: optimizers.gd.lr must be > 0, got -0.1")
    assert not list(tmp_path.glob("*.gif"))

    recipe.write_text(TINY + "\n[extra]\n", encoding="utf-8")
    assert main(["render", str(recipe)]) == 2
    assert "extra is not a known top-level key" in one_error_line(capsys, "render")

    assert main(["render", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml: no such recipe file" in one_error_line(capsys, "render")
    assert main(["render", "no_such_recipe"]) == 2
    assert "one of the gallery's" in one_error_line(capsys, "render")


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--format", "avi"], "--format must be one of gif, mp4, png, got 'avi'"),
        (["--scale", "big"], "--scale must be a number, got 'big'"),
        (["--scale", "-1"], "--scale must be > 0"),
        (["--max-frames", "0"], "--max-frames must be >= 1"),
        (["--backend", "tpu"], "--backend must be one of cpu, cuda, auto"),
        (["--backend", "cuda"], "backend 'cuda' is not usable here"),
        (["-o", "x.gif", "--format", "mp4"], "disagrees with the output file"),
        (["-o", "x.jpg"], "output format must be one of gif, mp4, png"),
    ],
)
def test_bad_options_are_one_line_and_status_2(tmp_path, capsys, args, expected):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY, encoding="utf-8")
    args = [a.replace("x.", str(tmp_path / "x.")) for a in args]
    assert main(["render", str(recipe), *args]) == 2
    assert expected in one_error_line(capsys, "render")


def test_gallery_only_some(tmp_path, capsys):
    names = ["lr_decay_schedules", "momentum_bowl"]
    assert (
        main(
            [
                "gallery",
                "-o",
                str(tmp_path),
                "--only",
                *names,
                "--scale",
                "0.2",
                "--max-frames",
                "3",
                "--format",
                "gif",
            ]
        )
        == 0
    )
    out = [s for s in capsys.readouterr().out.strip().splitlines() if not s.startswith(" ")]
    assert len(out) == 3 and out[-1].startswith("2 files in")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lr_decay_schedules.png",
        "momentum_bowl.gif",
    ]
    assert gif_frames(tmp_path / "momentum_bowl.gif") == (3, (160, 90))
    assert main(["gallery", "--only", "nope"]) == 2
    assert "--only 'nope' is not a gallery recipe" in one_error_line(capsys, "gallery")


def test_full_gallery_at_reduced_size(tmp_path, capsys):
    assert main(["gallery", "-o", str(tmp_path), "--scale", "0.15", "--max-frames", "4"]) == 0
    text = capsys.readouterr().out
    lines = [s for s in text.strip().splitlines() if not s.startswith(" ")]
    rec = [recipes.load(p) for p in recipes.gallery_paths()]
    assert len(lines) == len(rec) + 1
    # under each file: its lesson and every claim, measured on the run that was drawn
    assert text.count("  lesson: ") == len(rec)
    assert text.count("[holds]") == sum(len(r.claims) for r in rec) and "[FAILS]" not in text
    for r, line in zip(rec, lines, strict=False):
        path = tmp_path / r.output
        assert line.startswith(str(path)) and line.endswith(" s")
        assert path.stat().st_size > 0
        if path.suffix == ".gif":
            assert gif_frames(path)[0] == 4
