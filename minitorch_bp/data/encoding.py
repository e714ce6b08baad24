"""One-hot recoding of integer class labels and its inverse."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = ["labels_from_one_hot", "one_hot"]

_MAX_LISTED = 10


def _integer_labels(labels: ArrayLike, where: str) -> NDArray[np.int64]:
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{where}(labels) must be 1-D of shape (m,), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{where}(labels) must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def one_hot(labels: ArrayLike, num_classes: int, *, dtype: DTypeLike = np.float64) -> NDArray[Any]:
    """Recode class labels ``y`` in ``{0, ..., K-1}`` as ``K`` binary outputs.

    Row ``i`` of the result is all zeros except a one in column ``labels[i]``, the
    target layout of a network with one output unit per class.

    Args:
        labels: 1-D integer array (or list) of class labels.
        num_classes: the number of classes ``K``, a positive integer.
        dtype: dtype of the result (default ``numpy.float64``).

    Shape:
        - labels: ``(m,)``
        - output: ``(m, K)``

    Raises:
        ValueError: ``labels`` not 1-D or not of an integer dtype, ``num_classes``
            not a positive integer, or labels outside ``0 .. K-1`` (listed in the
            message).

    Example::

        >>> print(one_hot([2, 0, 1, 2], num_classes=3))
        [[0. 0. 1.]
         [1. 0. 0.]
         [0. 1. 0.]
         [0. 0. 1.]]
    """
    if (
        not isinstance(num_classes, (int, np.integer))
        or isinstance(num_classes, bool)
        or num_classes < 1
    ):
        raise ValueError(f"one_hot(num_classes={num_classes!r}) must be a positive integer")
    k = int(num_classes)
    y = _integer_labels(labels, "one_hot")
    bad = (y < 0) | (y >= k)
    if np.any(bad):
        offending = np.unique(y[bad])
        listed = ", ".join(str(v) for v in offending[:_MAX_LISTED])
        if offending.size > _MAX_LISTED:
            listed += f", ... ({offending.size} distinct values)"
        raise ValueError(
            f"one_hot(labels) has values outside the range 0..{k - 1} for num_classes={k}: {listed}"
        )
    out = np.zeros((y.shape[0], k), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out


def labels_from_one_hot(Y: ArrayLike) -> NDArray[np.int64]:
    """Recover class labels from one-hot rows or per-class scores (row-wise argmax).

    Works for exact one-hot targets and for network outputs alike: each row's label
    is the column of its largest value (the first one on ties).

    Args:
        Y: 2-D array of one-hot rows or class scores.

    Shape:
        - Y: ``(m, K)`` with ``K >= 1``
        - output: ``(m,)``, dtype ``int64``

    Raises:
        ValueError: ``Y`` not 2-D or with no columns.

    Example::

        >>> import numpy as np
        >>> print(labels_from_one_hot(np.array([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]])))
        [1 0]
    """
    arr = np.asarray(Y)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(
            f"labels_from_one_hot(Y) must be 2-D of shape (m, K) with K >= 1, got shape {arr.shape}"
        )
    labels: NDArray[np.int64] = np.argmax(arr, axis=1).astype(np.int64)
    return labels
