"""SGD with momentum, Adam and AdamW: first steps against updates written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn, optim

LAM = 2.0


def layer_and_batch() -> tuple[nn.Linear, np.ndarray, np.ndarray]:
    layer = nn.Linear(2, 1, rng=0)
    layer.theta = [[0.5, 1.0, -2.0]]  # bias 0.5, weights (1, -2)
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0], [2.0, -1.0]])
    Y = np.array([[1.0], [0.0], [1.0], [0.0]])
    return layer, X, Y


def D_by_hand(theta: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The notes' D for MSELoss (½(ŷ − y)²): (1/m)(Δ + λΘ), bias column unregularised."""
    m = X.shape[0]
    A = np.hstack([np.ones((m, 1)), X])
    D = (A @ theta.T - Y).T @ A / m
    D[:, 1:] += LAM / m * theta[:, 1:]
    return D


def run(opt: optim.Optimizer, layer: nn.Linear, X: np.ndarray, Y: np.ndarray, n: int) -> None:
    loss = nn.MSELoss()
    for _ in range(n):
        opt.zero_grad()
        loss(layer(X), Y)
        layer.backward(loss.backward())
        opt.step(m=len(X))


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_three_steps_by_hand(nesterov: bool) -> None:
    layer, X, Y = layer_and_batch()
    lr, mu = 0.1, 0.9
    opt = optim.SGD(layer.parameters(), lr=lr, l2=LAM, momentum=mu, nesterov=nesterov)
    theta, v = layer.theta.copy(), np.zeros((1, 3))
    for _ in range(3):
        run(opt, layer, X, Y, 1)
        D = D_by_hand(theta, X, Y)
        v = mu * v + D
        theta = theta - lr * (D + mu * v if nesterov else v)
        np.testing.assert_allclose(layer.theta, theta, rtol=1e-13, atol=1e-15)


def test_momentum_bias_unregularised() -> None:
    layer = nn.Linear(1, 1, rng=0)
    layer.theta = [[1.0, 1.0]]
    opt = optim.SGD(layer.parameters(), lr=1.0, l2=10.0, momentum=0.5)
    for expected in ([[1.0, -9.0]], [[1.0, 1.0 - 10 - (0.5 * 10 + 10 * -9.0)]]):
        opt.zero_grad()
        layer(np.array([[0.0]]))
        layer.backward(np.array([[0.0]]))  # zero data gradient: D = λW for the weight only
        opt.step(m=1)
        np.testing.assert_allclose(layer.theta, expected)


def test_momentum_zero_keeps_the_plain_path() -> None:
    a, X, Y = layer_and_batch()
    b, _, _ = layer_and_batch()
    run(optim.SGD(a.parameters(), lr=0.3, l2=LAM), a, X, Y, 3)
    run(optim.SGD(b.parameters(), lr=0.3, l2=LAM, momentum=0.0), b, X, Y, 3)
    np.testing.assert_array_equal(a.theta, b.theta)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_three_steps_by_hand(decoupled: bool) -> None:
    layer, X, Y = layer_and_batch()
    lr, (b1, b2), eps, wd = 0.05, (0.8, 0.95), 1e-6, 0.3
    cls = optim.AdamW if decoupled else optim.Adam
    opt = cls(layer.parameters(), lr=lr, betas=(b1, b2), eps=eps, l2=LAM, weight_decay=wd)
    theta, m1, m2 = layer.theta.copy(), np.zeros((1, 3)), np.zeros((1, 3))
    mask = np.array([[0.0, 1.0, 1.0]])  # weight decay on weights only
    for t in range(1, 4):
        run(opt, layer, X, Y, 1)
        g = D_by_hand(theta, X, Y)
        if decoupled:
            theta = theta - lr * wd * mask * theta
        else:
            g = g + wd * mask * theta
        m1 = b1 * m1 + (1 - b1) * g
        m2 = b2 * m2 + (1 - b2) * g * g
        m_hat, v_hat = m1 / (1 - b1**t), m2 / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(layer.theta, theta, rtol=1e-12, atol=1e-14)


def test_a_float32_parameter_alongside_leaves_the_float64_ones_unchanged() -> None:
    a32 = nn.Linear(2, 1, dtype=np.float32, rng=0)
    _, X, Y = layer_and_batch()
    for opt_cls in (optim.Adam, optim.SGD):
        kw = {"momentum": 0.9} if opt_cls is optim.SGD else {}
        layer, _, _ = layer_and_batch()
        twin, _, _ = layer_and_batch()
        mixed = opt_cls([*layer.parameters(), a32.weight], lr=0.1, l2=LAM, **kw)
        run(mixed, layer, X, Y, 3)
        run(opt_cls(twin.parameters(), lr=0.1, l2=LAM, **kw), twin, X, Y, 3)
        np.testing.assert_allclose(layer.theta, twin.theta, rtol=1e-13)
        assert a32.weight.dtype == np.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.5, l2=1.0, momentum=0.9),
        lambda ps: optim.SGD(ps, lr=0.5, l2=1.0, momentum=0.9, nesterov=True),
        lambda ps: optim.Adam(ps, lr=0.05, l2=1.0),
        lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    ],
)
def test_float32_stays_float32(make: object) -> None:
    model = nn.Sequential(nn.Linear(3, 2, dtype=np.float32, rng=0), nn.Sigmoid())
    opt = make(model.parameters())  # type: ignore[operator]
    loss = nn.BCELoss()
    for _ in range(2):
        opt.zero_grad()
        loss(model(np.ones((4, 3), dtype=np.float32)), np.ones((4, 2)))
        model.backward(loss.backward())
        opt.step(m=4)
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert all(np.all(np.isfinite(p.data)) for p in model.parameters())


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda ps: optim.SGD(ps, lr=0.0), "lr=0.0"),
        (lambda ps: optim.SGD(ps, lr=-1.0), "lr=-1.0"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), "momentum=-0.5"),
        (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), "nesterov=True needs momentum"),
        (lambda ps: optim.Adam(ps, lr=0.0), "lr=0.0"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.9)), r"betas\[0\]=1.0"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), r"betas\[1\]=-0.1"),
        (lambda ps: optim.Adam(ps, betas=(0.9,)), "two numbers"),
        (lambda ps: optim.Adam(ps, eps=-1.0), "eps=-1.0"),
        (lambda ps: optim.AdamW(ps, weight_decay=-1.0), "weight_decay=-1.0"),
        (lambda ps: optim.Adam(ps, l2=-1.0), "l2=-1.0"),
    ],
)
def test_bad_arguments(call: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call(nn.Linear(2, 1, rng=0).parameters())  # type: ignore[operator]
