"""nn.init: the formulas' bounds and standard deviations, in-place filling, reproducibility."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.nn import init

OUT, IN = 300, 500  # 150 000 draws: the sample std is within 0.4% of σ with room to spare


def _uniform_checks(w: Any, bound: float) -> None:
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.999 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)  # U(-b, b): σ = b/√3


def _normal_checks(w: Any, std: float) -> None:
    assert abs(w.mean()) < 0.01 * std
    assert w.std() == pytest.approx(std, rel=0.01)
    assert np.mean(np.abs(w) > 2 * std) == pytest.approx(0.0455, abs=0.003)  # Gaussian tail


def test_fans_of_a_linear_weight() -> None:
    assert init.fans(np.empty((OUT, IN))) == (IN, OUT)
    assert init.fans(nn.Linear(IN, OUT, rng=0).weight) == (IN, OUT)
    assert init.fans(np.empty((4, 3, 2, 2))) == (12, 16)
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*\(5,\)"):
        init.fans(np.empty(5))


def test_uniform_epsilon_is_the_course_formula() -> None:
    w = init.uniform_epsilon_(np.empty((OUT, IN)), rng=0)
    _uniform_checks(w, math.sqrt(6) / math.sqrt(IN + OUT))


def test_uniform_epsilon_with_bias_is_one_draw_of_theta() -> None:
    w, b = nn.Parameter(np.empty((25, 400))), nn.Parameter(np.empty(25), regularized=False)
    assert init.uniform_epsilon_(w, b, rng=42) is w
    eps = math.sqrt(6) / math.sqrt(400 + 25)
    theta = np.random.default_rng(42).uniform(-eps, eps, size=(25, 401))
    np.testing.assert_array_equal(w.data, theta[:, 1:])
    np.testing.assert_array_equal(b.data, theta[:, 0])


def test_linear_default_goes_through_uniform_epsilon() -> None:
    for bias in (True, False):
        for dtype in (np.float64, np.float32):
            layer = nn.Linear(7, 3, bias=bias, dtype=dtype, rng=5)
            w = np.empty((3, 7), dtype=dtype)
            init.uniform_epsilon_(w, np.empty(3, dtype=dtype), rng=5)
            np.testing.assert_array_equal(layer.weight.data, w)


def test_uniform_epsilon_refuses_mismatched_bias() -> None:
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\).*\(4,\)"):
        init.uniform_epsilon_(np.empty((3, 2)), np.empty(4), rng=0)


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_uniform_bound(gain: float) -> None:
    w = init.xavier_uniform_(np.empty((OUT, IN)), gain=gain, rng=1)
    _uniform_checks(w, gain * math.sqrt(6 / (IN + OUT)))


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_normal_std(gain: float) -> None:
    w = init.xavier_normal_(np.empty((OUT, IN)), gain=gain, rng=2)
    _normal_checks(w, gain * math.sqrt(2 / (IN + OUT)))


@pytest.mark.parametrize(
    ("kwargs", "fan"),
    [({"nonlinearity": "relu"}, IN), ({}, IN), ({"mode": "fan_out", "nonlinearity": "relu"}, OUT)],
    ids=["relu", "defaults", "fan_out"],
)
def test_kaiming_with_relu_gain(kwargs: dict[str, Any], fan: int) -> None:
    u = init.kaiming_uniform_(np.empty((OUT, IN)), rng=3, **kwargs)
    _uniform_checks(u, math.sqrt(2) * math.sqrt(3 / fan))
    n = init.kaiming_normal_(np.empty((OUT, IN)), rng=4, **kwargs)
    _normal_checks(n, math.sqrt(2) / math.sqrt(fan))


def test_kaiming_leaky_relu_slope_changes_the_gain() -> None:
    w = init.kaiming_normal_(np.empty((OUT, IN)), a=0.5, rng=5)
    _normal_checks(w, math.sqrt(2 / 1.25) / math.sqrt(IN))
    with pytest.raises(ValueError, match="mode='fan_avg'"):
        init.kaiming_uniform_(np.empty((3, 2)), mode="fan_avg", rng=0)  # type: ignore[arg-type]


def test_calculate_gain() -> None:
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="nonlinearity='gelu'"):
        init.calculate_gain("gelu")  # type: ignore[arg-type]


FILLERS: list[Callable[..., Any]] = [
    init.uniform_epsilon_,
    init.xavier_uniform_,
    init.xavier_normal_,
    init.kaiming_uniform_,
    init.kaiming_normal_,
]


@pytest.mark.parametrize("fill", FILLERS, ids=lambda f: f.__name__)
def test_reproducible_in_place_and_dtype_preserving(fill: Callable[..., Any]) -> None:
    a = fill(np.empty((20, 30)), rng=7)
    b = fill(np.empty((20, 30)), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fill(np.empty((20, 30)), rng=8))
    w32 = np.empty((20, 30), dtype=np.float32)
    assert fill(w32, rng=7) is w32  # filled in place, returned
    np.testing.assert_array_equal(w32, a.astype(np.float32))


@pytest.mark.parametrize("fill", FILLERS, ids=lambda f: f.__name__)
def test_fills_a_parameter_in_place(fill: Callable[..., Any]) -> None:
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 2, rng=1))
    w = model[0].weight
    held = w.data  # anyone holding the array sees the new values
    assert fill(w, rng=3) is w
    expected = fill(np.empty((3, 4)), rng=3)
    np.testing.assert_array_equal(w.data, expected)
    assert held is w.data


def test_zeros_any_shape() -> None:
    b = nn.Parameter(np.ones(3), regularized=False)
    assert init.zeros_(b) is b
    np.testing.assert_array_equal(b.data, 0.0)
    np.testing.assert_array_equal(init.zeros_(np.ones((2, 2))), 0.0)


def test_refuses_integer_arrays_and_other_objects() -> None:
    with pytest.raises(ValueError, match="xavier_uniform_.*float ndarray.*int64"):
        init.xavier_uniform_(np.zeros((2, 2), dtype=np.int64), rng=0)
    with pytest.raises(ValueError, match="zeros_.*list"):
        init.zeros_([1.0, 2.0])  # type: ignore[type-var]
    with pytest.raises(ValueError, match=r"at least 2 dimensions"):
        init.xavier_normal_(np.empty(4), rng=0)
