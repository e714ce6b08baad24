r"""Stochastic gradient descent: :math:`\Theta \leftarrow \Theta - \alpha D`, with momentum."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import l2_coefficient
from minitorch_bp.optim._buffers import load_optional
from minitorch_bp.optim._first_order import FirstOrderOptimizer, check_flag, check_unit_interval
from minitorch_bp.optim.optimizer import Array


class SGD(FirstOrderOptimizer):
    r"""Gradient descent with the notes' regularised gradient.

    Each step applies :math:`\Theta^{(l)} \leftarrow \Theta^{(l)} - \alpha D^{(l)}` with

    .. math::
        D^{(l)}_{ij} = \tfrac{1}{m}\left(\Delta^{(l)}_{ij} + \lambda\Theta^{(l)}_{ij}\right)
        \ (j \ne 0), \qquad D^{(l)}_{i0} = \tfrac{1}{m}\Delta^{(l)}_{i0},

    where :math:`\frac{1}{m}\Delta` is the gradient backward accumulated (``p.grad``
    under the default ``batchmean`` loss) and :math:`m` the batch size behind it, given
    as ``step(m=len(X))``. Which parameters decay is the parameters' own flag
    (``Parameter.regularized``, see :mod:`minitorch_bp.nn.regularization`).

    With ``momentum`` :math:`\mu > 0` a velocity :math:`v` is kept per parameter,
    PyTorch's formulation: :math:`v = D` on a parameter's first step, then

    .. math::
        v \leftarrow \mu v + (1 - \tau) D, \qquad \Theta \leftarrow \Theta - \alpha v
        \quad\text{or, with Nesterov,}\quad \Theta \leftarrow \Theta - \alpha (D + \mu v),

    with :math:`\tau` the ``dampening``. A frozen parameter keeps its velocity.

    Args:
        params: the parameters (``model.parameters()``) or a list of parameter groups
            (dicts with ``"params"`` and any of the arguments below).
        lr: the learning rate :math:`\alpha > 0`.
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        momentum: :math:`\mu \ge 0` (default 0: plain gradient descent).
        dampening: :math:`\tau \in [0, 1]`, PyTorch's (default 0).
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and no dampening).
        weight_decay: PyTorch's coupled decay :math:`w \ge 0`, added to :math:`D` as
            :math:`w\Theta` (no :math:`\frac{1}{m}`) on the parameters that decay.
        maximize: ascend the data term instead (``D`` with :math:`-\frac{1}{m}\Delta`).

    State:
        ``momentum_buffer`` (:math:`v`, one array per parameter) and the step counts, in
        :meth:`state_dict`, so a checkpoint resumes bit for bit.

    Mini-batches:
        :math:`m` is the size of the batch behind the gradient (as in scikit-learn's MLP),
        so mini-batch SGD with batches of :math:`b` examples minimises the data term plus
        :math:`\frac{\lambda}{2b}\sum\Theta^2`, a penalty :math:`m_{train}/b` times
        stronger than the notes' full-batch :math:`\frac{\lambda}{2m_{train}}\sum\Theta^2`.
        To keep the notes' :math:`J(\Theta)`, use ``l2 = λ·b/m_train``.

    Equivalent PyTorch:
        ``torch.optim.SGD(momentum=μ, dampening=τ, nesterov=...)`` with
        ``weight_decay = λ/m`` on the weights and 0 on the biases.

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(1, 1, rng=0)
        >>> layer.theta = [[1.0, 2.0]]
        >>> opt = SGD(layer.parameters(), lr=0.5, l2=1.0)
        >>> opt.zero_grad()
        >>> z = layer(np.array([[3.0]]))             # m = 1
        >>> dx = layer.backward(np.array([[1.0]]))    # Δ = [1, 3] for [b, w]
        >>> opt.step(m=1)                             # D = [1, 3 + 1·2]; Θ - 0.5·D
        >>> layer.theta
        array([[ 0.5, -0.5]])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        l2: float = 0.0,
        *,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        self._velocity: list[Array | None] = []
        self._spares: dict[int, Array] = {}
        super().__init__(
            params,
            {
                "lr": lr,
                "l2": l2,
                "momentum": momentum,
                "dampening": dampening,
                "nesterov": nesterov,
                "weight_decay": weight_decay,
                "maximize": maximize,
            },
        )

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        who = self.who(where)
        if "momentum" in group:
            nesterov = check_flag(group.get("nesterov", False), "nesterov", who)
            group["momentum"] = check_momentum(group["momentum"], nesterov, who)
            group["nesterov"] = nesterov
        if "dampening" in group:
            group["dampening"] = check_unit_interval(group["dampening"], "dampening", who)
            if group.get("nesterov") and group["dampening"]:
                raise ValueError(f"{who}: nesterov=True needs dampening=0 (as PyTorch)")
        return group

    def _add_state(self, params: list[Parameter]) -> None:
        super()._add_state(params)
        # As PyTorch's: a velocity is made on a parameter's first step with momentum.
        self._velocity += [None] * len(params)

    def step(
        self, closure: Callable[[], float] | None = None, *, m: float | None = None
    ) -> float | None:
        r"""Apply one update (see the class docstring); ``closure`` runs first if given.

        Args:
            closure: optional; runs forward, the criterion and backward.
            m: the number of examples behind the gradients, for :math:`\frac{\lambda}{m}`
                (needed when ``l2 > 0``).
        """
        loss = closure() if closure is not None else None
        m = self.batch_size(m)
        self.steps += 1
        steps = self.param_steps
        for group, slots in zip(self.param_groups, self._slots, strict=True):
            if group["momentum"] or group["maximize"] or group["weight_decay"]:
                self._general(group, slots, m)
                continue
            lr, l2 = group["lr"], group["l2"]
            for i, p, data, grad, tmp in slots:
                if not p.requires_grad:
                    continue
                # The λ term first, as a scaling of the weights: Θ − α(λ/m)Θ − αg equals
                # Θ − α·(1/m)(Δ + λΘ) with one pass over the weights and no temporary.
                if l2:
                    c = l2_coefficient(p, l2, m)
                    if c:
                        np.multiply(data, 1.0 - lr * c, data)
                np.multiply(grad, lr, tmp)
                np.subtract(data, tmp, data)
                steps[i] += 1
        return loss

    def _general(
        self,
        group: dict[str, Any],
        slots: list[tuple[int, Parameter, Array, Array, Array]],
        m: float,
    ) -> None:
        """PyTorch's update with momentum, dampening, Nesterov, weight decay or maximize."""
        mu, tau, lr = group["momentum"], group["dampening"], group["lr"]
        for i, p, data, _, work in slots:
            if not p.requires_grad:
                continue
            D = self.direction(group, p, m, work)
            if mu:
                v = self._velocity[i]
                if v is None:  # PyTorch: the buffer starts as the first gradient
                    v = self._velocity[i] = D.copy()
                else:
                    v *= mu
                    if tau:  # never with Nesterov, so D may be scaled in place
                        D *= 1.0 - tau
                    v += D
                if group["nesterov"]:
                    D += np.multiply(v, mu, out=self._spare(i))
                else:
                    np.copyto(D, v)
            D *= lr
            data -= D
            self.param_steps[i] += 1

    def _spare(self, i: int) -> Array:
        """A second work array for parameter ``i`` (Nesterov's μv), made on first use."""
        spare = self._spares.get(i)
        if spare is None:
            spare = self._spares[i] = np.empty_like(self.params[i].data)
        return spare

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters, the groups, the step counts and the velocities (copies)."""
        state = super().state_dict()
        if any(v is not None for v in self._velocity):
            state["momentum_buffer"] = [None if v is None else v.copy() for v in self._velocity]
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (velocities copied in)."""
        super()._load_state(state)
        self._velocity = load_optional(
            state.get("momentum_buffer"), self.params, "SGD", "momentum_buffer"
        )


def check_momentum(momentum: Any, nesterov: bool, who: str) -> float:
    """Return ``momentum`` as a float in [0, 1]; Nesterov needs it > 0."""
    value = check_unit_interval(momentum, "momentum", who)
    if nesterov and value == 0:
        raise ValueError(f"{who}: nesterov=True needs momentum > 0 (got momentum={momentum!r})")
    return value
