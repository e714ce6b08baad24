r"""The row-wise softmax :math:`s_k = e^{z_k} / \sum_j e^{z_j}` and its log, ``LogSoftmax``."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch, as_grad
from minitorch_bp.nn import functional as F
from minitorch_bp.nn.export import OnnxGraph
from minitorch_bp.nn.module import Module

Array = NDArray[Any]


class Softmax(Module):
    r"""The softmax :math:`s_k = e^{z_k} / \sum_j e^{z_j}` over ``dim`` (default: each row).

    Backward is the full Jacobian-vector product: with
    :math:`\partial s_k/\partial z_j = s_k(\mathbb{1}[j = k] - s_j)`,

    .. math::
        \frac{\partial J}{\partial z} = s \odot \Big(g - \sum_k g_k s_k\Big),
        \qquad g = \frac{\partial J}{\partial s}.

    To train a classifier, prefer :class:`CrossEntropyLoss` on the logits (it fuses
    the log-softmax, and its gradient is :math:`s - y`).

    Numerics:
        The input is shifted by its maximum along ``dim`` before ``exp`` (see
        :func:`~minitorch_bp.nn.functional.softmax`): stable for any finite input.

    Args:
        dim: the axis that sums to 1, PyTorch's name: ``-1`` or ``1`` (over the outputs
            of each example, the default), ``0`` or ``-2`` (over the examples).
        axis: the same, under numpy's name (kept for checkpoints written before ``dim``).

    Shape:
        - Input: :math:`(m, K)`. Output: same shape.

    Caches:
        The output :math:`s`.

    Example:
        >>> s = Softmax()
        >>> s
        Softmax(dim=-1)
        >>> s(np.array([[0.0, np.log(3.0)]]))
        array([[0.25, 0.75]])
        >>> s.backward(np.array([[1.0, 0.0]]))  # s0 (1 - s0), -s0 s1
        array([[ 0.1875, -0.1875]])
    """

    config_keys = ("dim",)
    torch_name = "Softmax"

    def __init__(self, dim: int = -1, *, axis: int | None = None) -> None:
        super().__init__()
        self.dim = check_dim(dim if axis is None else axis, "Softmax")
        self._output: Array | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def forward(self, x: Array) -> Array:
        s = F.softmax(as_batch(x, "Softmax"), self.dim)
        self._output = s
        return s

    def backward(self, grad_output: Array) -> Array:
        s = self._output
        if s is None:
            raise RuntimeError("Softmax: backward called before forward")
        g = as_grad(grad_output, s.shape, "Softmax")
        out = np.multiply(g, s, dtype=s.dtype)  # the module's dtype, whatever g's
        dot = out.sum(axis=self.dim, keepdims=True)
        np.subtract(g, dot, out=out)
        out *= s
        return out

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        # torch's Softmax(dim=None) picks dim 1 for a 2-D input.
        return {"dim": -1 if module.dim is None else int(module.dim)}

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        return graph.node("Softmax", [x], axis=self.dim)


class LogSoftmax(Module):
    r"""The log of the softmax, :math:`y_k = z_k - \log\sum_j e^{z_j}`, over ``dim`` (default: each row).

    Followed by :class:`NLLLoss` it is :class:`CrossEntropyLoss`, as in PyTorch. Backward
    is the Jacobian-vector product of :math:`\partial y_k/\partial z_j = [j = k] - s_j`:

    .. math::
        \frac{\partial J}{\partial z} = g - s \sum_k g_k, \qquad g = \frac{\partial J}{\partial y},
        \quad s = e^{y}.

    Numerics:
        Shifted by the maximum along ``dim`` (see
        :func:`~minitorch_bp.nn.functional.log_softmax`): finite for any finite input.

    Args:
        dim: the axis of the distribution: ``-1`` or ``1`` (each row, the default), ``0``
            or ``-2`` (each column).

    Shape:
        - Input: :math:`(m, K)`. Output: same shape.

    Caches:
        The output :math:`y = \log s`.

    Example:
        >>> ls = LogSoftmax()
        >>> ls(np.array([[0.0, np.log(3.0)]]))
        array([[-1.38629436, -0.28768207]])
        >>> ls.backward(np.array([[1.0, 0.0]]))  # 1 - s0, -s1
        array([[ 0.75, -0.75]])
    """

    config_keys = ("dim",)
    torch_name = "LogSoftmax"

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = check_dim(dim, "LogSoftmax")
        self._output: Array | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def forward(self, x: Array) -> Array:
        y = F.log_softmax(as_batch(x, "LogSoftmax"), self.dim)
        self._output = y
        return y

    def backward(self, grad_output: Array) -> Array:
        y = self._output
        if y is None:
            raise RuntimeError("LogSoftmax: backward called before forward")
        g = as_grad(grad_output, y.shape, "LogSoftmax")
        total = np.add.reduce(g, axis=self.dim, keepdims=True, dtype=y.dtype)
        out = np.exp(y)  # the softmax s
        out *= total
        np.subtract(g, out, out=out)
        return out

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        # torch's LogSoftmax(dim=None) picks dim 1 for a 2-D input.
        return {"dim": -1 if module.dim is None else int(module.dim)}

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        return graph.node("LogSoftmax", [x], axis=self.dim)


def check_dim(value: Any, who: str) -> int:
    """Return ``dim`` for a 2-D input: -1 or 1 (rows), 0 or -2 (columns)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not (-2 <= value <= 1)
    ):
        raise ValueError(
            f"{who}: dim={value!r} must be -1 or 1 (each row), or 0 or -2 (each column);"
            " inputs are 2-D (m, K)"
        )
    return int(value)
