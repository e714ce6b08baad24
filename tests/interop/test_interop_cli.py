"""The ``export`` sub-command: its parser, and its handler where minitorch_bp.io exists."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp.interop.cli import add_export_command, export_command
from minitorch_bp.interop.onnx_export import DEFAULT_OPSET

from interop_models import batch, sigmoid_net


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="minitorch-bp")
    add_export_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_parser_defaults_and_choices() -> None:
    args = parse(["export", "m.npz", "--to", "onnx", "--out", "m.onnx"])
    assert (args.model, args.to, args.out) == (Path("m.npz"), "onnx", Path("m.onnx"))
    assert (args.opset, args.batch_dim, args.func) == (DEFAULT_OPSET, "dynamic", export_command)
    assert (
        parse(["export", "m.npz", "--to", "torch", "--out", "m.pt", "--batch-dim", "8"]).batch_dim
        == 8
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "m.npz", "--out", "m.onnx"],
        ["export", "m.npz", "--to", "keras", "--out", "m.onnx"],
        ["export", "m.npz", "--to", "onnx"],
        ["export", "m.npz", "--to", "onnx", "--out", "m.onnx", "--batch-dim", "0"],
        ["export", "m.npz", "--to", "onnx", "--out", "m.onnx", "--batch-dim", "many"],
        ["export", "m.npz", "--to", "onnx", "--out", "m.onnx", "--input-shape", "1,x,8"],
        ["export", "m.npz", "--to", "onnx", "--out", "m.onnx", "--input-shape", "0,8"],
    ],
)
def test_parser_refuses_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_missing_model_file_is_a_value_error(tmp_path: Path) -> None:
    args = parse(
        ["export", str(tmp_path / "nope.npz"), "--to", "onnx", "--out", str(tmp_path / "m.onnx")]
    )
    with pytest.raises(ValueError, match="nope.npz' does not exist"):
        export_command(args)


def _saved(tmp_path: Path) -> tuple[Path, object]:
    io = pytest.importorskip("minitorch_bp.io")
    model = sigmoid_net(np.float64)
    path = tmp_path / "model.npz"
    io.save(model, path)
    return path, model


def test_export_to_onnx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ort = pytest.importorskip("onnxruntime")
    path, model = _saved(tmp_path)
    out = tmp_path / "model.onnx"
    assert export_command(parse(["export", str(path), "--to", "onnx", "--out", str(out)])) == 0
    assert "wrote ONNX" in capsys.readouterr().out
    x = batch(7, np.float64)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-12)  # type: ignore[operator]


def test_export_to_torch_state_dict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    path, model = _saved(tmp_path)
    out = tmp_path / "model.pt"
    assert export_command(parse(["export", str(path), "--to", "torch", "--out", str(out)])) == 0
    assert "torch.nn.Sequential" in capsys.readouterr().out
    state = torch.load(out)  # weights_only=True: a plain state dict
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(state["2.weight"].numpy(), model[2].weight.data)  # type: ignore[index]


def test_export_a_cnn_with_its_input_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ort = pytest.importorskip("onnxruntime")
    from minitorch_bp import io, nn

    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, rng=0), nn.MaxPool2d(2, ceil_mode=True), nn.Flatten()
    )
    path = io.save(model, tmp_path / "cnn.npz")
    out = tmp_path / "cnn.onnx"
    argv = ["export", str(path), "--to", "onnx", "--out", str(out), "--input-shape", "1,5,5"]
    assert parse(argv).input_shape == (1, 5, 5)
    assert export_command(parse(argv)) == 0
    x = np.random.default_rng(0).normal(size=(3, 1, 5, 5))
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-12)
    with pytest.raises(ValueError, match=r"ceil_mode=True needs the input's height and width"):
        export_command(parse(argv[:-2]))
