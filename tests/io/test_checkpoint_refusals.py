"""What ``io.save`` refuses before writing, and ``io.load`` refuses after reading.

Each case failed before: an object array in ``extra`` was pickled into the file (which
then never loaded), and NaN or inf parameters were saved and loaded without a word.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn
from minitorch_bp.io import CheckpointError


def _model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1))


def _no_pickle_in(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            with z.open(name) as member:
                major, _ = np.lib.format.read_magic(member)
                read = np.lib.format.read_array_header_1_0
                if major != 1:
                    read = np.lib.format.read_array_header_2_0
                dtype = read(member)[2]
                assert not dtype.hasobject, name


@pytest.mark.parametrize(
    "extra",
    [
        {"classes": np.array(["cat", 3], dtype=object)},
        {"x": np.array(None, dtype=object)},
        {"rows": np.array([{"a": 1}, {"b": 2}], dtype=object)},
        {"nested": [1, {"deep": (np.array([1.5, "x"], dtype=object),)}]},
        {"record": np.zeros(2, dtype=[("a", "f8"), ("b", "O")])},
    ],
    ids=["mixed", "0-d", "dicts", "nested", "structured"],
)
def test_save_refuses_what_would_need_pickle_and_writes_nothing(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    path = tmp_path / "m.npz"
    with pytest.raises(CheckpointError, match=r"io.save: extra.* dtype .*object.* pickle"):
        io.save(_model(), path, extra=extra)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_refused_save_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    path = io.save(_model(), tmp_path / "m.npz", extra={"epoch": 1})
    before = path.read_bytes()
    with pytest.raises(CheckpointError):
        io.save(_model(), path, extra={"classes": np.array(["cat", 3], dtype=object)})
    assert path.read_bytes() == before
    assert io.load_checkpoint(path).extra == {"epoch": 1}


def test_string_and_number_arrays_need_no_pickle_and_round_trip(tmp_path: Path) -> None:
    extra = {"classes": np.array(["cat", "dog"]), "seed": np.int64(3), "w": np.arange(3.0)}
    path = io.save(_model(), tmp_path / "m.npz", extra=extra)
    _no_pickle_in(path)
    got = io.load_checkpoint(path).extra
    assert got["classes"].tolist() == ["cat", "dog"] and got["seed"] == 3
    np.testing.assert_array_equal(got["w"], np.arange(3.0))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_save_refuses_non_finite_parameters_naming_the_array(tmp_path: Path, bad: float) -> None:
    model = _model()
    model[2].weight.data[0, 1] = bad
    path = tmp_path / "m.npz"
    with pytest.raises(CheckpointError, match=r"io.save: parameter '2.weight' has 1 NaN or inf"):
        io.save(model, path)
    assert not path.exists()


def _rewrite_member(path: Path, key: str, value: np.ndarray) -> None:
    """Replace one array of a saved checkpoint (as a tampered or hand-edited file would)."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays[key] = value
    np.savez(path, **arrays)


def test_load_refuses_non_finite_parameters_naming_the_array(tmp_path: Path) -> None:
    path = io.save(_model(), tmp_path / "m.npz")
    theta = np.array(io.load(path)[0].bias.data)
    theta[2] = np.nan
    _rewrite_member(path, "param/0.bias", theta)
    with pytest.raises(CheckpointError, match=r"param/0.bias holds 1 NaN or inf value"):
        io.load_checkpoint(path)


def test_a_non_finite_model_cannot_predict_silently(tmp_path: Path) -> None:
    # Before: such a model predicted class 0 for every row with no warning.
    from minitorch_bp import train

    model = _model()
    model[0].weight.data[:] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf"):
        train.predict(model, np.ones((4, 2)))


def test_header_stays_json(tmp_path: Path) -> None:
    path = io.save(_model(), tmp_path / "m.npz", extra={"note": "ok"})
    with np.load(path) as npz:
        header = json.loads(npz["__header__"].tobytes())
    assert header["extra"] == {"note": "ok"}
