"""Result (landscape.results): save/load, names and labels, summary table,
recorded shapes, concatenation (Result.concat)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import landscape as ls


def _small_result(record_every=5, record=None):
    surf = ls.surfaces.elongated_bowl(kappa=5.0)
    x0 = ls.starts.normal(6, [2.0, 1.0], 0.3, seed=9)
    return ls.simulate(
        surf,
        {"gd": ls.optim.gd(0.1), "adam": ls.optim.adam(0.05), "bad": ls.optim.gd(1.0)},
        x0, 20, record_every=record_every, record=record,
        events={"near": ls.events.enter_ball([0, 0], 0.5), "low": ls.events.loss_below(1e-3)},
    )


def test_result_save_load_round_trip(tmp_path):
    res = _small_result(record=4)
    path = res.save(tmp_path / "run")
    assert path.suffix == ".npz" and path.exists()
    back = ls.load(path)
    assert back.names == res.names
    for key in ("positions", "loss", "frame_steps", "final", "final_loss", "diverged", "x0"):
        a, b = getattr(res, key), getattr(back, key)
        assert a.dtype == b.dtype, key
        np.testing.assert_array_equal(a, b, err_msg=key)
    assert list(back.events) == list(res.events)
    for name in res.events:
        np.testing.assert_array_equal(back.events[name], res.events[name])
    assert back.config == res.config
    assert back.steps == 20 and back.n == 6 and back.n_optimizers == 3
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # no temporary left


def test_result_names_and_labels():
    surf = ls.surfaces.elongated_bowl(kappa=2.0)
    x0 = np.ones((2, 2))
    res = ls.simulate(surf, [ls.optim.gd(0.1), ls.optim.gd(0.1), ls.optim.adam(0.01),
                             ls.optim.gd(0.1)], x0, 3)
    assert res.names == ["gd(lr=0.1)", "gd(lr=0.1)#2", "adam(lr=0.01, b1=0.9, b2=0.999, eps=1e-08)",
                         "gd(lr=0.1)#3"]
    np.testing.assert_array_equal(res.final[0], res.final[1])
    assert res.index("gd(lr=0.1)#2") == 1
    with pytest.raises(ValueError, match="name"):
        res.index("nope")
    single = ls.simulate(surf, ls.optim.momentum(0.1, 0.5), x0, 3)
    assert single.names == ["momentum(lr=0.1, beta=0.5)"]
    sched = ls.simulate(surf, ls.optim.gd(0.1, schedule=ls.schedules.inverse_time(1.0)), x0, 3)
    assert sched.names == ["gd(lr=0.1, schedule=inverse_time(decay=1))"]
    d = ls.simulate(surf, {"x": ls.optim.gd(0.1), "y": ls.optim.gd(0.2)}, x0, 3)
    assert d.names == ["x", "y"]
    assert [o["name"] for o in d.config["optimizers"]] == ["x", "y"]


def test_result_summary_table_and_fractions():
    res = _small_result()
    assert res.diverged_fraction().tolist() == [0.0, 0.0, 1.0]  # |1 - 1.0 * 5|^20 > 1e6
    for ev in ("near", "low"):
        np.testing.assert_array_equal(res.reached_fraction(ev), (res.events[ev] >= 0).mean(1))
    assert res.reached_fraction("near")[0] == 1.0
    with pytest.raises(ValueError, match="event"):
        res.reached_fraction("nope")
    rows = res.summary()
    assert [r["optimizer"] for r in rows] == res.names
    r0 = rows[0]
    assert r0["n"] == 6 and r0["diverged"] == 0.0
    assert r0["final_loss_median"] == pytest.approx(float(np.median(res.final_loss[0])))
    assert r0["final_loss_min"] == pytest.approx(float(res.final_loss[0].min()))
    assert r0["near_fraction"] == 1.0
    assert r0["near_median_step"] == pytest.approx(float(np.median(res.events["near"][0])))
    assert rows[2]["diverged"] == 1.0 and math.isnan(rows[2]["final_loss_median"])
    table = res.format_table()
    lines = table.splitlines()
    assert len(lines) == 2 + 3
    assert "optimizer" in lines[0] and "final_loss_median" in lines[0]
    for name, line in zip(res.names, lines[2:], strict=True):
        assert line.startswith(name)


def test_result_record_shapes():
    res = _small_result(record_every=0)
    assert res.positions.shape == (3, 0, 0, 2) and res.loss.shape == (3, 0, 0)
    assert res.frame_steps.shape == (0,)
    assert res.final.shape == (3, 6, 2) and res.final_loss.shape == (3, 6)
    full = _small_result(record_every=5)
    np.testing.assert_array_equal(res.final, full.final)
    np.testing.assert_array_equal(res.events["near"], full.events["near"])
    res = _small_result(record_every=None)
    assert res.positions.shape == (3, 0, 0, 2)
    res = _small_result(record_every=5, record=0)
    assert res.positions.shape == (3, 0, 5, 2)
    res = _small_result(record_every=5, record=100)
    assert res.positions.shape == (3, 6, 5, 2)
    res = _small_result(record_every=30)  # longer than the run: the start only
    assert res.positions.shape == (3, 6, 1, 2)
    np.testing.assert_array_equal(res.positions[:, :, 0], np.broadcast_to(res.x0, (3, 6, 2)))
    res = _small_result(record_every=1, record=2)
    assert res.positions.shape == (3, 2, 21, 2)
    np.testing.assert_array_equal(res.positions[:, :, -1], res.final[:, :2])
    np.testing.assert_allclose(res.loss[:, :, -1], res.final_loss[:, :2], rtol=1e-13)


# --------------------------------------------------------------------------
# Result.concat (what recipes join their per-noise launches with)
# --------------------------------------------------------------------------
def _bowl_runs(**kw):
    surf = ls.surfaces.elongated_bowl(kappa=10.0)
    x0 = np.array([[-2.0, 1.0], [1.0, 1.0]])
    args = dict(steps=10, record_every=1, seed=0) | kw
    a = ls.simulate(surf, {"gd": ls.optim.gd(lr=0.05)}, x0, **args)
    b = ls.simulate(surf, {"m": ls.optim.momentum(lr=0.05, beta=0.9)}, x0,
                    noise=ls.noise.gaussian(1.0), **args)  # fmt: skip
    return surf, x0, a, b


def test_result_concat_stacks_optimizers_in_order():
    surf, x0, a, b = _bowl_runs()
    both = ls.Result.concat([a, b])
    assert both.names == ["gd", "m"] and both.n_optimizers == 2
    np.testing.assert_array_equal(both.positions[0], a.positions[0])
    np.testing.assert_array_equal(both.positions[1], b.positions[0])
    np.testing.assert_array_equal(both.final_loss[1], b.final_loss[0])
    assert both.surface is surf and both.x0 is a.x0
    # different noise: each optimizer's entry says its own
    assert both.config["noise"].startswith("per optimizer")
    assert both.config["optimizers"][0]["noise"] is None
    assert both.config["optimizers"][1]["noise"] == b.config["noise"]
    swapped = ls.Result.concat([a, b], order=["m", "gd"])
    assert swapped.names == ["m", "gd"]
    np.testing.assert_array_equal(swapped.diverged[0], b.diverged[0])
    np.testing.assert_array_equal(swapped.loss[1], a.loss[0])
    # the same noise everywhere: config unchanged but for the optimizers
    same = ls.Result.concat([a, ls.simulate(surf, {"m": ls.optim.momentum(lr=0.05)}, x0, 10,
                                            record_every=1, seed=0)])  # fmt: skip
    assert same.config["noise"] is None and "noise" not in same.config["optimizers"][1]


@pytest.mark.parametrize(
    "change, match",
    [
        ({"steps": 12}, r"parts\[1\] ran 12 steps, parts\[0\] 10"),
        ({"record_every": 2}, r"parts\[1\] recorded frames at other steps"),
        ({"x0": "other"}, r"parts\[1\] started from other points x0"),
        ({"surface": "other"}, r"parts\[1\] ran on another surface"),
        ({"name": "gd"}, r"parts\[1\] repeats the optimizer name 'gd'"),
    ],
)
def test_result_concat_refuses_runs_that_differ(change, match):
    surf, x0, a, _ = _bowl_runs()
    kw = dict(steps=10, record_every=1, seed=0)
    kw.update({k: v for k, v in change.items() if k in ("steps", "record_every")})
    if "x0" in change:
        x0 = x0 + 1.0
    if "surface" in change:
        surf = ls.surfaces.elongated_bowl(kappa=20.0)
    other = ls.simulate(surf, {change.get("name", "m"): ls.optim.gd(lr=0.01)}, x0, **kw)
    with pytest.raises(ValueError, match=match):
        ls.Result.concat([a, other])


def test_result_concat_arguments():
    _, _, a, b = _bowl_runs()
    with pytest.raises(ValueError, match="parts must be a non-empty sequence of Result"):
        ls.Result.concat([])
    with pytest.raises(ValueError, match="order must be a permutation"):
        ls.Result.concat([a, b], order=["gd"])
    assert ls.Result.concat([a]).names == a.names
