"""Pure layers: what a module returns is the caller's, computed from the values it is given.

Each test here failed on the first core, which reused buffers across calls, let
containers set flags on their children and passed a hidden δ from BCELoss to Sigmoid
inside the gradient array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn

Array = Any


def _data(m: int = 6) -> tuple[Array, Array]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 3))
    Y = np.eye(2)[rng.integers(0, 2, size=m)]
    return X, Y


def _model(seed: int = 0) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 4, rng=seed), nn.Sigmoid(), nn.Linear(4, 2, rng=seed + 1), nn.Sigmoid()
    )


def _grads(model: nn.Module) -> dict[str, Array]:
    return {name: p.grad.copy() for name, p in model.named_parameters()}


def _backward_grads(model: nn.Module, grad: Array) -> dict[str, Array]:
    model.zero_grad()
    model.backward(grad)
    return _grads(model)


def test_scaling_the_loss_gradient_scales_every_parameter_gradient() -> None:
    X, Y = _data()
    model, crit = _model(), nn.BCELoss()
    crit(model(X), Y)
    reference = _backward_grads(model, crit.backward())
    crit(model(X), Y)
    g = crit.backward()
    g *= 0.5
    scaled = _backward_grads(model, g)
    for name, value in reference.items():
        np.testing.assert_allclose(scaled[name], 0.5 * value, rtol=1e-12, err_msg=name)


def test_masking_examples_in_the_loss_gradient_drops_them() -> None:
    X, Y = _data()
    model = _model()
    crit = nn.BCELoss()
    crit(model(X), Y)
    g = crit.backward()
    g[:3] = 0.0  # keep the last three examples only
    masked = _backward_grads(model, g)
    # the same gradient from the kept rows alone: ∑ over them, divided by the batch's m
    total = nn.BCELoss(reduction="sum")
    total(model(X[3:]), Y[3:])
    kept = _backward_grads(model, total.backward())
    for name, value in kept.items():
        np.testing.assert_allclose(masked[name], value / len(X), rtol=1e-12, err_msg=name)


def test_one_criterion_shared_by_two_models_gives_each_its_own_gradient() -> None:
    X, Y = _data()
    A, B = _model(0), _model(5)
    crit = nn.BCELoss()
    crit(A(X), Y)
    gA = crit.backward()
    crit(B(X), Y)
    crit.backward()
    shared = _backward_grads(A, gA)
    own = nn.BCELoss()
    own(A(X), Y)
    expected = _backward_grads(A, own.backward())
    for name, value in expected.items():
        np.testing.assert_allclose(shared[name], value, rtol=1e-12, err_msg=name)


def test_reusing_modules_in_a_new_container_leaves_the_old_one_alone() -> None:
    X, _ = _data()
    model = _model()
    _bigger = nn.Sequential(*model, nn.Linear(2, 1, rng=9))
    out1 = model(X)
    saved = out1.copy()
    out2 = model(X[::-1].copy())
    assert not np.shares_memory(out1, out2)
    np.testing.assert_array_equal(out1, saved)
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model(bad)


def test_a_layer_output_is_not_overwritten_by_the_next_forward() -> None:
    X, _ = _data()
    model = _model()
    z = model[0](X)
    a = model[1](z)
    saved = a.copy()
    model(X * 2.0)
    np.testing.assert_array_equal(a, saved)


def test_returned_input_gradients_are_plain_arrays_owned_by_the_caller() -> None:
    X, Y = _data()
    model = _model()
    crit = nn.BCELoss()
    crit(model(X), Y)
    g = crit.backward()
    assert type(g) is np.ndarray
    dX = model.backward(g, input_grad=True)
    assert type(dX) is np.ndarray
    saved = dX.copy()
    crit(model(X * 3.0), Y)
    model.backward(crit.backward(), input_grad=True)
    np.testing.assert_array_equal(dX, saved)
