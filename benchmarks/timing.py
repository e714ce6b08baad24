"""Interleaved timing: contenders take turns (A, B, C, A, B, C, ...) after a warm-up."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timed:
    """A function to time and how many training steps one call performs."""

    fn: Callable[[], object]
    steps_per_call: int = 1
    reps: int = 1
    per_call_s: float = 0.0


def calibrate(t: Timed, min_sample_s: float, warmup_s: float) -> None:
    """Warm ``t`` up for ``warmup_s`` and pick ``reps`` so one sample lasts ``min_sample_s``.

    The first call is made before the clock starts: it is where ``jax.jit`` compiles,
    ``compile_step`` plans its buffers and the optimizers allocate their scratch (up to
    hundreds of milliseconds). Counted in ``per_call_s`` it would make ``reps`` 1 for the
    jitted peer, and a sample of one call after another contender's turn times the
    wake-up of its idle thread pool, not its step.
    """
    t.fn()
    start = time.perf_counter()
    calls = 0
    while True:
        t.fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= warmup_s and calls >= 2:
            break
    t.per_call_s = elapsed / calls
    t.reps = max(1, int(min_sample_s / t.per_call_s))


def interleave(
    contenders: dict[str, Timed], samples: int, cpu: dict[str, float] | None = None
) -> dict[str, list[float]]:
    """Return per-step times (seconds), ``samples`` per contender, taken in turns.

    The order rotates every round so no contender always runs right after another.
    With ``cpu`` given, it receives each contender's process CPU time over wall time
    while it was sampled: about 1.0 when one thread works, about N when N threads do,
    the check that a thread limit really held (XLA's pool ignores the BLAS variables).
    """
    names = list(contenders)
    out: dict[str, list[float]] = {n: [] for n in names}
    busy = dict.fromkeys(names, 0.0)
    wall = dict.fromkeys(names, 0.0)
    clock, cpu_clock = time.perf_counter, time.process_time
    for r in range(samples):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t = contenders[name]
            fn, reps = t.fn, t.reps
            c0 = cpu_clock()
            t0 = clock()
            for _ in range(reps):
                fn()
            t1 = clock()
            busy[name] += cpu_clock() - c0
            wall[name] += t1 - t0
            out[name].append((t1 - t0) / (reps * t.steps_per_call))
    if cpu is not None:
        cpu.update({n: busy[n] / wall[n] for n in names if wall[n] > 0})
    return out


def affordable(contenders: dict[str, Timed], samples: int, budget_s: float) -> int:
    """Cap ``samples`` so the rounds fit ``budget_s`` (at least 5 samples each, if asked for)."""
    round_s = sum(t.reps * t.per_call_s for t in contenders.values())
    return min(samples, max(5, int(budget_s / round_s))) if round_s > 0 else samples


def summarize(samples: list[float]) -> dict[str, float]:
    """Median, quartiles and the spread (interquartile range over the median)."""
    q = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
    med = statistics.median(samples)
    return {
        "median_s": med,
        "p25_s": q[0],
        "p75_s": q[2],
        "spread": (q[2] - q[0]) / med if med > 0 else 0.0,
        "n": float(len(samples)),
    }
