"""The one contract, checked over every module and every loss the package exports.

A new class exported from ``minitorch_bp.nn`` must be added to the tables below, or
``test_every_class_is_checked`` fails: no class can skip the gradient check.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn

from numeric_grad import central_difference, rel_error


class _FixedMaskDropout(nn.Dropout):
    """Dropout in training mode whose every forward draws the same mask (seed 0).

    Central differences call forward many times; re-seeding makes each call the same
    function of x, so the check covers the training path: backward = g ⊙ mask/(1 − p).
    """

    def forward(self, x: Any) -> Any:
        self.rng = np.random.default_rng(0)
        return super().forward(x)


# factory, input columns. Inputs are drawn by _inputs(); ReLU and LeakyReLU are checked
# there away from their kink (see test_generic_inputs_avoid_the_relu_kink) and at it in
# tests/test_activations_more.py.
MODULES: dict[type, tuple[Callable[..., nn.Module], int]] = {
    nn.Linear: (lambda dtype=np.float64: nn.Linear(4, 3, dtype=dtype, rng=0), 4),
    nn.Sigmoid: (lambda dtype=np.float64: nn.Sigmoid(), 4),
    nn.Tanh: (lambda dtype=np.float64: nn.Tanh(), 4),
    nn.ReLU: (lambda dtype=np.float64: nn.ReLU(), 4),
    nn.LeakyReLU: (lambda dtype=np.float64: nn.LeakyReLU(0.1), 4),
    nn.Softmax: (lambda dtype=np.float64: nn.Softmax(), 4),
    nn.Identity: (lambda dtype=np.float64: nn.Identity(), 4),
    nn.Dropout: (lambda dtype=np.float64: _FixedMaskDropout(0.4), 4),
    nn.Sequential: (
        lambda dtype=np.float64: nn.Sequential(
            nn.Linear(4, 5, dtype=dtype, rng=1), nn.Sigmoid(), nn.Linear(5, 2, dtype=dtype, rng=2)
        ),
        4,
    ),
}


def _inputs(n_in: int) -> tuple[np.random.Generator, Any]:
    rng = np.random.default_rng(7)
    return rng, rng.normal(size=(5, n_in))


# factory, prediction sampler, target sampler
def _probs(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.uniform(0.05, 0.95, size=shape)


def _normal(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.normal(size=shape)


def _distributions(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    """Rows of probabilities summing to 1 (soft targets; labels are checked elsewhere)."""
    return rng.dirichlet(np.ones(shape[1]), size=shape[0])


LOSSES: dict[type, tuple[Callable[..., nn.Loss], Any, Any]] = {
    nn.MSELoss: (nn.MSELoss, _normal, _normal),
    nn.BCELoss: (nn.BCELoss, _probs, _probs),
    nn.BCEWithLogitsLoss: (nn.BCEWithLogitsLoss, _normal, _probs),
    nn.CrossEntropyLoss: (nn.CrossEntropyLoss, _normal, _distributions),
}

REDUCTIONS = ["batchmean", "sum", "mean"]


def _exported(base: type) -> set[type]:
    return {
        obj
        for name in nn.__all__
        if inspect.isclass(obj := getattr(nn, name)) and issubclass(obj, base) and obj is not base
    }


def test_every_class_is_checked() -> None:
    assert _exported(nn.Module) <= set(MODULES), _exported(nn.Module) - set(MODULES)
    assert _exported(nn.Loss) <= set(LOSSES), _exported(nn.Loss) - set(LOSSES)


def test_generic_inputs_avoid_the_relu_kink() -> None:
    _, x = _inputs(4)
    assert np.abs(x).min() > 1e-3  # ≫ the central-difference step 1e-6


def test_fixed_mask_dropout_really_drops() -> None:
    _, x = _inputs(4)
    y = _FixedMaskDropout(0.4)(x)
    assert 0 < np.count_nonzero(y == 0) < y.size
    np.testing.assert_allclose(y[y != 0], x[y != 0] / 0.6, rtol=1e-15)


@pytest.mark.parametrize("cls", list(MODULES), ids=lambda c: c.__name__)
def test_module_backward_matches_central_differences(cls: type) -> None:
    factory, n_in = MODULES[cls]
    module = factory()
    rng, x = _inputs(n_in)
    out = module(x)
    upstream = rng.normal(size=out.shape)  # J = Σ upstream ⊙ y, so ∂J/∂y = upstream

    def J() -> float:
        return float(np.sum(upstream * module(x)))

    module.zero_grad()
    module(x)
    grad_input = module.backward(upstream.copy())
    analytic = {name: p.grad.copy() for name, p in module.named_parameters()}

    assert grad_input.shape == x.shape
    assert rel_error(grad_input, central_difference(J, x)) < 1e-8
    for name, p in module.named_parameters():
        numeric = central_difference(J, p.data)
        assert rel_error(analytic[name], numeric) < 1e-8, name


@pytest.mark.parametrize("cls", list(MODULES), ids=lambda c: c.__name__)
def test_module_backward_before_forward_is_refused(cls: type) -> None:
    factory, n_in = MODULES[cls]
    with pytest.raises(RuntimeError, match="before forward"):
        factory().backward(np.ones((2, 3)))


@pytest.mark.parametrize("cls", list(MODULES), ids=lambda c: c.__name__)
def test_module_refuses_1d_input(cls: type) -> None:
    factory, n_in = MODULES[cls]
    with pytest.raises(ValueError, match="one example per row"):
        factory()(np.ones(n_in))


@pytest.mark.parametrize("cls", list(MODULES), ids=lambda c: c.__name__)
def test_module_keeps_float32(cls: type) -> None:
    factory, n_in = MODULES[cls]
    module = factory(dtype=np.float32)
    x = np.ones((3, n_in), dtype=np.float32)
    out = module(x)
    assert out.dtype == np.float32
    assert module.backward(np.ones_like(out)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in module.parameters())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_backward_matches_central_differences(cls: type, reduction: str) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    loss = factory(reduction=reduction)
    rng = np.random.default_rng(3)
    pred, target = pred_of(rng, (4, 3)), target_of(rng, (4, 3))
    value = loss(pred, target)
    assert isinstance(value, float)
    grad = np.asarray(loss.backward())
    numeric = central_difference(lambda: loss(pred, target), pred)
    assert rel_error(grad, numeric) < 1e-8


@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_reductions_are_related_by_m_and_k(cls: type) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    rng = np.random.default_rng(4)
    pred, target = pred_of(rng, (6, 4)), target_of(rng, (6, 4))
    total = factory(reduction="sum")(pred, target)
    assert factory(reduction="batchmean")(pred, target) == pytest.approx(total / 6, rel=1e-14)
    assert factory(reduction="mean")(pred, target) == pytest.approx(total / 24, rel=1e-14)


@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_refuses_shape_mismatch_and_early_backward(cls: type) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    rng = np.random.default_rng(5)
    with pytest.raises(RuntimeError, match="before"):
        factory().backward()
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\).*reshape"):
        factory()(pred_of(rng, (4, 1)), target_of(rng, (4, 1)).ravel())


@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_keeps_float32(cls: type) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    rng = np.random.default_rng(6)
    pred = pred_of(rng, (3, 2)).astype(np.float32)
    loss = factory()
    loss(pred, target_of(rng, (3, 2)))
    assert np.asarray(loss.backward()).dtype == np.float32
