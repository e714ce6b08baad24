r"""Unrolling parameters into one vector, the course's ``nn_params``, and back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.parameter import Parameter, flat_buffers

Array = NDArray[Any]


def parameters_to_vector(params: Iterable[Parameter], *, copy: bool = False) -> Array:
    r"""Return all parameters as one 1-D vector, in order (W1, b1, W2, b2, ...).

    When the parameters are packed in one buffer (any ``Sequential`` or optimizer packs
    them) this is a **view**, no copy: writing into it changes the parameters. Otherwise,
    or with ``copy=True``, it is a new array.

    Example:
        >>> from minitorch_bp import nn
        >>> model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=0))
        >>> parameters_to_vector(model.parameters()).shape   # 4 + 2 + 2 + 1
        (9,)
    """
    return _unroll(params, copy, grads=False)


def grads_to_vector(params: Iterable[Parameter], *, copy: bool = False) -> Array:
    """Like :func:`parameters_to_vector`, for the gradients."""
    return _unroll(params, copy, grads=True)


def _unroll(params: Iterable[Parameter], copy: bool, *, grads: bool) -> Array:
    plist = list(params)
    flat = flat_buffers(plist)
    if flat is not None and not copy:
        return flat[1] if grads else flat[0]
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
    flat = flat_buffers(plist)
    if flat is not None:
        if arr is not flat[0]:
            np.copyto(flat[0], arr, casting="same_kind")
        return
    pos = 0
    for p in plist:
        p.data = arr[pos : pos + p.size].reshape(p.shape)
        pos += p.size
