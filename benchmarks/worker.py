"""One measuring process: ``python -m benchmarks.worker '<json spec>'`` prints JSON.

The driver starts it with the thread environment variables already set, so numpy's
BLAS and torch's pool start with that many threads; threadpoolctl (when installed)
pins it again and reports the BLAS kernel in use.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy as np

from benchmarks import contenders as C
from benchmarks import extras, timing
from benchmarks.workloads import by_name


def blas_info(threads: int | None) -> tuple[Any, list[dict[str, Any]]]:
    """Limit BLAS to ``threads`` if threadpoolctl is installed; return the limiter and info."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return None, []
    limiter = threadpool_limits(limits=threads) if threads else None
    keep = ("internal_api", "version", "num_threads", "architecture", "threading_layer")
    info = [{k: d.get(k) for k in keep} for d in threadpool_info()]
    return limiter, info


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
    _limiter, info = blas_info(threads)
    timed: dict[str, timing.Timed] = {}
    for name in names:
        if name in C.NUMPY_CONTENDERS:
            timed[name] = timing.Timed(C.NUMPY_CONTENDERS[name](w, dtype))
        elif name == "torch":
            from benchmarks.peers import make_torch

            timed[name] = timing.Timed(make_torch(w, dtype))
        elif name == "sklearn":
            from benchmarks.peers import make_sklearn

            fn, k = make_sklearn(w, dtype)
            timed[name] = timing.Timed(fn, steps_per_call=k)
        else:
            raise ValueError(f"unknown contender {name!r}")
    for t in timed.values():
        timing.calibrate(t, spec["min_sample_s"], spec["warmup_s"])
    n = timing.affordable(timed, spec["samples"], spec.get("budget_s", float("inf")))
    samples = timing.interleave(timed, n)
    result: dict[str, Any] = {
        "samples": samples,
        "blas": info,
        "torch": torch_version,
        "pid": os.getpid(),
    }
    if spec.get("memory"):
        result["memory"] = extras.step_memory(w, dtype)
    if spec.get("loop_examples"):
        result["loop_vs_vectorised"] = extras.loop_vs_vectorised(
            w, spec["loop_examples"], spec["min_sample_s"] * 4
        )
    return result


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
