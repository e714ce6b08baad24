"""Fuzzing in the normal suite: valid checkpoints and CSV files, mutated by hypothesis.

The contract (same as the atheris targets in fuzz/): any input either loads or raises
``CheckpointError`` (checkpoints) / ``ValueError`` (CSV), never another exception.
Mutations: truncation, byte flips, inserted bytes, in any combination. The example count
is ``FUZZ_EXAMPLES`` (default 150 per test, derandomised); CI raises it when atheris is
not available. Also the regressions atheris found (see docs/reliability.md).
"""

from __future__ import annotations

import io as _io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitorch_bp import io, nn, optim

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WORK = Path(tempfile.mkdtemp(prefix="minitorch-fuzz-test-"))


def _checkpoint_bytes() -> bytes:
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1))
    opt = optim.Adam(model.parameters(), lr=0.1)
    path = io.save(model, WORK / "seed.npz", optimizer=opt, extra={"epoch": 1, "w": np.ones(2)})
    return path.read_bytes()


SEED_NPZ = _checkpoint_bytes()
SEED_CSV = b"a,b,label\n1,2,0\n3,4.5,1\n-1e3,0.25,1\n"

mutation = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 1 << 16), st.binary(max_size=0)),
    st.tuples(st.just("flip"), st.integers(0, 1 << 16), st.binary(min_size=1, max_size=1)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 16), st.binary(min_size=1, max_size=16)),
)


def _mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for kind, at, payload in ops:
        i = at % (len(buf) + 1)
        if kind == "truncate":
            del buf[i:]
        elif kind == "flip" and buf:
            buf[i % len(buf)] ^= payload[0] or 1
        elif kind == "insert":
            buf[i:i] = payload
    return bytes(buf)


def _load_or_refuse(data: bytes) -> None:
    path = WORK / "fuzz.npz"
    path.write_bytes(data)
    try:
        ckpt = io.load_checkpoint(path)
    except io.CheckpointError:
        return
    for p in ckpt.model.parameters():
        assert np.asarray(p.data).shape == p.shape


def _csv_or_refuse(data: bytes) -> None:
    path = WORK / "fuzz.csv"
    path.write_bytes(data)
    try:
        X, y, names = io.read_csv(path, "label")
    except ValueError:
        return
    assert X.shape == (len(y), len(names)) and np.all(np.isfinite(X))
    # The target is numbers (finite) or, when a cell is not a number, class labels as text.
    assert y.dtype.kind == "U" or (y.dtype == np.float64 and np.all(np.isfinite(y)))


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_checkpoints_load_or_raise_checkpoint_error(
    ops: list[tuple[str, int, bytes]],
) -> None:
    _load_or_refuse(_mutate(SEED_NPZ, ops))


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_csv_files_load_or_raise_value_error(ops: list[tuple[str, int, bytes]]) -> None:
    _csv_or_refuse(_mutate(SEED_CSV, ops))


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_as_csv(data: bytes) -> None:
    _csv_or_refuse(b"label,x\n" + data)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 4))
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=12,
    )
)
def test_headers_of_any_json_shape(value: object) -> None:
    """Any JSON in the header's model/parameters/optimizer/extra slots is refused cleanly."""
    with np.load(_io.BytesIO(SEED_NPZ)) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(arrays["__header__"].tobytes())
    for slot in ("model", "parameters", "optimizer", "extra"):
        bad = {**header, slot: value}
        arrays["__header__"] = np.frombuffer(json.dumps(bad).encode(), dtype=np.uint8)
        buf = _io.BytesIO()
        np.savez(buf, **arrays)
        _load_or_refuse(buf.getvalue())


# ----------------------------------------------------------------- atheris regressions
def _npz_with_member(name: str, raw: bytes) -> bytes:
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, raw)
    return buf.getvalue()


def test_npy_header_with_unbalanced_brackets() -> None:
    """atheris: numpy's header parser raised tokenize.TokenError, not a ValueError."""
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,"
    raw = b"\x93NUMPY\x01\x00" + len(header + b"\n").to_bytes(2, "little") + header + b"\n"
    with pytest.raises(io.CheckpointError, match="not a readable"):
        io.load(_write(_npz_with_member("__header__.npy", raw)))


def test_member_without_npy_magic() -> None:
    """atheris: NpzFile returns such a member as bytes, which had no .dtype."""
    data = _npz_with_member("__header__.npy", b"\x93NUMPX" + bytes(200))
    with pytest.raises(io.CheckpointError, match="member '__header__.npy' is not a .npy array"):
        io.load(_write(data))


def test_deeply_nested_header_json() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    data = _npz_with_member("__header__.npy", _npy(np.frombuffer(deep, dtype=np.uint8)))
    with pytest.raises(io.CheckpointError, match="not valid JSON"):
        io.load(_write(data))


def test_huge_layer_in_the_header_is_not_built() -> None:
    with np.load(_io.BytesIO(SEED_NPZ)) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(arrays["__header__"].tobytes())
    header["model"]["children"][0]["config"]["in_features"] = 10**7
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buf = _io.BytesIO()
    np.savez(buf, **arrays)
    with pytest.raises(
        io.CheckpointError, match=r"in_features=10000000, larger than every dimension of its arrays"
    ):
        io.load(_write(buf.getvalue()))


def _npy(a: np.ndarray) -> bytes:
    buf = _io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _write(data: bytes) -> Path:
    path = WORK / "regression.npz"
    path.write_bytes(data)
    return path
