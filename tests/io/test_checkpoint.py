"""Checkpoints: round trips, optimizer state trees, atomic writes and malformed files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn, optim


def _model() -> nn.Sequential:
    inner = nn.Sequential(nn.Linear(3, 4, rng=1), nn.Sigmoid())
    return nn.Sequential(inner, nn.Linear(4, 2, bias=False, rng=2), nn.Sigmoid())


def _arrays(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _write(path: Path, arrays: dict[str, Any]) -> None:
    np.savez(path, **arrays)


def test_round_trip_nested_model_and_versions(tmp_path: Path) -> None:
    model = _model()
    path = io.save(model, tmp_path / "m.npz", extra={"epoch": 2, "note": "x", "w": np.arange(3)})
    ckpt = io.load_checkpoint(path)
    assert repr(ckpt.model) == repr(model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(ckpt.model.state_dict()[k], v)
    assert ckpt.extra["epoch"] == 2 and ckpt.extra["w"].tolist() == [0, 1, 2]
    assert ckpt.optimizer_state is None
    assert ckpt.versions["format_version"] == 1 and ckpt.versions["numpy_version"] == np.__version__
    x = np.ones((2, 3))
    np.testing.assert_array_equal(io.load(path)(x), model(x))
    assert "__header__" in _arrays(path) and _arrays(path)["__header__"].dtype == np.uint8


def test_optimizer_state_with_arrays_round_trips(tmp_path: Path) -> None:
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.3, l2=1.5)
    state = {
        **opt.state_dict(),
        "exp_avg": [np.full((2, 2), 0.5), np.zeros(3)],
        "buffers": {0: np.ones(2), 1: None},
        "betas": (0.9, 0.999),
        "step": 7,
    }
    opt.state_dict = lambda: state  # type: ignore[method-assign]
    io.save(model, tmp_path / "m.npz", optimizer=opt)
    back = io.load_checkpoint(tmp_path / "m.npz").optimizer_state
    assert back is not None
    assert back["betas"] == (0.9, 0.999) and back["step"] == 7 and back["lr"] == 0.3
    np.testing.assert_array_equal(back["exp_avg"][0], state["exp_avg"][0])
    assert set(back["buffers"]) == {0, 1} and back["buffers"][1] is None
    assert sorted(k for k in _arrays(tmp_path / "m.npz") if k.startswith("optimizer/")) == [
        "optimizer/0",
        "optimizer/1",
        "optimizer/2",
    ]
    fresh = optim.SGD(model.parameters(), lr=1.0)
    fresh.load_state_dict(back)
    assert (fresh.lr, fresh.l2) == (0.3, 1.5)


def test_crash_mid_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.npz"
    io.save(_model(), path, extra={"version": "old"})
    before = path.read_bytes()

    def explode(f: Any, **arrays: Any) -> None:
        f.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", explode)
    with pytest.raises(OSError, match="disk full"):
        io.save(_model(), path, extra={"version": "new"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_truncated_file(tmp_path: Path) -> None:
    path = io.save(_model(), tmp_path / "m.npz")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(io.CheckpointError, match="not a readable"):
        io.load(path)
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "nope.npz")


def _tamper(tmp_path: Path, change: Any) -> Path:
    path = io.save(_model(), tmp_path / "m.npz", extra={"a": np.zeros(2)})
    arrays = _arrays(path)
    header = json.loads(arrays["__header__"].tobytes())
    change(arrays, header)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    _write(tmp_path / "bad.npz", arrays)
    return tmp_path / "bad.npz"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, h: a.pop("param/1.weight"), r"missing arrays \['param/1.weight'\]"),
        (lambda a, h: a.update({"junk": np.zeros(1)}), r"unexpected arrays \['junk'\]"),
        (lambda a, h: a.update({"param/1.weight": np.zeros((3, 3))}), "has shape"),
        (lambda a, h: a.update({"param/1.weight": np.zeros((2, 4), np.float32)}), "has dtype"),
        (
            lambda a, h: h["model"]["children"].append({"type": "os.system"}),
            "unknown layer type 'os.system'",
        ),
        (lambda a, h: h["model"].update(type="Parameter"), "unknown layer type 'Parameter'"),
        (
            lambda a, h: h["model"]["children"][1].update(config={"in_features": -1}),
            "cannot build Linear",
        ),
        (lambda a, h: h.update(format_version=99), "newer"),
        (lambda a, h: a.pop("extra/0"), "lacks"),
    ],
)
def test_malformed_files_raise_checkpoint_error(tmp_path: Path, change: Any, message: str) -> None:
    with pytest.raises(io.CheckpointError, match=message):
        io.load_checkpoint(_tamper(tmp_path, change))


def test_bad_header_bytes_and_pickles_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "h.npz", {"__header__": np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(io.CheckpointError, match="not valid JSON"):
        io.load(tmp_path / "h.npz")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "p.npz", "w") as z:
        z.write(tmp_path / "obj.npy", "__header__.npy")
    with pytest.raises(io.CheckpointError):
        io.load(tmp_path / "p.npz")
    assert issubclass(io.CheckpointError, ValueError)


def test_unsaveable_models_and_values(tmp_path: Path) -> None:
    class Custom(nn.Module):
        pass

    with pytest.raises(ValueError, match="not a layer type of minitorch_bp.nn"):
        io.save(Custom(), tmp_path / "c.npz")
    with pytest.raises(ValueError, match=r"cannot store extra\[.s.\], a set"):
        io.save(_model(), tmp_path / "c.npz", extra={"s": {1, 2}})
