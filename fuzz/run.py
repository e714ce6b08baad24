#!/usr/bin/env python3
"""Run the atheris fuzz targets for a bounded time each, on a generated seed corpus.

Usage: ``python fuzz/run.py [SECONDS_PER_TARGET] [--workdir DIR]`` (default 20 s; the
package must be importable, e.g. ``PYTHONPATH=.``). The seed corpus (a few valid
checkpoints and CSV files) is written to ``DIR/corpus-<target>``; crashing inputs go to
``DIR/crash-*``. Exit status 0 when no target found anything. The executions each
target ran are printed as ``<target>: N runs in S s``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def seed_checkpoints(folder: Path) -> None:
    from minitorch_bp import io, nn, optim

    folder.mkdir(parents=True, exist_ok=True)
    small = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1))
    io.save(small, folder / "plain.npz")
    io.save(
        small, folder / "sgd.npz", optimizer=optim.SGD(small.parameters(), lr=0.1, momentum=0.9)
    )
    io.save(
        small,
        folder / "adam.npz",
        optimizer=optim.Adam(small.parameters()),
        extra={"epoch": 3, "w": np.arange(3)},
    )
    other = nn.Sequential(
        nn.Linear(3, 2, bias=False, dtype=np.float32, rng=2), nn.Dropout(0.2), nn.Softmax()
    )
    io.save(other, folder / "f32.npz")


def seed_csvs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ok.csv").write_text("a,b,label\n1,2,0\n3,4.5,1\n")
    (folder / "quoted.csv").write_text('"a","label"\n"1e-3","1"\n-2,0\n')
    (folder / "bom.csv").write_bytes("\ufefflabel,x\r\n0,1\r\n1,2\r\n".encode())
    (folder / "bad.csv").write_text("a,label\n1,x\n")


TARGETS = {"load": ("fuzz_load.py", seed_checkpoints), "csv": ("fuzz_csv.py", seed_csvs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--only", choices=sorted(TARGETS), default=None)
    parser.add_argument(
        "--runs", type=int, default=0, help="stop each target after this many inputs (0: no cap)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="libFuzzer's seed; fixed in CI so a run is repeatable"
    )
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="minitorch-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name, (script, seed) in TARGETS.items():
        if args.only and name != args.only:
            continue
        corpus = work / f"corpus-{name}"
        seed(corpus)
        cmd = [
            sys.executable,
            str(HERE / script),
            str(corpus),
            f"-max_total_time={args.seconds}",
            f"-runs={args.runs or -1}",
            f"-seed={args.seed}",
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            f"-artifact_prefix={work}/crash-{name}-",
            "-print_final_stats=1",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        log = done.stdout + done.stderr
        (work / f"{name}.log").write_text(log)
        runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
        secs = re.findall(r"Done (\d+) runs in (\d+) second", log)
        total = runs[-1] if runs else (secs[-1][0] if secs else "?")
        print(
            f"{name}: {total} runs in {args.seconds} s, exit {done.returncode}; log {work / (name + '.log')}"
        )
        if done.returncode != 0:
            failed += 1
            print(log[-3000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
