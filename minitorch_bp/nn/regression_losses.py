r"""Regression losses less sensitive to outliers than the squared error: L1, Huber, smooth L1."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_nonnegative, check_positive
from minitorch_bp.nn.loss_base import Loss, Reduction

Array = NDArray[Any]


class L1Loss(Loss):
    r"""The absolute error :math:`\ell_{ik} = |\hat y_{ik} - y_{ik}|`, PyTorch's ``L1Loss``.

    Gradient:
        :math:`\partial\ell/\partial\hat y = \operatorname{sign}(\hat y - y)` (0 where they
        are equal, as PyTorch), times the reduction's scale: every example pulls with the
        same strength, so outliers weigh less than under :class:`MSELoss`.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` (PyTorch's default) or ``"none"``.

    Example:
        >>> l1 = L1Loss(reduction="sum")
        >>> l1(np.array([[0.5], [3.0]]), np.array([[1.0], [1.0]]))
        2.5
        >>> l1.backward()
        array([[-1.],
               [ 1.]])
    """

    def losses(self, pred: Array, target: Array) -> Array:
        return np.abs(np.subtract(pred, target))

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = np.subtract(pred, target, out=out)
        np.sign(grad, out=grad)
        if scale != 1.0:
            grad *= scale
        return grad


class HuberLoss(Loss):
    r"""The Huber loss, quadratic near the target and linear beyond :math:`\delta`, PyTorch's ``HuberLoss``.

    With :math:`r = \hat y - y`,

    .. math::
        \ell = \begin{cases}\frac{1}{2}r^2 & |r| < \delta \\ \delta\left(|r| - \frac{1}{2}\delta\right) & \text{otherwise}\end{cases}

    so for small errors it is the notes' :math:`\frac{1}{2}(y - \hat y)^2`.

    Gradient:
        :math:`\partial\ell/\partial\hat y = r` inside, :math:`\delta\operatorname{sign}(r)`
        outside: the notes' :math:`-(y - \hat y)`, clipped at :math:`\pm\delta`.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.
        delta: :math:`\delta > 0` (default 1).

    Example:
        >>> huber = HuberLoss(reduction="none", delta=1.0)
        >>> huber(np.array([[0.5, 3.0]]), np.array([[0.0, 0.0]]))
        array([[0.125, 2.5  ]])
    """

    def __init__(self, reduction: Reduction = "batchmean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_positive(delta, "delta", "HuberLoss")

    def losses(self, pred: Array, target: Array) -> Array:
        r = np.abs(np.subtract(pred, target))
        d = self.delta
        return np.where(r < d, 0.5 * r * r, d * (r - 0.5 * d))

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = np.subtract(pred, target, out=out)
        np.clip(grad, -self.delta, self.delta, out=grad)
        if scale != 1.0:
            grad *= scale
        return grad

    def extra_repr(self) -> str:
        return f"delta={self.delta}"


class SmoothL1Loss(Loss):
    r"""The smooth L1 loss, PyTorch's ``SmoothL1Loss``: the Huber loss divided by :math:`\beta`.

    .. math::
        \ell = \begin{cases}\frac{1}{2}r^2/\beta & |r| < \beta \\ |r| - \frac{1}{2}\beta & \text{otherwise}\end{cases}
        \qquad (r = \hat y - y;\ \beta = 0 \text{ gives } |r|).

    Gradient:
        :math:`r/\beta` inside, :math:`\operatorname{sign}(r)` outside.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.
        beta: :math:`\beta \ge 0` (default 1).

    Example:
        >>> smooth = SmoothL1Loss(reduction="none", beta=2.0)
        >>> smooth(np.array([[1.0, 3.0]]), np.array([[0.0, 0.0]]))
        array([[0.25, 2.  ]])
    """

    def __init__(self, reduction: Reduction = "batchmean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = check_nonnegative(beta, "beta", "SmoothL1Loss")

    def losses(self, pred: Array, target: Array) -> Array:
        r = np.abs(np.subtract(pred, target))
        b = self.beta
        if b == 0.0:
            return r
        return np.where(r < b, 0.5 * r * r / b, r - 0.5 * b)

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = np.subtract(pred, target, out=out)
        b = self.beta
        if b == 0.0:
            np.sign(grad, out=grad)
        else:
            inside = np.abs(grad) < b
            np.copyto(grad, np.where(inside, grad / b, np.sign(grad)))
        if scale != 1.0:
            grad *= scale
        return grad

    def extra_repr(self) -> str:
        return f"beta={self.beta}"
