"""Tanh, ReLU, LeakyReLU, Softmax, Identity: values, g'(z), the kink's sub-gradient, stability."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.gradcheck import numerical_gradient, relative_difference

H = 1e-6


def _elementwise_grad(module: nn.Module, z: Any) -> Any:
    module(z)
    return module.backward(np.ones_like(z))


def test_tanh_values_and_derivative() -> None:
    z = np.array([[-3.0, -0.5, 0.0, 0.7, 20.0]])
    t = nn.Tanh()
    a = t(z)
    np.testing.assert_allclose(a, np.tanh(z), rtol=1e-15)
    g = np.array([[1.0, -2.0, 0.5, 3.0, 1.0]])
    np.testing.assert_allclose(t.backward(g), g * (1 - np.tanh(z) ** 2), rtol=1e-14)
    assert t.backward(np.ones_like(z))[0, 2] == 1.0  # g'(0) = 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls", [nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.Identity, nn.Softmax])
def test_extreme_inputs_are_finite_without_warnings(cls: type, dtype: type) -> None:
    z = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]], dtype=dtype)
    module = cls()
    a = module(z)  # pytest turns warnings into errors
    assert a.dtype == dtype and np.all(np.isfinite(a))
    grad = module.backward(np.ones_like(z))
    assert grad.dtype == dtype and np.all(np.isfinite(grad))


def test_relu_values_and_derivative_away_from_the_kink() -> None:
    z = np.array([[-2.0, -1e-3, 1e-3, 0.5]])
    r = nn.ReLU()
    np.testing.assert_array_equal(r(z), [[0.0, 0.0, 1e-3, 0.5]])
    np.testing.assert_array_equal(r.backward(np.full_like(z, 3.0)), [[0.0, 0.0, 3.0, 3.0]])


@pytest.mark.parametrize(
    ("module", "at_zero"),
    [
        (nn.ReLU(), 0.0),
        (nn.LeakyReLU(), 0.01),
        (nn.LeakyReLU(0.2), 0.2),
        (nn.LeakyReLU(-0.5), -0.5),
    ],
    ids=["relu", "leaky-default", "leaky-0.2", "leaky-negative"],
)
def test_kink_uses_the_documented_subgradient(module: nn.Module, at_zero: float) -> None:
    z = np.zeros((1, 1))
    assert _elementwise_grad(module, z)[0, 0] == at_zero  # the exact documented value

    def f(v: float) -> float:
        return float(module(np.array([[v]]))[0, 0])

    left = (f(0.0) - f(-H)) / H
    right = (f(H) - f(0.0)) / H
    assert min(left, right) - 1e-9 <= at_zero <= max(left, right) + 1e-9
    assert right == pytest.approx(1.0)


@pytest.mark.parametrize("module", [nn.ReLU(), nn.LeakyReLU(0.1)], ids=["relu", "leaky"])
@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_central_differences_just_beside_the_kink(module: nn.Module, side: float) -> None:
    # |z| = 1e-4 ≫ step 1e-6, so both evaluation points lie on the same side of 0.
    z = side * np.array([[1e-4, 3e-4, 1.0, 2.5]])
    g = np.array([[0.3, -1.2, 0.7, 2.0]])
    module(z)
    analytic = module.backward(g)
    numeric = numerical_gradient(lambda: float(np.sum(g * module(z))), z, eps=1e-6)
    assert relative_difference(analytic, numeric) < 1e-8


def test_leaky_relu_values() -> None:
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(nn.LeakyReLU()(z), [[-0.02, 0.0, 3.0]], rtol=1e-15)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "0.1", True])
def test_leaky_relu_refuses_bad_slopes(bad: Any) -> None:
    with pytest.raises(ValueError, match="negative_slope"):
        nn.LeakyReLU(bad)


def _softmax_by_hand(z: Any) -> Any:
    # log s_k = z_k − log Σ_j exp(z_j), the log-sum-exp with the row maximum taken out.
    m = z.max(axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return np.exp(z - lse)


def test_softmax_matches_log_sum_exp_and_rows_sum_to_one() -> None:
    z = np.random.default_rng(0).normal(scale=5.0, size=(6, 4))
    s = nn.Softmax()(z)
    np.testing.assert_allclose(s, _softmax_by_hand(z), rtol=1e-14)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_is_stable_at_plus_minus_1e4() -> None:
    z = np.array([[1e4, -1e4, 1e4 - np.log(3.0)], [-1e4, -1e4, -1e4]])
    s = nn.Softmax()(z)
    np.testing.assert_allclose(s, [[0.75, 0.0, 0.25], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-12)


def test_softmax_backward_is_the_jacobian_vector_product() -> None:
    rng = np.random.default_rng(1)
    z, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    sm = nn.Softmax()
    s = sm(z)
    grad = sm.backward(g)
    for i in range(3):
        jac = np.diag(s[i]) - np.outer(s[i], s[i])  # ∂s_k/∂z_j = s_k([j = k] − s_j)
        np.testing.assert_allclose(grad[i], jac.T @ g[i], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_softmax_axis_and_central_differences(axis: int) -> None:
    rng = np.random.default_rng(2)
    z, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    sm = nn.Softmax(axis=axis)
    s = sm(z)
    np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=1e-15)
    expected = _softmax_by_hand(z.T).T if axis in (0, -2) else _softmax_by_hand(z)
    np.testing.assert_allclose(s, expected, rtol=1e-14)
    analytic = sm.backward(g)
    numeric = numerical_gradient(lambda: float(np.sum(g * sm(z))), z, eps=1e-6)
    assert relative_difference(analytic, numeric) < 1e-8


@pytest.mark.parametrize("axis", [2, -3, 1.0, True])
def test_softmax_refuses_bad_axis(axis: Any) -> None:
    with pytest.raises(ValueError, match="Softmax: dim"):
        nn.Softmax(axis=axis)


def test_identity_copies() -> None:
    x = np.array([[1.0, 2.0]])
    ident = nn.Identity()
    y = ident(x)
    np.testing.assert_array_equal(y, x)
    assert y is not x
    g = np.array([[3.0, -1.0]])
    np.testing.assert_array_equal(ident.backward(g), g)


@pytest.mark.parametrize("cls", [nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.Softmax, nn.Identity])
def test_backward_refuses_a_gradient_of_the_wrong_shape(cls: type) -> None:
    module = cls()
    module(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2, 3\)"):
        module.backward(np.ones((2, 2)))


@pytest.mark.parametrize(
    "module",
    [nn.Tanh(), nn.ReLU(), nn.LeakyReLU(0.3), nn.Softmax(axis=0), nn.Identity(), nn.Dropout(0.2)],
    ids=repr,
)
def test_config_rebuilds_the_module(module: nn.Module) -> None:
    rebuilt = getattr(nn, type(module).__name__)(**module.config())
    assert repr(rebuilt) == repr(module)
    assert rebuilt.config() == module.config()


def test_every_new_layer_inside_a_sequential_matches_central_differences() -> None:
    # Two forwards before the backward: the reused buffers must not leak between steps.
    model = nn.Sequential(
        nn.Linear(3, 5, rng=0),
        nn.Tanh(),
        nn.Linear(5, 5, rng=1),
        nn.LeakyReLU(0.1),
        nn.Identity(),
        nn.Linear(5, 4, rng=2),
        nn.ReLU(),
        nn.Linear(4, 3, rng=3),
        nn.Softmax(),
    )
    rng = np.random.default_rng(4)
    x, g = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    first = model(x)
    snapshot = first.copy()
    model(x + 1.0)
    np.testing.assert_array_equal(first, snapshot)  # the caller's output was not reused

    def J() -> float:
        return float(np.sum(g * model(x)))

    model.zero_grad()
    model(x)
    grad_input = model.backward(g, input_grad=True)
    analytic = {name: p.grad.copy() for name, p in model.named_parameters()}
    assert relative_difference(grad_input, numerical_gradient(J, x, eps=1e-6)) < 1e-7
    for name, p in model.named_parameters():
        assert (
            relative_difference(analytic[name], numerical_gradient(J, p.data, eps=1e-6)) < 1e-7
        ), name


@pytest.mark.parametrize(
    "module",
    [nn.Sigmoid(), nn.Tanh(), nn.ReLU(), nn.LeakyReLU(), nn.Softmax(), nn.Identity(), nn.Dropout()],
    ids=repr,
)
def test_float32_module_returns_a_float32_gradient_for_a_float64_one(module: nn.Module) -> None:
    module(np.ones((2, 3), dtype=np.float32))
    assert module.backward(np.ones((2, 3))).dtype == np.float32
