"""The comparison tables (``landscape compare``) and the benchmark script run end to end."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from landscape import bench, compare


def test_compare_runs_named_scenarios_and_prints_tables():
    lines = []
    results = compare.run(["bowl"], n=40, out=lines.append)
    res, _ = results["bowl"]
    text = "\n".join(lines)
    assert "bowl" in text and "heavy_ball(lr=0.0614042, beta=0.565807)" in text
    # Polyak's heavy ball reaches the level far sooner than GD in the elongated bowl
    gd = res.events["loss<1e-8"][res.index("gd")]
    hb = res.events["loss<1e-8"][res.index("heavy_ball")]
    assert (gd >= 0).all() and (hb >= 0).all()
    assert np.median(hb) < np.median(gd) / 3


def test_compare_rejects_unknown_scenario():
    with pytest.raises(ValueError, match="scenario"):
        compare.run(["nope"], n=4)


def test_benchmark_script_runs_small_and_agrees_with_numpy():
    p = argparse.ArgumentParser()
    bench.add_arguments(p)
    args = p.parse_args(["--n", "300", "--steps", "40", "--repeat", "1", "--no-jax", "--formula"])
    rows = bench.run(args)
    assert [r[0] for r in rows] == ["float32", "float64"]
    errs = {r[0]: r[4] for r in rows}
    assert errs["float64"] < 1e-10
    assert errs["float32"] < 1e-3
    assert all(r[5][1] for r in rows)  # Rosenbrock as a formula: the built-in's numbers
