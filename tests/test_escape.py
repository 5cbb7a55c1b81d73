"""landscape.escape: scenarios, theory overlays and sweeps (float64, 3 surface families)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import landscape as ls
from landscape import escape as E

GD_LRS = (0.01, 0.03, 0.1)


def test_gd_on_quadratic_saddle_matches_linearised_formula_exactly():
    sc = E.saddle_2d(a=1.0, b=1.0, delta=1e-3, radius=1.0, on_axis=True)
    table = E.sweep(
        sc,
        [ls.optim.gd(lr) for lr in GD_LRS] + [ls.optim.adam(0.01)],
        deltas=[1e-3, 1e-5],
        n=64,
        steps=1000,
    )
    assert len(table.rows) == 8
    for row in table.rows:
        if row["optimizer"] != "gd":
            assert row["theory"] is None
            continue
        t = E.linearised_escape_time(row["delta"], 1.0, row["lr"], 2.0)
        assert row["theory"] == pytest.approx(t)
        assert t % 1 not in (0.0,)  # not an integer ratio: floor(T) + 1 is exact
        # f is unbounded below: GD diverges later, AFTER escaping (still an escape)
        assert row["escaped"] == 1.0
        # every trajectory, not just the median, escapes at floor(T) + 1
        assert (
            row["median"]
            == row["q25"]
            == row["q75"]
            == E.gd_escape_step(row["delta"], 1.0, row["lr"], 2.0)
        )
        assert row["mean_escaped"] == row["median"]


def test_random_directions_per_start_theory_and_small_noise_centred():
    gd = ls.optim.gd(0.05)
    sc = E.saddle_2d(delta=1e-3)  # random directions: slower than on the axis
    x0 = sc.starts(500, seed=1)
    res = sc.run([gd], 500, 3000, seed=1)
    pred = sc.theory_starts(gd, x0)
    np.testing.assert_array_equal(res.events["escaped"][0], pred)  # exact linear map
    assert np.median(pred) > sc.theory(gd)
    # small gradient noise, starts on the axis: distribution centred on the formula
    T = E.gd_escape_step(1e-3, 1.0, 0.05, 2.0)
    noisy = E.saddle_2d(delta=1e-3, on_axis=True, noise=1e-3)
    ev = noisy.run([gd], 2000, 3000, seed=2).events["escaped"][0]
    assert np.all(ev >= 0)
    assert abs(np.median(ev) - T) <= 1 and abs(ev.mean() - T) <= 1.5
    assert ev.std() > 0  # the noise does act
    assert np.mean(np.abs(ev - T) <= 3) > 0.9


def test_strict_saddle_sweep_over_dim_k_and_curvature():
    sc = E.strict_saddle(dim=4, k=1, delta=1e-3, on_axis=True)
    table = E.sweep(
        sc,
        [ls.optim.gd(0.1), ls.optim.heavy_ball(0.1, beta=0.9)],
        params={"dim": [4, 12], "k": [1, 2], "lam_neg": [0.5, 1.0]},
        n=32,
        steps=800,
    )
    assert len(table.rows) == 16
    for row in table.rows:
        assert {"dim", "k", "lam_neg", "delta", "noise"} <= set(row)
        if row["optimizer"] == "gd":
            radius = 0.5 * math.sqrt(row["lam_neg"])  # default: half-way to a minimum
            t = E.linearised_escape_time(1e-3, radius, 0.1, row["lam_neg"])
            assert row["theory"] == pytest.approx(t)
            # the quartic wall slows the last steps: a little above the linearised time
            assert t <= row["median"] <= 1.15 * t + 2
        else:
            assert row["median"] < 0.7 * next(
                r["median"]
                for r in table.rows
                if r["optimizer"] == "gd" and all(r[k] == row[k] for k in ("dim", "k", "lam_neg"))
            )
    # random directions: per-start theory uses the escape component
    sr = E.strict_saddle(dim=8, k=2, delta=1e-3)
    x0 = sr.starts(200, seed=0)
    pred = sr.theory_starts(ls.optim.gd(0.1), x0)
    ev = sr.run([ls.optim.gd(0.1)], 200, 800).events["escaped"][0]
    assert np.all(ev >= pred - 1)


def test_plateau_gd_scales_as_inverse_slope_adam_flat():
    slopes = [0.05, 0.1, 0.2]
    sc = E.plateau(width=1.0, slope=0.1, delta=1e-6)
    table = E.sweep(
        sc,
        {
            "gd": ls.optim.gd(0.1),
            "adam": ls.optim.adam(0.01),
            "heavy_ball": ls.optim.heavy_ball(0.1, beta=0.9),
        },
        params={"slope": slopes},
        n=16,
        steps=1000,
    )
    med = {(r["name"], r["slope"]): r["median"] for r in table.rows}
    gd = np.array([med["gd", s] for s in slopes])
    adam = np.array([med["adam", s] for s in slopes])
    # GD: time x slope constant (1/slope scaling), log-log slope -1
    assert np.polyfit(np.log(slopes), np.log(gd), 1)[0] == pytest.approx(-1.0, abs=0.03)
    # Adam: nearly flat in the slope
    assert abs(np.polyfit(np.log(slopes), np.log(adam), 1)[0]) < 0.05
    for r in table.rows:
        assert r["median"] == pytest.approx(r["theory"], rel=0.05, abs=2)
        if r["name"] == "heavy_ball":  # exact ramp-up solution: first step past the edge
            assert abs(r["median"] - (math.floor(r["theory"]) + 1)) <= 1


def test_table_csv_roundtrip_and_noise_groups(tmp_path):
    sc = E.saddle_2d(delta=1e-3, on_axis=True)
    table = E.sweep(
        sc,
        [ls.optim.gd(0.05), ls.optim.gd(0.05)],
        noises=[0.0, 1e-3],
        batch_sizes=[1, 4],
        n=16,
        steps=10,
    )  # too short: all censored
    # noiseless once, noisy once per batch size; duplicate names get "#2"
    assert len(table.rows) == 2 * 3
    assert table.rows[1]["name"] == "gd(lr=0.05)#2"
    assert [r["batch_size"] for r in table.rows[::2]] == [None, 1, 4]
    for r in table.rows:
        assert r["escaped"] == 0.0 and r["median"] == math.inf  # censored is not escape
    path = table.to_csv(tmp_path / "t.csv")
    with open(path, newline="") as fh:
        back = list(csv.DictReader(fh))
    assert list(back[0]) == table.columns and len(back) == 6
    assert float(back[0]["median"]) == math.inf
    assert "| name" in table.format(markdown=True)
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(path)
    assert df.shape == (6, len(table.columns)) and np.isinf(df["median"]).all()


def test_report_script_end_to_end(tmp_path, load_script):
    mod = load_script("escape_stats")
    out = tmp_path / "report"
    assert mod.main(["-o", str(out), "--n", "64", "--quick"]) == 0
    text = (out / "README.md").read_text(encoding="utf-8")
    for name in (
        "saddle2d_survival_clean.png",
        "saddle2d_survival_noisy.png",
        "saddle2d_median_vs_lr.png",
        "plateau_median_vs_slope.png",
        "saddle2d_lr_sweep.csv",
        "strict_saddle_sweep.csv",
        "plateau_slope_sweep.csv",
    ):
        assert (out / name).stat().st_size > 0
        assert name in text
    assert "Log-rank" in text and "| name" in text
