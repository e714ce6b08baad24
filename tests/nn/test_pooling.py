"""Pooling: the maximum routes δ to the arg-max (ties as PyTorch), the mean shares it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn


def test_max_pool_routes_delta_to_the_arg_max() -> None:
    """∂J/∂x = Σ over the windows whose arg-max is x of their δ; 0 elsewhere."""
    x = np.array([[[[1.0, 9.0, 2.0, 3.0], [4.0, 5.0, 8.0, 6.0]]]])
    pool = nn.MaxPool2d(2)
    np.testing.assert_array_equal(pool(x), [[[[9.0, 8.0]]]])
    np.testing.assert_array_equal(
        pool.backward(np.array([[[[2.0, 3.0]]]])), [[[[0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 3.0, 0.0]]]]
    )


def test_overlapping_windows_that_share_a_maximum_add_their_deltas() -> None:
    x = np.array([[[[0.0, 5.0, 1.0, 2.0]]]])
    pool = nn.MaxPool2d((1, 2), stride=1)  # windows (0,5), (5,1), (1,2)
    np.testing.assert_array_equal(pool(x), [[[[5.0, 5.0, 2.0]]]])
    np.testing.assert_array_equal(
        pool.backward(np.array([[[[1.0, 10.0, 100.0]]]])), [[[[0.0, 11.0, 0.0, 100.0]]]]
    )


def test_ties_go_to_the_first_maximum_as_in_pytorch() -> None:
    x = np.array([[[[7.0, 7.0], [7.0, 7.0]], [[1.0, 3.0], [3.0, 2.0]]]])
    pool = nn.MaxPool2d(2)
    pool(x)
    g = pool.backward(np.ones((1, 2, 1, 1)))
    np.testing.assert_array_equal(g, [[[[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 0.0]]]])
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(g, xt.grad.numpy())


def test_max_pool_padding_is_never_the_maximum() -> None:
    x = -np.ones((1, 1, 2, 2))
    out = nn.MaxPool2d(2, stride=1, padding=1)(x)
    np.testing.assert_array_equal(out, -np.ones((1, 1, 3, 3)))


def test_ceil_mode_keeps_a_last_partial_window_that_starts_inside() -> None:
    pool = nn.MaxPool2d(2, ceil_mode=True)
    assert pool(np.arange(5.0).reshape(1, 1, 1, 5) * np.ones((1, 1, 2, 1))).shape == (1, 1, 1, 3)
    assert nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True).output_shape((1, 1, 4, 5)) == (
        1,
        1,
        3,
        3,
    )


def test_average_pool_shares_delta_equally_and_counts_the_padding_by_default() -> None:
    x = np.ones((1, 1, 2, 2))
    included = nn.AvgPool2d(2, stride=2, padding=1)
    np.testing.assert_array_equal(included(x), np.full((1, 1, 2, 2), 0.25))  # 1 of 4 is input
    excluded = nn.AvgPool2d(2, stride=2, padding=1, count_include_pad=False)
    np.testing.assert_array_equal(excluded(x), np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(excluded.divisors((2, 2)), np.ones((2, 2)))
    np.testing.assert_array_equal(
        included.backward(np.ones((1, 1, 2, 2))), np.full((1, 1, 2, 2), 0.25)
    )
    override = nn.AvgPool2d(2, divisor_override=1)  # the window's sum
    np.testing.assert_array_equal(override(np.ones((1, 1, 2, 2))), [[[[4.0]]]])


def test_adaptive_average_pool_of_one_is_the_global_mean() -> None:
    x = np.random.default_rng(0).normal(size=(3, 2, 4, 5))
    gap = nn.AdaptiveAvgPool2d(1)
    np.testing.assert_allclose(gap(x), x.mean(axis=(2, 3), keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(
        gap.backward(np.ones((3, 2, 1, 1))), np.full(x.shape, 1 / 20), rtol=1e-14
    )


def test_adaptive_windows_are_pytorchs_for_any_output_size() -> None:
    """Window i of n inputs into o outputs: floor(i n / o) ... ceil((i + 1) n / o) − 1."""
    a = nn.AdaptiveAvgPool2d.averaging(5, 3)
    np.testing.assert_allclose(
        a, [[1 / 2, 1 / 2, 0, 0, 0], [0, 1 / 3, 1 / 3, 1 / 3, 0], [0, 0, 0, 1 / 2, 1 / 2]]
    )
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d.averaging(3, 5).sum(axis=1), np.ones(5))
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(2, 3, 7, 5))
    for size in [(3, 2), (7, 1), (8, 6), (None, 2)]:
        ours = nn.AdaptiveAvgPool2d(size)
        theirs = torch.nn.functional.adaptive_avg_pool2d(torch.tensor(x), size).numpy()
        np.testing.assert_allclose(ours(x), theirs, rtol=1e-13)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: nn.MaxPool2d(2, padding=2), r"padding=2 must be at most half the kernel's extent"),
        (lambda: nn.AvgPool2d(3, padding=2), r"padding=2 must be at most half"),
        (lambda: nn.MaxPool2d(2, return_indices=True), "return_indices=True is not supported"),
        (
            lambda: nn.AvgPool2d(2, divisor_override=0),
            "divisor_override=0 must be None or a positive",
        ),
        (lambda: nn.AdaptiveAvgPool2d(0), r"output_size=0 must be a positive integer"),
        (lambda: nn.MaxPool2d(0), "kernel_size=0 must be a positive integer"),
    ],
)
def test_bad_arguments_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match=r"4-D input \(m, C, H, W\)"):
        nn.MaxPool2d(2)(np.ones((3, 4)))
    with pytest.raises(ValueError, match="smaller than the window"):
        nn.AvgPool2d(3)(np.ones((1, 1, 2, 5)))


def test_repr_is_pytorchs() -> None:
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (
            nn.MaxPool2d((2, 3), 1, 1, 2, ceil_mode=True),
            torch.nn.MaxPool2d((2, 3), 1, 1, 2, ceil_mode=True),
        ),
        (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
        (nn.AdaptiveAvgPool2d((2, None)), torch.nn.AdaptiveAvgPool2d((2, None))),
    ]:
        assert repr(ours) == repr(theirs)
