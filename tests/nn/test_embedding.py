"""Embedding: a Linear on one-hot rows, written as a lookup; its gradient a scatter-add."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn


def test_a_lookup_is_the_linear_layer_on_one_hot_rows() -> None:
    emb = nn.Embedding(5, 3, rng=0)
    idx = np.array([4, 0, 4, 2])
    one_hot = np.eye(5)[idx]
    linear = nn.Linear(5, 3, bias=False)
    linear.weight.data = emb.weight.data.T
    np.testing.assert_array_equal(emb(idx), linear(one_hot))
    g = np.random.default_rng(1).normal(size=(4, 3))
    emb.backward_params(g)
    linear.backward_params(g)
    np.testing.assert_allclose(emb.weight.grad, linear.weight.grad.T, rtol=1e-15)  # Δ = xᵀδ


def test_an_index_used_twice_collects_both_deltas() -> None:
    emb = nn.Embedding(3, 2, rng=0)
    emb(np.array([[1, 1], [2, 1]]))
    emb.backward_params(np.array([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]))
    np.testing.assert_array_equal(emb.weight.grad, [[0.0, 0.0], [11.0, 14.0], [5.0, 6.0]])


def test_padding_idx_starts_at_zero_and_gets_no_gradient() -> None:
    emb = nn.Embedding(4, 2, padding_idx=-1, rng=0)
    assert emb.padding_idx == 3
    np.testing.assert_array_equal(emb.weight.data[3], [0.0, 0.0])
    emb(np.array([3, 0, 3]))
    emb.backward_params(np.ones((3, 2)))
    np.testing.assert_array_equal(emb.weight.grad[3], [0.0, 0.0])
    np.testing.assert_array_equal(emb.weight.grad[0], [1.0, 1.0])


def test_initialisation_is_pytorchs_standard_normal() -> None:
    emb = nn.Embedding(4, 3, rng=5)
    np.testing.assert_array_equal(emb.weight.data, np.random.default_rng(5).standard_normal((4, 3)))
    assert emb.weight.regularized


@pytest.mark.parametrize(
    ("idx", "message"),
    [
        (
            np.array([0.0, 1.0]),
            r"expects integer indices.*got dtype float64.*x\.astype\(np\.int64\)",
        ),
        (np.array([True, False]), "expects integer indices"),
        (
            np.array([[0, 5]]),
            r"index 5 at position \(0, 1\) is out of range; the table has rows 0 to 4",
        ),
        (np.array([-1, 0]), r"index -1 at position \(0,\) is out of range"),
        (np.array(3), r"shape \(m, \*\)"),
    ],
)
def test_bad_indices_are_refused_clearly(idx: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nn.Embedding(5, 2, rng=0)(idx)


def test_the_indices_have_no_gradient() -> None:
    emb = nn.Embedding(5, 2, rng=0)
    emb(np.array([1, 2]))
    assert emb.backward(np.ones((2, 2))) is None
    with pytest.raises(TypeError, match="integer indices, which have no gradient"):
        emb.backward_input(np.ones((2, 2)))
    model = nn.Sequential(emb, nn.Flatten(), nn.Linear(2, 1, rng=1))
    model(np.array([[1], [3]]))
    assert model.backward(np.ones((2, 1))) is None  # the top of a model never asks for it
