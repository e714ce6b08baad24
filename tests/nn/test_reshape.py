"""Flatten and Unflatten renumber the units; δ is reshaped back, nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn


def test_flatten_numbers_unit_c_h_w_as_c_H_W_plus_h_W_plus_w() -> None:
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 60)
    c, h, w = 2, 1, 3
    assert flat[1, c * 4 * 5 + h * 5 + w] == x[1, c, h, w]


def test_backward_is_the_gradient_in_the_input_shape_and_a_new_array() -> None:
    flat = nn.Flatten()
    x = np.arange(24.0).reshape(2, 3, 4)
    y = flat(x)
    assert not np.shares_memory(y, x)
    g = np.arange(24.0).reshape(2, 12)
    dx = flat.backward(g)
    np.testing.assert_array_equal(dx, x)
    assert not np.shares_memory(dx, g)


def test_flatten_of_other_dimensions_and_unflatten_with_minus_one() -> None:
    x = np.zeros((2, 3, 4, 5))
    assert nn.Flatten(2, 3)(x).shape == (2, 3, 20)
    assert nn.Flatten(0, -1)(x).shape == (120,)
    assert nn.Unflatten(1, (2, -1))(np.zeros((2, 6))).shape == (2, 2, 3)
    up = nn.Unflatten(-1, (5, 1))
    assert up.output_shape((2, 3, 5)) == (2, 3, 5, 1)
    np.testing.assert_array_equal(
        nn.Unflatten(1, (1, 8, 8))(np.arange(64.0)[None])[0, 0, 2], np.arange(16.0, 24.0)
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nn.Flatten(start_dim=2)(np.ones((2, 3))), r"cannot join dimensions 2\.\.-1"),
        (
            lambda: nn.Unflatten(1, (4, 2))(np.ones((2, 6))),
            r"cannot split dimension 1 .* into \(4, 2\)",
        ),
        (lambda: nn.Unflatten(1, (-1, -1)), "one of them may be -1"),
        (lambda: nn.Unflatten(1, 6), "must be a tuple of positive integers"),
        (lambda: nn.Flatten(start_dim=1.5), "start_dim=1.5 must be an integer"),
    ],
)
def test_bad_shapes_and_arguments_are_refused(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
