"""utils.clip_grad_norm_ and clip_grad_value_: PyTorch's semantics, the total norm returned."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch_bp import nn, utils


def _params(seed: int = 0) -> list[nn.Parameter]:
    rng = np.random.default_rng(seed)
    ps = [nn.Parameter(rng.normal(size=s)) for s in [(3, 2), (3,), (1, 3)]]
    for p in ps:
        p.grad = rng.normal(size=p.shape) * 3
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_equals_pytorchs(norm_type: float, max_norm: float) -> None:
    torch = pytest.importorskip("torch")
    ps = _params()
    tps = [torch.nn.Parameter(torch.from_numpy(p.data.copy())) for p in ps]
    for p, t in zip(ps, tps):
        t.grad = torch.from_numpy(p.grad.copy())
    total = utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(expected.item(), rel=1e-13)
    for p, t in zip(ps, tps):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-13)


def test_clip_grad_value_equals_pytorchs() -> None:
    torch = pytest.importorskip("torch")
    ps = _params(1)
    tps = [torch.nn.Parameter(torch.from_numpy(p.data.copy())) for p in ps]
    for p, t in zip(ps, tps):
        t.grad = torch.from_numpy(p.grad.copy())
    assert utils.clip_grad_value_(ps, 1.5) is None
    torch.nn.utils.clip_grad_value_(tps, 1.5)
    for p, t in zip(ps, tps):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_the_five_line_loop_with_clipping_and_frozen_parameters_left_out() -> None:
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1))
    model[0].bias.requires_grad = False
    model[0].bias.grad = np.full(4, 100.0)  # a frozen parameter's gradient is not counted
    crit = nn.MSELoss()
    crit(model(np.ones((2, 3))), np.full((2, 1), 50.0))
    model.backward(crit.backward())
    trained = [p for p in model.parameters() if p.requires_grad]
    expected = math.sqrt(sum(float(np.sum(p.grad**2)) for p in trained))
    assert utils.clip_grad_norm_(model.parameters(), 1.0) == pytest.approx(expected)
    after = math.sqrt(sum(float(np.sum(p.grad**2)) for p in trained))
    assert after == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_array_equal(model[0].bias.grad, np.full(4, 100.0))
    assert utils.clip_grad_norm_([], 1.0) == 0.0


def test_bad_arguments_and_non_finite_norms() -> None:
    ps = _params()
    with pytest.raises(ValueError, match="max_norm=-1 must be a number >= 0"):
        utils.clip_grad_norm_(ps, -1)
    with pytest.raises(ValueError, match="norm_type=0 must be > 0"):
        utils.clip_grad_norm_(ps, 1.0, norm_type=0)
    with pytest.raises(ValueError, match=r"clip_value=-0.5 must be a finite number >= 0"):
        utils.clip_grad_value_(ps, -0.5)
    ps[0].grad[0, 0] = np.inf
    with pytest.raises(FloatingPointError, match="total norm of the gradients is inf"):
        utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
