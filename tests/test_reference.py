"""reference: the notes' formulas as plain functions, checked on numbers worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch_bp import reference


def test_sigmoid_gradient_at_zero_is_a_quarter() -> None:
    assert reference.sigmoid_gradient(np.array([0.0]))[0] == 0.25


def test_feedforward_by_hand() -> None:
    theta1 = np.array([[0.1, 0.2, 0.3]])  # one hidden unit, two inputs
    theta2 = np.array([[-0.5, 1.0]])
    a, z = reference.feedforward([theta1, theta2], np.array([1.0, 2.0]))
    z2 = 0.1 + 0.2 + 0.6
    a2 = 1 / (1 + math.exp(-z2))
    z3 = -0.5 + a2
    assert z[1][0] == pytest.approx(z2) and a[1][0] == pytest.approx(a2)
    assert z[2][0] == pytest.approx(z3) and a[2][0] == pytest.approx(1 / (1 + math.exp(-z3)))


def test_cost_regularises_all_but_the_bias_column() -> None:
    theta = np.array([[30.0, 0.0]])  # a large bias, no weight: λ adds nothing
    X, Y = np.array([[1.0]]), np.array([[1.0]])
    assert reference.cost([theta], X, Y, lam=5.0) == pytest.approx(
        math.log1p(math.exp(-30)), rel=1e-3
    )
    theta = np.array([[0.0, 2.0]])
    X = np.array([[0.0]])
    expected = math.log(2) + 5.0 / 2 * 4.0
    assert reference.cost([theta], X, Y, lam=5.0) == pytest.approx(expected, rel=1e-14)


def test_backprop_loop_matches_central_differences_of_cost() -> None:
    rng = np.random.default_rng(0)
    thetas = [rng.normal(size=(4, 4)), rng.normal(size=(2, 5))]
    X, Y = rng.normal(size=(5, 3)), np.eye(2)[[0, 1, 1, 0, 1]]
    J, D = reference.backprop_loop(thetas, X, Y, lam=1.5)
    assert J == pytest.approx(reference.cost(thetas, X, Y, 1.5), rel=1e-15)
    eps = 1e-6
    for theta, D_l in zip(thetas, D):
        for idx in np.ndindex(theta.shape):
            saved = theta[idx]
            theta[idx] = saved + eps
            plus = reference.cost(thetas, X, Y, 1.5)
            theta[idx] = saved - eps
            minus = reference.cost(thetas, X, Y, 1.5)
            theta[idx] = saved
            assert D_l[idx] == pytest.approx((plus - minus) / (2 * eps), rel=1e-6, abs=1e-9)


def test_regression_gradients_match_central_differences() -> None:
    rng = np.random.default_rng(1)
    W1, W2 = rng.normal(size=(2, 3)), rng.normal(size=(3, 1))
    X = np.array([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]])
    y = np.array([[0.75], [0.82], [0.93]])
    J, dW1, dW2 = reference.regression_gradients(W1, W2, X, y)
    for W, dW in ((W1, dW1), (W2, dW2)):
        for idx in np.ndindex(W.shape):
            saved = W[idx]
            W[idx] = saved + 1e-6
            plus = reference.regression_gradients(W1, W2, X, y)[0]
            W[idx] = saved - 1e-6
            minus = reference.regression_gradients(W1, W2, X, y)[0]
            W[idx] = saved
            assert dW[idx] == pytest.approx((plus - minus) / 2e-6, rel=1e-6, abs=1e-10)
