r"""Losses between distributions and counts: ``KLDivLoss`` and ``PoissonNLLLoss``, as PyTorch's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_positive
from minitorch_bp.nn.loss_base import Loss, Reduction

Array = NDArray[Any]


def _flag(value: Any, name: str, who: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{who}: {name}={value!r} must be True or False")
    return bool(value)


class KLDivLoss(Loss):
    r"""The Kullback–Leibler divergence of a target distribution from a prediction given as log-probabilities.

    With :math:`x = \log q` the prediction (e.g. the output of :class:`LogSoftmax`) and
    :math:`y` the target probabilities,

    .. math::
        \ell_{ik} = y_{ik}\,(\log y_{ik} - x_{ik}) \quad (0 \text{ where } y_{ik} = 0),

    or with ``log_target=True`` (the target given as :math:`t = \log y`)
    :math:`\ell_{ik} = e^{t_{ik}}(t_{ik} - x_{ik})`. The default ``batchmean`` is
    :math:`\mathrm{KL}(y \,\|\, q)` averaged over the examples: PyTorch's recommended
    ``reduction="batchmean"`` (its default ``"mean"`` divides by :math:`mK` too, as ``mean``
    does here).

    Gradient:
        :math:`\partial\ell/\partial x = -y` (or :math:`-e^{t}`), times the reduction's scale.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.
        log_target: whether the target is given as log-probabilities.

    Raises:
        ValueError: a negative target probability.

    Example:
        >>> kl = KLDivLoss()
        >>> q = np.log(np.array([[0.5, 0.5]]))
        >>> round(kl(q, np.array([[0.9, 0.1]])), 6)   # 0.9 log 1.8 + 0.1 log 0.2
        0.368064
        >>> kl.backward()
        array([[-0.9, -0.1]])
    """

    def __init__(self, reduction: Reduction = "batchmean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = _flag(log_target, "log_target", "KLDivLoss")

    def check_values(self, pred: Array, target: Array) -> None:
        if not self.log_target and float(target.min()) < 0.0:
            raise ValueError(
                f"KLDivLoss: target probabilities must be >= 0; got min {float(target.min())}"
                " (pass log_target=True for log-probabilities)"
            )

    def _probabilities(self, target: Array) -> Array:
        return np.exp(target) if self.log_target else target

    def losses(self, pred: Array, target: Array) -> Array:
        if self.log_target:
            out: Array = np.exp(target) * (target - pred)
            return out
        positive = target > 0
        log_y = np.log(target, out=np.zeros_like(target), where=positive)
        ell: Array = np.where(positive, target * (log_y - pred), 0.0)
        return ell

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = np.negative(self._probabilities(target), out=out)
        if scale != 1.0:
            grad *= scale
        return grad

    def extra_repr(self) -> str:
        return f"log_target={self.log_target}"


class PoissonNLLLoss(Loss):
    r"""The negative log-likelihood of counts :math:`y` under a Poisson rate, PyTorch's ``PoissonNLLLoss``.

    With the prediction :math:`x` the log-rate (``log_input=True``, the default),

    .. math::
        \ell_{ik} = e^{x_{ik}} - y_{ik}\,x_{ik},

    or the rate itself (``log_input=False``): :math:`\ell = x - y\log(x + \epsilon)`. With
    ``full=True`` Stirling's term :math:`y\log y - y + \frac{1}{2}\log(2\pi y)` is added
    where :math:`y > 1` (it does not depend on :math:`x`).

    Gradient:
        :math:`e^{x} - y` (log-rates) or :math:`1 - y/(x + \epsilon)` (rates), times the
        reduction's scale.

    Args:
        log_input: whether the prediction is a log-rate.
        full: add Stirling's term.
        eps: :math:`\epsilon > 0` inside the log of a rate (default 1e-8).
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` (PyTorch's default) or ``"none"``.

    Raises:
        ValueError: a negative count, or a negative rate with ``log_input=False``.

    Example:
        >>> poisson = PoissonNLLLoss(reduction="none")
        >>> poisson(np.array([[0.0, np.log(2.0)]]), np.array([[1.0, 3.0]]))
        array([[ 1.        , -0.07944154]])
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        eps: float = 1e-8,
        reduction: Reduction = "batchmean",
    ) -> None:
        super().__init__(reduction)
        self.log_input = _flag(log_input, "log_input", "PoissonNLLLoss")
        self.full = _flag(full, "full", "PoissonNLLLoss")
        self.eps = check_positive(eps, "eps", "PoissonNLLLoss")

    def check_values(self, pred: Array, target: Array) -> None:
        if float(target.min()) < 0.0:
            raise ValueError(
                f"PoissonNLLLoss: target counts must be >= 0; got min {float(target.min())}"
            )
        if not self.log_input and float(pred.min()) < 0.0:
            raise ValueError(
                f"PoissonNLLLoss: with log_input=False the prediction is a rate and must be >= 0;"
                f" got min {float(pred.min())} (pass log_input=True for log-rates)"
            )

    def losses(self, pred: Array, target: Array) -> Array:
        ell: Array
        if self.log_input:
            ell = np.exp(pred) - target * pred
        else:
            ell = pred - target * np.log(pred + self.eps)
        if self.full:
            big = target > 1
            y = np.where(big, target, 1.0)
            stirling = y * np.log(y) - y + 0.5 * np.log(2 * math.pi * y)
            ell += np.where(big, stirling, 0.0)
        return ell

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        if self.log_input:
            grad = np.exp(pred, out=out)
            grad -= target
        else:
            grad = np.divide(target, pred + self.eps, out=out)
            np.subtract(1.0, grad, out=grad)
        if scale != 1.0:
            grad *= scale
        return grad

    def extra_repr(self) -> str:
        return f"log_input={self.log_input}, full={self.full}"
