r"""Softmax cross-entropy on logits, the multi-class counterpart of the notes' logistic cost."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn import functional as F
from minitorch_bp.nn.loss_base import Loss, Reduction, check_width, class_weights

Array = NDArray[Any]


class ClassLabels(Loss):
    r"""What :class:`CrossEntropyLoss` and :class:`NLLLoss` share: class weights and ignored labels.

    A label target :math:`c_i` gives example :math:`i` the weight :math:`\omega_i = w_{c_i}`
    (1 without ``weight``; 0 when :math:`c_i` is ``ignore_index``), and ``batchmean``
    divides by :math:`\sum_i s_i\omega_i`: PyTorch's weighted ``mean``.
    """

    per_example = True

    def __init__(
        self,
        weight: Any = None,
        ignore_index: int | None = None,
        reduction: Reduction = "batchmean",
    ) -> None:
        super().__init__(reduction)
        name = type(self).__name__
        self._weight = class_weights(weight, "weight", name)
        if ignore_index is not None and (
            isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer))
        ):
            raise ValueError(f"{name}: ignore_index={ignore_index!r} must be an integer or None")
        self._ignore_index = None if ignore_index is None else int(ignore_index)

    @property
    def weight(self) -> Array | None:
        """The per-class weights (read-only; fixed when the loss is built), or ``None``."""
        return self._weight

    @property
    def ignore_index(self) -> int | None:
        """The label whose examples count for nothing (``None``: none; PyTorch's default is -100)."""
        return self._ignore_index

    @property
    def fixed_scale(self) -> bool:
        return self._weight is None and self._ignore_index is None

    def kept(self, target: Array) -> Array | None:
        """The examples whose label is not ``ignore_index`` (``None``: all of them)."""
        if self._ignore_index is None or target.ndim != 1:
            return None
        return np.asarray(target != self._ignore_index)

    def example_weights(self, target: Array) -> Array | None:
        r""":math:`\omega_i` for label targets (``None`` when all are 1)."""
        if target.ndim != 1:
            return None
        kept = self.kept(target)
        if self._weight is None:
            return None if kept is None else kept.astype(np.float64)
        labels = target if kept is None else np.where(kept, target, 0)
        omega = self._weight[labels]
        return omega if kept is None else omega * kept

    def total_weight(self, target: Array, weights: Array | None) -> float:
        omega = self.example_weights(target)
        if omega is None:
            return super().total_weight(target, weights)
        return float(np.add.reduce(omega if weights is None else omega * weights))

    def check_labels(self, pred: Array, target: Array) -> None:
        """Refuse labels outside 0..K-1 (``ignore_index`` apart) and a weight of the wrong length."""
        name = type(self).__name__
        k = pred.shape[1]
        check_width(self._weight, k, "weight", name)
        if target.ndim != 1:
            return
        bad = (target < 0) | (target >= k)
        kept = self.kept(target)
        if kept is not None:
            bad &= kept
        if bad.any():
            where = np.flatnonzero(bad)
            ignored = (
                "" if self._ignore_index is None else f" (or ignore_index={self._ignore_index})"
            )
            raise ValueError(
                f"{name}: class labels must lie in 0..{k - 1}{ignored} for {k} logits per row;"
                f" got {where.size} out of range, e.g. {target[where[:5]].tolist()} at indices"
                f" {where[:5].tolist()}"
            )

    def extra_repr(self) -> str:
        parts = []
        if self._weight is not None:
            parts.append(f"weight={self._weight.tolist()}")
        if self._ignore_index is not None:
            parts.append(f"ignore_index={self._ignore_index}")
        return ", ".join(parts)


class CrossEntropyLoss(ClassLabels):
    r"""Softmax cross-entropy on logits :math:`z`: ``log_softmax`` and the negative log-likelihood, fused.

    With :math:`\log s_{ik} = z_{ik} - \log\sum_j e^{z_{ij}}`, each example costs

    .. math::
        \ell_i = -\sum_k C_{ik}\log s_{ik}, \qquad
        C_{ik} = (1 - \varepsilon)\,w_{c_i}[k = c_i] + \tfrac{\varepsilon}{K}\,w_k

    for a class label :math:`c_i` (PyTorch's ``weight`` :math:`w` and ``label_smoothing``
    :math:`\varepsilon`; without them :math:`\ell_i = -\log s_{i,c_i}`), and
    :math:`C_{ik} = w_k\big((1-\varepsilon)y_{ik} + \frac{\varepsilon}{K}\big)` for
    probability targets :math:`y`. An example whose label is ``ignore_index`` costs 0.

    Targets, either:
        - class labels: integer array of shape :math:`(m,)` with values in
          :math:`0, \dots, K-1` (read as one-hot rows :math:`y_{ik} = [k = c_i]`);
        - probabilities (one-hot or soft): shape :math:`(m, K)`, values in
          :math:`[0, 1]`, each row summing to 1 (within :math:`\sqrt{\varepsilon}` of
          the dtype). ``ignore_index`` does not apply to them (as in PyTorch).

    Reductions: ``batchmean`` :math:`\frac{1}{W}\sum_i \ell_i` (the mean cross-entropy per
    example, default) with :math:`W = \sum_i w_{c_i}` over the labels not ignored (:math:`m`
    without options), ``sum``, ``mean`` (``batchmean`` / :math:`K`) and ``none`` (the
    :math:`\ell_i`, shape :math:`(m,)`). **PyTorch's** ``CrossEntropyLoss()`` **(its
    "mean", weighted means included) is this class's default** ``batchmean``; ``mean``
    here divides by :math:`K` as well, so that "mean" means the same for every loss of
    the package.

    Gradient:
        :math:`\partial\ell_i/\partial z_i = \big(\sum_k C_{ik}\big)\,\text{softmax}(z_i) - C_i`;
        without options :math:`\text{softmax}(z) - y`, the notes'
        :math:`\delta^{(L)} = a^{(L)} - y` for a softmax output layer, times the scale.

    Numerics:
        The log-softmax is shifted by the row maximum, so logits of :math:`\pm 10^4`
        (and beyond) give a finite loss without warnings.

    Args:
        weight: one weight per class, >= 0 (PyTorch's ``weight``).
        ignore_index: a label whose examples are left out (PyTorch's default is -100; here
            ``None``, so every label outside 0..K-1 is an error unless named here).
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.
        label_smoothing: :math:`\varepsilon \in [0, 1]`, PyTorch's.

    Shape:
        - pred: :math:`(m, K)` logits. target: :math:`(m,)` labels or :math:`(m, K)`.

    Example:
        >>> ce = CrossEntropyLoss()
        >>> z = np.array([[0.0, np.log(3.0)], [0.0, 0.0]])
        >>> round(ce(z, np.array([1, 0])), 6)  # (-log 0.75 - log 0.5) / 2
        0.490415
        >>> ce.backward()  # (softmax(z) - y) / m
        array([[ 0.125, -0.125],
               [-0.25 ,  0.25 ]])
        >>> ce(np.array([[1e4, -1e4]]), np.array([1]))
        20000.0
        >>> masked = CrossEntropyLoss(ignore_index=-1)
        >>> round(masked(z, np.array([1, -1])), 6)  # the second example is left out
        0.287682
    """

    def __init__(
        self,
        weight: Any = None,
        ignore_index: int | None = None,
        reduction: Reduction = "batchmean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, ignore_index, reduction)
        try:
            eps = float(label_smoothing)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing={label_smoothing!r} must be a number in [0, 1]"
            ) from exc
        if isinstance(label_smoothing, bool) or not 0.0 <= eps <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing={label_smoothing!r} must be a number in [0, 1]"
            )
        self._label_smoothing = eps

    @property
    def label_smoothing(self) -> float:
        r"""PyTorch's :math:`\varepsilon` (fixed when the loss is built)."""
        return self._label_smoothing

    @property
    def plain(self) -> bool:
        """No weight, no ignored label, no smoothing: the notes' softmax cross-entropy."""
        return self.fixed_scale and self._label_smoothing == 0.0

    def prepare_target(self, shape: tuple[int, ...], dtype: np.dtype[Any], target: Array) -> Array:
        m, k = shape
        if target.ndim == 1 and target.shape[0] == m and target.dtype.kind in "iu":
            return target
        if target.shape == tuple(shape) and target.dtype.kind in "fiub":
            return target.astype(dtype, copy=False)
        if target.shape == tuple(shape):
            raise ValueError(f"CrossEntropyLoss: target has dtype {target.dtype}; expected numbers")
        hint = ""
        if target.ndim == 1 and target.shape[0] == m:
            hint = (
                f" This 1-D target has dtype {target.dtype}: class labels need an integer"
                " dtype (target.astype(np.int64))"
                + (", or reshape probabilities with target.reshape(-1, 1)" if k == 1 else "")
                + "."
            )
        raise ValueError(
            f"CrossEntropyLoss: prediction has shape {tuple(shape)} but target has shape"
            f" {target.shape}; expected integer class labels of shape ({m},) with values in"
            f" 0..{k - 1}, or probabilities of the prediction's shape {tuple(shape)}.{hint}"
        )

    def check_values(self, pred: Array, target: Array) -> None:
        self.check_labels(pred, target)
        if target.ndim == 1:
            return
        lo, hi = float(target.min()), float(target.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"CrossEntropyLoss: probability targets must lie in [0, 1]; got min {lo}, max {hi}"
            )
        sums = target.sum(axis=1)
        tol = math.sqrt(float(np.finfo(target.dtype).eps))
        bad_rows = np.flatnonzero(np.abs(sums - 1.0) > tol)
        if bad_rows.size:
            raise ValueError(
                f"CrossEntropyLoss: each row of a probability target must sum to 1 (within"
                f" {tol:.1e}); {bad_rows.size} row(s) do not, e.g. rows"
                f" {bad_rows[:5].tolist()} sum to {sums[bad_rows[:5]].tolist()}"
            )

    def coefficients(self, target: Array, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
        r"""The :math:`C_{ik}` of :math:`\ell_i = -\sum_k C_{ik}\log s_{ik}` (a new array)."""
        m, k = shape
        eps = self._label_smoothing
        if target.ndim == 1:
            C = np.zeros(shape, dtype=dtype)
            kept = self.kept(target)
            rows = np.arange(m) if kept is None else np.flatnonzero(kept)
            labels = target[rows]
            C[rows, labels] = (
                1.0 - eps if self._weight is None else (1.0 - eps) * self._weight[labels]
            )
            if eps:
                smooth = eps / k if self._weight is None else (eps / k) * self._weight
                C[rows] += smooth
            return C
        C = target * (1.0 - eps) + eps / k if eps else np.array(target, dtype=dtype, copy=True)
        if self._weight is not None:
            C *= self._weight
        return C

    def losses(self, pred: Array, target: Array) -> Array:
        log_probs = F.log_softmax(pred, axis=1)
        if self.plain and target.ndim == 1:
            return -log_probs[np.arange(pred.shape[0]), target]
        C = self.coefficients(target, pred.shape, pred.dtype)
        C *= log_probs
        ell: Array = -np.add.reduce(C, axis=1)
        return ell

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        if not self.plain:
            return float(np.add.reduce(self.losses(pred, target)))
        log_probs = F.log_softmax(pred, axis=1)
        if target.ndim == 1:
            return -float(np.add.reduce(log_probs[np.arange(pred.shape[0]), target]))
        return -float(np.vdot(target, log_probs))

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = F.softmax(pred, 1, out=out)
        if self.plain:
            if target.ndim == 1:
                grad[np.arange(pred.shape[0]), target] -= 1.0
            else:
                grad -= target
        else:
            C = self.coefficients(target, pred.shape, pred.dtype)
            grad *= np.add.reduce(C, axis=1, keepdims=True)  # (Σ_k C_ik) softmax(z_i)
            grad -= C
        if scale != 1.0:
            grad *= scale
        return grad

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] if super().extra_repr() else []
        if self._label_smoothing:
            parts.append(f"label_smoothing={self._label_smoothing}")
        return ", ".join(parts)
