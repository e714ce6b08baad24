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
