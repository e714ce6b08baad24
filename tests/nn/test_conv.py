"""Convolution: a Linear on every window, its δ the full correlation with the flipped kernel.

The formulas are checked against loops written from the docstring's sums (the contract
test adds central differences and PyTorch over random geometries).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.nn import windows


def _windows_by_loops(
    x: Any, k: tuple[int, int], s: tuple[int, int], p: int, d: tuple[int, int]
) -> Any:
    """``out[t, i, j]`` = the window of example t at output (i, j), flattened (c, u, v)."""
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh = (xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[1] * k[0] * k[1]))
    for t in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                rows = i * s[0] + d[0] * np.arange(k[0])
                cols = j * s[1] + d[1] * np.arange(k[1])
                out[t, i, j] = xp[t][:, rows][:, :, cols].ravel()
    return out


def _case() -> tuple[nn.Conv2d, Any]:
    conv = nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2), rng=0)
    x = np.random.default_rng(0).normal(size=(2, 2, 6, 7))
    return conv, x


def test_forward_is_a_linear_on_every_window() -> None:
    """z_(t,o,i,j) = b_o + Σ_(c,u,v) W_(o,c,u,v) a_(t, c, i s + u d, j s + v d)."""
    conv, x = _case()
    win = _windows_by_loops(x, (2, 3), (2, 1), 1, (1, 2))
    theta = np.column_stack([conv.bias.data, conv.weight.data.reshape(3, -1)])  # Θ = [b | W]
    expected = np.concatenate([np.ones((*win.shape[:3], 1)), win], axis=3) @ theta.T
    np.testing.assert_allclose(conv(x), expected.transpose(0, 3, 1, 2), rtol=1e-13)


def test_input_delta_is_the_full_correlation_with_the_flipped_kernel() -> None:
    """∂J/∂a = every window's Θᵀδ, added back at the pixels it read (loops over the sums)."""
    conv, x = _case()
    out = conv(x)
    g = np.random.default_rng(1).normal(size=out.shape)
    xp = np.zeros((2, 2, 8, 9))
    W = conv.weight.data
    for t in range(2):
        for o in range(3):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    for u in range(2):
                        for v in range(3):
                            xp[t, :, i * 2 + u, j + 2 * v] += g[t, o, i, j] * W[o, :, u, v]
    np.testing.assert_allclose(conv.backward(g), xp[:, :, 1:-1, 1:-1], rtol=1e-12, atol=1e-14)


def test_weight_gradient_is_step_5_over_every_window() -> None:
    """∂J/∂W = Σ_(t,i,j) δ_(t,:,i,j) a_(t,window(i,j))ᵀ, ∂J/∂b = Σ δ."""
    conv, x = _case()
    out = conv(x)
    g = np.random.default_rng(2).normal(size=out.shape)
    conv.backward_params(g)
    win = _windows_by_loops(x, (2, 3), (2, 1), 1, (1, 2))
    expected = np.einsum("toij,tijk->ok", g, win).reshape(conv.weight.shape)
    np.testing.assert_allclose(conv.weight.grad, expected, rtol=1e-12)
    np.testing.assert_allclose(conv.bias.grad, g.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_backward_params_skips_the_input_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    conv, x = _case()
    g = np.ones(conv(x).shape)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the input gradient was computed")

    monkeypatch.setattr(windows, "spread", refuse)
    conv.backward_params(g)  # the first layer of a model: no ∂J/∂X
    assert np.abs(conv.weight.grad).sum() > 0


def test_initialisation_is_the_courses_epsilon_over_each_window() -> None:
    conv = nn.Conv2d(3, 4, 5, rng=7)
    eps = math.sqrt(6) / math.sqrt(3 * 25 + 4)
    theta = np.random.default_rng(7).uniform(-eps, eps, size=(4, 3 * 25 + 1))
    np.testing.assert_array_equal(conv.weight.data.reshape(4, -1), theta[:, 1:])
    np.testing.assert_array_equal(conv.bias.data, theta[:, 0])
    assert conv.weight.regularized and not conv.bias.regularized


def test_conv1d_is_conv2d_on_a_row() -> None:
    c1 = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, rng=0)
    c2 = nn.Conv2d(2, 3, (1, 3), stride=(1, 2), padding=(0, 1), dilation=(1, 2))
    c2.weight.data = c1.weight.data[:, :, None, :]
    c2.bias.data = c1.bias.data
    x = np.random.default_rng(3).normal(size=(4, 2, 9))
    np.testing.assert_allclose(c1(x), c2(x[:, :, None, :])[:, :, 0, :], rtol=1e-14)
    g = np.random.default_rng(4).normal(size=c1(x).shape)
    np.testing.assert_allclose(
        c1.backward(g), c2.backward(g[:, :, None, :])[:, :, 0, :], rtol=1e-13
    )


def test_same_padding_keeps_the_size_and_splits_like_pytorch() -> None:
    conv = nn.Conv2d(1, 1, (4, 3), padding="same", dilation=(1, 2), rng=0)
    assert conv.pads() == ((1, 2), (2, 2))  # an even extent puts the extra zero after
    assert conv(np.ones((2, 1, 5, 6))).shape == (2, 1, 5, 6)
    assert conv.output_shape((2, 1, 5, 6)) == (2, 1, 5, 6)


def test_output_is_new_and_channel_major_in_memory() -> None:
    conv, x = _case()
    out = conv(x)
    assert out.swapaxes(0, 1).flags.c_contiguous and not np.shares_memory(out, x)
    assert conv.output_shape(x.shape) == out.shape == (2, 3, 4, 5)


@pytest.mark.parametrize(
    ("build", "x", "message"),
    [
        (lambda: nn.Conv2d(2, 3, 3), np.ones((4, 18)), r"4-D input \(m, C_in, H, W\).*reshape"),
        (lambda: nn.Conv2d(2, 3, 3), np.ones((4, 3, 5, 5)), "3 channels.*expected 2"),
        (
            lambda: nn.Conv2d(2, 3, 3),
            np.ones((4, 2, 5, 5), np.float32),
            "dtype float64 but got float32",
        ),
        (lambda: nn.Conv2d(2, 3, 3), np.ones((4, 2, 5, 5), np.int64), "float32 or float64"),
        (
            lambda: nn.Conv2d(2, 3, 3, dilation=2),
            np.ones((4, 2, 4, 9)),
            r"smaller than the kernel's extent \(5, 5\)",
        ),
        (lambda: nn.Conv1d(2, 3, 3), np.ones((4, 2, 5, 5)), r"3-D input \(m, C_in, L\)"),
    ],
)
def test_bad_input_is_refused_naming_the_layer(build: Any, x: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()(x)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel_size": 0}, "kernel_size=0 must be a positive integer"),
        ({"kernel_size": (2, 2, 2)}, r"kernel_size=\(2, 2, 2\) must be .* a tuple of 2"),
        ({"stride": 2, "padding": "same"}, "padding='same' needs stride=1"),
        ({"padding": "full"}, "padding='full' must be 'valid', 'same' or integers"),
        ({"padding": -1}, "padding=-1 must be an integer >= 0"),
        ({"groups": 2}, "groups=2 is not supported"),
        ({"padding_mode": "reflect"}, "padding_mode='reflect' is not supported"),
        ({"dtype": np.int32}, "dtype=int32 is not supported"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    args = {"in_channels": 2, "out_channels": 3, "kernel_size": 3} | kwargs
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(**args)


def test_nan_in_the_input_is_named_with_its_position() -> None:
    x = np.ones((2, 1, 4, 4))
    x[1, 0, 2, 3] = np.nan
    with pytest.raises(
        ValueError, match=r"1 NaN or inf value\(s\); the first is nan at index \(1, 0, 2, 3\)"
    ):
        nn.Conv2d(1, 2, 3, rng=0)(x)


def test_repr_and_config_are_pytorchs() -> None:
    conv = nn.Conv2d(1, 6, 3, stride=2, padding=1, bias=False)
    assert (
        repr(conv) == "Conv2d(1, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    )
    assert type(conv)(**conv.config()).config() == conv.config()
    torch = pytest.importorskip("torch")
    assert repr(conv) == repr(torch.nn.Conv2d(1, 6, 3, stride=2, padding=1, bias=False))
    assert repr(nn.Conv1d(2, 4, 5, dilation=2)) == repr(torch.nn.Conv1d(2, 4, 5, dilation=2))


def test_the_course_gradient_check_on_images() -> None:
    """gradcheck takes (m, C, H, W) batches: conv, pool, flatten, linear below 1e-9."""
    from minitorch_bp.gradcheck import gradcheck

    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, rng=0),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8, 3, rng=2),
        nn.Sigmoid(),
    )
    X = np.random.default_rng(5).normal(size=(4, 1, 4, 4))
    Y = np.eye(3)[[0, 1, 2, 1]]
    assert gradcheck(model, nn.BCELoss(), X, Y, l2=1.0, eps=1e-6) < 1e-9
