r"""Softmax cross-entropy on logits, the multi-class counterpart of the notes' logistic cost."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn import functional as F
from minitorch_bp.nn.loss import Loss

Array = NDArray[Any]


class CrossEntropyLoss(Loss):
    r"""Softmax cross-entropy on logits :math:`z`: ``log_softmax`` and the negative log-likelihood, fused.

    With :math:`\log s_{ik} = z_{ik} - \log\sum_j e^{z_{ij}}` the element losses are
    :math:`\ell_{ik} = -y_{ik}\log s_{ik}`, so an example costs
    :math:`\sum_k \ell_{ik} = -\log s_{i,c_i}` for a class label :math:`c_i`.

    Targets, either:
        - class labels: integer array of shape :math:`(m,)` with values in
          :math:`0, \dots, K-1` (read as one-hot rows :math:`y_{ik} = [k = c_i]`);
        - probabilities (one-hot or soft): shape :math:`(m, K)`, values in
          :math:`[0, 1]`, each row summing to 1 (within :math:`\sqrt{\varepsilon}` of
          the dtype).

    Reductions (the package's table, over the :math:`m \times K` elements
    :math:`\ell_{ik}`): ``batchmean`` :math:`\frac{1}{m}\sum_i\sum_k \ell_{ik}` (the mean
    cross-entropy per example; default), ``sum``, and ``mean``
    :math:`\frac{1}{mK}\sum_i\sum_k\ell_{ik}`. **PyTorch's** ``CrossEntropyLoss()``
    **(its "mean") is this class's default** ``batchmean``; ``mean`` here divides by
    :math:`K` as well, so that "mean" means the same for every loss of the package.

    Gradient:
        :math:`\partial J/\partial z = \text{scale}\,(\text{softmax}(z) - y)`, the notes'
        :math:`\delta^{(L)} = a^{(L)} - y` for a softmax output layer, with scale
        :math:`1/m`, 1 or :math:`1/(mK)`.

    Numerics:
        The log-softmax is shifted by the row maximum, so logits of :math:`\pm 10^4`
        (and beyond) give a finite loss without warnings.

    Args:
        reduction: ``"batchmean"`` (default), ``"sum"`` or ``"mean"``.

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
    """

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
        k = pred.shape[1]
        if target.ndim == 1:
            bad = (target < 0) | (target >= k)
            if bad.any():
                where = np.flatnonzero(bad)
                raise ValueError(
                    f"CrossEntropyLoss: class labels must lie in 0..{k - 1} for {k} logits"
                    f" per row; got {where.size} out of range, e.g. {target[where[:5]].tolist()}"
                    f" at indices {where[:5].tolist()}"
                )
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

    def total(self, pred: Array, target: Array, scratch: Sequence[Array] = ()) -> float:
        log_probs = F.log_softmax(pred, axis=1)
        if target.ndim == 1:
            return -float(np.add.reduce(log_probs[np.arange(pred.shape[0]), target]))
        return -float(np.vdot(target, log_probs))

    def gradient(self, pred: Array, target: Array, scale: float, out: Array | None = None) -> Array:
        grad = F.softmax(pred, 1, out=out)
        if target.ndim == 1:
            grad[np.arange(pred.shape[0]), target] -= 1.0
        else:
            grad -= target
        if scale != 1.0:
            grad *= scale
        return grad
