"""scripts/highdim.py: the four high-dimensional experiments at CI size."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "highdim.py"


@pytest.fixture(scope="module")
def script(load_script):
    return load_script("highdim")


def _rows(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_quick_report(script, tmp_path):
    out = tmp_path / "hd"
    assert script.main(["--quick", "-o", str(out)]) == 0
    text = (out / "README.md").read_text(encoding="utf-8")
    for fig in ("saddles.png", "index_energy.png", "escape.png", "pspin.png"):
        assert (out / fig).read_bytes()[:4] == b"\x89PNG" and fig in text
    # GD endpoint categories are fractions that sum to one
    for r in _rows(out / "saddles_gd.csv"):
        total = sum(float(r[k]) for k in ("min", "saddle", "moving_negative", "moving_convex"))
        assert abs(total - 1.0) < 1e-9
    # one dimension: minima and maxima alternate, no saddles
    crit = {int(r["dim"]): r for r in _rows(out / "saddles_critical.csv")}
    assert int(crit[1]["saddles"]) == 0
    # gradient descent escapes as the linearised theory says (within 10%)
    for r in _rows(out / "escape.csv"):
        if r["optimizer"] == "gd":
            assert abs(float(r["median"]) / float(r["gd_theory_median"]) - 1) < 0.1
    # projected/retracted steps stay on the sphere; energies are above the ground state
    for r in _rows(out / "pspin.csv"):
        assert float(r["max_norm_error"]) < 1e-12
        assert float(r["e_min"]) > -1.66


def test_bad_input_exits_with_one_line(script, capsys):
    with pytest.raises(SystemExit) as exc:
        script.main(["--features", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) >= 1 and "--features" in err[-1]
