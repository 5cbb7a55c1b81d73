"""landscape.render.options: the frame-options record, option checks, renderer declarations."""

from __future__ import annotations

import pytest

from landscape import render
from landscape.render import options as O


def test_frame_options_defaults_are_the_renderers():
    f = render.FrameOptions()
    assert (f.size, f.dpi, f.fps, f.title, f.max_frames, f.progress) == (
        (960, 540),
        100,
        20,
        None,
        None,
        False,
    )
    for spec in render.RENDERERS.values():
        for name, value in (("size", f.size), ("dpi", f.dpi), ("fps", f.fps)):
            if name in spec.parameters:
                assert spec.default(name) == value, (spec.name, name)


def test_frame_options_are_checked_and_immutable():
    f = render.FrameOptions(size=[320, 180], fps=10)
    assert f.size == (320, 180)
    with pytest.raises(AttributeError):
        f.fps = 5  # frozen
    for kw, match in [
        ({"size": (8, 100)}, r"size\[0\] must be >= 16, got 8"),
        ({"size": 3}, r"size must be \(width, height\) in pixels"),
        ({"dpi": 0}, "dpi must be > 0"),
        ({"fps": 0}, "fps must be >= 1, got 0"),
        ({"fps": 10**8}, "fps must be <= 1000"),
        ({"max_frames": 0}, "max_frames must be >= 1"),
        ({"progress": "yes"}, "progress must be True or False"),
        ({"title": 3}, "title must be a string or None"),
    ]:
        with pytest.raises(ValueError, match=match):
            render.FrameOptions(**kw)


def test_frame_options_scaled_capped_and_keywords():
    f = render.FrameOptions(size=(800, 450), max_frames=50, title="t")
    assert f.scaled(0.5).size == (400, 225) and f.scaled(0.5).dpi == f.dpi
    assert f.scaled(0.001).size == (16, 16)  # at least 16 pixels a side
    assert f.scaled(1.0) is f
    assert f.capped(10).max_frames == 10 and f.capped(100).max_frames == 50
    assert render.FrameOptions().capped(7).max_frames == 7
    # a renderer gets only what it takes, and nothing that is None
    race = f.keywords(render.RENDERERS["race"])
    assert race == {"size": (800, 450), "dpi": 100, "title": "t", "fps": 20, "max_frames": 50,
                    "progress": False}  # fmt: skip
    still = f.keywords(render.RENDERERS["survival"])
    assert still == {"size": (800, 450), "dpi": 100, "title": "t"}
    assert "max_frames" not in render.FrameOptions().keywords(render.RENDERERS["surface3d"])


@pytest.mark.parametrize(
    "check, value, expected",
    [
        (O.size, [160, 90], (160, 90)),
        (O.integer(1, 5), 3, 3),
        (O.choice("a", "b"), "b", "b"),
        (O.array(O.quantile), [0.1, 0.9], (0.1, 0.9)),
        (O.bounds, [[0, 1], [-1, 2]], ((0.0, 1.0), (-1.0, 2.0))),
        (O.bounds, "surface", "surface"),
        (O.boolean, False, False),
        (O.levels, 2, 2),
    ],
)
def test_option_checks_return_what_the_renderer_takes(check, value, expected):
    assert check("render.x", value, O.RunFacts()) == expected


@pytest.mark.parametrize(
    "check, value, facts, message",
    [
        (O.size, [160], None, "render.x must be [width, height] in pixels (integers), got [160]"),
        (O.size, [8, 90], None, "render.x must be between 16 and 7680 pixels, got [8, 90]"),
        (O.boolean, "yes", None, "render.x must be true or false, got 'yes'"),
        (O.choice("b", "a"), "c", None, "render.x must be one of a, b, got 'c'"),
        (O.array(O.quantile), [], None, "render.x must be an array of at least 1 value(s)"),
        (O.array(O.quantile), [0.5, 2], None, r"render.x[1] must be in [0, 1], got 2"),
        (
            O.trajectory,
            3,
            O.RunFacts(recorded=2),
            "render.x must be < 2 (the number of recorded starts), got 3",
        ),
        (O.event, "hit", O.RunFacts(), "render.x names an event, but [simulate] defines no"),
        (O.event, "hit", O.RunFacts(events=("near",)), "render.x must be one of near, got 'hit'"),
        (O.bounds, [[1, 0], [0, 1]], None, 'render.x must be "auto", "surface" or [[xmin, xmax]'),
        (O.levels, 1, None, "render.x must be >= 2"),
    ],  # fmt: skip
)
def test_option_checks_name_the_key_the_value_and_what_is_allowed(check, value, facts, message):
    with pytest.raises(ValueError) as info:
        check("render.x", value, facts)
    assert str(info.value).startswith(message), str(info.value)


def test_every_renderer_declares_options_it_takes():
    for kind, spec in render.RENDERERS.items():
        assert isinstance(spec, render.Renderer), kind
        params = spec.parameters
        assert set(spec.options) <= set(params), kind
        assert spec.simulates == ("result" in params), kind
        # the frame options it takes come first, then its own
        frame = [k for k in spec.keys if k in O.FRAME_OPTIONS]
        assert list(spec.keys)[: len(frame)] == frame and {"size", "dpi"} <= set(frame), kind
    assert render.RENDERERS["ewa"].frame_count({}) == 365  # its days default
    assert render.RENDERERS["ewa"].frame_count({"days": 30}) == 30
    assert render.RENDERERS["race"].frame_count({}) is None
    assert render.RENDERERS["loss_curves"].is_animated({"animate": True})
    assert not render.RENDERERS["loss_curves"].is_animated({})


def _fake(result, out, *, colour="red", size=(960, 540), dpi=100, title=None):
    return out


def test_declarations_refuse_what_the_function_does_not_take():
    with pytest.raises(ValueError, match=r"_fake\(\) has no parameter 'shade'"):
        render.Renderer(_fake, options={"shade": O.boolean})
    with pytest.raises(ValueError, match="input 'colour' of _fake"):
        render.Renderer(_fake, inputs=("result", "colour"))
    with pytest.raises(ValueError, match="animated=None needs an 'animate' option"):
        render.Renderer(_fake, animated=None)
    with pytest.raises(ValueError, match="function must be a renderer function"):
        render.Renderer("race")


def test_register_adds_a_kind_once(monkeypatch):
    monkeypatch.setattr(render, "RENDERERS", dict(render.RENDERERS))  # leave the real one alone
    spec = render.Renderer(_fake, options={"colour": O.choice("red", "blue")}, animated=False)
    assert render.register("fake", spec) is spec and render.RENDERERS["fake"] is spec
    with pytest.raises(ValueError, match="kind 'fake' is already registered"):
        render.register("fake", spec)
    with pytest.raises(ValueError, match="kind must be a name"):
        render.register("a b", spec)
    with pytest.raises(ValueError, match="renderer must be a landscape.render.Renderer"):
        render.register("other", _fake)
