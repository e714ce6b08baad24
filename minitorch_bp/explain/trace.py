r"""The trace of one training step for one example, in the notes' notation.

:func:`trace` runs the batch once through the plain layers (the vectorised step: forward,
the loss, the backward chain into every gradient, the optimizer's :math:`D`) and then
follows the notes' per-example algorithm for every example :math:`t` of the batch:

1. :math:`a^{(1)} := x^{(t)}`;
2. forward propagation, :math:`z^{(l+1)} = \Theta^{(l)} a^{(l)}` (with the bias unit) and
   :math:`a^{(l+1)} = g(z^{(l+1)})`;
3. :math:`\delta^{(L)}` from the loss (:math:`a^{(L)} - y` for a sigmoid and ``BCELoss``);
4. :math:`\delta^{(l)} = (\Theta^{(l)})^\top\delta^{(l+1)} \odot g'(z^{(l)})`, down to
   :math:`\delta^{(2)}`;
5. :math:`\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)}(a^{(l)})^\top`;

then :math:`D^{(l)} = c\,\Delta^{(l)} + \frac{\lambda}{m}\Theta^{(l)}` over the decaying
columns, :math:`c` the loss's reduction factor (:math:`1/m` for ``batchmean``: the notes'
:math:`D = \frac{1}{m}(\Delta + \lambda\Theta)`). The equations of one example are kept,
each per-example quantity next to its row of the vectorised step, and :math:`D` next to
what the optimizer applies.

What a layer must provide to be explained (the module contract and nothing more):
``Linear`` is traced with :math:`\Theta`; an :class:`~minitorch_bp.nn.Elementwise` with its
own ``g`` and ``g_prime`` and the formulas of its docstring (see
:mod:`~minitorch_bp.explain.formulas`); any other module through its ``forward`` and
``backward_input`` (row :math:`t` of its batch output, and its backward of a gradient
that is zero outside row :math:`t`), its parameters' :math:`D` from the optimizer.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch
from minitorch_bp.engine import fusions
from minitorch_bp.engine.plan import leaves
from minitorch_bp.explain.formulas import Formula, activation_formulas, loss_formulas
from minitorch_bp.nn.activation import Elementwise
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.regularization import check_l2, decays, l2_gradient, l2_penalty
from minitorch_bp.optim.optimizer import Optimizer

Array = NDArray[Any]


@dataclass
class Quantity:
    """One value of the trace: its symbol (TeX), its numbers and what it was checked against.

    Attributes:
        symbol: TeX, e.g. ``z^{(2)}``.
        value: the numbers (a vector for one example, a matrix for Θ, Δ, D).
        check: TeX/plain text naming the vectorised value it equals (empty: none).
        difference: the largest absolute difference from that value.
    """

    symbol: str
    value: Array
    check: str = ""
    difference: float | None = None


@dataclass
class Equation:
    """One equation of the notes, applied to one layer.

    Attributes:
        step: which step of the notes' algorithm (``"1"`` ... ``"5"``, ``"J"``, ``"D"``).
        where: the layer (``"layer 0: Linear(...)"``), or ``""``.
        formula: the general equation, TeX and text segments.
        quantities: its values for the example.
    """

    step: str
    where: str
    formula: Formula
    quantities: list[Quantity] = field(default_factory=list)


#: The heading of each step of the notes' algorithm, as the renderers print it.
STEPS = {
    "1": r"1. $a^{(1)} := x^{(t)}$",
    "2": "2. Forward propagation",
    "J": "The cost J(Θ)",
    "3": r"3. $\delta^{(L)}$, from the loss",
    "4": r"4. The $\delta$ chain, down to $\delta^{(2)}$",
    "5": r"5. The accumulator: $\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)}(a^{(l)})^\top$",
    "D": r"The gradient $D^{(l)}$, and what the optimizer applies",
}


@dataclass
class Trace:
    """Everything :func:`trace` computed (see :class:`~minitorch_bp.explain.Explanation`)."""

    equations: list[Equation]
    example: int
    m: int
    l2: float
    criterion: str
    model: str
    J: float
    deltas: dict[int, Array]
    increments: dict[int, Array]
    Delta: dict[int, Array]
    D: dict[int, Array]
    D_applied: dict[int, Array]
    max_difference: float


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or cls.__name__
    return " ".join(doc.split("\n\n")[0].split())


def _theta_layout(layer: Linear, weight: Array, bias: Array | None) -> Array:
    if layer.bias is None or bias is None:
        return np.array(weight, copy=True)
    return np.column_stack([bias, weight])


def _with_bias(layer: Linear, a: Array) -> Array:
    return np.concatenate([[1.0], a]) if layer.bias is not None else a


def _by_c(row: str, symbol: str) -> str:
    return f"{row} $\\partial J/\\partial {symbol.upper()}$ divided by $c$"


def _diff(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


class _Tracer:
    def __init__(
        self,
        model: Module,
        criterion: Loss,
        X: Array,
        Y: Any,
        lam: float,
        optimizer: Optimizer | None,
    ) -> None:
        self.model, self.criterion, self.optimizer = model, criterion, optimizer
        self.layers = leaves(model)
        self.X, self.lam = X, lam
        self.m = X.shape[0]
        n_linear = 0
        # The notes' name of each boundary: boundary 0 is the input, i + 1 layer i's output.
        self.symbols = [r"a^{(1)}"]
        self.linear_number: dict[int, int] = {}
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Linear):
                n_linear += 1
                self.linear_number[i] = n_linear
                self.symbols.append(f"z^{{({n_linear + 1})}}")
            elif isinstance(layer, Elementwise):
                self.symbols.append(f"a^{{({n_linear + 1})}}")
            else:
                self.symbols.append(f"h_{{{i}}}")
        self.L = n_linear + 1
        self._vectorised(Y)

    # ----------------------------------------------------------------- the batch
    def _vectorised(self, Y: Any) -> None:
        outs = [self.X]
        for i, layer in enumerate(self.layers):
            try:
                outs.append(layer(outs[-1]))
            except ValueError as exc:
                raise ValueError(f"explain: layer {i}: {exc}") from exc
        self.outs = outs
        self.J_data = self.criterion(outs[-1], Y)
        pred = outs[-1]
        k = pred.shape[1] if pred.ndim == 2 else 1
        self.scale = self.criterion.scale(self.m, k)
        self.target = self.criterion.prepare_target(pred.shape, pred.dtype, np.asarray(Y))
        g = self.criterion.backward()
        grads = [g]
        for i in range(len(self.layers) - 1, -1, -1):
            g = self.layers[i].backward_input(g)
            grads.append(g)
        self.grads: list[Array] = grads[::-1]  # grads[i]: ∂J/∂(boundary i)
        # copies: a layer run through its own backward later adds into its gradients
        self.param_grads = {id(p): p.grad.copy() for p in self.model.parameters()}
        opt = self.optimizer
        self.D_opt = {
            id(p): opt.gradient(p, self.m) if opt is not None else l2_gradient(p, self.lam, self.m)
            for p in self.model.parameters()
        }
        self.J = self.J_data + l2_penalty(self.model, self.lam, self.m)

    # ----------------------------------------------------------------- one example
    def forward_one(self, r: int) -> list[Array]:
        vals = [np.asarray(self.X[r], dtype=np.float64)]
        for i, layer in enumerate(self.layers):
            v = vals[-1]
            if isinstance(layer, Linear):
                vals.append(
                    layer.theta[:, 0 if layer.bias is not None else 1 :] @ _with_bias(layer, v)
                )
            elif isinstance(layer, Elementwise):
                with np.errstate(over="ignore"):
                    vals.append(layer.g(v[None, :])[0])
            else:
                vals.append(np.array(self.outs[i + 1][r], dtype=np.float64))
        return vals

    def fused(self) -> bool:
        last = self.layers[-1] if self.layers else None
        return isinstance(fusions.choose(last, self.criterion), fusions.SigmoidBCE)

    def backward_one(self, r: int, vals: list[Array]) -> tuple[dict[int, Array], dict[int, Array]]:
        """``(gradient at each boundary, Δ increment per Linear layer index)`` for example ``r``."""
        n = len(self.layers)
        y = self.target[r : r + 1]
        dl = self.criterion.gradient(vals[n][None, :], y, 1.0)[0]
        at: dict[int, Array] = {n: dl}
        inc: dict[int, Array] = {}
        g = dl
        start = n - 1
        if self.fused():  # the notes' δ^(L) = a^(L) − y, directly
            g = vals[n] - y[0]
            at[n - 1] = g
            start = n - 2
        for i in range(start, -1, -1):
            layer = self.layers[i]
            if isinstance(layer, Linear):
                inc[i] = np.outer(g, _with_bias(layer, vals[i]))
                if i == 0:
                    break  # the notes stop at δ^(2)
                theta = layer.theta if layer.bias is not None else layer.weight.data
                back = theta.T @ g
                g = back[1:] if layer.bias is not None else back
            elif isinstance(layer, Elementwise):
                z, a = vals[i][None, :], vals[i + 1][None, :]
                g = g * layer.g_prime(z, a)[0]
            else:
                G = np.zeros_like(self.outs[i + 1])
                G[r] = g
                g = np.array(layer.backward_input(G)[r], dtype=np.float64)
            at[i] = g
        return at, inc


def trace(
    model: Module,
    criterion: Loss,
    X: Any,
    Y: Any,
    *,
    l2: float | None = None,
    example: int = 0,
    optimizer: Optimizer | None = None,
) -> Trace:
    """Trace one training step for example ``example`` of the batch ``(X, Y)`` (see the module docstring)."""
    if not isinstance(model, Module):
        raise TypeError(f"explain: model is {type(model).__name__}, not an nn.Module")
    if not isinstance(criterion, Loss):
        raise TypeError(f"explain: criterion is {type(criterion).__name__}, not an nn.Loss")
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(f"explain: optimizer is {type(optimizer).__name__}, not an optim.Optimizer")
    lam = check_l2(l2, "explain") if l2 is not None else None
    if optimizer is not None:
        if lam is not None and lam != optimizer.l2:
            raise ValueError(
                f"explain: l2={lam} differs from the optimizer's l2={optimizer.l2}; give one"
            )
        lam = optimizer.l2
    lam = lam or 0.0
    X = np.asarray(X)
    if X.ndim == 1:  # one example
        X = X[None, :]
        Y = np.asarray(Y)[None, ...] if np.asarray(Y).ndim >= 1 else np.asarray([Y])
    X = as_batch(X, "explain", "X")
    params = model.parameters()
    if params and X.dtype != params[0].dtype and X.dtype.kind in "iub":
        X = X.astype(params[0].dtype)
    m = X.shape[0]
    if (
        isinstance(example, bool)
        or not isinstance(example, (int, np.integer))
        or not 0 <= example < m
    ):
        raise ValueError(
            f"explain: example={example!r} must be a row index of X, 0 <= example < {m}"
        )
    example = int(example)
    saved = [(p, p.grad.copy()) for p in params]
    try:
        for p in params:
            p.zero_grad()
        tracer = _Tracer(model, criterion, X, Y, lam, optimizer)
        return _build(tracer, example)
    finally:
        for p, g in saved:
            np.copyto(p.grad, g)


def _build(tr: _Tracer, t: int) -> Trace:
    layers, sym, scale, m = tr.layers, tr.symbols, tr.scale, tr.m
    n = len(layers)
    eqs: list[Equation] = []
    worst = 0.0

    def checked(symbol: str, value: Array, vectorised: Any, what: str) -> Quantity:
        nonlocal worst
        d = _diff(value, vectorised)
        worst = max(worst, d)
        return Quantity(symbol, np.asarray(value), what, d)

    # every example: the notes' loop, accumulating Δ
    Delta: dict[int, Array] = {}
    shown: tuple[list[Array], dict[int, Array], dict[int, Array]] | None = None
    ell_total = 0.0
    for r in range(m):
        vals = tr.forward_one(r)
        at, inc = tr.backward_one(r, vals)
        for i, d in inc.items():
            Delta[i] = Delta[i] + d if i in Delta else d.copy()
        ell_total += tr.criterion.total(vals[n][None, :], tr.target[r : r + 1])
        if r == t:
            shown = (vals, at, inc)
    assert shown is not None
    vals, at, inc = shown
    row = f"row {t} of the batch's"

    # 1. a^(1) := x^(t)
    eqs.append(
        Equation(
            "1",
            "",
            [("text", f"the inputs of example t = {t}, row {t} of X")],
            [Quantity(sym[0], vals[0])],
        )
    )
    # 2. forward propagation
    for i, layer in enumerate(layers):
        where = f"layer {i}: {layer!r}"
        out = sym[i + 1]
        if isinstance(layer, Linear):
            k = tr.linear_number[i]
            theta = layer.theta if layer.bias is not None else layer.weight.data
            formula: Formula = [("math", f"{out} = \\Theta^{{({k})}} {sym[i]}")]
            formula.append(
                ("text", ", with the bias unit ")
                if layer.bias is not None
                else ("text", " (no bias unit)")
            )
            if layer.bias is not None:
                formula.append(("math", f"a_0^{{({k})}} = 1"))
            quantities = [
                Quantity(f"\\Theta^{{({k})}}", theta),
                checked(out, vals[i + 1], tr.outs[i + 1][t], f"{row} ${out.upper()}$"),
            ]
        elif isinstance(layer, Elementwise):
            g, _ = activation_formulas(type(layer))
            formula = [("math", f"{out} = g({sym[i]})"), ("text", f", {type(layer).__name__}: ")]
            formula += g or [("text", f"{type(layer).__name__}.g")]
            quantities = [checked(out, vals[i + 1], tr.outs[i + 1][t], f"{row} ${out.upper()}$")]
        else:
            formula = [
                ("math", f"{out} = \\text{{{type(layer).__name__}}}({sym[i]})"),
                ("text", f": {_summary(type(layer))}"),
            ]
            quantities = [Quantity(out, vals[i + 1], f"{row} output (run by the layer itself)")]
        eqs.append(Equation("2", where, formula, quantities))
    # the cost
    ell, grad_formula = loss_formulas(type(tr.criterion))
    ell_t = tr.criterion.total(vals[n][None, :], tr.target[t : t + 1])
    cost: Formula = [("text", f"{tr.criterion!r}: ")] + (ell or [("text", "its total")])
    quantities = [
        Quantity("y^{(t)}", np.asarray(tr.target[t], dtype=np.float64)),
        Quantity(r"\ell^{(t)} = \sum_k \ell_k", np.array(ell_t)),
        checked(
            r"J(\Theta) = c\sum_t \ell^{(t)} + \frac{\lambda}{2m}\sum\Theta^2",
            np.array(scale * ell_total + (tr.J - tr.J_data)),
            tr.J,
            "the batch's criterion + l2_penalty",
        ),
    ]
    factor = {"batchmean": "1/m", "sum": "1", "mean": "1/(mK)"}.get(tr.criterion.reduction, "")
    value = f"c = {factor}" + ("" if factor == "1" else f" = {scale:.6g}")
    where = f"{value} (reduction={tr.criterion.reduction!r}), m = {m}, λ = {tr.lam:g}"
    eqs.append(Equation("J", where, cost, quantities))
    # 3. δ^(L)
    last = layers[-1] if layers else None
    grad_text = grad_formula or [("text", f"{type(tr.criterion).__name__}.gradient")]
    if tr.fused():
        formula = [("math", r"\delta^{(L)} = a^{(L)} - y"), ("text", ": the loss's ")]
        formula += grad_text
        formula += [
            ("text", " for one example, times the sigmoid's "),
            ("math", "g'(z^{(L)}) = a(1 - a)"),
        ]
        zL = sym[n - 1]
        quantities = [
            Quantity(r"\partial\ell/\partial a^{(L)}", at[n]),
            checked(f"\\delta^{{({tr.L})}}", at[n - 1], tr.grads[n - 1][t] / scale, _by_c(row, zL)),
        ]
        top = n - 2
    else:
        name = sym[n]
        formula = [("math", f"\\partial\\ell/\\partial {name}"), ("text", " = the loss's ")]
        formula += grad_text
        symbol = (
            f"\\delta^{{({tr.L})}}"
            if isinstance(last, Linear)
            else f"\\partial\\ell/\\partial {name}"
        )
        quantities = [checked(symbol, at[n], tr.grads[n][t] / scale, _by_c(row, name))]
        top = n - 1
    eqs.append(Equation("3", f"{tr.criterion!r}", formula, quantities))
    # 4. the δ chain
    deltas: dict[int, Array] = {}
    for i in range(n - 1, -1, -1):
        if i + 1 in at and isinstance(layers[i], Linear):
            deltas[tr.linear_number[i] + 1] = at[i + 1]
    for i in range(top, 0, -1):
        if i not in at:
            continue
        layer = layers[i]
        where = f"layer {i}: {layer!r}"
        below = sym[i]
        target_symbol = (
            f"\\delta^{{({tr.linear_number[i - 1] + 1})}}"
            if i - 1 in tr.linear_number
            else f"\\partial\\ell/\\partial {below}"
        )
        if isinstance(layer, Linear):
            k = tr.linear_number[i]
            formula = [
                (
                    "math",
                    f"\\partial\\ell/\\partial {below} = (\\Theta^{{({k})}})^\\top\\delta^{{({k + 1})}}",
                ),
                ("text", ", without the bias unit's row" if layer.bias is not None else ""),
            ]
            quantities = [
                checked(
                    f"\\partial\\ell/\\partial {below}",
                    at[i],
                    tr.grads[i][t] / scale,
                    _by_c(row, below),
                )
            ]
        elif isinstance(layer, Elementwise):
            _, gp = activation_formulas(type(layer))
            formula = [
                (
                    "math",
                    f"{target_symbol} = \\partial\\ell/\\partial {sym[i + 1]} \\odot g'({below})",
                )
            ]
            formula += [("text", f", {type(layer).__name__}: ")]
            formula += gp or [("text", f"{type(layer).__name__}.g_prime")]
            with np.errstate(over="ignore"):
                gpv = layer.g_prime(vals[i][None, :], vals[i + 1][None, :])[0]
            quantities = [
                Quantity(f"g'({below})", gpv),
                checked(target_symbol, at[i], tr.grads[i][t] / scale, _by_c(row, below)),
            ]
        else:
            formula = [
                (
                    "math",
                    f"{target_symbol} = \\text{{{type(layer).__name__}.backward}}(\\partial\\ell/\\partial {sym[i + 1]})",
                ),
                ("text", " (the layer's own backward, of a gradient that is zero outside row t)"),
            ]
            quantities = [checked(target_symbol, at[i], tr.grads[i][t] / scale, _by_c(row, below))]
        # the last activation's factor belongs to step 3, δ^(L)
        eqs.append(Equation("3" if i == n - 1 else "4", where, formula, quantities))
    # 5. Δ and D
    gradients: list[Equation] = []
    D: dict[int, Array] = {}
    D_applied: dict[int, Array] = {}
    increments: dict[int, Array] = {}
    Delta_by_k: dict[int, Array] = {}
    for i, layer in enumerate(layers):
        if not isinstance(layer, Linear):
            continue
        k = tr.linear_number[i]
        a_sym = sym[i]
        vec = tr.param_grads[id(layer.bias)] if layer.bias is not None else None
        grad = _theta_layout(layer, tr.param_grads[id(layer.weight)], vec) / scale
        increments[k], Delta_by_k[k] = inc[i], Delta[i]
        eqs.append(
            Equation(
                "5",
                f"layer {i}: {layer!r}",
                [
                    (
                        "math",
                        f"\\Delta^{{({k})}} := \\Delta^{{({k})}} + \\delta^{{({k + 1})}}({a_sym})^\\top",
                    )
                ],
                [
                    Quantity(f"\\delta^{{({k + 1})}}({a_sym})^\\top", inc[i]),
                    checked(
                        f"\\Delta^{{({k})}} = \\sum_t \\delta^{{({k + 1})(t)}}(a^{{({k})(t)}})^\\top",
                        Delta[i],
                        grad,
                        f"the batch's gradient divided by $c$ ({m} examples in one matrix product)",
                    ),
                ],
            )
        )
        theta = layer.theta if layer.bias is not None else layer.weight.data
        D_k = scale * Delta[i]
        lam_m = tr.lam / m
        if layer.bias is not None:
            if decays(layer.weight):
                D_k[:, 1:] += lam_m * theta[:, 1:]
            if decays(layer.bias):
                D_k[:, 0] += lam_m * theta[:, 0]
        elif decays(layer.weight):
            D_k += lam_m * theta
        applied = _theta_layout(
            layer,
            tr.D_opt[id(layer.weight)],
            tr.D_opt[id(layer.bias)] if layer.bias is not None else None,
        )
        D[k], D_applied[k] = D_k, applied
        exempt = layer.bias is not None and not decays(layer.bias)
        if abs(scale - 1.0 / m) < 1e-15 * max(1.0, scale):
            head = f"D^{{({k})}} = \\frac{{1}}{{m}}\\left(\\Delta^{{({k})}} + \\lambda\\Theta^{{({k})}}\\right)"
        else:
            head = f"D^{{({k})}} = c\\,\\Delta^{{({k})}} + \\frac{{\\lambda}}{{m}}\\Theta^{{({k})}}"
        formula = [("math", head)]
        if exempt:
            formula += [("text", ", column 0 (the bias unit) without "), ("math", r"\lambda\Theta")]
        gradients.append(
            Equation(
                "D",
                f"layer {i}: {layer!r}",
                formula,
                [checked(f"D^{{({k})}}", D_k, applied, "what the optimizer applies")],
            )
        )
    for i, layer in enumerate(layers):
        if isinstance(layer, Linear) or not layer.parameters():
            continue
        for name, p in layer.named_parameters():
            gradients.append(
                Equation(
                    "D",
                    f"layer {i}: {layer!r}",
                    [
                        (
                            "math",
                            f"D_{{\\text{{{name}}}}} = \\partial J/\\partial\\,\\text{{{name}}}",
                        ),
                        ("text", ", from the layer's own backward"),
                    ],
                    [
                        Quantity(
                            f"D_{{\\text{{{name}}}}}", tr.D_opt[id(p)], "what the optimizer applies"
                        )
                    ],
                )
            )
    return Trace(
        equations=eqs + gradients,
        example=t,
        m=m,
        l2=tr.lam,
        criterion=repr(tr.criterion),
        model=" → ".join(type(layer).__name__ for layer in layers),
        J=tr.J,
        deltas=deltas,
        increments=increments,
        Delta=Delta_by_k,
        D=D,
        D_applied=D_applied,
        max_difference=worst,
    )
