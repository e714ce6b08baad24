"""Class labels: one-hot recoding of integer labels and its inverse, and encoding any labels as 0..K-1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = ["LabelEncoder", "as_labels", "encode_labels", "labels_from_one_hot", "one_hot"]

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


def _listed(values: NDArray[Any]) -> str:
    shown = ", ".join(repr(v.item()) for v in values[:_MAX_LISTED])
    return shown + (f", ... ({values.size} in all)" if values.size > _MAX_LISTED else "")


def as_labels(labels: ArrayLike, who: str, name: str = "y") -> NDArray[Any]:
    """``labels`` as a 1-D array of one kind: text (``str``), booleans or numbers.

    Lists and object arrays become a text, boolean or numeric array; bytes become text.
    NaN, infinity and a mix of text and numbers are refused, naming the first offender.

    Raises:
        ValueError: not 1-D, mixed kinds, or NaN / infinite values.

    Example:
        >>> as_labels(["setosa", "virginica"], "demo")
        array(['setosa', 'virginica'], dtype='<U9')
        >>> as_labels(["a", 1], "demo")
        Traceback (most recent call last):
        ...
        ValueError: demo: y mixes text and numbers (1 at index 1, 'a' at index 0); class labels must be all text or all numbers
    """
    # Lists go through an object array: np.asarray(["a", 1]) would quietly make "1" text.
    arr = labels if isinstance(labels, np.ndarray) else np.asarray(labels, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D of shape (m,), got shape {arr.shape}")
    if arr.dtype == object:
        text = np.array([isinstance(v, (str, bytes, np.str_, np.bytes_)) for v in arr], dtype=bool)
        if text.any() and not text.all():
            i, j = int(np.flatnonzero(~text)[0]), int(np.flatnonzero(text)[0])
            raise ValueError(
                f"{who}: {name} mixes text and numbers ({arr[i]!r} at index {i}, {arr[j]!r} at"
                f" index {j}); class labels must be all text or all numbers"
            )
        arr = np.array(arr.tolist()) if arr.size else np.array([], dtype=np.float64)
        if arr.dtype == object:  # None, dicts...: nothing numpy can hold as labels
            raise ValueError(
                f"{who}: {name} holds values that are neither text nor numbers, e.g. {arr[0]!r}"
            )
    if arr.dtype.kind == "S":
        arr = arr.astype(str)
    if arr.dtype.kind not in "biufU":
        raise ValueError(f"{who}: {name} must hold text or numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        kind = "NaN" if np.isnan(arr[i]) else "infinity"
        raise ValueError(
            f"{who}: Input {name} contains {kind} (at index {i}); labels must be finite"
        )
    return arr


@dataclass(frozen=True)
class LabelEncoder:
    """The distinct labels a classifier was fitted on, sorted: class ``k`` is ``classes[k]``.

    Produced by :func:`encode_labels`. :meth:`transform` maps labels to the codes
    ``0..K-1`` the network's outputs stand for and refuses a label it has not seen;
    :meth:`inverse_transform` maps codes back, so predictions come out in the user's own
    labels (strings included).

    Attributes:
        classes: the sorted distinct labels, shape ``(K,)`` (read-only): text, booleans or
            numbers, never Python objects, so a checkpoint stores them as a plain array.
    """

    classes: NDArray[Any]

    def __post_init__(self) -> None:
        classes = as_labels(self.classes, "LabelEncoder", "classes").copy()
        if classes.size == 0 or np.any(classes[1:] <= classes[:-1]):
            raise ValueError(
                f"LabelEncoder(classes={classes.tolist()!r:.200}) must be non-empty, sorted"
                " and without repeats"
            )
        classes.setflags(write=False)
        object.__setattr__(self, "classes", classes)

    @property
    def n_classes(self) -> int:
        """``K``, the number of classes."""
        return int(self.classes.shape[0])

    def transform(
        self, labels: ArrayLike, who: str = "LabelEncoder.transform"
    ) -> NDArray[np.int64]:
        """Return the code ``k`` of each label (``classes[k] == label``).

        Raises:
            ValueError: a label that is not among :attr:`classes` (the message lists the
                unseen labels and the known ones), or labels of another kind (text
                against numbers).
        """
        y = as_labels(labels, who)
        known = self.classes
        if (y.dtype.kind == "U") != (known.dtype.kind == "U") and y.size:
            raise ValueError(
                f"{who}: y holds {'text' if y.dtype.kind == 'U' else 'numbers'} but the"
                f" classes seen in fit are {_listed(known)}"
            )
        codes = np.searchsorted(known, y)
        found = known[np.minimum(codes, known.size - 1)] == y
        if not found.all():
            unseen = np.unique(y[~found])
            raise ValueError(
                f"{who}: y has {unseen.size} label(s) not seen in fit: {_listed(unseen)};"
                f" the classes are {_listed(known)}"
            )
        return codes.astype(np.int64)

    def inverse_transform(self, codes: ArrayLike) -> NDArray[Any]:
        """Return ``classes[codes]``: the labels of codes in ``0..K-1``."""
        arr = np.asarray(codes)
        if arr.size and (
            arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= self.n_classes
        ):
            raise ValueError(
                f"LabelEncoder.inverse_transform(codes) must be integers in 0..{self.n_classes - 1}"
            )
        out: NDArray[Any] = self.classes[arr]
        return out


def encode_labels(
    labels: ArrayLike, encoder: LabelEncoder | None = None
) -> tuple[NDArray[np.int64], LabelEncoder]:
    """Encode class labels of any kind (text, booleans, numbers) as ``0..K-1``.

    Fit on the training labels (the classes are their sorted distinct values) and pass
    the returned encoder for further labels, so that every set uses the training codes
    and a label the training set lacks is an error, never a silent remap.

    Args:
        labels: 1-D labels, ``(m,)``.
        encoder: from an earlier call; ``None`` fits one on ``labels``.

    Returns:
        ``(codes, encoder)``: int64 codes of shape ``(m,)`` and the :class:`LabelEncoder`.

    Raises:
        ValueError: see :func:`as_labels` and :meth:`LabelEncoder.transform`.

    Example:
        >>> codes, enc = encode_labels(["virginica", "setosa", "virginica"])
        >>> codes, enc.classes
        (array([1, 0, 1]), array(['setosa', 'virginica'], dtype='<U9'))
        >>> enc.inverse_transform([0, 1])
        array(['setosa', 'virginica'], dtype='<U9')
        >>> encode_labels(["setosa", "versicolor"], enc)
        Traceback (most recent call last):
        ...
        ValueError: encode_labels: y has 1 label(s) not seen in fit: 'versicolor'; the classes are 'setosa', 'virginica'
    """
    if encoder is None:
        y = as_labels(labels, "encode_labels")
        if y.size == 0:
            raise ValueError("encode_labels: cannot fit classes on 0 labels")
        encoder = LabelEncoder(np.unique(y))
    elif not isinstance(encoder, LabelEncoder):
        raise ValueError(
            f"encode_labels(encoder=...) must be a LabelEncoder or None, got {type(encoder).__name__}"
        )
    return encoder.transform(labels, "encode_labels"), encoder
