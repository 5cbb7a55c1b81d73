"""scripts/bench_explore.py --quick: the explorer's latency benchmark runs and compiles nothing on a change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_explore.py"


def test_the_explorer_benchmark_runs_quickly(tmp_path):
    out = tmp_path / "explore.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "server: Session.run" in proc.stdout and "browser: skipped (--quick)" in proc.stdout
    m = json.loads(out.read_text())
    assert [(r["n"], r["steps"], r["optimizers"]) for r in m["server"]] == [
        (200, 100, 1),
        (200, 100, 3),
    ]
    assert m["browser"] == [] and m["browser_skipped"] == "--quick"
    for row in m["server"]:
        assert row["compiles"] == 0  # a new learning rate is data of the compiled kernel
        assert 0 < row["simulate_ms"] <= row["total_ms"] and row["prepare_ms"] > 0
