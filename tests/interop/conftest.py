"""The stand-in layer fixture of the interop tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from minitorch_bp import nn


@pytest.fixture
def fake_tanh(monkeypatch: pytest.MonkeyPatch) -> Callable[[], nn.Module]:
    """Install a stand-in ``nn.Tanh`` so the by-name lookup is tested before it exists."""

    class Tanh(nn.Module):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return np.tanh(x)

    monkeypatch.setattr(nn, "Tanh", Tanh, raising=False)
    return Tanh
