"""BatchNorm: the batch's statistics in training (δ by the three-term formula), running ones
in evaluation, kept as buffers that equal PyTorch's over many steps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn, optim
from minitorch_bp.nn.regularization import decays


def test_training_forward_standardises_each_channel_over_the_batch_and_pixels() -> None:
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(4, 2, 3, 5))
    bn = nn.BatchNorm2d(2, eps=1e-3)
    bn.weight.data, bn.bias.data = [2.0, 0.5], [1.0, -1.0]
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + 1e-3)
    expected = x_hat * np.array([2.0, 0.5]).reshape(1, 2, 1, 1) + np.array([1.0, -1.0]).reshape(
        1, 2, 1, 1
    )
    np.testing.assert_allclose(bn(x), expected, rtol=1e-12)


def test_input_delta_is_the_three_term_formula() -> None:
    """∂J/∂x = (1/σ̂)(δ̂ − mean δ̂ − x̂ · mean(δ̂ x̂)), δ̂ = γ δ, means over the channel's n values."""
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    bn = nn.BatchNorm1d(3)
    bn.weight.data = [1.5, -0.5, 2.0]
    bn(x)
    sigma = np.sqrt(x.var(axis=0) + 1e-5)
    x_hat = (x - x.mean(axis=0)) / sigma
    d_hat = g * bn.weight.data
    expected = (d_hat - d_hat.mean(axis=0) - x_hat * (d_hat * x_hat).mean(axis=0)) / sigma
    np.testing.assert_allclose(bn.backward(g), expected, rtol=1e-12)
    np.testing.assert_allclose(bn.weight.grad, (g * x_hat).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.bias.grad, g.sum(axis=0), rtol=1e-12)


def test_running_statistics_average_the_unbiased_variance() -> None:
    x = np.array([[1.0], [2.0], [6.0]])
    bn = nn.BatchNorm1d(1, momentum=0.25)
    bn(x)
    np.testing.assert_allclose(bn.running_mean, [0.75 * 0 + 0.25 * 3.0])
    np.testing.assert_allclose(bn.running_var, [0.75 * 1 + 0.25 * x.var(ddof=1)])
    assert int(bn.num_batches_tracked) == 1
    cumulative = nn.BatchNorm1d(1, momentum=None)  # every batch weighs the same
    for batch in ([[0.0], [2.0]], [[4.0], [6.0]]):
        cumulative(np.array(batch))
    np.testing.assert_allclose(cumulative.running_mean, [3.0])


def test_evaluation_uses_the_running_statistics_and_its_delta_is_gamma_over_sigma() -> None:
    bn = nn.BatchNorm1d(2)
    bn.running_mean, bn.running_var = [1.0, -1.0], [4.0, 0.25]
    bn.eval()
    x = np.array([[3.0, 0.0]])
    np.testing.assert_allclose(bn(x), [[2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]])
    np.testing.assert_allclose(
        bn.backward(np.ones((1, 2))), [[1 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]]
    )
    assert int(bn.num_batches_tracked) == 0  # evaluation counts no batch


@pytest.mark.parametrize("momentum", [0.1, None, 0.9])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 4, 2)])
def test_many_steps_in_train_and_eval_equal_pytorch(shape: tuple[int, ...], momentum: Any) -> None:
    torch = pytest.importorskip("torch")
    cls, tcls = (
        (nn.BatchNorm2d, torch.nn.BatchNorm2d)
        if len(shape) == 4
        else (nn.BatchNorm1d, torch.nn.BatchNorm1d)
    )
    ours = cls(3, eps=1e-4, momentum=momentum)
    theirs = tcls(3, eps=1e-4, momentum=momentum).double()
    opt = optim.SGD(ours.parameters(), lr=0.1)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(2)
    for step in range(12):
        mode = "eval" if step % 4 == 3 else "train"
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x, g = rng.normal(2.0, 3.0, size=shape), rng.normal(size=shape)
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.from_numpy(g))
        opt.zero_grad()
        np.testing.assert_allclose(ours(x), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.backward(g), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        opt.step()
        topt.step()
        topt.zero_grad()
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked)
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-10)


def test_the_running_statistics_are_buffers_not_parameters(tmp_path: Any) -> None:
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [n for n, _ in model.named_buffers()] == [
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    assert list(model.state_dict())[-3:] == [
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    assert not decays(model[1].weight) and not decays(model[1].bias)  # γ, β: no λ
    opt = optim.Adam(model.parameters(), lr=0.1, l2=1.0)
    assert len(opt.params) == 4  # the optimizer never sees a buffer
    model(np.random.default_rng(0).normal(size=(8, 3)))
    io.save(model, tmp_path / "bn.npz")
    back = io.load(tmp_path / "bn.npz")
    np.testing.assert_array_equal(back[1].running_var, model[1].running_var)
    assert int(back[1].num_batches_tracked) == 1


def test_untracked_batch_norm_uses_batch_statistics_in_both_modes() -> None:
    bn = nn.BatchNorm1d(2, track_running_stats=False)
    assert bn.running_mean is None and list(bn.named_buffers()) == []
    x = np.random.default_rng(3).normal(size=(5, 2))
    np.testing.assert_array_equal(bn(x), bn.eval()(x))


def test_one_value_per_channel_is_refused_in_training() -> None:
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(np.ones((1, 3)))
    assert nn.BatchNorm1d(3).eval()(np.ones((1, 3))).shape == (1, 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nn.BatchNorm2d(3)(np.ones((2, 3, 4))), r"4-D input \(m, C, H, W\)"),
        (lambda: nn.BatchNorm1d(3)(np.ones((2, 4))), "4 channels .* expected num_features=3"),
        (lambda: nn.BatchNorm1d(3, momentum=1.5), r"momentum=1.5 must be in \[0, 1\]"),
        (lambda: nn.BatchNorm1d(3, eps=0), "eps=0 must be a finite number > 0"),
        (lambda: nn.BatchNorm1d(3)(np.ones((2, 3), np.float32)), "dtype float64 but got float32"),
    ],
)
def test_bad_input_and_arguments_are_refused(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_repr_is_pytorchs() -> None:
    torch = pytest.importorskip("torch")
    assert repr(nn.BatchNorm2d(4)) == repr(torch.nn.BatchNorm2d(4))
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == repr(
        torch.nn.BatchNorm1d(3, momentum=None, affine=False)
    )
