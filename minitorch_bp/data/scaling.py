"""Feature scaling fitted on training data and reused on test data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MinMax", "Standardizer", "min_max_scale", "scale_by_max", "standardize"]


def _float_matrix(X: ArrayLike, where: str) -> NDArray[np.floating[Any]]:
    """``X`` as a finite 2-D float array: float dtypes kept, others become float64."""
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"{where}(X) must be 2-D with rows as examples, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        out = arr
    elif np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        out = arr.astype(np.float64)
    else:
        raise ValueError(f"{where}(X) must be numeric (integer or float), got dtype {arr.dtype}")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{where}(X) contains NaN or infinite values")
    return out


def _column_stat(
    values: ArrayLike, n_features: int, where: str, name: str
) -> NDArray[np.floating[Any]]:
    arr = np.asarray(values)
    if arr.shape != (n_features,) or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(
            f"{where}({name}) must be numeric of shape ({n_features},) to match X, "
            f"got shape {arr.shape} and dtype {arr.dtype}"
        )
    out = arr.astype(np.result_type(arr.dtype, np.float32), copy=True)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{where}({name}) contains NaN or infinite values")
    out.setflags(write=False)
    return out


class _ShiftScale:
    """``(X - shift) / scale`` per column and its inverse; the subclasses name the two."""

    def _shift(self) -> NDArray[np.floating[Any]]:
        raise NotImplementedError

    def _scale(self) -> NDArray[np.floating[Any]]:
        raise NotImplementedError

    @property
    def n_features(self) -> int:
        """Number of columns the statistics were fitted on."""
        return int(self._shift().shape[0])

    def transform(self, X: ArrayLike) -> NDArray[np.floating[Any]]:
        """Return the scaled ``X``, in ``X``'s float dtype (integers become float64)."""
        who = f"{type(self).__name__}.transform"
        arr = _float_matrix(X, who)
        self._check_width(arr, who)
        return (arr - self._shift().astype(arr.dtype)) / self._scale().astype(arr.dtype)

    def inverse_transform(self, X: ArrayLike) -> NDArray[np.floating[Any]]:
        """Undo :meth:`transform`."""
        who = f"{type(self).__name__}.inverse_transform"
        arr = _float_matrix(X, who)
        self._check_width(arr, who)
        return arr * self._scale().astype(arr.dtype) + self._shift().astype(arr.dtype)

    def _check_width(self, arr: NDArray[Any], where: str) -> None:
        if arr.shape[1] != self.n_features:
            raise ValueError(
                f"{where}(X) has {arr.shape[1]} columns; the statistics were fitted on "
                f"{self.n_features}"
            )


@dataclass(frozen=True)
class Standardizer(_ShiftScale):
    """Per-column mean and standard deviation fitted on a training set.

    Produced by :func:`standardize`; apply it to further data with
    :meth:`transform` (``(X - mean) / std``) or ``standardize(X, stats)``, undo it with
    :meth:`inverse_transform` (``X * std + mean``). A column that is constant in the
    fitting data has ``std`` set to 1, so it maps to 0 instead of dividing by zero.

    Attributes:
        mean: column means, shape ``(n_features,)`` (read-only).
        std: column population standard deviations (``ddof=0``), with 1 in place
            of the 0 of constant columns, shape ``(n_features,)`` (read-only).
    """

    mean: NDArray[np.floating[Any]]
    std: NDArray[np.floating[Any]]

    def __post_init__(self) -> None:
        n = np.shape(self.mean)[0] if np.ndim(self.mean) == 1 else -1
        object.__setattr__(self, "mean", _column_stat(self.mean, n, "Standardizer", "mean"))
        object.__setattr__(self, "std", _column_stat(self.std, n, "Standardizer", "std"))
        if np.any(self.std <= 0):
            raise ValueError(f"Standardizer(std={self.std}) must be positive")

    def _shift(self) -> NDArray[np.floating[Any]]:
        return self.mean

    def _scale(self) -> NDArray[np.floating[Any]]:
        return self.std


@dataclass(frozen=True)
class MinMax(_ShiftScale):
    """Per-column minimum and maximum fitted on a training set: ``[min, max]`` maps to ``[0, 1]``.

    Produced by :func:`min_max_scale`. :meth:`transform` is ``(X - minimum) / (maximum -
    minimum)``, :meth:`inverse_transform` its inverse. A constant column (``maximum ==
    minimum``) is divided by 1, so it maps to 0. This is the range a sigmoid output unit
    can reach, as the notes' regression example needs (its targets are scaled into
    :math:`[0, 1]`).

    Attributes:
        minimum, maximum: shape ``(n_features,)`` (read-only), ``maximum >= minimum``.
    """

    minimum: NDArray[np.floating[Any]]
    maximum: NDArray[np.floating[Any]]

    def __post_init__(self) -> None:
        n = np.shape(self.minimum)[0] if np.ndim(self.minimum) == 1 else -1
        object.__setattr__(self, "minimum", _column_stat(self.minimum, n, "MinMax", "minimum"))
        object.__setattr__(self, "maximum", _column_stat(self.maximum, n, "MinMax", "maximum"))
        if np.any(self.maximum < self.minimum):
            raise ValueError(
                f"MinMax(minimum={self.minimum}, maximum={self.maximum}): maximum < minimum"
            )

    def _shift(self) -> NDArray[np.floating[Any]]:
        return self.minimum

    def _scale(self) -> NDArray[np.floating[Any]]:
        span = self.maximum - self.minimum
        return np.where(span > 0, span, 1.0).astype(span.dtype)


def standardize(
    X: ArrayLike, stats: Standardizer | None = None
) -> tuple[NDArray[np.floating[Any]], Standardizer]:
    """Scale each column of ``X`` to mean 0 and standard deviation 1.

    Fit on the training set and pass the returned statistics when scaling the
    test set, so both are scaled with the *training* mean and deviation.
    Constant columns (``std == 0``) are only centred: their ``std`` is taken as 1.

    Args:
        X: 2-D array with rows as examples.
        stats: statistics from an earlier call; ``None`` fits them on ``X``.

    Returns:
        ``(X_scaled, stats)``: the scaled array (float32 input stays float32,
        integer input becomes float64) and the :class:`Standardizer` used.

    Shape:
        - X, X_scaled: ``(m, n_features)``
        - stats.mean, stats.std: ``(n_features,)``

    Raises:
        ValueError: ``X`` not 2-D, not numeric, with NaN/inf, empty when fitting,
            or with a column count that does not match ``stats``.

    Example::

        >>> import numpy as np
        >>> X_train = np.array([[1.0, 10.0], [3.0, 10.0]])
        >>> X_train_s, stats = standardize(X_train)
        >>> print(X_train_s)
        [[-1.  0.]
         [ 1.  0.]]
        >>> print(stats.mean, stats.std)
        [ 2. 10.] [1. 1.]
        >>> X_test_s, _ = standardize(np.array([[4.0, 12.0]]), stats)
        >>> print(X_test_s)
        [[2. 2.]]
    """
    arr = _float_matrix(X, "standardize")
    if stats is None:
        if arr.shape[0] == 0:
            raise ValueError(f"standardize(X) cannot fit statistics on 0 rows (shape {arr.shape})")
        mean = arr.mean(axis=0)
        std = arr.std(axis=0)
        # Detect constant columns exactly (max == min); a rounding-level std would
        # otherwise blow such a column up instead of leaving it at 0.
        std[np.ptp(arr, axis=0) == 0] = 1
        stats = Standardizer(mean=mean, std=std)
    elif not isinstance(stats, Standardizer):
        raise ValueError(
            f"standardize(stats=...) must be a Standardizer or None, got {type(stats).__name__}"
        )
    return stats.transform(arr), stats


def scale_by_max(
    X: ArrayLike, maxima: ArrayLike | None = None
) -> tuple[NDArray[np.floating[Any]], NDArray[np.floating[Any]]]:
    """Divide each column of ``X`` by its largest absolute value.

    For non-negative data this is the division by the column maxima of the notes'
    regression example (``X / np.amax(X, axis=0)``), which maps every column into
    ``[0, 1]``; in general columns land in ``[-1, 1]``. An all-zero column has
    maximum 1 (it stays 0). Reuse the returned ``maxima`` for test data.

    Args:
        X: 2-D array with rows as examples.
        maxima: per-column divisors from an earlier call; ``None`` computes
            ``max(|X|)`` per column.

    Returns:
        ``(X_scaled, maxima)``: the scaled array (float32 input stays float32,
        integer input becomes float64) and the divisors used (read-only).

    Shape:
        - X, X_scaled: ``(m, n_features)``
        - maxima: ``(n_features,)``

    Raises:
        ValueError: ``X`` not 2-D, not numeric, with NaN/inf, empty when computing
            maxima, or ``maxima`` of the wrong shape or not positive.

    Example::

        >>> import numpy as np
        >>> X = np.array([[3, 5], [5, 1], [10, 2]])
        >>> X_scaled, maxima = scale_by_max(X)
        >>> print(X_scaled)
        [[0.3 1. ]
         [0.5 0.2]
         [1.  0.4]]
        >>> print(maxima)
        [10.  5.]
    """
    arr = _float_matrix(X, "scale_by_max")
    if maxima is None:
        if arr.shape[0] == 0:
            raise ValueError(f"scale_by_max(X) cannot compute maxima of 0 rows (shape {arr.shape})")
        fitted = np.abs(arr).max(axis=0)
        fitted[fitted == 0] = 1
        divisors = _column_stat(fitted, arr.shape[1], "scale_by_max", "maxima")
    else:
        divisors = _column_stat(maxima, arr.shape[1], "scale_by_max", "maxima")
        if np.any(divisors <= 0):
            raise ValueError(f"scale_by_max(maxima={divisors}) must be positive")
    return arr / divisors.astype(arr.dtype), divisors


def min_max_scale(
    X: ArrayLike, stats: MinMax | None = None
) -> tuple[NDArray[np.floating[Any]], MinMax]:
    """Map each column of ``X`` from its training range ``[min, max]`` onto ``[0, 1]``.

    Fit on the training set and pass the returned statistics for further data: values
    outside the training range land outside ``[0, 1]``. Constant columns map to 0.

    Args:
        X: 2-D array with rows as examples.
        stats: statistics from an earlier call; ``None`` fits them on ``X``.

    Returns:
        ``(X_scaled, stats)``: the scaled array (float32 input stays float32, integer
        input becomes float64) and the :class:`MinMax` used.

    Shape:
        - X, X_scaled: ``(m, n_features)``
        - stats.minimum, stats.maximum: ``(n_features,)``

    Raises:
        ValueError: ``X`` not 2-D, not numeric, with NaN/inf, empty when fitting, or
            with a column count that does not match ``stats``.

    Example::

        >>> import numpy as np
        >>> y_s, stats = min_max_scale(np.array([[75.0], [82.0], [93.0]]))
        >>> print(y_s.ravel().round(4), stats.minimum, stats.maximum)
        [0.     0.3889 1.    ] [75.] [93.]
        >>> print(stats.inverse_transform([[0.5]]))
        [[84.]]
    """
    arr = _float_matrix(X, "min_max_scale")
    if stats is None:
        if arr.shape[0] == 0:
            raise ValueError(
                f"min_max_scale(X) cannot fit statistics on 0 rows (shape {arr.shape})"
            )
        stats = MinMax(minimum=arr.min(axis=0), maximum=arr.max(axis=0))
    elif not isinstance(stats, MinMax):
        raise ValueError(
            f"min_max_scale(stats=...) must be a MinMax or None, got {type(stats).__name__}"
        )
    return stats.transform(arr), stats
