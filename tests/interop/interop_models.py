"""Models for the interop tests: every layer type the converters support."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minitorch_bp import nn
from minitorch_bp.interop import SUPPORTED

#: Constructor arguments for each supported activation, chosen to differ from defaults.
ACTIVATION_ARGS: dict[str, dict[str, Any]] = {
    "Sigmoid": {},
    "Tanh": {},
    "ReLU": {},
    "LeakyReLU": {"negative_slope": 0.2},
    "Softmax": {"dim": -1},
    "LogSoftmax": {"dim": -1},
    "Identity": {},
    "Dropout": {"p": 0.3},
    "Softplus": {"beta": 1.5, "threshold": 2.0},
    "GELU": {"approximate": "none"},
    "ELU": {"alpha": 0.3},
    "SELU": {},
}


def _bn(cls: type, channels: int, dtype: Any) -> nn.Module:
    """A batch norm in evaluation mode with running statistics and γ, β away from 0 and 1."""
    bn = cls(channels, eps=1e-3, dtype=dtype)
    rng = np.random.default_rng(5)
    bn.running_mean = rng.normal(size=channels)
    bn.running_var = rng.uniform(0.5, 2.0, size=channels)
    bn.weight.data, bn.bias.data = rng.normal(size=channels), rng.normal(size=channels)
    return bn


Maker = Callable[[Any], nn.Module]
#: The layers that take other shapes than (m, features): a model holding each, the shape
#: of one example, and what export_onnx needs to be told (``input_shape`` where the first
#: layer cannot say). Each model is used in evaluation mode.
LAYER_MODELS: dict[str, tuple[Maker, tuple[int, ...], dict[str, Any]]] = {
    "Conv2d": (
        lambda dt: nn.Sequential(
            nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1), dtype=dt, rng=0)
        ),
        (2, 7, 8),
        {},
    ),
    "Conv1d": (lambda dt: nn.Conv1d(3, 2, 3, stride=2, padding=1, dtype=dt, rng=1), (3, 9), {}),
    "MaxPool2d": (lambda dt: nn.MaxPool2d(3, 2, 1), (2, 7, 8), {"input_shape": (2, 7, 8)}),
    "AvgPool2d": (
        lambda dt: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        (2, 7, 8),
        {"input_shape": (2, 7, 8)},
    ),
    "AdaptiveAvgPool2d": (
        lambda dt: nn.AdaptiveAvgPool2d((2, 3)),
        (2, 7, 8),
        {"input_shape": (2, 7, 8)},
    ),
    "Flatten": (lambda dt: nn.Flatten(), (2, 3, 4), {"input_shape": (2, 3, 4)}),
    "Unflatten": (lambda dt: nn.Unflatten(1, (2, 3)), (6,), {"input_shape": (6,)}),
    "BatchNorm1d": (lambda dt: _bn(nn.BatchNorm1d, 4, dt), (4,), {}),
    "BatchNorm2d": (lambda dt: _bn(nn.BatchNorm2d, 2, dt), (2, 4, 5), {}),
    "LayerNorm": (lambda dt: nn.LayerNorm((3, 4), dtype=dt), (3, 4), {}),
    "Embedding": (lambda dt: nn.Embedding(10, 3, padding_idx=0, dtype=dt, rng=2), (5,), {}),
    "Residual": (
        lambda dt: nn.Residual(nn.Sequential(nn.Linear(5, 5, dtype=dt, rng=3), nn.Tanh())),
        (5,),
        {"input_shape": (5,)},
    ),
}
ACTIVATIONS = [name for name in SUPPORTED if name != "Linear" and name not in LAYER_MODELS]


def layer_model(name: str, dtype: Any) -> nn.Module:
    """The model of :data:`LAYER_MODELS` for the layer ``name``, in evaluation mode."""
    return LAYER_MODELS[name][0](dtype).eval()


def layer_input(name: str, m: int, dtype: Any, seed: int = 0) -> np.ndarray:
    """A batch of ``m`` examples for :func:`layer_model` (integer indices for Embedding)."""
    rng = np.random.default_rng(seed)
    shape = (m, *LAYER_MODELS[name][1])
    if name == "Embedding":
        return rng.integers(0, 10, size=shape)
    return rng.standard_normal(shape).astype(dtype)


def sandwich(name: str, dtype: Any, seed: int = 0) -> nn.Sequential:
    """Linear(5, 6) -> nn.<name> -> Linear(6, 3), in eval mode."""
    cls = nn.registry.get(name)
    assert cls is not None, name
    model = nn.Sequential(
        nn.Linear(5, 6, dtype=dtype, rng=seed),
        cls(**ACTIVATION_ARGS[name]),
        nn.Linear(6, 3, dtype=dtype, rng=seed + 1),
    )
    return model.eval()


def sigmoid_net(dtype: Any, seed: int = 0) -> nn.Sequential:
    """The notes' shape: Linear -> Sigmoid -> Linear -> Sigmoid."""
    return nn.Sequential(
        nn.Linear(5, 8, dtype=dtype, rng=seed),
        nn.Sigmoid(),
        nn.Linear(8, 3, dtype=dtype, rng=seed + 1),
        nn.Sigmoid(),
    )


def batch(m: int, dtype: Any, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((m, 5)).astype(dtype)
