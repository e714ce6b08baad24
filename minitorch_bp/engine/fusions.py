r"""The loss end of a step: :math:`J` and the first :math:`\delta`, fused where the notes fuse them.

- ``Sigmoid`` then ``BCELoss``: the notes' :math:`\delta^{(L)} = a^{(L)} - y` (times the
  reduction's scale) is written directly, instead of dividing by :math:`a(1-a)` in the
  loss and multiplying back in the sigmoid. The two agree to rounding where
  :math:`a(1-a) \ge 10^{-12}`; where the sigmoid has saturated the fused form is still
  exactly :math:`a - y` (the layer-by-layer chain, like PyTorch's, gives less there).
- ``MSELoss``: the residual :math:`\hat y - y` is computed once, for :math:`J` and for
  :math:`\partial J/\partial\hat y`.
- any other loss: its own :meth:`~minitorch_bp.nn.Loss.total` and
  :meth:`~minitorch_bp.nn.Loss.gradient`, on buffers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

from minitorch_bp.nn.activation import Sigmoid
from minitorch_bp.nn.loss import BCELoss, Loss, MSELoss
from minitorch_bp.nn.module import Module

if TYPE_CHECKING:
    from minitorch_bp.engine.plan import _Builder

Array = NDArray[Any]


class LossEnd:
    """How a plan computes :math:`J` and the gradient that starts the δ chain."""

    #: The name of the buffer holding the first gradient, after :meth:`emit`.
    delta: str = ""

    def emit(self, b: _Builder, pred: str, before: str) -> int:
        """Emit :math:`J` and the first gradient; return the layer the chain starts at."""
        raise NotImplementedError

    def _value(self, b: _Builder, pred: str, scratch: list[str]) -> str:
        """Emit ``J = scale·Σℓ`` and its finiteness check; return the criterion's name."""
        p = b.p
        crit = p.name(b.criterion, "crit")
        k = b.shapes[-1][1] if len(b.shapes[-1]) > 1 else 1
        scale = b.criterion.scale(b.m, k)
        p.namespace["fail_loss"] = fail_loss
        listed = "(" + "".join(f"{s}, " for s in scratch) + ")"
        p.emit(
            f"J = {scale!r} * {crit}.total({pred}, Y, {listed})",
            f"J   ({type(b.criterion).__name__}, {b.criterion.reduction})",
        )
        p.emit(f"if not isfinite(J): fail_loss({crit}, {pred}, Y)", "NaN/inf in J")
        self.scale = scale
        return crit


class SigmoidBCE(LossEnd):
    """``Sigmoid`` then ``BCELoss``: :math:`\\delta^{(L)} = \\text{scale}\\,(a^{(L)} - y)`."""

    def emit(self, b: _Builder, pred: str, before: str) -> int:
        p = b.p
        crit = p.name(b.criterion, "crit")
        p.emit(f"{crit}.check_values({pred}, Y)", "predictions and targets in [0, 1]")
        scratch = [b.buffer(b.shapes[-1], "s") for _ in range(2)]
        self._value(b, pred, scratch)
        d = b.buffer(b.shapes[-1], f"d{len(b.layers) - 1}")
        p.emit(f"subtract({pred}, Y, {d})", "δ^(L) = a^(L) − y   (Sigmoid + BCELoss, fused)")
        if self.scale != 1.0:
            p.emit(f"multiply({d}, {b.scalar(self.scale)}, {d})", "  × the reduction's 1/m")
        self.delta = d
        return len(b.layers) - 2


class SquaredError(LossEnd):
    """``MSELoss``: the residual :math:`\\hat y - y` once, for :math:`J` and the gradient."""

    def emit(self, b: _Builder, pred: str, before: str) -> int:
        d = b.buffer(b.shapes[-1], f"d{len(b.layers) - 1}")
        self._value(b, pred, [d])  # MSELoss.total leaves ŷ − y in its scratch
        if self.scale != 1.0:
            b.p.emit(f"multiply({d}, {b.scalar(self.scale)}, {d})", "∂J/∂ŷ = scale·(ŷ − y)")
        else:
            b.p.emit("pass", "∂J/∂ŷ = ŷ − y, already in the residual")
        self.delta = d
        return len(b.layers) - 1


class Generic(LossEnd):
    """Any loss: its own ``total`` and ``gradient``, on the plan's buffers."""

    def emit(self, b: _Builder, pred: str, before: str) -> int:
        p = b.p
        crit = p.name(b.criterion, "crit")
        p.emit(f"{crit}.check_values({pred}, Y)", "the loss's own value checks")
        scratch = [b.buffer(b.shapes[-1], "s") for _ in range(type(b.criterion).scratch_arrays)]
        self._value(b, pred, scratch)
        d = b.buffer(b.shapes[-1], f"d{len(b.layers) - 1}")
        p.emit(f"{crit}.gradient({pred}, Y, {self.scale!r}, {d})", "∂J/∂(prediction)")
        self.delta = d
        return len(b.layers) - 1


def choose(last: Module | None, criterion: Loss) -> LossEnd:
    """The loss end for a model whose last layer is ``last``."""
    if type(criterion) is BCELoss and type(last) is Sigmoid:
        return SigmoidBCE()
    if type(criterion) is MSELoss:
        return SquaredError()
    return Generic()


def fail_loss(criterion: Loss, pred: Array, target: Array) -> None:
    """Raise the error the plain criterion gives for these values, or say J overflowed."""
    value = criterion(pred, target)  # its checks name the first NaN or inf
    if not math.isfinite(value):
        raise FloatingPointError(
            f"{type(criterion).__name__}: J = {value} from finite predictions and targets"
            " (overflow); lower the learning rate or scale the data"
        )
    raise FloatingPointError(f"{type(criterion).__name__}: J was not finite")
