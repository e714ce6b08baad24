"""explain: the notes' equations for one example, equal to the loop, the batch and the optimizer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import explain, nn, optim, reference
from minitorch_bp.datasets import digits, study_sleep
from minitorch_bp.explain.formulas import activation_formulas, to_text
from minitorch_bp.explain.render import cells


def _course() -> tuple[nn.Sequential, Any, Any]:
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 3)), np.eye(3)[[0, 1, 2, 0, 1]]
    net = nn.Sequential(nn.Linear(3, 5, rng=1), nn.Sigmoid(), nn.Linear(5, 3, rng=2), nn.Sigmoid())
    return net, X, Y


def _loop_deltas(thetas: list[Any], x: Any, y: Any) -> tuple[dict[int, Any], dict[int, Any]]:
    """Steps 1-5 of the notes for one example, from reference.py's own pieces."""
    a, _ = reference.feedforward(thetas, x)
    L = len(a)
    delta = {L: a[L - 1] - y}
    for layer in range(L - 1, 1, -1):
        back = thetas[layer - 1].T @ delta[layer + 1]
        delta[layer] = back[1:] * a[layer - 1] * (1 - a[layer - 1])
    inc = {l: np.outer(delta[l + 1], reference.add_bias_unit(a[l - 1])) for l in range(1, L)}
    return delta, inc


@pytest.mark.parametrize("example", [0, 3])
@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_delta_Delta_and_D_equal_the_notes_loop(example: int, lam: float) -> None:
    net, X, Y = _course()
    thetas = [net[0].theta, net[2].theta]
    J, D = reference.backprop_loop(thetas, X, Y, lam=lam)
    e = explain(net, nn.BCELoss(), X, Y, l2=lam, example=example)
    delta, inc = _loop_deltas(thetas, X[example], Y[example])
    for l in (2, 3):
        np.testing.assert_allclose(e.deltas[l], delta[l], rtol=0, atol=1e-12)
    for l in (1, 2):
        np.testing.assert_allclose(e.increments[l], inc[l], rtol=0, atol=1e-12)
        Delta = sum(_loop_deltas(thetas, X[t], Y[t])[1][l] for t in range(len(X)))
        np.testing.assert_allclose(e.Delta[l], Delta, rtol=0, atol=1e-12)
        np.testing.assert_allclose(e.D[l], D[l - 1], rtol=0, atol=1e-12)
    assert abs(e.J - J) < 1e-12
    assert e.max_difference < 1e-12


def test_the_printed_D_is_what_the_optimizer_applies() -> None:
    net, X, Y = _course()
    opt = optim.SGD(net.parameters(), lr=0.1, l2=2.0, momentum=0.9)
    e = explain(net, nn.BCELoss(), X, Y, optimizer=opt)
    assert e.l2 == 2.0
    crit = nn.BCELoss()
    crit(net(X), Y)
    opt.zero_grad()
    net.backward(crit.backward())
    for l, layer in ((1, net[0]), (2, net[2])):
        applied = np.column_stack([opt.gradient(layer.bias, 5), opt.gradient(layer.weight, 5)])
        np.testing.assert_array_equal(e.D_applied[l], applied)
        np.testing.assert_allclose(e.D[l], applied, rtol=0, atol=1e-15)
    # the numbers printed are the D's, in the printed precision
    text = str(e)
    for row in cells(e.D[2], 4, 6, 8):
        assert re.search(r"\[\s*" + r"\s+".join(re.escape(v) for v in row) + r"\s*\]", text)
    # and the step the optimizer then takes is Θ − αD (no momentum yet)
    before = net[2].theta
    from minitorch_bp import train

    train.compile_step(net, nn.BCELoss(), opt, engine=False)(X, Y)
    np.testing.assert_allclose(net[2].theta, before - 0.1 * e.D[2], rtol=1e-12, atol=1e-15)


def test_parameters_and_gradients_are_left_as_they_were() -> None:
    net, X, Y = _course()
    for p in net.parameters():
        p.grad = np.full(p.shape, 7.0)
    before = [(p.data.copy(), p.grad.copy()) for p in net.parameters()]
    explain(net, nn.BCELoss(), X, Y, l2=1.0)
    for p, (data, grad) in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.data, data)
        np.testing.assert_array_equal(p.grad, grad)


def _elementwise() -> list[type[nn.Module]]:
    return [c for c in nn.registry.classes() if issubclass(c, nn.Elementwise)]


@pytest.mark.parametrize("cls", _elementwise(), ids=lambda c: c.__name__)
def test_every_activation_is_explained_with_its_own_g_prime(cls: type[nn.Module]) -> None:
    """Every registered activation's docstring gives g and g' (the one home of its maths)."""
    g, gp = activation_formulas(cls)
    assert g is not None and gp is not None, f"{cls.__name__}: docstring lacks a = … or g'(z) = …"
    gp_text = "".join(to_text(t) if k == "math" else t for k, t in gp)
    assert gp_text.startswith("g'(z) =")
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 3)), np.eye(2)[[0, 1, 1, 0, 1, 0]]
    net = nn.Sequential(nn.Linear(3, 4, rng=0), cls(), nn.Linear(4, 2, rng=1), nn.Sigmoid())
    e = explain(net, nn.BCELoss(), X, Y, l2=0.5, example=4)
    assert e.max_difference < 1e-12
    assert gp_text in str(e)


def test_the_notes_regression_network_without_bias_units() -> None:
    X, y = study_sleep()
    net = nn.Sequential(
        nn.Linear(2, 3, bias=False, rng=0),
        nn.Sigmoid(),
        nn.Linear(3, 1, bias=False, rng=1),
        nn.Sigmoid(),
    )
    mse = nn.MSELoss(reduction="sum")
    e = explain(net, mse, X, y)
    _, dW1, dW2 = reference.regression_gradients(net[0].weight.data.T, net[2].weight.data.T, X, y)
    np.testing.assert_allclose(e.D[1], dW1.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(e.D[2], dW2.T, rtol=0, atol=1e-12)
    # δ^(3) = −(y − ŷ) g'(z^(3)), example 0
    a3 = net(X)[0]
    np.testing.assert_allclose(e.deltas[3], -(y[0] - a3) * a3 * (1 - a3), atol=1e-15)
    text = str(e)
    assert "(no bias unit)" in text and "D^(1) = c Δ^(1) + (λ/m)Θ^(1)" in text
    assert "c = 1 (reduction='sum')" in text


def test_other_layers_go_through_their_own_forward_and_backward() -> None:
    class Scale(nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.w = nn.Parameter(np.linspace(0.5, 1.5, n).reshape(1, n))

        def forward(self, x: Any) -> Any:
            self.x = x
            return x * self.w.data

        def backward(self, grad_output: Any) -> Any:
            self.w.grad += np.sum(grad_output * self.x, axis=0, keepdims=True)
            return grad_output * self.w.data

    rng = np.random.default_rng(2)
    X, labels = rng.normal(size=(7, 4)), np.array([0, 1, 2, 1, 0, 2, 2])
    net = nn.Sequential(
        Scale(4), nn.Linear(4, 5, rng=0), nn.ReLU(), nn.Dropout(0.3, rng=0), nn.Linear(5, 3, rng=1)
    ).eval()
    e = explain(net, nn.CrossEntropyLoss(), X, labels, l2=1.0, example=2)
    assert e.max_difference < 1e-12
    text = str(e)
    assert "h_0 = Scale(a^(1))" in text and "D_w = ∂J/∂ w, from the layer's own backward" in text
    assert (
        "the loss's ∂ℓ_i/∂z_i = (Σ_k C_ik) softmax(z_i) - C_i" in text
    )  # its own gradient formula
    # δ^(3) of a softmax output is softmax(z) − y
    z = net(X)[2]
    s = np.exp(z - z.max())
    np.testing.assert_allclose(e.deltas[3], s / s.sum() - np.eye(3)[2], atol=1e-15)


def test_wide_matrices_are_elided_with_their_shapes() -> None:
    X, y = digits()
    X, Y = X[:50] / 16.0, np.eye(10)[y[:50]]
    net = nn.Sequential(
        nn.Linear(64, 25, rng=0), nn.Sigmoid(), nn.Linear(25, 10, rng=1), nn.Sigmoid()
    )
    e = explain(net, nn.BCELoss(), X, Y, l2=1.0, example=7)
    text = str(e)
    assert "Θ^(1) = (25, 65)" in text and "D^(2) = (10, 26)" in text
    assert "…" in text and "⋮" in text and "⋱" in text
    assert max(len(line) for line in text.splitlines()) < 130
    assert e.max_difference < 1e-12
    md = e.to_markdown()
    assert r"\cdots" in md and r"\vdots" in md and "$$D^{(1)} = " in md


def test_markdown_and_a_self_contained_html_file(tmp_path: Path) -> None:
    net, X, Y = _course()
    e = explain(net, nn.BCELoss(), X, Y)
    md = e.to_markdown()
    assert md.startswith("# Backpropagation, one example") and "\\begin{bmatrix}" in md
    path = e.save(tmp_path / "step.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script src" not in page and "<link" not in page  # nothing to fetch
    assert "MathJax" in page  # typeset offline from the inlined script
    assert "\\(\\delta^{(L)} = a^{(L)} - y\\)" in page
    e.save(tmp_path / "step.md")
    assert (tmp_path / "step.md").read_text(encoding="utf-8") == md
    e.save(tmp_path / "step.txt")
    assert (tmp_path / "step.txt").read_text(encoding="utf-8") == str(e)


def test_one_example_as_a_vector() -> None:
    net, X, Y = _course()
    e = explain(net, nn.BCELoss(), X[1], Y[1])
    assert e.m == 1
    np.testing.assert_allclose(e.deltas[3], net(X[1:2])[0] - Y[1], atol=1e-15)


def test_bad_arguments_are_refused() -> None:
    net, X, Y = _course()
    with pytest.raises(ValueError, match=r"example=5 must be a row index of X, 0 <= example < 5"):
        explain(net, nn.BCELoss(), X, Y, example=5)
    opt = optim.SGD(net.parameters(), lr=0.1, l2=1.0)
    with pytest.raises(ValueError, match="l2=2.0 differs from the optimizer's l2=1.0"):
        explain(net, nn.BCELoss(), X, Y, l2=2.0, optimizer=opt)
    with pytest.raises(ValueError, match="format='pdf'"):
        explain(net, nn.BCELoss(), X, Y).render("pdf")
