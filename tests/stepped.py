"""A small network and an optimizer that has taken two steps on it, for state tests."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from minitorch_bp import nn, optim


def take_steps(model: nn.Module, opt: optim.Optimizer, steps: int) -> None:
    """``steps`` steps of ``opt`` on four fixed rows (BCE), with a closure when it needs one."""
    loss = nn.BCELoss()
    X, Y = np.linspace(-1, 1, 12).reshape(4, 3), np.eye(2)[[0, 1, 1, 0]]

    def closure() -> float:
        value = float(loss(model(X), Y))
        model.backward(loss.backward())
        return value

    for _ in range(steps):
        opt.zero_grad()
        with warnings.catch_warnings():  # a full-batch step may stop on its limit: on purpose
            warnings.simplefilter("ignore", optim.ConvergenceWarning)
            if opt.requires_closure:
                opt.step(closure)
            else:
                closure()
                opt.step()


def stepped(factory: Callable[[Any], optim.Optimizer]) -> tuple[nn.Sequential, optim.Optimizer]:
    """``(model, opt)`` after two steps of ``factory(model.parameters())``."""
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sigmoid())
    opt = factory(model.parameters())
    take_steps(model, opt, 2)
    return model, opt
