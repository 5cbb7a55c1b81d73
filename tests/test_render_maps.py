"""Maps (landscape.render._maps): the box a map shows frames the trajectories and the minimum.

Runs on rosenbrock (float64, as tests/test_render.py) with one optimizer that diverges.
"""

from __future__ import annotations

import numpy as np
import pytest

import landscape as ls
from landscape import recipes, render
from landscape.render import _maps as M
from landscape.render import _writers as W

SMALL = {"size": (320, 180), "dpi": 50}


@pytest.fixture(scope="module")
def surf():
    return ls.surfaces.rosenbrock()


@pytest.fixture(scope="module")
def res(surf):
    opts = {
        "gd": ls.optim.gd(lr=1e-3),
        "adam": ls.optim.adam(lr=3e-2),
        "gd big": ls.optim.gd(lr=0.05),  # diverges within a few steps
    }
    x0 = ls.starts.normal(6, mean=[-1.2, 1.8], std=0.1, seed=0)
    return ls.simulate(surf, opts, x0, steps=60, record_every=5, seed=1)


def _limits(fig, label="map"):
    ax = next(a for a in fig.axes if a.get_label() == label)
    return np.array([ax.get_xlim(), ax.get_ylim()])


def _shown(res, traj):
    pts = [M.shown_positions(res, k, traj) for k in range(res.n_optimizers)]
    return np.concatenate([p for p, _ in pts]), np.concatenate([e for _, e in pts])


def test_auto_box_frames_the_trajectories_and_the_nearest_minimum(res, surf):
    k_big = res.index("gd big")
    assert (res.diverged[k_big] >= 0).all()  # it diverged: its late positions are huge
    traj = (0, 1, 2)
    box = _limits(W.draw_frame(render.race.plot(res, surf, trajectories=traj, **SMALL)))
    points, ends = _shown(res, traj)
    # every finite position before divergence, and the minimum (1, 1), is inside
    needed = np.vstack([points[:, :2], surf.minima[:, :2]])
    assert (needed >= box[:, 0] - 1e-12).all() and (needed <= box[:, 1] + 1e-12).all()
    # ... and the box is not much larger: the extent, at least 1/4 of the longer
    # side, plus the padding on both sides
    span = needed.max(axis=0) - needed.min(axis=0)
    span = np.maximum(span, M.MIN_ASPECT * span.max())
    assert np.allclose(box[:, 1] - box[:, 0], span * (1 + 2 * M.PAD))
    # the diverged positions did not blow it up
    assert np.isfinite(res.positions[k_big]).any() and np.abs(res.positions[k_big]).max() > 1e3
    assert (box[:, 1] - box[:, 0]).max() < 5.0


def test_auto_box_of_swarm_and_surface3d(res, surf):
    points, _ = _shown(res, range(res.positions.shape[1]))
    box = _limits(W.draw_frame(render.swarm.plot(res, surf, **SMALL)), "map 0")
    assert (points[:, :2] >= box[:, 0]).all() and (points[:, :2] <= box[:, 1]).all()
    fig = W.draw_frame(render.surface3d.plot(res, surf, trajectories=(0,), max_frames=2, **SMALL))
    ax = fig.axes[0]
    p, _ = _shown(res, (0,))
    assert ax.get_xlim()[0] <= p[:, 0].min() and p[:, 0].max() <= ax.get_xlim()[1]


def test_surface_and_explicit_bounds(res, surf):
    fig = W.draw_frame(render.race.plot(res, surf, bounds="surface", **SMALL))
    assert np.allclose(_limits(fig), surf.bounds)
    box = [[-2.0, 0.0], [0.5, 2.5]]
    fig = W.draw_frame(render.race.plot(res, surf, bounds=box, **SMALL))
    assert np.allclose(_limits(fig), box)
    # the contour field is evaluated over the box it shows
    field = M.surface_field(surf, box=np.array(box), n=7)
    assert np.allclose(field.box, box) and np.allclose(
        field.Z[0, 0], surf.value(np.array([-2.0, 0.5]))
    )


def test_map_box_ignores_runaways_and_keeps_an_aspect(surf):
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [np.nan, 1.0], [1e9, 1e9]])
    box = M.map_box(surf, "auto", pts, ends=np.array([[1.0, 0.0]]))
    # (1e9, 1e9) and NaN are left out; the minimum (1, 1) nearest the end is in
    assert np.allclose(box, [[-0.08, 1.08], [-0.08, 1.08]])
    flat = M.map_box(surf, "auto", np.array([[0.0, 0.5], [2.0, 0.5]]))
    assert np.isclose(flat[1, 1] - flat[1, 0], M.MIN_ASPECT * 2.0 * (1 + 2 * M.PAD))
    one = M.map_box(surf, "auto", np.array([[0.3, 0.3]]))
    assert (one[:, 1] > one[:, 0]).all()
    assert np.allclose(M.map_box(surf, "auto", np.zeros((0, 2))), surf.bounds)


@pytest.mark.parametrize(
    "bad", ["everything", [[0, 1]], [[1, 0], [0, 1]], [[0, np.inf], [0, 1]], [["a", 1], [0, 1]]]
)
def test_bounds_validation(res, surf, bad, tmp_path):
    with pytest.raises(ValueError, match="bounds must be 'auto', 'surface' or"):
        render.race(res, surf, tmp_path / "x.png", bounds=bad)
    with pytest.raises(ValueError, match="bounds"):
        render.swarm(res, surf, tmp_path / "x.png", bounds=bad)
    assert list(tmp_path.iterdir()) == []


RECIPE = """\
title = "bounds"
lesson = "a box"
output = "b.png"

[surface]
name = "rosenbrock"

[optimizers.gd]
lr = 0.001

[starts]
kind = "point"
x = [-1.5, 2.0]

[simulate]
steps = 5
record_every = 1

[render]
kind = "{kind}"
size = [160, 90]
bounds = {bounds}
"""


@pytest.mark.parametrize("kind", ["race", "swarm", "surface3d"])
def test_recipes_take_bounds(kind, tmp_path):
    path = tmp_path / "r.toml"
    for ok in ('"auto"', '"surface"', "[[-2, 1.5], [0, 3]]"):
        path.write_text(RECIPE.format(kind=kind, bounds=ok))
        assert "bounds" in recipes.load(path).render_options
    for bad in ('"all"', "[[1, 0], [0, 3]]", "[[0, 1]]", "[[0, 1], [0, true]]"):
        path.write_text(RECIPE.format(kind=kind, bounds=bad))
        with pytest.raises(recipes.RecipeError, match=r"render\.bounds must be"):
            recipes.load(path)
