"""``python -m benchmarks``: time a training step against its floor and its peers.

Examples::

    python -m benchmarks                      # everything, 1 and 2 threads, both dtypes
    python -m benchmarks --quick -w course    # a quick look at the course network
    python -m benchmarks --threads 1 --dtype float32 --no-peers
    python -m benchmarks --render benchmarks/results/run-X.json   # redo docs only
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import report, timing
from benchmarks.workloads import select

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a few short samples (seconds, noisy)")
    p.add_argument("-w", "--workload", nargs="*", help="names or parts of names (default: all)")
    p.add_argument("--dtype", choices=["float64", "float32", "both"], default="both")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS/torch threads")
    p.add_argument("--samples", type=int, help="samples per contender (default 25, quick 5)")
    p.add_argument("--budget", type=float, help="seconds of sampling per process (default 20)")
    p.add_argument("--no-peers", action="store_true", help="skip PyTorch and scikit-learn")
    p.add_argument("--no-extras", action="store_true", help="skip the memory and loop checks")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--docs", type=Path, help="render the results into this page (and a PNG)")
    p.add_argument("--render", type=Path, help="only render --docs from this result file")
    return p.parse_args(argv)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions(peers: list[str]) -> dict[str, str]:
    import numpy as np

    out = {"python": platform.python_version(), "numpy": np.__version__}
    for mod, key in (("torch", "torch"), ("sklearn", "sklearn")):
        if key in peers:
            out[key] = __import__(mod).__version__
    return out


def worker(spec: dict[str, Any], threads: int) -> dict[str, Any]:
    """Run one measuring process with ``threads`` BLAS/OpenMP threads."""
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    spec = {**spec, "threads": threads}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", json.dumps(spec)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark worker failed for {spec}:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(args: argparse.Namespace, peers: list[str]) -> dict[str, Any]:
    samples = args.samples or (5 if args.quick else 25)
    base = {
        "samples": samples,
        "min_sample_s": 0.002 if args.quick else 0.02,
        "warmup_s": 0.01 if args.quick else 0.2,
        "budget_s": args.budget or (2.0 if args.quick else 20.0),
    }
    dtypes = ["float64", "float32"] if args.dtype == "both" else [args.dtype]
    rows: list[dict[str, Any]] = []
    blas: list[dict[str, Any]] = []
    for w in select(args.workload):
        for dtype in dtypes:
            for threads in args.threads:
                numpy_side = ["floor", "minitorch_bp", "numpy"]
                numpy_side += [p for p in peers if p == "sklearn"]
                extras = not args.no_extras and threads == args.threads[0]
                spec = {**base, "workload": w.name, "dtype": dtype, "memory": extras}
                if extras and w.name == "course-full" and dtype == "float64":
                    spec["loop_examples"] = 10 if args.quick else 50
                merged: dict[str, list[float]] = {}
                row: dict[str, Any] = {"workload": w.name, "dtype": dtype, "threads": threads}
                if "torch" in peers and threads > 1:
                    # torch's OpenMP pool and OpenBLAS's threads fight inside one process:
                    # alternate separate processes, each with its own floor.
                    row["mode"] = "torch in separate processes, alternating"
                    rounds = 2 if args.quick else 3
                    per = max(3, samples // rounds)
                    spec["budget_s"] = base["budget_s"] / rounds
                    results = []
                    for _ in range(rounds):
                        results.append(
                            worker({**spec, "contenders": numpy_side, "samples": per}, threads)
                        )
                        spec = {**spec, "memory": False, "loop_examples": 0}
                        results.append(
                            worker(
                                {**spec, "contenders": ["floor", "torch"], "samples": per}, threads
                            )
                        )
                else:
                    row["mode"] = "in-process, interleaved"
                    names = numpy_side + (["torch"] if "torch" in peers else [])
                    results = [worker({**spec, "contenders": names}, threads)]
                for res in results:
                    for name, s in res["samples"].items():
                        merged.setdefault(name, []).extend(s)
                    for key in ("memory", "loop_vs_vectorised"):
                        if key in res:
                            row[key] = res[key]
                    if res["blas"] and not blas:
                        blas = res["blas"]
                row["contenders"] = {n: timing.summarize(s) for n, s in merged.items()}
                row["ratios"] = report.ratios(row["contenders"])
                rows.append(row)
                print(report.text_row(row), flush=True)
    return {"rows": rows, "blas": blas, "config": {**base, "quick": args.quick}}


def main(argv: list[str] | None = None) -> Path:
    args = parse(argv)
    if args.render:
        data = json.loads(args.render.read_text())
        report.render(data, args.docs or ROOT / "docs" / "performance.md")
        return args.render
    peers = []
    if not args.no_peers:
        peers = [p for p in ("torch", "sklearn") if importlib.util.find_spec(p) is not None]
        if not peers:
            print(
                "PyTorch and scikit-learn are not installed (pip install '.[bench]'): skipping them"
            )
    print(report.text_header(), flush=True)
    started = time.time()
    data = measure(args, peers)
    data["machine"] = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "blas": data.pop("blas"),
    }
    data["versions"] = versions(peers)
    data["started"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
    data["duration_s"] = time.time() - started
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path} ({data['duration_s']:.0f} s)")
    if args.docs:
        report.render(data, args.docs)
        print(f"rendered {args.docs}")
    return path


if __name__ == "__main__":
    main()
