"""Freezing: ``Parameter.requires_grad`` and ``Module.requires_grad_``, as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.nn.regularization import decays


def test_requires_grad_false_accumulates_no_gradient_in_linear() -> None:
    layer = nn.Linear(3, 2, rng=0)
    assert layer.requires_grad_(False) is layer
    assert [p.requires_grad for p in layer.parameters()] == [False, False]
    x = np.ones((4, 3))
    layer(x)
    dx = layer.backward(np.ones((4, 2)))
    np.testing.assert_array_equal(dx, np.ones((4, 2)) @ layer.weight.data)  # ∂J/∂x still flows
    assert not layer.weight.grad.any() and not layer.bias.grad.any()
    layer.bias.requires_grad = True  # one parameter at a time
    layer(x)
    layer.backward(np.ones((4, 2)))
    assert not layer.weight.grad.any()
    np.testing.assert_array_equal(layer.bias.grad, [4.0, 4.0])


def test_the_lambda_rule_leaves_frozen_parameters_out() -> None:
    """A frozen weight is a constant: the notes' λ/(2m)ΣΘ² neither counts nor decays it."""
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=1))
    full = nn.l2_penalty(model, 2.0, 4)
    model[0].requires_grad_(False)
    assert not decays(model[0].weight) and decays(model[2].weight)
    assert nn.l2_penalty(model, 2.0, 4) == pytest.approx(nn.l2_penalty(model[2], 2.0, 4))
    assert nn.l2_penalty(model, 2.0, 4) < full
    opt = optim.SGD(model.parameters(), lr=0.1, l2=2.0)
    assert opt.l2_penalty(4) == nn.l2_penalty(model, 2.0, 4)


def test_fine_tune_the_last_layer_only() -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 3)), (rng.uniform(size=(20, 1)) > 0.5).astype(float)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    first = model[0].weight.data.copy()
    model[0].requires_grad_(False)
    opt = optim.Adam(model.parameters(), lr=0.1)
    crit = nn.BCELoss()
    losses = []
    for _ in range(30):
        opt.zero_grad()
        losses.append(crit(model(X), Y))
        model.backward(crit.backward())
        opt.step()
    np.testing.assert_array_equal(model[0].weight.data, first)
    assert losses[-1] < losses[0]


def test_flag_is_checked_and_shown() -> None:
    p = nn.Parameter(np.zeros(2))
    before = nn.Parameter.freeze_changes
    p.requires_grad = False
    p.requires_grad = False  # no change, no count
    assert nn.Parameter.freeze_changes == before + 1
    assert repr(p) == "Parameter(shape=(2,), dtype=float64, regularized=True, requires_grad=False)"
    with pytest.raises(ValueError, match="requires_grad=1 must be True or False"):
        p.requires_grad = 1  # type: ignore[assignment]
    assert nn.Parameter(np.zeros(1), requires_grad=False).requires_grad is False


def test_pytorch_freezes_the_same_way() -> None:
    torch = pytest.importorskip("torch")
    from minitorch_bp.interop import to_torch

    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    tm = to_torch(model)
    model[0].requires_grad_(False)
    tm[0].requires_grad_(False)
    x = np.random.default_rng(1).normal(size=(5, 3))
    g = np.random.default_rng(2).normal(size=(5, 2))
    model(x)
    model.backward(g)
    tm(torch.from_numpy(x)).backward(torch.from_numpy(g))
    assert tm[0].weight.grad is None and not model[0].weight.grad.any()
    np.testing.assert_allclose(model[2].weight.grad, tm[2].weight.grad.numpy(), rtol=1e-12)
