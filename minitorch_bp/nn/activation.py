r"""Activation functions :math:`a^{(l)} = g(z^{(l)})`: element-wise ones and the row-wise softmax."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch
from minitorch_bp.nn import functional as F
from minitorch_bp.nn.module import Module

Array = NDArray[Any]


class Sigmoid(Module):
    r"""The logistic unit :math:`a = g(z) = \frac{1}{1 + e^{-z}}` of the notes.

    Backward multiplies by :math:`g'(z) = g(z)(1 - g(z)) = a(1 - a)`, computed from the
    cached activation: this is the :math:`g'(z^{(l)})` factor of
    :math:`\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} \odot g'(z^{(l)})`.

    Numerics:
        Stable for any float input: no overflow warning at :math:`\pm 10^4` (see
        :func:`minitorch_bp.nn.functional.sigmoid`). When the gradient comes straight from
        :class:`BCELoss` applied to this module's output, backward returns the notes'
        :math:`\delta^{(L)} = a^{(L)} - y` (times the loss's :math:`1/m`) exactly, without
        the division by :math:`a(1-a)` that loses precision as :math:`a` saturates.

    Shape:
        - Input: :math:`(m, n)`. Output: same shape.

    Caches:
        The output :math:`a`.

    Example:
        >>> s = Sigmoid()
        >>> s(np.array([[0.0, 2.0]]))
        array([[0.5       , 0.88079708]])
        >>> s.backward(np.ones((1, 2)))  # g'(0) = 0.25
        array([[0.25      , 0.10499359]])
    """

    def __init__(self) -> None:
        super().__init__()
        self._output: Array | None = None

    def forward(self, x: Array) -> Array:
        z = as_batch(x, "Sigmoid")
        a = self._buffer("a", z.shape, z.dtype, self._reuse_output)
        F.sigmoid(z, out=a)
        self._output = a
        return a

    def backward(self, grad_output: Array) -> Array:
        a = self._output
        if a is None:
            raise RuntimeError("Sigmoid: backward called before forward")
        if isinstance(grad_output, F.ProbabilityGrad):
            delta = grad_output.delta_for(a)
            if delta is not None:
                # The loss's own array: inside a Sequential it is used and dropped; a
                # caller who receives it gets a copy, as with every returned gradient.
                return delta if self._reuse_grad_input else delta.copy()
        if grad_output.shape != a.shape:
            raise ValueError(
                f"Sigmoid.backward got grad_output of shape {grad_output.shape};"
                f" expected {a.shape} to match the last forward"
            )
        out = self._buffer("dz", a.shape, a.dtype, self._reuse_grad_input)
        return F.sigmoid_grad_from_output(a, grad_output, out=out)


def _cached(module: Module, cached: Array | None, grad_output: Array) -> Array:
    """Return the forward cache, refusing a backward before forward or of the wrong shape."""
    name = type(module).__name__
    if cached is None:
        raise RuntimeError(f"{name}: backward called before forward")
    if grad_output.shape != cached.shape:
        raise ValueError(
            f"{name}.backward got grad_output of shape {grad_output.shape};"
            f" expected {cached.shape} to match the last forward"
        )
    return cached


class Tanh(Module):
    r"""The hyperbolic tangent :math:`a = g(z) = \tanh z`, with values in :math:`(-1, 1)`.

    Backward multiplies by :math:`g'(z) = 1 - \tanh^2 z = 1 - a^2`, from the cached
    output: the :math:`g'(z^{(l)})` factor of the notes' δ recursion.

    Shape:
        - Input: :math:`(m, n)`. Output: same shape.

    Caches:
        The output :math:`a`.

    Example:
        >>> t = Tanh()
        >>> t(np.array([[0.0, 1.0]]))
        array([[0.        , 0.76159416]])
        >>> t.backward(np.ones((1, 2)))  # 1 - tanh(1)^2
        array([[1.        , 0.41997434]])
    """

    def __init__(self) -> None:
        super().__init__()
        self._output: Array | None = None

    def forward(self, x: Array) -> Array:
        z = as_batch(x, "Tanh")
        a = self._buffer("a", z.shape, z.dtype, self._reuse_output)
        np.tanh(z, out=a)
        self._output = a
        return a

    def backward(self, grad_output: Array) -> Array:
        a = _cached(self, self._output, grad_output)
        out = self._buffer("dz", a.shape, a.dtype, self._reuse_grad_input)
        np.multiply(a, a, out=out)
        np.subtract(1.0, out, out=out)
        out *= grad_output
        return out


class ReLU(Module):
    r"""The rectified linear unit :math:`a = \max(0, z)`.

    Backward multiplies by :math:`g'(z) = 1` for :math:`z > 0` and :math:`0` for
    :math:`z < 0`. At the kink :math:`z = 0` the derivative is undefined; any value in
    the sub-differential :math:`[0, 1]` is valid, and this module uses **0**, as PyTorch
    does.

    Shape:
        - Input: :math:`(m, n)`. Output: same shape.

    Caches:
        The output :math:`a` (:math:`a > 0` exactly when :math:`z > 0`).

    Example:
        >>> r = ReLU()
        >>> r(np.array([[-1.0, 0.0, 2.0]]))
        array([[0., 0., 2.]])
        >>> r.backward(np.ones((1, 3)))  # g'(0) = 0
        array([[0., 0., 1.]])
    """

    def __init__(self) -> None:
        super().__init__()
        self._output: Array | None = None

    def forward(self, x: Array) -> Array:
        z = as_batch(x, "ReLU")
        a = self._buffer("a", z.shape, z.dtype, self._reuse_output)
        np.maximum(z, 0.0, out=a)
        self._output = a
        return a

    def backward(self, grad_output: Array) -> Array:
        a = _cached(self, self._output, grad_output)
        out = self._buffer("dz", a.shape, a.dtype, self._reuse_grad_input)
        out.fill(0)
        np.copyto(out, grad_output, where=a > 0)
        return out


class LeakyReLU(Module):
    r"""The leaky rectifier :math:`a = z` for :math:`z > 0`, :math:`a = \alpha z` otherwise.

    Backward multiplies by :math:`g'(z) = 1` for :math:`z > 0` and :math:`\alpha` for
    :math:`z < 0`. At the kink :math:`z = 0` this module uses :math:`\alpha`
    (``negative_slope``), a value between the left and right derivatives, as PyTorch does.

    Args:
        negative_slope: :math:`\alpha`, any finite number (default 0.01).

    Shape:
        - Input: :math:`(m, n)`. Output: same shape.

    Caches:
        The boolean mask :math:`z > 0`.

    Example:
        >>> r = LeakyReLU(0.1)
        >>> r
        LeakyReLU(negative_slope=0.1)
        >>> r(np.array([[-2.0, 0.0, 3.0]]))
        array([[-0.2,  0. ,  3. ]])
        >>> r.backward(np.ones((1, 3)))  # g'(0) = negative_slope
        array([[0.1, 0.1, 1. ]])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if (
            isinstance(negative_slope, bool)
            or not isinstance(negative_slope, (int, float, np.floating, np.integer))
            or not np.isfinite(negative_slope)
        ):
            raise ValueError(
                f"LeakyReLU: negative_slope={negative_slope!r} must be a finite number"
            )
        self.negative_slope = float(negative_slope)
        self._positive: Array | None = None
        self._dtype: np.dtype[Any] = np.dtype(np.float64)

    def forward(self, x: Array) -> Array:
        z = as_batch(x, "LeakyReLU")
        # The mask never leaves the module, so its buffer is always reused.
        positive = self._buffer("positive", z.shape, np.dtype(bool), True)
        np.greater(z, 0.0, out=positive)
        a = self._buffer("a", z.shape, z.dtype, self._reuse_output)
        np.multiply(z, self.negative_slope, out=a)
        np.copyto(a, z, where=positive)
        self._positive, self._dtype = positive, z.dtype
        return a

    def backward(self, grad_output: Array) -> Array:
        positive = _cached(self, self._positive, grad_output)
        out = self._buffer("dz", positive.shape, self._dtype, self._reuse_grad_input)
        np.multiply(grad_output, self.negative_slope, out=out)
        np.copyto(out, grad_output, where=positive)
        return out

    def config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    r"""The softmax :math:`s_k = e^{z_k} / \sum_j e^{z_j}` over ``axis`` (default: each row).

    Backward is the full Jacobian-vector product: with
    :math:`\partial s_k/\partial z_j = s_k(\mathbb{1}[j = k] - s_j)`,

    .. math::
        \frac{\partial J}{\partial z} = s \odot \Big(g - \sum_k g_k s_k\Big),
        \qquad g = \frac{\partial J}{\partial s}.

    To train a classifier, prefer :class:`CrossEntropyLoss` on the logits (it fuses
    the log-softmax, and its gradient is :math:`s - y`).

    Numerics:
        The input is shifted by its maximum along ``axis`` before ``exp`` (see
        :func:`softmax`): stable for any finite input.

    Args:
        axis: the axis that sums to 1: ``-1`` or ``1`` (over the outputs of each
            example, the default), ``0`` or ``-2`` (over the examples).

    Shape:
        - Input: :math:`(m, K)`. Output: same shape.

    Caches:
        The output :math:`s`.

    Example:
        >>> s = Softmax()
        >>> s
        Softmax(axis=-1)
        >>> s(np.array([[0.0, np.log(3.0)]]))
        array([[0.25, 0.75]])
        >>> s.backward(np.array([[1.0, 0.0]]))  # s0 (1 - s0), -s0 s1
        array([[ 0.1875, -0.1875]])
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        if (
            isinstance(axis, bool)
            or not isinstance(axis, (int, np.integer))
            or not (-2 <= axis <= 1)
        ):
            raise ValueError(
                f"Softmax: axis={axis!r} must be -1 or 1 (each row), or 0 or -2 (each column);"
                " inputs are 2-D (m, K)"
            )
        self.axis = int(axis)
        self._output: Array | None = None

    def forward(self, x: Array) -> Array:
        z = as_batch(x, "Softmax")
        a = self._buffer("a", z.shape, z.dtype, self._reuse_output)
        F.softmax(z, self.axis, out=a)
        self._output = a
        return a

    def backward(self, grad_output: Array) -> Array:
        s = _cached(self, self._output, grad_output)
        out = self._buffer("dz", s.shape, s.dtype, self._reuse_grad_input)
        np.multiply(grad_output, s, out=out)
        dot = out.sum(axis=self.axis, keepdims=True)
        np.subtract(grad_output, dot, out=out)
        out *= s
        return out

    def config(self) -> dict[str, Any]:
        return {"axis": self.axis}

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Identity(Module):
    r"""The identity :math:`a = z`, :math:`g'(z) = 1`: a placeholder, e.g. for a linear output layer.

    Forward and backward return copies (in the module's buffers), so the arrays a
    :class:`Sequential` hands out stay the caller's own, as for every other module.

    Shape:
        - Input: :math:`(m, n)`. Output: same shape.

    Example:
        >>> Identity()(np.array([[1.0, -2.0]]))
        array([[ 1., -2.]])
    """

    def __init__(self) -> None:
        super().__init__()
        self._output: Array | None = None

    def forward(self, x: Array) -> Array:
        z = as_batch(x, "Identity")
        a = self._buffer("a", z.shape, z.dtype, self._reuse_output)
        np.copyto(a, z)
        self._output = a
        return a

    def backward(self, grad_output: Array) -> Array:
        a = _cached(self, self._output, grad_output)
        out = self._buffer("dz", a.shape, a.dtype, self._reuse_grad_input)
        np.copyto(out, grad_output)
        return out
