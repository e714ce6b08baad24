"""``read_csv``: a user's CSV file as feature and target arrays (no pandas).

One streaming pass, block by block, into float64 arrays; text is allowed in the target
column only (class labels such as ``setosa``), where it becomes a ``str`` array.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

__all__ = ["DELIMITERS", "MISSING_VALUES", "Table", "read_csv"]

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
#: The delimiters ``read_csv`` detects, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Cells read as a missing value (compared after stripping spaces, ignoring case).
MISSING_VALUES = ("", "na", "n/a", "#n/a", "nan", "-nan", "null", "none", "<na>", "?")
NAMode = Literal["error", "drop", "keep"]
TargetKind = Literal["auto", "number", "text"]
_QUOTED = re.compile(r'"[^"]*"')
_FREED: NDArray[np.float64] = np.empty((0, 0))


@dataclass
class Table:
    """What :func:`read_csv` returns; unpacks as ``X, y, features``.

    Attributes:
        X: the feature columns, float64 of shape ``(m, n)``; NaN where a value is missing
            (``na="keep"`` only).
        y: the target column, shape ``(m,)``: float64 when every cell is a number,
            otherwise ``str`` (class labels); ``None`` without a ``target``.
        features: the names of ``X``'s columns, in ``X``'s order.
        target: the target column's name, or ``None``.
        delimiter: the delimiter used (given or detected).
        dropped: the file's line numbers of the rows left out for a missing value
            (``na="drop"``).
        missing: how many feature cells were missing and kept as NaN (``na="keep"``).
    """

    X: NDArray[np.float64]
    y: NDArray[Any] | None
    features: list[str]
    target: str | None = None
    delimiter: str = ","
    dropped: list[int] = field(default_factory=list)
    missing: int = 0

    def __iter__(self) -> Iterator[Any]:
        return iter((self.X, self.y, self.features))


def read_csv(
    path: str | Path,
    target: str | None = None,
    *,
    features: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    delimiter: str | None = None,
    decimal: str = ".",
    na: NAMode = "error",
    na_values: Sequence[str] = MISSING_VALUES,
    target_kind: TargetKind = "auto",
    encoding: str | None = None,
) -> Table:
    """Read a CSV file with a header row; split off the ``target`` column.

    The file is parsed in one pass, block by block, into float64 arrays: peak memory is
    about twice the arrays returned, whatever the file's size. Feature cells must be
    numbers; the target column may hold text (class labels), and is then returned as a
    ``str`` array (a second pass reads it as text when a cell turns out not to be a
    number).

    Args:
        path: the file.
        target: the name of the column to return as ``y``; ``None`` reads features only
            (rows to predict).
        features: the feature columns to keep, in this order (default: every column but
            the target and ``drop``); the others are not parsed at all.
        drop: columns to leave out (an ``id`` column, free text...).
        delimiter: the cell separator; by default the most frequent of
            :data:`DELIMITERS` in the header line (``,`` ``;`` tab ``|``).
        decimal: the decimal mark, ``"."`` or ``","`` (``1,5`` in a semicolon file).
        na: what to do with a missing cell (one of ``na_values``): ``"error"`` (the
            default; the message names its row and column), ``"drop"`` (leave the row out;
            :attr:`Table.dropped` lists them) or ``"keep"`` (NaN in ``X``, for an
            estimator's ``na="mean"``; a missing target is still an error).
        na_values: the cells that count as missing, compared after stripping spaces,
            ignoring case (default :data:`MISSING_VALUES`: empty, NA, N/A, NaN, null,
            None, ? ...).
        target_kind: ``"auto"`` (numbers when every target cell is one, else text),
            ``"number"`` (a cell that is not a number is an error naming it: a numeric
            target with a typo) or ``"text"`` (labels as written, even ``007``).
        encoding: the file's text encoding. By default UTF-8, or the encoding its
            byte-order mark names (UTF-8 with BOM, UTF-16, UTF-32).

    Returns:
        A :class:`Table`; ``X, y, features = read_csv(...)`` unpacks it.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, a missing ``target``, ``features`` or ``drop`` column
            (the message lists the columns there are), a repeated column name, no feature
            column, a row of the wrong length, a feature cell that is not a number, a
            non-finite cell, a missing cell under ``na="error"`` (the message names its
            row, column and value), a field longer than the csv module's limit, or text
            that is not in the encoding (the message names the byte, its offset and how to
            pass the encoding).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = path.write_text("a,b,label\\n1,2,0\\n3,4.5,1\\n")
        >>> X, y, names = read_csv(path, "label")
        >>> X.tolist(), y.tolist(), names
        ([[1.0, 2.0], [3.0, 4.5]], [0.0, 1.0], ['a', 'b'])
        >>> _ = path.write_text("id;size;species\\nA7;1,5;setosa\\nB2;NA;virginica\\n")
        >>> t = read_csv(path, "species", drop=["id"], decimal=",", na="keep")
        >>> t.X.tolist(), t.y.tolist(), t.delimiter, t.missing
        ([[1.5], [nan]], ['setosa', 'virginica'], ';', 1)
    """
    _check_options(delimiter, decimal, na, na_values)
    if target_kind not in get_args(TargetKind):
        raise ValueError(
            f"read_csv: target_kind={target_kind!r} must be one of {get_args(TargetKind)}"
        )
    chosen = encoding if encoding is not None else _encoding_from_bom(path)
    try:
        sep = delimiter if delimiter is not None else _detect_delimiter(path, chosen)
        if sep == decimal:
            raise ValueError(
                f"{path}: the detected delimiter {sep!r} is also the decimal mark; pass the"
                " delimiter, e.g. delimiter=';'"
            )
        spec = _Spec(path, target, features, drop, sep, decimal, na, na_values, target_kind)
        try:
            return _read(path, chosen, spec, text_target=target_kind == "text")
        except _TextTargetFound:
            return _read(path, chosen, spec, text_target=True)
    except UnicodeDecodeError as exc:
        raise _decode_error(path, chosen, exc) from None


def _check_options(delimiter: Any, decimal: Any, na: Any, na_values: Any) -> None:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"read_csv: delimiter={delimiter!r} must be one character, or None")
    if decimal not in (".", ","):
        raise ValueError(f"read_csv: decimal={decimal!r} must be '.' or ','")
    if decimal == delimiter:
        raise ValueError(f"read_csv: decimal={decimal!r} cannot also be the delimiter")
    if na not in get_args(NAMode):
        raise ValueError(f"read_csv: na={na!r} must be one of {get_args(NAMode)}")
    if isinstance(na_values, str) or not all(isinstance(v, str) for v in na_values):
        raise ValueError(f"read_csv: na_values={na_values!r} must be a list of strings")


class _TextTargetFound(Exception):  # noqa: N818 (a signal, not an error)
    """Raised on the first target cell that is not a number: read the file again, as text."""


@dataclass
class _Spec:
    """The options of one read_csv call."""

    path: Any
    target: str | None
    features: Sequence[str] | None
    drop: Sequence[str]
    delimiter: str
    decimal: str
    na: str
    na_values: Sequence[str]
    target_kind: str = "auto"

    @property
    def missing(self) -> frozenset[str]:
        return frozenset(v.strip().lower() for v in self.na_values)

    def columns(self, header: list[str]) -> tuple[list[int], int | None]:
        """The indices of the feature columns and of the target, checked against the header."""
        path, target = self.path, self.target
        seen: dict[str, int] = {}
        for j, name in enumerate(header):
            if name in seen:
                raise ValueError(
                    f"{path}: the header names column {name!r} twice (columns {seen[name] + 1}"
                    f" and {j + 1}); column names must be unique"
                )
            seen[name] = j
        for what, names in (("features", self.features or ()), ("drop", self.drop)):
            if isinstance(names, str):
                raise ValueError(f"read_csv: {what}={names!r} must be a list of column names")
            unknown = [c for c in names if c not in seen]
            if unknown:
                raise ValueError(
                    f"{path}: no column {unknown[0]!r} ({what}); the columns are {header}"
                )
        if target is not None and target not in seen:
            raise ValueError(f"{path}: no column {target!r}; the columns are {header}")
        if target is not None and (target in self.drop or target in (self.features or ())):
            raise ValueError(f"{path}: the target {target!r} cannot also be a feature or dropped")
        if self.features is not None and self.drop:
            raise ValueError("read_csv: give features= or drop=, not both")
        if self.features is not None:
            if len(set(self.features)) != len(self.features):
                raise ValueError(f"read_csv: features={list(self.features)} names a column twice")
            use = [seen[c] for c in self.features]
        else:
            use = [j for j, c in enumerate(header) if c != target and c not in self.drop]
        if not use:
            if target is not None and len(header) == 1:
                raise ValueError(
                    f"{path}: only the target column {target!r}; no feature columns to learn from"
                )
            raise ValueError(f"{path}: no feature column is left to read")
        return use, (None if target is None else seen[target])


def _encoding_from_bom(path: str | Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4)
    return next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")


def _detect_delimiter(path: str | Path, encoding: str) -> str:
    """The most frequent of :data:`DELIMITERS` in the first non-blank line, outside quotes."""
    with open(path, newline="", encoding=encoding) as f:
        line = ""
        for line in f:
            if line.strip():
                break
    unquoted = _QUOTED.sub("", line)
    counts = [unquoted.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ","


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


def _read(path: Any, encoding: str, spec: _Spec, *, text_target: bool) -> Table:
    with open(path, newline="", encoding=encoding) as f:
        rows = _rows(path, csv.reader(f, delimiter=spec.delimiter))
        first = next(rows, None)
        if first is None:
            raise ValueError(f"{path}: the file is empty; expected a header row and numeric rows")
        header = [h.strip() for h in first[1]]
        return _Parser(spec, header, text_target).parse(rows)


class _Parser:
    """Rows into float64 blocks: the feature cells, and the target as a last column or as text."""

    def __init__(self, spec: _Spec, header: list[str], text_target: bool) -> None:
        self.spec, self.header, self.text = spec, header, text_target
        self.use, self.t = spec.columns(header)
        self.numeric_target = self.t is not None and not text_target
        cols = [*self.use, self.t] if self.t is not None and not text_target else self.use
        self.names = [header[j] for j in cols]
        # itemgetter picks the cells in C; a single column still needs a tuple.
        self.take = itemgetter(*cols) if len(cols) > 1 else (lambda row: (row[cols[0]],))
        self.width = len(cols)
        self.whole_row = cols == list(range(len(header)))  # no cell to pick: the common case
        self.missing_cells = spec.missing
        # Markers numpy would parse as numbers ("-999") must send their rows to _slow.
        self.numeric_markers = np.array([v for v in self.missing_cells if _is_number(v)], float)
        self.dropped: list[int] = []
        self.kept_missing = 0

    def parse(self, rows: Iterator[tuple[int, list[str]]]) -> Table:
        spec, n = self.spec, len(self.header)
        blocks: list[NDArray[np.float64]] = []
        labels: list[NDArray[np.str_]] = []
        block, text, k = np.empty((_BLOCK_ROWS, self.width)), [], 0
        comma, whole_row, take = spec.decimal == ",", self.whole_row, self.take
        for line, row in rows:
            if len(row) != n:
                raise ValueError(
                    f"{spec.path}: row {line} has {len(row)} cells; the header has {n}"
                )
            if self.text:
                label = self._label(row, line)
                if label is None:
                    continue
            cells = row if whole_row else take(row)
            if comma:
                cells = tuple(c.replace(",", ".") for c in cells)
            try:
                block[k] = cells  # numpy parses the strings (surrounding spaces allowed)
                complete = bool(np.isfinite(block[k]).all()) and not (
                    self.numeric_markers.size and np.isin(block[k], self.numeric_markers).any()
                )
            except ValueError:
                complete = False
            if not complete and not self._slow(cells, line, block[k]):
                continue
            if self.text:
                text.append(label)
            k += 1
            if k == _BLOCK_ROWS:
                blocks.append(block)
                block, k = np.empty((_BLOCK_ROWS, self.width)), 0
                if self.text:
                    labels.append(np.array(text, dtype=str))
                    text = []
        if self.text:
            labels.append(np.array(text, dtype=str))
        blocks.append(block[:k])
        del block  # _table frees each block as it copies it; hold no other reference
        return self._table(blocks, labels)

    def _label(self, row: list[str], line: int) -> str | None:
        """The target cell as text; ``None`` drops the row (missing, under na='drop')."""
        assert self.t is not None
        cell = row[self.t].strip()
        if cell.lower() in self.missing_cells:
            self._missing(line, self.header[self.t], row[self.t], target=True)
            return None
        return cell

    def _slow(self, cells: Sequence[str], line: int, out: NDArray[np.float64]) -> bool:
        """Parse one row cell by cell, naming the cell at fault; ``False`` drops the row."""
        values = []
        for j, cell in enumerate(cells):
            name = self.names[j]
            is_target = self.numeric_target and j == self.width - 1
            if cell.strip().lower() in self.missing_cells:
                self._missing(line, name, cell, target=is_target)
                if self.spec.na == "drop":
                    return False
                self.kept_missing += 1
                values.append(np.nan)
                continue
            try:
                value = float(cell)  # also takes what numpy may not ("1_000")
            except ValueError:
                if is_target and self.spec.target_kind == "auto":
                    raise _TextTargetFound from None
                hint = (
                    "; if ',' is the decimal mark, pass decimal=','"
                    if "," in cell and self.spec.decimal == "."
                    else ""
                )
                raise ValueError(
                    f"{self.spec.path}: row {line}, column {name!r}: {cell[:60]!r} is not a"
                    f" number{hint}"
                ) from None
            if not np.isfinite(value):
                raise ValueError(
                    f"{self.spec.path}: row {line}, column {name!r}: {cell!r} is not finite"
                )
            values.append(value)
        out[:] = values
        return True

    def _missing(self, line: int, name: str, cell: str, *, target: bool) -> None:
        """A missing cell: raise under na='error' (and for a target under 'keep'), else count it."""
        spec = self.spec
        if spec.na == "drop":
            self.dropped.append(line)
            return
        what = "the target is missing" if target else "missing value"
        if spec.na == "error" or target:
            ways = "na='drop' (leave such rows out)"
            if not target:
                ways += " or na='keep' (NaN, for an estimator's na='mean')"
            raise ValueError(
                f"{spec.path}: row {line}, column {name!r}: {what} ({cell!r}); pass {ways}"
            )

    def _table(self, blocks: list[NDArray[np.float64]], labels: list[NDArray[np.str_]]) -> Table:
        spec = self.spec
        m = sum(len(b) for b in blocks)
        if m == 0:
            if self.dropped:
                raise ValueError(
                    f"{spec.path}: every one of the {len(self.dropped)} data rows has a missing"
                    " value; na='drop' left nothing"
                )
            raise ValueError(f"{spec.path}: the file has a header but no data rows")
        n_features = len(self.use)
        X = np.empty((m, n_features))
        y: NDArray[Any] | None = np.empty(m) if self.numeric_target else None
        start = 0
        for b, values in enumerate(blocks):
            rows_here = slice(start, start + len(values))
            X[rows_here] = values[:, :n_features]
            if y is not None:
                y[rows_here] = values[:, -1]
            start += len(values)
            blocks[b] = _FREED  # drop the reference so the block is freed as we go
        if self.text:
            y = np.concatenate(labels)
        return Table(
            X,
            y,
            [self.header[j] for j in self.use],
            spec.target,
            spec.delimiter,
            self.dropped,
            self.kept_missing,
        )


def _is_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


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
