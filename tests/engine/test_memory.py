"""A warm compiled step allocates nothing; the plain layers leave nothing behind."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim, train


def _peak_and_retained(fn: Callable[[], Any], steps: int = 20) -> tuple[int, int]:
    """The most one warm step allocates at once, and what ``steps`` steps leave allocated.

    (numpy's ``errstate`` keeps a few bytes of context between two calls, and Python's
    free lists of small objects (lists, floats) fill up with blocks first allocated while
    tracing, so what stays is measured after many traced warm steps: a leak grows with
    the steps, a free list stops growing once full.)
    """
    for _ in range(3):
        fn()
    tracemalloc.start()
    try:
        for _ in range(100):  # arrays made before tracing started are not seen when freed
            fn()
        peaks = np.zeros(steps, dtype=np.int64)  # allocated before measuring
        start, _ = tracemalloc.get_traced_memory()
        for i in range(steps):
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            fn()
            _, peak = tracemalloc.get_traced_memory()
            peaks[i] = peak - before
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return int(peaks.max()), end - start


WORKLOADS = {  # (sizes, batch, loss, l2, optimizer)
    "tiny": ((2, 3, 1), 3, "mse-sum", 0.0, "sgd"),
    "course": ((400, 25, 10), 500, "bce", 1.0, "sgd"),
    "mnist-like": ((784, 64, 10), 128, "bce", 0.0, "momentum"),
    "adam": ((20, 16, 4), 64, "bce", 1.0, "adam"),
}


def _step(name: str, engine: bool) -> Callable[[], float]:
    sizes, m, loss, l2, opt_name = WORKLOADS[name]
    rng = np.random.default_rng(0)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b, bias=name != "tiny", rng=i), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    X = rng.random((m, sizes[0]))
    Y = (
        np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
        if loss == "bce"
        else rng.random((m, sizes[-1]))
    )
    crit = nn.BCELoss() if loss == "bce" else nn.MSELoss(reduction="sum")
    opt = {
        "sgd": lambda: optim.SGD(model.parameters(), lr=0.5, l2=l2),
        "momentum": lambda: optim.SGD(model.parameters(), lr=0.5, momentum=0.9),
        "adam": lambda: optim.Adam(model.parameters(), lr=0.01, l2=l2),
    }[opt_name]()
    step = train.compile_step(model, crit, opt, engine=engine)
    return lambda: step(X, Y)


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_a_warm_compiled_step_allocates_nothing(name: str) -> None:
    peak, kept = _peak_and_retained(_step(name, engine=True))
    assert kept <= 256
    assert peak < 2048, (
        f"{peak} bytes allocated in a warm step (Python floats and small objects only)"
    )


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_the_plain_layers_allocate_per_step_but_keep_nothing(name: str) -> None:
    peak, kept = _peak_and_retained(_step(name, engine=False))
    assert kept <= 1024
    assert peak > 0
