"""Checkpoints resume exactly: N steps, state_dict, a fresh optimizer, M more steps."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import numpy as np
import pytest

from minitorch_bp import nn, optim

MAKERS: dict[str, Callable[[list[nn.Parameter]], optim.Optimizer]] = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.5, l2=1.0),
    "momentum": lambda ps: optim.SGD(ps, lr=0.5, l2=1.0, momentum=0.9),
    "nesterov": lambda ps: optim.SGD(ps, lr=0.5, l2=1.0, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.05, l2=1.0),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    "lbfgs": lambda ps: optim.LBFGS(ps, l2=1.0, max_iter=2),
    "cg": lambda ps: optim.ConjugateGradient(ps, l2=1.0, max_iter=2),
}


# L-BFGS and CG run two iterations per step here: each ends on its limit, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::minitorch_bp.optim.ConvergenceWarning")


def problem(dtype: type = np.float64) -> tuple[nn.Sequential, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4)).astype(dtype)
    Y = (X[:, :2] > 0).astype(dtype)
    model = nn.Sequential(
        nn.Linear(4, 5, dtype=dtype, rng=1), nn.Sigmoid(), nn.Linear(5, 2, dtype=dtype, rng=2)
    )
    return model, X, Y


def train(opt: optim.Optimizer, model: nn.Sequential, X: np.ndarray, Y: np.ndarray, n: int) -> None:
    loss = nn.BCEWithLogitsLoss()

    def closure() -> float:
        opt.zero_grad()
        value = loss(model(X), Y)
        model.backward(loss.backward())
        return value

    for _ in range(n):
        if opt.requires_closure:
            opt.step(closure, m=len(X))
        else:
            closure()
            opt.step(m=len(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(MAKERS))
def test_resume_is_bit_identical(name: str, dtype: type) -> None:
    make = MAKERS[name]
    model, X, Y = problem(dtype)
    twin = copy.deepcopy(model)
    opt = make(model.parameters())
    train(opt, model, X, Y, 4)
    state = json.loads(json.dumps(opt.state_dict(), default=lambda a: a.tolist()))
    arrays_state = opt.state_dict()
    resumed = copy.deepcopy(model)
    train(opt, model, X, Y, 3)

    fresh = make(resumed.parameters())
    fresh.load_state_dict(arrays_state)
    train(fresh, resumed, X, Y, 3)
    for p, q in zip(model.parameters(), resumed.parameters()):
        assert q.data.dtype == dtype
        np.testing.assert_array_equal(p.data, q.data)
    # The state is JSON-able once arrays become lists, and loads from that form as well.
    other = make(twin.parameters())
    other.load_state_dict(state)
    assert other.state_dict().keys() == arrays_state.keys()


def test_state_dict_arrays_are_copies_and_shapes_checked() -> None:
    model, X, Y = problem()
    opt = optim.Adam(model.parameters(), lr=0.1)
    train(opt, model, X, Y, 2)
    state = opt.state_dict()
    state["exp_avg"][0][...] = 123.0
    assert not np.any(opt.state_dict()["exp_avg"][0] == 123.0)
    state["exp_avg"] = state["exp_avg"][:-1]
    with pytest.raises(ValueError, match="'exp_avg' has 3 arrays; expected 4"):
        opt.load_state_dict(state)
    with pytest.raises(ValueError, match="state is for SGD"):
        opt.load_state_dict(optim.SGD(model.parameters(), lr=1.0).state_dict())
