"""Missing values (NaN) in a feature matrix: refuse them, drop their rows, or fill in training means."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["NA_POLICIES", "MeanImputer", "check_na_policy", "impute_mean", "missing_error"]

NAPolicy = Literal["error", "drop", "mean"]
#: What an estimator does with a missing value: ``"error"`` (refuse, naming the row and
#: column), ``"drop"`` (leave its rows out of training and scoring) or ``"mean"`` (fill
#: it in with the column's mean over the training rows).
NA_POLICIES: tuple[str, ...] = get_args(NAPolicy)


def check_na_policy(na: Any, who: str) -> NAPolicy:
    """Return ``na`` if it is one of :data:`NA_POLICIES`, else raise ``ValueError``."""
    if not isinstance(na, str) or na not in NA_POLICIES:
        raise ValueError(f"{who}: na={na!r} must be one of {NA_POLICIES}")
    return na  # type: ignore[return-value]


def _column(names: Sequence[str] | None, j: int) -> str:
    return f"column {j} ({names[j]!r})" if names is not None else f"column {j}"


def missing_error(
    X: NDArray[Any], who: str, names: Sequence[str] | None = None, what: str = "X"
) -> ValueError | None:
    """The error for the first NaN in ``X`` (by row, then column), or ``None`` if there is none.

    Example:
        >>> print(missing_error(np.array([[1.0, 2.0], [3.0, np.nan]]), "fit", ["a", "b"]))
        fit: X has a missing value (NaN) in row 1, column 1 ('b'); 1 missing in all. Fill it in, or pass na='drop' (leave such rows out) or na='mean' (use the column's training mean)
    """
    mask = np.isnan(X)
    if not mask.any():
        return None
    i, j = (int(v) for v in np.argwhere(mask)[0])
    return ValueError(
        f"{who}: {what} has a missing value (NaN) in row {i}, {_column(names, j)};"
        f" {int(mask.sum())} missing in all. Fill it in, or pass na='drop' (leave such rows"
        " out) or na='mean' (use the column's training mean)"
    )


@dataclass(frozen=True)
class MeanImputer:
    """Column means of the training rows, filled in where a value is missing (NaN).

    Produced by :func:`impute_mean`; :meth:`transform` fills further data with the
    *training* means, so a row scored later is completed exactly as the training rows
    were.

    Attributes:
        means: shape ``(n_features,)`` (read-only), each column's mean over its present
            values in the fitting data.
    """

    means: NDArray[np.float64]

    def __post_init__(self) -> None:
        means = np.array(self.means, dtype=np.float64)
        if means.ndim != 1 or not np.isfinite(means).all():
            raise ValueError(f"MeanImputer(means={means!r:.100}) must be 1-D and finite")
        means.setflags(write=False)
        object.__setattr__(self, "means", means)

    @property
    def n_features(self) -> int:
        """Number of columns the means were fitted on."""
        return int(self.means.shape[0])

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return a float64 copy of ``X`` with each NaN replaced by its column's mean."""
        arr = np.array(X, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.n_features:
            raise ValueError(
                f"MeanImputer.transform(X) must have shape (m, {self.n_features}), got {arr.shape}"
            )
        rows, cols = np.nonzero(np.isnan(arr))
        arr[rows, cols] = self.means[cols]
        return arr


def impute_mean(
    X: ArrayLike, imputer: MeanImputer | None = None, names: Sequence[str] | None = None
) -> tuple[NDArray[np.float64], MeanImputer]:
    """Fill each missing value (NaN) of ``X`` with its column's mean over the present values.

    Fit on the training rows and pass the returned imputer for further data, so every set
    is completed with the training means.

    Args:
        X: 2-D float array with NaN where a value is missing.
        imputer: from an earlier call; ``None`` fits the means on ``X``.
        names: column names for the error message.

    Returns:
        ``(X_filled, imputer)``.

    Raises:
        ValueError: a column with no value present when fitting (there is no mean to
            take), or ``X`` of the wrong shape.

    Example:
        >>> X_filled, imp = impute_mean(np.array([[1.0, np.nan], [3.0, 4.0]]))
        >>> print(X_filled, imp.means)
        [[1. 4.]
         [3. 4.]] [2. 4.]
    """
    arr = np.asarray(X, dtype=np.float64)
    if imputer is None:
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise ValueError(f"impute_mean(X) must be 2-D with rows, got shape {arr.shape}")
        present = ~np.isnan(arr)
        counts = present.sum(axis=0)
        if np.any(counts == 0):
            j = int(np.flatnonzero(counts == 0)[0])
            raise ValueError(
                f"impute_mean: {_column(names, j)} has no value in any of the {arr.shape[0]}"
                " rows, so it has no mean to fill in; drop the column"
            )
        imputer = MeanImputer(np.where(present, arr, 0.0).sum(axis=0) / counts)
    return imputer.transform(arr), imputer
