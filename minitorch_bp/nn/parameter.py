"""The ``Parameter``: an array the optimizer updates, and its gradient.

Parameters of a model can share one contiguous buffer (see :func:`pack_parameters`):
each ``Parameter`` is then a view into it, so an optimizer updates every weight in one
array operation and :func:`minitorch_bp.utils.parameters_to_vector` costs no copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_float_dtype

Array = NDArray[Any]


class Parameter:
    r"""A learnable array with its gradient, like ``torch.nn.Parameter``.

    Args:
        data: the initial values (copied; float32 or float64).
        regularized: whether the notes' L2 term :math:`\frac{\lambda}{m}\Theta` applies to it.
            ``True`` for weights; ``False`` for biases, the notes' :math:`j = 0` column.

    Attributes:
        data: the values. Assigning ``p.data = values`` copies into the existing storage
            (shape must match), and in-place writes such as ``p.data[...] = values`` are
            honoured, because the storage may be a view into a shared buffer.
        grad: :math:`\partial \text{loss} / \partial \text{data}`, same shape. Backward calls
            accumulate into it, as in PyTorch, until :meth:`zero_grad`.
        inv_m: :math:`\sum 1/m` over the backward calls since :meth:`zero_grad`, where ``m``
            is the number of examples each backward saw. After one backward it is the notes'
            :math:`1/m`, which the optimizer uses for :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)`.

    Example:
        >>> p = Parameter(np.zeros((2, 3)))
        >>> p.data[0, 1] = 5.0
        >>> p.data
        array([[0., 5., 0.],
               [0., 0., 0.]])
        >>> p.grad.shape
        (2, 3)
    """

    __slots__ = ("_data", "_fresh", "_grad", "inv_m", "regularized")

    def __init__(self, data: Any, *, regularized: bool = True) -> None:
        arr = np.array(data, copy=True, order="C")
        check_float_dtype(arr.dtype, "Parameter")
        self._data: Array = arr
        self._grad: Array = np.zeros_like(arr)
        self.regularized = regularized
        self.inv_m = 0.0
        # True while grad holds zeros from zero_grad: the next backward may overwrite it
        # with ``out=`` instead of adding a temporary.
        self._fresh = True

    @property
    def data(self) -> Array:
        return self._data

    @data.setter
    def data(self, values: Any) -> None:
        self._assign(self._data, values, "data")

    @property
    def grad(self) -> Array:
        return self._grad

    @grad.setter
    def grad(self, values: Any) -> None:
        self._assign(self._grad, values, "grad")
        self._fresh = False

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._data.dtype

    @property
    def size(self) -> int:
        return self._data.size

    def zero_grad(self) -> None:
        """Set ``grad`` to zeros and ``inv_m`` to 0."""
        self._grad.fill(0)
        self.inv_m = 0.0
        self._fresh = True

    def accumulate_grad(self, value: Array) -> None:
        """Add ``value`` to ``grad`` (PyTorch's accumulation)."""
        if self._fresh:
            np.copyto(self._grad, value)
            self._fresh = False
        else:
            self._grad += value

    def grad_target(self) -> Array | None:
        """Return ``grad`` if the next gradient may be written straight into it, else None.

        A layer that gets an array writes its product there with ``out=`` and then calls
        :meth:`mark_written`; on ``None`` it calls :meth:`accumulate_grad` instead.
        """
        return self._grad if self._fresh else None

    def mark_written(self) -> None:
        self._fresh = False

    def _assign(self, target: Array, values: Any, name: str) -> None:
        arr = np.asarray(values)
        if arr.shape != target.shape:
            raise ValueError(
                f"Parameter.{name} has shape {target.shape}; cannot assign an array of shape"
                f" {arr.shape} (assignment copies into the existing storage)"
            )
        np.copyto(target, arr, casting="same_kind")

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype}, regularized={self.regularized})"


def _offset(a: Array, base: Array) -> int:
    start: int = a.__array_interface__["data"][0]
    base_start: int = base.__array_interface__["data"][0]
    return (start - base_start) // a.itemsize


def _flat_view(arrays: Sequence[Array]) -> Array | None:
    """Return the 1-D view covering ``arrays`` if they lie back to back in one buffer."""
    if not arrays:
        return None
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    start = _offset(arrays[0], base)
    pos = start
    for a in arrays:
        if a.base is not base or not a.flags.c_contiguous or _offset(a, base) != pos:
            return None
        pos += a.size
    return base[start:pos]


def flat_buffers(params: Sequence[Parameter]) -> tuple[Array, Array] | None:
    """Return the 1-D ``(data, grad)`` views over ``params`` if they are packed, else None."""
    data = _flat_view([p._data for p in params])
    if data is None:
        return None
    grad = _flat_view([p._grad for p in params])
    if grad is None:
        return None
    return data, grad


def pack_parameters(params: Sequence[Parameter]) -> tuple[Array, Array] | None:
    """Move ``params`` into one contiguous data buffer and one grad buffer, in order.

    Values are copied once, then each parameter's ``data`` and ``grad`` become views
    into the shared buffers, so later unrolling (the course's ``nn_params``) and
    optimizer steps need no copy. Parameters of mixed dtype are left as they are and
    ``None`` is returned. Parameters already packed in this order are not moved.

    Returns:
        The 1-D ``(data, grad)`` buffers, or ``None`` when the dtypes differ.
    """
    if not params:
        return None
    existing = flat_buffers(params)
    if existing is not None:
        return existing
    dtype = params[0].dtype
    if any(p.dtype != dtype for p in params):
        return None
    total = sum(p.size for p in params)
    data = np.empty(total, dtype=dtype)
    grad = np.empty(total, dtype=dtype)
    pos = 0
    for p in params:
        n = p.size
        d = data[pos : pos + n].reshape(p.shape)
        g = grad[pos : pos + n].reshape(p.shape)
        d[...] = p._data
        g[...] = p._grad
        p._data, p._grad = d, g
        pos += n
    return data, grad
