"""``python -m benchmarks``: time a training step against its floor and its peers.

Examples::

    python -m benchmarks                      # everything, 1 and 2 threads, both dtypes
    python -m benchmarks --quick -w course    # a quick look at the course network
    python -m benchmarks --threads 1 --dtype float32 --no-peers
    python -m benchmarks --render benchmarks/results/run-X.json   # redo docs only
"""

from __future__ import annotations

import argparse
import importlib.metadata
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
from benchmarks.conv import CONV_CONTENDERS, ConvWorkload
from benchmarks.workloads import by_name, select

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Variables through which a machine may pin an old OpenBLAS kernel (or cache size):
#: removed from every worker, so the kernel OpenBLAS detects for this CPU is measured.
PINNING_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
#: The peers, in the order they are reported; each needs these modules installed.
PEER_MODULES: dict[str, tuple[str, ...]] = {
    "torch": ("torch",),
    "sklearn": ("sklearn",),
    "jax": ("jax", "jaxlib"),
}
#: Peers that start their own thread pool (torch's OpenMP, XLA's Eigen): above 1 thread
#: each runs in its own processes (see :func:`plan_processes`).
POOL_PEERS = ("torch", "jax")
DISTRIBUTIONS = {"torch": "torch", "sklearn": "scikit-learn", "jax": "jax", "jaxlib": "jaxlib"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a few short samples (seconds, noisy)")
    p.add_argument("-w", "--workload", nargs="*", help="names or parts of names (default: all)")
    p.add_argument("--dtype", choices=["float64", "float32", "both"], default="both")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS/torch/XLA threads")
    p.add_argument("--samples", type=int, help="samples per contender (default 25, quick 5)")
    p.add_argument("--budget", type=float, help="seconds of sampling per process (default 20)")
    p.add_argument("--no-peers", action="store_true", help="skip PyTorch, scikit-learn and JAX")
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


def installed_peers() -> list[str]:
    """The peers whose modules can be imported (found without importing them)."""
    return [
        peer
        for peer, modules in PEER_MODULES.items()
        if all(importlib.util.find_spec(mod) is not None for mod in modules)
    ]


def versions(peers: list[str]) -> dict[str, str]:
    """Python, numpy and each peer's distribution version (read without importing it)."""
    import numpy as np

    out = {"python": platform.python_version(), "numpy": np.__version__}
    for peer in peers:
        for mod in PEER_MODULES[peer]:
            try:
                out[mod] = importlib.metadata.version(DISTRIBUTIONS[mod])
            except importlib.metadata.PackageNotFoundError:
                out[mod] = "?"
    return out


def worker_env(threads: int) -> dict[str, str]:
    """The environment of a worker process with ``threads`` threads everywhere.

    - ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``: numpy's BLAS and
      torch's / scikit-learn's OpenMP pools (threadpoolctl pins them again in the worker).
    - ``NPROC``: the size of XLA's CPU thread pool. jaxlib's ``tsl::port::MaxParallelism``
      reads it; measured with jaxlib 0.10.2 on this machine, a 2048² f64 matmul loop runs
      at CPU time / wall time 1.00 with ``NPROC=1`` and 1.9 without it.
    - ``XLA_FLAGS`` at 1 thread: ``--xla_cpu_multi_thread_eigen=false
      intra_op_parallelism_threads=1``, the flags the JAX issues give for one thread
      (older jaxlibs honour them; jaxlib 0.10.2 accepts them but still uses 2 threads
      without ``NPROC``). Flags already in the environment are kept after them.
    - ``JAX_PLATFORMS=cpu``: JAX on the CPU, without probing for accelerators.
    - ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` removed (:data:`PINNING_VARS`).
    """
    env = dict(os.environ)
    for var in (*THREAD_VARS, "NPROC"):
        env[var] = str(threads)
    for var in PINNING_VARS:
        env.pop(var, None)
    if threads == 1:
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        env["XLA_FLAGS"] = " ".join(filter(None, [flags, os.environ.get("XLA_FLAGS")]))
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def worker(spec: dict[str, Any], threads: int) -> dict[str, Any]:
    """Run one measuring process with ``threads`` BLAS/OpenMP/XLA threads."""
    spec = {**spec, "threads": threads}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", json.dumps(spec)],
        env=worker_env(threads),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark worker failed for {spec}:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def plan_processes(
    peers: list[str], threads: int, convolutional: bool = False
) -> tuple[list[list[str]], str]:
    """The contender lists of the processes one round runs, and how to describe it.

    At 1 thread every contender shares one process and they take turns. Above 1 thread
    torch's OpenMP pool, XLA's pool and OpenBLAS's threads would fight inside one
    process, so torch and JAX each get separate processes, each with its own floor,
    alternating with the numpy side (ratios to them use the floor of their process).
    A convolutional workload has no hand-written numpy step and PyTorch as its one peer.
    """
    numpy_side = ["floor", "five_line", "compile_step", "numpy"]
    if convolutional:
        numpy_side = ["floor", "five_line", "compile_step"]
        peers = [p for p in peers if p in CONV_CONTENDERS]
    numpy_side += [p for p in peers if p not in POOL_PEERS]
    pooled = [p for p in peers if p in POOL_PEERS]
    if threads == 1 or not pooled:
        return [numpy_side + pooled], "in-process, interleaved"
    mode = " and ".join(pooled) + " each in separate processes with their own floor, alternating"
    return [numpy_side] + [["floor", p] for p in pooled], mode


def measure_row(
    spec: dict[str, Any], peers: list[str], threads: int, quick: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Time one (workload, dtype, threads); return the row and the BLAS info seen."""
    convolutional = isinstance(by_name(spec["workload"]), ConvWorkload)
    groups, mode = plan_processes(peers, threads, convolutional)
    row: dict[str, Any] = {
        "workload": spec["workload"],
        "dtype": spec["dtype"],
        "threads": threads,
        "mode": mode,
    }
    rounds = 1 if len(groups) == 1 else (2 if quick else 3)
    per = spec["samples"] if rounds == 1 else max(3, spec["samples"] // rounds)
    spec = {**spec, "samples": per, "budget_s": spec["budget_s"] / rounds}
    results = []
    for _ in range(rounds):
        for names in groups:
            results.append(worker({**spec, "contenders": names}, threads))
            spec = {**spec, "memory": False, "loop_examples": 0}  # the first process only
    merged: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    blas: list[dict[str, Any]] = []
    for res in results:
        for name, s in res["samples"].items():
            merged.setdefault(name, []).extend(s)
        for name, ratio in res.get("cpu_per_wall", {}).items():
            cpu.setdefault(name, []).append(ratio)
        for key in ("memory", "loop_vs_vectorised"):
            if key in res:
                row[key] = res[key]
        row.setdefault("env", res.get("env", {}))
        blas = blas or res["blas"]
    row["contenders"] = {n: timing.summarize(s) for n, s in merged.items()}
    row["cpu_per_wall"] = {n: max(r) for n, r in cpu.items()}  # the busiest process
    row["ratios"] = report.ratios(row["contenders"])
    return row, blas


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
                extras = not args.no_extras and threads == args.threads[0]
                spec = {**base, "workload": w.name, "dtype": dtype, "memory": extras}
                if extras and w.name == "course-full" and dtype == "float64":
                    spec["loop_examples"] = 10 if args.quick else 50
                row, seen = measure_row(spec, peers, threads, args.quick)
                if seen and not blas:
                    blas = seen
                    print(report.blas_line(blas), flush=True)
                rows.append(row)
                print(report.text_row(row), flush=True)
    return {"rows": rows, "blas": blas, "config": {**base, "quick": args.quick}}


def main(argv: list[str] | None = None) -> Path:
    args = parse(argv)
    if args.render:
        data = json.loads(args.render.read_text())
        report.render(data, args.docs or ROOT / "docs" / "performance.md")
        return args.render
    peers: list[str] = []
    if not args.no_peers:
        peers = installed_peers()
        missing = [p for p in PEER_MODULES if p not in peers]
        if missing:
            print(f"not installed (pip install '.[bench]'): skipping {', '.join(missing)}")
    print(report.text_header(), flush=True)
    started = time.time()
    data = measure(args, peers)
    data["machine"] = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "blas": data.pop("blas"),
    }
    data["versions"] = versions(peers)
    data["started"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
    data["duration_s"] = time.time() - started
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    for line in report.text_summary(data["rows"]):
        print(line)
    print(f"wrote {path} ({data['duration_s']:.0f} s)")
    if args.docs:
        report.render(data, args.docs)
        print(f"rendered {args.docs}")
    return path


if __name__ == "__main__":
    main()
