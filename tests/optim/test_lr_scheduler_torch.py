"""Every schedule against ``torch.optim.lr_scheduler``: the rates of each group, step by step.

Each case builds the same schedule on an SGD (momentum 0.9) or Adam optimizer with two
parameter groups of different learning rates, in both libraries, and steps it 40 times:
the rates (and the momenta or betas a cyclical schedule moves) agree to 1e-12 relative.
Composition is PyTorch's too: two schedulers on one optimizer, ``SequentialLR`` and
``ChainedScheduler``. State dicts resume a schedule exactly.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim

torch = pytest.importorskip("torch")
S = torch.optim.lr_scheduler
STEPS = 40


def _ours(adam: bool = False) -> optim.Optimizer:
    ps = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=1)).parameters()
    groups = [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.03}]
    if adam:
        return optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def _theirs(adam: bool = False) -> Any:
    ps = [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64)) for _ in range(4)]
    groups = [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.03}]
    if adam:
        return torch.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


Build = Callable[[Any, Any], Any]  # (the library's scheduler module, optimizer) -> scheduler
# name: (build with optim / torch's module in the first argument, Adam?)
CASES: dict[str, tuple[Build, bool]] = {
    "StepLR": (lambda L, o: L.StepLR(o, step_size=4, gamma=0.5), False),
    "MultiStepLR": (lambda L, o: L.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3), False),
    "ConstantLR": (lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=6), False),
    "LinearLR": (
        lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.7, total_iters=9),
        False,
    ),
    "ExponentialLR": (lambda L, o: L.ExponentialLR(o, gamma=0.93), False),
    "PolynomialLR": (lambda L, o: L.PolynomialLR(o, total_iters=25, power=1.7), False),
    "CosineAnnealingLR": (lambda L, o: L.CosineAnnealingLR(o, T_max=9, eta_min=0.001), False),
    "CosineAnnealingLR-to-zero": (lambda L, o: L.CosineAnnealingLR(o, T_max=7), False),
    "LambdaLR": (lambda L, o: L.LambdaLR(o, [lambda e: 0.95**e, lambda e: 1 / (1 + e)]), False),
    "MultiplicativeLR": (
        lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.02),
        False,
    ),
    "CyclicLR": (
        lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=[0.2, 0.1], step_size_up=5),
        False,
    ),
    "CyclicLR-triangular2-down": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.3, step_size_up=3, step_size_down=6, mode="triangular2"),
        False,
    ),
    "CyclicLR-exp_range-adam": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.2, step_size_up=4, mode="exp_range", gamma=0.97),
        True,
    ),
    "OneCycleLR": (lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS), False),
    "OneCycleLR-linear-three-phase-adam": (
        lambda L, o: L.OneCycleLR(
            o, max_lr=0.4, epochs=4, steps_per_epoch=10, anneal_strategy="linear", three_phase=True
        ),
        True,
    ),
    "CosineAnnealingWarmRestarts": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.002),
        False,
    ),
    "SequentialLR": (
        lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, 0.2, total_iters=5), L.CosineAnnealingLR(o, T_max=20)], milestones=[5]
        ),
        False,
    ),
    "SequentialLR-three": (
        lambda L, o: L.SequentialLR(
            o,
            [L.ConstantLR(o, 0.5, total_iters=3), L.ExponentialLR(o, 0.9), L.StepLR(o, 4, 0.5)],
            milestones=[4, 12],
        ),
        False,
    ),
    "ChainedScheduler": (
        lambda L, o: L.ChainedScheduler(
            [L.ConstantLR(o, factor=0.5, total_iters=5), L.ExponentialLR(o, gamma=0.95)]
        ),
        False,
    ),
}


class _Both:
    """A schedule in our package and in PyTorch, stepped together."""

    def __init__(self, build: Build, adam: bool) -> None:
        self.ours_opt, self.theirs_opt = _ours(adam), _theirs(adam)
        self.ours, self.theirs = build(optim, self.ours_opt), build(S, self.theirs_opt)
        self.adam = adam

    def step(self) -> None:
        self.ours.step()
        self.theirs.step()

    def check(self) -> None:
        np.testing.assert_allclose(
            [g["lr"] for g in self.ours_opt.param_groups],
            [g["lr"] for g in self.theirs_opt.param_groups],
            rtol=1e-12,
            atol=1e-300,
        )
        np.testing.assert_allclose(self.ours.get_last_lr(), self.theirs.get_last_lr(), rtol=1e-12)
        key = "betas" if self.adam else "momentum"
        mine = [np.ravel(g[key])[0] for g in self.ours_opt.param_groups]
        theirs = [np.ravel(g[key])[0] for g in self.theirs_opt.param_groups]
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's step-order notice
@pytest.mark.parametrize("name", list(CASES))
def test_rates_equal_pytorchs(name: str) -> None:
    both = _Both(*CASES[name])
    both.check()
    for _ in range(STEPS - 1):
        both.step()
        both.check()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_two_schedulers_on_one_optimizer_compose_as_in_pytorch() -> None:
    """Plain double use: both step every epoch and their factors multiply."""
    ours_opt, theirs_opt = _ours(), _theirs()
    a = [optim.StepLR(ours_opt, 3, 0.5), optim.CosineAnnealingLR(ours_opt, T_max=10)]
    b = [S.StepLR(theirs_opt, 3, 0.5), S.CosineAnnealingLR(theirs_opt, T_max=10)]
    for _ in range(25):
        for s in a + b:
            s.step()
        np.testing.assert_allclose(
            [g["lr"] for g in ours_opt.param_groups],
            [g["lr"] for g in theirs_opt.param_groups],
            rtol=1e-12,
        )


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_warm_restarts_with_fractional_epochs() -> None:
    both = _Both(lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=3), False)
    for epoch in np.arange(0.0, 12.0, 0.25):
        both.ours.step(float(epoch))
        both.theirs.step(float(epoch))
        both.check()


def test_reduce_on_plateau_follows_pytorchs_rule() -> None:
    rng = np.random.default_rng(0)
    values = list(np.cumsum(rng.normal(size=60)) + 100)
    for kwargs in (
        {"patience": 2},
        {"mode": "max", "factor": 0.5, "patience": 1, "cooldown": 2, "threshold": 0.01},
        {"threshold_mode": "abs", "threshold": 0.5, "min_lr": [0.02, 0.001], "patience": 0},
    ):
        ours_opt, theirs_opt = _ours(), _theirs()
        ours = optim.ReduceLROnPlateau(ours_opt, **kwargs)
        theirs = S.ReduceLROnPlateau(theirs_opt, **kwargs)
        for v in values:
            ours.step(v)
            theirs.step(v)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-15)
            assert ours.num_bad_epochs == theirs.num_bad_epochs


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resumes_the_schedule(name: str) -> None:
    build, adam = CASES[name]
    opt = _ours(adam)
    sched = build(optim, opt)
    for _ in range(11):
        sched.step()
    saved_opt = copy.deepcopy(opt.state_dict())
    saved = copy.deepcopy(sched.state_dict())
    expected = []
    for _ in range(12):
        sched.step()
        expected.append(sched.get_last_lr())
    fresh_opt = _ours(adam)
    fresh = build(optim, fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    got = []
    for _ in range(12):
        fresh.step()
        got.append(fresh.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-15)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_cosine_past_t_max_and_at_zero() -> None:
    both = _Both(lambda L, o: L.CosineAnnealingLR(o, T_max=3), False)
    lrs = []
    for _ in range(8):
        both.step()
        both.check()
        lrs.append(both.ours.get_last_lr()[0])
    assert lrs[2] == pytest.approx(0.0, abs=1e-18)
    assert lrs[5] == pytest.approx(0.1 * (1 + math.cos(math.pi * 6 / 3)) / 2)
