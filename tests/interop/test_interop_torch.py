"""Round trips with PyTorch: parameters bit-identical, outputs equal to 1e-12 in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.interop import from_torch, to_torch, to_torch_state_dict

from interop_models import (
    ACTIVATION_ARGS,
    ACTIVATIONS,
    LAYER_MODELS,
    batch,
    layer_input,
    layer_model,
    sandwich,
    sigmoid_net,
)

torch = pytest.importorskip("torch")

RTOL = {np.float64: 1e-12, np.float32: 1e-5}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def torch_out(seq: Any, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return seq(torch.from_numpy(x)).numpy()


def assert_same_parameters(a: nn.Module, b: nn.Module) -> None:
    """Parameters and buffers (running statistics) bit-identical, same dtypes."""
    pa, pb = a.state_dict(), b.state_dict()
    assert list(pa) == list(pb)
    for key in pa:
        assert pa[key].dtype == pb[key].dtype, key
        np.testing.assert_array_equal(pa[key], pb[key], err_msg=key)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_bit_identical_and_keeps_the_dtype(dtype: Any) -> None:
    model = sigmoid_net(dtype)
    seq = to_torch(model)
    assert isinstance(seq, torch.nn.Sequential)
    assert {p.dtype for p in seq.parameters()} == {TORCH_DTYPE[dtype]}
    back = from_torch(seq)
    assert isinstance(back, nn.Sequential)
    assert [type(m).__name__ for m in back] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    assert_same_parameters(model, back)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m", [1, 7, 64])
def test_torch_outputs_equal_ours(dtype: Any, m: int) -> None:
    model = sigmoid_net(dtype, seed=m)
    x = batch(m, dtype, seed=m)
    out = torch_out(to_torch(model), x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, model(x), rtol=RTOL[dtype], atol=0)


def test_torch_state_dict_loads_into_to_torch() -> None:
    model = sigmoid_net(np.float64)
    seq = to_torch(model)
    sd = {k: torch.from_numpy(v) for k, v in to_torch_state_dict(model).items()}
    assert set(sd) == set(seq.state_dict())
    seq.load_state_dict(sd, strict=True)
    np.testing.assert_array_equal(seq[2].weight.detach().numpy(), model[2].weight.data)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_layer_round_trips(name: str, dtype: Any) -> None:
    model = sandwich(name, dtype)
    seq = to_torch(model)
    assert type(seq[1]).__name__ == name
    back = from_torch(seq)
    assert type(back[1]) is type(model[1])
    assert back[1].config() == model[1].config()
    assert_same_parameters(model, back)
    x = batch(9, dtype)
    np.testing.assert_allclose(torch_out(seq, x), model(x), rtol=RTOL[dtype], atol=0)
    np.testing.assert_array_equal(back(x), model(x))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize("name", list(LAYER_MODELS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_shaped_layer_round_trips(name: str, dtype: Any) -> None:
    model = layer_model(name, dtype)
    seq = to_torch(model)
    back = from_torch(seq)
    wrapped = model if isinstance(model, nn.Sequential) else nn.Sequential(model)
    assert_same_parameters(wrapped, back)  # the state dicts: buffers too
    assert [type(m) for _, m in back.named_modules()] == [
        type(m) for _, m in wrapped.named_modules()
    ]
    x = layer_input(name, 6, dtype)
    with torch.no_grad():
        theirs = seq(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, model(x), rtol=RTOL[dtype], atol=RTOL[dtype])
    np.testing.assert_array_equal(back.eval()(x), model(x))
    assert to_torch_state_dict(model).keys() == seq.state_dict().keys()


def test_running_statistics_and_modes_cross_both_ways() -> None:
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU())
    rng = np.random.default_rng(0)
    for _ in range(4):
        model(rng.normal(size=(8, 3)))
    model[1].eval()  # one module in eval mode, the others in training mode
    seq = to_torch(model)
    assert seq.training and not seq[1].training and seq[2].training
    assert int(seq[1].num_batches_tracked) == 4
    np.testing.assert_array_equal(seq[1].running_var.numpy(), model[1].running_var)
    seq[1].train()
    with torch.no_grad():
        seq(torch.from_numpy(rng.normal(size=(8, 3))))  # torch updates them once more
    back = from_torch(seq)
    assert int(back[1].num_batches_tracked) == 5 and back[1].training
    np.testing.assert_array_equal(back[1].running_mean, seq[1].running_mean.numpy())


def test_residual_becomes_a_torch_module_computing_x_plus_block() -> None:
    from minitorch_bp.interop import torch_residual_class

    model = nn.Sequential(nn.Residual(nn.Sequential(nn.Linear(3, 3, rng=0), nn.Tanh())))
    seq = to_torch(model)
    assert type(seq[0]) is torch_residual_class()
    assert list(seq.state_dict()) == ["0.block.0.weight", "0.block.0.bias"]
    x = batch(4, np.float64)[:, :3].copy()
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.from_numpy(x)).numpy(), model(x), rtol=1e-12)
    native = torch.nn.Sequential(torch_residual_class()(torch.nn.Linear(3, 3).double()))
    assert isinstance(from_torch(native)[0], nn.Residual)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (torch.nn.Conv2d(2, 2, 3, groups=2), "groups=2 is not supported"),
        (torch.nn.MaxPool2d(2, return_indices=True), "return_indices=True is not supported"),
        (torch.nn.Conv2d(2, 2, 3, padding_mode="reflect"), "padding_mode='reflect'"),
        (torch.nn.Embedding(5, 2, max_norm=1.0), "max_norm=1.0 has no equivalent"),
    ],
)
def test_torch_options_we_do_not_have_are_refused_by_name(module: Any, message: str) -> None:
    with pytest.raises(ValueError, match=rf"module 0 .*{message}"):
        from_torch(torch.nn.Sequential(module))


@pytest.mark.parametrize(
    ("name", "attr", "value"),
    [("LeakyReLU", "negative_slope", 0.2), ("Softmax", "dim", -1), ("Dropout", "p", 0.3)],
)
def test_arguments_cross_under_torch_names(name: str, attr: str, value: float) -> None:
    seq = to_torch(sandwich(name, np.float64))
    assert getattr(seq[1], attr) == value
    assert ACTIVATION_ARGS[name]  # the value above is the one the test model was built with


def test_training_mode_follows_the_source() -> None:
    model = sigmoid_net(np.float64)
    assert to_torch(model).training
    assert not to_torch(model.eval()).training
    seq = torch.nn.Sequential(torch.nn.Linear(2, 2)).eval()
    assert not from_torch(seq).training


def test_native_torch_model_comes_back_with_the_same_outputs() -> None:
    torch.manual_seed(0)
    seq = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 2, bias=False)
    ).double()
    model = from_torch(seq)
    assert model[2].bias is None
    x = batch(7, np.float64)
    np.testing.assert_allclose(model(x), torch_out(seq, x), rtol=1e-12, atol=0)


def test_nested_sequentials_round_trip() -> None:
    model = nn.Sequential(
        nn.Sequential(nn.Linear(5, 4, rng=0), nn.GELU()), nn.Sequential(nn.Linear(4, 3, rng=1))
    )
    seq = to_torch(model)
    assert isinstance(seq[0], torch.nn.Sequential) and isinstance(seq[0][1], torch.nn.GELU)
    back = from_torch(seq)
    assert_same_parameters(model, back)
    x = batch(4, np.float64)
    np.testing.assert_allclose(torch_out(seq, x), model(x), rtol=1e-12, atol=0)


def test_unsupported_torch_module_is_named_with_its_position() -> None:
    seq = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Hardswish())
    with pytest.raises(
        ValueError,
        match=r"module 1 is Hardswish .*supported: torch.nn.AdaptiveAvgPool2d.*torch.nn.Dropout",
    ):
        from_torch(seq)


def test_torch_subclass_is_refused() -> None:
    class MyLinear(torch.nn.Linear):  # type: ignore[misc]
        pass

    with pytest.raises(ValueError, match="module 0 is MyLinear"):
        from_torch(torch.nn.Sequential(MyLinear(2, 2)))


def test_half_precision_is_refused() -> None:
    seq = torch.nn.Sequential(torch.nn.Linear(2, 2).half())
    with pytest.raises(ValueError, match=r"module 0 weight has dtype torch.float16"):
        from_torch(seq)


def test_non_sequential_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a torch.nn.Sequential, got Linear"):
        from_torch(torch.nn.Linear(2, 2))


def test_softmax_without_dim_becomes_last_axis() -> None:
    model = from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Softmax()))
    assert model[1].config()["dim"] == -1
