"""Central differences and the course's relative error, shared by the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


def central_difference(f: Callable[[], float], x: Array, eps: float = 1e-6) -> Array:
    """∂f/∂x by central differences, perturbing ``x`` in place one entry at a time."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = f()
        flat[i] = saved - eps
        minus = f()
        flat[i] = saved
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def rel_error(a: Array, b: Array) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, tiny): the course's relative difference."""
    denom = float(np.linalg.norm(a) + np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / max(denom, 1e-300)
