r"""Layer normalisation: each example standardised over its own last dimensions."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from minitorch_bp._validation import (
    as_examples,
    as_grad,
    check_float_dtype,
    check_input_dtype,
    check_positive,
)
from minitorch_bp.nn.batchnorm import standardised_input_grad
from minitorch_bp.nn.export import OnnxGraph, reduce_mean
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


class LayerNorm(Module):
    r"""Standardises each example over its last dimensions, PyTorch's ``LayerNorm``.

    For each example (and each position before the normalised dimensions), over its
    :math:`N = \prod` ``normalized_shape`` values:

    .. math::
        \mu = \frac1N\sum x, \quad \sigma^2 = \frac1N\sum(x - \mu)^2, \quad
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad y = \gamma\odot\hat x + \beta,

    with :math:`\gamma, \beta` of shape ``normalized_shape``. Unlike ``BatchNorm`` the
    statistics are the example's own, so training and evaluation compute the same thing
    and examples do not interact.

    δ for the input: the three-term formula of :class:`BatchNorm1d` over the example's
    values instead of the batch's, with :math:`\hat\delta = \gamma\odot\delta`:
    :math:`\frac{1}{\hat\sigma}(\hat\delta - \frac1N\sum\hat\delta - \hat x\,\frac1N\sum\hat\delta\hat x)`.

    Args:
        normalized_shape: the sizes of the last dimensions normalised (an int for one).
        eps: :math:`\epsilon` (default 1e-5).
        elementwise_affine: learn :math:`\gamma` (``weight``, starts at 1) and :math:`\beta`
            (``bias``, starts at 0); neither is regularised by λ.
        bias: ``False`` leaves out :math:`\beta` (PyTorch's argument).
        dtype: ``np.float64`` (default) or ``np.float32``; inputs must match.

    Shape:
        - Input: :math:`(m, *, \text{normalized\_shape})`. Output: the same.

    Caches:
        :math:`\hat x` and :math:`1/\hat\sigma`.

    Example:
        >>> ln = LayerNorm(3)
        >>> ln(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])).round(5)
        array([[-1.22474,  0.     ,  1.22474],
               [-0.70711, -0.70711,  1.41421]])
    """

    config_keys = ("normalized_shape", "eps", "elementwise_affine", "bias", "dtype")
    torch_name = "LayerNorm"

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        shape = (
            tuple(normalized_shape)
            if isinstance(normalized_shape, (tuple, list))
            else (normalized_shape,)
        )
        if not shape or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in shape
        ):
            raise ValueError(
                f"LayerNorm: normalized_shape={normalized_shape!r} must be a positive integer"
                " or a tuple of them"
            )
        self.normalized_shape = tuple(int(v) for v in shape)
        self.eps = check_positive(eps, "eps", "LayerNorm")
        self.elementwise_affine = bool(elementwise_affine)
        dt = check_float_dtype(dtype, "LayerNorm")
        self._dtype = dt
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dt), regularized=False)
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dt), regularized=False)
        self._cache: tuple[Array, Array] | None = None

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dtype

    def _axes(self) -> tuple[int, ...]:
        return tuple(range(-len(self.normalized_shape), 0))

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        k = len(self.normalized_shape)
        ok = len(input_shape) > k and tuple(input_shape[-k:]) == self.normalized_shape
        return tuple(input_shape) if ok else None

    def forward(self, x: Array) -> Array:
        x = as_examples(x, "LayerNorm")
        if self.output_shape(x.shape) is None:
            raise ValueError(
                f"{self!r} got input of shape {x.shape}; its last dimensions must be"
                f" normalized_shape={self.normalized_shape}, after at least the examples' axis"
            )
        check_input_dtype(x, self._dtype, repr(self))
        axes = self._axes()
        centred = x - x.mean(axis=axes, keepdims=True)
        var = np.mean(centred * centred, axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat: Array = centred * inv_std
        self._cache = (x_hat, inv_std)
        if self.weight is None:
            return x_hat
        out: Array = x_hat * self.weight.data
        if self.bias is not None:
            out += self.bias.data
        return out

    def backward(self, grad_output: Array) -> Array:
        r"""Add :math:`\partial J/\partial\gamma = \sum\delta\odot\hat x`, :math:`\partial J/\partial\beta = \sum\delta`; return δ for the input."""
        if self._cache is None:
            raise RuntimeError("LayerNorm: backward called before forward")
        x_hat, inv_std = self._cache
        g = as_grad(grad_output, x_hat.shape, self).astype(self._dtype, copy=False)
        batch_axes = tuple(range(x_hat.ndim - len(self.normalized_shape)))
        g_hat = g
        if self.weight is not None:
            weight_grad = self.weight.grad
            weight_grad += np.sum(g * x_hat, axis=batch_axes)
            if self.bias is not None:
                bias_grad = self.bias.grad
                bias_grad += np.sum(g, axis=batch_axes)
            g_hat = g * self.weight.data
        return standardised_input_grad(g_hat, x_hat, inv_std, self._axes())

    def config(self) -> dict[str, Any]:
        return {
            "normalized_shape": self.normalized_shape,
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
            "bias": self.bias is not None,
            "dtype": str(self._dtype),
        }

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps},"
            f" elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        """The arguments of the ``LayerNorm`` equivalent to ``torch.nn.LayerNorm`` ``module``."""
        dtype = "float32" if module.weight is None else str(module.weight.dtype)
        return {
            "normalized_shape": tuple(module.normalized_shape),
            "eps": float(module.eps),
            "elementwise_affine": bool(module.elementwise_affine),
            "bias": module.bias is not None,
            "dtype": dtype.replace("torch.", ""),
        }

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``LayerNormalization`` in float32 (from opset 17); written out otherwise: in
        float64 its 32-bit ``epsilon`` and statistics would not keep float64's precision."""
        gamma = self.weight.data if self.weight is not None else np.ones(self.normalized_shape)
        beta = self.bias.data if self.bias is not None else np.zeros(self.normalized_shape)
        if graph.dtype == np.float32 and graph.opset >= 17:
            return graph.node(
                "LayerNormalization",
                [x, graph.constant(gamma, "weight"), graph.constant(beta, "bias")],
                axis=-len(self.normalized_shape),
                epsilon=self.eps,
            )
        shape = graph.shape(x)
        rank = len(self.normalized_shape) + 1 if shape is None else len(shape)
        axes = list(range(rank - len(self.normalized_shape), rank))
        centred = graph.node("Sub", [x, reduce_mean(graph, x, axes)])
        var = reduce_mean(graph, graph.node("Mul", [centred, centred]), axes)
        std = graph.node("Sqrt", [graph.node("Add", [var, graph.constant(self.eps)])])
        x_hat = graph.node("Div", [centred, std])
        scaled = graph.node("Mul", [x_hat, graph.constant(gamma, "weight")])
        return graph.node("Add", [scaled, graph.constant(beta, "bias")])
