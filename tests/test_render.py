"""Renderers and writers (landscape.render): formats, frame counts, atomic writes, checks.

Tiny results (n <= 50, <= 8 frames) rendered at 160 x 120 pixels, dpi 50.
Compile budget: the rosenbrock family (float64), shared by the 2-D and 3-D runs,
and the linear_regression finite sum (shared with the gallery's mini-batch recipes).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import landscape as ls
from landscape import render
from landscape.render import _colours, _style, _writers

SIZE = (160, 120)
DPI = 50
FPS = 5
N_FRAMES = 8  # steps=70, record_every=10 -> frames at 0, 10, ..., 70
SMALL = {"size": SIZE, "dpi": DPI, "fps": FPS}

HAVE_FFMPEG = _writers.find_ffmpeg() is not None
needs_ffmpeg = pytest.mark.skipif(not HAVE_FFMPEG, reason="no ffmpeg (pip install imageio-ffmpeg)")


@pytest.fixture(scope="module")
def surf():
    return ls.surfaces.rosenbrock()


@pytest.fixture(scope="module")
def res(surf):
    opts = {
        "gd": ls.optim.gd(lr=1e-3),
        "momentum": ls.optim.momentum(lr=1e-3, beta=0.9),
        "adam": ls.optim.adam(lr=3e-2),
        "gd big": ls.optim.gd(lr=0.05),  # diverges
    }
    x0 = ls.starts.normal(40, mean=[-1.5, 2.0], std=0.2, seed=0)
    return ls.simulate(
        surf, opts, x0, steps=70, record_every=10, seed=1,
        noise=ls.noise.gaussian(0.5),
        events={"near": ls.events.enter_ball([-1.0, 1.0], 0.6)},
    )  # fmt: skip


@pytest.fixture(scope="module")
def res3():
    surf3 = ls.surfaces.rosenbrock(dim=3)
    x0 = ls.starts.normal(10, mean=[-1.0, 1.5, 0.5], std=0.1, seed=0)
    res = ls.simulate(surf3, {"adam": ls.optim.adam(lr=1e-2)}, x0, steps=30, record_every=10)
    return surf3, res


@pytest.fixture(scope="module")
def fsum():
    """Real mini-batches: least squares on 48 examples, batch sizes m, 8 and 1."""
    surf = ls.surfaces.linear_regression(m=48)
    opts = {
        "batch GD": ls.optim.sgd(0.5),
        "mini-batch": ls.optim.sgd(0.5),
        "SGD": ls.optim.sgd(0.5),
    }
    x0 = ls.starts.normal(3, mean=[-1.0, 1.0], std=0.1, seed=0)
    res = ls.simulate(surf, opts, x0, steps=70, record_every=10, seed=2, batch_size=[48, 8, 1])
    return surf, res


def gif_info(path):
    with Image.open(path) as im:
        return im.n_frames, im.size


def mp4_info(path):
    """(frame count, (width, height)) of a video, decoded by ffmpeg."""
    import re

    exe = _writers.find_ffmpeg()
    info = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    w, h = map(int, re.search(r"Video: .*?, (\d{2,5})x(\d{2,5})", info.stderr).groups())
    raw = subprocess.run(
        [exe, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    assert len(raw.stdout) % (w * h) == 0
    return len(raw.stdout) // (w * h), (w, h)


def png_size(path):
    with Image.open(path) as im:
        im.load()
        return im.size


def schedules():
    S = ls.schedules
    return {"inverse_time": S.inverse_time(decay=1.0), "stairs": S.staircase(0.5, 10)}


# (name, call(res, surf, out), frames of an animation)
RENDERERS = {
    "race": (
        lambda r, s, out: render.race(r, s, out, trajectories=(0, 1), trail=3, **SMALL),
        N_FRAMES,
    ),
    "swarm": (lambda r, s, out: render.swarm(r, s, out, event="near", **SMALL), N_FRAMES),
    "swarm_overlay": (
        lambda r, s, out: render.swarm(r, s, out, layout="overlay", max_points=15, **SMALL),
        N_FRAMES,
    ),
    "surface3d": (lambda r, s, out: render.surface3d(r, s, out, **SMALL), N_FRAMES),
    "surface3d_rotate": (
        lambda r, s, out: render.surface3d(r, s, out, rotate=True, max_frames=3, **SMALL),
        3,
    ),
    "loss_curves": (lambda r, s, out: render.loss_curves(r, out, animate=True, **SMALL), N_FRAMES),
    "minibatch": (
        lambda r, s, out: render.minibatch_curves(r, out, animate=True, **SMALL),
        N_FRAMES,
    ),
    "ewa": (
        lambda r, s, out: render.ewa_figure(out, days=30, animate=True, max_frames=6, **SMALL),
        6,
    ),
    # static figures: one GIF frame, a 1-second MP4 still
    "loss_curves_static": (lambda r, s, out: render.loss_curves(r, out, **SMALL), None),
    "ewa_static": (lambda r, s, out: render.ewa_figure(out, days=30, **SMALL), None),
    "schedule": (
        lambda r, s, out: render.schedule_figure(schedules(), out, size=SIZE, dpi=DPI),
        None,
    ),
    "survival": (
        lambda r, s, out: render.survival_curves(r, "near", out, size=SIZE, dpi=DPI),
        None,
    ),
}


@pytest.mark.parametrize("name", list(RENDERERS))
def test_gif_and_png(name, res, surf, tmp_path):
    call, frames = RENDERERS[name]
    gif = call(res, surf, tmp_path / f"{name}.gif")
    assert gif == tmp_path / f"{name}.gif"
    assert gif_info(gif) == (frames or 1, SIZE)
    png = call(res, surf, tmp_path / f"{name}.png")
    assert png_size(png) == SIZE
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{name}.gif", f"{name}.png"])


@needs_ffmpeg
@pytest.mark.parametrize(
    "name", ["race", "swarm_overlay", "surface3d", "loss_curves", "ewa", "schedule"]
)
def test_mp4(name, res, surf, tmp_path):
    call, frames = RENDERERS[name]
    mp4 = call(res, surf, tmp_path / f"{name}.mp4")
    # static figures: a 1-second still (fps frames; schedule_figure has no fps: 20)
    expected = frames if frames else (20 if name == "schedule" else FPS)
    assert mp4_info(mp4) == (expected, SIZE)
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.mp4"]


def test_slice_of_higher_dimensional_surface(res3, tmp_path):
    surf3, r3 = res3
    out = render.race(r3, surf3, tmp_path / "r3.gif", **SMALL)
    assert gif_info(out) == (r3.positions.shape[2], SIZE)
    render.swarm(r3, surf3, tmp_path / "s3.png", **SMALL)
    render.surface3d(r3, surf3, tmp_path / "d3.png", **SMALL)
    field = render._maps.surface_field(surf3, r3.x0[0], n=5)
    assert np.allclose(
        field.Z[0, 0], surf3.value(np.array([field.X[0, 0], field.Y[0, 0], r3.x0[0, 2]]))
    )


def test_max_frames_and_frame_indices(res, surf, tmp_path):
    out = render.race(res, surf, tmp_path / "r.gif", max_frames=3, **SMALL)
    assert gif_info(out)[0] == 3
    assert _writers.frame_indices(8, None).tolist() == list(range(8))
    assert _writers.frame_indices(8, 3).tolist() == [0, 4, 7]
    assert _writers.frame_indices(8, 1).tolist() == [7]
    for n in range(1, 40):
        for m in range(1, n + 1):
            idx = _writers.frame_indices(n, m)
            assert len(np.unique(idx)) == m and idx[-1] == n - 1 and (m == 1 or idx[0] == 0)
    with pytest.raises(ValueError, match="max_frames"):
        render.race(res, surf, tmp_path / "r.gif", max_frames=0, **SMALL)


def test_progress_bar(res, surf, tmp_path, capsys):
    render.swarm(res, surf, tmp_path / "s.gif", progress=True, **SMALL)
    assert "s.gif" in capsys.readouterr().err
    render.swarm(res, surf, tmp_path / "t.gif", **SMALL)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------
# mini-batch cost curves on a finite-sum surface
# --------------------------------------------------------------------------
def _lines(monkeypatch, call):
    """The Line2D data of every axes of the figure a renderer saves."""
    got = {}

    def capture(fig, out, **kw):
        got["axes"] = [[(ln.get_xdata(), ln.get_ydata(), ln.get_linestyle(), ln.get_linewidth())
                        for ln in ax.get_lines()] for ax in fig.axes]  # fmt: skip
        got["labels"] = [(ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) for ax in fig.axes]
        legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
        got["legend"] = [t.get_text() for lg in legends for t in lg.get_texts()]
        return out

    monkeypatch.setattr(_writers, "save_figure", capture)
    call()
    return got


def test_minibatch_curves_with_batch_loss(fsum, tmp_path):
    surf, r = fsum
    assert r.batch_loss is not None
    gif = render.minibatch_curves(r, tmp_path / "mb.gif", animate=True, **SMALL)
    assert gif_info(gif) == (N_FRAMES, SIZE)
    for kw in (
        {"layout": "panels"},
        {"x_axis": "examples", "log_x": True},
        {"x_axis": "epoch", "full_cost": False, "log": False},
        {"smooth_beta": None},
    ):
        assert png_size(render.minibatch_curves(r, tmp_path / "mb.png", **kw, **SMALL)) == SIZE
    # the finite sum names its parameters on the map
    assert gif_info(render.race(r, surf, tmp_path / "race.gif", **SMALL)) == (N_FRAMES, SIZE)
    assert render._maps.coord_names(surf) == ("$w$", "$b$")
    assert render._maps.coord_names(ls.surfaces.rosenbrock()) == ("$x_1$", "$x_2$")


def test_minibatch_curves_plot_batch_cost_and_full_cost(monkeypatch, fsum, tmp_path):
    _, r = fsum
    got = _lines(monkeypatch, lambda: render.minibatch_curves(r, tmp_path / "x.png", **SMALL))
    lines = got["axes"][0]
    assert len(lines) == 3 * r.n_optimizers  # J^{t} thin, J bold, EWA dashed per optimizer
    steps = r.frame_steps.astype(float)
    for k in range(r.n_optimizers):
        (x_t, y_t, _, w_t), (x_j, y_j, _, w_j), (_, y_e, ls_e, _) = lines[3 * k : 3 * k + 3]
        np.testing.assert_array_equal(x_t, steps)
        np.testing.assert_allclose(y_t, r.batch_loss[k, 0])
        np.testing.assert_allclose(y_j, r.loss[k, 0])
        np.testing.assert_allclose(y_e, ls.ewa(r.batch_loss[k, 0], 0.9, bias_correction=True))
        assert w_t < w_j and ls_e == "--"
    np.testing.assert_allclose(lines[0][1], lines[1][1])  # batch GD: J^{t} = J
    assert not np.allclose(lines[6][1], lines[7][1])  # SGD: one example is not all of them
    assert got["labels"][0][0] == "step (one mini-batch each)"
    assert any("J^{" in t for t in got["legend"]) and any("full cost" in t for t in got["legend"])
    # x = examples processed; one panel per optimizer
    got = _lines(monkeypatch, lambda: render.minibatch_curves(r, tmp_path / "x.png",
                 x_axis="examples", layout="panels", **SMALL))  # fmt: skip
    assert len(got["axes"]) == r.n_optimizers
    assert [" ".join(t[2].split()) for t in got["labels"]] == [
        "batch GD: SGD, lr = 0.5, b = 48",
        "mini-batch: SGD, lr = 0.5, b = 8",
        "SGD, lr = 0.5, b = 1",
    ]
    ex = r.examples_processed()
    for k in range(r.n_optimizers):
        np.testing.assert_array_equal(got["axes"][k][0][0], ex[k])
    # step 70: 70 full batches; 11 epochs of 6 batches of 8 and 4 batches more; 70 examples
    assert ex[:, -1].tolist() == [70 * 48, 11 * 48 + 4 * 8, 70]
    assert got["labels"][0][0] == "examples processed"


def test_minibatch_curves_validation(res, fsum, tmp_path):
    _, r = fsum
    out = tmp_path / "x.png"
    for call, msg in [
        (lambda: render.minibatch_curves(res, out, x_axis="examples"), "finite-sum"),
        (lambda: render.minibatch_curves(r, out, x_axis="time"), "x_axis must be one of"),
        (lambda: render.minibatch_curves(r, out, layout="grid"), "layout must be one of"),
        (lambda: render.minibatch_curves(r, out, full_cost="yes"), "full_cost"),
        (lambda: render.minibatch_curves(r, out, log_x=1), "log_x"),
        (lambda: render.minibatch_curves(res, out, smooth_beta=None), "smooth_beta"),
        (lambda: render.minibatch_curves(r, out, smooth_beta=None, full_cost=False), "smooth_beta"),
    ]:
        with pytest.raises(ValueError, match=msg):
            call()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# the writer
# --------------------------------------------------------------------------
def _figure():
    fig = _style.new_figure(SIZE, DPI)
    ax = fig.add_subplot()
    # blitting freezes the limits (renderers always set them) and draws the
    # moving artists over the spines: keep the data inside
    ax.set_xlim(-1, 10)
    ax.set_ylim(-1, 3)
    (line,) = ax.plot([], [], "o-")
    return fig, line


def test_save_animation_formats(tmp_path):
    fig, line = _figure()

    def update(i):
        line.set_data(np.arange(i + 1), np.arange(i + 1) % 3)
        return [line]

    assert gif_info(
        render.save_animation(fig, update, 5, tmp_path / "a.gif", fps=FPS, dpi=DPI)
    ) == (5, SIZE)
    # identical frames are kept as frames (exact count)
    assert (
        gif_info(render.save_animation(fig, lambda i: [], 4, tmp_path / "b.GIF", dpi=DPI))[0] == 4
    )
    assert png_size(render.save_animation(fig, update, 5, tmp_path / "a.png", dpi=DPI)) == SIZE


def test_blitting_matches_full_redraws(monkeypatch, tmp_path):
    """Frames drawn over the cached background equal frames drawn from scratch."""
    fig, line = _figure()
    frames = {"blit": [], "full": []}
    grab = _writers._grab
    mode = []
    monkeypatch.setattr(
        _writers, "_grab", lambda c: frames[mode[-1]].append(grab(c).copy()) or grab(c)
    )

    def update(i):
        line.set_data(np.arange(i + 1), np.arange(i + 1) % 3)
        return [line] if mode[-1] == "blit" else None

    for m in ("blit", "full"):
        mode.append(m)
        render.save_animation(
            fig, update, 5, tmp_path / f"{m}.mp4" if HAVE_FFMPEG else tmp_path / f"{m}.gif"
        )
    assert len(frames["blit"]) == len(frames["full"]) >= 5
    for a, b in zip(frames["blit"][-5:], frames["full"][-5:], strict=True):
        assert np.array_equal(a, b)


def test_rotating_3d_frames_match_full_redraws(res, surf):
    """A rotating 3-D axes redrawn over the cached title and legend equals a full redraw
    in the layout of the first frame (kept: the panel does not jitter as the camera turns)."""

    def plot():
        return render.surface3d.plot(res, surf, rotate=True, max_frames=3, **SMALL)

    blit = plot()
    bar = type("Bar", (), {"update": lambda self, n: None})()
    blitted = [f.copy() for f in _writers._frames(blit.fig, blit.update, 3, bar=bar)]
    assert not np.array_equal(blitted[0], blitted[-1])  # the camera moved
    full = plot()
    _writers.draw_frame(full, 0).set_layout_engine("none")
    for i, frame in enumerate(blitted):
        assert np.array_equal(frame, np.asarray(_writers.draw_frame(full, i).canvas.buffer_rgba()))


@needs_ffmpeg
def test_mp4_odd_size_is_padded(tmp_path):
    fig = _style.new_figure((161, 121), DPI)
    fig.add_subplot().plot([0, 1])
    out = render.save_animation(fig, lambda i: [], 3, tmp_path / "odd.mp4", dpi=DPI)
    assert mp4_info(out) == (3, (162, 122))


def test_unknown_extension(res, surf, tmp_path):
    for bad in ("x.avi", "x", "x.gif.bak"):
        with pytest.raises(
            ValueError, match=r"out must end in one of \('.gif', '.mp4', '.png'\)"
        ) as e:
            render.race(res, surf, tmp_path / bad, **SMALL)
        assert bad in str(e.value)
    with pytest.raises(ValueError, match="out"):
        render.schedule_figure(schedules(), 42)
    assert list(tmp_path.iterdir()) == []


def test_mp4_without_ffmpeg(monkeypatch, res, surf, tmp_path):
    monkeypatch.setattr(_writers, "_imageio_ffmpeg_exe", lambda: None)
    monkeypatch.setattr(_writers.shutil, "which", lambda name: None)
    with pytest.raises(ValueError, match=r'pip install "landscape\[video\]"'):
        render.swarm(res, surf, tmp_path / "s.mp4", **SMALL)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".gif", ".png", pytest.param(".mp4", marks=needs_ffmpeg)])
def test_atomic_write(ext, monkeypatch, res, surf, tmp_path):
    out = tmp_path / f"race{ext}"
    out.write_bytes(b"previous")
    grab = _writers._grab
    calls = []

    def failing(canvas):
        calls.append(1)
        if len(calls) == 3 or ext == ".png":
            raise RuntimeError("boom")
        return grab(canvas)

    monkeypatch.setattr(_writers, "_grab", failing)
    with pytest.raises(RuntimeError, match="boom"):
        render.race(res, surf, out, **SMALL)
    assert out.read_bytes() == b"previous"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_atomic_write_update_raises(tmp_path):
    fig, line = _figure()

    def update(i):
        if i == 2:
            raise KeyError("frame 2")
        return [line]

    with pytest.raises(KeyError):
        render.save_animation(fig, update, 5, tmp_path / "sub" / "a.gif", dpi=DPI)
    assert list((tmp_path / "sub").iterdir()) == []


# --------------------------------------------------------------------------
# palette
# --------------------------------------------------------------------------
def test_palette_consistent_by_kind(res):
    p1 = render.palette(["adam", "gd"])
    p2 = render.palette(["momentum", "rmsprop", "Adam lr=1e-2", "adam(lr=0.001, b1=0.9)"])
    assert p1["adam"] == p2["Adam lr=1e-2"] == _colours.KIND_COLOURS["adam"]
    assert p2["adam(lr=0.001, b1=0.9)"] != p2["Adam lr=1e-2"]  # a second adam: another colour
    assert render.palette(["sgd"])["sgd"] == p1["gd"]
    assert render.palette(["adamw"])["adamw"] != p1["adam"]
    # a Result: kinds from its config ("gd big" is a gd)
    pr = render.palette(res)
    assert pr["gd"] == p1["gd"] and pr["adam"] == p1["adam"]
    assert pr["gd big"] not in (pr["gd"], pr["adam"], pr["momentum"])
    assert render.palette(["x", "y"], kinds=["adam", "gd"]) == {"x": p1["adam"], "y": p1["gd"]}
    unknown = list(render.palette(["mine", "yours"]).values())
    assert not _colours.same_family(*unknown)
    assert len(set(render.palette([f"adam {i}" for i in range(12)]).values())) == 12
    # repeats of a kind are in other hue families (three SGDs: not blue and indigo)
    three = list(render.palette(["sgd", "sgd b=64", "sgd b=1"]).values())
    assert three[0] == p1["gd"] and len(set(three)) == 3
    for i in range(3):
        for j in range(i):
            assert not _colours.same_family(three[i], three[j])
    with pytest.raises(ValueError, match="kinds"):
        render.palette(["a", "b"], kinds=["adam"])


def test_renderers_use_the_palette(res, surf, tmp_path):
    """The exact kind colour shows up in the race (markers) and in the GIF palette."""
    adam = tuple(int(_colours.KIND_COLOURS["adam"][i : i + 2], 16) for i in (1, 3, 5))
    png = render.race(res, surf, tmp_path / "r.png", size=(320, 240), dpi=DPI)
    pix = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    assert (pix == adam).all(axis=1).any()
    gif = render.swarm(res, surf, tmp_path / "s.gif", layout="overlay", **SMALL)
    with Image.open(gif) as im:
        pal = np.array(im.getpalette()[:768]).reshape(-1, 3)
    assert (pal == adam).all(axis=1).any()


def test_diverged_points_are_hidden(monkeypatch, res, surf, tmp_path):
    k = res.index("gd big")
    assert (res.diverged[k] >= 0).all() and res.diverged[k].max() < res.frame_steps[-1]
    from matplotlib.collections import PathCollection

    seen = []
    orig = PathCollection.set_offsets

    def spy(self, offsets):
        seen.append((self, len(offsets)))
        return orig(self, offsets)

    monkeypatch.setattr(PathCollection, "set_offsets", spy)
    render.swarm(res, surf, tmp_path / "s.gif", layout="overlay", **SMALL)
    blue = render.palette(res)["gd big"]
    from matplotlib.colors import to_hex

    counts = [n for c, n in seen if to_hex(c.get_facecolor()[0], keep_alpha=False) == blue]
    assert counts[-1] == 0 and max(counts) == res.n


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def test_validation(res, surf, tmp_path):
    out = tmp_path / "x.gif"
    cases = [
        (
            lambda: render.race(res, surf, out, trajectories=(0, 99)),
            r"trajectories must be in \[0, 40\)",
        ),
        (lambda: render.race(res, surf, out, trajectories=()), "trajectories must not be empty"),
        (lambda: render.surface3d(res, surf, out, trajectories=(-1,)), "trajectories"),
        (lambda: render.race(res, surf, out, log_loss="yes"), "log_loss"),
        (lambda: render.race(res, ls.surfaces.rosenbrock(dim=3), out), "dimension"),
        (lambda: render.race(res, "rosenbrock", out), "surface must be"),
        (
            lambda: render.swarm(res, surf, out, layout="grid"),
            r"layout must be one of \['overlay', 'panels'\]",
        ),
        (lambda: render.swarm(res, surf, out, event="nope"), r"event must be one of \['near'\]"),
        (lambda: render.swarm(res, surf, out, max_points=0), "max_points"),
        (lambda: render.swarm(res, surf, out, size=(100,)), "size"),
        (lambda: render.swarm(res, surf, out, fps=0), "fps"),
        (lambda: render.survival_curves(res, None, out), "event must be one of"),
        (lambda: render.survival_curves(res, "far", out), "event must be one of"),
        (lambda: render.loss_curves(res, out, quantiles=(0.1, 1.5)), "quantiles"),
        (lambda: render.loss_curves(res, out, log="auto"), "log must be one of"),
        (lambda: render.minibatch_curves(res, out, smooth_beta=1.0), "smooth_beta"),
        (lambda: render.ewa_figure(out, bias_correction="yes"), "bias_correction must be one of"),
        (lambda: render.ewa_figure(out, betas=()), "betas"),
        (lambda: render.ewa_figure(out, betas=(0.9, 1.2)), "betas"),
        (lambda: render.schedule_figure({}, out), "schedules"),
        (lambda: render.schedule_figure({"a": 0.1}, out), r"schedules\['a'\]"),
        (lambda: render.schedule_figure(schedules(), out, epochs=0), "epochs"),
    ]
    for call, msg in cases:
        with pytest.raises(ValueError, match=msg):
            call()
    assert list(tmp_path.iterdir()) == []


def test_result_without_frames(surf, tmp_path):
    x0 = ls.starts.normal(8, mean=[-1.5, 2.0], std=0.1, seed=0)
    r0 = ls.simulate(surf, {"adam": ls.optim.adam(lr=1e-2)}, x0, steps=5, record_every=0,
                     events={"near": ls.events.enter_ball([1.0, 1.0], 0.5)})  # fmt: skip
    for call in (
        lambda: render.race(r0, surf, tmp_path / "x.gif"),
        lambda: render.swarm(r0, surf, tmp_path / "x.gif"),
        lambda: render.surface3d(r0, surf, tmp_path / "x.gif"),
        lambda: render.loss_curves(r0, tmp_path / "x.png"),
        lambda: render.minibatch_curves(r0, tmp_path / "x.png"),
    ):
        with pytest.raises(ValueError, match="result has no recorded frames.*record_every"):
            call()
    # survival curves need only the events
    assert (
        png_size(render.survival_curves(r0, "near", tmp_path / "s.png", size=SIZE, dpi=DPI)) == SIZE
    )


def test_loss_scale():
    assert _style.loss_scale([1.0, 2.0, 50.0]) == "linear"
    assert _style.loss_scale([1e-6, 1.0, np.nan, np.inf]) == "log"
    assert _style.loss_scale([0.0, 1e-6, 1.0]) == "log"
    assert _style.loss_scale([-1e3, -1.0, 1e-3]) == "symlog"
    assert _style.loss_scale([-1.0, 1.0]) == "linear"
    assert _style.loss_scale([1.0, 2.0], log=True) == "log"
    assert _style.loss_scale([-1.0, 2.0], log=True) == "symlog"
    assert _style.loss_scale([1e-9, 1.0], log=False) == "linear"


def test_import_is_light():
    code = (
        "import sys, landscape.render as r; "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
        "assert r.FORMATS == ('.gif', '.mp4', '.png')"
    )
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert set(render.__all__) >= {
        "race", "swarm", "surface3d", "loss_curves", "ewa_figure", "schedule_figure",
        "minibatch_curves", "survival_curves", "palette", "save_animation", "FORMATS",
    }  # fmt: skip


def test_saved_and_loaded_result(res, surf, tmp_path):
    """A loaded Result (plain C-ordered arrays) renders the same way."""
    r2 = ls.load(res.save(tmp_path / "run.npz"))
    assert gif_info(render.swarm(r2, surf, tmp_path / "s.gif", **SMALL)) == (N_FRAMES, SIZE)
    assert png_size(render.loss_curves(r2, tmp_path / "l.png", **SMALL)) == SIZE
    if getattr(r2, "surface", None) is not None:  # surface=None: the result's own surface
        assert png_size(render.race(r2, None, tmp_path / "r.png", **SMALL)) == SIZE


@pytest.mark.parametrize("fn", ["race", "swarm"])
def test_contour_levels_are_bounded(res, surf, tmp_path, fn):
    with pytest.raises(ValueError, match="levels must be <= 1000, got 100000000"):
        getattr(render, fn)(res, surf, tmp_path / "x.png", levels=10**8)
    assert not any(tmp_path.iterdir())
