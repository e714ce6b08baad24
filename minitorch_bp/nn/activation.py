r"""Activation functions :math:`a^{(l)} = g(z^{(l)})`, applied element-wise."""

from __future__ import annotations

from typing import Any

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
                return delta
        if grad_output.shape != a.shape:
            raise ValueError(
                f"Sigmoid.backward got grad_output of shape {grad_output.shape};"
                f" expected {a.shape} to match the last forward"
            )
        out = self._buffer("dz", a.shape, a.dtype, self._reuse_grad_input)
        return F.sigmoid_grad_from_output(a, grad_output, out=out)
