r"""NAdam and RAdam: Adam with Nesterov momentum, and Adam with a rectified variance."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim._buffers import StateBuffer, scratch_for
from minitorch_bp.optim._first_order import FirstOrderOptimizer, check_flag
from minitorch_bp.optim.adam import check_moment_settings, update_moments
from minitorch_bp.optim.optimizer import Array


class _Moments(FirstOrderOptimizer):
    """The two moments of Adam, shared by NAdam and RAdam (``betas``, ``eps``, decoupled decay)."""

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        self._exp_avg = StateBuffer([])
        self._exp_avg_sq = StateBuffer([])
        self._tmp: list[Array] = []
        self._tmp2: list[Array] = []
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        who = self.who(where)
        check_moment_settings(group, who)
        if "decoupled_weight_decay" in group:
            group["decoupled_weight_decay"] = check_flag(
                group["decoupled_weight_decay"], "decoupled_weight_decay", who
            )
        return group

    def _add_state(self, params: list[Parameter]) -> None:
        super()._add_state(params)
        self._exp_avg.extend(params)
        self._exp_avg_sq.extend(params)
        self._tmp += scratch_for(params)
        self._tmp2 += scratch_for(params)

    def _moments(self, group: dict[str, Any], i: int, p: Parameter, m: float) -> Array:
        """The gradient (with the decay as the group says), both moments updated; returns g."""
        decoupled = group["decoupled_weight_decay"]
        g = self.direction(group, p, m, self._work[i], coupled=not decoupled)
        if decoupled:
            self.decouple(group, p)
        beta1, beta2 = group["betas"]
        update_moments(
            self._exp_avg.arrays[i], self._exp_avg_sq.arrays[i], g, beta1, beta2, self._tmp[i]
        )
        return g

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(exp_avg=self._exp_avg.copies(), exp_avg_sq=self._exp_avg_sq.copies())
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        super()._load_state(state)
        name = type(self).__name__
        if "exp_avg" in state:
            self._exp_avg.load(state["exp_avg"], name, "exp_avg")
        if "exp_avg_sq" in state:
            self._exp_avg_sq.load(state["exp_avg_sq"], name, "exp_avg_sq")


class NAdam(_Moments):
    r"""Adam with Nesterov momentum (Dozat, 2016), as ``torch.optim.NAdam``, on the notes' :math:`D`.

    With :math:`g` the notes' :math:`D`, the moments of :class:`~minitorch_bp.optim.Adam`,
    :math:`\mu_t = \beta_1(1 - \frac{1}{2}\,0.96^{t\psi})` and
    :math:`\Pi_t = \prod_{j \le t}\mu_j`,

    .. math::
        \Theta \leftarrow \Theta - \eta\left(\frac{1 - \mu_t}{1 - \Pi_t}\,g
        + \frac{\mu_{t+1}}{1 - \Pi_t\mu_{t+1}}\,m_1\right)
        \Big/ \left(\sqrt{m_2 / (1 - \beta_2^t)} + \epsilon\right).

    Args:
        params: the parameters or a list of parameter groups.
        lr: :math:`\eta > 0` (default 2e-3, PyTorch's).
        betas: :math:`(\beta_1, \beta_2)` in [0, 1).
        eps: :math:`\epsilon > 0`.
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        weight_decay: PyTorch's decay :math:`w`, coupled (into :math:`g`) or, with
            ``decoupled_weight_decay=True``, :math:`\Theta \leftarrow \Theta(1 - \eta w)`.
        momentum_decay: :math:`\psi \ge 0` (default 4e-3).
        decoupled_weight_decay: as above.
        maximize: ascend the data term instead.

    State:
        the moments, ``mu_product`` (:math:`\Pi_t`) and the step counts.

    Example:
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.array([0.0]))
        >>> opt = NAdam([p], lr=0.1)
        >>> p.grad = [1.0]
        >>> opt.step()                 # the gradient's part, -0.1, and the momentum's
        >>> p.data.round(6)
        array([-0.105645])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        l2: float = 0.0,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
    ) -> None:
        self.mu_product: list[float] = []
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "l2": l2,
                "weight_decay": weight_decay,
                "momentum_decay": momentum_decay,
                "decoupled_weight_decay": decoupled_weight_decay,
                "maximize": maximize,
            },
        )

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        if "momentum_decay" in group:
            who = self.who(where)
            group["momentum_decay"] = check_nonnegative(
                group["momentum_decay"], "momentum_decay", who
            )
        return group

    def _add_state(self, params: list[Parameter]) -> None:
        super()._add_state(params)
        self.mu_product += [1.0] * len(params)

    def step(
        self, closure: Callable[[], float] | None = None, *, m: float | None = None
    ) -> float | None:
        """Apply one NAdam update; ``closure`` runs first if given and its value is returned."""
        loss = closure() if closure is not None else None
        m = self.batch_size(m)
        self.steps += 1
        for group, i, p in self.trained():
            g = self._moments(group, i, p, m)
            self.param_steps[i] += 1
            t = self.param_steps[i]
            beta1, beta2 = group["betas"]
            psi, lr = group["momentum_decay"], group["lr"]
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            self.mu_product[i] *= mu
            product = self.mu_product[i]
            denom = self._tmp[i]
            np.divide(self._exp_avg_sq.arrays[i], 1.0 - beta2**t, out=denom)
            np.sqrt(denom, out=denom)
            denom += group["eps"]
            step = self._tmp2[i]
            np.divide(g, denom, out=step)
            step *= -lr * (1.0 - mu) / (1.0 - product)
            p.data += step
            np.divide(self._exp_avg.arrays[i], denom, out=step)
            step *= (-lr * mu_next) / (1.0 - product * mu_next)
            p.data += step
        return loss

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["mu_product"] = list(self.mu_product)
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        super()._load_state(state)
        if "mu_product" in state:
            values = [float(v) for v in state["mu_product"]]
            if len(values) != len(self.params) or not all(math.isfinite(v) for v in values):
                raise ValueError(
                    f"NAdam.load_state_dict: 'mu_product' must be {len(self.params)} finite numbers"
                )
            self.mu_product = values


class RAdam(_Moments):
    r"""Adam with the variance rectified (Liu et al., 2020), as ``torch.optim.RAdam``, on the notes' :math:`D`.

    With the moments of :class:`~minitorch_bp.optim.Adam`, :math:`\rho_\infty = 2/(1 - \beta_2) - 1`
    and :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1 - \beta_2^t)`: while :math:`\rho_t \le 5`
    the step is momentum alone, :math:`\Theta \leftarrow \Theta - \eta\,\hat m_1`; after,

    .. math::
        \Theta \leftarrow \Theta - \eta\,\hat m_1\,\frac{\sqrt{1 - \beta_2^t}}{\sqrt{m_2} + \epsilon}\,r_t,
        \qquad r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}},

    with :math:`\hat m_1 = m_1/(1 - \beta_1^t)`.

    Args:
        params: the parameters or a list of parameter groups.
        lr: :math:`\eta > 0` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)` in [0, 1).
        eps: :math:`\epsilon > 0`.
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        weight_decay: PyTorch's decay, coupled or (``decoupled_weight_decay=True``) decoupled.
        decoupled_weight_decay: as above.
        maximize: ascend the data term instead.

    Example:
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.array([0.0]))
        >>> opt = RAdam([p], lr=0.1)
        >>> p.grad = [2.0]
        >>> opt.step()                 # ρ_1 = 1 ≤ 5: the bias-corrected momentum, 2
        >>> p.data.round(6)
        array([-0.2])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        l2: float = 0.0,
        weight_decay: float = 0.0,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "l2": l2,
                "weight_decay": weight_decay,
                "decoupled_weight_decay": decoupled_weight_decay,
                "maximize": maximize,
            },
        )

    def step(
        self, closure: Callable[[], float] | None = None, *, m: float | None = None
    ) -> float | None:
        """Apply one RAdam update; ``closure`` runs first if given and its value is returned."""
        loss = closure() if closure is not None else None
        m = self.batch_size(m)
        self.steps += 1
        for group, i, p in self.trained():
            self._moments(group, i, p, m)
            self.param_steps[i] += 1
            t = self.param_steps[i]
            beta1, beta2 = group["betas"]
            lr = group["lr"]
            bc1, bc2 = 1.0 - beta1**t, 1.0 - beta2**t
            step = self._tmp2[i]
            np.divide(self._exp_avg.arrays[i], bc1, out=step)  # m̂₁
            step *= lr
            rho_inf = 2.0 / (1.0 - beta2) - 1.0
            rho_t = rho_inf - 2.0 * t * (beta2**t) / bc2
            if rho_t > 5.0:
                rect = math.sqrt(
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                )
                adaptive = self._tmp[i]
                np.sqrt(self._exp_avg_sq.arrays[i], out=adaptive)
                adaptive += group["eps"]
                np.divide(bc2**0.5, adaptive, out=adaptive)
                step *= adaptive
                step *= rect
            p.data -= step
        return loss
