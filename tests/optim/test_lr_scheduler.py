"""Learning-rate schedulers: the lr sequences by hand, state, bad arguments.

The comparisons with ``torch.optim.lr_scheduler`` (every scheduler, composition,
parameter groups) are in ``test_lr_scheduler_torch.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.optim import lr_scheduler


def sgd(lr: float = 1.0) -> optim.SGD:
    return optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=lr)


def sequence(sched: lr_scheduler.LRScheduler, n: int) -> list[float]:
    out = []
    for _ in range(n):
        out.append(sched.optimizer.lr)
        assert sched.get_last_lr() == [sched.optimizer.lr]
        sched.step()
    return out


def test_step_lr() -> None:
    s = optim.StepLR(sgd(2.0), step_size=3, gamma=0.5)
    assert sequence(s, 7) == [2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.5]


def test_exponential_lr() -> None:
    s = optim.ExponentialLR(sgd(1.0), gamma=0.9)
    np.testing.assert_allclose(sequence(s, 4), [1.0, 0.9, 0.81, 0.729], rtol=1e-15)


def test_cosine_annealing_lr() -> None:
    s = optim.CosineAnnealingLR(sgd(1.0), T_max=4, eta_min=0.2)
    expected = [0.2 + 0.4 * (1 + math.cos(math.pi * e / 4)) for e in range(5)]
    got = sequence(s, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert got[0] == 1.0 and got[4] == pytest.approx(0.2)


def test_cosine_annealing_reaches_zero_as_pytorch() -> None:
    """eta_min=0: the rate at T_max is 0 (the schedule writes it; it was floored before)."""
    opt = sgd(1.0)
    s = optim.CosineAnnealingLR(opt, T_max=2)
    s.step()
    s.step()
    assert opt.lr == pytest.approx(0.0, abs=1e-16)
    s.step()  # past T_max the cosine rises again
    assert opt.lr == pytest.approx(0.5)


def test_state_dict_round_trip() -> None:
    opt = sgd(1.0)
    s = optim.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(3):
        s.step()
    state = s.state_dict()
    assert state == {
        "type": "StepLR",
        "step_size": 2,
        "gamma": 0.1,
        "base_lrs": [1.0],
        "last_epoch": 3,
        "_step_count": 4,
        "_last_lr": [pytest.approx(0.1)],
    }
    opt2 = sgd(1.0)
    s2 = optim.StepLR(opt2, step_size=2, gamma=0.1)
    s2.load_state_dict(state)
    assert opt2.lr == opt.lr
    s.step()
    s2.step()
    assert opt2.lr == opt.lr == pytest.approx(0.01)


def test_a_refused_state_leaves_the_scheduler_unchanged() -> None:
    opt = sgd(1.0)
    s = optim.StepLR(opt, step_size=2, gamma=0.1)
    s.step()
    before = s.state_dict()
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: unknown keys \['gama'\]"):
        s.load_state_dict({**before, "gama": 0.5})
    with pytest.raises(ValueError, match="rates for 2 parameter groups; the optimizer has 1"):
        s.load_state_dict({**before, "base_lrs": [1.0, 1.0]})
    with pytest.raises(ValueError, match="state is for ExponentialLR"):
        s.load_state_dict(optim.ExponentialLR(sgd(), gamma=0.5).state_dict())
    assert s.state_dict() == before


def test_the_scheduled_lr_is_what_sgd_applies() -> None:
    layer = nn.Linear(1, 1, bias=False, rng=0)
    layer.weight.data = [[0.0]]
    opt = optim.SGD(layer.parameters(), lr=1.0)
    s = optim.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        layer.weight.grad = [[-1.0]]
        opt.step()
        s.step()
    assert layer.weight.data[0, 0] == 1.0 + 0.5 + 0.25


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda o: optim.StepLR(o, step_size=0), "step_size=0"),
        (lambda o: optim.StepLR(o, step_size=1.5), "step_size=1.5"),
        (lambda o: optim.StepLR(o, step_size=2, gamma=0.0), "gamma=0.0"),
        (lambda o: optim.ExponentialLR(o, gamma=-1), "gamma=-1"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max=0"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=3, eta_min=-2.0), "eta_min=-2.0"),
        (lambda o: optim.StepLR("sgd", step_size=1), "must be an Optimizer"),
        (lambda o: optim.MultiStepLR(o, milestones=[2, 0]), r"milestones\[1\]=0"),
        (lambda o: optim.ConstantLR(o, factor=0.0), r"factor=0.0 must be in \(0.0, 1.0\]"),
        (lambda o: optim.LinearLR(o, start_factor=1.5), "start_factor=1.5"),
        (lambda o: optim.LinearLR(o, end_factor=-0.1), "end_factor=-0.1"),
        (lambda o: optim.PolynomialLR(o, total_iters=0), "total_iters=0"),
        (
            lambda o: optim.LambdaLR(o, lr_lambda=[lambda e: 1.0] * 2),
            "2 values; the optimizer has 1",
        ),
        (lambda o: optim.LambdaLR(o, lr_lambda=3), "lr_lambda"),
        (lambda o: optim.CyclicLR(o, 0.1, 1.0, mode="sine"), "mode='sine'"),
        (lambda o: optim.OneCycleLR(o, max_lr=1.0), "give total_steps"),
        (
            lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.05),
            "a phase without",
        ),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, T_0=0), "T_0=0"),
        (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), "factor=1.0"),
        (lambda o: optim.ReduceLROnPlateau(o, mode="up"), "mode='up'"),
        (lambda o: optim.ReduceLROnPlateau(o, patience=-1), "patience=-1"),
        (
            lambda o: optim.SequentialLR(o, [optim.StepLR(o, 1)], milestones=[2]),
            "need 0 milestones",
        ),
    ],
)
def test_bad_arguments(call: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call(sgd())  # type: ignore[operator]


def test_conjugate_gradients_have_no_lr_to_schedule() -> None:
    opt = optim.ConjugateGradient(nn.Linear(2, 1, rng=0).parameters())
    with pytest.raises(ValueError, match="ConjugateGradient takes its steps by a line search"):
        optim.ExponentialLR(opt, gamma=0.9)


def test_lbfgs_lr_can_be_scheduled() -> None:
    opt = optim.LBFGS(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
    sched = optim.ExponentialLR(opt, gamma=0.5)
    sched.step()
    assert opt.lr == 0.5


def test_one_cycle_refuses_stepping_past_its_end() -> None:
    s = optim.OneCycleLR(sgd(), max_lr=1.0, total_steps=4)
    for _ in range(4):
        s.step()
    with pytest.raises(ValueError, match="stepped 5 times; the schedule has total_steps=4"):
        s.step()


def test_plateau_needs_the_value() -> None:
    s = optim.ReduceLROnPlateau(sgd())
    with pytest.raises(ValueError, match=r"needs the monitored value, e.g. step\(val_loss\)"):
        s.step()
    with pytest.raises(ValueError, match="is NaN"):
        s.step(float("nan"))


def test_docs_page_examples() -> None:
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "optimizers.md"
    result = doctest.testfile(str(page), module_relative=False)
    assert result.attempted > 0 and result.failed == 0
