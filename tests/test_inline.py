"""Jupyter display: renderers without ``out`` (landscape.render.Inline) and Result's HTML.

Tiny results (n = 6, 3 frames) drawn at 160 x 90 pixels, dpi 50.  Compile
budget: none of its own (the rosenbrock family, float64, and the optimizer
kinds and noise of tests/test_render.py).
"""

from __future__ import annotations

import base64
import inspect
import io
import re

import pytest
from PIL import Image

import landscape as ls
from landscape import render
from landscape.render import Inline, _writers

SMALL = {"size": (160, 90), "dpi": 50, "fps": 5}
GIF_MAGIC = b"GIF8"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def surf():
    return ls.surfaces.rosenbrock()


@pytest.fixture(scope="module")
def res(surf):
    opts = {
        "<b>gd": ls.optim.gd(lr=1e-3),  # a label with markup: escaped in HTML
        "momentum": ls.optim.momentum(lr=1e-3, beta=0.9),
        "adam": ls.optim.adam(lr=3e-2),
        "gd big": ls.optim.gd(lr=0.05),
    }
    x0 = ls.starts.normal(6, mean=[-1.5, 2.0], std=0.2, seed=0)
    return ls.simulate(
        surf, opts, x0, steps=20, record_every=10, seed=1,
        noise=ls.noise.gaussian(0.5),
        events={"near": ls.events.enter_ball([-1.0, 1.0], 0.6)},
    )  # fmt: skip


@pytest.fixture(scope="module")
def gif(res, surf):
    return render.race(res, surf, trajectories=(0, 1), trail=2, max_frames=3, **SMALL)


@pytest.fixture(scope="module")
def png(res):
    return render.loss_curves(res, **SMALL)


def image_of(data: bytes):
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return getattr(im, "n_frames", 1), im.size


# --------------------------------------------------------------------------
# renderers without out
# --------------------------------------------------------------------------
def test_animation_without_out_is_an_inline_gif(gif):
    assert isinstance(gif, Inline)
    assert gif.format == "gif" and gif.data[:4] == GIF_MAGIC
    assert image_of(gif.data) == (3, SMALL["size"])
    assert gif._repr_png_() is None  # not a still: shown through HTML only
    assert re.fullmatch(r"Inline\(gif, [\d,]+ bytes\)", repr(gif))


def test_still_without_out_is_an_inline_png(png):
    assert isinstance(png, Inline)
    assert png.format == "png" and png.data[:8] == PNG_MAGIC
    assert image_of(png.data) == (1, SMALL["size"])
    assert png._repr_png_() == png.data


@pytest.mark.parametrize("which", ["gif", "png"])
def test_repr_html_is_a_data_uri_of_the_bytes(which, gif, png):
    inline = {"gif": gif, "png": png}[which]
    html = inline._repr_html_()
    m = re.fullmatch(rf'<img src="data:image/{which};base64,([A-Za-z0-9+/=]+)">', html)
    assert m and base64.b64decode(m.group(1)) == inline.data


def test_every_renderer_takes_out_optionally():
    for spec in render.RENDERERS.values():
        out = inspect.signature(spec.function).parameters["out"]
        assert out.default is None, spec.name


def test_giving_out_still_writes_and_returns_the_path(res, tmp_path):
    out = render.loss_curves(res, tmp_path / "loss.png", **SMALL)
    assert out == tmp_path / "loss.png" and out.read_bytes()[:8] == PNG_MAGIC


def test_bad_input_keeps_its_errors(res, surf, tmp_path):
    with pytest.raises(ValueError, match="max_frames"):
        render.race(res, surf, max_frames=0, **SMALL)
    with pytest.raises(ValueError, match=r"out must end in one of"):
        render.race(res, surf, tmp_path / "race.txt", **SMALL)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# Inline itself
# --------------------------------------------------------------------------
def test_save_round_trips_and_refuses_another_suffix(gif, png, tmp_path):
    assert gif.save(tmp_path / "a.gif").read_bytes() == gif.data
    assert png.save(str(tmp_path / "sub" / "b.PNG")).read_bytes() == png.data
    with pytest.raises(ValueError, match=r"path must end in '\.gif'.*'.*a\.png'"):
        gif.save(tmp_path / "a.png")
    with pytest.raises(ValueError, match=r"path must end in '\.png'"):
        png.save(tmp_path / "b")
    with pytest.raises(ValueError, match="path must be a path"):
        png.save(None)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.gif", "b.PNG", "sub"]


def test_of_encodes_a_plot_in_another_format(res, surf):
    plot = render.race.plot(res, surf, max_frames=2, **SMALL)
    last = Inline.of(plot, format=".PNG")
    assert last.format == "png" and image_of(last.data) == (1, SMALL["size"])
    with pytest.raises(ValueError, match=r"format must be one of \('gif', 'mp4', 'png'\)"):
        Inline.of(plot, format="jpeg")
    with pytest.raises(ValueError, match="plot must be a landscape.render.Plot"):
        Inline.of("race.gif")


def test_mp4_is_a_video_tag(res, surf):
    if _writers.find_ffmpeg() is None:
        pytest.skip("no ffmpeg (pip install imageio-ffmpeg)")
    video = Inline.of(render.race.plot(res, surf, max_frames=2, **SMALL), format="mp4")
    assert video.format == "mp4" and video.data[4:8] == b"ftyp"
    html = video._repr_html_()
    assert html.startswith("<video controls autoplay loop muted>")
    assert '<source src="data:video/mp4;base64,' in html
    assert video._repr_png_() is None


def test_mp4_without_ffmpeg_says_how_to_get_it(res, surf, monkeypatch):
    monkeypatch.setattr(_writers, "find_ffmpeg", lambda: None)
    plot = render.race.plot(res, surf, max_frames=2, **SMALL)
    with pytest.raises(ValueError, match=r"\.mp4 needs ffmpeg"):
        Inline.of(plot, format="mp4")


def test_inline_checks_its_fields():
    assert Inline(b"GIF89a", ".GIF").format == "gif"
    with pytest.raises(ValueError, match="data must be bytes, got str"):
        Inline("GIF89a", "gif")
    with pytest.raises(ValueError, match="format must be one of"):
        Inline(b"", "svg")


# --------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------
def test_result_html_summary_escapes_labels(res):
    html = res._repr_html_()
    assert "&lt;b&gt;gd" in html and "<b>gd" not in html
    assert html.startswith('<table class="landscape-result">') and html.endswith("</table>")
    assert html.count("<tr>") == 1 + res.n_optimizers
    caption = re.search(r"<caption>(.*)</caption>", html).group(1)
    assert caption == (
        "Result on rosenbrock: 4 optimizer(s) &times; 6 trajectories, 20 steps, dim 2, "
        "float64, 3 recorded frames"
    )
    assert "<th>reached near</th>" in html
    fractions = re.findall(r"<td>([\d.]+)%</td>", html)
    assert len(fractions) == 2 * res.n_optimizers  # diverged and reached, per optimizer
    first = [float(f) / 100 for f in fractions[:2]]
    want = [res.diverged_fraction()[0], res.reached_fraction("near")[0]]
    assert first == pytest.approx(want, abs=5e-4)  # shown to 0.1%


def test_result_repr_is_short(res):
    text = repr(res)
    assert text == (
        "Result(names=['<b>gd', 'momentum', 'adam', 'gd big'], n=6, steps=20, dim=2, "
        "dtype='float64', frames=3, events=['near'])"
    )
