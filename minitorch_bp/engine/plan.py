r"""Planning one training step: buffers, fusions and the order of the numpy calls.

Given the layers of a model (nested ``Sequential`` flattened), the criterion and the
shapes of one batch, :func:`build` writes the step as a :class:`~minitorch_bp.engine.program.Program`:

- every intermediate array (:math:`z`, :math:`a`, :math:`\delta`, scratch) is allocated
  once and reused by every step of that shape; gradients are written straight into
  ``p.grad``; nothing is allocated per step;
- ``Linear`` runs as ``np.dot`` calls on its own parameter arrays (the bias unit's
  gradient as :math:`\delta^\top\mathbf{1}`, the notes' :math:`a_0 = 1`), the first one
  without the product that would give :math:`\partial J/\partial X`;
- element-wise activations call the layer's own :meth:`~minitorch_bp.nn.Elementwise.g`
  and :meth:`~minitorch_bp.nn.Elementwise.g_prime` on the buffers, so the maths has one
  home; ``Dropout`` draws its mask with the layer's own generator;
- the loss and the last activation are fused where the notes fuse them
  (:mod:`minitorch_bp.engine.fusions`);
- NaN and inf are looked for in each ``Linear``'s output (one dot product, as the plain
  layer does) and in :math:`J`; the error replays the plain layers to name the cause;
- ``Flatten`` and ``Unflatten`` are views (a reshape of the plan's array, no copy);
- any other module (``Conv2d``, the pools, ``BatchNorm``, ``Residual``, a user's module...)
  runs through its own ``forward`` and ``backward``: correct, not faster. Its result is
  used as it comes (a local of the program, no copy), except the model's output, which
  is copied into the plan's buffer; what such a module allocates, it allocates as in the
  plain loop, and ``BatchNorm`` updates its running statistics and follows ``train()`` /
  ``eval()`` exactly as there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.engine import fusions
from minitorch_bp.engine.program import Program
from minitorch_bp.nn.activation import Elementwise
from minitorch_bp.nn.container import Sequential
from minitorch_bp.nn.dropout import Dropout
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.reshape import Flatten, Unflatten

Array = NDArray[Any]
#: The modules the plan writes as a reshape (a view of the array, no copy).
RESHAPES = (Flatten, Unflatten)
#: The modules the plan writes itself; every other one runs its own forward and backward.
PLANNED = (Linear, Dropout, Elementwise, *RESHAPES)


def leaves(model: Module) -> list[Module]:
    """The modules a step runs, in order: nested ``Sequential`` containers flattened."""
    if isinstance(model, Sequential):
        return [leaf for child in model for leaf in leaves(child)]
    return [model]


@dataclass
class Plan:
    r"""The compiled step for one batch shape and dtype.

    Attributes:
        run: ``run(X, Y) -> float`` (``run(X, Y, S)`` with sample weights ``S``), forward,
            the criterion's value (no λ term) and the backward into every trained parameter's
            ``grad`` (a frozen one's is left as it is).
        output: the buffer holding the model's output after ``run``.
        deltas: ``{l: buffer}`` with :math:`\partial J/\partial z^{(l)}` at the output of
            each ``Linear`` after ``run`` (the notes' scaled :math:`\delta^{(l)}`).
        outputs: the buffer of each layer's output (``outputs[i]`` is layer ``i``'s), after
            ``run``; ``None`` for a module run through its own forward, whose result is in
            ``kept[i]`` after ``run`` instead.
        kept: the last results of the modules run through their own forward (or views).
        source: the program's source, one numpy call per line.
    """

    run: Callable[..., float]
    output: Array
    deltas: dict[int, Array] = field(default_factory=dict)
    outputs: list[Array | None] = field(default_factory=list)
    kept: list[Array | None] = field(default_factory=list)
    source: str = ""
    #: The batch this plan is for: its shape and dtype, and the criterion's reduction.
    input_shape: tuple[int, ...] = ()
    dtype: np.dtype[Any] = field(default_factory=lambda: np.dtype(np.float64))
    reduction: str = ""
    #: ``(shape, dtype)`` of a target the criterion takes as it is (set on first use).
    target: tuple[tuple[int, ...], np.dtype[Any]] | None = None
    #: ``Parameter.freeze_changes`` when the plan was made: which gradients it computes.
    freeze: int = 0
    #: Whether the plan takes sample weights.
    weighted: bool = False


class _Builder:
    """Writes the lines of one plan (see :func:`build`)."""

    def __init__(
        self,
        layers: Sequence[Module],
        criterion: Loss,
        shapes: Sequence[tuple[int, ...]],
        dtype: np.dtype[Any],
        float_input: bool = True,
        weighted: bool = False,
    ) -> None:
        self.p = Program()
        self.float_input = float_input
        self.weighted = weighted  # the step gets sample weights S
        self.layers = list(layers)
        self.criterion = criterion
        self.shapes = list(shapes)  # shapes[0] is X's, shapes[i + 1] is layer i's output
        self.dtype = dtype
        self.m = shapes[0][0]
        self.written: set[int] = set()  # parameters whose gradient is already written
        self.deltas: dict[int, str] = {}
        self.masks: dict[int, str] = {}
        #: Names that are locals of the program (a module's own result, a view), not buffers.
        self.locals: set[str] = set()
        self.ones = np.ones(self.m, dtype=dtype)
        p = self.p
        for name, fn in (
            ("dot", np.dot),
            ("add", np.add),
            ("subtract", np.subtract),
            ("multiply", np.multiply),
            ("copyto", np.copyto),
            ("vdot", np.vdot),
        ):
            p.namespace[name] = fn
        p.namespace["isfinite"] = math.isfinite
        p.namespace["fail"] = lambda X, Y: diagnose(self.layers, criterion, X, Y)

    def buffer(self, shape: tuple[int, ...], prefix: str) -> str:
        return self.p.name(np.empty(shape, dtype=self.dtype), prefix)

    def local(self, name: str) -> str:
        self.locals.add(name)
        return name

    def scalar(self, value: float) -> str:
        # A 0-d array: ufuncs take it about 40 % faster than a Python float.
        return self.p.name(np.array(value, dtype=self.dtype), "c")

    # ----------------------------------------------------------------- forward
    def forward(self, loss: fusions.LossEnd) -> list[str]:
        """Emit the forward lines; return the name of every layer's output (index i + 1).

        The loss end may take over the last layer's forward (a fused pair).
        """
        names = ["X"]
        if not any(isinstance(m, Linear) for m in self.layers) and self.float_input:
            self.p.emit("if not isfinite(vdot(X, X)): fail(X, Y)", "NaN/inf in the batch")
        for i, module in enumerate(self.layers):
            last = i == len(self.layers) - 1
            if not last and not isinstance(module, (Linear, Dropout, Elementwise)):
                out = self.local(f"y{i + 1}")
            else:
                kind = "z" if isinstance(module, Linear) else "a"
                out = self.buffer(self.shapes[i + 1], f"{kind}{i + 1}")
            if not (last and loss.emit_forward(self, i, module, names[-1], out)):
                self.forward_layer(i, module, names[-1], out)
            names.append(out)
        return names

    def forward_layer(self, i: int, module: Module, x: str, out: str) -> None:
        p = self.p
        if isinstance(module, Linear):
            WT = p.name(module.weight.data.T, f"W{i}T")
            p.emit(f"dot({x}, {WT}, {out})", f"z = a Wᵀ   (layer {i}, Linear)")
            if module.bias is not None:
                # A broadcast z += b makes numpy allocate a transient buffer (up to 64 KB)
                # on every call; copying b into rows first allocates nothing, at the same cost.
                b = p.name(module.bias.data, f"b{i}")
                rows = self.buffer((self.m, module.out_features), f"brows{i}")
                p.emit(f"copyto({rows}, {b})", "  + b, copied into rows")
                p.emit(f"add({out}, {rows}, {out})")
            # As each plain Linear does: NaN or inf in its input or its parameters always
            # reaches z (inf·0 is NaN), so one dot product of z covers them. A saturating
            # sigmoid after it would hide them from J.
            p.emit(f"if not isfinite(vdot({out}, {out})): fail(X, Y)", "NaN/inf in z")
        elif isinstance(module, Dropout):
            mod = p.name(module, f"m{i}")
            mask = self.masks[i] = self.buffer(self.shapes[i + 1], f"mask{i}")
            uniform = p.name(np.empty(self.shapes[i + 1]), f"u{i}")
            shape = self.shapes[i + 1]
            p.emit(f"if {mod}.training and {mod}.p:", f"layer {i}, Dropout")
            p.indent(1)
            p.emit(f"{mod}.draw_mask({shape!r}, {mask}.dtype, {mask}, {uniform})")
            p.emit(f"multiply({x}, {mask}, {out})")
            p.indent(-1)
            p.emit("else:")
            p.indent(1)
            p.emit(f"copyto({out}, {x})")
            p.indent(-1)
        elif isinstance(module, Elementwise):
            mod = p.name(module, f"m{i}")
            p.emit(f"{mod}.g({x}, {out})", f"a = g(z)   (layer {i}, {type(module).__name__})")
        elif isinstance(module, RESHAPES) and out in self.locals:
            p.emit(
                f"{out} = {x}.reshape({self.shapes[i + 1]!r})",
                f"layer {i}, {_kind(module)}: a view",
            )
            p.emit(f"kept[{i}] = {out}", "  kept for Step.layer_outputs")
        elif out in self.locals:
            mod = p.name(module, f"m{i}")
            p.emit(f"{out} = {mod}({x})", f"layer {i}, {_kind(module)}: its own forward")
            p.emit(f"kept[{i}] = {out}", "  kept for Step.layer_outputs")
        else:
            mod = p.name(module, f"m{i}")
            p.emit(f"copyto({out}, {mod}({x}))", f"layer {i}, {_kind(module)}: its own forward")

    # ----------------------------------------------------------------- backward
    def backward(self, names: list[str], grad: str, start: int) -> None:
        """Emit the δ chain from layer ``start`` down, ``grad`` holding ∂J/∂(its output)."""
        # The first layer with a parameter to train: below it no δ is needed (frozen
        # layers, requires_grad=False, need none of their own either).
        first = next(
            (i for i, m in enumerate(self.layers) if any(p.requires_grad for p in m.parameters())),
            None,
        )
        n_linear = sum(isinstance(m, Linear) for m in self.layers[: start + 1])
        for i in range(start, -1, -1):
            if first is None or i < first:
                break
            module = self.layers[i]
            x = names[i]
            need_input = i > first
            if isinstance(module, Linear):
                if grad in self.locals:  # a module's own result: into a buffer, for deltas
                    buffered = self.buffer(self.shapes[i + 1], f"d{i + 1}")
                    self.p.emit(f"copyto({buffered}, {grad})", "δ into the plan's buffer")
                    grad = buffered
                self.deltas[n_linear + 1] = grad
                n_linear -= 1
                new = self.backward_linear(i, module, x, grad, need_input)
            elif isinstance(module, Dropout):
                mod = self.p.name(module, f"m{i}")
                mask = self.masks[i]
                self.p.emit(
                    f"if {mod}.training and {mod}.p: multiply({grad}, {mask}, {grad})",
                    f"layer {i}, Dropout",
                )
                new = grad
            elif isinstance(module, Elementwise):
                mod = self.p.name(module, f"m{i}")
                tmp = self.buffer(self.shapes[i + 1], f"gp{i}")
                self.p.emit(
                    f"{mod}.g_prime({x}, {names[i + 1]}, {tmp})",
                    f"g'(z)   (layer {i}, {type(module).__name__})",
                )
                self.p.emit(f"multiply({grad}, {tmp}, {grad})", "δ = (Θᵀδ) ⊙ g'(z)")
                new = grad
            elif isinstance(module, RESHAPES):
                # One name for every δ that is a module's own result: rebinding it frees the
                # previous one, as the plain loop's ``g = module.backward_input(g)`` does.
                new = self.local("g")
                self.p.emit(
                    f"{new} = {grad}.reshape({self.shapes[i]!r})",
                    f"layer {i}, {_kind(module)}: a view",
                )
            else:
                mod = self.p.name(module, f"m{i}")
                if need_input:
                    new = self.local("g")
                    self.p.emit(
                        f"{new} = {mod}.backward_input({grad})",
                        f"layer {i}, {_kind(module)}: its own backward",
                    )
                else:
                    self.p.emit(
                        f"{mod}.backward_params({grad})",
                        f"layer {i}, {_kind(module)}: its own backward",
                    )
                    new = grad
            grad = new

    def grad_target(self, param: Parameter, prefix: str) -> tuple[str, str | None]:
        """The name to write ``param``'s gradient into, and the name to add it to if shared."""
        g = self.p.name(param.grad, prefix)
        if id(param) not in self.written:
            self.written.add(id(param))
            return g, None
        tmp = self.p.name(np.empty_like(param.grad), prefix + "_tmp")
        return tmp, g

    def write_grad(self, call: str, param: Parameter, prefix: str, comment: str) -> None:
        target, accumulate = self.grad_target(param, prefix)
        self.p.emit(call.format(out=target), comment)
        if accumulate is not None:
            self.p.emit(
                f"add({accumulate}, {target}, {accumulate})", "  (a shared parameter: accumulate)"
            )

    def backward_linear(self, i: int, module: Linear, x: str, grad: str, need_input: bool) -> str:
        p = self.p
        gT = p.name(p.namespace[grad].T, f"{grad}T")
        if module.weight.requires_grad:  # a frozen weight needs no δᵀa product
            self.write_grad(
                f"dot({gT}, {x}, {{out}})",
                module.weight,
                f"gW{i}",
                f"∂J/∂W = δᵀa   (step 5: Δ += δ aᵀ; layer {i})",
            )
        if module.bias is not None and module.bias.requires_grad:
            ones = p.name(self.ones, "ones")
            self.write_grad(
                f"dot({ones}, {grad}, {{out}})",
                module.bias,
                f"gb{i}",
                "∂J/∂b = δᵀ1   (the bias unit a₀ = 1)",
            )
        if not need_input:
            return grad
        W = p.name(module.weight.data, f"W{i}")
        d = self.buffer(self.shapes[i], f"d{i}")
        p.emit(f"dot({grad}, {W}, {d})", "Θᵀδ   (without the bias row)")
        return d


def build(
    layers: Sequence[Module],
    criterion: Loss,
    shapes: Sequence[tuple[int, ...]],
    dtype: np.dtype[Any],
    zero: Sequence[Parameter],
    input_dtype: np.dtype[Any] | None = None,
    weighted: bool = False,
) -> Plan:
    """Write and compile the step for a batch whose layer outputs have ``shapes``.

    Args:
        layers: the flattened modules (see :func:`leaves`).
        criterion: the loss.
        shapes: ``shapes[0]`` is the batch's, ``shapes[i + 1]`` layer ``i``'s output.
        dtype: the model's dtype (of every buffer).
        zero: parameters whose gradients the program must zero first (those it does not
            overwrite itself: an optimizer's parameters outside the model, a module run
            through its own backward).
        input_dtype: the batch's dtype, when it is not ``dtype`` (integer indices for an
            ``Embedding``).
        weighted: the step gets sample weights (``run(X, Y, S)``).
    """
    in_dtype = np.dtype(dtype if input_dtype is None else input_dtype)
    b = _Builder(layers, criterion, shapes, dtype, in_dtype.kind == "f", weighted)
    p = b.p
    # The results of the modules run through their own forward are locals of the program;
    # it keeps a reference to each here (no copy) for Step.layer_outputs.
    p.namespace["kept"] = [None] * len(layers)
    for i, param in enumerate(zero):
        p.emit(f"{p.name(param.grad, f'gz{i}')}.fill(0)", "a gradient the plan does not overwrite")
        b.written.add(id(param))
    for i, module in enumerate(layers):
        if not isinstance(module, PLANNED):
            for param in module.parameters():
                if id(param) not in b.written:
                    p.emit(
                        f"{p.name(param.grad, f'gz{i}')}.fill(0)",
                        "run by its own backward: accumulates",
                    )
                    b.written.add(id(param))
    loss = fusions.choose(layers[-1] if layers else None, criterion, weighted)
    names = b.forward(loss)
    forward_end = p.mark()
    pred = names[-1]
    start = loss.emit(b, pred, names[-2] if len(names) > 1 else "X")
    if start >= 0:
        b.backward(names, loss.delta, start)
    # A module's own result that the δ chain does not read is let go after the line that
    # last reads it, as the plain loop lets it go once the next layer has run.
    unused = [n for n in names[1:] if n in b.locals and not p.reads(n, after=forward_end)]
    for at, name in sorted(((p.last_read(n, before=forward_end), n) for n in unused), reverse=True):
        p.insert(at + 1, f"del {name}", "not needed by the δ chain")
    run = p.compile("X, Y, S" if weighted else "X, Y", "J")
    return Plan(
        run=run,
        output=p.namespace[pred] if pred != "X" else np.empty(0),
        deltas={l: p.namespace[name] for l, name in b.deltas.items()},
        outputs=[p.namespace.get(name) for name in names[1:]],
        kept=p.namespace["kept"],
        source=p.text,
        input_shape=tuple(shapes[0]),
        dtype=in_dtype,
        reduction=criterion.reduction,
        freeze=Parameter.freeze_changes,
        weighted=weighted,
    )


def _kind(module: Module) -> str:
    return type(module).__name__


def diagnose(layers: Sequence[Module], criterion: Loss, X: Array, Y: Array) -> None:
    """Raise the error the plain layers give for this batch, for a step that found NaN or inf.

    The layers run one by one (each ``Linear`` names a NaN or inf in its input or its
    parameters), then the criterion (which names one in the prediction or the target).
    """
    # The replay is for the message only: running statistics it would update are restored.
    saved = [(b, b.copy()) for module in layers for b in module.buffers()]
    x = X
    try:
        for i, module in enumerate(layers):
            try:
                x = module(x)
            except (ValueError, FloatingPointError) as exc:
                raise type(exc)(f"layer {i}: {exc}") from None
        criterion(x, Y)
    finally:
        for buffer, value in saved:
            np.copyto(buffer, value)
    raise FloatingPointError(
        "compile_step: the step met NaN or inf from finite data and parameters (an overflow);"
        " lower the learning rate or scale the data"
    )
