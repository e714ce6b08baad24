"""Two gloo workers on 127.0.0.1: one process's weights to 1e-12, and no hang when a worker dies.

Each scenario is one launch of ``worker.py`` per rank (about 3 s of start-up each, mostly
importing torch), bounded by a wall-clock limit; skipped without torch.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp.train import History

from parallel_cases import CASES, assert_same_run, resume, run, weights

pytest.importorskip("torch")

WORKER = Path(__file__).resolve().parent / "worker.py"
ROOT = WORKER.parents[2]  # the workers import this checkout's minitorch_bp
LIMIT_S = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(scenario: str, out: Path, *, timeout: float = 60.0) -> list[subprocess.Popen[str]]:
    env = dict(
        os.environ,
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(_free_port()),
        WORLD_SIZE="2",
        TIMEOUT=str(timeout),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    return [
        subprocess.Popen(
            [sys.executable, str(WORKER), scenario, str(out)],
            env={**env, "RANK": str(r)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for r in range(2)
    ]


def finish(proc: subprocess.Popen[str], limit: float) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"worker still running after {limit:.0f} s:\n{out}")
    return proc.returncode, out


@pytest.fixture(scope="module")
def exact_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("exact")
    results = [finish(p, LIMIT_S) for p in launch("exact", out)]
    for code, text in results:
        assert code == 0, text
    return {
        "dir": out,
        "weights": [dict(np.load(out / f"rank{r}.npz")) for r in range(2)],
        "reports": [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)],
    }


@pytest.mark.parametrize("mode", ["engine", "plain"])
@pytest.mark.parametrize(("opt", "batch"), CASES)
def test_two_gloo_workers_reach_one_process_weights(exact_run, opt, batch, mode) -> None:
    """20 full-batch or 20 mini-batch steps, λ = 1, float64: 1e-12 relative to one process."""
    model, history, _, _ = run(opt, batch, engine=mode == "engine")
    want = weights(model)
    name = f"{opt}/{batch}/{mode}"
    for r in range(2):
        got = {
            k.split("/")[-1]: v
            for k, v in exact_run["weights"][r].items()
            if k.startswith(name + "/")
        }
        assert_same_run(got, want)
        logged = History.from_dict(exact_run["reports"][r]["histories"][name])
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(logged[key], history[key], rtol=1e-12, err_msg=key)
    w0, w1 = exact_run["weights"]
    assert all(np.array_equal(w0[k], w1[k]) for k in w0)  # both ranks hold the same bits


def test_rank_0_alone_writes_checkpoints_and_both_ranks_resume(exact_run) -> None:
    names = sorted(p.name for p in exact_run["dir"].glob("*-ep*.npz"))
    assert names == ["rank0-ep1.npz", "rank0-ep2.npz"]
    model, _ = resume(str(exact_run["dir"] / "rank0-ep2.npz"), "momentum", "mini")
    uninterrupted = weights(run("momentum", "mini")[0])
    assert_same_run(weights(model), uninterrupted)
    for r in range(2):
        assert exact_run["reports"][r]["resumed_epochs"] == [3, 4]
        got = {
            k.split("/")[-1]: v
            for k, v in exact_run["weights"][r].items()
            if k.startswith("resumed/")
        }
        assert_same_run(got, uninterrupted)


def test_workers_that_start_differently_both_refuse(exact_run) -> None:
    for r in range(2):
        msg = exact_run["reports"][r]["different_start"]
        assert "the model's parameters differ(s) from rank 0's on rank(s) [1]" in msg


@pytest.mark.parametrize("how", ["kill", "hang"])
def test_a_failed_worker_makes_the_other_exit_with_a_clear_error(tmp_path: Path, how: str) -> None:
    """SIGKILL: noticed at once; a worker that stops answering: after the 2 s timeout."""
    procs = launch(how, tmp_path, timeout=2.0)
    start = time.monotonic()
    code, text = finish(procs[0], 60)
    elapsed = time.monotonic() - start
    procs[1].kill()
    procs[1].communicate()
    assert code == 3, text
    line = next(s for s in text.splitlines() if s.startswith("rank 0: DistributedError:"))
    assert (
        "over 2 ranks failed on rank 0: another rank exited, or did not reach the same call" in line
    )
    assert "within timeout=2 s" in line
    if how == "hang":
        assert "Timed out" in line
    assert elapsed < 40
