"""Optimizer.load_state_dict is all or nothing: a refused state leaves the optimizer as it was."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim


def _trained(opt_factory: Any) -> tuple[nn.Sequential, optim.Optimizer]:
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sigmoid())
    opt = opt_factory(model.parameters())
    loss = nn.BCELoss()
    for _ in range(2):
        opt.zero_grad()
        loss(model(np.ones((4, 3))), np.zeros((4, 2)))
        model.backward(loss.backward())
        opt.step()
    return model, opt


FACTORIES = {
    "momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: optim.Adam(p, lr=0.01),
}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return bool(a == b)


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize(
    "corrupt",
    [
        lambda s: {**s, "lr": -1.0},
        lambda s: {
            **s,
            **{k: [np.array(["x", "y"])] * len(v) for k, v in s.items() if isinstance(v, list)},
        },
        lambda s: {**s, **{k: v[:1] for k, v in s.items() if isinstance(v, list)}},
    ],
    ids=["bad-lr", "text-arrays", "too-few-arrays"],
)
def test_refused_state_leaves_the_optimizer_unchanged(name: str, corrupt: Any) -> None:
    _, opt = _trained(FACTORIES[name])
    before = opt.state_dict()
    bad = corrupt(opt.state_dict())
    with pytest.raises(ValueError, match=f"{type(opt).__name__}"):
        opt.load_state_dict(bad)
    assert _same(opt.state_dict(), before)


def test_state_that_is_not_a_dict() -> None:
    _, opt = _trained(FACTORIES["adam"])
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: state is list, not a dict"):
        opt.load_state_dict([1, 2])  # type: ignore[arg-type]
