"""Memory of a training step (tracemalloc) and the per-example loop against the layers."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import conv
from benchmarks.contenders import Step, make_compile_step, make_five_line
from benchmarks.workloads import Workload

#: The contenders whose memory is measured: the pure layers allocate every result afresh,
#: the engine plans its buffers once (a warm step should allocate next to nothing).
MEMORY_CONTENDERS: dict[str, Callable[[Workload, Any], Step]] = {
    "five_line": make_five_line,
    "compile_step": make_compile_step,
}


def warm_step_memory(step: Step, output_bytes: int, steps: int = 5) -> dict[str, float]:
    """Peak and retained allocations of the warm ``step``, in bytes.

    ``peak_bytes`` is the most allocated at once during one step above what was live
    before it; ``output_bytes`` is the size of the model's output, the yardstick (the
    pure layers return a new one each step, by design). ``retained_bytes`` is what a
    step leaves allocated. numpy reports its array buffers to tracemalloc, so both count
    the arrays a step makes, not only Python objects.
    """
    for _ in range(3):  # warm: plans built, optimizer scratch allocated, caches filled
        step()
    tracemalloc.start()
    try:
        # Two steps under tracing first: the arrays a step keeps (the layers' caches)
        # must have been allocated while traced, or freeing them at the next step goes
        # uncounted and a step seems to retain what it only replaced.
        step()
        step()
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
    return {
        "peak_bytes": float(max(peaks)),
        "output_bytes": float(output_bytes),
        "retained_bytes": float(max(retained)),
        "peak_over_output": max(peaks) / output_bytes,
    }


def step_memory(
    w: Workload | conv.ConvWorkload, dtype: Any, steps: int = 5
) -> dict[str, dict[str, float]]:
    """:func:`warm_step_memory` of each of :data:`MEMORY_CONTENDERS`, by name."""
    if isinstance(w, conv.ConvWorkload):
        X, _ = w.data(dtype)
        out = w.model(dtype).output_shape(X.shape)
        assert out is not None
        out_bytes = int(np.prod(out)) * np.dtype(dtype).itemsize
        makes = {"five_line": conv.make_five_line, "compile_step": conv.make_compile_step}
        return {
            name: warm_step_memory(make(w, dtype), out_bytes, steps) for name, make in makes.items()
        }
    out_bytes = w.batch * w.sizes[-1] * np.dtype(dtype).itemsize
    return {
        name: warm_step_memory(make(w, dtype), out_bytes, steps)
        for name, make in MEMORY_CONTENDERS.items()
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
    """Seconds per example: ``reference.backprop_loop`` against the vectorised step.

    The vectorised side is the README's five lines (the pure layers); the engine's
    ``compile_step`` is timed too, for the same batch.
    """
    from minitorch_bp import reference

    X, Y = w.data(np.float64)
    thetas = [np.column_stack([b, W]) for W, b in w.thetas(np.float64)]
    Xs, Ys = X[:loop_examples], Y[:loop_examples]
    loop_s = _time(lambda: reference.backprop_loop(thetas, Xs, Ys, w.l2), min_s) / loop_examples
    vec_s = _time(make_five_line(w, np.float64), min_s) / w.batch
    compiled_s = _time(make_compile_step(w, np.float64), min_s) / w.batch
    return {
        "loop_examples": float(loop_examples),
        "vectorised_examples": float(w.batch),
        "loop_s_per_example": loop_s,
        "vectorised_s_per_example": vec_s,
        "compiled_s_per_example": compiled_s,
        "speedup": loop_s / vec_s,
    }
