r"""Unrolling parameters into one vector, the course's ``nn_params``, and back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


def parameters_to_vector(params: Iterable[Parameter]) -> Array:
    r"""Return all parameters as one new 1-D vector, in order (W1, b1, W2, b2, ...).

    As ``torch.nn.utils.parameters_to_vector``: a copy, so writing into it changes
    nothing; :func:`vector_to_parameters` writes a vector back.

    Example:
        >>> from minitorch_bp import nn
        >>> model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=0))
        >>> parameters_to_vector(model.parameters()).shape   # 4 + 2 + 2 + 1
        (9,)
    """
    return _unroll(params, grads=False)


def grads_to_vector(params: Iterable[Parameter]) -> Array:
    """Like :func:`parameters_to_vector`, for the gradients."""
    return _unroll(params, grads=True)


def _unroll(params: Iterable[Parameter], *, grads: bool) -> Array:
    plist = list(params)
    if not plist:
        return np.empty(0)
    return np.concatenate([(p.grad if grads else p.data).reshape(-1) for p in plist])


def vector_to_parameters(vec: Any, params: Iterable[Parameter]) -> None:
    """Copy ``vec`` into the parameters, in order; the inverse of :func:`parameters_to_vector`.

    The round trip is exact (a copy, no arithmetic).

    Raises:
        ValueError: if ``vec`` is not 1-D or its length differs from the parameter count.
    """
    plist = list(params)
    arr = np.asarray(vec)
    total = sum(p.size for p in plist)
    if arr.ndim != 1 or arr.size != total:
        raise ValueError(
            f"vector_to_parameters: vec has shape {arr.shape}; expected ({total},) for"
            f" {len(plist)} parameters"
        )
    pos = 0
    for p in plist:
        p.data = arr[pos : pos + p.size].reshape(p.shape)
        pos += p.size
