r"""Adam and AdamW on the notes' regularised gradient :math:`D`."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_positive
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim._buffers import StateBuffer, load_optional, scratch_for
from minitorch_bp.optim._first_order import FirstOrderOptimizer, check_flag
from minitorch_bp.optim.optimizer import Array


class Adam(FirstOrderOptimizer):
    r"""Adam (Kingma & Ba, 2015) on the notes' :math:`D`, in PyTorch's formulation.

    With :math:`g = D + w\Theta` (:math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for
    weights, :math:`\frac{1}{m}\Delta` for biases; :math:`w` the coupled ``weight_decay``,
    weights only) and :math:`t` the parameter's step count,

    .. math::
        m_1 \leftarrow \beta_1 m_1 + (1-\beta_1) g, \qquad
        m_2 \leftarrow \beta_2 m_2 + (1-\beta_2) g^2,

        \Theta \leftarrow \Theta - \frac{\alpha}{1-\beta_1^t}\,
        \frac{m_1}{\sqrt{\hat m_2}/\sqrt{1-\beta_2^t} + \epsilon},

    where :math:`\hat m_2 = m_2`, or with ``amsgrad=True`` the largest :math:`m_2` so far
    (Reddi et al., 2018).

    Args:
        params: the parameters (``model.parameters()``) or a list of parameter groups.
        lr: the step size :math:`\alpha > 0` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1).
        eps: :math:`\epsilon > 0`, added to the denominator.
        l2: the notes' :math:`\lambda \ge 0`, entering through :math:`D` (biases exempt).
        weight_decay: PyTorch's coupled decay :math:`w \ge 0` added to the gradient (no
            :math:`\frac{1}{m}`), on the same parameters as ``l2`` (``Parameter.regularized``).
        amsgrad: keep the running maximum of :math:`m_2` (PyTorch's flag).
        maximize: ascend the data term instead.

    State:
        the step counts and the moments ``exp_avg`` (:math:`m_1`), ``exp_avg_sq``
        (:math:`m_2`) and, with ``amsgrad``, ``max_exp_avg_sq``, one array per parameter,
        in :meth:`state_dict`.

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(1, 1, rng=0)
        >>> layer.theta = [[0.0, 1.0]]
        >>> opt = Adam(layer.parameters(), lr=0.1)
        >>> layer.weight.grad = [[2.0]]; layer.bias.grad = [-3.0]
        >>> opt.step()                  # the first step moves each entry by lr·sign(g)
        >>> layer.theta.round(6)
        array([[0.1, 0.9]])
    """

    decoupled: bool = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        l2: float = 0.0,
        weight_decay: float = 0.0,
        *,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        self._exp_avg = StateBuffer([])
        self._exp_avg_sq = StateBuffer([])
        self._max_exp_avg_sq: list[Array | None] = []
        self._tmp: list[Array] = []
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "l2": l2,
                "weight_decay": weight_decay,
                "amsgrad": amsgrad,
                "maximize": maximize,
            },
        )

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        who = self.who(where)
        check_moment_settings(group, who)
        if "amsgrad" in group:
            group["amsgrad"] = check_flag(group["amsgrad"], "amsgrad", who)
        return group

    def _add_state(self, params: list[Parameter]) -> None:
        super()._add_state(params)
        self._exp_avg.extend(params)
        self._exp_avg_sq.extend(params)
        amsgrad = (self.param_groups[-1] if self.param_groups else self.defaults)["amsgrad"]
        self._max_exp_avg_sq += [np.zeros_like(p.data) if amsgrad else None for p in params]
        self._tmp += scratch_for(params)

    def step(
        self, closure: Callable[[], float] | None = None, *, m: float | None = None
    ) -> float | None:
        """Apply one Adam update; ``closure`` runs first if given and its value is returned.

        Args:
            closure: optional; runs forward, the criterion and backward.
            m: the number of examples behind the gradients (needed when ``l2 > 0``).
        """
        loss = closure() if closure is not None else None
        m = self.batch_size(m)
        self.steps += 1
        decoupled, steps = self.decoupled, self.param_steps
        for group, slots in zip(self.param_groups, self._slots, strict=True):
            beta1, beta2 = group["betas"]
            lr, eps, amsgrad = group["lr"], group["eps"], group["amsgrad"]
            for i, p, data, _, g in slots:
                if not p.requires_grad:
                    continue
                self.direction(group, p, m, g, coupled=not decoupled)
                if decoupled:
                    self.decouple(group, p)
                steps[i] += 1
                t = steps[i]
                tmp = self._tmp[i]
                m1, m2 = self._exp_avg.arrays[i], self._exp_avg_sq.arrays[i]
                update_moments(m1, m2, g, beta1, beta2, tmp)
                second = m2
                if amsgrad:
                    top = self._max_exp_avg_sq[i]
                    if top is None:
                        top = self._max_exp_avg_sq[i] = np.zeros_like(m2)
                    np.maximum(top, m2, out=top)
                    second = top
                np.sqrt(second, out=tmp)
                tmp /= math.sqrt(1.0 - beta2**t)
                tmp += eps
                np.divide(m1, tmp, out=tmp)
                tmp *= lr / (1.0 - beta1**t)
                data -= tmp
        return loss

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters, the groups, the step counts and the moments (copies)."""
        state = super().state_dict()
        state.update(exp_avg=self._exp_avg.copies(), exp_avg_sq=self._exp_avg_sq.copies())
        if any(a is not None for a in self._max_exp_avg_sq):
            state["max_exp_avg_sq"] = [
                None if a is None else a.copy() for a in self._max_exp_avg_sq
            ]
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, so training resumes exactly."""
        super()._load_state(state)
        name = type(self).__name__
        if "exp_avg" in state:
            self._exp_avg.load(state["exp_avg"], name, "exp_avg")
        if "exp_avg_sq" in state:
            self._exp_avg_sq.load(state["exp_avg_sq"], name, "exp_avg_sq")
        self._max_exp_avg_sq = load_optional(
            state.get("max_exp_avg_sq"), self.params, name, "max_exp_avg_sq"
        )


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Before the :class:`Adam` update on :math:`D`, the weights shrink:
    :math:`\Theta \leftarrow \Theta - \alpha w \Theta` on the parameters that decay
    (``Parameter.regularized``: biases exempt). The notes' ``l2`` still enters through
    :math:`D`; usually one uses either ``l2`` or ``weight_decay``, not both.

    Args:
        weight_decay: the decoupled decay :math:`w \ge 0` (default 1e-2, as PyTorch).
            The other arguments are those of :class:`Adam`.
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        l2: float = 0.0,
        weight_decay: float = 1e-2,
        *,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, l2, weight_decay, amsgrad=amsgrad, maximize=maximize
        )


def update_moments(m1: Array, m2: Array, g: Array, beta1: float, beta2: float, tmp: Array) -> None:
    r"""Adam's moments, in place: :math:`m_1 \leftarrow \beta_1 m_1 + (1-\beta_1)g`, :math:`m_2 \leftarrow \beta_2 m_2 + (1-\beta_2)g^2`."""
    m1 *= beta1
    np.multiply(g, 1.0 - beta1, out=tmp)
    m1 += tmp
    m2 *= beta2
    np.multiply(g, g, out=tmp)
    tmp *= 1.0 - beta2
    m2 += tmp


def check_moment_settings(group: dict[str, Any], who: str) -> None:
    """Check the ``betas`` and ``eps`` of a group of the Adam family, in place."""
    if "betas" in group:
        group["betas"] = check_betas(group["betas"], who)
    if "eps" in group:
        group["eps"] = check_positive(
            group["eps"], "eps", who
        )  # eps = 0 divides 0 by 0 where v = 0


def check_betas(betas: Any, who: str) -> tuple[float, float]:
    """Return ``betas`` as two floats in [0, 1), else raise ``ValueError``."""
    try:
        b1, b2 = (float(b) for b in betas)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{who}: betas={betas!r} must be two numbers in [0, 1)") from exc
    for i, b in enumerate((b1, b2)):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"{who}: betas[{i}]={b!r} must be in [0, 1) (betas={betas!r})")
    return b1, b2
