"""read_csv: numbers, and clear messages for the user's mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from minitorch_bp.io import read_csv


def test_reads_numbers_and_splits_the_target(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("x1, x2 ,y\n1,2,0\n\n3,-4e-1,1\n")
    X, y, names = read_csv(p, "y")
    assert X.tolist() == [[1.0, 2.0], [3.0, -0.4]] and y.tolist() == [0.0, 1.0]
    assert names == ["x1", "x2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", r"no column 'y'; the columns are \['a', 'b'\]"),
        ("a,y\n1,2\n3,abc\n", r"row 3, column 'y': 'abc' is not a number"),
        ("a,y\n1,2,3\n", "row 2 has 3 cells"),
        ("", "empty"),
        ("a,y\n", "no data rows"),
        ("a,y\n1,nan\n", "not finite"),
    ],
)
def test_errors(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "d.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_csv(p, "y")


def test_a_field_longer_than_the_csv_modules_limit_is_a_clear_error(tmp_path: Path) -> None:
    # Before: _csv.Error "field larger than field limit (131072)", a traceback in the CLI.
    p = tmp_path / "d.csv"
    p.write_text("a,note,y\n1,5,0\n2," + "x" * 200_000 + ",1\n")
    with pytest.raises(ValueError, match=r"d.csv: line 3: a field longer than 131,072 characters"):
        read_csv(p, "y")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-32"])
def test_files_with_a_byte_order_mark_are_decoded(tmp_path: Path, encoding: str) -> None:
    p = tmp_path / "d.csv"
    p.write_bytes("größe,y\n1.5,0\n2,1\n".encode(encoding))
    X, y, names = read_csv(p, "y")
    assert names == ["größe"] and X.tolist() == [[1.5], [2.0]]


def test_a_file_that_is_not_utf8_names_the_file_and_the_way_out(tmp_path: Path) -> None:
    # Before: a bare UnicodeDecodeError without the file name.
    p = tmp_path / "latin.csv"
    p.write_bytes("größe,y\n1,0\n".encode("latin-1"))
    with pytest.raises(
        ValueError, match=r"latin.csv: not UTF-8 text \(byte 0xf6 at offset 2\).*encoding="
    ):
        read_csv(p, "y")
    X, _, names = read_csv(p, "y", encoding="latin-1")
    assert names == ["größe"] and X.tolist() == [[1.0]]


def test_a_file_with_only_the_target_column_is_a_clear_error(tmp_path: Path) -> None:
    # Before: "Linear: in_features=0 must be a positive integer", far from the cause.
    p = tmp_path / "d.csv"
    p.write_text("y\n0\n1\n")
    with pytest.raises(ValueError, match=r"d.csv: only the target column 'y'; no feature columns"):
        read_csv(p, "y")


def test_peak_memory_stays_under_three_times_the_arrays(tmp_path: Path) -> None:
    # Before: 12x (a 200 MB file took 1.93 GB for 160 MB of arrays): every cell was a str.
    import tracemalloc

    import numpy as np

    rows, cols = 40_000, 12
    values = np.random.default_rng(0).normal(size=(rows, cols)).round(6)
    p = tmp_path / "big.csv"
    header = ",".join(f"c{j}" for j in range(cols - 1)) + ",y"
    np.savetxt(p, values, delimiter=",", header=header, comments="", fmt="%.6f")
    tracemalloc.start()
    try:
        X, y, _ = read_csv(p, "y")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(X, values[:, :-1])
    assert peak < 3 * values.nbytes, (peak, values.nbytes)
