"""Loading a small file never takes much more memory or time than its contents need.

Before: a 390 KB zip bomb reached 421 MB, and a 1.7 KB header claiming
``Linear(100000, 300)`` built a 30-million-parameter layer (720 MB RSS) before finding
that the file's arrays did not fit it. Memory is measured with tracemalloc, which sees
numpy's allocations.
"""

from __future__ import annotations

import json
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn
from minitorch_bp.io import CheckpointError

MB = 1 << 20


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def _header(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return json.loads(arrays["__header__"].tobytes())


def _set_header(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> None:
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)


def _peak(load: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        load()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_compressed_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2000, 5000, rng=0))  # 10 million numbers, 80 MB
    for p in model.parameters():
        p.data[...] = 0.0
    arrays = _arrays(io.save(model, tmp_path / "plain.npz"))
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, **arrays)
    assert bomb.stat().st_size < 200_000

    def load() -> None:
        with pytest.raises(CheckpointError, match=r"param/0.weight.npy expands .* times"):
            io.load_checkpoint(bomb)

    assert _peak(load) < 4 * MB


def test_a_header_claiming_a_huge_layer_builds_nothing_large(tmp_path: Path) -> None:
    arrays = _arrays(io.save(nn.Sequential(nn.Linear(2, 3, rng=0)), tmp_path / "s.npz"))
    header = _header(arrays)
    header["model"]["children"][0]["config"].update(in_features=100000, out_features=300)
    _set_header(arrays, header)
    path = tmp_path / "claim.npz"
    np.savez(path, **arrays)

    def load() -> None:
        with pytest.raises(
            CheckpointError,
            match=r"'0' \(Linear\) has in_features=100000, larger than every dimension of its arrays",
        ):
            io.load_checkpoint(path)

    assert _peak(load) < 4 * MB


def test_a_member_holding_fewer_bytes_than_its_shape_is_refused(tmp_path: Path) -> None:
    path = io.save(nn.Sequential(nn.Linear(2, 3, rng=0)), tmp_path / "m.npz")
    # Rewrite param/0.weight.npy with a header declaring (30000, 20000) over 48 bytes.
    forged = tmp_path / "forged.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(forged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "param/0.weight.npy":
                head = np.lib.format.header_data_from_array_1_0(np.zeros((3, 2)))
                head["shape"] = (30000, 20000)
                buf = __import__("io").BytesIO()
                np.lib.format.write_array_header_1_0(buf, head)
                data = buf.getvalue() + np.zeros(6).tobytes()
            dst.writestr(info, data)

    def load() -> None:
        with pytest.raises(CheckpointError, match=r"declares shape \(30000, 20000\).* holds 48"):
            io.load_checkpoint(forged)

    assert _peak(load) < 4 * MB


def test_the_cap_on_numbers_is_documented_and_can_be_raised(tmp_path: Path) -> None:
    path = io.save(nn.Sequential(nn.Linear(40, 50, rng=0)), tmp_path / "m.npz")  # 2,050
    with pytest.raises(CheckpointError, match=r"2,\d{3} numbers.*max_parameters=1,000.*raise it"):
        io.load_checkpoint(path, max_parameters=1000)
    model = io.load(path, max_parameters=3000)
    assert model.num_parameters() == 2050
    assert io.MAX_PARAMETERS >= 10**8
    assert "max_parameters" in (io.load_checkpoint.__doc__ or "")


def test_duplicate_members_are_refused(tmp_path: Path) -> None:
    path = io.save(nn.Sequential(nn.Linear(2, 3, rng=0)), tmp_path / "m.npz")
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("param/0.bias.npy", z.read("param/0.bias.npy"))
    with pytest.raises(CheckpointError, match=r"param/0.bias.npy appears 2 times"):
        io.load_checkpoint(path)


def test_an_ordinary_compressed_checkpoint_still_loads(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(30, 20, rng=0), nn.Sigmoid())
    arrays = _arrays(io.save(model, tmp_path / "m.npz"))
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    loaded = io.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(loaded[0].theta, model[0].theta)


def test_many_children_load_in_linear_time(tmp_path: Path) -> None:
    # The same-module check was O(n²): 50,000 Identity children took 25 s to load.
    path = io.save(nn.Sequential(*(nn.Identity() for _ in range(50_000))), tmp_path / "i.npz")
    start = time.perf_counter()
    model = io.load(path)
    assert len(model) == 50_000
    assert time.perf_counter() - start < 15.0


@pytest.mark.parametrize(
    "model",
    [
        nn.Sequential(
            nn.Linear(3, 4096, rng=0), nn.BatchNorm1d(4096, affine=False, track_running_stats=False)
        ),
        nn.Sequential(nn.Linear(3, 2000, rng=0), nn.LayerNorm(2000, elementwise_affine=False)),
    ],
    ids=["batchnorm-without-arrays", "layernorm-without-arrays"],
)
def test_a_layer_without_arrays_may_be_as_wide_as_the_files_arrays(
    model: nn.Sequential, tmp_path: Path
) -> None:
    """Before: refused (num_features=4096 'larger than every dimension of its arrays', of
    which it has none), so a valid saved model never loaded again."""
    loaded = io.load(io.save(model, tmp_path / "wide.npz"))
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(loaded.eval()(X), model.eval()(X))


def test_a_claimed_wide_layer_without_arrays_is_still_bounded_by_the_file(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.LayerNorm(3, elementwise_affine=False))
    arrays = _arrays(io.save(model, tmp_path / "s.npz"))
    header = _header(arrays)
    header["model"]["children"][1]["config"]["normalized_shape"] = [10**8]
    _set_header(arrays, header)
    path = tmp_path / "claim.npz"
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError, match=r"normalized_shape=100000000, larger than every"):
        io.load_checkpoint(path)


def test_a_header_leaving_out_a_layers_arrays_cannot_build_a_big_one(tmp_path: Path) -> None:
    """Each size may be as wide as the file's widest array, but not their product."""
    model = nn.Sequential(nn.Linear(2, 2000, rng=0), nn.Sigmoid(), nn.Linear(2000, 1, rng=1))
    arrays = _arrays(io.save(model, tmp_path / "s.npz"))
    header = _header(arrays)
    header["model"]["children"][1] = {
        "type": "Linear",
        "config": {"in_features": 2000, "out_features": 2000, "bias": True},
    }
    header["model"]["children"].insert(2, {"type": "Sigmoid", "config": {}})
    _set_header(arrays, header)
    path = tmp_path / "claim.npz"
    np.savez(path, **arrays)

    def load() -> None:
        with pytest.raises(
            CheckpointError, match=r"sizes whose product 4000000 exceeds the 8001 numbers"
        ):
            io.load_checkpoint(path)

    assert _peak(load) < 4 * MB
