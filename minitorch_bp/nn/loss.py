r"""The notes' two costs and PyTorch's logits form: ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``.

Each returns :math:`J` from ``criterion(pred, target)`` and :math:`\partial J/\partial\,\text{pred}`
from ``criterion.backward()``; the reductions, ``reduction="none"`` and ``sample_weight``
are the base's, :class:`~minitorch_bp.nn.Loss` (see :mod:`minitorch_bp.nn.loss_base`).
No loss adds the :math:`\lambda` term: the optimizer does (see :func:`l2_penalty`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_finite
from minitorch_bp.nn import functional as F
from minitorch_bp.nn.loss_base import (
    PREDICTION_HINT,
    Loss,
    Reduction,
    check_width,
    class_weights,
)

Array = NDArray[Any]

#: Lower bound on :math:`\log p` in :class:`BCELoss`, as in PyTorch.
LOG_CLAMP = F.LOG_CLAMP
#: Floor on :math:`a(1-a)` in the gradient of :class:`BCELoss`, as in PyTorch.
GRAD_EPS = F.GRAD_EPS

__all__ = ["BCELoss", "BCEWithLogitsLoss", "Loss", "MSELoss", "Reduction"]


class MSELoss(Loss):
    r"""Squared error with the notes' :math:`\frac{1}{2}`: :math:`\ell_{ik} = \frac{1}{2}(y_{ik} - \hat y_{ik})^2`.

    With ``reduction="sum"`` this is the notes' regression cost
    :math:`J = \frac{1}{2}\sum (y - \hat y)^2`; the default ``batchmean`` is the
    :math:`\frac{1}{2m}\sum (y - \hat y)^2` the notes call more accurate. PyTorch's
    ``MSELoss()`` (no :math:`\frac{1}{2}`, mean over elements) equals
    ``2 * MSELoss(reduction="mean")`` here.

    Gradient:
        :math:`\partial J / \partial \hat y = \text{scale}\,(\hat y - y) = -\text{scale}\,(y - \hat y)`,
        the notes' :math:`-(y - \hat y)` factor.

    Shape:
        - pred, target: :math:`(m, K)`, the same shape.

    Example:
        >>> mse = MSELoss(reduction="sum")
        >>> mse(np.array([[0.5], [1.0]]), np.array([[1.0], [1.0]]))
        0.125
        >>> mse.backward()
        array([[-0.5],
               [ 0. ]])
    """

    scratch_arrays = 1

    def losses(self, pred: Array, target: Array) -> Array:
        diff = np.subtract(pred, target)
        diff *= diff
        diff *= 0.5
        return diff

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        return F.mse_total(pred, target, scratch[0] if scratch else None)

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        return F.mse_grad(pred, target, scale, out=out)


class BCELoss(Loss):
    r"""Binary cross-entropy on probabilities, the notes' logistic cost.

    .. math::
        \ell_{ik} = -w_k\left[y_{ik}\log a_{ik} + (1 - y_{ik})\log(1 - a_{ik})\right]

    With the default ``batchmean`` (and no ``weight``, :math:`w_k = 1`) this is the notes'
    multi-class :math:`J(\Theta) = -\frac{1}{m}\sum_{i=1}^m\sum_{k=1}^K [\dots]` without
    the :math:`\lambda` term (see :func:`l2_penalty`).

    Gradient:
        :math:`\partial J/\partial a = \text{scale}\,w_k\frac{a - y}{a(1 - a)}`, which
        the notes write :math:`\frac{y-1}{a-1} - \frac{y}{a}`. Through a :class:`Sigmoid`
        it becomes the notes' :math:`\delta^{(L)} = a^{(L)} - y` (times :math:`w_k`).

    Numerics:
        As in PyTorch, each log is clamped at :data:`LOG_CLAMP` = -100 (so
        :math:`a = 0` with :math:`y = 1` costs 100, not inf), and the denominator
        :math:`a(1-a)` of the gradient is floored at :data:`GRAD_EPS` = 1e-12, so where a
        sigmoid has saturated (:math:`a(1-a) < 10^{-12}`) the chain gives less than
        :math:`a - y`. :class:`BCEWithLogitsLoss`, and the engine of
        :func:`~minitorch_bp.train.compile_step` when a ``Sigmoid`` feeds this loss, give
        exactly :math:`a - y`.

    Args:
        weight: one weight :math:`w_k \ge 0` per output (column), PyTorch's ``weight``
            broadcast over the rows; per-example weights are ``sample_weight``.
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` (PyTorch's default,
            over all :math:`mK` elements) or ``"none"``.

    Raises:
        ValueError: if ``pred`` or ``target`` lies outside :math:`[0, 1]`.

    Example:
        >>> bce = BCELoss()
        >>> round(bce(np.array([[0.8, 0.1]]), np.array([[1.0, 0.0]])), 6)
        0.328504
        >>> BCELoss(weight=[2.0, 0.0], reduction="none")(np.array([[0.8, 0.1]]), np.array([[1.0, 0.0]]))
        array([[0.4462871, 0.       ]])
    """

    scratch_arrays = 2
    range_check_finds_non_finite = True

    def __init__(self, weight: Any = None, reduction: Reduction = "batchmean") -> None:
        super().__init__(reduction)
        self._weight = class_weights(weight, "weight", type(self).__name__)

    @property
    def weight(self) -> Array | None:
        """The per-output weights (read-only; fixed when the loss is built), or ``None``."""
        return self._weight

    def check_values(self, pred: Array, target: Array) -> None:
        self.check_probabilities(pred, "prediction")
        self.check_probabilities(target, "target")
        check_width(self._weight, pred.shape[1], "weight", type(self).__name__)

    def check_probabilities(self, arr: Array, name: str) -> None:
        """Refuse values outside [0, 1] (NaN and inf included), naming ``name``."""
        lo, hi = float(np.minimum.reduce(arr, None)), float(np.maximum.reduce(arr, None))
        if not (lo >= 0.0 and hi <= 1.0):  # also false for NaN
            check_finite(arr, "BCELoss", name, hint=PREDICTION_HINT if name == "prediction" else "")
            hint = " (pass logits to BCEWithLogitsLoss instead)" if name == "prediction" else ""
            raise ValueError(
                f"BCELoss: {name} values must lie in [0, 1]; got min {lo}, max {hi}{hint}"
            )

    def losses(self, pred: Array, target: Array) -> Array:
        ell = np.multiply(target, F.clamped_log(pred))
        ell += np.subtract(1.0, target) * F.clamped_log(np.subtract(1.0, pred))
        np.negative(ell, out=ell)
        if self._weight is not None:
            ell *= self._weight
        return ell

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        if self._weight is not None:
            return float(np.add.reduce(self.losses(pred, target), axis=None))
        pair = (scratch[0], scratch[1]) if len(scratch) >= 2 else None
        return F.bce_total(pred, target, pair)

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = F.bce_grad(pred, target, scale, out=out)
        if self._weight is not None:
            grad *= self._weight
        return grad

    def extra_repr(self) -> str:
        return "" if self._weight is None else f"weight={self._weight.tolist()}"


class BCEWithLogitsLoss(Loss):
    r"""Binary cross-entropy on logits :math:`z^{(L)}`: ``BCELoss(Sigmoid(z))`` fused and stable.

    .. math::
        \ell_{ik} = w_k\left[p_k\,y_{ik}\log(1 + e^{-z_{ik}}) + (1 - y_{ik})\log(1 + e^{z_{ik}})\right]
        = w_k\left[(1 - y_{ik} + p_k y_{ik})\log(1 + e^{z_{ik}}) - p_k y_{ik} z_{ik}\right]

    computed with ``np.logaddexp`` so it stays finite for :math:`|z|` up to 1e4 and beyond,
    with no warnings. Without options (:math:`w = p = 1`) the gradient is the notes'
    :math:`\delta^{(L)} = g(z^{(L)}) - y` times the reduction's scale, exact at any
    :math:`z`; in general it is
    :math:`w_k\left[(1 - y + p_k y)\,g(z) - p_k y\right]`.

    Args:
        weight: one weight :math:`w_k \ge 0` per output, as :class:`BCELoss`.
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.
        pos_weight: one weight :math:`p_k \ge 0` per output on its positive examples,
            PyTorch's (e.g. :math:`p_k = n_{neg}/n_{pos}` for a rare class).

    Example:
        >>> loss = BCEWithLogitsLoss(reduction="sum")
        >>> round(loss(np.array([[1.5]]), np.array([[1.0]])), 6)  # -log(sigmoid(1.5))
        0.201413
        >>> loss(np.array([[1e4, -1e4]]), np.array([[0.0, 1.0]]))
        20000.0
        >>> rare = BCEWithLogitsLoss(pos_weight=[3.0], reduction="sum")
        >>> round(rare(np.array([[1.5]]), np.array([[1.0]])), 6)   # 3 · (-log sigmoid(1.5))
        0.60424
    """

    scratch_arrays = 1

    def __init__(
        self, weight: Any = None, reduction: Reduction = "batchmean", pos_weight: Any = None
    ) -> None:
        super().__init__(reduction)
        name = type(self).__name__
        self._weight = class_weights(weight, "weight", name)
        self._pos_weight = class_weights(pos_weight, "pos_weight", name)

    @property
    def weight(self) -> Array | None:
        """The per-output weights (read-only), or ``None``."""
        return self._weight

    @property
    def pos_weight(self) -> Array | None:
        """The per-output weights of the positive examples (read-only), or ``None``."""
        return self._pos_weight

    def check_values(self, pred: Array, target: Array) -> None:
        lo, hi = float(target.min()), float(target.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"BCEWithLogitsLoss: target values must lie in [0, 1]; got min {lo}, max {hi}"
            )
        check_width(self._weight, pred.shape[1], "weight", "BCEWithLogitsLoss")
        check_width(self._pos_weight, pred.shape[1], "pos_weight", "BCEWithLogitsLoss")

    def _positive(self, target: Array) -> Array:
        """:math:`p_k y_{ik}`."""
        assert self._pos_weight is not None
        return target * self._pos_weight

    def losses(self, pred: Array, target: Array) -> Array:
        softplus = np.logaddexp(0.0, pred)
        ell: Array
        if self._pos_weight is None:
            ell = softplus - target * pred
        else:
            py = self._positive(target)
            ell = softplus * (1.0 - target + py) - py * pred
        if self._weight is not None:
            ell *= self._weight
        return ell

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        if self._weight is not None or self._pos_weight is not None:
            return float(np.add.reduce(self.losses(pred, target), axis=None))
        softplus = np.logaddexp(0.0, pred, out=scratch[0] if scratch else None)
        return float(np.add.reduce(softplus, axis=None) - np.vdot(target, pred))

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = F.sigmoid(pred, out=out)
        if self._pos_weight is None:
            grad -= target
        else:
            py = self._positive(target)
            grad *= 1.0 - target + py
            grad -= py
        if self._weight is not None:
            grad *= self._weight
        if scale != 1.0:
            grad *= scale
        return grad

    def extra_repr(self) -> str:
        parts = []
        if self._weight is not None:
            parts.append(f"weight={self._weight.tolist()}")
        if self._pos_weight is not None:
            parts.append(f"pos_weight={self._pos_weight.tolist()}")
        return ", ".join(parts)
