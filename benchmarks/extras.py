"""Memory of a training step (tracemalloc) and the per-example loop against the layers."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.contenders import make_minitorch
from benchmarks.workloads import Workload


def step_memory(w: Workload, dtype: Any, steps: int = 5) -> dict[str, float]:
    """Peak and retained allocations of a warm minitorch_bp step, in bytes.

    ``peak_bytes`` is the most allocated at once during one step above what was live
    before it; ``output_bytes`` is the size of the output forward returns (a new array
    each step, by design). ``retained_bytes`` is what a step leaves allocated.
    """
    step = make_minitorch(w, dtype)
    for _ in range(3):
        step()
    tracemalloc.start()
    try:
        peaks, retained = [], []
        for _ in range(steps):
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            step()
            after, peak = tracemalloc.get_traced_memory()
            peaks.append(peak - before)
            retained.append(after - before)
    finally:
        tracemalloc.stop()
    out_bytes = w.batch * w.sizes[-1] * np.dtype(dtype).itemsize
    return {
        "peak_bytes": float(max(peaks)),
        "output_bytes": float(out_bytes),
        "retained_bytes": float(max(retained)),
        "peak_over_output": max(peaks) / out_bytes,
    }


def _time(fn: Callable[[], object], min_s: float) -> float:
    fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_s:
            return elapsed / calls


def loop_vs_vectorised(w: Workload, loop_examples: int, min_s: float) -> dict[str, float]:
    """Seconds per example: ``reference.backprop_loop`` against the vectorised layers."""
    from minitorch_bp import reference

    X, Y = w.data(np.float64)
    thetas = [np.column_stack([b, W]) for W, b in w.thetas(np.float64)]
    Xs, Ys = X[:loop_examples], Y[:loop_examples]
    loop_s = _time(lambda: reference.backprop_loop(thetas, Xs, Ys, w.l2), min_s) / loop_examples
    vec_s = _time(make_minitorch(w, np.float64), min_s) / w.batch
    return {
        "loop_examples": float(loop_examples),
        "vectorised_examples": float(w.batch),
        "loop_s_per_example": loop_s,
        "vectorised_s_per_example": vec_s,
        "speedup": loop_s / vec_s,
    }
