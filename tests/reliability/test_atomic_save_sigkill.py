"""SIGKILL a process in the middle of ``io.save``: the previous checkpoint survives whole.

A child process saves a 3-million-parameter model to the same path in a loop, each
version filled with its iteration number. The parent kills it with SIGKILL while a save
is in progress (a temporary file exists), then checks that the file at the path loads
and holds exactly one complete earlier version. SIGKILL skips the clean-up in ``save``,
so the temporary file ``.<name>.<random>.tmp`` can stay behind; the test shows that
loading ignores it and that a later save to the same path still works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import io

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys
from minitorch_bp import io, nn
path = sys.argv[1]
model = nn.Sequential(nn.Linear(1500, 2000, rng=0), nn.Sigmoid())
k = 0
while True:
    for p in model.parameters():
        p.data[...] = k
    print("begin", k, flush=True)
    io.save(model, path, extra={"iteration": k})
    print("saved", k, flush=True)
    k += 1
"""

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")


def _kill_mid_save(path: Path, delay: float) -> tuple[int, bool]:
    """Run the child until save number 1 has begun, wait ``delay`` s, SIGKILL it.

    Returns the last iteration reported saved and whether a temp file existed at the kill.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    ) as child:
        assert child.stdout is not None
        saved = -1
        try:
            for line in child.stdout:
                word, k = line.split()
                if word == "saved":
                    saved = int(k)
                if word == "begin" and int(k) >= 1:
                    break
            time.sleep(delay)
            in_progress = any(p.name.endswith(".tmp") for p in path.parent.iterdir())
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            rest = child.stdout.read()
            child.wait()
    # The kill can cut the last line short ("sav"): only whole "saved k" lines count.
    words = [line.split() for line in rest.split("\n")[:-1]]
    saved = max([saved, *(int(w[1]) for w in words if len(w) == 2 and w[0] == "saved")])
    return saved, in_progress


def test_sigkill_mid_save_keeps_a_whole_previous_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "big.npz"
    killed_mid_write = 0
    for attempt, delay in enumerate([0.0, 0.02, 0.05, 0.1]):
        saved, in_progress = _kill_mid_save(path, delay)
        killed_mid_write += in_progress
        ckpt = io.load_checkpoint(path)
        k = ckpt.extra["iteration"]
        # The file is one complete version: the last reported, or one whose rename won
        # the race with the kill before "saved" was printed.
        assert k in (saved, saved + 1), (attempt, k, saved)
        params = ckpt.model.parameters()
        assert sum(p.size for p in params) == 1500 * 2000 + 2000
        assert all(np.all(p.data == k) for p in params)
    # At least one kill landed while a temp file was being written (the point of the test).
    assert killed_mid_write >= 1
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "big.npz"]
    assert all(n.startswith(".big.npz.") and n.endswith(".tmp") for n in leftovers)
    # Stray temp files break nothing: the path still loads, and a new save replaces it.
    model = io.load(path)
    for p in model.parameters():
        p.data[...] = -1.0
    io.save(model, path)
    assert all(np.all(p.data == -1.0) for p in io.load(path).parameters())
