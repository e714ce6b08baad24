"""Buffers: state that is saved and converted but not learned (BatchNorm's statistics)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from minitorch_bp import nn


class Counter(nn.Module):
    """A user's layer with a buffer of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("seen", np.zeros(2))
        self.scale = nn.Parameter(np.ones(2))

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.seen += x.sum(axis=0)
        return x * self.scale.data

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self.scale.data


def test_registered_buffers_are_listed_saved_and_loaded_but_not_parameters() -> None:
    model = nn.Sequential(nn.Linear(2, 2, rng=0), Counter())
    assert [n for n, _ in model.named_buffers()] == ["1.seen"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.scale"]
    model(np.ones((3, 2)))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.scale", "1.seen"]
    assert state["1.seen"] is not model[1].seen  # a copy
    fresh = nn.Sequential(nn.Linear(2, 2, rng=1), Counter())
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[1].seen, model[1].seen)


def test_assignment_copies_into_the_buffer_and_checks_the_shape() -> None:
    layer = Counter()
    buffer = layer.seen
    layer.seen = [1.0, 2.0]
    assert layer.seen is buffer and layer.buffers()[0] is buffer
    np.testing.assert_array_equal(buffer, [1.0, 2.0])
    with pytest.raises(
        ValueError, match=r"Counter.seen has shape \(2,\); cannot assign an array of shape \(3,\)"
    ):
        layer.seen = np.zeros(3)
    with pytest.raises(TypeError, match="is a buffer, not a Parameter"):
        layer.seen = nn.Parameter(np.zeros(2))


def test_load_state_dict_checks_buffers_like_parameters() -> None:
    model = nn.Sequential(nn.BatchNorm1d(2))
    state = model.state_dict()
    with pytest.raises(ValueError, match=r"missing keys \['0.num_batches_tracked'\]"):
        model.load_state_dict({k: v for k, v in state.items() if "num_batches" not in k})
    with pytest.raises(
        ValueError, match="'0.num_batches_tracked' has dtype float64; expected an integer array"
    ):
        model.load_state_dict(state | {"0.num_batches_tracked": np.array(1.0)})
    with pytest.raises(
        ValueError, match="'0.running_mean' has dtype int64; expected a float array"
    ):
        model.load_state_dict(state | {"0.running_mean": np.array([1, 2])})


def test_register_buffer_refuses_taken_names_and_non_numbers() -> None:
    layer = Counter()
    with pytest.raises(ValueError, match="'scale' is not a free attribute name"):
        layer.register_buffer("scale", np.zeros(2))
    with pytest.raises(ValueError, match="a buffer holds numbers"):
        layer.register_buffer("names", np.array(["a"]))


def test_deepcopy_and_delattr_keep_the_registries_consistent() -> None:
    layer = Counter()
    twin = copy.deepcopy(layer)
    twin(np.ones((1, 2)))
    np.testing.assert_array_equal(layer.seen, [0.0, 0.0])
    del twin.seen
    assert list(twin.named_buffers()) == []
