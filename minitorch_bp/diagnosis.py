r"""Which equation is wrong? The δ check of :func:`~minitorch_bp.gradcheck.gradcheck_report` and its findings.

:func:`check_deltas` perturbs every array between two layers, :math:`z^{(l)}` and
:math:`a^{(l)}`, and compares the central difference of :math:`J` with the gradient the
backward chain delivers there: at :math:`z^{(l)}` that is the notes' :math:`\delta^{(l)}`
(``Sequential.deltas``), at :math:`a^{(l)}` the :math:`(\Theta^{(l)})^\top\delta^{(l+1)}`
a ``Linear`` hands down, and at the output the loss's :math:`\partial J/\partial a^{(L)}`.
Going down from the output, the first place where they differ names the layer whose
backward is wrong; :func:`findings` adds what the numbers look like (a factor :math:`m`,
a transpose, the bias column, :math:`g'` applied to :math:`z` instead of :math:`a`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.engine.plan import leaves
from minitorch_bp.nn.activation import Elementwise
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]

#: A relative difference above this is wrong (the course's pass mark is 1e-9 with ε = 1e-4).
TOLERANCE = 1e-7


@dataclass
class DeltaCheck:
    r"""The check of the gradient at one place between layers.

    Attributes:
        index: the boundary: the output of layer ``index - 1`` (the input of layer ``index``).
        symbol: the notes' name, ``δ^(2)`` at a ``Linear``'s output, ``∂J/∂a^(2)`` elsewhere.
        layer: the layer whose backward produced this gradient (the one above it), or the loss.
        numerical, analytic: the two gradients (the batch's, shape of the array).
        relative_difference: :math:`\lVert n - a\rVert / \lVert n + a\rVert`.
        inputs, outputs: what that layer took and gave in the forward (``None`` for the loss).
    """

    index: int
    symbol: str
    layer: str
    numerical: Array
    analytic: Array
    relative_difference: float
    inputs: Array | None = None
    outputs: Array | None = None

    @property
    def ok(self) -> bool:
        return self.relative_difference < TOLERANCE


@dataclass
class Finding:
    """One diagnosis: where, which equation of the notes, and what was found."""

    where: str
    equation: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.equation}: {self.message}"


def _symbols(layers: list[Module]) -> list[str]:
    names = ["a^(1)"]
    n_linear = 0
    for i, layer in enumerate(layers):
        if isinstance(layer, Linear):
            n_linear += 1
            names.append(f"δ^({n_linear + 1})")
        elif isinstance(layer, Elementwise):
            names.append(f"∂J/∂a^({n_linear + 1})")
        else:
            names.append(f"∂J/∂(output of layer {i})")
    return names


def check_deltas(
    model: Module, criterion: Loss, X: Array, Y: Any, *, eps: float = 1e-4
) -> list[DeltaCheck]:
    r"""Compare, at every array between two layers, backward's gradient with central differences of :math:`J`.

    The model runs forward once; the chain ``layer.backward_input`` from
    ``criterion.backward()`` gives the analytic gradient at each boundary; then each
    boundary array is perturbed entry by entry (:func:`~minitorch_bp.gradcheck.numerical_gradient`)
    and only the layers above it are run. The parameters' gradients are left as they were.

    Returns:
        One :class:`DeltaCheck` per boundary above the input, from the output down.
    """
    from minitorch_bp.gradcheck import numerical_gradient, relative_difference

    layers = leaves(model)
    params = model.parameters()
    saved = [p.grad.copy() for p in params]
    outs = [X]
    for layer in layers:
        outs.append(layer(outs[-1]))
    criterion(outs[-1], Y)
    grads = [criterion.backward()]
    for i in range(len(layers) - 1, 0, -1):
        grads.append(layers[i].backward_input(grads[-1]))
    grads.reverse()  # grads[j] is at boundary j + 1
    for p, g in zip(params, saved, strict=True):
        np.copyto(p.grad, g)
    symbols = _symbols(layers)
    checks = []
    for j in range(len(layers), 0, -1):
        h = np.array(outs[j], dtype=np.float64, copy=True)
        above = layers[j:]

        def cost(h: Array = h, above: list[Module] = above) -> float:
            x = h
            for layer in above:
                x = layer(x)
            return float(criterion(x, Y))

        numerical = numerical_gradient(cost, h, eps)
        analytic = np.asarray(grads[j - 1], dtype=np.float64)
        inside = j < len(layers)
        who = f"layer {j}: {layers[j]!r}" if inside else f"the loss: {criterion!r}"
        checks.append(
            DeltaCheck(
                j,
                symbols[j],
                who,
                numerical,
                analytic,
                relative_difference(numerical, analytic),
                outs[j] if inside else None,
                outs[j + 1] if inside else None,
            )
        )
    for p, g in zip(params, saved, strict=True):
        np.copyto(p.grad, g)
    return checks


def _scaled(numerical: Array, analytic: Array) -> float | None:
    """The factor s with analytic ≈ s·numerical, if there is one (else None)."""
    denom = float(np.vdot(numerical, numerical))
    if denom == 0.0:
        return None
    s = float(np.vdot(numerical, analytic)) / denom
    fit = np.linalg.norm(analytic - s * numerical) / max(np.linalg.norm(analytic), 1e-300)
    return s if fit < 1e-6 and abs(s - 1.0) > 1e-6 else None


def _close(a: Array, b: Array) -> bool:
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-300)
    return float(np.linalg.norm(a - b)) / scale < 1e-6


def _delta_finding(check: DeltaCheck, layers: list[Module], above: Array, m: int) -> Finding:
    """Why the gradient at ``check``'s boundary is wrong, given the right one above it."""
    s = _scaled(check.numerical, check.analytic)
    factor = ""
    if s is not None:
        missing = abs(s - m) < 1e-6 * m and m > 1
        factor = f" ({check.symbol} is {s:.4g} times the numerical one" + (
            f": m = {m}, so a 1/m is missing)" if missing else ")"
        )
    if check.index == len(layers):
        return Finding(
            check.layer, "∂J/∂a^(L) = criterion.backward()", f"the loss's gradient is wrong{factor}"
        )
    layer = layers[check.index]
    if isinstance(layer, Elementwise) and check.inputs is not None and check.outputs is not None:
        equation = (
            f"{check.symbol} = (Θᵀδ) ⊙ g'(z)"
            if check.symbol.startswith("δ")
            else f"{check.symbol} = (its gradient above) ⊙ g'(z)"
        )
        return Finding(check.layer, equation, _g_prime_message(layer, check, factor))
    if isinstance(layer, Linear):
        W = layer.weight.data
        message = f"the gradient handed down is wrong{factor}"
        if W.shape[0] == W.shape[1] and _close(check.analytic, above @ W.T):
            message = (
                "Θ is used where Θᵀ is needed: the gradient handed down is δ·Wᵀ, it must be"
                " δ·W (per example (Θ)ᵀδ without the bias row)"
            )
        return Finding(check.layer, f"{check.symbol} = (Θ)ᵀδ, without the bias row", message)
    return Finding(check.layer, f"{check.symbol} = the layer's backward", f"wrong{factor}")


def _g_prime_message(layer: Elementwise, check: DeltaCheck, factor: str) -> str:
    z, a = check.inputs, check.outputs
    assert z is not None and a is not None
    with np.errstate(over="ignore", invalid="ignore"):
        h = 1e-6
        true = (layer.g(z + h) - layer.g(z - h)) / (2 * h)
        given = layer.g_prime(z, a)
        on_a = layer.g_prime(a, layer.g(a))
    if _close(given, true):
        return f"the layer's backward is wrong although its g'(z) is right{factor}"
    if _close(on_a, true):
        return (
            "g'(z) is its formula applied to z where it needs a = g(z) (the derivative"
            " applied to z instead of a, e.g. z(1 − z) for a(1 − a))"
        )
    return f"g'(z) is not the derivative of g(z){factor}"


def findings(
    model: Module,
    checks: list[DeltaCheck],
    params: list[tuple[str, Parameter]],
    numerical: dict[str, Array],
    analytic: dict[str, Array],
    *,
    l2: float,
    m: int,
) -> list[Finding]:
    """Diagnose a failed gradient check: the first wrong δ from the top, then each wrong parameter."""
    layers = leaves(model)
    out: list[Finding] = []
    top = {c.index: c for c in checks}
    for c in checks:  # from the output down: the first wrong one is where the bug is
        if not c.ok:
            above = top[c.index + 1].analytic if c.index + 1 in top else c.analytic
            out.append(_delta_finding(c, layers, above, m))
            break
    chain_ok = all(c.ok for c in checks)
    for name, p in params:
        n, a = numerical[name], analytic[name]
        if _close(n, a):
            continue
        if not chain_ok:
            continue  # a wrong δ makes the gradients below it wrong too; fix it first
        d = a - n
        s = _scaled(n, a)
        lam_m = l2 / m if m else 0.0
        if s is not None and abs(s - m) < 1e-6 * m:
            msg = f"D is m = {m} times ∂J/∂Θ: the 1/m of D = (1/m)(Δ + λΘ) is missing"
        elif n.ndim == 2 and n.shape[0] == n.shape[1] and _close(a, n.T):
            msg = "Δ is transposed: Δ^(l) := Δ^(l) + δ^(l+1)(a^(l))ᵀ has shape (s_(l+1), s_l + 1)"
        elif lam_m and _close(d, lam_m * p.data) and not p.regularized:
            msg = (
                "D has λ/m·Θ for the bias column j = 0: the notes leave it unregularised,"
                " D_i0 = (1/m)Δ_i0"
            )
        elif lam_m and _close(d, -lam_m * p.data):
            msg = "D lacks the λ/m·Θ term of D = (1/m)(Δ + λΘ)"
        elif s is not None:
            msg = f"D is {s:.4g} times ∂J/∂Θ"
        else:
            msg = "D differs from the central differences of J"
        out.append(Finding(name, "D = (1/m)(Δ + λΘ)", msg))
    return out
