"""``read_csv``: a user's numeric CSV file as feature and target arrays (no pandas)."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Rows parsed into one block of the result; blocks are copied into X and y at the end.
_BLOCK_ROWS = 8192
#: Byte-order marks, longest first (UTF-32's little-endian mark starts with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_csv(
    path: str | Path, target: str, *, encoding: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    """Read a CSV file with a header row and numeric cells; split off the ``target`` column.

    The file is parsed in one pass, block by block, into float64 arrays: peak memory is
    about twice the arrays returned, whatever the file's size.

    Args:
        path: the file.
        target: the name of the column to return as ``y``.
        encoding: the file's text encoding. By default UTF-8, or the encoding its
            byte-order mark names (UTF-8 with BOM, UTF-16, UTF-32).

    Returns:
        ``(X, y, features)``: ``X`` of shape ``(m, n)``, ``y`` of shape ``(m,)`` and the
        names of ``X``'s columns.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, a missing ``target`` column (the message lists the
            columns there are), no column besides the target, a row of the wrong length,
            a non-numeric or non-finite cell (the message names its row, column and value),
            a field longer than the csv module's limit, or text that is not in the
            encoding (the message names the byte, its offset and how to pass the encoding).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = path.write_text("a,b,label\\n1,2,0\\n3,4.5,1\\n")
        >>> X, y, names = read_csv(path, "label")
        >>> X.tolist(), y.tolist(), names
        ([[1.0, 2.0], [3.0, 4.5]], [0.0, 1.0], ['a', 'b'])
    """
    chosen = encoding if encoding is not None else _encoding_from_bom(path)
    try:
        with open(path, newline="", encoding=chosen) as f:
            return _parse(path, csv.reader(f), target)
    except UnicodeDecodeError as exc:
        raise _decode_error(path, chosen, exc) from None


def _encoding_from_bom(path: str | Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4)
    return next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")


def _rows(path: Any, reader: Any) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of each row that is not blank."""
    try:
        for row in reader:
            if row and any(c.strip() for c in row):
                yield reader.line_num, row
    except csv.Error as exc:
        if "field larger than field limit" not in str(exc):
            raise ValueError(f"{path}: line {reader.line_num + 1}: {exc}") from None
        raise ValueError(
            f"{path}: line {reader.line_num}: a field longer than {csv.field_size_limit():,}"
            " characters (the csv module's limit); cells here are numbers"
        ) from None


def _parse(
    path: Any, reader: Any, target: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    rows = _rows(path, reader)
    first = next(rows, None)
    if first is None:
        raise ValueError(f"{path}: the file is empty; expected a header row and numeric rows")
    header = [h.strip() for h in first[1]]
    if target not in header:
        raise ValueError(f"{path}: no column {target!r}; the columns are {header}")
    if len(header) == 1:
        raise ValueError(
            f"{path}: only the target column {target!r}; no feature columns to learn from"
        )
    n = len(header)
    blocks: list[NDArray[np.float64]] = []
    block = np.empty((_BLOCK_ROWS, n))
    k = 0
    for line, row in rows:
        if len(row) != n:
            raise ValueError(f"{path}: row {line} has {len(row)} cells; the header has {n}")
        try:
            block[k] = row  # numpy parses the strings (surrounding spaces allowed)
        except ValueError:  # name the cell; float() also takes what numpy may not ("1_000")
            block[k] = [_number(cell, path, line, header[j]) for j, cell in enumerate(row)]
        if not np.isfinite(block[k]).all():
            j = int(np.flatnonzero(~np.isfinite(block[k]))[0])
            raise ValueError(f"{path}: row {line}, column {header[j]!r}: {row[j]!r} is not finite")
        k += 1
        if k == _BLOCK_ROWS:
            blocks.append(block)
            block, k = np.empty((_BLOCK_ROWS, n)), 0
    m = len(blocks) * _BLOCK_ROWS + k
    if m == 0:
        raise ValueError(f"{path}: the file has a header but no data rows")
    t = header.index(target)
    keep = [j for j in range(n) if j != t]
    X, y = np.empty((m, n - 1)), np.empty(m)
    for b, values in enumerate([*blocks, block[:k]]):
        rows_here = slice(b * _BLOCK_ROWS, b * _BLOCK_ROWS + len(values))
        X[rows_here], y[rows_here] = values[:, keep], values[:, t]
        if b < len(blocks):
            blocks[b] = block  # drop the reference so the block is freed as we go
    return X, y, [header[j] for j in keep]


def _number(cell: str, path: Any, row: int, column: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise ValueError(
            f"{path}: row {row}, column {column!r}: {cell[:60]!r} is not a number"
        ) from None


def _decode_error(path: Any, encoding: str, exc: UnicodeDecodeError) -> ValueError:
    """Name the first undecodable byte by its offset in the file (exc.start is per chunk)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, byte = 0, exc.object[exc.start : exc.start + 1]
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as inner:
                byte = inner.object[inner.start : inner.start + 1]
                offset += inner.start
                break
            offset += len(chunk)
    return ValueError(
        f"{path}: not {encoding.upper().replace('-SIG', '')} text (byte 0x{byte.hex()} at offset"
        f" {offset}); save the file as UTF-8, or pass its encoding, e.g."
        " read_csv(path, target, encoding='latin-1')"
    )
