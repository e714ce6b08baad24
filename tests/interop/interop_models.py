"""Models for the interop tests: every layer type the converters support."""

from __future__ import annotations

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
ACTIVATIONS = [name for name in SUPPORTED if name != "Linear"]


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
