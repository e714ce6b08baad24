"""Sequential: the δ chain of the notes, checked against the notes' own examples."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn, reference


def _study_sleep() -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]])
    y = np.array([[75.0], [82.0], [93.0]])
    return X / X.max(axis=0), y / 100


def test_notes_regression_example_gradients() -> None:
    """The notes' 2-3-1 network with J = ½Σ(y − ŷ)²: ∂J/∂Θ^(2) = (a^(2))ᵀδ^(3), ∂J/∂Θ^(1) = Xᵀδ^(2)."""
    X, y = _study_sleep()
    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(2, 3)), rng.normal(size=(3, 1))  # the notes' (in, out) layout
    model = nn.Sequential(
        nn.Linear(2, 3, bias=False), nn.Sigmoid(), nn.Linear(3, 1, bias=False), nn.Sigmoid()
    )
    model[0].weight.data = W1.T  # our weight is (out, in)
    model[2].weight.data = W2.T
    loss = nn.MSELoss(reduction="sum")
    J = loss(model(X), y)
    model.backward(loss.backward())

    # the notes' formulas, written out here
    a2 = 1 / (1 + np.exp(-(X @ W1)))
    y_hat = 1 / (1 + np.exp(-(a2 @ W2)))
    delta3 = -(y - y_hat) * y_hat * (1 - y_hat)
    delta2 = (delta3 @ W2.T) * a2 * (1 - a2)
    assert J == pytest.approx(0.5 * np.sum((y - y_hat) ** 2), rel=1e-14)
    np.testing.assert_allclose(model[2].weight.grad, (a2.T @ delta3).T, rtol=1e-12)
    np.testing.assert_allclose(model[0].weight.grad, (X.T @ delta2).T, rtol=1e-12)
    np.testing.assert_allclose(model.deltas[3], delta3, rtol=1e-12)
    np.testing.assert_allclose(model.deltas[2], delta2, rtol=1e-12)

    J_ref, dW1, dW2 = reference.regression_gradients(W1, W2, X, y)
    assert J == pytest.approx(J_ref, rel=1e-14)
    np.testing.assert_allclose(model[0].weight.grad, dW1.T, rtol=1e-12)
    np.testing.assert_allclose(model[2].weight.grad, dW2.T, rtol=1e-12)


def _course_net(sizes: list[int], seed: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(n_in, n_out, rng=seed + i), nn.Sigmoid()]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("sizes", [[3, 5, 3], [4, 6, 5, 3], [8, 2, 4]])
@pytest.mark.parametrize("lam", [0.0, 1.0, 3.0])
def test_layers_equal_the_notes_per_example_algorithm(sizes: list[int], lam: float) -> None:
    """Vectorised J and D equal reference.backprop_loop (steps 1–5, Δ, D) to 1e-12."""
    rng = np.random.default_rng(sum(sizes))
    m = 7
    X = rng.normal(size=(m, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    model = _course_net(sizes, seed=len(sizes))
    thetas = [layer.theta for layer in model if isinstance(layer, nn.Linear)]
    J_ref, D_ref = reference.backprop_loop(thetas, X, Y, lam)

    criterion = nn.BCELoss()
    model.zero_grad()
    J = criterion(model(X), Y) + nn.l2_penalty(model, lam, m)
    model.backward(criterion.backward())
    assert abs(J - J_ref) / abs(J_ref) < 1e-12
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for layer, D_l in zip(linears, D_ref):
        D = np.hstack(
            [nn.l2_gradient(layer.bias, lam, m)[:, None], nn.l2_gradient(layer.weight, lam, m)]
        )
        assert np.linalg.norm(D - D_l) / np.linalg.norm(D_l) < 1e-12


def test_deltas_follow_the_notes_recursion() -> None:
    """δ^(L) = (a^(L) − y)/m and δ^(l) = (Θ^(l))ᵀδ^(l+1) ⊙ a^(l)(1 − a^(l)) without the bias row."""
    rng = np.random.default_rng(1)
    model = _course_net([4, 5, 6, 3], seed=0)
    X, Y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, 6)]
    loss = nn.BCELoss()
    out = model(X)
    loss(out, Y)
    model.backward(loss.backward())
    assert sorted(model.deltas) == [2, 3, 4]
    np.testing.assert_allclose(model.deltas[4] * 6, out - Y, rtol=1e-14)
    a = {2: model[1](model[0](X)), 3: model[3](model[2](model[1](model[0](X))))}
    for l in (3, 2):
        theta = model[2 * (l - 1)].theta  # Θ^(l) feeds z^(l+1)
        back = model.deltas[l + 1] @ theta  # rows are examples: (Θᵀδ)ᵀ = δᵀΘ
        expected = back[:, 1:] * a[l] * (1 - a[l])
        np.testing.assert_allclose(model.deltas[l], expected, rtol=1e-12)


def test_the_top_of_a_model_returns_nothing_unless_asked_for_the_input_gradient() -> None:
    """Like loss.backward() in PyTorch: the product for ∂J/∂X runs only with input_grad=True."""
    rng = np.random.default_rng(2)
    model = _course_net([4, 5, 3], seed=0)
    X, Y = rng.normal(size=(5, 4)), np.eye(3)[rng.integers(0, 3, 5)]
    loss = nn.BCELoss()
    loss(model(X), Y)
    dX = model.backward(loss.backward(), input_grad=True)
    grads = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    loss(model(X), Y)
    assert model.backward(loss.backward()) is None
    model.zero_grad()
    loss(model(X), Y)
    assert model.backward(loss.backward(), input_grad=False) is None
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_array_equal(p.grad, g)
    assert dX.shape == X.shape


def test_output_and_input_gradient_are_owned_by_the_caller() -> None:
    model = _course_net([2, 3, 1], seed=0)
    x1, x2 = np.zeros((2, 2)), np.ones((2, 2))
    out1 = model(x1)
    saved = out1.copy()
    model(x2)
    np.testing.assert_array_equal(out1, saved)


def test_container_protocol_and_errors() -> None:
    layers = [nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[1] is layers[1] and list(model) == layers
    assert isinstance(model[:2], nn.Sequential) and len(model[:2]) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(ValueError, match=r"layer 2: Linear.*in_features=4.*3 columns"):
        nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(4, 1, rng=0))(np.ones((1, 2)))
    s = nn.Sigmoid()
    with pytest.raises(ValueError, match="the same Sigmoid object is at '0' and '1'"):
        nn.Sequential(s, s)
    with pytest.raises(TypeError, match="argument 0 is int"):
        nn.Sequential(3)  # type: ignore[arg-type]


def test_state_dict_round_trip_and_strict_loading() -> None:
    a, b = _course_net([3, 4, 2], seed=0), _course_net([3, 4, 2], seed=9)
    b.load_state_dict(a.state_dict())
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    before = b.state_dict()
    bad = dict(a.state_dict())
    bad["2.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"'2.weight' has shape \(3, 3\).*\(2, 4\)"):
        b.load_state_dict(bad)
    for k, v in before.items():  # nothing was written
        np.testing.assert_array_equal(b.state_dict()[k], v)
    with pytest.raises(ValueError, match=r"missing keys \['2.bias'\].*unexpected keys \['x'\]"):
        b.load_state_dict({**{k: v for k, v in before.items() if k != "2.bias"}, "x": 1})


def test_train_eval_and_summary() -> None:
    model = _course_net([64, 25, 10], seed=0)
    assert model.eval() is model and not model[1].training
    model.train()
    assert model[1].training
    text = model.summary()
    assert "Total parameters: 1,885 (float64)" in text
    assert "Linear(in_features=64, out_features=25, bias=True)" in text


def test_every_linear_refuses_nan_and_names_itself() -> None:
    """Each Linear checks its own output (its own state only); the engine checks once."""
    model = _course_net([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"layer 0: .*input contains 1 NaN"):
        model(np.array([[0.0, np.nan, 1.0]]))
    model[2].weight.data[0, 0] = np.nan  # a later layer diverged
    with pytest.raises(ValueError, match=r"layer 2: Linear.*weight contains 1 NaN"):
        model(np.ones((2, 3)))
