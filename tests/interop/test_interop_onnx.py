"""ONNX export: the graph, its options, the atomic write, and ONNX Runtime's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.interop import export_onnx, to_onnx

from interop_models import (
    ACTIVATIONS,
    LAYER_MODELS,
    batch,
    layer_input,
    layer_model,
    sandwich,
    sigmoid_net,
)

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype: Any) -> None:
    """Equal to ``RTOL`` relative, entries near 0 (cancellation in Gemm) against the largest."""
    rtol = RTOL[dtype]
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def run(model: nn.Module, x: np.ndarray, **options: Any) -> np.ndarray:
    proto = to_onnx(model, **options)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    out: np.ndarray = session.run(["output"], {"input": x})[0]
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m", [1, 7, 64])
def test_onnx_runtime_equals_ours(dtype: Any, m: int) -> None:
    model = sigmoid_net(dtype)
    x = batch(m, dtype, seed=m)
    out = run(model, x)
    assert out.dtype == dtype
    assert_close(out, model(x), dtype)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_layer_runs_in_onnx_runtime(name: str, dtype: Any) -> None:
    model = sandwich(name, dtype)
    for m in (1, 7, 64):
        x = batch(m, dtype, seed=m)
        assert_close(run(model, x), model(x), dtype)


@pytest.mark.parametrize("name", list(LAYER_MODELS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_shaped_layer_runs_in_onnx_runtime(name: str, dtype: Any) -> None:
    model = layer_model(name, dtype)
    options = LAYER_MODELS[name][2]
    for m in (1, 7):
        x = layer_input(name, m, dtype, seed=m)
        assert_close(run(model, x, dtype=dtype, **options), model(x), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_convolutional_network_runs_in_onnx_runtime(dtype: Any) -> None:
    """Every new operator in one graph: Conv, BatchNormalization, MaxPool, AveragePool,
    GlobalAveragePool, Flatten, LayerNormalization and a residual Add."""
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, dtype=dtype, rng=0),
        nn.BatchNorm2d(4, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.Residual(
            nn.Sequential(nn.Conv2d(4, 4, 3, padding="same", dtype=dtype, rng=1), nn.Tanh())
        ),
        nn.AvgPool2d(2, stride=1, padding=1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.LayerNorm(4, dtype=dtype),
        nn.Linear(4, 3, dtype=dtype, rng=2),
    )
    rng = np.random.default_rng(0)
    for _ in range(3):  # running statistics away from (0, 1)
        model(rng.normal(2.0, 3.0, size=(8, 1, 9, 7)).astype(dtype))
    model.eval()
    ops = {n.op_type for n in to_onnx(model, input_shape=(1, 9, 7)).graph.node}
    # float64: no double Conv or pool kernels in ONNX Runtime, and eps = 1e-5 is no float32
    native = {
        "Conv",
        "AveragePool",
        "GlobalAveragePool",
        "BatchNormalization",
        "LayerNormalization",
    }
    assert {"MaxPool", "Flatten", "Add", "Gemm"} | (native if dtype == np.float32 else set()) <= ops
    for m in (1, 5):
        x = rng.normal(size=(m, 1, 9, 7)).astype(dtype)
        assert_close(run(model, x, input_shape=(1, 9, 7)), model(x), dtype)


def test_float64_convolution_and_pools_are_written_from_basic_operators() -> None:
    """ONNX Runtime has no float64 Conv, AveragePool or GlobalAveragePool kernel."""
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, rng=0), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )
    ops = {n.op_type for n in to_onnx(model).graph.node}
    assert not ops & {"Conv", "AveragePool", "GlobalAveragePool"}
    assert {"Slice", "Einsum", "Sum", "ReduceMean"} <= ops
    x = np.random.default_rng(1).normal(size=(4, 2, 9, 8))
    np.testing.assert_allclose(run(model, x), model(x), rtol=1e-12, atol=1e-15)


def test_embedding_takes_int64_indices() -> None:
    model = nn.Sequential(nn.Embedding(10, 3, rng=0), nn.Flatten(), nn.Linear(12, 2, rng=1))
    proto = to_onnx(model)
    (inp,) = proto.graph.input
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert [d.dim_param for d in inp.type.tensor_type.shape.dim] == ["batch", "length"]
    assert proto.graph.node[0].op_type == "Gather"
    idx = np.random.default_rng(2).integers(0, 10, size=(6, 4))
    np.testing.assert_allclose(run(model, idx), model(idx), rtol=1e-12, atol=0)


def test_a_layer_that_needs_the_input_size_says_so() -> None:
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d.*input_shape=\(C, H, W\)"):
        to_onnx(nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.AdaptiveAvgPool2d(2)))
    with pytest.raises(ValueError, match="does not tell the input's shape.*input_shape"):
        to_onnx(nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4, 1, rng=0)))


def test_graph_is_gemm_with_transposed_weight_and_named_io() -> None:
    proto = to_onnx(sigmoid_net(np.float32))
    ops = [n.op_type for n in proto.graph.node]
    assert ops == ["Gemm", "Sigmoid", "Gemm", "Sigmoid", "Identity"]
    gemm = proto.graph.node[0]
    assert {a.name: a.i for a in gemm.attribute} == {"transB": 1}
    (inp,) = proto.graph.input
    dims = inp.type.tensor_type.shape.dim
    assert inp.name == "input" and dims[0].dim_param == "batch" and dims[1].dim_value == 5
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [o.name for o in proto.graph.output] == ["output"]
    assert proto.opset_import[0].version == 17
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    assert weights["0.weight"].shape == (8, 5)


@pytest.mark.parametrize(("slope", "op"), [(0.2, "PRelu"), (0.25, "LeakyRelu")])
def test_leaky_relu_slope_stays_float64(slope: float, op: str) -> None:
    model = nn.Sequential(nn.Linear(5, 3, rng=0), nn.LeakyReLU(slope))
    assert to_onnx(model).graph.node[1].op_type == op
    model32 = nn.Sequential(nn.Linear(5, 3, dtype=np.float32, rng=0), nn.LeakyReLU(slope))
    assert to_onnx(model32).graph.node[1].op_type == "LeakyRelu"
    x = batch(64, np.float64)
    np.testing.assert_allclose(run(model, x), model(x), rtol=1e-12, atol=0)


def test_fixed_batch_dim_and_double() -> None:
    model = sigmoid_net(np.float64)
    proto = to_onnx(model, batch_dim=7, opset=13)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_value == 7
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    x = batch(7, np.float64)
    np.testing.assert_allclose(run(model, x, batch_dim=7), model(x), rtol=1e-12, atol=0)


def test_linear_without_bias() -> None:
    model = nn.Sequential(nn.Linear(5, 2, bias=False, rng=0), nn.Sigmoid())
    x = batch(3, np.float64)
    assert len(to_onnx(model).graph.node[0].input) == 2
    np.testing.assert_allclose(run(model, x), model(x), rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nested_sequentials_flatten_into_one_graph(dtype: Any) -> None:
    model = nn.Sequential(
        nn.Sequential(nn.Linear(5, 4, dtype=dtype, rng=0), nn.SELU()),
        nn.Sequential(nn.Linear(4, 3, dtype=dtype, rng=1), nn.Softplus()),
    )
    x = batch(7, dtype)
    assert_close(run(model, x), model(x), dtype)
    weights = {t.name for t in to_onnx(model).graph.initializer}
    assert {"0.0.weight", "0.0.bias", "1.0.weight", "1.0.bias"} <= weights


def test_export_writes_atomically_and_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    model = sigmoid_net(np.float32)
    assert export_onnx(model, target) == target
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    loaded = onnx.load(str(target))
    onnx.checker.check_model(loaded)
    x = batch(7, np.float32)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-5)


def test_failed_export_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")

    class Square(nn.Module):
        pass

    with pytest.raises(ValueError, match="layer 1 is Square"):
        export_onnx(nn.Sequential(nn.Linear(2, 2, rng=0), Square()), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"opset": 12}, "opset=12 must be an integer from 13"),
        ({"opset": 999}, "opset=999 must be an integer"),
        ({"batch_dim": 0}, 'batch_dim=0 must be "dynamic" or a positive integer'),
        ({"batch_dim": "auto"}, "batch_dim='auto'"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_onnx(sigmoid_net(np.float32), **options)


def test_model_without_parameters_or_with_mixed_dtypes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has no parameters"):
        to_onnx(nn.Sequential(nn.Sigmoid()))
    mixed = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Linear(2, 2, dtype=np.float32, rng=0))
    with pytest.raises(ValueError, match=r"mix dtypes \['float32', 'float64'\]"):
        to_onnx(mixed)
    with pytest.raises(ValueError, match="does not exist"):
        export_onnx(sigmoid_net(np.float32), tmp_path / "missing" / "m.onnx")


def test_reshapes_of_inner_dimensions_and_of_the_batch() -> None:
    inner = nn.Sequential(nn.Unflatten(1, (2, 2, 3)), nn.Flatten(2, 3), nn.Unflatten(1, (1, 2)))
    x = np.random.default_rng(3).normal(size=(5, 12))
    np.testing.assert_array_equal(run(inner, x, input_shape=(12,), dtype=np.float64), inner(x))
    with pytest.raises(ValueError, match=r"Unflatten.*splits the batch dimension"):
        to_onnx(nn.Unflatten(0, (1, -1)), input_shape=(3,), dtype=np.float64)
