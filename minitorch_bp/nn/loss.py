r"""Losses: :math:`J = \text{criterion}(\hat y, y)` and :math:`\partial J / \partial \hat y`.

Every loss returns a Python float from ``criterion(pred, target)`` and the gradient with
respect to ``pred`` from ``criterion.backward()``. The ``reduction`` says how the
element losses :math:`\ell_{ik}` (example :math:`i`, output :math:`k`) are combined:

=============  ==============================================  ==========================
reduction      :math:`J`                                       note
=============  ==============================================  ==========================
``batchmean``  :math:`\frac{1}{m}\sum_i \sum_k \ell_{ik}`          the notes' :math:`J(\Theta)` (default)
``sum``        :math:`\sum_i \sum_k \ell_{ik}`                    the notes' regression cost
``mean``       :math:`\frac{1}{mK}\sum_i \sum_k \ell_{ik}`        PyTorch's ``mean``
=============  ==============================================  ==========================

No loss adds the :math:`\lambda` term: the optimizer does (see :func:`l2_penalty`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch, check_finite, check_same_shape
from minitorch_bp.nn import functional as F

Array = NDArray[Any]
Reduction = Literal["batchmean", "sum", "mean"]

#: Lower bound on :math:`\log p` in :class:`BCELoss`, as in PyTorch.
LOG_CLAMP = F.LOG_CLAMP
#: Floor on :math:`a(1-a)` in the gradient of :class:`BCELoss`, as in PyTorch.
GRAD_EPS = F.GRAD_EPS

#: Added to a non-finite prediction's message: with a finite input, a weight diverged.
PREDICTION_HINT = (
    "; if the input was finite, a parameter has diverged (lower the learning rate, or"
    " check the model's parameters)"
)


class Loss:
    r"""Base class of the losses: validation, the reduction and the cached batch.

    ``criterion(pred, target)`` checks both, keeps references to them and returns
    :math:`J`; ``criterion.backward()`` returns a new array
    :math:`\partial J/\partial\,\text{pred}` for that call. A subclass gives the
    unreduced sum :meth:`total` and its scaled gradient :meth:`gradient` (both also used
    by :mod:`minitorch_bp.engine` on buffers it reuses) and, if needed, its own target
    and value checks.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"`` or ``"mean"``.

    Attributes:
        m: the number of examples (rows) of the last call, the notes' :math:`m`.
    """

    #: How many arrays shaped like the prediction :meth:`total` can work in.
    scratch_arrays: ClassVar[int] = 0
    #: True when :meth:`check_values` refuses NaN and inf itself (a range check on the
    #: minimum and maximum does), so the separate finiteness passes are skipped.
    range_check_finds_non_finite: ClassVar[bool] = False

    def __init__(self, reduction: Reduction = "batchmean") -> None:
        if reduction not in get_args(Reduction):
            raise ValueError(
                f"{type(self).__name__}: reduction={reduction!r} must be one of"
                f" {get_args(Reduction)}"
            )
        self.reduction: Reduction = reduction
        self.m = 0
        self._pred: Array | None = None
        self._target: Array | None = None
        self._scale = 1.0

    def __call__(self, pred: Array, target: Any) -> float:
        """Return the reduced loss of ``pred`` against ``target`` and cache both."""
        name = type(self).__name__
        pred = as_batch(pred, name, "prediction")
        if pred.shape[0] == 0:
            raise ValueError(f"{name}: the batch has 0 rows; a loss needs at least one example")
        target_arr = self.prepare_target(pred.shape, pred.dtype, np.asarray(target))
        if not self.range_check_finds_non_finite:
            check_finite(pred, name, "prediction", hint=PREDICTION_HINT)
            check_finite(target_arr, name, "target")
        self.check_values(pred, target_arr)
        self.m = pred.shape[0]
        self._scale = self.scale(*pred.shape)
        self._pred, self._target = pred, target_arr
        return self._scale * self.total(pred, target_arr)

    def backward(self) -> Array:
        r"""Return :math:`\partial J / \partial \text{pred}` for the last call (a new array)."""
        if self._pred is None or self._target is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before the loss")
        return self.gradient(self._pred, self._target, self._scale)

    def scale(self, m: int, k: int) -> float:
        """The reduction's factor: :math:`1/m` (batchmean), 1 (sum) or :math:`1/(mK)` (mean)."""
        if self.reduction == "batchmean":
            return 1.0 / m
        return 1.0 if self.reduction == "sum" else 1.0 / (m * k)

    def prepare_target(self, shape: tuple[int, ...], dtype: np.dtype[Any], target: Array) -> Array:
        """Check the target's shape and kind and return it in the prediction's dtype.

        The default wants the prediction's exact shape; a subclass with other target
        forms (class labels) overrides this.
        """
        name = type(self).__name__
        check_same_shape(shape, target, name)
        if target.dtype.kind not in "fiub":
            raise ValueError(f"{name}: target has dtype {target.dtype}; expected numbers")
        if target.dtype != dtype:
            # Targets follow the prediction's dtype so float32 stays float32.
            target = target.astype(dtype)
        return target

    def check_values(self, pred: Array, target: Array) -> None:
        """Refuse values outside the loss's domain (nothing by default)."""

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        r"""The unreduced sum :math:`\sum_i\sum_k \ell_{ik}`, in ``scratch`` arrays if given."""
        raise NotImplementedError

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        r""":math:`\text{scale}\cdot\partial(\sum\ell)/\partial\,\text{pred}`, written into ``out`` if given."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


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

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        return F.mse_total(pred, target, scratch[0] if scratch else None)

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        return F.mse_grad(pred, target, scale, out=out)


class BCELoss(Loss):
    r"""Binary cross-entropy on probabilities, the notes' logistic cost.

    .. math::
        \ell_{ik} = -\left[y_{ik}\log a_{ik} + (1 - y_{ik})\log(1 - a_{ik})\right]

    With the default ``batchmean`` this is the notes' multi-class
    :math:`J(\Theta) = -\frac{1}{m}\sum_{i=1}^m\sum_{k=1}^K [\dots]` without the
    :math:`\lambda` term (see :func:`l2_penalty`).

    Gradient:
        :math:`\partial J/\partial a = \text{scale}\,\frac{a - y}{a(1 - a)}`, which the
        notes write :math:`\frac{y-1}{a-1} - \frac{y}{a}`. Through a :class:`Sigmoid` it
        becomes the notes' :math:`\delta^{(L)} = a^{(L)} - y`.

    Numerics:
        As in PyTorch, each log is clamped at :data:`LOG_CLAMP` = -100 (so
        :math:`a = 0` with :math:`y = 1` costs 100, not inf), and the denominator
        :math:`a(1-a)` of the gradient is floored at :data:`GRAD_EPS` = 1e-12, so where a
        sigmoid has saturated (:math:`a(1-a) < 10^{-12}`) the chain gives less than
        :math:`a - y`. :class:`BCEWithLogitsLoss`, and the engine of
        :func:`~minitorch_bp.train.compile_step` when a ``Sigmoid`` feeds this loss, give
        exactly :math:`a - y`.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"`` or ``"mean"``.

    Raises:
        ValueError: if ``pred`` or ``target`` lies outside :math:`[0, 1]`.

    Example:
        >>> bce = BCELoss()
        >>> round(bce(np.array([[0.8, 0.1]]), np.array([[1.0, 0.0]])), 6)
        0.328504
    """

    scratch_arrays = 2
    range_check_finds_non_finite = True

    def check_values(self, pred: Array, target: Array) -> None:
        self.check_probabilities(pred, "prediction")
        self.check_probabilities(target, "target")

    def check_probabilities(self, arr: Array, name: str) -> None:
        """Refuse values outside [0, 1] (NaN and inf included), naming ``name``."""
        lo, hi = float(np.minimum.reduce(arr, None)), float(np.maximum.reduce(arr, None))
        if not (lo >= 0.0 and hi <= 1.0):  # also false for NaN
            check_finite(arr, "BCELoss", name, hint=PREDICTION_HINT if name == "prediction" else "")
            hint = " (pass logits to BCEWithLogitsLoss instead)" if name == "prediction" else ""
            raise ValueError(
                f"BCELoss: {name} values must lie in [0, 1]; got min {lo}, max {hi}{hint}"
            )

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        pair = (scratch[0], scratch[1]) if len(scratch) >= 2 else None
        return F.bce_total(pred, target, pair)

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        return F.bce_grad(pred, target, scale, out=out)


class BCEWithLogitsLoss(Loss):
    r"""Binary cross-entropy on logits :math:`z^{(L)}`: ``BCELoss(Sigmoid(z))`` fused and stable.

    .. math::
        \ell_{ik} = \log(1 + e^{z_{ik}}) - y_{ik} z_{ik}

    computed with ``np.logaddexp`` so it stays finite for :math:`|z|` up to 1e4 and beyond,
    with no warnings. The gradient is the notes' :math:`\delta^{(L)} = g(z^{(L)}) - y`
    times the reduction's scale, exact at any :math:`z`.

    Example:
        >>> loss = BCEWithLogitsLoss(reduction="sum")
        >>> round(loss(np.array([[1.5]]), np.array([[1.0]])), 6)  # -log(sigmoid(1.5))
        0.201413
        >>> loss(np.array([[1e4, -1e4]]), np.array([[0.0, 1.0]]))
        20000.0
    """

    scratch_arrays = 1

    def check_values(self, pred: Array, target: Array) -> None:
        lo, hi = float(target.min()), float(target.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"BCEWithLogitsLoss: target values must lie in [0, 1]; got min {lo}, max {hi}"
            )

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        softplus = np.logaddexp(0.0, pred, out=scratch[0] if scratch else None)
        return float(np.add.reduce(softplus, axis=None) - np.vdot(target, pred))

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = F.sigmoid(pred, out=out)
        grad -= target
        if scale != 1.0:
            grad *= scale
        return grad
