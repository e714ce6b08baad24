"""Residual: y = x + block(x), and δ for the input is δ + block.backward(δ)."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn


def test_forward_and_backward_are_the_two_paths() -> None:
    block = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Tanh())
    res = nn.Residual(block)
    x = np.random.default_rng(0).normal(size=(4, 3))
    out = res(x)
    np.testing.assert_allclose(out, x + block(x), rtol=1e-15)
    g = np.random.default_rng(1).normal(size=(4, 3))
    res(x)
    dx = res.backward(g)
    block.zero_grad()
    block(x)
    np.testing.assert_allclose(dx, g + block.backward(g, input_grad=True), rtol=1e-15)


def test_backward_params_skips_the_input_gradient_of_the_block() -> None:
    res = nn.Residual(nn.Linear(3, 3, rng=0))
    x = np.ones((2, 3))
    res(x)
    res.backward_params(np.ones((2, 3)))
    np.testing.assert_allclose(res.block.weight.grad, np.full((3, 3), 2.0))


def test_a_block_that_changes_the_shape_is_refused() -> None:
    with pytest.raises(ValueError, match=r"block's output has shape \(2, 4\), its input \(2, 3\)"):
        nn.Residual(nn.Linear(3, 4, rng=0))(np.ones((2, 3)))
    with pytest.raises(TypeError, match="block is int, not a Module"):
        nn.Residual(3)  # type: ignore[arg-type]


def test_repr_and_output_shape() -> None:
    res = nn.Residual(nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU()))
    assert repr(res).splitlines()[:2] == ["Residual(", "  (block): Sequential("]
    assert res.output_shape((5, 2)) == (5, 2)
    assert nn.Residual(nn.Linear(2, 3, rng=0)).output_shape((5, 2)) is None
