"""The one λ rule: every parameter marked ``regularized`` decays, whoever wrote its layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import gradcheck, nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.train import fit


class Scale(nn.Module):
    """A user's layer with its own Parameter: y = w·x, written without any helper."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(np.array([[2.0]]))

    def forward(self, x: Any) -> Any:
        self.x = x
        return x * self.w.data

    def backward(self, grad_output: Any) -> Any:
        self.w.grad += np.sum(grad_output * self.x, keepdims=True)
        return grad_output * self.w.data


def test_a_user_layer_parameter_gets_weight_decay() -> None:
    layer = Scale()
    X = np.array([[1.0], [3.0]])
    Y = np.array([[0.5], [1.0]])
    lr, lam, m = 0.1, 10.0, 2
    opt = optim.SGD(layer.parameters(), lr=lr, l2=lam)
    fit(
        layer,
        nn.MSELoss(),
        opt,
        DataLoader(X, Y, m, shuffle=False),
        epochs=1,
        progress=False,
        metrics=("loss",),
    )
    grad = np.sum((2.0 * X - Y) * X) / m  # ½·mean squared error, batchmean
    expected = 2.0 - lr * (grad + lam / m * 2.0)
    assert layer.w.data[0, 0] == pytest.approx(expected, rel=1e-14)


def test_regularize_bias_is_gone_from_the_optimizers() -> None:
    """Two rules (the optimizer's flag, the parameters' flag) gave two objectives."""
    layer = nn.Linear(2, 1, rng=0)
    for make in (optim.SGD, optim.Adam, optim.LBFGS):
        kwargs: dict[str, Any] = {} if make is optim.LBFGS else {"lr": 0.1}
        with pytest.raises(TypeError, match="regularize_bias"):
            make(layer.parameters(), l2=1.0, regularize_bias=True, **kwargs)


def test_logged_J_is_the_objective_the_optimizer_descends_with_regularised_biases() -> None:
    """fit's J and the optimizer's D come from one rule: D is the gradient of J."""
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1), nn.Sigmoid())
    for p in model.parameters():
        p.regularized = True  # biases too, through the one flag there is
    crit, lam, lr = nn.MSELoss(), 3.0, 0.1
    assert gradcheck(model, crit, X, Y, l2=lam) < 1e-9  # D = ∂J/∂Θ with J = data + l2_penalty
    before = [p.data.copy() for p in model.parameters()]
    J = crit(model(X), Y) + nn.l2_penalty(model, lam, len(X))
    model.zero_grad()
    model.backward(crit.backward())
    D = [nn.l2_gradient(p, lam, len(X)) for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=lr, l2=lam)
    for p, b in zip(model.parameters(), before):
        p.data = b
    history = fit(
        model,
        crit,
        opt,
        DataLoader(X, Y, 5, shuffle=False),
        epochs=1,
        progress=False,
        metrics=("loss",),
    )
    assert history["loss"][0] == pytest.approx(J, rel=1e-14)
    for p, b, d in zip(model.parameters(), before, D):
        np.testing.assert_allclose(p.data, b - lr * d, rtol=1e-13, atol=1e-16)
