"""The planted-bug gallery: real bugs of course ports, and gradcheck naming the layer and equation.

Each bug is one that shows up again and again in from-scratch ports of the course: the
sigmoid's derivative applied to z instead of a, the bias column regularised, the 1/m
forgotten, Θ where Θᵀ belongs. gradcheck_report's δ check must point at the right layer
and equation, not only say "wrong".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.gradcheck import gradcheck_report


class ZSigmoid(nn.Sigmoid):
    """g'(z) = z(1 − z): the notes' a(1 − a) with z put in for a."""

    def g_prime(self, z: Any, a: Any, out: Any = None) -> Any:
        return np.multiply(z, 1.0 - z, out=out)


class TransposedLinear(nn.Linear):
    """Hands down δ Wᵀ instead of δ W (Θ where Θᵀ belongs); runs when W is square."""

    def backward_input(self, grad_output: Any) -> Any:
        self.backward_params(grad_output)
        return np.asarray(grad_output) @ self.weight.data.T


class TransposedDelta(nn.Linear):
    """Accumulates aᵀδ instead of δᵀa: Δ transposed (square W)."""

    def backward_params(self, grad_output: Any) -> None:
        x = self._input
        assert x is not None
        self.weight.grad += x.T @ grad_output
        if self.bias is not None:
            self.bias.grad += grad_output.sum(axis=0)

    def backward_input(self, grad_output: Any) -> Any:
        self.backward_params(grad_output)
        return np.asarray(grad_output) @ self.weight.data


class NoMeanBCE(nn.BCELoss):
    """The loss's gradient without the reduction's 1/m."""

    def gradient(self, pred: Any, target: Any, scale: float, out: Any = None) -> Any:
        return super().gradient(pred, target, 1.0, out)


class RegularisedBiasSGD(optim.SGD):
    """D = (1/m)(Δ + λΘ) for every column, the bias column j = 0 included."""

    def gradient(self, p: Any, m: int, out: Any = None) -> Any:
        return p.grad + self.l2 / m * p.data


class NoMeanSGD(optim.SGD):
    """D = Δ + λΘ: the 1/m of D forgotten."""

    def gradient(self, p: Any, m: int, out: Any = None) -> Any:
        return m * super().gradient(p, m)


def _net(
    *,
    first: type[nn.Linear] = nn.Linear,
    act: type[nn.Sigmoid] = nn.Sigmoid,
    second: type[nn.Linear] = nn.Linear,
) -> nn.Sequential:
    return nn.Sequential(
        first(4, 4, rng=0),
        nn.Sigmoid(),
        second(4, 4, rng=1),
        act(),
        nn.Linear(4, 2, rng=2),
        nn.Sigmoid(),
    )


def _data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 4)), np.eye(2)[[0, 1, 1, 0, 1]]


def test_a_correct_network_has_no_findings() -> None:
    X, Y = _data()
    report = gradcheck_report(_net(), nn.BCELoss(), X, Y, l2=3.0)
    assert report.ok and report.findings == []
    assert [c.symbol for c in report.deltas] == [
        "∂J/∂a^(4)",
        "δ^(4)",
        "∂J/∂a^(3)",
        "δ^(3)",
        "∂J/∂a^(2)",
        "δ^(2)",
    ]
    assert all(c.relative_difference < 1e-9 for c in report.deltas)
    assert "backpropagation agrees" in str(report)


def test_the_derivative_applied_to_z_instead_of_a_is_found_at_its_layer() -> None:
    X, Y = _data()
    report = gradcheck_report(_net(act=ZSigmoid), nn.BCELoss(), X, Y)
    assert not report.ok
    first = report.findings[0]
    assert first.where == "layer 3: ZSigmoid()"
    assert first.equation == "δ^(3) = (Θᵀδ) ⊙ g'(z)"
    assert "applied to z instead of a" in first.message
    by_symbol = {c.symbol: c.ok for c in report.deltas}
    assert by_symbol["∂J/∂a^(3)"] and not by_symbol["δ^(3)"]  # right above, wrong below it
    assert "layer 3: ZSigmoid()" in str(report)


def test_a_transposed_theta_in_the_delta_chain_is_found_at_its_linear() -> None:
    X, Y = _data()
    report = gradcheck_report(_net(second=TransposedLinear), nn.BCELoss(), X, Y)
    first = report.findings[0]
    assert first.where.startswith("layer 2: TransposedLinear")
    assert first.equation.startswith("∂J/∂a^(2) = (Θ)ᵀδ")
    assert "Θ is used where Θᵀ is needed" in first.message
    assert len(report.findings) == 1  # the parameters below inherit it: not reported again


def test_a_transposed_Delta_is_found_at_its_parameter() -> None:
    X, Y = _data()
    report = gradcheck_report(_net(second=TransposedDelta), nn.BCELoss(), X, Y)
    assert all(c.ok for c in report.deltas)  # the δ's are right
    assert [f.where for f in report.findings] == ["2.weight"]
    assert "Δ is transposed" in report.findings[0].message


def test_the_bias_column_regularised_is_found_at_each_bias() -> None:
    X, Y = _data()
    model = _net()
    opt = RegularisedBiasSGD(model.parameters(), lr=0.1, l2=3.0)
    report = gradcheck_report(model, nn.BCELoss(), X, Y, optimizer=opt)
    assert all(c.ok for c in report.deltas)
    assert [f.where for f in report.findings] == ["0.bias", "2.bias", "4.bias"]
    assert all("bias column j = 0" in f.message for f in report.findings)


@pytest.mark.parametrize("where", ["loss", "optimizer"])
def test_a_missing_one_over_m_is_found(where: str) -> None:
    X, Y = _data()
    model = _net()
    if where == "loss":
        report = gradcheck_report(model, NoMeanBCE(), X, Y)
        first = report.findings[0]
        assert first.where == "the loss: NoMeanBCE(reduction='batchmean')"
        assert "m = 5, so a 1/m is missing" in first.message
    else:
        opt = NoMeanSGD(model.parameters(), lr=0.1, l2=1.0)
        report = gradcheck_report(model, nn.BCELoss(), X, Y, optimizer=opt)
        assert len(report.findings) == 6
        assert all("the 1/m of D = (1/m)(Δ + λΘ) is missing" in f.message for f in report.findings)
