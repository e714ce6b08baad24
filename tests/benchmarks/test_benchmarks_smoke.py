"""The benchmark suite runs on a tiny budget and writes a result file (no timing asserted).

The harness lives in ``benchmarks/`` at the repository root, two folders above this file;
the root is put on ``sys.path`` so the test imports it however pytest was started.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import main, worker_env  # noqa: E402
from benchmarks.contenders import make_compile_step  # noqa: E402
from benchmarks.workloads import by_name  # noqa: E402

OURS = ("five_line", "compile_step")


def test_the_harness_is_found_at_the_repository_root() -> None:
    import benchmarks

    assert Path(benchmarks.__file__).resolve().parent == ROOT / "benchmarks"


def test_quick_run_writes_results_with_positive_ratios(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    path = main(
        [
            "--quick",
            "-w",
            "tiny",
            "--dtype",
            "float64",
            "--threads",
            "1",
            "--no-peers",
            "--samples",
            "3",
            "--out",
            str(tmp_path),
            "--docs",
            str(page),
        ]
    )
    data = json.loads(path.read_text())
    assert {"rows", "machine", "versions", "config"} <= data.keys()
    (row,) = data["rows"]
    assert (row["workload"], row["dtype"], row["threads"]) == ("tiny", "float64", 1)
    assert set(row["contenders"]) == {"floor", *OURS, "numpy"}
    for stats in row["contenders"].values():
        assert stats["n"] == 3
        assert 0 < stats["p25_s"] <= stats["median_s"] <= stats["p75_s"]
    assert set(row["ratios"]) == {f"{c}/{p}" for c in OURS for p in ("floor", "numpy")}
    assert all(r > 0 and math.isfinite(r) for r in row["ratios"].values())
    assert set(row["memory"]) == set(OURS)
    for mem in row["memory"].values():
        assert mem["output_bytes"] == 3 * 1 * 8
        assert mem["peak_bytes"] >= 0
    assert row["env"]["OPENBLAS_CORETYPE"] is None and row["env"]["OPENBLAS_L2_SIZE"] is None
    text = page.read_text()
    assert "| tiny | float64 | 1 |" in text
    assert "five_line/floor" in text and "compile_step/numpy" in text
    assert "Targets (1 BLAS thread" in text and "| tiny | float64 | compile_step |" in text


def test_workers_drop_the_kernel_pinning_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "262144")
    env = worker_env(1)
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert env["OPENBLAS_NUM_THREADS"] == env["NPROC"] == "1"
    assert "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"]


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.parametrize("workload", ["tiny", "course-64"])  # MSE without λ; BCE, λ = 1, biases
def test_jax_peer_computes_the_same_J_as_compile_step(workload: str) -> None:
    """A correctness check of the peer: the same loss, gradient and update, step by step."""
    from benchmarks.peers import make_jax

    w = by_name(workload)
    jax_step, ours = make_jax(w, np.float64), make_compile_step(w, np.float64)
    for _ in range(3):  # step 1: the same J; steps 2 and 3: the same updates before them
        J_jax, J_ours = jax_step(), ours()
        assert isinstance(J_ours, float)
        assert float(np.asarray(J_jax)) == pytest.approx(J_ours, rel=0, abs=1e-12)
