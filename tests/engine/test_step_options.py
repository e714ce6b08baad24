"""compile_step with every loss option, sample weights, frozen layers and clipping equals the plain loop.

The reference is ``engine=False`` (the README's five lines); the engine must give the same
J, outputs and weights to rounding, over batches of two sizes (two plans each).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim, train
from minitorch_bp.nn.parameter import Parameter

W = [0.5, 2.0, 1.5]


def _net(last: Callable[[], nn.Module] | None) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(4, 6, rng=1), nn.Tanh(), nn.Linear(6, 3, rng=2)]
    if last is not None:
        layers.append(last())
    return nn.Sequential(*layers)


def _targets(kind: str, rng: np.random.Generator, m: int) -> Any:
    if kind == "labels":
        return rng.integers(0, 3, size=m)
    if kind == "ignored":
        y = rng.integers(0, 3, size=m)
        y[::3] = -1
        return y
    if kind == "onehot":
        return np.eye(3)[rng.integers(0, 3, size=m)]
    if kind == "soft":
        return rng.dirichlet(np.ones(3), size=m)
    if kind == "counts":
        return rng.poisson(1.5, size=(m, 3)).astype(float)
    return rng.normal(size=(m, 3))


# name: (last layer, criterion, target kind)
CASES: dict[str, tuple[Callable[[], nn.Module] | None, Callable[[], nn.Loss], str]] = {
    "sigmoid-bce-weight": (nn.Sigmoid, lambda: nn.BCELoss(weight=W), "onehot"),
    "bce-logits-pos_weight-mean": (
        None,
        lambda: nn.BCEWithLogitsLoss(weight=W, pos_weight=W[::-1], reduction="mean"),
        "onehot",
    ),
    "ce-weight-ignore-smoothing": (
        None,
        lambda: nn.CrossEntropyLoss(weight=W, ignore_index=-1, label_smoothing=0.1),
        "ignored",
    ),
    "ce-soft-smoothing-sum": (
        None,
        lambda: nn.CrossEntropyLoss(label_smoothing=0.2, reduction="sum"),
        "soft",
    ),
    "logsoftmax-nll-weight": (nn.LogSoftmax, lambda: nn.NLLLoss(weight=W), "labels"),
    "logsoftmax-kl": (nn.LogSoftmax, nn.KLDivLoss, "soft"),
    "l1": (None, nn.L1Loss, "real"),
    "huber-mean": (None, lambda: nn.HuberLoss(reduction="mean", delta=0.5), "real"),
    "smooth-l1": (None, lambda: nn.SmoothL1Loss(beta=0.3), "real"),
    "poisson": (None, nn.PoissonNLLLoss, "counts"),
    "sigmoid-bce-plain": (nn.Sigmoid, nn.BCELoss, "onehot"),  # the fused pair, for the
    "mse": (None, nn.MSELoss, "real"),  # sample weights and freezing below
}

OPTIMIZERS: dict[str, Callable[[list[Parameter]], optim.Optimizer]] = {
    "sgd-l2": lambda ps: optim.SGD(ps, lr=0.2, l2=1.0),
    "adam-groups": lambda ps: optim.Adam(
        [{"params": ps[:2], "lr": 0.02, "l2": 0.0}, {"params": ps[2:]}], lr=0.01, l2=0.5
    ),
    "lbfgs": lambda ps: optim.LBFGS(ps, l2=1.0, max_iter=3),
}


def _run(
    case: str,
    opt_name: str,
    engine: bool,
    *,
    weighted: bool = False,
    freeze: bool = False,
    **step_options: Any,
) -> tuple[list[float], list[Any], list[Any]]:
    last, make_loss, kind = CASES[case]
    model = _net(last)
    if freeze:
        model[0].requires_grad_(False)
    opt = OPTIMIZERS[opt_name](model.parameters())
    step = train.compile_step(model, make_loss(), opt, engine=engine, **step_options)
    losses, outputs = [], []
    for i, m in enumerate([7, 7, 5, 7]):
        rng = np.random.default_rng(100 + i)
        X, Y = rng.normal(size=(m, 4)), _targets(kind, rng, m)
        s = rng.uniform(0.2, 2.0, size=m) if weighted else None
        losses.append(step(X, Y, sample_weight=s))
        outputs.append(np.array(step.output, copy=True))
    return losses, outputs, [p.data.copy() for p in model.parameters()]


def _same(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a[0], b[0], rtol=1e-11)
    for x, y in zip(a[1] + a[2], b[1] + b[2]):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-13)


@pytest.mark.filterwarnings("ignore::minitorch_bp.optim.ConvergenceWarning")
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
@pytest.mark.parametrize("case", list(CASES))
def test_the_engine_equals_the_plain_layers_for_every_loss_option(case: str, opt_name: str) -> None:
    _same(_run(case, opt_name, True), _run(case, opt_name, False))


@pytest.mark.filterwarnings("ignore::minitorch_bp.optim.ConvergenceWarning")
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
@pytest.mark.parametrize("case", ["sigmoid-bce-plain", "mse", "ce-weight-ignore-smoothing", "l1"])
def test_sample_weights_in_the_engine_equal_the_plain_layers(case: str, opt_name: str) -> None:
    _same(_run(case, opt_name, True, weighted=True), _run(case, opt_name, False, weighted=True))


@pytest.mark.parametrize("case", ["sigmoid-bce-plain", "mse"])
def test_a_frozen_first_layer_stays_and_the_engine_agrees(case: str) -> None:
    fast = _run(case, "sgd-l2", True, freeze=True)
    _same(fast, _run(case, "sgd-l2", False, freeze=True))
    start = _net(CASES[case][0]).parameters()
    np.testing.assert_array_equal(fast[2][0], start[0].data)  # frozen: unchanged
    np.testing.assert_array_equal(fast[2][1], start[1].data)
    assert not np.array_equal(fast[2][2], start[2].data)


def test_the_engine_skips_the_products_a_frozen_layer_needs_not() -> None:
    model = _net(nn.Sigmoid)
    model[0].requires_grad_(False)
    step = train.compile_step(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.1))
    rng = np.random.default_rng(0)
    step(rng.normal(size=(5, 4)), np.eye(3)[[0, 1, 2, 0, 1]])
    source = step.source()
    assert "layer 0)" not in source.split("δ^(L)")[1]  # no ∂J/∂W of layer 0
    assert "g'(z)   (layer 1" not in source  # nor the δ below layer 2
    assert "Θᵀδ" not in source
    # Thawing it makes a new plan that computes them again.
    model[0].requires_grad_(True)
    step(rng.normal(size=(5, 4)), np.eye(3)[[0, 1, 2, 0, 1]])
    assert "Δ += δ aᵀ; layer 0" in step.source()


@pytest.mark.parametrize("engine", [True, False])
def test_sample_weights_step_with_m_their_total(engine: bool) -> None:
    """scikit-learn's sw_sum: the λ term and D use m = Σ s."""
    model = _net(None)
    lam = 2.0
    opt = optim.SGD(model.parameters(), lr=0.1, l2=lam)
    step = train.compile_step(model, nn.MSELoss(), opt, engine=engine)
    rng = np.random.default_rng(1)
    X, Y, s = rng.normal(size=(6, 4)), rng.normal(size=(6, 3)), rng.uniform(0.5, 3, size=6)
    expected = nn.MSELoss()(model(X), Y, sample_weight=s) + nn.l2_penalty(model, lam, s.sum())
    assert step(X, Y, sample_weight=s) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("engine", [True, False])
def test_clipping_in_the_step_equals_clipping_by_hand(engine: bool) -> None:
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(8, 4)), rng.normal(size=(8, 3)) * 10
    model, twin = _net(None), _net(None)
    step = train.compile_step(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.1),
        engine=engine,
        clip_grad_norm=0.5,
    )
    opt = optim.SGD(twin.parameters(), lr=0.1)
    crit = nn.MSELoss()
    from minitorch_bp.utils import clip_grad_norm_

    for _ in range(3):
        step(X, Y)
        opt.zero_grad()
        crit(twin(X), Y)
        twin.backward(crit.backward())
        norm = clip_grad_norm_(twin.parameters(), 0.5)
        opt.step()
        assert step.grad_norm == pytest.approx(norm, rel=1e-12) and norm > 0.5
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12)


def test_what_a_step_cannot_mean_is_refused() -> None:
    model = _net(None)
    with pytest.raises(ValueError, match="reduction='none', which gives one loss per element"):
        train.compile_step(
            model, nn.MSELoss(reduction="none"), optim.SGD(model.parameters(), lr=1.0)
        )
    crit = nn.MSELoss()
    step = train.compile_step(model, crit, optim.SGD(model.parameters(), lr=1.0))
    crit.reduction = "none"
    with pytest.raises(ValueError, match="a training step needs one number J"):
        step(np.ones((2, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="would make the gradient disagree with J"):
        train.compile_step(model, nn.MSELoss(), optim.LBFGS(model.parameters()), clip_grad_norm=1.0)
    with pytest.raises(ValueError, match="clip_grad_norm or clip_grad_value, not both"):
        train.compile_step(
            model,
            nn.MSELoss(),
            optim.SGD(model.parameters(), lr=1.0),
            clip_grad_norm=1.0,
            clip_grad_value=1.0,
        )
    step = train.compile_step(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=1.0))
    with pytest.raises(ValueError, match="sample weights add up to 0.0"):
        step(np.ones((2, 4)), np.ones((2, 3)), sample_weight=np.zeros(2))
