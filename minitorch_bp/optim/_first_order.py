r"""What the first-order optimizers share: step counts, ``maximize``, the gradient they follow."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import decays, l2_coefficient
from minitorch_bp.optim._buffers import load_counts, scratch_for
from minitorch_bp.optim.optimizer import Array, Optimizer


class FirstOrderOptimizer(Optimizer):
    r"""Base of the optimizers that take one step per gradient (SGD, Adam, RMSprop...).

    Each step follows, for every trained parameter,

    .. math::
        g = \pm\frac{1}{m}\Delta + \Big(\frac{\lambda}{m} + w\Big)\Theta
        \quad (\Theta \text{ that decay; } \tfrac{1}{m}\Delta \text{ alone otherwise}),

    the notes' :math:`D` (sign ``-`` with ``maximize=True``, PyTorch's flag, which ascends
    the data term and still decays) plus a coupled ``weight_decay`` :math:`w` where the
    optimizer has one. Frozen parameters (``requires_grad=False``) are skipped and their
    step count stays, as PyTorch skips a parameter without a gradient.

    Attributes:
        steps: calls of :meth:`step`.
        param_steps: the updates each parameter has had (PyTorch's per-parameter
            ``step``), in the order of :attr:`params`; a parameter added later, or frozen
            for a while, has fewer.
    """

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        self.param_steps: list[int] = []
        self._work: list[Array] = []
        self._starts: list[int] = []
        #: Per group, ``(index, parameter, data, grad, work)``: a parameter keeps its arrays
        #: for life (assignment copies into them), so a step looks them up once.
        self._slots: list[list[tuple[int, Parameter, Array, Array, Array]]] = []
        super().__init__(params, defaults)
        self.steps = 0

    def _add_state(self, params: list[Parameter]) -> None:
        start = len(self.param_steps)
        self._starts.append(start)
        self.param_steps += [0] * len(params)
        work = scratch_for(params)
        self._work += work
        self._slots.append(
            [
                (start + j, p, p.data, p.grad, w)
                for j, (p, w) in enumerate(zip(params, work, strict=True))
            ]
        )

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        who = self.who(where)
        if "weight_decay" in group:
            group["weight_decay"] = check_nonnegative(group["weight_decay"], "weight_decay", who)
        if "maximize" in group:
            group["maximize"] = check_flag(group["maximize"], "maximize", who)
        return group

    def trained(self) -> Iterator[tuple[dict[str, Any], int, Parameter]]:
        """``(group, index, parameter)`` for every parameter a step updates, in order."""
        for group, start in zip(self.param_groups, self._starts, strict=True):
            for i, p in enumerate(group["params"], start):
                if p.requires_grad:
                    yield group, i, p

    def direction(
        self, group: dict[str, Any], p: Parameter, m: float, out: Array, coupled: bool = True
    ) -> Array:
        r"""Write :math:`g` (see the class docstring) for ``p`` into ``out`` and return it.

        ``coupled=False`` leaves ``weight_decay`` out (AdamW, NAdam and RAdam decouple it).
        """
        c = l2_coefficient(p, group["l2"], m)
        if coupled:
            wd = group["weight_decay"]
            if wd and decays(p):
                c += wd
        grad = p.grad
        if group["maximize"]:
            if c:
                np.multiply(p.data, c, out=out)
                out -= grad
            else:
                np.negative(grad, out=out)
        elif c:
            np.multiply(p.data, c, out=out)
            out += grad
        else:
            np.copyto(out, grad)
        return out

    def decouple(self, group: dict[str, Any], p: Parameter) -> None:
        r""":math:`\Theta \leftarrow \Theta(1 - \alpha w)` on a decaying parameter (decoupled decay)."""
        wd = group["weight_decay"]
        if wd and decays(p):
            p.data *= 1.0 - group["lr"] * wd

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["step"] = self.steps
        state["param_steps"] = list(self.param_steps)
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        super()._load_state(state)
        name = type(self).__name__
        steps = state.get("step", state.get("steps", self.steps))
        self.steps = int(load_counts(steps, 1, name, "step")[0])
        counts = state.get("param_steps", self.steps)
        self.param_steps = load_counts(counts, len(self.params), name, "param_steps")


def check_flag(value: Any, name: str, who: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (not 0, 1 or a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{who}: {name}={value!r} must be True or False")
    return bool(value)


def check_unit_interval(value: Any, name: str, who: str, *, closed: bool = True) -> float:
    """Return ``value`` as a float in [0, 1] (or [0, 1) when ``closed`` is ``False``)."""
    if isinstance(value, (bool, str)):
        raise ValueError(
            f"{who}: {name}={value!r} must be a number in [0, 1{']' if closed else ')'}"
        )
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{who}: {name}={value!r} must be a number in [0, 1]") from exc
    if not (0.0 <= number <= 1.0) or (not closed and number == 1.0):
        raise ValueError(
            f"{who}: {name}={value!r} must be a number in [0, 1{']' if closed else ')'}"
        )
    return number
