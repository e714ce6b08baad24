"""LayerNorm: each example over its own last dimensions; the same in train and eval."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn


def test_each_example_is_standardised_over_its_last_dimensions() -> None:
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(4, 2, 3, 5))
    ln = nn.LayerNorm((3, 5), eps=1e-3)
    out = ln(x)
    np.testing.assert_allclose(out.mean(axis=(2, 3)), 0.0, atol=1e-13)
    expected = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(
        x.var(axis=(2, 3), keepdims=True) + 1e-3
    )
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_array_equal(ln.eval()(x), out)  # no running statistics


def test_examples_do_not_interact() -> None:
    ln = nn.LayerNorm(4)
    x = np.random.default_rng(1).normal(size=(3, 4))
    ln(x)
    g = np.zeros((3, 4))
    g[0] = 1.0
    dx = ln.backward(g)
    np.testing.assert_array_equal(dx[1:], 0.0)


def test_input_delta_is_the_three_term_formula_over_the_example() -> None:
    rng = np.random.default_rng(2)
    x, g = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    ln = nn.LayerNorm(5)
    ln.weight.data = rng.normal(size=5)
    ln(x)
    sigma = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    x_hat = (x - x.mean(axis=1, keepdims=True)) / sigma
    d_hat = g * ln.weight.data
    expected = (
        d_hat
        - d_hat.mean(axis=1, keepdims=True)
        - x_hat * (d_hat * x_hat).mean(axis=1, keepdims=True)
    ) / sigma
    np.testing.assert_allclose(ln.backward(g), expected, rtol=1e-12)
    np.testing.assert_allclose(ln.weight.grad, (g * x_hat).sum(axis=0), rtol=1e-12)


def test_shapes_arguments_and_repr() -> None:
    with pytest.raises(ValueError, match=r"last dimensions must be normalized_shape=\(4,\)"):
        nn.LayerNorm(4)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="normalized_shape=0 must be a positive integer"):
        nn.LayerNorm(0)
    assert (
        nn.LayerNorm(4, bias=False).bias is None
        and nn.LayerNorm(4, elementwise_affine=False).weight is None
    )
    torch = pytest.importorskip("torch")
    assert repr(nn.LayerNorm((3, 4))) == repr(torch.nn.LayerNorm((3, 4)))
