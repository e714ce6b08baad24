"""The loss end of the engine: the notes' δ^(L) = a^(L) − y where a Sigmoid feeds a BCELoss."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim, train

EXTREME = np.array([[40.0, -40.0, 800.0, -800.0, 0.3]])


def _saturated_net(dtype: Any) -> tuple[nn.Sequential, Any]:
    """A last Linear that passes its input through, so z^(L) is EXTREME itself."""
    out = nn.Linear(5, 5, dtype=dtype, rng=0)
    out.weight.data = np.eye(5)
    out.bias.data = np.zeros(5)
    return nn.Sequential(out, nn.Sigmoid()), EXTREME.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_bce_is_exactly_a_minus_y_even_saturated(dtype: Any) -> None:
    model, X = _saturated_net(dtype)
    Y = np.array([[0.0, 1.0, 0.0, 1.0, 1.0]], dtype=dtype)
    a = model(X)
    step = train.compile_step(
        model, nn.BCELoss(reduction="sum"), optim.SGD(model.parameters(), lr=1e-9)
    )
    J = step(X, Y)
    assert np.isfinite(J)
    delta = step.deltas[2]  # ∂J/∂z^(2) at the output of the only Linear
    np.testing.assert_array_equal(delta, a - Y)
    assert delta[0, 0] == 1.0 and delta[0, 1] == -1.0  # where a(1 − a) == 0
    # The plain chain (PyTorch's floor) gives nearly nothing there: the fusion matters.
    crit = nn.BCELoss(reduction="sum")
    crit(a, Y)
    plain = model[1].backward(crit.backward())
    assert abs(plain[0, 0]) < 1e-3


def test_the_fusion_is_chosen_only_for_exactly_sigmoid_then_bceloss() -> None:
    X = np.random.default_rng(0).normal(size=(4, 3))
    Y = np.eye(2)[[0, 1, 1, 0]]
    for last, loss, fused in (
        (nn.Sigmoid(), nn.BCELoss(), True),
        (nn.Softmax(), nn.BCELoss(), False),
        (nn.Sigmoid(), nn.MSELoss(), False),
    ):
        model = nn.Sequential(nn.Linear(3, 2, rng=0), last)
        step = train.compile_step(model, loss, optim.SGD(model.parameters(), lr=0.1))
        step(X, Y)
        assert ("(Sigmoid + BCELoss, fused)" in step.source()) == fused


def test_mse_computes_the_residual_once() -> None:
    X = np.random.default_rng(0).normal(size=(4, 3))
    Y = np.random.default_rng(1).normal(size=(4, 2))
    model = nn.Sequential(nn.Linear(3, 2, rng=0))
    step = train.compile_step(
        model, nn.MSELoss(reduction="sum"), optim.SGD(model.parameters(), lr=0.1)
    )
    step(X, Y)
    assert step.source().count("subtract(") == 0  # MSELoss.total leaves ŷ − y in the δ buffer
    assert "already in the residual" in step.source()
