"""Parameter groups: PyTorch's form, per-group hyper-parameters through the one λ rule, frozen parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim


def _model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.Sigmoid(), nn.Linear(4, 2, rng=1))


def _grads(model: nn.Sequential) -> None:
    rng = np.random.default_rng(0)
    crit = nn.MSELoss()
    model.zero_grad()
    crit(model(rng.normal(size=(5, 3))), rng.normal(size=(5, 2)))
    model.backward(crit.backward())


def test_groups_take_their_own_values_and_the_defaults_for_the_rest() -> None:
    model = _model()
    opt = optim.SGD(
        [
            {"params": model[0].parameters(), "lr": 0.1, "l2": 0.0},
            {"params": model[2].parameters()},
        ],
        lr=0.01,
        l2=1.0,
        momentum=0.5,
    )
    assert [(g["lr"], g["l2"], g["momentum"]) for g in opt.param_groups] == [
        (0.1, 0.0, 0.5),
        (0.01, 1.0, 0.5),
    ]
    assert opt.params == model.parameters()
    assert opt.defaults["lr"] == 0.01
    with pytest.raises(ValueError, match=r"2 parameter groups with different lr \[0.1, 0.01\]"):
        _ = opt.lr
    opt.lr = 0.2  # sets every group
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2] and opt.lr == 0.2
    assert repr(opt) == "SGD(lr=0.01, l2=1.0, momentum=0.5, 2 parameter groups)"


def test_per_group_l2_goes_through_the_one_rule() -> None:
    """D and the penalty use each group's λ; the biases stay exempt in every group."""
    model = _model()
    opt = optim.SGD(
        [{"params": model[0].parameters(), "l2": 3.0}, {"params": model[2].parameters()}],
        lr=0.1,
        l2=1.0,
    )
    _grads(model)
    m = 5
    for p, lam in zip(model.parameters(), [3.0, 3.0, 1.0, 1.0]):
        np.testing.assert_array_equal(opt.gradient(p, m), nn.l2_gradient(p, lam, m))
    expected = nn.l2_penalty(model[0].parameters(), 3.0, m) + nn.l2_penalty(
        model[2].parameters(), 1.0, m
    )
    assert opt.l2_penalty(m) == pytest.approx(expected, rel=1e-15)
    with pytest.raises(ValueError, match=r"l2=\[3.0, 1.0\] needs m"):
        opt.step()


def test_a_group_of_l2_zero_is_sgd_without_decay() -> None:
    a, b = _model(), _model()
    opt_a = optim.SGD([{"params": a.parameters(), "l2": 0.0}], lr=0.3, l2=5.0)
    opt_b = optim.SGD(b.parameters(), lr=0.3)
    for model, opt in ((a, opt_a), (b, opt_b)):
        _grads(model)
        opt.step(m=5)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_add_param_group_and_what_it_refuses() -> None:
    model = _model()
    opt = optim.Adam(model[2].parameters(), lr=0.01)
    opt.add_param_group({"params": model[0].parameters(), "lr": 0.001, "betas": (0.5, 0.9)})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["betas"] == (0.5, 0.9)
    assert opt.params == model[2].parameters() + model[0].parameters()
    with pytest.raises(
        ValueError, match=r"param_groups\[2\] repeats 1 parameter\(s\) of an earlier"
    ):
        opt.add_param_group({"params": [model[0].weight]})
    with pytest.raises(ValueError, match=r"unknown keys \['momentum'\]; Adam takes"):
        opt.add_param_group({"params": [nn.Parameter(np.zeros(2))], "momentum": 0.9})
    with pytest.raises(ValueError, match="must be a dict with a 'params' entry"):
        opt.add_param_group([nn.Parameter(np.zeros(2))])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"param_groups\[2\]: betas\[0\]=1.5"):
        opt.add_param_group({"params": [nn.Parameter(np.zeros(2))], "betas": (1.5, 0.9)})
    with pytest.raises(TypeError, match="mixes parameter groups"):
        optim.SGD([{"params": model[0].parameters()}, model[2].weight], lr=0.1)
    with pytest.raises(TypeError, match="not a Linear; pass model.parameters()"):
        optim.SGD(model[0], lr=0.1)  # type: ignore[arg-type]


def test_a_group_may_have_lr_zero_the_constructor_not() -> None:
    model = _model()
    opt = optim.SGD(
        [{"params": model[0].parameters(), "lr": 0.0}, {"params": model[2].parameters()}], lr=0.5
    )
    before = model[0].weight.data.copy()
    _grads(model)
    opt.step()
    np.testing.assert_array_equal(model[0].weight.data, before)
    with pytest.raises(ValueError, match="lr=0.0 must be a finite number > 0"):
        optim.SGD(model.parameters(), lr=0.0)
    with pytest.raises(ValueError, match=r"param_groups\[0\]: lr=-1"):
        optim.SGD([{"params": model.parameters(), "lr": -1}], lr=0.5)


def test_lbfgs_and_cg_take_one_group() -> None:
    model = _model()
    for cls in (optim.LBFGS, optim.ConjugateGradient):
        with pytest.raises(ValueError, match="takes one parameter group"):
            cls([{"params": model[0].parameters()}, {"params": model[2].parameters()}])


FIRST_ORDER: dict[str, Callable[[Any], optim.Optimizer]] = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.5, l2=1.0),
    "momentum": lambda ps: optim.SGD(ps, lr=0.5, l2=1.0, momentum=0.9, dampening=0.1),
    "adam": lambda ps: optim.Adam(ps, lr=0.1, l2=1.0, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.1),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "nadam": lambda ps: optim.NAdam(ps, lr=0.1),
    "radam": lambda ps: optim.RAdam(ps, lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
}


@pytest.mark.parametrize("name", list(FIRST_ORDER))
def test_every_optimizer_leaves_a_frozen_parameter_and_its_state_alone(name: str) -> None:
    model = _model()
    opt = FIRST_ORDER[name](model.parameters())
    model[0].requires_grad_(False)
    frozen = [p.data.copy() for p in model[0].parameters()]
    for _ in range(3):
        _grads(model)
        model[0].weight.grad = np.ones((4, 3))  # a stale gradient must not move it either
        opt.step(m=5)
    for p, before in zip(model[0].parameters(), frozen):
        np.testing.assert_array_equal(p.data, before)
    assert opt.param_steps == [0, 0, 3, 3]  # as PyTorch's per-parameter step
    assert not np.array_equal(model[2].weight.data, _model()[2].weight.data)


def test_closure_optimizers_search_over_the_trained_parameters_only() -> None:
    model = _model()
    model[2].bias.requires_grad = False
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    crit = nn.MSELoss()

    def closure() -> float:
        value = crit(model(X), Y)
        model.backward(crit.backward())
        return value

    for cls in (optim.LBFGS, optim.ConjugateGradient):
        bias = model[2].bias.data.copy()
        opt = cls(model.parameters(), max_iter=200)
        J0 = float(crit(model(X), Y))
        assert opt.step(closure) < J0
        np.testing.assert_array_equal(model[2].bias.data, bias)
