"""Stateless numerical kernels shared by modules and losses (written once, tested once)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


def sigmoid(z: Array, out: Array | None = None) -> Array:
    r"""The logistic function :math:`g(z) = 1 / (1 + e^{-z})`, stable for any float input.

    For very negative ``z``, :math:`e^{-z}` overflows to ``inf`` and the result is the
    correct limit 0; only that overflow is silenced, locally. This form keeps full
    relative precision on both tails (unlike :math:`\frac{1}{2}(1 + \tanh(z/2))`).

    Args:
        z: any float array.
        out: optional array of the same shape and dtype to write into (may be ``z``).

    Example:
        >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
        array([0. , 0.5, 1. ])
    """
    a = np.negative(z, out=out)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)
    return a


def sigmoid_grad_from_output(a: Array, grad_output: Array, out: Array | None = None) -> Array:
    r"""Return ``grad_output * a * (1 - a)``, the notes' :math:`g'(z) = a(1 - a)` chain step."""
    res = np.subtract(1.0, a, out=out)
    res *= a
    res *= grad_output
    return res


def softmax(z: Array, axis: int = -1, out: Array | None = None) -> Array:
    r"""Return :math:`s_k = e^{z_k} / \sum_j e^{z_j}` along ``axis``, shifted by the maximum.

    Subtracting :math:`\max_j z_j` first leaves the result unchanged and keeps every
    exponent :math:`\le 0`, so no overflow for any finite input (``±1e4`` included).

    Example:
        >>> softmax(np.array([[1e4, 1e4 - np.log(3.0)]]))
        array([[0.75, 0.25]])
    """
    s: Array = np.subtract(z, z.max(axis=axis, keepdims=True), out=out)
    np.exp(s, out=s)
    s /= s.sum(axis=axis, keepdims=True)
    return s


def log_softmax(z: Array, axis: int = -1) -> Array:
    r"""Return :math:`\log s_k = z_k - \max z - \log\sum_j e^{z_j - \max z}` (a new array).

    Finite for any finite input: the log-sum-exp term is at least :math:`\log 1 = 0`.

    Example:
        >>> log_softmax(np.array([[0.0, 0.0]]))
        array([[-0.69314718, -0.69314718]])
    """
    shifted: Array = np.subtract(z, z.max(axis=axis, keepdims=True))
    lse = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    shifted -= lse
    return shifted


class ProbabilityGrad(np.ndarray):  # type: ignore[type-arg,unused-ignore]
    r"""A loss gradient :math:`\partial J/\partial a^{(L)}` that also knows :math:`\partial J/\partial z^{(L)}`.

    ``BCELoss.backward`` returns this array. It is an ordinary ndarray holding
    :math:`\partial J / \partial a`; in addition it remembers the prediction and target,
    so a :class:`~minitorch_bp.nn.Sigmoid` whose output *is* that prediction can return
    the notes' :math:`\delta^{(L)} = a^{(L)} - y` (times the reduction's scale) directly
    instead of dividing by :math:`a(1-a)` and multiplying back. The two agree to rounding
    for :math:`0 < a < 1`; the direct form stays exact when :math:`a` saturates to 0 or 1.
    Arrays derived from it (``g * 2``) do not carry the extra fields.
    """

    source: Array | None = None
    target: Array | None = None
    scale: float = 1.0
    #: :math:`\text{scale}\,(a - y)`, when the loss computed it already.
    delta: Array | None = None

    def delta_for(self, output: Array, out: Array | None = None) -> Array | None:
        """Return :math:`\\text{scale}\\,(a - y)` if ``output`` is the prediction, else ``None``.

        The loss's own array when it has one; otherwise written into ``out`` (a buffer
        of the output's shape and dtype) or a new array.
        """
        if self.source is not output or self.target is None or self.shape != output.shape:
            return None
        if self.delta is not None:
            return self.delta
        delta = np.subtract(self.source, self.target, out=out)
        if self.scale != 1.0:
            delta *= self.scale
        return delta
