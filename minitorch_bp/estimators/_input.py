"""The estimators' inputs: ``X`` as arrays, lists or data frames, checked once at the boundary."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.data.missing import missing_error

Array = NDArray[Any]


def feature_names(X: Any, who: str) -> list[str] | None:
    """The column names of a data frame ``X`` (pandas, polars...) when all are text, else ``None``.

    Raises:
        TypeError: names that mix text and other types (as scikit-learn refuses them).
    """
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "shape") or isinstance(X, np.ndarray):
        return None
    names = list(columns)
    text = [isinstance(c, str) for c in names]
    if all(text) and names:
        return [str(c) for c in names]
    if any(text):
        raise TypeError(
            f"{who}: X's column names mix text and other types ({names[:6]!r:.120}); feature"
            " names are only supported when every column name is a string"
        )
    return None


def as_matrix(
    X: Any, who: str, *, allow_nan: bool, names: list[str] | None = None
) -> NDArray[np.float64]:
    """``X`` as a 2-D float64 array with one example per row (no copy when it already is one).

    Integers and booleans become float64; object arrays are converted cell by cell. NaN is
    allowed only with ``allow_nan`` (the estimator's ``na`` decides what to do with it);
    infinity never is. ``names`` (the feature names) go into the messages.

    Raises:
        TypeError: sparse matrices, or a cell that is neither a number nor text.
        ValueError: complex numbers, text that is not a number, not 2-D, no rows or no
            columns, infinity, or NaN where it is not allowed; each message names the
            argument and the values.
    """
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{who}: sparse input is not supported (a sparse matrix was passed, dense data is"
            " required); convert it with X.toarray()"
        )
    arr = np.asarray(X)
    if arr.dtype.kind == "c":
        raise ValueError(f"{who}: Complex data not supported; got dtype {arr.dtype}")
    if arr.dtype.kind not in "fiub":
        arr = _from_objects(arr, who)
    if arr.ndim == 1:
        raise ValueError(
            f"{who}: Expected 2D array, got 1D array instead (shape {arr.shape}). Reshape your"
            " data either using X.reshape(-1, 1) if it has a single feature or X.reshape(1, -1)"
            " if it is a single example."
        )
    if arr.ndim != 2:
        raise ValueError(
            f"{who}: X must be 2-D of shape (m, features) with one example per row; got shape"
            f" {arr.shape}"
        )
    m, n = arr.shape
    if m == 0:
        raise ValueError(
            f"{who}: Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is"
            " required."
        )
    if n == 0:
        raise ValueError(
            f"{who}: Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is"
            " required."
        )
    out = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(np.vdot(out, out)):  # one BLAS call on the usual, finite input
        infinite = np.isinf(out)
        if infinite.any():
            i, j = (int(v) for v in np.argwhere(infinite)[0])
            raise ValueError(
                f"{who}: Input X contains infinity ({out[i, j]} in row {i}, column {j});"
                " features must be finite"
            )
        error = None if allow_nan else missing_error(out, who, names)
        if error is not None:
            raise error
    return out


def _from_objects(arr: Array, who: str) -> Array:
    try:
        return arr.astype(np.float64)
    except TypeError as exc:  # a dict, a list, None...: numpy's message says which
        raise TypeError(f"{who}: X holds a value that is not a number ({exc})") from None
    except ValueError:
        pass
    flat = arr.reshape(-1) if arr.ndim else arr.reshape(1)
    for k, cell in enumerate(flat):
        try:
            float(cell)
        except (TypeError, ValueError):
            where = np.unravel_index(k, arr.shape) if arr.ndim else ()
            raise ValueError(
                f"{who}: X holds {cell!r:.60} at index {tuple(int(i) for i in where)}, which"
                " is not a number; features must be numeric (encode text columns first)"
            ) from None
    return arr.astype(np.float64)  # pragma: no cover - every cell converted above


def n_rows(y: Any) -> int:
    """The number of rows of an array-like ``y`` (lists included)."""
    arr = y if isinstance(y, np.ndarray) else np.asarray(y, dtype=object)
    return int(arr.shape[0]) if arr.ndim else 0
