"""Numerical extremes: ±1e4 inputs and logits, probabilities of exactly 0 and 1, float32.

pytest runs with warnings as errors, so any RuntimeWarning (overflow, divide by zero,
invalid value) fails these tests. Where clipping happens is listed in docs/reliability.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn

DTYPES = [np.float64, np.float32]
EXTREME = np.array([[-1e4, -1e3, -80.0, -1.0, 0.0, 1.0, 80.0, 1e3, 1e4]])


def _finite(*arrays: Any) -> bool:
    return all(np.isfinite(np.asarray(a)).all() for a in arrays)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_network_on_extreme_inputs(dtype: Any) -> None:
    model = nn.Sequential(
        nn.Linear(9, 4, dtype=dtype, rng=0),
        nn.Sigmoid(),
        nn.Linear(4, 2, dtype=dtype, rng=1),
        nn.Sigmoid(),
    )
    X = np.vstack([EXTREME, -EXTREME]).astype(dtype)
    Y = np.array([[1, 0], [0, 1]], dtype=dtype)
    loss = nn.BCELoss()
    J = loss(model(X), Y)
    dX = model.backward(loss.backward(), input_grad=True)
    assert np.isfinite(J) and _finite(dX, *(p.grad for p in model.parameters()))
    assert dX.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_probabilities_of_exactly_zero_and_one(dtype: Any) -> None:
    a = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    loss = nn.BCELoss(reduction="sum")
    assert loss(a, y) == pytest.approx(200.0)  # two logs clamped at -100, two exact zeros
    grad = np.asarray(loss.backward())
    assert _finite(grad) and grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_saturated_sigmoid_into_bce_stays_finite_with_pytorchs_floor(dtype: Any) -> None:
    s = nn.Sigmoid()
    a = s(EXTREME.astype(dtype))
    y = np.ones_like(a)
    loss = nn.BCELoss(reduction="sum")
    J = loss(a, y)
    delta = s.backward(loss.backward())
    assert np.isfinite(J) and _finite(delta)
    slope = a * (1 - a)
    expected = (a - y) / np.maximum(slope, 1e-12) * slope  # PyTorch's BCE(Sigmoid) chain
    np.testing.assert_allclose(delta, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_of_1e4(dtype: Any) -> None:
    z = EXTREME.astype(dtype)
    y = (np.arange(z.size) % 2).reshape(z.shape).astype(dtype)
    loss = nn.BCEWithLogitsLoss(reduction="sum")
    J = loss(z, y)
    g = loss.backward()
    assert np.isfinite(J) and _finite(g) and g.dtype == dtype
    assert J >= 1e4  # the wrong-side ±1e4 logits cost about 1e4 each


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_on_extreme_values(dtype: Any) -> None:
    pred = EXTREME.astype(dtype)
    loss = nn.MSELoss()
    assert np.isfinite(loss(pred, -pred))
    assert _finite(loss.backward())


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_and_cross_entropy_extremes(dtype: Any) -> None:
    soft = nn.Softmax()
    equal = soft(np.full((2, 5), 7.0, dtype=dtype))
    np.testing.assert_allclose(equal, 0.2, rtol=1e-6)
    p = soft(EXTREME.astype(dtype))
    assert _finite(p, soft.backward(np.ones_like(p)))
    ce = nn.CrossEntropyLoss()
    J = ce(EXTREME.astype(dtype), np.array([0]))
    assert np.isfinite(J) and J == pytest.approx(2e4, rel=1e-6)
    assert _finite(ce.backward())


ACTIVATIONS = [c for c in nn.registry.classes() if issubclass(c, nn.Elementwise)]


@pytest.mark.parametrize("cls", ACTIVATIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_activation_at_extremes_is_finite_without_warnings(cls: type, dtype: Any) -> None:
    act = cls()
    out = act(EXTREME.astype(dtype))
    assert out.dtype == dtype and _finite(out, act.backward(np.ones_like(out)))
