"""Models for the interop tests, built from the layers this installation has."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.interop import SUPPORTED

#: Constructor arguments for each supported activation, chosen to differ from defaults.
ACTIVATION_ARGS: dict[str, dict[str, Any]] = {
    "Sigmoid": {},
    "Tanh": {},
    "ReLU": {},
    "LeakyReLU": {"negative_slope": 0.2},
    "Softmax": {"axis": -1},
    "Identity": {},
    "Dropout": {"p": 0.3},
}
ACTIVATIONS = [name for name in SUPPORTED if name != "Linear"]


def sandwich(name: str, dtype: Any, seed: int = 0) -> nn.Sequential:
    """Linear(5, 6) -> nn.<name> -> Linear(6, 3), skipping when nn.<name> is absent."""
    cls = getattr(nn, name, None)
    if cls is None:
        pytest.skip(f"nn.{name} is not in this version of minitorch_bp yet")
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


def install_fake_tanh(monkeypatch: pytest.MonkeyPatch) -> type[nn.Module]:
    """Install a stand-in ``nn.Tanh`` so the by-name lookup is tested before it exists.

    (A helper, not a conftest fixture: a second ``conftest`` module would shadow the
    ``from conftest import ...`` of the tests one folder up.)
    """

    class Tanh(nn.Module):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return np.tanh(x)

    monkeypatch.setattr(nn, "Tanh", Tanh, raising=False)
    return Tanh
