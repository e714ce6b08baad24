"""``read_csv``: a user's numeric CSV file as feature and target arrays (no pandas)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray


def read_csv(
    path: str | Path, target: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    """Read a CSV file with a header row and numeric cells; split off the ``target`` column.

    Returns:
        ``(X, y, features)``: ``X`` of shape ``(m, n)``, ``y`` of shape ``(m,)`` and the
        names of ``X``'s columns.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, a missing ``target`` column (the message lists the
            columns there are), a row of the wrong length, or a non-numeric cell (the
            message names its row, column and value).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = path.write_text("a,b,label\\n1,2,0\\n3,4.5,1\\n")
        >>> X, y, names = read_csv(path, "label")
        >>> X.tolist(), y.tolist(), names
        ([[1.0, 2.0], [3.0, 4.5]], [0.0, 1.0], ['a', 'b'])
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [row for row in csv.reader(f) if row and any(c.strip() for c in row)]
    if not rows:
        raise ValueError(f"{path}: the file is empty; expected a header row and numeric rows")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise ValueError(f"{path}: no column {target!r}; the columns are {header}")
    if len(rows) < 2:
        raise ValueError(f"{path}: the file has a header but no data rows")
    values = np.empty((len(rows) - 1, len(header)), dtype=np.float64)
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}: row {i} has {len(row)} cells; the header has {len(header)}")
        for j, cell in enumerate(row):
            values[i - 2, j] = _number(cell, path, i, header[j])
    t = header.index(target)
    features = [h for j, h in enumerate(header) if j != t]
    return np.delete(values, t, axis=1), values[:, t].copy(), features


def _number(cell: str, path: Any, row: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(
            f"{path}: row {row}, column {column!r}: {cell!r} is not a number"
        ) from None
    if not np.isfinite(value):
        raise ValueError(f"{path}: row {row}, column {column!r}: {cell!r} is not finite")
    return value
