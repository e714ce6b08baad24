r"""The ``Loss`` base: checks, the reduction, sample weights and the cached batch.

Every loss returns :math:`J` from ``criterion(pred, target)`` and
:math:`\partial J / \partial\,\text{pred}` from ``criterion.backward()``. The
``reduction`` combines the element losses :math:`\ell_{ik}` (example :math:`i`, output
:math:`k`; a loss of class labels has one :math:`\ell_i` per example):

=============  ===================================================  ==========================
reduction      :math:`J`                                            note
=============  ===================================================  ==========================
``batchmean``  :math:`\frac{1}{W}\sum_i s_i \sum_k \ell_{ik}`          the notes' :math:`J(\Theta)` (default)
``sum``        :math:`\sum_i s_i \sum_k \ell_{ik}`                     the notes' regression cost
``mean``       :math:`\frac{1}{WK}\sum_i s_i \sum_k \ell_{ik}`         PyTorch's element ``mean``
``none``       the array :math:`s_i\ell_{ik}` (or :math:`s_i\ell_i`)    one loss per element
=============  ===================================================  ==========================

with :math:`s_i` the ``sample_weight`` of example :math:`i` (1 without) and
:math:`W = \sum_i s_i\omega_i` the batch's total weight: :math:`m` for unit weights, and
for a loss with class weights on label targets (:class:`CrossEntropyLoss`,
:class:`NLLLoss`) :math:`\omega_i = w_{c_i}` (0 for an ignored label), which is
PyTorch's weighted mean. No loss adds the :math:`\lambda` term: the optimizer does (see
:func:`~minitorch_bp.nn.l2_penalty`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch, check_finite, check_same_shape

Array = NDArray[Any]
Reduction = Literal["batchmean", "sum", "mean", "none"]

#: Added to a non-finite prediction's message: with a finite input, a weight diverged.
PREDICTION_HINT = (
    "; if the input was finite, a parameter has diverged (lower the learning rate, or"
    " check the model's parameters)"
)


class Loss:
    r"""Base class of the losses: validation, the reduction, sample weights and the cached batch.

    ``criterion(pred, target)`` checks both, keeps references to them and returns
    :math:`J` (a float), or with ``reduction="none"`` the element losses (a new array);
    ``criterion.backward()`` returns a new array :math:`\partial J/\partial\,\text{pred}`
    for that call. With ``reduction="none"``, ``backward(grad_output)`` takes the upstream
    gradient :math:`\partial J/\partial\ell` of those element losses (shaped like them)
    and returns :math:`\sum \frac{\partial J}{\partial\ell}\frac{\partial\ell}{\partial\,\text{pred}}`;
    with a scalar reduction a scalar ``grad_output`` scales the gradient.

    ``sample_weight`` (one number >= 0 per example, scikit-learn's) weights each
    example's loss: :math:`s_i\ell_i` summed, and ``batchmean`` divides by their total
    (see the module's table), as scikit-learn's MLP does.

    A subclass gives its element losses :meth:`losses` and the scaled gradient
    :meth:`gradient` (and, for speed, the unreduced sum :meth:`total`; all also used by
    :mod:`minitorch_bp.engine` on buffers it reuses) and, if needed, its own target and
    value checks.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.

    Attributes:
        m: the number of examples (rows) of the last call, the notes' :math:`m`.
    """

    #: How many arrays shaped like the prediction :meth:`total` can work in.
    scratch_arrays: ClassVar[int] = 0
    #: True when :meth:`check_values` refuses NaN and inf itself (a range check on the
    #: minimum and maximum does), so the separate finiteness passes are skipped.
    range_check_finds_non_finite: ClassVar[bool] = False
    #: True when there is one element loss per example (a loss of class labels).
    per_example: ClassVar[bool] = False

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
        self._weights: Array | None = None
        self._scale = 1.0

    # ----------------------------------------------------------------- calling
    def __call__(self, pred: Array, target: Any, sample_weight: Any = None) -> Any:
        """Return the reduced loss of ``pred`` against ``target`` (the element losses for ``"none"``)."""
        name = type(self).__name__
        pred = as_batch(pred, name, "prediction")
        if pred.shape[0] == 0:
            raise ValueError(f"{name}: the batch has 0 rows; a loss needs at least one example")
        target_arr = self.prepare_target(pred.shape, pred.dtype, np.asarray(target))
        if not self.range_check_finds_non_finite:
            check_finite(pred, name, "prediction", hint=PREDICTION_HINT)
            check_finite(target_arr, name, "target")
        self.check_values(pred, target_arr)
        weights = None if sample_weight is None else self.sample_weights(sample_weight, pred)
        self.m = pred.shape[0]
        self._pred, self._target, self._weights = pred, target_arr, weights
        if self.reduction == "none":
            ell = self.losses(pred, target_arr)
            if weights is not None:
                ell *= weights if ell.ndim == 1 else weights[:, None]
            return ell
        self._scale = self.batch_scale(pred.shape, target_arr, weights)
        if weights is None:
            return self._scale * self.total(pred, target_arr)
        return self._scale * self.weighted_total(pred, target_arr, weights)

    def backward(self, grad_output: Any = None) -> Array:
        r"""Return :math:`\partial J / \partial \text{pred}` for the last call (a new array).

        Args:
            grad_output: with ``reduction="none"``, :math:`\partial J/\partial\ell`, shaped
                like the element losses (required); otherwise an optional scalar factor.
        """
        pred, target = self._pred, self._target
        name = type(self).__name__
        if pred is None or target is None:
            raise RuntimeError(f"{name}: backward called before the loss")
        weights = self._weights
        factor: float | Array
        if self.reduction == "none":
            factor = self._upstream(grad_output, pred)
        elif grad_output is None:
            if weights is None:
                return self.gradient(pred, target, self._scale)
            factor = self._scale * weights[:, None]
        else:
            g = np.asarray(grad_output, dtype=np.float64)
            if g.size != 1:
                raise ValueError(
                    f"{name}.backward: reduction={self.reduction!r} gives one number, so"
                    f" grad_output must be a scalar; got shape {g.shape}"
                )
            factor = self._scale * float(g.reshape(()))
            if weights is not None:
                factor = factor * weights[:, None]
        return self.scaled_gradient(pred, target, factor)

    def _upstream(self, grad_output: Any, pred: Array) -> Array:
        name = type(self).__name__
        shape = (pred.shape[0],) if self.per_example else pred.shape
        if grad_output is None:
            raise ValueError(
                f"{name}.backward: reduction='none' returns one loss per element, so backward"
                f" needs grad_output, the gradient of J with respect to them (shape {shape});"
                " np.ones of that shape gives the gradient of their sum"
            )
        g = np.asarray(grad_output)
        if g.shape != shape or g.dtype.kind not in "fiu":
            raise ValueError(
                f"{name}.backward: grad_output has shape {g.shape} and dtype {g.dtype}; expected"
                f" numbers of shape {shape}, one per element loss"
            )
        check_finite(g, f"{name}.backward", "grad_output")
        factor: Array = g.astype(pred.dtype, copy=True)
        if self._weights is not None:
            factor *= self._weights if factor.ndim == 1 else self._weights[:, None]
        return factor[:, None] if factor.ndim == 1 else factor

    # ----------------------------------------------------------------- the reduction
    def scale(self, m: int, k: int) -> float:
        """The reduction's factor for unit weights: :math:`1/m` (batchmean), 1 (sum) or :math:`1/(mK)` (mean)."""
        if self.reduction == "batchmean":
            return 1.0 / m
        return 1.0 if self.reduction in ("sum", "none") else 1.0 / (m * k)

    @property
    def fixed_scale(self) -> bool:
        """Whether the reduction's factor depends on the batch's shape only (no class weights)."""
        return True

    def batch_scale(self, shape: tuple[int, ...], target: Array, weights: Array | None) -> float:
        r"""The reduction's factor for this batch: :math:`1/W`, 1 or :math:`1/(WK)` (see the module)."""
        if self.reduction in ("sum", "none"):
            return 1.0
        if weights is None and self.fixed_scale:
            return self.scale(shape[0], shape[1] if len(shape) > 1 else 1)
        total = self.total_weight(target, weights)
        if not total > 0:
            raise ValueError(
                f"{type(self).__name__}: the batch's total weight is {total}, so"
                f" reduction={self.reduction!r} has nothing to average (every example has"
                " weight 0 or is ignored)"
            )
        k = shape[1] if len(shape) > 1 else 1
        return 1.0 / total if self.reduction == "batchmean" else 1.0 / (total * k)

    def total_weight(self, target: Array, weights: Array | None) -> float:
        r""":math:`W = \sum_i s_i\omega_i`: the examples' weights (:math:`\omega_i = 1` here)."""
        return float(target.shape[0]) if weights is None else float(np.add.reduce(weights))

    def sample_weights(self, sample_weight: Any, pred: Array) -> Array:
        """Check ``sample_weight``: one finite number >= 0 per example, in the prediction's dtype."""
        name = type(self).__name__
        s = np.asarray(sample_weight)
        m = pred.shape[0]
        if s.shape != (m,) or s.dtype.kind not in "fiub":
            raise ValueError(
                f"{name}: sample_weight has shape {s.shape} and dtype {s.dtype}; expected {m}"
                " numbers >= 0, one per example (shape (m,))"
            )
        s = s.astype(pred.dtype, copy=False)
        check_finite(s, name, "sample_weight")
        low = float(s.min())
        if low < 0:
            raise ValueError(f"{name}: sample_weight must be >= 0; got min {low}")
        return s

    # ----------------------------------------------------------------- what a loss gives
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

    def losses(self, pred: Array, target: Array) -> Array:
        r"""The element losses :math:`\ell_{ik}` (shape of ``pred``), or :math:`\ell_i` for a loss of labels."""
        raise NotImplementedError

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        r"""The unreduced sum :math:`\sum_i\sum_k \ell_{ik}`, in ``scratch`` arrays if given."""
        return float(np.add.reduce(self.losses(pred, target), axis=None))

    def weighted_total(self, pred: Array, target: Array, weights: Array) -> float:
        r""":math:`\sum_i s_i \sum_k \ell_{ik}`."""
        ell = self.losses(pred, target)
        return float(np.dot(weights, ell if ell.ndim == 1 else np.add.reduce(ell, axis=1)))

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        r""":math:`\text{scale}\cdot\partial(\sum\ell)/\partial\,\text{pred}`, written into ``out`` if given."""
        raise NotImplementedError

    def scaled_gradient(
        self, pred: Array, target: Array, factor: float | Array, out: Array | None = None
    ) -> Array:
        r"""The gradient times ``factor``: a number, or per example (``(m, 1)``) or per element."""
        if np.ndim(factor) == 0:
            return self.gradient(pred, target, float(factor), out)
        grad = self.gradient(pred, target, 1.0, out)
        grad *= factor
        return grad

    def extra_repr(self) -> str:
        """The options besides the reduction, for ``repr``."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        return f"{type(self).__name__}(reduction={self.reduction!r}{', ' + extra if extra else ''})"


def class_weights(weight: Any, name: str, who: str) -> Array | None:
    """A per-class (per-output) weight vector: 1-D, finite, >= 0; stored read-only."""
    if weight is None:
        return None
    w = np.array(weight, dtype=np.float64, copy=True)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(
            f"{who}: {name} must be a 1-D array with one weight per class (output); got shape"
            f" {w.shape}"
        )
    check_finite(w, who, name)
    if float(w.min()) < 0:
        raise ValueError(f"{who}: {name} must be >= 0; got min {float(w.min())}")
    w.flags.writeable = False  # fixed at construction: a compiled step relies on it
    return w


def check_width(weight: Array | None, k: int, name: str, who: str) -> None:
    """Refuse a per-class weight whose length is not the prediction's ``K`` (no broadcasting)."""
    if weight is not None and weight.shape[0] != k:
        raise ValueError(
            f"{who}: {name} has {weight.shape[0]} entries but the prediction has {k} columns"
            " (classes); give one weight per column"
        )
