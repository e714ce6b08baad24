"""Properties of random networks: gradients, the notes' reference, round trips, invariances."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from minitorch_bp import gradcheck, nn, reference, utils

from net_strategies import NetSpec, net_specs


def _J_and_D(
    model: nn.Sequential, X: np.ndarray, Y: np.ndarray, lam: float
) -> tuple[float, np.ndarray]:
    loss = nn.BCELoss()
    model.zero_grad()
    J = loss(model(X), Y) + nn.l2_penalty(model, lam, X.shape[0])
    model.backward(loss.backward())
    D = np.concatenate([nn.l2_gradient(p, lam, len(X)).ravel() for p in model.parameters()])
    return J, D


@given(net_specs(max_width=12))
def test_gradcheck_below_1e_7_for_every_architecture(spec: NetSpec) -> None:
    X, Y = spec.data()
    err = gradcheck(spec.build(), nn.BCELoss(), X, Y, l2=spec.lam, eps=1e-6)
    assert err < 1e-7, (spec, err)


@given(net_specs())
def test_vectorised_layers_equal_the_notes_loop_for_sigmoid_networks(spec: NetSpec) -> None:
    spec.bias = True
    model = spec.build(activation="Sigmoid")
    X, Y = spec.data()
    thetas = [layer.theta for layer in model if isinstance(layer, nn.Linear)]
    J_ref, D_ref = reference.backprop_loop(thetas, X, Y, spec.lam)
    J, _ = _J_and_D(model, X, Y, spec.lam)
    assert abs(J - J_ref) <= 1e-12 * abs(J_ref)
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for layer, D_l in zip(linears, D_ref, strict=True):
        assert layer.bias is not None
        D = np.hstack(
            [
                nn.l2_gradient(layer.bias, spec.lam, len(X))[:, None],
                nn.l2_gradient(layer.weight, spec.lam, len(X)),
            ]
        )
        assert np.linalg.norm(D - D_l) <= 1e-12 * max(np.linalg.norm(D_l), 1e-300)


@given(net_specs())
def test_parameter_vector_and_state_dict_round_trips_are_exact(spec: NetSpec) -> None:
    a, b = spec.build(), NetSpec(**{**spec.__dict__, "seed": spec.seed + 1}).build()
    vec = utils.parameters_to_vector(a.parameters())
    utils.vector_to_parameters(vec, b.parameters())
    np.testing.assert_array_equal(utils.parameters_to_vector(b.parameters()), vec)
    c = NetSpec(**{**spec.__dict__, "seed": spec.seed + 2}).build()
    c.load_state_dict(a.state_dict())
    for (ka, va), (kc, vc) in zip(a.state_dict().items(), c.state_dict().items(), strict=True):
        assert ka == kc
        np.testing.assert_array_equal(va, vc)


@given(net_specs())
def test_float32_networks_stay_float32_and_agree_with_float64(spec: NetSpec) -> None:
    m64, m32 = spec.build(np.float64), spec.build(np.float32)
    m32.load_state_dict(m64.state_dict())
    X, Y = spec.data()
    out64, out32 = m64(X), m32(X.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5)
    loss = nn.BCELoss()
    loss(out32, Y)
    m32.backward(loss.backward())
    assert all(p.grad.dtype == np.float32 and np.isfinite(p.grad).all() for p in m32.parameters())


@given(net_specs(), net_specs())
def test_permuting_examples_permutes_outputs_and_keeps_J_and_D(
    spec: NetSpec, other: NetSpec
) -> None:
    model = spec.build()
    X, Y = spec.data()
    perm = np.random.default_rng(other.seed).permutation(spec.m)
    out = model(X).copy()
    np.testing.assert_allclose(model(X[perm]), out[perm], rtol=1e-14, atol=1e-15)
    J, D = _J_and_D(model, X, Y, spec.lam)
    Jp, Dp = _J_and_D(model, X[perm], Y[perm], spec.lam)
    assert abs(J - Jp) <= 1e-12 * abs(J)
    np.testing.assert_allclose(Dp, D, rtol=1e-10, atol=1e-13)


@given(net_specs())
def test_duplicating_every_example_keeps_the_batchmean_data_term(spec: NetSpec) -> None:
    # With λ = 0: the notes' λ/(2m) term is defined per m, so it halves when m doubles.
    model = spec.build()
    X, Y = spec.data()
    J, D = _J_and_D(model, X, Y, 0.0)
    J2, D2 = _J_and_D(model, np.vstack([X, X]), np.vstack([Y, Y]), 0.0)
    assert abs(J - J2) <= 1e-12 * abs(J)
    np.testing.assert_allclose(D2, D, rtol=1e-10, atol=1e-13)


@given(net_specs())
def test_lambda_zero_equals_no_regularisation(spec: NetSpec) -> None:
    model = spec.build()
    X, Y = spec.data()
    J0, D0 = _J_and_D(model, X, Y, 0.0)
    loss = nn.BCELoss()
    model.zero_grad()
    J = loss(model(X), Y)
    model.backward(loss.backward())
    assert J0 == J
    np.testing.assert_array_equal(D0, np.concatenate([p.grad.ravel() for p in model.parameters()]))
