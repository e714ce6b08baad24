"""Random networks and batches for the property tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from minitorch_bp import nn

# Every activation the package has (those added later join automatically).
ACTIVATION_NAMES = [
    name
    for name in ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax")
    if hasattr(nn, name)
]


@dataclass
class NetSpec:
    sizes: list[int]
    activation: str
    bias: bool
    m: int
    lam: float
    seed: int

    def build(self, dtype: Any = np.float64, activation: str | None = None) -> nn.Sequential:
        act = getattr(nn, activation or self.activation)
        layers: list[nn.Module] = []
        pairs = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(nn.Linear(n_in, n_out, bias=self.bias, dtype=dtype, rng=self.seed + i))
            layers.append(act() if i < len(pairs) - 1 else nn.Sigmoid())
        return nn.Sequential(*layers)

    def data(self, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        X = rng.normal(size=(self.m, self.sizes[0])).astype(dtype)
        Y = (rng.uniform(size=(self.m, self.sizes[-1])) < 0.5).astype(dtype)
        return X, Y


@st.composite
def net_specs(draw: st.DrawFn, max_width: int = 32) -> NetSpec:
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=4))
    n_in = draw(st.integers(1, 8))
    n_out = draw(st.integers(1, 5))
    return NetSpec(
        sizes=[n_in, *hidden, n_out],
        activation=draw(st.sampled_from(ACTIVATION_NAMES)),
        bias=draw(st.booleans()),
        m=draw(st.integers(1, 8)),
        lam=draw(st.sampled_from([0.0, 0.1, 1.0, 3.0])),
        seed=draw(st.integers(0, 2**16)),
    )
