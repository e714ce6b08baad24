"""SGD applies the notes' D = (1/m)(Δ + λΘ), bias column unregularised."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn, optim


def test_step_against_D_written_out_by_hand() -> None:
    layer = nn.Linear(2, 2, rng=0)
    theta = np.array([[0.5, 1.0, -2.0], [-1.0, 0.25, 3.0]])
    layer.theta = theta
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    lr, lam, m = 0.3, 2.0, 3
    opt = optim.SGD(layer.parameters(), lr=lr, l2=lam)
    loss = nn.MSELoss()
    opt.zero_grad()
    loss(layer(X), Y)
    layer.backward(loss.backward())
    opt.step(m=m)

    A = np.hstack([np.ones((m, 1)), X])  # a^(1) with the bias unit
    delta = A @ theta.T - Y  # δ for ½(ŷ − y)², per example
    Delta = delta.T @ A  # Σ_t δ^(t) (a^(t))ᵀ
    D = Delta / m
    D[:, 1:] += lam / m * theta[:, 1:]  # j ≠ 0 only
    np.testing.assert_allclose(layer.theta, theta - lr * D, rtol=1e-14, atol=1e-15)


def test_bias_is_not_regularised_and_lambda_zero_is_plain_descent() -> None:
    layer = nn.Linear(1, 1, rng=0)
    layer.theta = [[1.0, 1.0]]
    opt = optim.SGD(layer.parameters(), lr=1.0, l2=10.0)
    opt.zero_grad()
    layer(np.array([[0.0]]))
    layer.backward(np.array([[0.0]]))  # zero data gradient, m = 1
    opt.step(m=1)
    np.testing.assert_allclose(layer.theta, [[1.0, 1.0 - 10.0]])

    layer.bias.regularized = True  # the one flag: now the bias decays too
    opt = optim.SGD(layer.parameters(), lr=1.0, l2=10.0)
    layer.theta = [[1.0, 1.0]]
    opt.zero_grad()
    layer(np.array([[0.0]]))
    layer.backward(np.array([[0.0]]))
    opt.step(m=1)
    np.testing.assert_allclose(layer.theta, [[-9.0, -9.0]])


def test_m_is_the_batch_behind_the_gradient() -> None:
    layer = nn.Linear(1, 1, bias=False, rng=0)
    layer.weight.data = [[2.0]]
    opt = optim.SGD(layer.parameters(), lr=0.5, l2=4.0)
    opt.zero_grad()
    layer(np.zeros((8, 1)))
    layer.backward(np.zeros((8, 1)))
    opt.step(m=8)  # D = (λ/m)W = 0.5·2 = 1; W − 0.5·1
    assert layer.weight.data[0, 0] == pytest.approx(1.5, rel=1e-15)


def test_float32_parameters_stay_float32() -> None:
    model = nn.Sequential(nn.Linear(3, 2, dtype=np.float32, rng=0), nn.Sigmoid())
    opt = optim.SGD(model.parameters(), lr=0.1, l2=1.0)
    loss = nn.BCELoss()
    x = np.ones((4, 3), dtype=np.float32)
    loss(model(x), np.ones((4, 2)))
    model.backward(loss.backward())
    opt.step(m=4)
    assert all(p.data.dtype == np.float32 for p in model.parameters())


def test_training_reduces_the_cost() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = (X[:, :1] + X[:, 1:2] > 0).astype(float)
    model = nn.Sequential(
        nn.Linear(3, 4, rng=1), nn.Sigmoid(), nn.Linear(4, 1, rng=2), nn.Sigmoid()
    )
    opt = optim.SGD(model.parameters(), lr=2.0, l2=0.1)
    loss = nn.BCELoss()
    costs = []
    for _ in range(200):
        costs.append(loss(model(X), Y) + nn.l2_penalty(model, 0.1, 40))
        opt.zero_grad()
        model.backward(loss.backward())
        opt.step(m=40)
    assert costs[-1] < 0.5 * costs[0]
    assert all(b <= a + 1e-12 for a, b in zip(costs, costs[1:]))  # full batch, small λ


def test_mixed_dtypes_step_each_parameter_in_its_own_dtype() -> None:
    a = nn.Linear(3, 2, rng=0)
    b = nn.Linear(3, 2, dtype=np.float32, rng=0)
    params = [a.weight, b.weight]
    opt = optim.SGD(params, lr=0.5)
    a.weight.grad = np.ones((2, 3))
    b.weight.grad = np.ones((2, 3))
    w0, v0 = a.weight.data.copy(), b.weight.data.copy()
    opt.step()
    np.testing.assert_allclose(a.weight.data, w0 - 0.5)
    assert b.weight.dtype == np.float32
    np.testing.assert_allclose(b.weight.data, v0 - 0.5, rtol=1e-7)


def test_an_optimizer_built_before_the_model_updates_the_model() -> None:
    layers = [nn.Linear(2, 2, rng=0), nn.Linear(2, 1, rng=1)]
    opt = optim.SGD([p for layer in layers for p in layer.parameters()], lr=0.1)
    model = nn.Sequential(layers[0], nn.Sigmoid(), layers[1])  # moves no parameter
    loss = nn.MSELoss()
    loss(model(np.ones((2, 2))), np.zeros((2, 1)))
    model.backward(loss.backward())
    before = [p.data.copy() for p in model.parameters()]
    grads = [p.grad.copy() for p in model.parameters()]
    opt.step()  # updates the arrays the model uses
    for p, w, g in zip(model.parameters(), before, grads):
        np.testing.assert_allclose(p.data, w - 0.1 * g)
    opt.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 0.0}, r"lr=0.0 must be a finite number > 0"),
        ({"lr": -1}, r"lr=-1"),
        ({"lr": 0.1, "l2": -1.0}, r"l2=-1.0 must be a finite number >= 0"),
        ({"lr": "x"}, r"lr='x' must be a finite number > 0"),
        ({"lr": True}, r"lr=True must be a finite number > 0"),
        ({"lr": "0.1"}, r"lr='0.1' must be a finite number > 0"),
    ],
)
def test_bad_hyper_parameters(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        optim.SGD(nn.Linear(1, 1).parameters(), **kwargs)  # type: ignore[arg-type]


def test_empty_parameter_list() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


def test_state_dict_round_trip() -> None:
    opt = optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1, l2=2.0)
    other = optim.SGD(nn.Linear(1, 1).parameters(), lr=0.5)
    other.load_state_dict(opt.state_dict())
    assert (other.lr, other.l2) == (0.1, 2.0)


def test_l2_penalty_counts_weights_only() -> None:
    model = nn.Sequential(nn.Linear(2, 1, rng=0), nn.Sigmoid(), nn.Linear(1, 1, rng=0))
    model[0].theta = [[9.0, 1.0, 2.0]]
    model[2].theta = [[9.0, 3.0]]
    assert nn.l2_penalty(model, l2=2.0, m=4) == pytest.approx(2.0 / 8 * (1 + 4 + 9), rel=1e-15)
    with pytest.raises(ValueError, match="m=0"):
        nn.l2_penalty(model, 1.0, 0)


def test_step_with_l2_needs_m_and_names_it() -> None:
    layer = nn.Linear(2, 1, rng=0)
    opt = optim.SGD(layer.parameters(), lr=0.1, l2=1.0)
    with pytest.raises(ValueError, match=r"l2=1.0 needs m.*opt.step\(m=len\(X\)\)"):
        opt.step()
    for bad in (0, -3, -2.5, 0.0, float("nan"), True, "4"):
        with pytest.raises(ValueError, match=f"m={bad!r} must be a positive integer"):
            opt.step(m=bad)  # type: ignore[arg-type]
    opt.step(m=np.int64(4))  # numpy integers are integers
    opt.step(m=2.5)  # a total sample weight (scikit-learn's sw_sum) need not be whole


def test_step_with_closure_returns_its_value() -> None:
    layer = nn.Linear(1, 1, rng=0)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    loss = nn.MSELoss()

    def closure() -> float:
        opt.zero_grad()
        value = loss(layer(np.ones((2, 1))), np.zeros((2, 1)))
        layer.backward(loss.backward())
        return value

    w0 = layer.weight.data.copy()
    expected = 0.5 * (w0[0, 0] + layer.bias.data[0]) ** 2
    assert opt.step(closure) == pytest.approx(expected, rel=1e-15)
    assert not np.array_equal(layer.weight.data, w0)


def test_linear_config_rebuilds_the_layer() -> None:
    layer = nn.Linear(3, 2, bias=False, dtype=np.float32)
    clone = nn.Linear(**layer.config())
    assert clone.config() == {
        "in_features": 3,
        "out_features": 2,
        "bias": False,
        "dtype": "float32",
    }
    assert nn.Sigmoid().config() == {}
