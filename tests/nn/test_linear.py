"""Linear: the notes' z = Θ a with the bias unit, its Θ layout, initialisation and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch_bp import nn


def test_forward_is_theta_times_a_with_bias_unit() -> None:
    layer = nn.Linear(2, 3, rng=0)
    theta = np.array([[0.5, 1.0, -1.0], [0.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
    layer.theta = theta
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    expected = np.array([[0.5 + 1 - 2, 0 + 2 + 6, -1 + 0 + 2], [0.5 + 3 + 1, 6 - 3, -1 - 1]])
    np.testing.assert_array_equal(layer(x), expected)
    with_bias_unit = np.hstack([np.ones((2, 1)), x])
    np.testing.assert_allclose(layer(x), with_bias_unit @ theta.T, rtol=0, atol=1e-15)


def test_theta_layout_column_zero_is_bias() -> None:
    layer = nn.Linear(4, 2, rng=1)
    theta = layer.theta
    assert theta.shape == (2, 5)
    np.testing.assert_array_equal(theta[:, 0], layer.bias.data)
    np.testing.assert_array_equal(theta[:, 1:], layer.weight.data)
    assert layer.weight.shape == (2, 4) and layer.bias.shape == (2,)


def test_theta_setter_writes_in_place_and_checks_shape() -> None:
    layer = nn.Linear(2, 2, rng=1)
    storage = layer.weight.data
    layer.theta = np.arange(6.0).reshape(2, 3)
    assert layer.weight.data is storage
    np.testing.assert_array_equal(storage, [[1.0, 2.0], [4.0, 5.0]])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        layer.theta = np.zeros((3, 2))


def test_no_bias_layer_has_zero_bias_column() -> None:
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert layer.bias is None
    assert [p.shape for p in layer.parameters()] == [(2, 3)]
    np.testing.assert_array_equal(layer.theta[:, 0], 0.0)
    with pytest.raises(ValueError, match="no bias"):
        layer.theta = np.ones((2, 4))


def test_initialisation_is_the_course_epsilon_and_reproducible() -> None:
    eps = math.sqrt(6) / math.sqrt(400 + 25)
    a = nn.Linear(400, 25, rng=42)
    b = nn.Linear(400, 25, rng=np.random.default_rng(42))
    theta = a.theta
    assert np.abs(theta).max() <= eps
    assert np.abs(theta).max() > 0.99 * eps  # 10 025 draws reach the edge
    assert abs(theta.mean()) < 0.01 * eps
    np.testing.assert_array_equal(theta, b.theta)
    expected = np.random.default_rng(42).uniform(-eps, eps, size=(25, 401))
    np.testing.assert_array_equal(theta, expected)  # one draw of Θ, bias column included
    assert not np.array_equal(theta, nn.Linear(400, 25, rng=43).theta)


def test_backward_gives_delta_times_activation() -> None:
    layer = nn.Linear(3, 2, rng=0)
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    delta = np.array([[0.1, -0.2], [0.3, 0.4]])
    layer(x)
    dx = layer.backward(delta)
    np.testing.assert_allclose(layer.weight.grad, delta.T @ x, rtol=1e-15)
    np.testing.assert_allclose(layer.bias.grad, delta.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(dx, delta @ layer.weight.data, rtol=1e-15)


def test_gradients_accumulate_until_zero_grad() -> None:
    layer = nn.Linear(2, 2, rng=0)
    x, g = np.ones((1, 2)), np.ones((1, 2))
    layer(x)
    layer.backward(g)
    layer(x)
    layer.backward(g)
    np.testing.assert_array_equal(layer.weight.grad, 2 * np.ones((2, 2)))
    layer.zero_grad()
    np.testing.assert_array_equal(layer.weight.grad, 0.0)


def test_float32_end_to_end() -> None:
    layer = nn.Linear(3, 2, dtype=np.float32, rng=0)
    x = np.ones((4, 3), dtype=np.float32)
    z = layer(x)
    assert z.dtype == np.float32
    assert layer.backward(np.ones_like(z)).dtype == np.float32
    assert layer.weight.grad.dtype == np.float32


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.ones(3), r"one example per row.*reshape\(1, -1\)"),
        (np.ones((2, 4)), r"in_features=3.*4 columns.*rows are examples"),
        (np.ones((2, 3), dtype=np.int64), r"float32 or float64.*int64"),
        (np.ones((2, 3), dtype=np.float32), r"float64 but got float32"),
        (np.array([[1.0, np.nan, 0.0]]), r"NaN or inf.*index \(0, 1\)"),
        (np.array([[1.0, np.inf, 0.0]]), r"NaN or inf"),
    ],
)
def test_bad_input_is_refused_with_the_values(x: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nn.Linear(3, 2, rng=0)(x)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="in_features=0"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match="out_features=2.5"):
        nn.Linear(2, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dtype=int64"):
        nn.Linear(2, 2, dtype=np.int64)


def test_backward_with_wrong_gradient_shape() -> None:
    layer = nn.Linear(3, 2, rng=0)
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 3\).*expected \(4, 2\)"):
        layer.backward(np.ones((4, 3)))


def test_diverged_weights_are_reported() -> None:
    layer = nn.Linear(2, 2, rng=0)
    layer.weight.data[0, 0] = np.nan
    with pytest.raises(ValueError, match="weight contains 1 NaN"):
        layer(np.ones((1, 2)))


def test_repr_reads_like_pytorch() -> None:
    assert repr(nn.Linear(64, 25)) == "Linear(in_features=64, out_features=25, bias=True)"
