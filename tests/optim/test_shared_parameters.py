"""Weight tying: a parameter given twice to an optimizer is one parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim

Array = Any


def _tied() -> tuple[nn.Sequential, nn.Sequential]:
    shared = nn.Linear(3, 3, rng=0)
    A = nn.Sequential(shared, nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid())
    B = nn.Sequential(shared, nn.Tanh(), nn.Linear(3, 1, rng=2), nn.Sigmoid())
    return A, B


def _train(
    make: Callable[[list[nn.Parameter]], optim.Optimizer], duplicate: bool, steps: int = 5
) -> list[Array]:
    A, B = _tied()
    params = A.parameters() + B.parameters()
    if not duplicate:
        unique: list[nn.Parameter] = []
        for p in params:
            if all(p is not q for q in unique):
                unique.append(p)
        params = unique
    opt = make(params)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(4, 3)), rng.integers(0, 2, size=(4, 1)).astype(float)
    crit = nn.BCELoss()
    for _ in range(steps):
        opt.zero_grad()
        for model in (A, B):
            crit(model(X), Y)
            model.backward(crit.backward())
        opt.step()
    return [p.data.copy() for p in A.parameters() + B.parameters()[2:]]


OPTIMIZERS: dict[str, Callable[[list[nn.Parameter]], optim.Optimizer]] = {
    "momentum": lambda ps: optim.SGD(ps, lr=0.5, momentum=0.9),
    "nesterov": lambda ps: optim.SGD(ps, lr=0.5, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.05),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.05),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_parameter_given_twice_warns_and_moves_once(name: str) -> None:
    make = OPTIMIZERS[name]
    expected = _train(make, duplicate=False)
    with pytest.warns(UserWarning, match="more than once"):
        got = _train(make, duplicate=True)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)
    start = _train(make, duplicate=False, steps=0)
    assert all(not np.array_equal(e, s) for e, s in zip(expected, start))
