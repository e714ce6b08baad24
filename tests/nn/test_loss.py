"""Losses against hand-computed values, the notes' ½ and J, clamping and bad targets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch_bp import nn


def test_mse_carries_the_notes_half() -> None:
    pred = np.array([[0.5], [0.25], [1.0]])
    y = np.array([[1.0], [0.0], [0.5]])
    sq = 0.25 + 0.0625 + 0.25
    assert nn.MSELoss(reduction="sum")(pred, y) == pytest.approx(0.5 * sq, rel=1e-15)
    assert nn.MSELoss()(pred, y) == pytest.approx(0.5 * sq / 3, rel=1e-15)
    assert nn.MSELoss(reduction="mean")(pred, y) == pytest.approx(0.5 * sq / 3, rel=1e-15)


def test_mse_gradient_is_minus_y_minus_yhat() -> None:
    loss = nn.MSELoss(reduction="sum")
    pred, y = np.array([[0.5, 2.0]]), np.array([[1.0, 1.0]])
    loss(pred, y)
    np.testing.assert_array_equal(loss.backward(), -(y - pred))


def test_bce_batchmean_is_the_notes_J_without_lambda() -> None:
    a = np.array([[0.8, 0.1, 0.3], [0.4, 0.9, 0.2]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    by_hand = (
        -sum(
            y[i, k] * math.log(a[i, k]) + (1 - y[i, k]) * math.log(1 - a[i, k])
            for i in range(2)
            for k in range(3)
        )
        / 2
    )
    assert nn.BCELoss()(a, y) == pytest.approx(by_hand, rel=1e-14)


def test_bce_gradient_is_the_notes_dJ_da() -> None:
    a = np.array([[0.8, 0.1]])
    y = np.array([[1.0, 0.0]])
    loss = nn.BCELoss(reduction="sum")
    loss(a, y)
    expected = (y - 1) / (a - 1) - y / a  # the notes' ∂J/∂a^(L)
    np.testing.assert_allclose(np.asarray(loss.backward()), expected, rtol=1e-14)


def test_bce_clamps_log_at_minus_100_like_pytorch() -> None:
    loss = nn.BCELoss(reduction="sum")
    assert loss(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])) == 200.0
    assert loss(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])) == 0.0
    grad = np.asarray(loss.backward())
    assert np.all(np.isfinite(grad))


def test_bce_refuses_values_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"prediction values must lie in \[0, 1\].*1.5"):
        nn.BCELoss()(np.array([[1.5]]), np.array([[1.0]]))
    with pytest.raises(ValueError, match=r"target values must lie in \[0, 1\].*min -1.0"):
        nn.BCELoss()(np.array([[0.5]]), np.array([[-1.0]]))


def test_bce_with_logits_equals_bce_of_sigmoid_and_is_stable() -> None:
    z = np.array([[1.5, -0.3], [2.0, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    a = 1 / (1 + np.exp(-z))
    assert nn.BCEWithLogitsLoss()(z, y) == pytest.approx(nn.BCELoss()(a, y), rel=1e-14)
    big = nn.BCEWithLogitsLoss(reduction="sum")
    assert big(np.array([[1e4, -1e4, 1e4]]), np.array([[0.0, 1.0, 1.0]])) == 2e4
    np.testing.assert_array_equal(big.backward(), [[1.0, -1.0, 0.0]])


def test_bce_with_logits_gradient_is_delta_L() -> None:
    z = np.array([[0.5, -1.0]])
    y = np.array([[1.0, 0.0]])
    loss = nn.BCEWithLogitsLoss(reduction="sum")
    loss(z, y)
    np.testing.assert_allclose(loss.backward(), 1 / (1 + np.exp(-z)) - y, rtol=1e-15)


def test_bad_reduction_and_bad_values() -> None:
    with pytest.raises(ValueError, match=r"reduction='avg' must be one of"):
        nn.MSELoss(reduction="avg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target contains 1 NaN"):
        nn.MSELoss()(np.zeros((2, 1)), np.array([[0.0], [np.nan]]))
    with pytest.raises(ValueError, match="one example per row"):
        nn.MSELoss()(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))


def test_integer_targets_follow_prediction_dtype() -> None:
    loss = nn.BCELoss()
    loss(np.full((2, 2), 0.5, dtype=np.float32), np.array([[1, 0], [0, 1]]))
    assert np.asarray(loss.backward()).dtype == np.float32
