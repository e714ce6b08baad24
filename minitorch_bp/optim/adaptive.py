r"""RMSprop and Adagrad: steps scaled by a running size of each gradient entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative, check_positive
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim._buffers import StateBuffer, load_optional, scratch_for
from minitorch_bp.optim._first_order import FirstOrderOptimizer, check_flag, check_unit_interval
from minitorch_bp.optim.optimizer import Array


class RMSprop(FirstOrderOptimizer):
    r"""RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``, on the notes' :math:`D`.

    With :math:`g` the notes' :math:`D` (plus a coupled ``weight_decay``, see
    :class:`~minitorch_bp.optim._first_order.FirstOrderOptimizer`),

    .. math::
        v \leftarrow \alpha v + (1 - \alpha) g^2, \qquad
        \tilde v = v - \bar g^2 \ \text{(centered:}\ \bar g \leftarrow \alpha\bar g + (1-\alpha)g),

        b \leftarrow \mu b + \frac{g}{\sqrt{\tilde v} + \epsilon}, \qquad \Theta \leftarrow \Theta - \eta b

    (without momentum :math:`\Theta \leftarrow \Theta - \eta\, g / (\sqrt{\tilde v} + \epsilon)`).

    Args:
        params: the parameters or a list of parameter groups.
        lr: :math:`\eta > 0` (default 1e-2, PyTorch's).
        alpha: the smoothing constant :math:`\alpha \in [0, 1]` (default 0.99).
        eps: :math:`\epsilon > 0` (default 1e-8).
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        weight_decay: PyTorch's coupled decay on the parameters that decay.
        momentum: :math:`\mu \in [0, 1]` (default 0).
        centered: divide by the estimated variance instead of the second moment.
        maximize: ascend the data term instead.

    State:
        ``square_avg``, ``grad_avg`` (centered), ``momentum_buffer`` (momentum) and the
        step counts, in :meth:`state_dict`.

    Example:
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.array([1.0, -1.0]))
        >>> opt = RMSprop([p], lr=0.1, alpha=0.9, eps=1e-12)
        >>> p.grad = [3.0, -0.5]
        >>> opt.step()                  # v = 0.1 g², so each entry moves by lr/√0.1
        >>> p.data.round(6)
        array([ 0.683772, -0.683772])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        l2: float = 0.0,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        self._square_avg = StateBuffer([])
        self._grad_avg: list[Array | None] = []
        self._buffer: list[Array | None] = []
        self._tmp: list[Array] = []
        super().__init__(
            params,
            {
                "lr": lr,
                "alpha": alpha,
                "eps": eps,
                "l2": l2,
                "weight_decay": weight_decay,
                "momentum": momentum,
                "centered": centered,
                "maximize": maximize,
            },
        )

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        who = self.who(where)
        for key in ("alpha", "momentum"):
            if key in group:
                group[key] = check_unit_interval(group[key], key, who)
        if "eps" in group:
            group["eps"] = check_positive(
                group["eps"], "eps", who
            )  # eps = 0 divides 0 by 0 where v = 0
        if "centered" in group:
            group["centered"] = check_flag(group["centered"], "centered", who)
        return group

    def _add_state(self, params: list[Parameter]) -> None:
        super()._add_state(params)
        self._square_avg.extend(params)
        self._grad_avg += [None] * len(params)
        self._buffer += [None] * len(params)
        self._tmp += scratch_for(params)

    def step(
        self, closure: Callable[[], float] | None = None, *, m: float | None = None
    ) -> float | None:
        """Apply one RMSprop update; ``closure`` runs first if given and its value is returned."""
        loss = closure() if closure is not None else None
        m = self.batch_size(m)
        self.steps += 1
        for group, i, p in self.trained():
            g = self.direction(group, p, m, self._work[i])
            self.param_steps[i] += 1
            alpha, tmp = group["alpha"], self._tmp[i]
            v = self._square_avg.arrays[i]
            v *= alpha
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - alpha
            v += tmp
            if group["centered"]:
                mean = self._grad_avg[i]
                if mean is None:
                    mean = self._grad_avg[i] = np.zeros_like(g)
                mean *= alpha
                np.multiply(g, 1.0 - alpha, out=tmp)
                mean += tmp
                np.multiply(mean, mean, out=tmp)
                np.subtract(v, tmp, out=tmp)
                np.sqrt(tmp, out=tmp)
            else:
                np.sqrt(v, out=tmp)
            tmp += group["eps"]
            np.divide(g, tmp, out=tmp)  # g / (√ṽ + ε)
            if group["momentum"] > 0:
                b = self._buffer[i]
                if b is None:
                    b = self._buffer[i] = np.zeros_like(g)
                b *= group["momentum"]
                b += tmp
                tmp = np.multiply(b, group["lr"], out=g)
            else:
                tmp *= group["lr"]
            p.data -= tmp
        return loss

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters, the groups, the step counts and the averages (copies)."""
        state = super().state_dict()
        state["square_avg"] = self._square_avg.copies()
        for key, arrays in (("grad_avg", self._grad_avg), ("momentum_buffer", self._buffer)):
            if any(a is not None for a in arrays):
                state[key] = [None if a is None else a.copy() for a in arrays]
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        super()._load_state(state)
        if "square_avg" in state:
            self._square_avg.load(state["square_avg"], "RMSprop", "square_avg")
        self._grad_avg = load_optional(state.get("grad_avg"), self.params, "RMSprop", "grad_avg")
        self._buffer = load_optional(
            state.get("momentum_buffer"), self.params, "RMSprop", "momentum_buffer"
        )


class Adagrad(FirstOrderOptimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``, on the notes' :math:`D`.

    With :math:`g` the notes' :math:`D` (plus a coupled ``weight_decay``) and :math:`t` the
    parameter's step count,

    .. math::
        G \leftarrow G + g^2, \qquad
        \Theta \leftarrow \Theta - \frac{\eta}{1 + (t - 1)\,\eta_{decay}}\,\frac{g}{\sqrt{G} + \epsilon}.

    Args:
        params: the parameters or a list of parameter groups.
        lr: :math:`\eta > 0` (default 1e-2).
        lr_decay: :math:`\eta_{decay} \ge 0` (default 0).
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        weight_decay: PyTorch's coupled decay on the parameters that decay.
        initial_accumulator_value: where :math:`G` starts, >= 0.
        eps: :math:`\epsilon > 0` (default 1e-10).
        maximize: ascend the data term instead.

    State:
        ``sum`` (:math:`G`) and the step counts, in :meth:`state_dict`.

    Example:
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.array([1.0]))
        >>> opt = Adagrad([p], lr=0.5)
        >>> for _ in range(2):
        ...     p.grad = [2.0]
        ...     opt.step()             # 0.5·2/2, then 0.5·2/√8
        >>> p.data.round(6)
        array([0.146447])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        l2: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        self._sum: StateBuffer | None = None
        self._tmp: list[Array] = []
        super().__init__(
            params,
            {
                "lr": lr,
                "lr_decay": lr_decay,
                "l2": l2,
                "weight_decay": weight_decay,
                "initial_accumulator_value": initial_accumulator_value,
                "eps": eps,
                "maximize": maximize,
            },
        )

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        who = self.who(where)
        for key in ("lr_decay", "initial_accumulator_value"):
            if key in group:
                group[key] = check_nonnegative(group[key], key, who)
        if "eps" in group:  # eps = 0 divides 0 by 0 where G = 0
            group["eps"] = check_positive(group["eps"], "eps", who)
        return group

    def _add_state(self, params: list[Parameter]) -> None:
        super()._add_state(params)
        fill = self.param_groups[-1]["initial_accumulator_value"]
        if self._sum is None:
            self._sum = StateBuffer([], fill)
        self._sum.fill = fill
        self._sum.extend(params)
        self._tmp += scratch_for(params)

    def step(
        self, closure: Callable[[], float] | None = None, *, m: float | None = None
    ) -> float | None:
        """Apply one Adagrad update; ``closure`` runs first if given and its value is returned."""
        loss = closure() if closure is not None else None
        m = self.batch_size(m)
        self.steps += 1
        assert self._sum is not None
        for group, i, p in self.trained():
            g = self.direction(group, p, m, self._work[i])
            self.param_steps[i] += 1
            clr = group["lr"] / (1 + (self.param_steps[i] - 1) * group["lr_decay"])
            G, tmp = self._sum.arrays[i], self._tmp[i]
            np.multiply(g, g, out=tmp)
            G += tmp
            np.sqrt(G, out=tmp)
            tmp += group["eps"]
            np.divide(g, tmp, out=tmp)
            tmp *= clr
            p.data -= tmp
        return loss

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters, the groups, the step counts and the sums (copies)."""
        state = super().state_dict()
        assert self._sum is not None
        state["sum"] = self._sum.copies()
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        super()._load_state(state)
        if "sum" in state and self._sum is not None:
            self._sum.load(state["sum"], "Adagrad", "sum")
