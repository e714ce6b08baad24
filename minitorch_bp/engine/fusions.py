r"""The loss end of a step: :math:`J` and the first :math:`\delta`, fused where the notes fuse them.

- ``Sigmoid`` then ``BCELoss``: the notes' :math:`\delta^{(L)} = a^{(L)} - y` (times the
  reduction's scale) is written directly, instead of dividing by :math:`a(1-a)` in the
  loss and multiplying back in the sigmoid. The two agree to rounding where
  :math:`a(1-a) \ge 10^{-12}`; where the sigmoid has saturated the fused form is still
  exactly :math:`a - y` (the layer-by-layer chain, like PyTorch's, gives less there).
- ``MSELoss``: the residual :math:`\hat y - y` is computed once, for :math:`J` and for
  :math:`\partial J/\partial\hat y`.
- any other loss, and these two with options (class weights, ``pos_weight``...) or
  ``sample_weight``: its own :meth:`~minitorch_bp.nn.Loss.total` and
  :meth:`~minitorch_bp.nn.Loss.gradient`, on buffers; where the reduction's factor
  depends on the batch (sample weights, class weights on labels, ignored labels) it is
  the loss's own :meth:`~minitorch_bp.nn.Loss.batch_scale`, each step
  (:func:`weighted_end`). So every option gives the plain loss's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn import functional as F
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

    def emit_forward(self, b: _Builder, i: int, module: Module, x: str, out: str) -> bool:
        """Emit the last layer's forward instead of the plan (``True``), or leave it (``False``)."""
        return False

    def _value(self, b: _Builder, pred: str, scratch: list[str]) -> str:
        """Emit ``J = scale·Σℓ`` and its finiteness check; return the criterion's name."""
        p = b.p
        crit = p.name(b.criterion, "crit")
        k = b.shapes[-1][1] if len(b.shapes[-1]) > 1 else 1
        scale = b.criterion.scale(b.m, k)
        listed = "(" + "".join(f"{s}, " for s in scratch) + ")"
        p.emit(
            f"J = {scale!r} * {crit}.total({pred}, Y, {listed})",
            f"J   ({type(b.criterion).__name__}, {b.criterion.reduction})",
        )
        p.emit("if not isfinite(J): fail(X, Y)", "NaN/inf in J")
        self.scale = scale
        return crit


class SigmoidBCE(LossEnd):
    r"""``Sigmoid`` then ``BCELoss``: :math:`\delta^{(L)} = \text{scale}\,(a^{(L)} - y)`, and :math:`J` from :math:`1 + e^{-z}`.

    With :math:`t = 1 + e^{-z}` (the sigmoid's denominator, kept), :math:`-\log a = \log t`
    and :math:`-\log(1 - a) = \log t + z`, so the notes' cost per element is
    :math:`y\log t + (1 - y)(\log t + z)` and
    :math:`\sum \ell = \sum(\log t + z) - \sum y z`: one log instead of two. Where a log
    would reach BCELoss's clamp at 100 (:math:`|z| \gtrsim 100`), the loss's own
    ``total`` runs instead, so :math:`J` is always BCELoss's value.
    """

    def emit_forward(self, b: _Builder, i: int, module: Module, x: str, out: str) -> bool:
        p = b.p
        self.t = b.buffer(b.shapes[i + 1], "t")
        self.z = x
        p.namespace["sigmoid"] = F.sigmoid_unguarded
        p.emit(
            f"sigmoid({x}, {out}, {self.t})",
            f"a = g(z), keeping t = 1 + e^-z   (layer {i}, Sigmoid)",
        )
        return True

    def emit(self, b: _Builder, pred: str, before: str) -> int:
        p = b.p
        crit = p.name(b.criterion, "crit")
        # a sigmoid's output lies in [0, 1] (NaN shows up in J): only the targets are checked
        p.emit(f"{crit}.check_probabilities(Y, 'target')", "targets in [0, 1]")
        s1, s2 = (b.buffer(b.shapes[-1], "s") for _ in range(2))
        k = b.shapes[-1][1]
        self.scale = b.criterion.scale(b.m, k)
        p.namespace["bce_from_t"] = bce_from_denominator
        p.emit(
            f"J = {self.scale!r} * bce_from_t({self.t}, {self.z}, {pred}, Y, {s1}, {s2}, {crit})",
            f"J = Σ(log t + z) − Σ y·z   (BCELoss, {b.criterion.reduction})",
        )
        p.emit("if not isfinite(J): fail(X, Y)", "NaN/inf in J")
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
        d = b.buffer(b.shapes[-1], f"d{len(b.layers) - 1}")
        if b.weighted or not b.criterion.fixed_scale:
            p.namespace["weighted_end"] = weighted_end
            listed = "(" + "".join(f"{s}, " for s in scratch) + ")"
            p.emit(
                f"J = weighted_end({crit}, {pred}, Y, {'S' if b.weighted else None}, {listed}, {d})",
                f"J and ∂J/∂(prediction), scaled by 1/W of this batch   ({type(b.criterion).__name__})",
            )
            p.emit("if not isfinite(J): fail(X, Y)", "NaN/inf in J")
        else:
            self._value(b, pred, scratch)
            p.emit(f"{crit}.gradient({pred}, Y, {self.scale!r}, {d})", "∂J/∂(prediction)")
        self.delta = d
        return len(b.layers) - 1


def weighted_end(
    criterion: Loss, pred: Array, y: Array, s: Array | None, scratch: Sequence[Array], out: Array
) -> float:
    r""":math:`J` and the gradient into ``out`` for a reduction that depends on the batch.

    The loss's own :meth:`~minitorch_bp.nn.Loss.batch_scale` (:math:`1/W`, with
    :math:`W` the total weight of the examples), its sum (weighted by ``s`` when given)
    and its gradient: what ``criterion(pred, y, sample_weight=s)`` and
    ``criterion.backward()`` compute.
    """
    c = criterion.batch_scale(pred.shape, y, s)
    if s is None:
        J = c * criterion.total(pred, y, scratch)
        criterion.scaled_gradient(pred, y, c, out)
    else:
        J = c * criterion.weighted_total(pred, y, s)
        criterion.scaled_gradient(pred, y, c * s[:, None], out)
    return J


def bce_from_denominator(
    t: Array, z: Array, a: Array, y: Array, s1: Array, s2: Array, criterion: BCELoss
) -> float:
    """:math:`\\sum\\ell` of ``BCELoss`` from the sigmoid's ``t = 1 + e^-z`` (see :class:`SigmoidBCE`)."""
    np.log(t, s1)  # −log a
    np.add(s1, z, s2)  # −log(1 − a)
    if np.maximum.reduce(s1, None) > -F.LOG_CLAMP or np.maximum.reduce(s2, None) > -F.LOG_CLAMP:
        return criterion.total(a, y, (s1, s2))  # the clamp applies somewhere
    return float(np.add.reduce(s2, None)) - float(np.vdot(y, z))


def choose(last: Module | None, criterion: Loss, weighted: bool = False) -> LossEnd:
    """The loss end for a model whose last layer is ``last`` (``weighted``: with sample weights)."""
    if weighted:
        return Generic()
    if type(criterion) is BCELoss and criterion.weight is None and type(last) is Sigmoid:
        return SigmoidBCE()
    if type(criterion) is MSELoss:
        return SquaredError()
    return Generic()
