"""The ``Parameter``: an array the optimizer updates, and its gradient."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_float_dtype

Array = NDArray[Any]


class Parameter:
    r"""A learnable array with its gradient, like ``torch.nn.Parameter``.

    A parameter is an identity: two layers (or two models) that hold the same
    ``Parameter`` object share those weights, an optimizer given it twice keeps it once,
    and ``Module.parameters()`` lists it once.

    Args:
        data: the initial values (copied; float32 or float64).
        regularized: whether the notes' L2 term applies to it, i.e. whether
            :math:`\frac{\lambda}{2m}\sum\Theta^2` in :math:`J(\Theta)` counts it and
            :math:`\frac{\lambda}{m}\Theta` is added to its gradient (see
            :mod:`minitorch_bp.nn.regularization`, the one place that reads this flag).
            ``True`` for weights; ``False`` for biases, the notes' :math:`j = 0` column.
        requires_grad: whether training changes it, PyTorch's flag. ``False`` freezes it:
            the package's layers accumulate no gradient for it (the engine skips the
            products that would), every optimizer leaves it as it is, and the λ term
            neither counts nor decays it. ``Module.requires_grad_(False)`` freezes a whole
            layer or model, e.g. to fine-tune the last layer only.

    Attributes:
        data: the values. Assigning ``p.data = values`` copies into the existing array
            (the shape must match), so every holder of ``p.data`` sees the new values.
        grad: :math:`\partial J / \partial \text{data}` of the data term, same shape.
            Backward calls add into it, as in PyTorch, until :meth:`zero_grad`.

    Example:
        >>> p = Parameter(np.zeros((2, 3)))
        >>> p.data[0, 1] = 5.0
        >>> p.data
        array([[0., 5., 0.],
               [0., 0., 0.]])
        >>> p.grad.shape, p.regularized, p.requires_grad
        ((2, 3), True, True)
    """

    __slots__ = ("_data", "_grad", "regularized", "requires_grad")

    #: Counts every change of any parameter's ``requires_grad``: a compiled training step
    #: (:mod:`minitorch_bp.engine`) plans which gradients to compute, and compares this
    #: one number to know whether a plan still holds.
    freeze_changes: ClassVar[int] = 0

    regularized: bool
    requires_grad: bool

    def __init__(self, data: Any, *, regularized: bool = True, requires_grad: bool = True) -> None:
        arr = np.array(data, copy=True, order="C")
        check_float_dtype(arr.dtype, "Parameter")
        self._data: Array = arr
        self._grad: Array = np.zeros_like(arr)
        self.regularized = bool(regularized)
        self.requires_grad = requires_grad

    def __setattr__(self, name: str, value: Any) -> None:
        # requires_grad is a plain attribute, read on every step; setting it is checked and
        # counted here (a property would slow every read).
        if name == "requires_grad":
            flag = _check_flag(value)
            if flag is not getattr(self, "requires_grad", flag):
                Parameter.freeze_changes += 1
            value = flag
        object.__setattr__(self, name, value)

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
        """Set ``grad`` to zeros."""
        self._grad.fill(0)

    def _assign(self, target: Array, values: Any, name: str) -> None:
        arr = np.asarray(values)
        if arr.shape != target.shape:
            raise ValueError(
                f"Parameter.{name} has shape {target.shape}; cannot assign an array of shape"
                f" {arr.shape} (assignment copies into the existing array)"
            )
        np.copyto(target, arr, casting="same_kind")

    def __repr__(self) -> str:
        frozen = "" if self.requires_grad else ", requires_grad=False"
        return (
            f"Parameter(shape={self.shape}, dtype={self.dtype},"
            f" regularized={self.regularized}{frozen})"
        )


def _check_flag(value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Parameter: requires_grad={value!r} must be True or False")
    return bool(value)
