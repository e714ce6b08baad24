r"""The fully connected layer: :math:`z^{(l+1)} = \Theta^{(l)} a^{(l)}` with the bias unit."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from minitorch_bp._random import as_generator
from minitorch_bp._validation import (
    as_batch,
    as_grad,
    check_float_dtype,
    check_input_dtype,
    check_positive_int,
    diagnose_non_finite,
    finite_sum_of_squares,
)
from minitorch_bp.nn import functional as F
from minitorch_bp.nn import init
from minitorch_bp.nn.export import OnnxGraph
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]
Seed = int | np.random.Generator | None


class Linear(Module):
    r"""Applies :math:`z = a\,W^\top + b` to a batch, the notes' :math:`z^{(l+1)} = \Theta^{(l)} a^{(l)}`.

    In the notes' layout the weights and the bias form one matrix
    :math:`\Theta^{(l)}` of shape :math:`(s_{l+1}, s_l + 1)` whose column 0 multiplies the
    bias unit :math:`a_0^{(l)} = 1`. Here that column is ``bias`` and the rest is
    ``weight``; :attr:`theta` joins them. With one example per row, the layer computes
    :math:`Z^{(l+1)} = [\mathbf{1}, A^{(l)}]\,(\Theta^{(l)})^\top`.

    Args:
        in_features: :math:`s_l`, the number of units feeding in (without the bias unit).
        out_features: :math:`s_{l+1}`, the number of units produced.
        bias: if ``False`` the layer has no bias unit (as in the notes' regression example).
        dtype: ``np.float64`` (default) or ``np.float32``; inputs must match.
        rng: a seed or ``np.random.Generator`` for the initialisation; ``None`` draws fresh
            entropy.

    Shape:
        - Input: :math:`(m, s_l)`, one example per row.
        - Output: :math:`(m, s_{l+1})`.

    Attributes:
        weight: shape ``(out_features, in_features)``, :math:`\Theta^{(l)}_{:,1:}`.
        bias: shape ``(out_features,)``, :math:`\Theta^{(l)}_{:,0}`; not regularised.

    Initialisation:
        The course's: every entry of :math:`\Theta^{(l)}`, bias column included, is drawn
        from :math:`U(-\epsilon, \epsilon)` with
        :math:`\epsilon = \sqrt{6} / \sqrt{s_l + s_{l+1}}`, in one draw of shape
        ``(out_features, in_features + 1)`` (:func:`~minitorch_bp.nn.init.uniform_epsilon_`).

    Caches:
        The input :math:`a^{(l)}` (a reference, not a copy), for
        :math:`\partial J / \partial \Theta^{(l)} = \delta^{(l+1)} (a^{(l)})^\top`.

    Checks:
        Forward refuses an output with NaN or inf, naming the layer and the first bad
        value of the input or of a parameter (or overflow, when both are finite).

    Example:
        >>> layer = Linear(2, 3, rng=0)
        >>> layer.theta.shape
        (3, 3)
        >>> layer.theta = np.arange(9.0).reshape(3, 3)
        >>> layer(np.array([[1.0, 2.0]]))
        array([[ 5., 17., 29.]])
    """

    config_keys = ("in_features", "out_features", "bias", "dtype")
    torch_name = "Linear"

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        dtype: DTypeLike = np.float64,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features", "Linear")
        self.out_features = check_positive_int(out_features, "out_features", "Linear")
        dt = check_float_dtype(dtype, "Linear")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dt))
        self.bias: Parameter | None = None
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dt), regularized=False)
        # Without a bias the course still draws the bias column (then discarded), so
        # seeded layers keep the same weights either way.
        init.uniform_epsilon_(
            self.weight,
            self.bias if bias else np.empty(self.out_features),
            rng=as_generator(rng, "Linear"),
        )
        self._input: Array | None = None

    @property
    def theta(self) -> Array:
        r"""The notes' :math:`\Theta^{(l)}`, shape ``(out_features, in_features + 1)``.

        Column 0 is the bias (zeros when ``bias=False``). Reading returns a new array;
        assigning copies into ``weight`` and ``bias``.
        """
        theta = np.zeros((self.out_features, self.in_features + 1), dtype=self.weight.dtype)
        theta[:, 1:] = self.weight.data
        if self.bias is not None:
            theta[:, 0] = self.bias.data
        return theta

    @theta.setter
    def theta(self, value: Any) -> None:
        arr = np.asarray(value)
        expected = (self.out_features, self.in_features + 1)
        if arr.shape != expected:
            raise ValueError(
                f"{self!r}: theta must have shape {expected} (s_(l+1), s_l + 1); got {arr.shape}"
            )
        if self.bias is None and np.any(arr[:, 0] != 0):
            raise ValueError(f"{self!r} has no bias: column 0 of theta must be zero")
        self.weight.data = arr[:, 1:]
        if self.bias is not None:
            self.bias.data = arr[:, 0]

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*tuple(input_shape)[:-1], self.out_features)

    def forward(self, x: Array) -> Array:
        r"""Return :math:`z^{(l+1)} = a^{(l)} W^\top + b`, a new array, and cache :math:`a^{(l)}`."""
        w = self.weight.data
        # The usual input (a 2-D array of the layer's dtype and width) skips as_batch, so
        # the success path builds no message; anything else gets the full checks.
        if not (
            type(x) is np.ndarray
            and x.ndim == 2
            and x.dtype == w.dtype
            and x.shape[1] == self.in_features
        ):
            x = self._check_input(x)
        z = F.linear(x, w, None if self.bias is None else self.bias.data)
        # NaN and inf in x or in the parameters always reach z, so checking the (usually
        # narrower) output stands in for checking them; the diagnosis runs on failure only.
        if not finite_sum_of_squares(z):
            self._diagnose_non_finite(x, z)
        self._input = x
        return z

    def _check_input(self, value: Any) -> Array:
        x = as_batch(value, repr(self))
        w = self.weight.data
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r} got input with {x.shape[1]} columns (shape {x.shape});"
                f" expected (m, {self.in_features}): rows are examples"
            )
        check_input_dtype(x, w.dtype, repr(self))
        return x

    def _diagnose_non_finite(self, x: Array, z: Array) -> None:
        diagnose_non_finite(repr(self), x, self._parameters, z)

    def _cached_input(self, grad_output: Any) -> tuple[Array, Array]:
        x = self._input
        if x is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        g = as_grad(grad_output, (x.shape[0], self.out_features), self)
        return x, g

    def backward_params(self, grad_output: Array) -> None:
        r"""Add :math:`\partial J/\partial W = \delta^{(l+1)\top} a^{(l)}` and the bias sum to the gradients.

        This is step 5 of the notes' algorithm, vectorised:
        :math:`\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)} (a^{(l)})^T` summed over the
        examples by one matrix product ("the matrix multiplication also takes care of the
        :math:`\sum`"). With the default ``batchmean`` loss ``grad_output`` already carries
        the :math:`1/m`, so ``weight.grad`` is :math:`\frac{1}{m}\Delta^{(l)}_{:,1:}`. A
        frozen parameter (``requires_grad=False``) gets nothing added.
        """
        x, g = self._cached_input(grad_output)
        if self.weight.requires_grad:  # a frozen parameter accumulates nothing
            weight_grad = self.weight.grad  # added in place (not through the property's setter)
            weight_grad += g.T @ x
        if self.bias is not None and self.bias.requires_grad:
            # The bias unit a₀ = 1 makes column 0 of Δ equal to δᵀ1: a matrix-vector
            # product, several times faster than g.sum(axis=0) on a large batch.
            bias_grad = self.bias.grad
            bias_grad += np.ones(len(g), dtype=g.dtype) @ g

    def backward(self, grad_output: Array) -> Array:
        r"""Add the parameter gradients and return :math:`\delta^{(l+1)} W`.

        The returned :math:`\partial J / \partial a^{(l)}` is the notes'
        :math:`(\Theta^{(l)})^T \delta^{(l+1)}` without the bias row; the activation
        before this layer multiplies it by :math:`g'(z^{(l)})` to give :math:`\delta^{(l)}`.
        """
        self.backward_params(grad_output)
        return np.asarray(grad_output) @ self.weight.data

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``Gemm(x, W, b, transB=1)``: :math:`z = x W^\top + b` with ``W`` as stored here."""
        inputs = [x, graph.constant(self.weight.data, "weight")]
        if self.bias is not None:
            inputs.append(graph.constant(self.bias.data, "bias"))
        return graph.node("Gemm", inputs, transB=1)

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        """The arguments of the ``Linear`` equivalent to ``torch.nn.Linear`` ``module``."""
        return {
            "in_features": int(module.in_features),
            "out_features": int(module.out_features),
            "bias": module.bias is not None,
            "dtype": str(module.weight.dtype).replace("torch.", ""),
        }

    def config(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": str(self.weight.dtype),
        }

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features},"
            f" bias={self.bias is not None}"
        )
