"""Dropout: inverted scaling, statistics, seeds, eval mode, and backward = g ⊙ mask/(1 − p)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.gradcheck import numerical_gradient, relative_difference


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_statistics_fraction_dropped_and_mean_preserved(p: float) -> None:
    x = np.full((400, 500), 3.0)  # 200 000 units
    y = nn.Dropout(p, rng=0)(x)
    dropped = np.mean(y == 0.0)
    # binomial standard error sqrt(p(1-p)/n) <= 1.2e-3; allow > 4 of them
    assert abs(dropped - p) < 5e-3
    np.testing.assert_allclose(y[y != 0], 3.0 / (1 - p), rtol=1e-15)
    assert abs(y.mean() - 3.0) < 3.0 * 0.03


def test_eval_mode_and_p_zero_are_the_identity() -> None:
    x = np.random.default_rng(0).normal(size=(4, 5))
    drop = nn.Dropout(0.5, rng=0).eval()
    y = drop(x)
    np.testing.assert_array_equal(y, x)
    assert y is not x
    np.testing.assert_array_equal(drop.backward(x * 2), x * 2)
    assert drop.mask is None
    zero = nn.Dropout(0.0, rng=0)
    np.testing.assert_array_equal(zero(x), x)
    np.testing.assert_array_equal(zero.backward(x), x)


def test_train_and_eval_propagate_through_sequential() -> None:
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Dropout(0.5, rng=1), nn.Linear(4, 2, rng=2))
    x = np.ones((8, 3))
    model.eval()
    assert not model[1].training
    np.testing.assert_array_equal(model(x), model(x))
    model.train()
    assert model[1].training
    assert not np.array_equal(model(x), model(x))  # a new mask each step


def test_reproducible_with_a_seed_or_generator() -> None:
    x = np.ones((20, 30))
    a = nn.Dropout(0.3, rng=42)
    b = nn.Dropout(0.3, rng=np.random.default_rng(42))
    first_a, first_b = a(x).copy(), b(x).copy()
    np.testing.assert_array_equal(first_a, first_b)
    np.testing.assert_array_equal(a(x), b(x))  # the same sequence of masks
    assert not np.array_equal(first_a, a(x))
    assert not np.array_equal(first_a, nn.Dropout(0.3, rng=43)(x))


def test_float32_and_float64_drop_the_same_units() -> None:
    x = np.ones((10, 10))
    y64 = nn.Dropout(0.5, rng=3)(x)
    drop32 = nn.Dropout(0.5, rng=3)
    y32 = drop32(x.astype(np.float32))
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32 == 0, y64 == 0)
    assert drop32.backward(np.ones_like(y32)).dtype == np.float32


def test_backward_is_the_cached_mask_times_scale() -> None:
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(6, 7)), rng.normal(size=(6, 7))
    drop = nn.Dropout(0.25, rng=5)
    y = drop(x)
    mask = drop.mask
    assert mask is not None
    assert set(np.unique(mask)) <= {0.0, 1 / 0.75}
    np.testing.assert_array_equal(y, x * mask)
    np.testing.assert_array_equal(drop.backward(g), g * mask)


def test_backward_matches_central_differences_with_the_mask_fixed() -> None:
    rng = np.random.default_rng(2)
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))

    def J() -> float:  # a fresh module with the same seed: the same mask every call
        return float(np.sum(g * nn.Dropout(0.5, rng=9)(x)))

    drop = nn.Dropout(0.5, rng=9)
    drop(x)
    analytic = drop.backward(g)
    assert np.count_nonzero(analytic == 0) > 0  # some units were dropped
    assert relative_difference(analytic, numerical_gradient(J, x, eps=1e-6)) < 1e-8


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, float("nan"), True, "0.5", None])
def test_refuses_p_outside_zero_one(p: Any) -> None:
    with pytest.raises(ValueError, match=r"Dropout: p=.*0 <= p < 1"):
        nn.Dropout(p)


def test_refuses_bad_rng_and_early_or_misshapen_backward() -> None:
    with pytest.raises(ValueError, match="rng"):
        nn.Dropout(0.5, rng="seed")  # type: ignore[arg-type]
    drop = nn.Dropout(0.5, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        drop.backward(np.ones((2, 2)))
    drop(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        drop.backward(np.ones((3, 2)))
