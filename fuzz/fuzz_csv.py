"""Atheris target: ``minitorch_bp.io.read_csv`` on arbitrary bytes.

Contract: any input either loads (finite float64 features of matching rows, a finite
float64 or text target) or raises ``ValueError``; any other exception is a finding.

Run: ``python fuzz/fuzz_csv.py CORPUS_DIR -max_total_time=60`` (see fuzz/run.py).
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    import numpy as np

    from minitorch_bp import io

PATH = os.path.join(tempfile.mkdtemp(prefix="fuzz-csv-"), "input.csv")


def test_one_input(data: bytes) -> None:
    with open(PATH, "wb") as f:
        f.write(data)
    try:
        X, y, names = io.read_csv(PATH, "label")
    except ValueError:
        return
    assert X.dtype == np.float64 and (y.dtype == np.float64 or y.dtype.kind == "U")
    assert X.shape == (y.shape[0], len(names)) and y.shape[0] >= 1
    assert np.all(np.isfinite(X)) and (y.dtype.kind == "U" or np.all(np.isfinite(y)))


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
