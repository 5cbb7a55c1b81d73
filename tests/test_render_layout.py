"""Layout (landscape.render._layout): titles inside, legends off the data, panels keep their width.

Every renderer's figure is built with ``.plot`` and drawn with ``draw_frame`` (no
file), at two sizes, with short names and with the long automatic names of
``simulate`` (``adam(lr=0.01, b1=0.9, ...)``), then measured by ``layout_report``.
Runs on rosenbrock and linear_regression (float64), as tests/test_render.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import landscape as ls
from landscape import render
from landscape.render import _colours as C
from landscape.render import _layout as Y
from landscape.render import _style as S
from landscape.render import _writers as W

SIZES = [(800, 450), (480, 270)]


def _opts():
    return [
        ls.optim.gd(1e-3),
        ls.optim.momentum(1e-3, beta=0.8),
        ls.optim.rmsprop(1e-2, beta=0.99, eps=1e-6),
        ls.optim.adam(3e-2, b1=0.8, b2=0.99),
        ls.optim.nesterov(1e-3, schedule=ls.schedules.inverse_time(0.5, steps_per_epoch=10)),
    ]


@pytest.fixture(scope="module")
def surf():
    return ls.surfaces.rosenbrock()


@pytest.fixture(scope="module", params=["short", "long"])
def res(request, surf):
    opts = _opts()
    if request.param == "short":
        opts = {o.kind: o for o in opts}  # names: "gd", "momentum", ...
    x0 = ls.starts.normal(12, mean=[-1.5, 2.0], std=0.1, seed=0)
    return ls.simulate(surf, opts, x0, steps=40, record_every=5, seed=0,
                       events={"near": ls.events.enter_ball([1.0, 1.0], 1.0)})  # fmt: skip


@pytest.fixture(scope="module")
def fsum():
    s = ls.surfaces.linear_regression(m=48)
    opts = {
        "batch GD": ls.optim.sgd(0.5),
        "mini-batch": ls.optim.sgd(0.5),
        "SGD": ls.optim.sgd(0.5),
    }
    x0 = ls.starts.normal(2, mean=[-1.0, 1.0], std=0.1, seed=0)
    return ls.simulate(s, opts, x0, steps=30, record_every=5, seed=2, batch_size=[48, 8, 1])


def check(fig, *, min_width=()):
    """The report's promises; ``min_width``: (axes label, fraction of the figure width)."""
    rep = Y.layout_report(fig)
    W_, H_ = rep["size"]
    for t in rep["titles"]:
        assert t["inside"], f"title {t['text']!r} clipped: {t['box']} in {W_}x{H_}"
    for a in rep["axes"]:
        assert a["inside"], f"axes {a['label']} (with its ticks) leaves the figure"
    for lg in rep["legends"]:
        assert lg["inside"], f"legend {lg['box']} runs off the {W_}x{H_} figure"
        assert not lg["overlaps"], f"legend over the plotting area of {lg['overlaps']}"
        assert lg["covers"] == 0, f"legend covers {lg['covers']} data points"
    widths = {a["label"]: a["width"] for a in rep["axes"]}
    for label, frac in min_width:
        assert widths[label] >= frac, f"{label} panel is {widths[label]:.2f} of the width"
    assert rep["ok"]
    return rep


@pytest.mark.parametrize("size", SIZES)
def test_race_layout(res, surf, size):
    fig = W.draw_frame(render.race.plot(res, surf, trajectories=(0, 1), size=size), -1)
    rep = check(fig, min_width=[("map", 0.45), ("loss", 0.28)])
    legend = rep["legends"][0]
    assert not legend["in_axes"] and legend["box"][3] < min(a["box"][1] for a in rep["axes"])
    # every optimizer's label is in the legend, once
    texts = [" ".join(t.get_text().split()) for t in fig.legends[0].get_texts()]
    for k in range(res.n_optimizers):
        assert texts.count(render._labels.opt_label(res, k)) == 1


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("layout", ["panels", "overlay"])
def test_swarm_layout(res, surf, size, layout):
    fig = W.draw_frame(render.swarm.plot(res, surf, layout=layout, event="near", size=size), 3)
    rep = check(fig)
    if layout == "panels":
        assert len([t for t in rep["titles"] if "diverged" in t["text"]]) == res.n_optimizers


@pytest.mark.parametrize("size", SIZES)
def test_surface3d_layout(res, surf, size):
    fig = W.draw_frame(render.surface3d.plot(res, surf, trajectories=(0,), size=size, rotate=True,
                                             max_frames=3), 1)  # fmt: skip
    check(fig, min_width=[("surface", 0.35)])  # a 3-D axes is square: under 9/16 of 16:9


@pytest.mark.parametrize("size", SIZES)
def test_curve_figures_layout(res, fsum, size):
    check(W.draw_frame(render.loss_curves.plot(res, size=size, animate=True), 2))
    check(W.draw_frame(render.survival_curves.plot(res, "near", size=size)))
    r = fsum
    for layout in ("overlay", "panels"):
        check(W.draw_frame(render.minibatch_curves.plot(r, layout=layout, size=size)))
    check(W.draw_frame(render.ewa_figure.plot(size=size, animate=True, max_frames=5), 0))
    scheds = {
        "α₀/(1 + 1·epoch)": ls.schedules.inverse_time(1.0),
        "0.95^epoch·α₀": ls.schedules.exponential(0.95),
        "staircase: ×0.5 every 10": ls.schedules.staircase(0.5, 10),
        "α₀/√epoch": ls.schedules.inverse_sqrt_epoch(),
        "warm-up then constant": ls.schedules.linear_warmup(5),
        "constant": ls.schedules.constant(),
    }
    check(W.draw_frame(render.schedule_figure.plot(scheds, size=size)))


def test_ewa_first_frame_shows_the_year(tmp_path):
    fig = W.draw_frame(render.ewa_figure.plot(size=(400, 225), animate=True, max_frames=10), 0)
    ax = fig.axes[0]
    offsets = [len(c.get_offsets()) for c in ax.collections]
    assert max(offsets) == 365  # every day's value, from the first frame
    # and the first frame is not blank: enough pixels differ from white
    pix = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert (pix.min(axis=2) < 200).mean() > 0.02


def test_each_kind_keeps_its_colour_in_every_output(res, surf):
    """The kind's colour in the race, swarm, 3-D, curves and survival figures."""
    from matplotlib.colors import to_hex

    def colours(fig):
        out = set()
        for a in fig.findobj():
            for getter in ("get_color", "get_facecolor"):
                try:
                    c = getattr(a, getter)()
                    rows = [c] if isinstance(c, str) else np.atleast_2d(c)
                    out |= {to_hex(row, keep_alpha=False) for row in rows}
                except (AttributeError, TypeError, ValueError):
                    pass
        return out

    figs = [
        render.race.plot(res, surf).fig,
        render.swarm.plot(res, surf, layout="overlay").fig,
        render.surface3d.plot(res, surf, max_frames=2).fig,
        render.loss_curves.plot(res).fig,
        render.survival_curves.plot(res, "near").fig,
    ]
    for i, fig in enumerate(figs):
        got = colours(fig)
        for kind in ("gd", "momentum", "rmsprop", "adam", "nesterov"):
            assert C.KIND_COLOURS[kind] in got, (i, kind)


def test_layout_report_sees_a_legend_over_data_and_a_clipped_title():
    fig = S.new_figure((300, 200), 50)
    ax = fig.add_subplot(label="data")
    x = np.linspace(0, 1, 200)
    ax.plot(x, np.ones_like(x) * 0.5, label="a line under the legend")
    ax.set_ylim(0, 1)
    ax.legend(loc="center", fontsize=20)
    fig.suptitle("a title far too long to fit in a figure of three hundred pixels" * 2)
    rep = Y.layout_report(fig)
    assert not rep["ok"]
    assert rep["legends"][0]["covers"] > 0 and rep["legends"][0]["in_axes"]
    assert not rep["titles"][0]["inside"]
    # wrapped, the title fits
    fig._suptitle.set_text(Y.wrapped_title(fig, fig._suptitle.get_text(), 12))
    assert Y.layout_report(fig)["titles"][0]["inside"]


def test_draw_frame_checks_its_index(res, surf):
    plot = render.race.plot(res, surf, max_frames=3)
    assert plot.n_frames == 3
    with pytest.raises(ValueError, match=r"frame must be in \[-3, 3\)"):
        W.draw_frame(plot, 3)
    assert W.draw_frame(plot, -3) is plot.fig
