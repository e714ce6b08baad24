"""Atheris target: ``minitorch_bp.io.load_checkpoint`` on arbitrary bytes.

Contract: any input either loads or raises ``CheckpointError`` (a ``ValueError``); any
other exception is a finding (atheris reports it with the input that caused it).

Run: ``python fuzz/fuzz_load.py CORPUS_DIR -max_total_time=60`` (see fuzz/run.py).
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from minitorch_bp import io

PATH = os.path.join(tempfile.mkdtemp(prefix="fuzz-load-"), "input.npz")


def test_one_input(data: bytes) -> None:
    with open(PATH, "wb") as f:
        f.write(data)
    try:
        ckpt = io.load_checkpoint(PATH)
    except io.CheckpointError:
        return
    # Whatever loads is a whole model: every parameter is finite-shaped and usable.
    for _name, p in ckpt.model.named_parameters():
        assert p.data.shape == p.shape


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
