"""Parameter storage, packing into one buffer, and unrolling (the course's nn_params)."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn, utils


def test_in_place_writes_are_honoured() -> None:
    model = nn.Sequential(nn.Linear(2, 1, rng=0))
    w = model[0].weight
    w.data[...] = 3.0
    np.testing.assert_array_equal(model(np.ones((1, 2))), [[6.0 + model[0].bias.data[0]]])
    w.data = np.array([[1.0, -1.0]])
    assert utils.parameters_to_vector(model.parameters())[:2].tolist() == [1.0, -1.0]
    with pytest.raises(ValueError, match=r"shape \(1, 2\).*\(2,\)"):
        w.data = np.zeros(2)


def test_unrolled_vectors_are_copies_as_in_pytorch() -> None:
    """Parameters keep their own arrays (no container packs them), so unrolling copies."""
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Sigmoid(), nn.Linear(4, 2, rng=1))
    before = model[0].weight.data
    vec = utils.parameters_to_vector(model.parameters())
    assert vec.shape == (12 + 4 + 8 + 2,)
    assert not np.shares_memory(vec, model[0].weight.data)
    vec[0] = 42.0
    assert model[0].weight.data[0, 0] != 42.0
    assert model[0].weight.data is before  # building the model moved nothing
    grads = utils.grads_to_vector(model.parameters())
    assert not np.shares_memory(grads, model[2].bias.grad)


def test_round_trip_is_exact_in_course_order() -> None:
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Sigmoid(), nn.Linear(4, 2, rng=1))
    copy = utils.parameters_to_vector(model.parameters())
    expected = np.concatenate([p.data.ravel() for p in model.parameters()])
    np.testing.assert_array_equal(copy, expected)
    other = nn.Sequential(nn.Linear(3, 4, rng=5), nn.Sigmoid(), nn.Linear(4, 2, rng=6))
    utils.vector_to_parameters(copy, other.parameters())
    for p, q in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    with pytest.raises(ValueError, match=r"\(5,\); expected \(26,\)"):
        utils.vector_to_parameters(np.zeros(5), other.parameters())


def test_unpacked_parameters_round_trip() -> None:
    params = [nn.Parameter(np.arange(4.0).reshape(2, 2)), nn.Parameter(np.ones(3))]
    vec = utils.parameters_to_vector(params)
    np.testing.assert_array_equal(vec, [0, 1, 2, 3, 1, 1, 1])
    utils.vector_to_parameters(vec * 2, params)
    np.testing.assert_array_equal(params[1].data, [2, 2, 2])


def test_parameter_refuses_integer_data() -> None:
    with pytest.raises(ValueError, match="dtype=int64"):
        nn.Parameter(np.arange(3))
