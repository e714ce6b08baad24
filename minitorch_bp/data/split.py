"""Seeded, shuffled train/test split of two row-aligned arrays."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minitorch_bp._random import as_generator

__all__ = ["train_test_split"]

Split = tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]


def _test_count(test_size: float | int, m: int) -> int:
    if isinstance(test_size, bool) or not isinstance(
        test_size, (int, float, np.integer, np.floating)
    ):
        raise ValueError(
            f"train_test_split(test_size={test_size!r}) must be a fraction in (0, 1) "
            "or an integer count"
        )
    if isinstance(test_size, (int, np.integer)):
        if not 1 <= test_size <= m - 1:
            raise ValueError(
                f"train_test_split(test_size={test_size}) as a count must be between "
                f"1 and {m - 1} for {m} examples"
            )
        return int(test_size)
    if not 0.0 < test_size < 1.0:
        raise ValueError(
            f"train_test_split(test_size={test_size!r}) as a fraction must lie strictly "
            "between 0 and 1"
        )
    count = math.ceil(float(test_size) * m)
    if not 1 <= count <= m - 1:
        raise ValueError(
            f"train_test_split(test_size={test_size!r}) gives {count} test examples out of "
            f"{m}; both parts must be non-empty"
        )
    return count


def _stratified_test_index(
    strata: NDArray[Any], n_test: int, rng: np.random.Generator
) -> NDArray[np.intp]:
    classes, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    # Largest-remainder allocation of n_test over the classes, proportional to size.
    exact = n_test * counts / counts.sum()
    per_class = np.floor(exact).astype(np.intp)
    leftover = n_test - int(per_class.sum())
    if leftover:
        by_remainder = np.argsort(-(exact - per_class), kind="stable")
        per_class[by_remainder[:leftover]] += 1
    picks = [
        rng.permutation(np.flatnonzero(inverse == c))[: per_class[c]] for c in range(classes.size)
    ]
    return np.concatenate(picks).astype(np.intp)


def train_test_split(
    X: ArrayLike,
    Y: ArrayLike,
    test_size: float | int,
    seed: int | np.random.Generator | None = None,
    *,
    stratify: ArrayLike | None = None,
) -> Split:
    """Shuffle the rows of ``X`` and ``Y`` together and split them into train and test parts.

    Args:
        X: inputs with rows as examples, ``(m, ...)``.
        Y: targets with the same number of rows, ``(m, ...)`` (1-D labels allowed).
        test_size: a fraction in ``(0, 1)`` (the test part gets
            ``ceil(test_size * m)`` rows) or an integer count in ``1 .. m-1``.
        seed: integer seed, ``None`` or a ``numpy.random.Generator``; the same seed
            gives the same split.
        stratify: optional 1-D labels of length ``m``; if given, each class keeps
            (up to rounding) the same share in the train and test parts.

    Returns:
        ``(X_train, X_test, Y_train, Y_test)``, new arrays (copies), each part in
        shuffled order.

    Shape:
        - X_train: ``(m - t, ...)``, X_test: ``(t, ...)`` with ``t`` test rows;
          likewise for ``Y``.

    Raises:
        ValueError: different row counts, fewer than 2 rows, a bad ``test_size``
            (wrong type, out of range, or leaving a part empty), or ``stratify``
            of the wrong shape.

    Example::

        >>> import numpy as np
        >>> X, y = np.arange(10).reshape(5, 2), np.arange(5)
        >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, seed=0)
        >>> print(y_tr, y_te)
        [3 0 1] [2 4]
        >>> print(X_te)
        [[4 5]
         [8 9]]
    """
    X_arr = np.asarray(X)
    Y_arr = np.asarray(Y)
    if X_arr.ndim == 0 or Y_arr.ndim == 0:
        raise ValueError(
            f"train_test_split(X, Y) must be arrays with rows as examples, got shapes "
            f"{X_arr.shape} and {Y_arr.shape}"
        )
    m = X_arr.shape[0]
    if Y_arr.shape[0] != m:
        raise ValueError(
            f"train_test_split(X, Y) must have the same number of rows, got "
            f"X.shape={X_arr.shape} and Y.shape={Y_arr.shape}"
        )
    if m < 2:
        raise ValueError(f"train_test_split(X) needs at least 2 rows to split, got {m}")
    n_test = _test_count(test_size, m)
    rng = as_generator(seed, "train_test_split", "seed")

    if stratify is None:
        order = rng.permutation(m)
        test_index, train_index = order[:n_test], order[n_test:]
    else:
        strata = np.asarray(stratify)
        if strata.shape != (m,):
            raise ValueError(
                f"train_test_split(stratify) must have shape ({m},), got {strata.shape}"
            )
        test_index = rng.permutation(_stratified_test_index(strata, n_test, rng))
        in_test = np.zeros(m, dtype=bool)
        in_test[test_index] = True
        train_index = rng.permutation(np.flatnonzero(~in_test))
    return X_arr[train_index], X_arr[test_index], Y_arr[train_index], Y_arr[test_index]
