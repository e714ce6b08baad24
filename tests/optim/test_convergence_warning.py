"""L-BFGS and CG say when a step ends on its limit instead of a tolerance (ConvergenceWarning)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from minitorch_bp import nn, optim


def _rosenbrock(p: nn.Parameter):  # type: ignore[no-untyped-def]
    def closure() -> float:
        x, y = p.data
        p.grad = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
        return float((1 - x) ** 2 + 100 * (y - x * x) ** 2)

    return closure


@pytest.mark.parametrize("cls", [optim.LBFGS, optim.ConjugateGradient])
def test_a_step_ended_by_max_iter_warns(cls: type) -> None:
    p = nn.Parameter(np.array([-1.2, 1.0]))
    opt = cls([p], max_iter=3)
    if cls is optim.LBFGS:
        opt.max_eval = 100  # the default, max_iter·5//4 = 3, would end it first
    with pytest.warns(optim.ConvergenceWarning, match=r"stopped on its limit max_iter=3 before"):
        opt.step(_rosenbrock(p))
    assert opt.converged is False and opt.iterations == 3


def test_lbfgs_warns_on_max_eval_too() -> None:
    p = nn.Parameter(np.array([-1.2, 1.0]))
    opt = optim.LBFGS([p], max_iter=100, max_eval=4)
    with pytest.warns(optim.ConvergenceWarning, match="limit max_eval=4"):
        opt.step(_rosenbrock(p))


@pytest.mark.parametrize("cls", [optim.LBFGS, optim.ConjugateGradient])
def test_a_converged_step_does_not_warn(cls: type) -> None:
    p = nn.Parameter(np.array([-1.2, 1.0]))
    opt = cls([p], max_iter=500)
    if cls is optim.LBFGS:
        opt.max_eval = 2000
    with warnings.catch_warnings():
        warnings.simplefilter("error", optim.ConvergenceWarning)
        opt.step(_rosenbrock(p))
    assert opt.converged is True
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-5)


def test_it_is_a_user_warning_that_can_be_silenced() -> None:
    assert issubclass(optim.ConvergenceWarning, UserWarning)
    p = nn.Parameter(np.array([-1.2, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", optim.ConvergenceWarning)
        optim.LBFGS([p], max_iter=2).step(_rosenbrock(p))
