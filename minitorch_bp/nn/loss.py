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

from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch, check_finite, check_same_shape
from minitorch_bp.nn import functional as F

Array = NDArray[Any]
Reduction = Literal["batchmean", "sum", "mean"]

#: Lower bound on :math:`\log p` in :class:`BCELoss`, as in PyTorch.
LOG_CLAMP = -100.0
#: Floor on :math:`a(1-a)` in the gradient of :class:`BCELoss`, as in PyTorch.
GRAD_EPS = 1e-12


def _clamped_log(p: Array, out: Array) -> Array:
    """Write max(log p, LOG_CLAMP) into ``out`` without evaluating log(0) (which warns).

    In float64, e^-100 is a normal number, so flooring p there first is exact and fast.
    In float32 it is subnormal and its log is off by 0.03, so the clamp is applied to
    the log instead, skipping the zeros.
    """
    if p.dtype == np.float64:
        np.maximum(p, _EXP_LOG_CLAMP, out=out)
        return np.log(out, out=out)
    out.fill(LOG_CLAMP)
    np.log(p, out=out, where=p > 0)
    return np.maximum(out, LOG_CLAMP, out=out)


_EXP_LOG_CLAMP = float(np.exp(LOG_CLAMP))


#: Added to a non-finite prediction's message: with a finite input, a weight diverged.
PREDICTION_HINT = (
    "; if the input was finite, a parameter has diverged (lower the learning rate, or"
    " check the model's parameters)"
)


class Loss:
    """Base class of the losses: validation, the reduction and the cached batch.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"`` or ``"mean"``.
    """

    def __init__(self, reduction: Reduction = "batchmean") -> None:
        if reduction not in get_args(Reduction):
            raise ValueError(
                f"{type(self).__name__}: reduction={reduction!r} must be one of"
                f" {get_args(Reduction)}"
            )
        self.reduction: Reduction = reduction
        self._pred: Array | None = None
        self._target: Array | None = None
        self._scale = 1.0
        self._buffers: dict[str, Array] = {}

    def _buffer(self, key: str, like: Array) -> Array:
        """A scratch array shaped like ``like``, reused from call to call (never returned)."""
        buf = self._buffers.get(key)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self._buffers[key] = np.empty_like(like)
        return buf

    def __call__(self, pred: Array, target: Any) -> float:
        """Return the reduced loss of ``pred`` against ``target`` and cache both."""
        name = type(self).__name__
        pred = as_batch(pred, name, "prediction")
        target_arr = self._prepare_target(pred, np.asarray(target))
        if not self._range_check_finds_non_finite:
            check_finite(pred, name, "prediction", hint=PREDICTION_HINT)
            check_finite(target_arr, name, "target")
        self._check_values(pred, target_arr)
        m, k = pred.shape
        self._scale = {"batchmean": 1.0 / m, "sum": 1.0, "mean": 1.0 / (m * k)}[self.reduction]
        self._pred, self._target = pred, target_arr
        return self._scale * self._total(pred, target_arr)

    def backward(self) -> Array:
        """Return :math:`\\partial J / \\partial \\text{pred}` for the last call."""
        if self._pred is None or self._target is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before the loss")
        return self._grad(self._pred, self._target, self._scale)

    def _prepare_target(self, pred: Array, target: Array) -> Array:
        """Check the target's shape and kind and return it in the prediction's dtype.

        The default wants the prediction's exact shape; a subclass with other target
        forms (class labels) overrides this hook.
        """
        name = type(self).__name__
        check_same_shape(pred, target, name)
        if target.dtype.kind not in "fiub":
            raise ValueError(f"{name}: target has dtype {target.dtype}; expected numbers")
        if target.dtype != pred.dtype:
            # Targets follow the prediction's dtype so float32 stays float32.
            target = target.astype(pred.dtype)
        return target

    #: True when :meth:`_check_values` refuses NaN and inf itself (a range check on the
    #: minimum and maximum does), so the separate finiteness passes are skipped.
    _range_check_finds_non_finite = False

    def _check_values(self, pred: Array, target: Array) -> None:
        """Hook for value-range checks of subclasses."""

    def _total(self, pred: Array, target: Array) -> float:
        raise NotImplementedError

    def _grad(self, pred: Array, target: Array, scale: float) -> Array:
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

    def _total(self, pred: Array, target: Array) -> float:
        diff = np.subtract(pred, target, out=self._buffer("diff", pred))
        return 0.5 * float(np.vdot(diff, diff))

    def _grad(self, pred: Array, target: Array, scale: float) -> Array:
        grad = np.subtract(pred, target)
        if scale != 1.0:
            grad *= scale
        return grad


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
        becomes :math:`\delta^{(L)} = a^{(L)} - y`; the returned array is a
        :class:`~minitorch_bp.nn.functional.ProbabilityGrad`, so that Sigmoid computes
        :math:`a - y` directly.

    Numerics:
        As in PyTorch, each log is clamped at :data:`LOG_CLAMP` = -100 (so
        :math:`a = 0` with :math:`y = 1` costs 100, not inf), and the denominator
        :math:`a(1-a)` of the gradient is floored at :data:`GRAD_EPS` = 1e-12.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"`` or ``"mean"``.

    Raises:
        ValueError: if ``pred`` or ``target`` lies outside :math:`[0, 1]`.

    Example:
        >>> bce = BCELoss()
        >>> round(bce(np.array([[0.8, 0.1]]), np.array([[1.0, 0.0]])), 6)
        0.328504
    """

    _range_check_finds_non_finite = True

    def _check_values(self, pred: Array, target: Array) -> None:
        for name, arr in (("prediction", pred), ("target", target)):
            lo, hi = float(arr.min()), float(arr.max())
            if not (lo >= 0.0 and hi <= 1.0):  # also false for NaN
                check_finite(
                    arr, "BCELoss", name, hint=PREDICTION_HINT if name == "prediction" else ""
                )
                hint = " (pass logits to BCEWithLogitsLoss instead)" if name == "prediction" else ""
                raise ValueError(
                    f"BCELoss: {name} values must lie in [0, 1]; got min {lo}, max {hi}{hint}"
                )

    def _total(self, pred: Array, target: Array) -> float:
        log_a = _clamped_log(pred, self._buffer("log_a", pred))
        one_minus = self._buffer("one_minus", pred)
        log_1ma = _clamped_log(np.subtract(1.0, pred, out=one_minus), self._buffer("log_1ma", pred))
        # The notes' form term by term; folding it into y(log a - log(1-a)) + log(1-a)
        # would cancel catastrophically when a is close to 1.
        one_minus_y = np.subtract(1.0, target, out=one_minus)
        return -float(np.vdot(target, log_a) + np.vdot(one_minus_y, log_1ma))

    def _grad(self, pred: Array, target: Array, scale: float) -> Array:
        # δ = scale·(a − y) first: a Sigmoid that produced ``pred`` returns it as is.
        delta = np.subtract(pred, target, out=self._buffer("delta", pred))
        if scale != 1.0:
            delta *= scale
        denom = np.subtract(1.0, pred, out=self._buffer("denom", pred))
        denom *= pred
        np.maximum(denom, GRAD_EPS, out=denom)
        grad = np.divide(delta, denom).view(F.ProbabilityGrad)
        grad.source, grad.target, grad.scale, grad.delta = pred, target, scale, delta
        return grad


class BCEWithLogitsLoss(Loss):
    r"""Binary cross-entropy on logits :math:`z^{(L)}`: ``BCELoss(Sigmoid(z))`` fused and stable.

    .. math::
        \ell_{ik} = \log(1 + e^{z_{ik}}) - y_{ik} z_{ik}

    computed with ``np.logaddexp`` so it stays finite for :math:`|z|` up to 1e4 and beyond,
    with no warnings. The gradient is the notes' :math:`\delta^{(L)} = g(z^{(L)}) - y`
    times the reduction's scale.

    Example:
        >>> loss = BCEWithLogitsLoss(reduction="sum")
        >>> round(loss(np.array([[1.5]]), np.array([[1.0]])), 6)  # -log(sigmoid(1.5))
        0.201413
        >>> loss(np.array([[1e4, -1e4]]), np.array([[0.0, 1.0]]))
        20000.0
    """

    def _check_values(self, pred: Array, target: Array) -> None:
        lo, hi = float(target.min()), float(target.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"BCEWithLogitsLoss: target values must lie in [0, 1]; got min {lo}, max {hi}"
            )

    def _total(self, pred: Array, target: Array) -> float:
        softplus = np.logaddexp(0.0, pred)
        return float(np.add.reduce(softplus, axis=None) - np.vdot(target, pred))

    def _grad(self, pred: Array, target: Array, scale: float) -> Array:
        grad = F.sigmoid(pred, out=np.empty_like(pred))
        grad -= target
        if scale != 1.0:
            grad *= scale
        return grad
