"""One measuring process: ``python -m benchmarks.worker '<json spec>'`` prints JSON.

The driver starts it with the thread environment variables already set (see
``benchmarks.__main__.worker_env``: the BLAS/OpenMP counts, XLA's, and
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` removed), so numpy's BLAS, torch's pool and
XLA's start with that many threads; threadpoolctl (when installed) pins the BLAS and
OpenMP pools again and reports the BLAS kernel in use. The result records the
environment the process actually saw.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import contenders as C
from benchmarks import extras, timing
from benchmarks.conv import CONV_CONTENDERS, ConvWorkload
from benchmarks.workloads import Workload, by_name

#: The environment variables that decide threads and the BLAS kernel, recorded per worker.
ENV_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NPROC",
    "XLA_FLAGS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)


def owner(lib: dict[str, Any]) -> str:
    """The package that shipped a library: numpy and scipy each bundle an OpenBLAS."""
    folder = Path(str(lib.get("filepath", ""))).parent  # .../numpy.libs, .../torch/lib
    name = folder.parent.name if folder.name == "lib" else folder.name
    return name.removesuffix(".libs")


def blas_info(threads: int | None) -> tuple[Any, list[dict[str, Any]]]:
    """Limit BLAS to ``threads`` if threadpoolctl is installed; return the limiter and info."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return None, []
    limiter = threadpool_limits(limits=threads) if threads else None
    keep = ("user_api", "internal_api", "prefix", "version", "num_threads", "architecture",
            "threading_layer")  # fmt: skip
    info = [{**{k: d.get(k) for k in keep}, "owner": owner(d)} for d in threadpool_info()]
    return limiter, info


def make(name: str, w: Workload | ConvWorkload, dtype: Any) -> timing.Timed:
    """The timed step of contender ``name`` (peers imported only when asked for)."""
    if isinstance(w, ConvWorkload):
        return timing.Timed(CONV_CONTENDERS[name](w, dtype))
    if name in C.NUMPY_CONTENDERS:
        return timing.Timed(C.NUMPY_CONTENDERS[name](w, dtype))
    if name == "torch":
        from benchmarks.peers import make_torch

        return timing.Timed(make_torch(w, dtype))
    if name == "jax":
        from benchmarks.peers import make_jax

        return timing.Timed(make_jax(w, dtype))
    if name == "sklearn":
        from benchmarks.peers import make_sklearn

        fn, k = make_sklearn(w, dtype)
        return timing.Timed(fn, steps_per_call=k)
    raise ValueError(f"unknown contender {name!r}")


def run(spec: dict[str, Any]) -> dict[str, Any]:
    w = by_name(spec["workload"])
    dtype = np.dtype(spec["dtype"])
    threads = spec.get("threads")
    names: list[str] = spec["contenders"]
    torch_version = None
    if "torch" in names:
        import torch

        torch_version = torch.__version__
        if threads:
            torch.set_num_threads(threads)
    timed = {name: make(name, w, dtype) for name in names}
    # After the contenders are built, so every BLAS/OpenMP library they loaded (scipy's
    # OpenBLAS under scikit-learn, torch's libgomp) is limited and listed.
    _limiter, info = blas_info(threads)
    for t in timed.values():
        timing.calibrate(t, spec["min_sample_s"], spec["warmup_s"])
    n = timing.affordable(timed, spec["samples"], spec.get("budget_s", float("inf")))
    cpu: dict[str, float] = {}
    samples = timing.interleave(timed, n, cpu)
    result: dict[str, Any] = {
        "samples": samples,
        "cpu_per_wall": cpu,
        "blas": info,
        "env": {var: os.environ.get(var) for var in ENV_VARS},
        "torch": torch_version,
        "pid": os.getpid(),
    }
    if spec.get("memory"):
        result["memory"] = extras.step_memory(w, dtype)
    if spec.get("loop_examples") and isinstance(w, Workload):
        result["loop_vs_vectorised"] = extras.loop_vs_vectorised(
            w, spec["loop_examples"], spec["min_sample_s"] * 4
        )
    return result


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
