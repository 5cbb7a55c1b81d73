"""scripts/minibatch_compare.py: batch sizes 1, 64, 256, m on the linear-regression bowl."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "minibatch_compare.py"


@pytest.fixture(scope="module")
def script(load_script):
    return load_script("minibatch_compare")


def _rows(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_quick_run_writes_figure_tables_and_sane_numbers(script, tmp_path, capsys):
    out = tmp_path / "mb"
    assert script.main(["--quick", "-o", str(out)]) == 0
    for name in ("minibatch_compare.png", "minibatch_compare.csv", "minibatch_curves.csv",
                 "README.md"):  # fmt: skip
        assert (out / name).stat().st_size > 0
    assert (out / "minibatch_compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (out / "README.md").read_text(encoding="utf-8")
    assert "minibatch_compare.png" in text and "| batch |" in text
    printed = capsys.readouterr().out
    assert "steps to 1%" in printed

    rows = _rows(out / "minibatch_compare.csv")
    m = 512  # the --quick size
    assert [int(r["batch_size"]) for r in rows] == [1, 64, 256, m]
    assert [int(r["steps_per_epoch"]) for r in rows] == [m, 8, 2, 1]
    for r in rows:  # every batch size covered its epoch budget (--quick: 2 epochs)
        assert int(r["budget_examples"]) == 2 * m
        assert float(r["epochs_run"]) >= 2
        assert float(r["cost_at_budget_q10"]) <= float(r["cost_at_budget_median"]) \
            <= float(r["cost_at_budget_q90"])  # fmt: skip
    # at equal computation SGD is far ahead; batch GD has taken only 2 steps
    budget = [float(r["cost_at_budget_median"]) for r in rows]
    assert budget == sorted(budget)
    gd = rows[-1]
    assert gd["cost_final_q10"] == gd["cost_final_q90"]  # one start, no shuffles: identical

    curves = _rows(out / "minibatch_curves.csv")
    full = [r for r in curves if int(r["batch_size"]) == m]
    steps = np.array([int(r["step"]) for r in full])
    cost = np.array([float(r["cost_median"]) for r in full])
    assert steps[0] == 0 and np.all(np.diff(steps) == 1)
    assert np.all(np.diff(cost) <= 1e-12 * cost[0])  # batch GD: monotone decrease
    assert cost[-1] < 0.05 * cost[0]
    batch = np.array([float(r["batch_cost_traj0"]) for r in full])
    np.testing.assert_allclose(batch, cost, rtol=1e-9)  # b = m: J^{t} is J
    sgd = [r for r in curves if int(r["batch_size"]) == 1]
    assert len(sgd) == 2 * m + 1


@pytest.mark.parametrize(
    "argv, word",
    [
        (["--m", "0"], "--m"),
        (["--epochs", "-1"], "--epochs"),
        (["--lr", "nan"], "--lr"),
        (["--dtype", "float16"], "--dtype"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(script, tmp_path, capsys, argv, word):
    with pytest.raises(SystemExit) as exc:
        script.main([*argv, "-o", str(tmp_path / "never")])
    assert exc.value.code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("minibatch_compare.py: error:") and word in err[-1]
    assert not (tmp_path / "never").exists()
