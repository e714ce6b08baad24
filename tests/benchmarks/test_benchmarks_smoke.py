"""The benchmark suite runs on a tiny budget and writes a result file (no timing asserted)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from benchmarks.__main__ import main


def test_quick_run_writes_results_with_positive_ratios(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    path = main(
        ["--quick", "-w", "tiny", "--dtype", "float64", "--threads", "1", "--no-peers",
         "--samples", "3", "--out", str(tmp_path), "--docs", str(page)]
    )  # fmt: skip
    data = json.loads(path.read_text())
    assert {"rows", "machine", "versions", "config"} <= data.keys()
    (row,) = data["rows"]
    assert (row["workload"], row["dtype"], row["threads"]) == ("tiny", "float64", 1)
    assert set(row["contenders"]) == {"floor", "minitorch_bp", "numpy"}
    for stats in row["contenders"].values():
        assert stats["n"] == 3
        assert 0 < stats["p25_s"] <= stats["median_s"] <= stats["p75_s"]
    assert set(row["ratios"]) == {"minitorch_bp/floor", "minitorch_bp/numpy"}
    assert all(r > 0 and math.isfinite(r) for r in row["ratios"].values())
    mem = row["memory"]
    assert mem["output_bytes"] == 3 * 1 * 8
    assert mem["peak_bytes"] >= 0
    assert "| tiny | float64 | 1 |" in page.read_text()
