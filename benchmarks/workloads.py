"""The benchmark workloads: network shapes, batch sizes, losses and their seeded data.

The sigmoid MLPs are here; the convolutional workloads are in :mod:`benchmarks.conv`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.conv import CONV_WORKLOADS, ConvWorkload

Array = NDArray[Any]


@dataclass(frozen=True)
class Workload:
    """One training problem: sigmoid layers ``sizes``, batch ``batch``, loss ``loss``.

    ``loss`` is ``"bce"`` (the course's cost, batchmean) or ``"mse-sum"`` (the notes'
    :math:`\\frac{1}{2}\\sum (y - \\hat y)^2`). ``epoch_batches`` is how many batches one
    scikit-learn ``partial_fit`` call sees (its time is divided by that).
    """

    name: str
    sizes: tuple[int, ...]
    batch: int
    loss: str
    bias: bool
    l2: float
    lr: float
    epoch_batches: int
    description: str

    def data(self, dtype: Any, seed: int = 0) -> tuple[Array, Array]:
        """Return seeded inputs ``X`` (uniform in [0, 1], like pixels) and targets ``Y``."""
        rng = np.random.default_rng(seed)
        m = self.batch
        X = rng.random((m, self.sizes[0]))
        k = self.sizes[-1]
        if self.loss == "bce":
            Y = np.zeros((m, k))
            Y[np.arange(m), rng.integers(0, k, size=m)] = 1.0
        else:
            Y = rng.random((m, k))
        return X.astype(dtype), Y.astype(dtype)

    def thetas(self, dtype: Any, seed: int = 1) -> list[tuple[Array, Array]]:
        """Return seeded ``(W, b)`` pairs, the course's uniform initialisation."""
        rng = np.random.default_rng(seed)
        out = []
        for s_in, s_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            eps = np.sqrt(6.0) / np.sqrt(s_in + s_out)
            theta = rng.uniform(-eps, eps, size=(s_out, s_in + 1))
            b = theta[:, 0] if self.bias else np.zeros(s_out)
            out.append((theta[:, 1:].astype(dtype), b.astype(dtype)))
        return out


WORKLOADS: tuple[Workload, ...] = (
    Workload("tiny", (2, 3, 1), 3, "mse-sum", False, 0.0, 0.5, 40,
             "the notes' 2-3-1 sigmoid regression, m = 3, full batch, MSE (sum), no bias"),
    Workload("course-full", (400, 25, 10), 5000, "bce", True, 1.0, 1.0, 1,
             "400-25-10 sigmoid, BCE, lambda = 1, full batch of 5000"),
    Workload("course-64", (400, 25, 10), 64, "bce", True, 1.0, 0.5, 40,
             "400-25-10 sigmoid, BCE, lambda = 1, batch 64"),
    Workload("mnist-mlp", (784, 256, 128, 10), 128, "bce", True, 0.0, 0.5, 16,
             "784-256-128-10 sigmoid, BCE, batch 128"),
    Workload("wide", (1024, 1024, 1024, 10), 512, "bce", True, 0.0, 0.5, 2,
             "1024-1024-1024-10 sigmoid, BCE, batch 512"),
)  # fmt: skip


#: Every workload: the sigmoid MLPs above, then the convolutional ones.
ALL: tuple[Workload | ConvWorkload, ...] = (*WORKLOADS, *CONV_WORKLOADS)


def select(patterns: list[str] | None) -> list[Workload | ConvWorkload]:
    """Return the workloads whose name contains any of ``patterns`` (all if none)."""
    if not patterns:
        return list(ALL)
    chosen = [w for w in ALL if any(p in w.name for p in patterns)]
    if not chosen:
        names = ", ".join(w.name for w in ALL)
        raise SystemExit(f"no workload matches {patterns}; choose from {names}")
    return chosen


def by_name(name: str) -> Workload | ConvWorkload:
    for w in ALL:
        if w.name == name:
            return w
    raise KeyError(name)
