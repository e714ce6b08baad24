"""Sigmoid: the notes' g(z) and g'(z) = a(1 − a), stability, and the fused δ^(L)."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn


def test_values() -> None:
    z = np.array([[0.0, 1.0, -1.0, 2.0]])
    np.testing.assert_allclose(nn.Sigmoid()(z), 1 / (1 + np.exp(-z)), rtol=1e-15)


def test_g_prime_at_zero_is_one_quarter() -> None:
    s = nn.Sigmoid()
    s(np.zeros((1, 1)))
    assert s.backward(np.ones((1, 1)))[0, 0] == 0.25


def test_backward_is_a_times_one_minus_a() -> None:
    s = nn.Sigmoid()
    z = np.array([[-2.0, 0.5, 3.0]])
    a = s(z)
    g = np.array([[1.0, -2.0, 0.5]])
    np.testing.assert_allclose(s.backward(g), g * a * (1 - a), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_at_extremes_without_warnings(dtype: type) -> None:
    z = np.array([[-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4]], dtype=dtype)
    a = nn.Sigmoid()(z)  # pytest runs with warnings as errors
    assert a.dtype == dtype
    assert np.all(np.isfinite(a))
    assert a[0, 0] == 0.0 and a[0, -1] == 1.0 and a[0, 3] == 0.5
    np.testing.assert_allclose(a[0, 2], np.exp(-50.0) / (1 + np.exp(-50.0)), rtol=1e-6)


def test_sigmoid_keeps_relative_precision_in_the_left_tail() -> None:
    a = nn.Sigmoid()(np.array([[-30.0]]))
    assert a[0, 0] == pytest.approx(9.357622968840175e-14, rel=1e-14)


def test_sigmoid_into_bce_is_a_minus_y_until_the_sigmoid_saturates() -> None:
    """The plain chain is the notes' δ^(L) = a − y where a(1 − a) ≥ 1e-12, PyTorch's floor beyond.

    The exact a − y at any z is BCEWithLogitsLoss's gradient, and the engine's fused
    Sigmoid + BCELoss (tests/engine/test_fusions.py).
    """
    s, bce = nn.Sigmoid(), nn.BCELoss(reduction="sum")
    z = np.array([[40.0, -40.0, 0.3]])  # the first two saturate: a(1 − a) < 1e-12
    a = s(z)
    y = np.array([[0.0, 1.0, 1.0]])
    bce(a, y)
    delta = s.backward(bce.backward())
    assert delta[0, 2] == pytest.approx(a[0, 2] - y[0, 2], rel=1e-15)
    slope = a * (1 - a)
    np.testing.assert_allclose(delta, (a - y) / np.maximum(slope, 1e-12) * slope, rtol=1e-15)
    logits = nn.BCEWithLogitsLoss(reduction="sum")
    logits(z, y)
    np.testing.assert_allclose(logits.backward(), a - y, rtol=1e-15)
    assert logits.backward()[0, 0] == 1.0 and logits.backward()[0, 1] == -1.0


def test_plain_gradient_is_not_mistaken_for_the_fused_one() -> None:
    s, bce = nn.Sigmoid(), nn.BCELoss(reduction="sum")
    a = s(np.array([[0.3, -0.2]]))
    y = np.array([[1.0, 0.0]])
    bce(a.copy(), y)  # a copy: the loss did not see this module's output
    g = bce.backward()
    np.testing.assert_allclose(s.backward(g * 2.0), 2 * (a - y), rtol=1e-12)


def test_fused_delta_returned_to_the_caller_is_not_the_losss_buffer() -> None:
    s, bce = nn.Sigmoid(), nn.BCELoss()
    a = s(np.array([[0.3, -0.2]]))
    bce(a, np.array([[1.0, 0.0]]))
    first = s.backward(bce.backward())
    saved = first.copy()
    bce(a, np.array([[0.0, 1.0]]))
    bce.backward()  # recomputes the loss's δ buffer
    np.testing.assert_array_equal(first, saved)
