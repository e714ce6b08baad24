"""read_csv: numbers, and clear messages for the user's mistakes."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
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
        ("a,y\n1,2\nabc,3\n", r"row 3, column 'a': 'abc' is not a number"),
        ("a,y\n1,2,3\n", "row 2 has 3 cells"),
        ("", "empty"),
        ("a,y\n", "no data rows"),
        ("a,y\n1,inf\n", "row 2, column 'y': 'inf' is not finite"),
        ("a,y\n1,nan\n", r"row 2, column 'y': the target is missing \('nan'\)"),
        ("a,y\n,1\n", r"row 2, column 'a': missing value \(''\); pass na='drop'"),
        ("a,a,y\n1,2,3\n", r"names column 'a' twice \(columns 1 and 2\)"),
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


def _peak_memory(read: Any) -> tuple[Any, int]:
    """What ``read()`` returns, and the peak of memory traced while it ran."""
    tracemalloc.start()
    try:
        return read(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_stays_under_three_times_the_arrays(tmp_path: Path) -> None:
    # Before: 12x (a 200 MB file took 1.93 GB for 160 MB of arrays): every cell was a str.
    rows, cols = 40_000, 12
    values = np.random.default_rng(0).normal(size=(rows, cols)).round(6)
    p = tmp_path / "big.csv"
    header = ",".join(f"c{j}" for j in range(cols - 1)) + ",y"
    np.savetxt(p, values, delimiter=",", header=header, comments="", fmt="%.6f")
    (X, y, _), peak = _peak_memory(lambda: read_csv(p, "y"))
    np.testing.assert_array_equal(X, values[:, :-1])
    assert peak < 3 * values.nbytes, (peak, values.nbytes)


def _csv(tmp_path: Path, text: str, name: str = "d.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_string_class_labels_become_a_text_target(tmp_path: Path) -> None:
    # Before: "'setosa' is not a number".
    p = _csv(
        tmp_path, "sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0, virginica\n"
    )
    X, y, names = read_csv(p, "species")
    assert y.dtype.kind == "U" and y.tolist() == ["setosa", "versicolor", "virginica"]
    assert X.tolist() == [[5.1, 1.4], [7.0, 4.7], [6.3, 6.0]] and names == ["sepal", "petal"]
    # A numeric-looking label column with one text cell is text throughout.
    mixed = read_csv(_csv(tmp_path, "a,label\n1,3\n2,x\n"), "label")
    assert mixed.y.tolist() == ["3", "x"]
    with pytest.raises(ValueError, match=r"row 3, column 'label': 'x' is not a number"):
        read_csv(_csv(tmp_path, "a,label\n1,3\n2,x\n"), "label", target_kind="number")
    ids = read_csv(_csv(tmp_path, "a,zip\n1,007\n2,10\n"), "zip", target_kind="text")
    assert ids.y.tolist() == ["007", "10"]
    with pytest.raises(ValueError, match="target_kind='words' must be one of"):
        read_csv(_csv(tmp_path, "a,y\n1,2\n"), "y", target_kind="words")  # type: ignore[arg-type]


def test_semicolon_and_tab_files_are_detected_and_decimal_commas_read(tmp_path: Path) -> None:
    semi = read_csv(_csv(tmp_path, "a;b;y\n1,5;2;0\n3;4,25;1\n"), "y", decimal=",")
    assert semi.delimiter == ";" and semi.X.tolist() == [[1.5, 2.0], [3.0, 4.25]]
    tab = read_csv(_csv(tmp_path, "a\tb\ty\n1\t2\t0\n"), "y")
    assert tab.delimiter == "\t" and tab.X.tolist() == [[1.0, 2.0]]
    quoted = read_csv(_csv(tmp_path, '"a,b";c;y\n1;2;3\n'), "y")  # the comma is quoted
    assert quoted.delimiter == ";" and quoted.features == ["a,b", "c"]
    given = read_csv(_csv(tmp_path, "a|y\n1|2\n"), "y", delimiter="|")
    assert given.X.tolist() == [[1.0]]
    with pytest.raises(
        ValueError, match=r"'1,5' is not a number; if ',' is the decimal mark, pass decimal=','"
    ):
        read_csv(_csv(tmp_path, "a;y\n1,5;0\n"), "y")
    with pytest.raises(ValueError, match="detected delimiter ',' is also the decimal mark"):
        read_csv(_csv(tmp_path, "a,y\n1,0\n"), "y", decimal=",")


def test_columns_are_chosen_by_name_and_unparsed_ones_may_hold_text(tmp_path: Path) -> None:
    # Before: an id column was used as a feature (or a text id refused the file).
    p = _csv(tmp_path, "id,x1,x2,x3,y\nA7,1,2,3,0\nB2,4,5,6,1\n")
    dropped = read_csv(p, "y", drop=["id"])
    assert dropped.features == ["x1", "x2", "x3"] and dropped.X.tolist() == [[1, 2, 3], [4, 5, 6]]
    chosen = read_csv(p, "y", features=["x3", "x1"])
    assert chosen.features == ["x3", "x1"] and chosen.X.tolist() == [[3, 1], [6, 4]]
    only = read_csv(p, None, features=["x2"])
    assert only.y is None and only.target is None and only.X.tolist() == [[2], [5]]
    for kwargs, message in [
        ({"drop": ["idx"]}, r"no column 'idx' \(drop\); the columns are \['id', 'x1'"),
        ({"features": ["x9"]}, r"no column 'x9' \(features\)"),
        ({"features": ["y"]}, "the target 'y' cannot also be a feature or dropped"),
        ({"features": ["x1"], "drop": ["id"]}, "give features= or drop=, not both"),
        ({"features": ["x1", "x1"]}, "names a column twice"),
        ({"features": "x1"}, "must be a list of column names"),
        ({"drop": ["id", "x1", "x2", "x3"]}, "no feature column is left"),
    ]:
        with pytest.raises(ValueError, match=message):
            read_csv(p, "y", **kwargs)  # type: ignore[arg-type]


def test_missing_values_error_drop_or_keep(tmp_path: Path) -> None:
    p = _csv(tmp_path, "a,b,y\n1,2,0\n3,NA,1\n,5,0\n7,8,?\n9,10,1\n")
    with pytest.raises(
        ValueError, match=r"d.csv: row 3, column 'b': missing value \('NA'\); pass na='drop'"
    ):
        read_csv(p, "y")
    dropped = read_csv(p, "y", na="drop")
    assert dropped.X.tolist() == [[1, 2], [9, 10]] and dropped.y.tolist() == [0, 1]
    assert dropped.dropped == [3, 4, 5]
    with pytest.raises(ValueError, match=r"row 5, column 'y': the target is missing \('\?'\)"):
        read_csv(p, "y", na="keep")
    no_target_gap = _csv(tmp_path, "a,b,y\n1,2,0\n3,NA,1\n,5,0\n", "k.csv")
    kept_table = read_csv(no_target_gap, "y", na="keep")
    assert kept_table.missing == 2
    np.testing.assert_array_equal(kept_table.X, [[1, 2], [3, np.nan], [np.nan, 5]])
    custom = read_csv(
        _csv(tmp_path, "a,y\n-999,0\n1,1\n", "c.csv"), "y", na="drop", na_values=["-999"]
    )
    assert custom.X.tolist() == [[1.0]]
    text = read_csv(_csv(tmp_path, "a,y\n1,cat\n2,\n3,dog\n", "t.csv"), "y", na="drop")
    assert text.y.tolist() == ["cat", "dog"] and text.dropped == [3]
    with pytest.raises(ValueError, match="every one of the 2 data rows has a missing value"):
        read_csv(_csv(tmp_path, "a,y\nNA,1\n2,\n", "e.csv"), "y", na="drop")


def test_option_checks(tmp_path: Path) -> None:
    p = _csv(tmp_path, "a,y\n1,0\n")
    for kwargs, message in [
        ({"delimiter": ";;"}, "delimiter=';;' must be one character"),
        ({"decimal": "_"}, "decimal='_' must be '.' or ','"),
        ({"na": "fill"}, "na='fill' must be one of"),
        ({"na_values": "NA"}, "na_values='NA' must be a list of strings"),
        ({"delimiter": ",", "decimal": ","}, "cannot also be the delimiter"),
    ]:
        with pytest.raises(ValueError, match=message):
            read_csv(p, "y", **kwargs)  # type: ignore[arg-type]


def test_text_targets_keep_the_memory_bound(tmp_path: Path) -> None:
    rows, cols = 20_000, 12
    values = np.random.default_rng(1).normal(size=(rows, cols)).round(6)
    labels = np.array(["alpha", "beta", "gamma"])[np.arange(rows) % 3]
    p = tmp_path / "big.csv"
    with open(p, "w") as f:
        f.write(",".join(f"c{j}" for j in range(cols)) + ",label\n")
        for row, label in zip(values, labels):
            f.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
    (X, y, _), peak = _peak_memory(lambda: read_csv(p, "label"))
    np.testing.assert_array_equal(X, values)
    assert y.tolist() == labels.tolist()
    assert peak < 3 * (values.nbytes + y.nbytes), (peak, values.nbytes)
