"""Errors raised inside a Sequential name the layer's position (overflow included)."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn


def test_overflow_in_a_linear_names_its_position() -> None:
    # Before: "Linear(...) produced inf ..." without saying which of the model's layers.
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 2, rng=1))
    model[2].weight.data[:] = 1e308
    model[2].bias.data[:] = 1e308
    with (
        pytest.warns(RuntimeWarning),
        pytest.raises(
            FloatingPointError, match=r"^Sequential layer 2: Linear\(in_features=2, out_features=2"
        ),
    ):
        model(np.ones((3, 2)))


def test_nested_positions_read_outside_in() -> None:
    inner = nn.Sequential(nn.Linear(2, 2, rng=0))
    model = nn.Sequential(nn.Identity(), inner)
    with pytest.raises(ValueError, match=r"^Sequential layer 1: Sequential layer 0: Linear"):
        model(np.ones((3, 5)))
