"""gradcheck: passes on the notes' networks and finds a broken backward."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import gradcheck, nn
from minitorch_bp.gradcheck import gradcheck_report


def _net(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b, rng=i), nn.Sigmoid()]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_course_check_nn_gradients_below_1e_9(lam: float) -> None:
    """The course's checkNNGradients: 3-5-3 network, 5 examples, with and without λ."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 3))
    Y = np.eye(3)[[1, 2, 0, 1, 2]]
    assert gradcheck(_net([3, 5, 3]), nn.BCELoss(), X, Y, l2=lam) < 1e-9


def test_notes_regression_network() -> None:
    X = np.array([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]])
    y = np.array([[0.75], [0.82], [0.93]])
    model = nn.Sequential(
        nn.Linear(2, 3, bias=False, rng=0),
        nn.Sigmoid(),
        nn.Linear(3, 1, bias=False, rng=1),
        nn.Sigmoid(),
    )
    assert gradcheck(model, nn.MSELoss(reduction="sum"), X, y) < 1e-9


class _BrokenSigmoid(nn.Sigmoid):
    def backward(self, grad_output: Any) -> Any:
        return super().backward(grad_output) * 1.1  # a 10 % error


def test_a_broken_backward_is_found_and_located() -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(3, 4, rng=0), _BrokenSigmoid(), nn.Linear(4, 2, rng=1), nn.Sigmoid()
    )
    X, Y = rng.normal(size=(4, 3)), np.eye(2)[[0, 1, 1, 0]]
    report = gradcheck_report(model, nn.BCELoss(), X, Y)
    assert report.relative_difference > 1e-3
    assert report.per_parameter["0.weight"] > 1e-3  # below the broken layer
    assert report.per_parameter["2.weight"] < 1e-9  # above it
    assert report.names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sum(report.sizes) == report.numerical.size == 12 + 4 + 8 + 2


def test_parameters_are_restored() -> None:
    model = _net([2, 2, 1])
    before = [p.data.copy() for p in model.parameters()]
    gradcheck(model, nn.BCELoss(), np.ones((2, 2)), np.ones((2, 1)))
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


def test_float32_is_refused() -> None:
    model = nn.Sequential(nn.Linear(2, 1, dtype=np.float32, rng=0))
    with pytest.raises(ValueError, match="float32.*needs float64"):
        gradcheck(model, nn.MSELoss(), np.ones((1, 2), dtype=np.float32), np.ones((1, 1)))


def test_a_dropout_in_training_mode_is_refused_with_the_fix() -> None:
    """Before: the report said 1.0 WRONG at the layer below Dropout, with no hint."""
    from minitorch_bp.gradcheck import gradcheck_report

    model = nn.Sequential(
        nn.Linear(3, 4, rng=0), nn.Sigmoid(), nn.Dropout(0.5, rng=0), nn.Linear(4, 1, rng=1)
    )
    X = np.random.default_rng(0).normal(size=(5, 3))
    Y = (X[:, :1] > 0).astype(float)
    with pytest.raises(ValueError, match=r"gradcheck: 2 \(Dropout\(p=0.5\)\) is in training mode"):
        gradcheck_report(model, nn.MSELoss(), X, Y)
    assert gradcheck_report(model.eval(), nn.MSELoss(), X, Y).relative_difference < 1e-7
