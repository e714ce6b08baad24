"""L-BFGS and conjugate gradients: quadratics, Rosenbrock, the notes' λ, the line search."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.optim.line_search import cubic_minimizer, strong_wolfe

FULL = [optim.LBFGS, optim.ConjugateGradient]

# These tests set limits or tolerances that stop a step on its limit on purpose; the
# warning itself is checked in test_convergence_warning.py.
pytestmark = pytest.mark.filterwarnings("ignore::minitorch_bp.optim.ConvergenceWarning")


def quadratic(p: nn.Parameter, A: np.ndarray, b: np.ndarray) -> Callable[[], float]:
    """J = ½ΘᵀAΘ − bᵀΘ with the gradient set directly."""

    def closure() -> float:
        x = p.data.astype(np.float64)
        p.grad = A @ x - b
        return float(0.5 * x @ A @ x - b @ x)

    return closure


def rosenbrock(p: nn.Parameter) -> Callable[[], float]:
    def closure() -> float:
        x, y = p.data
        p.grad = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
        return float((1 - x) ** 2 + 100 * (y - x * x) ** 2)

    return closure


@pytest.mark.parametrize("cls", FULL)
def test_convex_quadratic_reaches_the_known_minimiser(cls: type) -> None:
    rng = np.random.default_rng(0)
    M = rng.normal(size=(6, 6))
    A = M @ M.T + 6 * np.eye(6)
    b = rng.normal(size=6)
    p = nn.Parameter(np.zeros(6))
    opt = cls([p], max_iter=100, tolerance_grad=1e-11, tolerance_change=0.0)
    J = opt.step(quadratic(p, A, b))
    x_star = np.linalg.solve(A, b)
    np.testing.assert_allclose(p.data, x_star, atol=1e-8)
    assert J == pytest.approx(-0.5 * b @ x_star, rel=1e-12)
    assert opt.objective == J
    assert 1 <= opt.iterations <= 100 and opt.evaluations >= opt.iterations


@pytest.mark.parametrize("cls", FULL)
def test_rosenbrock_reaches_one_one(cls: type) -> None:
    p = nn.Parameter(np.array([-1.2, 1.0]))
    opt = cls([p], max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15)
    if cls is optim.LBFGS:
        opt.max_eval = 2000
    J = opt.step(rosenbrock(p))
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-5)
    assert J < 1e-10


@pytest.mark.parametrize("cls", FULL)
def test_the_optimizer_adds_the_notes_lambda_term(cls: type) -> None:
    """Least squares through a Linear layer: the minimiser of J + λ/(2m)‖W‖² in closed form."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(20, 1))
    layer = nn.Linear(3, 1, rng=0)
    loss = nn.MSELoss()  # ½(ŷ − y)² / m

    def closure() -> float:
        value = loss(layer(X), Y)
        layer.backward(loss.backward())
        return value

    lam, m = 5.0, 20
    opt = cls(layer.parameters(), l2=lam, max_iter=200, tolerance_change=0.0)
    J = opt.step(closure, m=m)
    A = np.hstack([np.ones((m, 1)), X])
    R = lam * np.diag([0.0, 1.0, 1.0, 1.0])  # the bias column is not regularised
    theta = np.linalg.solve(A.T @ A + R, A.T @ Y).T
    np.testing.assert_allclose(layer.theta, theta, atol=1e-7)
    expected = loss(layer(X), Y) + nn.l2_penalty(layer, lam, m)
    assert J == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("cls", FULL)
def test_float32_parameters_stay_float32(cls: type) -> None:
    A = np.diag([1.0, 4.0, 9.0])
    b = np.ones(3)
    p = nn.Parameter(np.zeros(3, dtype=np.float32))
    opt = cls([p], max_iter=50, tolerance_grad=1e-5, tolerance_change=0.0)
    opt.step(quadratic(p, A, b))
    assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    np.testing.assert_allclose(p.data, [1.0, 0.25, 1 / 9], rtol=1e-4)


@pytest.mark.parametrize("cls", FULL)
def test_state_carries_over_and_resumes_exactly(cls: type) -> None:
    p = nn.Parameter(np.array([-1.2, 1.0]))
    opt = cls([p], max_iter=2)
    for _ in range(3):
        opt.step(rosenbrock(p))
    state = opt.state_dict()
    saved = p.data.copy()
    for _ in range(2):
        opt.step(rosenbrock(p))
    q = nn.Parameter(saved)
    fresh = cls([q])
    fresh.load_state_dict(state)
    for _ in range(2):
        fresh.step(rosenbrock(q))
    np.testing.assert_array_equal(q.data, p.data)
    assert fresh.total_iterations == opt.total_iterations >= 5
    assert fresh.total_evaluations == opt.total_evaluations


@pytest.mark.parametrize("cls", FULL)
def test_closure_is_required_and_args_checked(cls: type) -> None:
    p = nn.Parameter(np.zeros(2))
    assert cls.requires_closure
    with pytest.raises(ValueError, match="needs a closure"):
        cls([p]).step()
    with pytest.raises(ValueError, match="max_iter=0"):
        cls([p], max_iter=0)
    with pytest.raises(ValueError, match="tolerance_grad=-1"):
        cls([p], tolerance_grad=-1)
    with pytest.raises(ValueError, match="l2=-1"):
        cls([p], l2=-1)


def test_lbfgs_args() -> None:
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="history_size=0"):
        optim.LBFGS([p], history_size=0)
    with pytest.raises(ValueError, match="line_search='armijo'"):
        optim.LBFGS([p], line_search="armijo")
    with pytest.raises(ValueError, match="line_search_fn='armijo'"):
        optim.LBFGS([p], line_search_fn="armijo")


def test_lbfgs_without_line_search_takes_unit_steps_on_a_quadratic() -> None:
    A = np.diag([1.0, 2.0])
    b = np.array([1.0, 1.0])
    p = nn.Parameter(np.zeros(2))
    opt = optim.LBFGS([p], max_iter=30, line_search=None, tolerance_change=0.0)
    opt.step(quadratic(p, A, b))
    np.testing.assert_allclose(p.data, [1.0, 0.5], atol=1e-8)


def test_strong_wolfe_conditions_hold() -> None:
    f = lambda x: float(np.sum(x**4) + x[0] * x[1])  # noqa: E731
    grad = lambda x: 4 * x**3 + np.array([x[1], x[0]])  # noqa: E731
    x0 = np.array([1.5, -0.5])
    g0 = grad(x0)
    d = -g0

    def evaluate(t: float) -> tuple[float, np.ndarray]:
        return f(x0 + t * d), grad(x0 + t * d)

    for t0, c2 in [(1.0, 0.9), (1e-4, 0.1), (10.0, 0.1)]:
        r = strong_wolfe(evaluate, f(x0), g0, d, t0, c2=c2)
        assert r.f <= f(x0) + 1e-4 * r.t * (g0 @ d)
        assert abs(r.g @ d) <= c2 * abs(g0 @ d)
        assert r.f == f(x0 + r.t * d)


def test_line_search_rejects_ascent_and_bad_constants() -> None:
    ev = lambda t: (t, np.array([1.0]))  # noqa: E731
    with pytest.raises(ValueError, match="not a descent direction"):
        strong_wolfe(ev, 0.0, np.array([1.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="0 < c1 < c2 < 1"):
        strong_wolfe(ev, 0.0, np.array([-1.0]), np.array([1.0]), c1=0.5, c2=0.1)


def test_cubic_minimizer() -> None:
    # f = t³ − 3t: minimum at t = 1; exact from two points with slopes.
    f = lambda t: t**3 - 3 * t  # noqa: E731
    g = lambda t: 3 * t**2 - 3  # noqa: E731
    assert cubic_minimizer(0.0, f(0.0), g(0.0), 2.0, f(2.0), g(2.0), 0.0, 2.0) == pytest.approx(1)
    assert cubic_minimizer(2.0, f(2.0), g(2.0), 0.0, f(0.0), g(0.0), 0.0, 2.0) == pytest.approx(1)
    assert cubic_minimizer(0.0, f(0.0), g(0.0), 2.0, f(2.0), g(2.0), 1.5, 2.0) == 1.5  # clipped
