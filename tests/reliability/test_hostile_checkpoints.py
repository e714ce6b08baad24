"""Hostile checkpoint files: random bytes, pickled object arrays, pickle payloads, bad optimizer state.

Complements tests/io/test_checkpoint.py (truncation, missing/extra arrays, shapes, dtypes,
unknown layer types, a pickled header): here every refusal must also leave nothing
behind: no file written by a payload, no partly restored model or optimizer.
"""

from __future__ import annotations

import io as _io
import json
import pathlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.train import resume


def _model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, rng=1), nn.Sigmoid(), nn.Linear(4, 2, rng=2))


def _arrays(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _npy(value: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = _io.BytesIO()
    np.save(buf, value, allow_pickle=allow_pickle)
    return buf.getvalue()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name + ".npy", data)
    return path


def _with(path: Path, tmp: Path, name: str, data: bytes) -> Path:
    """A copy of checkpoint ``path`` whose member ``name`` is replaced by raw ``data``."""
    members = {k: _npy(v) for k, v in _arrays(path).items()}
    members[name] = data
    return _zip(tmp / "hostile.npz", members)


class Payload:
    """Unpickling this writes a file: the proof that something was unpickled."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.write_text, (self.target, "pwned"))


def _pickled(target: Path) -> bytes:
    return _npy(np.array([Payload(target)], dtype=object), allow_pickle=True)


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_raise_checkpoint_error(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=int(rng.integers(0, 4096)), dtype=np.uint8).tobytes()
    if seed % 2:  # a zip signature first, so the zip reader gets further
        data = b"PK\x03\x04" + data
    (tmp_path / "r.npz").write_bytes(data)
    with pytest.raises(io.CheckpointError, match="not a readable minitorch_bp checkpoint"):
        io.load(tmp_path / "r.npz")


def test_a_text_file_is_not_called_pickled(tmp_path: Path) -> None:
    (tmp_path / "notes.npz").write_text("hello")
    with pytest.raises(io.CheckpointError, match=r"zip archive.*starts with b'hell'") as exc:
        io.load(tmp_path / "notes.npz")
    assert "pickle" not in str(exc.value)


def test_parameter_as_pickled_object_array_is_refused(tmp_path: Path) -> None:
    path = io.save(_model(), tmp_path / "m.npz")
    obj = np.empty((4, 3), dtype=object)
    obj[...] = 1.0
    bad = _with(path, tmp_path, "param/0.weight", _npy(obj, allow_pickle=True))
    with pytest.raises(io.CheckpointError, match="holds Python objects.*only pickle can read"):
        io.load_checkpoint(bad)


@pytest.mark.parametrize("member", ["param/0.weight", "__header__", "optimizer/0", "extra/0"])
def test_pickle_payload_is_never_unpickled(tmp_path: Path, member: str) -> None:
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.1)
    path = io.save(model, tmp_path / "m.npz", optimizer=opt, extra={"a": np.zeros(2)})
    assert member in _arrays(path)
    target = tmp_path / "pwned.txt"
    # The payload works: unpickling it does write the file (then we remove it).
    np.load(_io.BytesIO(_pickled(target)), allow_pickle=True)
    assert target.read_text() == "pwned"
    target.unlink()
    bad = _with(path, tmp_path, member, _pickled(target))
    with pytest.raises(io.CheckpointError):
        io.load_checkpoint(bad)
    with pytest.raises(io.CheckpointError):
        io.load(bad)
    assert not target.exists()


def _adam_checkpoint(tmp_path: Path, change: Any) -> tuple[Path, nn.Sequential]:
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.1)
    X = np.random.default_rng(0).normal(size=(6, 3))
    loss = nn.MSELoss()
    loss(model(X), np.zeros((6, 2)))
    model.backward(loss.backward())
    opt.step()
    path = io.save(model, tmp_path / "m.npz", optimizer=opt, extra={"epoch": 1})
    arrays = _arrays(path)
    header = json.loads(arrays["__header__"].tobytes())
    change(arrays, header["optimizer"])
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    return tmp_path / "bad.npz", model


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, o: a.update({"optimizer/7": np.zeros((9, 9))}), r"exp_avg_sq\[3\] has shape"),
        (lambda a, o: a.update({"optimizer/0": np.zeros((1, 1))}), r"exp_avg\[0\] has shape"),
        (lambda a, o: (o["exp_avg"].pop(), a.pop("optimizer/3")), "'exp_avg' has 3 arrays"),
        (lambda a, o: o.update(betas=[0.9, 2.0]), "betas"),
        (lambda a, o: o.update(lr=-1.0), "lr=-1.0"),
        (lambda a, o: o.update(step="many"), "many"),
        (lambda a, o: o.update(type="SGD", momentum=-1), "momentum"),
        (lambda a, o: o.update(type=None), "no 'type'"),
        (lambda a, o: a.update({"optimizer/0": np.full((4, 3), "x")}), "malformed"),
    ],
)
def test_malformed_optimizer_state_is_refused_whole(
    tmp_path: Path, change: Any, message: str
) -> None:
    bad, _ = _adam_checkpoint(tmp_path, change)
    with pytest.raises(io.CheckpointError, match=message):
        io.load_checkpoint(bad)


def test_a_refused_optimizer_state_leaves_the_live_optimizer_untouched(tmp_path: Path) -> None:
    """opt.load_state_dict may fail half way (lr set, moments not); resume undoes it."""
    path, model = _adam_checkpoint(tmp_path, lambda a, o: None)
    ckpt = io.load_checkpoint(path)
    state = dict(ckpt.optimizer_state or {})
    state["lr"] = 0.5
    state["exp_avg_sq"] = state["exp_avg_sq"][:-1]  # fails after lr and exp_avg were set
    ckpt.optimizer_state = state
    ckpt.extra = {
        "epoch": 1,
        "loader": DataLoader(np.ones((4, 3)), np.ones(4), 2, seed=0).state_dict(),
    }
    live = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(np.ones((4, 3)), np.ones(4), 2, seed=5)
    before_opt, before_loader = live.state_dict(), loader.state_dict()
    with pytest.raises(ValueError, match="exp_avg_sq"):
        resume(ckpt, live, loader)
    after = live.state_dict()
    assert after["lr"] == before_opt["lr"] == 0.01
    for key in ("exp_avg", "exp_avg_sq"):
        for a, b in zip(after[key], before_opt[key]):
            np.testing.assert_array_equal(a, b)
    assert loader.state_dict() == before_loader
    # A loader state that is refused also rolls the optimizer back.
    ckpt.optimizer_state = io.load_checkpoint(path).optimizer_state
    ckpt.extra = {"epoch": 1, "loader": {"batch_size": 3, "shuffle": True, "bit_generator": {}}}
    with pytest.raises(ValueError, match="batch_size=3"):
        resume(ckpt, live, loader)
    assert live.state_dict()["lr"] == 0.01 and live.state_dict()["step"] == 0


def test_refused_model_state_leaves_a_loaded_model_untouched(tmp_path: Path) -> None:
    """model.load_state_dict from a tampered checkpoint's arrays changes nothing."""
    model = _model()
    path = io.save(model, tmp_path / "m.npz")
    target = _model()
    for p in target.parameters():
        p.data[...] = 7.0
    arrays = _arrays(path)
    state = {k[len("param/") :]: v for k, v in arrays.items() if k.startswith("param/")}
    state["2.bias"] = np.zeros(5)  # the last key checked: the others would already be copied
    with pytest.raises(ValueError, match="'2.bias' has shape"):
        target.load_state_dict(state)
    assert all(np.all(p.data == 7.0) for p in target.parameters())
