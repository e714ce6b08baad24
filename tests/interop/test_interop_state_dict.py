"""The parts of interop that need numpy only: keys, copies, errors, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.interop import SUPPORTED, export_onnx, from_torch, to_torch, to_torch_state_dict

from interop_models import ACTIVATION_ARGS, LAYER_MODELS, sigmoid_net


class Square(nn.Module):
    def forward(self, x: np.ndarray) -> np.ndarray:
        return x * x


class MyLinear(nn.Linear):
    pass


def test_keys_are_torch_sequential_keys_and_values_are_copies() -> None:
    model = sigmoid_net(np.float32)
    sd = to_torch_state_dict(model)
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sd["0.weight"].shape == (8, 5) and sd["2.bias"].shape == (3,)
    assert all(v.dtype == np.float32 for v in sd.values())
    np.testing.assert_array_equal(sd["2.weight"], model[2].weight.data)
    sd["0.weight"][...] = 7.0
    assert not np.any(model[0].weight.data == 7.0)


def test_theta_is_bias_then_weight() -> None:
    layer = nn.Linear(3, 2, rng=0)
    sd = to_torch_state_dict(layer)
    assert list(sd) == ["0.weight", "0.bias"]
    np.testing.assert_array_equal(layer.theta, np.column_stack([sd["0.bias"], sd["0.weight"]]))


def test_linear_without_bias_has_no_bias_key() -> None:
    model = nn.Sequential(nn.Linear(3, 2, bias=False, rng=0), nn.Sigmoid())
    assert list(to_torch_state_dict(model)) == ["0.weight"]


@pytest.mark.parametrize("bad", [Square(), MyLinear(2, 2, rng=0)])
def test_unsupported_module_is_named_with_its_position(bad: nn.Module) -> None:
    model = nn.Sequential(nn.Linear(3, 2, rng=0), bad)
    with pytest.raises(
        ValueError, match=rf"layer 1 is {type(bad).__name__} .*supported layers: Linear"
    ):
        to_torch_state_dict(model)


def test_non_module_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected an nn.Sequential or nn.Module, got list"):
        to_torch_state_dict([nn.Linear(2, 2)])  # type: ignore[arg-type]


def test_supported_layers_are_the_registry_of_layer_types() -> None:
    """A layer added to nn (one class, one export) crosses with no change here."""
    assert set(SUPPORTED) == set(nn.registry.names()) - {"Sequential"}
    assert set(ACTIVATION_ARGS) | set(LAYER_MODELS) | {"Linear"} == set(SUPPORTED)  # covered
    for name in ("GELU", "ELU", "SELU", "Softplus"):
        model = nn.Sequential(
            nn.Linear(3, 2, rng=0), nn.registry.get(name)(), nn.Linear(2, 1, rng=1)
        )  # type: ignore[misc]
        assert list(to_torch_state_dict(model)) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_nested_sequentials_keep_pytorchs_keys() -> None:
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 2, rng=0), nn.Tanh()), nn.Linear(2, 1, rng=1))
    assert list(to_torch_state_dict(model)) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'minitorch_bp\[torch\]'"):
        to_torch(sigmoid_net(np.float64))
    with pytest.raises(ModuleNotFoundError, match=r"minitorch_bp\[torch\]"):
        from_torch(object())


def test_missing_onnx_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'minitorch_bp\[onnx\]'"):
        export_onnx(sigmoid_net(np.float64), "unused.onnx")


def test_importing_interop_imports_neither_torch_nor_onnx() -> None:
    code = (
        "import sys, minitorch_bp, minitorch_bp.interop, minitorch_bp.interop.cli;"
        "print(sorted(m for m in ('torch', 'onnx', 'onnxruntime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
