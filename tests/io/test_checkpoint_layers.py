"""Checkpoints of every layer type: configs, nesting (Residual), and buffers (format 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn


def _every_layer() -> nn.Sequential:
    return nn.Sequential(
        nn.Unflatten(1, (1, 6, 6)),
        nn.Conv2d(1, 3, 3, padding="same", dilation=1, bias=False, rng=0),
        nn.BatchNorm2d(3, momentum=None),
        nn.ReLU(),
        nn.MaxPool2d(2, stride=1, padding=1, ceil_mode=True),
        nn.Residual(nn.Sequential(nn.Conv2d(3, 3, 3, padding=1, rng=1), nn.Tanh())),
        nn.AvgPool2d(2, count_include_pad=False, divisor_override=3),
        nn.AdaptiveAvgPool2d((2, None)),
        nn.Flatten(2, 3),
        nn.Conv1d(3, 2, 2, stride=2, rng=2),
        nn.Flatten(),
        nn.BatchNorm1d(6, affine=False),
        nn.LayerNorm(6, eps=1e-3, bias=False),
        nn.Linear(6, 2, rng=3),
    )


def test_every_new_layer_type_saves_and_loads_with_its_buffers(tmp_path: Path) -> None:
    model = _every_layer()
    rng = np.random.default_rng(0)
    for _ in range(3):
        model(rng.normal(size=(5, 36)))
    path = io.save(model, tmp_path / "all.npz")
    back = io.load_checkpoint(path)
    assert repr(back.model) == repr(model) and back.versions["format_version"] == 2
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.model.state_dict()[key], value, err_msg=key)
    x = rng.normal(size=(4, 36))
    np.testing.assert_array_equal(back.model.eval()(x), model.eval()(x))
    with np.load(path) as arrays:
        assert (
            "buffer/2.running_var" in arrays.files
            and "buffer/2.num_batches_tracked" in arrays.files
        )
        header = json.loads(arrays["__header__"].tobytes())
    assert header["buffers"]["2.num_batches_tracked"] == {"shape": [], "dtype": "int64"}
    assert header["model"]["children"][5]["type"] == "Residual"
    assert header["model"]["children"][5]["children"][0]["type"] == "Sequential"


def test_embedding_models_and_models_without_buffers_keep_format_1(tmp_path: Path) -> None:
    model = nn.Sequential(
        nn.Embedding(7, 3, padding_idx=2, rng=0), nn.Flatten(), nn.Linear(6, 1, rng=1)
    )
    back = io.load_checkpoint(io.save(model, tmp_path / "emb.npz"))
    assert back.versions["format_version"] == 1  # readable by versions before buffers
    idx = np.array([[2, 6], [0, 1]])
    np.testing.assert_array_equal(back.model(idx), model(idx))


def _tamper(path: Path, change: Any) -> None:
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(arrays["__header__"].tobytes())
    change(arrays, header)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a, h: a.update({"buffer/0.running_var": np.ones(3)}),
            r"buffer/0.running_var has shape \(3,\)",
        ),
        (
            lambda a, h: a.update({"buffer/0.num_batches_tracked": np.array(1.0)}),
            "has dtype float64",
        ),
        (
            lambda a, h: a.pop("buffer/0.running_mean"),
            r"missing arrays \['buffer/0.running_mean'\]",
        ),
        (lambda a, h: h.pop("buffers"), r"the architecture has buffers \['0.num_batches_tracked'"),
        (
            lambda a, h: h["buffers"].update({"0.extra": {"shape": [1], "dtype": "float64"}}),
            "the header lists",
        ),
        (lambda a, h: h.update({"buffers": [1]}), "'buffers' is not an object"),
        (
            lambda a, h: h["model"]["children"][1].update({"children": [{"type": "ReLU"}]}),
            "not a container",
        ),
    ],
)
def test_tampered_buffers_and_structures_are_refused(
    tmp_path: Path, change: Any, message: str
) -> None:
    path = io.save(nn.Sequential(nn.BatchNorm1d(2), nn.Linear(2, 1, rng=0)), tmp_path / "bn.npz")
    _tamper(path, change)
    with pytest.raises(io.CheckpointError, match=message):
        io.load(path)
