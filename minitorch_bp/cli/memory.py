"""How much memory a network will take to train, estimated before anything is allocated.

``train --hidden 100000000`` would otherwise allocate until the kernel kills the process.
The estimate counts, in the model's float64 (8 bytes a number): the parameters, their
gradients and the optimizer's state per parameter (SGD none, momentum one velocity,
Adam two moments, L-BFGS and CG their history and search vectors), and per example of a
batch the forward and backward values of every layer (about four arrays of each
layer's width: z, a, δ and the engine's buffers).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

#: ``--max-params``'s default: the most parameters ``train`` builds unless told otherwise.
MAX_PARAMS = 10_000_000
#: Arrays of the size of the parameters that each optimizer keeps (weights and gradients included).
PER_PARAMETER = {"sgd": 2, "momentum": 3, "adam": 4, "lbfgs": 2 + 2 * 10 + 3, "cg": 5}
_BYTES = 8


def n_parameters(sizes: Sequence[int]) -> int:
    """The weights and biases of ``Linear`` layers of these sizes: Σ (s_l + 1) s_{l+1}."""
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


def training_bytes(sizes: Sequence[int], batch: int, optimizer: str) -> int:
    """The estimate of the module docstring, in bytes."""
    per_example = 4 * sum(sizes)
    return _BYTES * (PER_PARAMETER[optimizer] * n_parameters(sizes) + batch * per_example)


def available_bytes() -> int | None:
    """The memory the system can give now (``MemAvailable`` on Linux), or ``None`` if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def check_fits(sizes: Sequence[int], batch: int, optimizer: str, max_params: int) -> None:
    """Refuse a network above ``max_params`` parameters or above the memory available.

    Raises:
        ValueError: naming the layer sizes, the parameter count and the estimate.
    """
    count = n_parameters(sizes)
    need = training_bytes(sizes, batch, optimizer)
    shape = "-".join(str(s) for s in sizes)
    what = f"the network {shape} has {count:,} parameters (about {_size(need)} to train with {optimizer})"
    if count > max_params:
        raise ValueError(
            f"--hidden: {what}, more than --max-params {max_params:,}; give smaller layers, or"
            " a larger --max-params if the machine has the memory"
        )
    free = available_bytes()
    if free is not None and need > free:
        raise ValueError(
            f"--hidden: {what}, more than the {_size(free)} of memory available; give smaller"
            " layers or a smaller --batch-size"
        )
