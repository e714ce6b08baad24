"""Every optimizer and flag, trained side by side with ``torch.optim`` in float64.

The same sigmoid network, data and loss (our ``BCELoss``, the notes' J, is PyTorch's
``reduction="sum"`` divided by m); the notes' λ is PyTorch's ``weight_decay = λ/m`` on the
weights and 0 on the biases (a second parameter group). After 30 steps every parameter
agrees to 1e-10 relative; L-BFGS, with its line search, to 1e-8 over 50 iterations.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.interop import to_torch

torch = pytest.importorskip("torch")

M, LAM = 20, 0.8
STEPS = 30


@pytest.fixture(autouse=True)
def _float64_scalars() -> Any:
    """PyTorch keeps step counts (and NAdam's μ product) as tensors of the default dtype:
    float32 unless set, which alone puts NAdam 1e-8 away. float64, as everything here."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def _problem() -> tuple[nn.Sequential, Any, Any]:
    rng = np.random.default_rng(11)
    X = rng.normal(size=(M, 4))
    Y = (rng.uniform(size=(M, 3)) < 0.4).astype(float)
    model = nn.Sequential(
        nn.Linear(4, 5, rng=1), nn.Sigmoid(), nn.Linear(5, 3, rng=2), nn.Sigmoid()
    )
    return model, X, Y


def _groups(tm: Any, weight_decay: float, **extra: Any) -> list[dict[str, Any]]:
    """PyTorch's two groups: the weights with weight_decay, the biases without."""
    weights = [tm[0].weight, tm[2].weight]
    biases = [tm[0].bias, tm[2].bias]
    return [
        {"params": weights, "weight_decay": weight_decay, **extra},
        {"params": biases, "weight_decay": 0.0, **extra},
    ]


# name: (ours from our parameters, PyTorch's from the torch model)
Maker = Callable[[Any], Any]
CASES: dict[str, tuple[Maker, Maker]] = {
    "sgd": (
        lambda ps: optim.SGD(ps, lr=0.5, l2=LAM),
        lambda tm: torch.optim.SGD(_groups(tm, LAM / M), lr=0.5),
    ),
    "sgd-momentum-dampening": (
        lambda ps: optim.SGD(ps, lr=0.3, l2=LAM, momentum=0.9, dampening=0.3),
        lambda tm: torch.optim.SGD(_groups(tm, LAM / M), lr=0.3, momentum=0.9, dampening=0.3),
    ),
    "sgd-nesterov": (
        lambda ps: optim.SGD(ps, lr=0.3, l2=LAM, momentum=0.8, nesterov=True),
        lambda tm: torch.optim.SGD(_groups(tm, LAM / M), lr=0.3, momentum=0.8, nesterov=True),
    ),
    "sgd-maximize-weight_decay": (
        lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.05, maximize=True),
        lambda tm: torch.optim.SGD(_groups(tm, 0.05), lr=0.1, maximize=True),
    ),
    "adam": (
        lambda ps: optim.Adam(ps, lr=0.05, l2=LAM, betas=(0.8, 0.95)),
        lambda tm: torch.optim.Adam(_groups(tm, LAM / M), lr=0.05, betas=(0.8, 0.95)),
    ),
    "adam-amsgrad-weight_decay": (
        lambda ps: optim.Adam(ps, lr=0.05, l2=LAM, weight_decay=0.01, amsgrad=True),
        lambda tm: torch.optim.Adam(_groups(tm, LAM / M + 0.01), lr=0.05, amsgrad=True),
    ),
    "adam-maximize": (
        lambda ps: optim.Adam(ps, lr=0.01, maximize=True),
        lambda tm: torch.optim.Adam(tm.parameters(), lr=0.01, maximize=True),
    ),
    "adamw-amsgrad": (
        lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1, amsgrad=True),
        lambda tm: torch.optim.AdamW(_groups(tm, 0.1), lr=0.05, amsgrad=True),
    ),
    "adamw-maximize": (
        lambda ps: optim.AdamW(ps, lr=0.02, weight_decay=0.1, maximize=True),
        lambda tm: torch.optim.AdamW(_groups(tm, 0.1), lr=0.02, maximize=True),
    ),
    "rmsprop": (
        lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9, l2=LAM),
        lambda tm: torch.optim.RMSprop(_groups(tm, LAM / M), lr=0.01, alpha=0.9),
    ),
    "rmsprop-centered-momentum": (
        lambda ps: optim.RMSprop(ps, lr=0.005, momentum=0.7, centered=True, weight_decay=0.02),
        lambda tm: torch.optim.RMSprop(_groups(tm, 0.02), lr=0.005, momentum=0.7, centered=True),
    ),
    "adagrad": (
        lambda ps: optim.Adagrad(
            ps, lr=0.3, lr_decay=0.05, l2=LAM, initial_accumulator_value=0.1, eps=1e-9
        ),
        lambda tm: torch.optim.Adagrad(
            _groups(tm, LAM / M), lr=0.3, lr_decay=0.05, initial_accumulator_value=0.1, eps=1e-9
        ),
    ),
    "adagrad-maximize": (
        lambda ps: optim.Adagrad(ps, lr=0.1, maximize=True),
        lambda tm: torch.optim.Adagrad(tm.parameters(), lr=0.1, maximize=True),
    ),
    "nadam": (
        lambda ps: optim.NAdam(ps, lr=0.02, l2=LAM, momentum_decay=0.01),
        lambda tm: torch.optim.NAdam(_groups(tm, LAM / M), lr=0.02, momentum_decay=0.01),
    ),
    "nadam-decoupled": (
        lambda ps: optim.NAdam(ps, lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
        lambda tm: torch.optim.NAdam(_groups(tm, 0.1), lr=0.02, decoupled_weight_decay=True),
    ),
    "radam": (
        lambda ps: optim.RAdam(ps, lr=0.02, l2=LAM),
        lambda tm: torch.optim.RAdam(_groups(tm, LAM / M), lr=0.02),
    ),
    "radam-decoupled-maximize": (
        lambda ps: optim.RAdam(
            ps, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True
        ),
        lambda tm: torch.optim.RAdam(
            _groups(tm, 0.1), lr=0.01, decoupled_weight_decay=True, maximize=True
        ),
    ),
    "groups": (  # per-group lr, λ and momentum, PyTorch's form
        lambda ps: optim.SGD(
            [{"params": ps[:2], "lr": 0.1, "l2": 0.0}, {"params": ps[2:], "momentum": 0.5}],
            lr=0.4,
            l2=LAM,
        ),
        lambda tm: torch.optim.SGD(
            [
                {"params": [tm[0].weight, tm[0].bias], "lr": 0.1},
                {"params": [tm[2].weight], "weight_decay": LAM / M, "momentum": 0.5},
                {"params": [tm[2].bias], "momentum": 0.5},
            ],
            lr=0.4,
        ),
    ),
}


def _torch_loss(tm: Any, Xt: Any, Yt: Any) -> Any:
    return torch.nn.functional.binary_cross_entropy(tm(Xt), Yt, reduction="sum") / M


def _train(
    name: str,
    steps: int = STEPS,
    *,
    before_step: Callable[[int, Any, Any, Any, Any], None] | None = None,
) -> tuple[list[Any], list[Any]]:
    make_ours, make_torch = CASES[name]
    model, X, Y = _problem()
    tm = to_torch(model)
    ours, theirs = make_ours(model.parameters()), make_torch(tm)
    crit = nn.BCELoss()
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    for i in range(steps):
        if before_step is not None:
            before_step(i, model, tm, ours, theirs)
        ours.zero_grad()
        crit(model(X), Y)
        model.backward(crit.backward())
        ours.step(m=M)
        theirs.zero_grad()
        _torch_loss(tm, Xt, Yt).backward()
        theirs.step()
    return [p.data for p in model.parameters()], [p.detach().numpy() for p in tm.parameters()]


def _assert_same(mine: list[Any], theirs: list[Any], rtol: float = 1e-10) -> None:
    """Each parameter within ``rtol`` of PyTorch's, relative to its largest entry."""
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * float(np.max(np.abs(b))))


@pytest.mark.parametrize("name", list(CASES))
def test_trajectory_equals_torch_optim(name: str) -> None:
    mine, theirs = _train(name)
    start = [p.data for p in _problem()[0].parameters()]
    assert any(not np.allclose(a, b) for a, b in zip(mine, start))  # it moved
    _assert_same(mine, theirs)


def test_a_frozen_layer_is_left_as_it_is_like_torch() -> None:
    """Fine-tuning the last layer: requires_grad_(False) on the first, here and in PyTorch."""

    def freeze(i: int, model: Any, tm: Any, ours: Any, theirs: Any) -> None:
        if i == 0:
            model[0].requires_grad_(False)
            tm[0].requires_grad_(False)
        if i == 15:  # thawed again: its Adam state starts at its own step 1
            model[0].requires_grad_(True)
            tm[0].requires_grad_(True)

    model, _, _ = _problem()
    first = model[0].weight.data.copy()
    mine, theirs = _train("adam", before_step=freeze)
    _assert_same(mine, theirs)
    assert not np.array_equal(mine[0], first)


def test_add_param_group_mid_training_like_torch() -> None:
    def grow(i: int, model: Any, tm: Any, ours: Any, theirs: Any) -> None:
        if i == 10:
            ours.add_param_group({"params": model[0].parameters(), "lr": 0.01})
            theirs.add_param_group({"params": list(tm[0].parameters()), "lr": 0.01})

    CASES["adam-last-layer"] = (
        lambda ps: optim.Adam(ps[2:], lr=0.05),
        lambda tm: torch.optim.Adam(tm[2].parameters(), lr=0.05),
    )
    try:
        mine, theirs = _train("adam-last-layer", before_step=grow)
    finally:
        del CASES["adam-last-layer"]
    _assert_same(mine, theirs)


@pytest.mark.parametrize(
    ("scheduler", "torch_scheduler"),
    [
        (lambda o: optim.StepLR(o, 7, 0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5)),
        (
            lambda o: optim.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS),
            lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS),
        ),
    ],
)
def test_a_scheduler_on_groups_keeps_their_ratio_like_torch(
    scheduler: Any, torch_scheduler: Any
) -> None:
    """Two groups of different lr under a schedule (OneCycleLR also cycles the momentum)."""
    model, X, Y = _problem()
    tm = to_torch(model)
    ps = model.parameters()
    ours = optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.05}], lr=0.2, momentum=0.5)
    theirs = torch.optim.SGD(
        [{"params": list(tm[0].parameters())}, {"params": list(tm[2].parameters()), "lr": 0.05}],
        lr=0.2,
        momentum=0.5,
    )
    s_ours, s_theirs = scheduler(ours), torch_scheduler(theirs)
    crit = nn.BCELoss()
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    for _ in range(STEPS):
        ours.zero_grad()
        crit(model(X), Y)
        model.backward(crit.backward())
        ours.step(m=M)
        s_ours.step()
        theirs.zero_grad()
        _torch_loss(tm, Xt, Yt).backward()
        theirs.step()
        s_theirs.step()
        np.testing.assert_allclose(s_ours.get_last_lr(), s_theirs.get_last_lr(), rtol=1e-13)
    _assert_same(
        [p.data for p in model.parameters()], [p.detach().numpy() for p in tm.parameters()]
    )


# kwargs, iterations. With lr=0.5 every line search starts (and here ends) at half a
# quasi-Newton step; on this network the two libraries' last-bit differences in the
# gradients then grow about tenfold every few iterations (the steps taken are the same:
# every trial t agrees to 1e-11), so that case is compared over 15 iterations.
LBFGS_CASES: dict[str, tuple[dict[str, Any], int]] = {
    "strong_wolfe": ({"line_search_fn": "strong_wolfe"}, 50),
    "strong_wolfe-lr": ({"line_search_fn": "strong_wolfe", "lr": 0.5}, 15),
    "fixed-steps": ({"line_search_fn": None, "lr": 0.2}, 50),
}


@pytest.mark.filterwarnings("ignore::minitorch_bp.optim.ConvergenceWarning")
@pytest.mark.parametrize("one_call", [True, False], ids=["one-step", "a-step-per-iteration"])
@pytest.mark.parametrize("name", list(LBFGS_CASES))
def test_lbfgs_takes_torchs_steps(name: str, one_call: bool) -> None:
    """L-BFGS on the sigmoid network, the notes' λ inside J: the parameters 1e-8 apart."""
    kwargs, iterations = LBFGS_CASES[name]
    calls = 1 if one_call else iterations
    model, X, Y = _problem()
    tm = to_torch(model)
    crit = nn.BCELoss()
    max_iter = iterations // calls
    ours = optim.LBFGS(model.parameters(), l2=LAM, max_iter=max_iter, history_size=10, **kwargs)
    theirs = torch.optim.LBFGS(tm.parameters(), max_iter=max_iter, history_size=10, **kwargs)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def closure() -> float:
        value = crit(model(X), Y)
        model.backward(crit.backward())
        return value

    def torch_closure() -> Any:
        theirs.zero_grad()
        weights = tm[0].weight.pow(2).sum() + tm[2].weight.pow(2).sum()
        J = _torch_loss(tm, Xt, Yt) + LAM / (2 * M) * weights
        J.backward()
        return J

    for _ in range(calls):
        ours.step(closure, m=M)
        theirs.step(torch_closure)
    assert ours.total_iterations == theirs.state[next(iter(tm.parameters()))]["n_iter"]
    _assert_same(
        [p.data for p in model.parameters()], [p.detach().numpy() for p in tm.parameters()], 1e-8
    )


def test_state_dict_round_trips_with_groups_and_every_state() -> None:
    """Groups, per-parameter step counts and AMSGrad's maxima survive a checkpoint exactly."""
    model, X, Y = _problem()
    ps = model.parameters()
    opt = optim.Adam([{"params": ps[:2], "lr": 0.01}, {"params": ps[2:], "amsgrad": True}], lr=0.05)
    twin = copy.deepcopy(model)
    crit = nn.BCELoss()

    def train(o: optim.Optimizer, net: nn.Sequential, n: int) -> None:
        for _ in range(n):
            o.zero_grad()
            crit(net(X), Y)
            net.backward(crit.backward())
            o.step(m=M)

    train(opt, model, 5)
    twin.load_state_dict(model.state_dict())
    state = opt.state_dict()
    assert [g["lr"] for g in state["param_groups"]] == [0.01, 0.05]
    assert state["param_groups"][1]["params"] == [2, 3]
    ts = twin.parameters()
    fresh = optim.Adam([{"params": ts[:2]}, {"params": ts[2:]}], lr=1.0)
    fresh.load_state_dict(state)
    assert [g["amsgrad"] for g in fresh.param_groups] == [False, True]
    train(opt, model, 4)
    train(fresh, twin, 4)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    with pytest.raises(ValueError, match="the state has 2 parameter groups; this optimizer has 1"):
        optim.Adam(twin.parameters()).load_state_dict(state)
