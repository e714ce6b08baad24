"""``torchrun --standalone --nproc-per-node 2 examples/data_parallel_digits.py``: what it prints.

Launched as the docs say (torchrun from the same environment, loopback only), with few
epochs; skipped without torch.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "data_parallel_digits.py"


def _env() -> dict[str, str]:
    return dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )


def _documented_output() -> str:
    """The text block under the torchrun command in docs/scaling.md."""
    page = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    after = page.split(f"$ {' '.join(['torchrun', *ARGS])}\n```\n", 1)[1]
    return after.split("```text\n", 1)[1].split("```", 1)[0]


def _without_differences(text: str) -> str:
    return re.sub(r"(batch|instead): \S+( \(\S+ of)?", r"\1: <d>\2", text)


ARGS = [
    "--standalone",
    "--nproc-per-node",
    "2",
    "examples/data_parallel_digits.py",
    "--epochs",
    "20",
]


def test_two_processes_print_what_the_docs_show() -> None:
    """The page's output, line for line; the two differences below 1e-12 of the weights."""
    pytest.importorskip("torch")
    torchrun = Path(sys.executable).with_name("torchrun")
    command = (
        [str(torchrun)] if torchrun.exists() else [sys.executable, "-m", "torch.distributed.run"]
    )
    out = subprocess.run(
        command + ARGS, capture_output=True, text=True, timeout=180, env=_env(), cwd=ROOT
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert _without_differences(out.stdout) == _without_differences(_documented_output())
    match = re.search(r"same global batch: (\S+) \((\S+) of the largest weight\)", out.stdout)
    assert match is not None and float(match[2]) < 1e-12  # 20 steps: the order of the sums only
    scale = re.search(r"engine=False instead: (\S+)", out.stdout)
    assert scale is not None and float(scale[1]) < 1e-12


def test_without_torchrun_one_line_says_how_to_start_it() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in _env().items() if k not in ("RANK", "WORLD_SIZE")},
    )
    assert out.returncode == 1
    assert out.stderr.startswith("data_parallel_digits: distributed.init: the environment lacks")
    assert "torchrun --standalone --nproc-per-node 2" in out.stderr
    assert "Traceback" not in out.stderr
