r"""The negative log-likelihood of class labels, on log-probabilities (after :class:`LogSoftmax`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.cross_entropy import ClassLabels

Array = NDArray[Any]


class NLLLoss(ClassLabels):
    r"""The negative log-likelihood :math:`\ell_i = -w_{c_i}\,x_{i,c_i}` of log-probabilities :math:`x`.

    Fed by :class:`LogSoftmax`, ``NLLLoss()(LogSoftmax()(z), c)`` is
    :class:`CrossEntropyLoss` on the logits :math:`z`, as in PyTorch; the gradient then
    reaches :math:`z` through the log-softmax's Jacobian, the same
    :math:`\text{softmax}(z) - y` to rounding.

    Reductions and weights are :class:`CrossEntropyLoss`'s: ``batchmean`` divides by
    :math:`\sum_i w_{c_i}` over the labels that are not ``ignore_index`` (PyTorch's mean).

    Gradient:
        :math:`\partial\ell_i/\partial x_{ik} = -w_{c_i}[k = c_i]` (0 for an ignored
        example), times the reduction's scale.

    Args:
        weight: one weight per class, >= 0.
        ignore_index: a label whose examples are left out (``None``: none).
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.

    Shape:
        - pred: :math:`(m, K)` log-probabilities. target: :math:`(m,)` integer labels.

    Example:
        >>> x = np.log(np.array([[0.25, 0.75], [0.5, 0.5]]))
        >>> nll = NLLLoss()
        >>> round(nll(x, np.array([1, 0])), 6)   # (-log 0.75 - log 0.5) / 2
        0.490415
        >>> nll.backward()
        array([[ 0. , -0.5],
               [-0.5,  0. ]])
    """

    def prepare_target(self, shape: tuple[int, ...], dtype: np.dtype[Any], target: Array) -> Array:
        m, _ = shape
        if target.ndim == 1 and target.shape[0] == m and target.dtype.kind in "iu":
            return target
        raise ValueError(
            f"NLLLoss: target has shape {target.shape} and dtype {target.dtype}; expected integer"
            f" class labels of shape ({m},) (for probability targets use CrossEntropyLoss on"
            " the logits)"
        )

    def check_values(self, pred: Array, target: Array) -> None:
        self.check_labels(pred, target)

    def _picked(self, target: Array) -> tuple[Array, Array, Array | None]:
        """The rows that count, their labels, and their weights (``None``: 1)."""
        kept = self.kept(target)
        rows = np.arange(target.shape[0]) if kept is None else np.flatnonzero(kept)
        labels = target[rows]
        return rows, labels, None if self._weight is None else self._weight[labels]

    def losses(self, pred: Array, target: Array) -> Array:
        rows, labels, w = self._picked(target)
        ell = np.zeros(pred.shape[0], dtype=pred.dtype)
        ell[rows] = -pred[rows, labels] if w is None else -w * pred[rows, labels]
        return ell

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = np.zeros_like(pred) if out is None else out
        if out is not None:
            grad.fill(0)
        rows, labels, w = self._picked(target)
        grad[rows, labels] = -scale if w is None else -scale * w
        return grad
