r"""Stochastic gradient descent: :math:`\Theta \leftarrow \Theta - \alpha D`, with momentum."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import l2_coefficient
from minitorch_bp.optim._buffers import StateBuffer, scratch_for
from minitorch_bp.optim.optimizer import Array, Optimizer


class SGD(Optimizer):
    r"""Gradient descent with the notes' regularised gradient.

    Each step applies :math:`\Theta^{(l)} \leftarrow \Theta^{(l)} - \alpha D^{(l)}` with

    .. math::
        D^{(l)}_{ij} = \tfrac{1}{m}\left(\Delta^{(l)}_{ij} + \lambda\Theta^{(l)}_{ij}\right)
        \ (j \ne 0), \qquad D^{(l)}_{i0} = \tfrac{1}{m}\Delta^{(l)}_{i0},

    where :math:`\frac{1}{m}\Delta` is the gradient backward accumulated (``p.grad``
    under the default ``batchmean`` loss) and :math:`m` the batch size behind it, given
    as ``step(m=len(X))``. Which parameters decay is the parameters' own flag
    (``Parameter.regularized``, see :mod:`minitorch_bp.nn.regularization`).

    With ``momentum`` :math:`\mu > 0` (PyTorch's formulation, no dampening) a velocity
    :math:`v` (zero at the start) is kept per parameter:

    .. math::
        v \leftarrow \mu v + D, \qquad \Theta \leftarrow \Theta - \alpha v
        \quad\text{or, with Nesterov,}\quad \Theta \leftarrow \Theta - \alpha (D + \mu v).

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lr: the learning rate :math:`\alpha > 0`.
        l2: the notes' :math:`\lambda \ge 0`; biases are exempt.
        momentum: :math:`\mu \ge 0` (default 0: plain gradient descent).
        nesterov: use Nesterov momentum (needs ``momentum > 0``).

    State:
        ``momentum_buffer`` (:math:`v`, one array per parameter) and the step count, in
        :meth:`state_dict`, so a checkpoint resumes bit for bit.

    Mini-batches:
        :math:`m` is the size of the batch behind the gradient (as in scikit-learn's MLP),
        so mini-batch SGD with batches of :math:`b` examples minimises the data term plus
        :math:`\frac{\lambda}{2b}\sum\Theta^2`, a penalty :math:`m_{train}/b` times
        stronger than the notes' full-batch :math:`\frac{\lambda}{2m_{train}}\sum\Theta^2`.
        To keep the notes' :math:`J(\Theta)`, use ``l2 = λ·b/m_train``.

    Equivalent PyTorch:
        ``torch.optim.SGD(momentum=μ, nesterov=...)`` with ``weight_decay = λ/m`` on the
        weights and 0 on the biases.

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
        params: Iterable[Parameter],
        lr: float,
        l2: float = 0.0,
        *,
        momentum: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, l2=l2)
        self.momentum = check_momentum(momentum, nesterov, "SGD")
        self.nesterov = bool(nesterov)
        self.steps = 0
        self._scratch = scratch_for(self.params)
        self._scratch2 = scratch_for(self.params) if self.nesterov else []
        self._velocity = StateBuffer(self.params) if self.momentum else None
        # Parameters keep their arrays for life (assignment copies into them), so the
        # arrays a step works on are looked up once.
        self._slots = [
            (p, p.data, p.grad, tmp) for p, tmp in zip(self.params, self._scratch, strict=True)
        ]

    def step(
        self, closure: Callable[[], float] | None = None, *, m: int | None = None
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
        lr = self.lr
        if self._velocity is not None:
            for i, (p, v) in enumerate(zip(self.params, self._velocity.arrays, strict=True)):
                D = self.gradient(p, m, out=self._scratch[i])
                self._momentum_update(p.data, D, v, self._scratch2[i] if self.nesterov else D)
            return loss
        l2 = self.l2
        for p, data, grad, tmp in self._slots:
            # The λ term first, as a scaling of the weights: Θ − α(λ/m)Θ − αg equals
            # Θ − α·(1/m)(Δ + λΘ) with one pass over the weights and no temporary.
            if l2:
                c = l2_coefficient(p, l2, m)
                if c:
                    np.multiply(data, 1.0 - lr * c, data)
            np.multiply(grad, lr, tmp)
            np.subtract(data, tmp, data)
        return loss

    def _momentum_update(self, data: Array, D: Array, v: Array, tmp: Array) -> None:
        """v ← μv + D; Θ ← Θ − α·v (or Θ ← Θ − α·(D + μv)), in place (``D``, ``tmp`` overwritten)."""
        v *= self.momentum
        v += D
        if self.nesterov:
            np.multiply(v, self.momentum, out=tmp)
            D += tmp
            np.multiply(D, self.lr, out=tmp)
        else:
            np.multiply(v, self.lr, out=D)
            tmp = D
        data -= tmp

    def state_dict(self) -> dict[str, Any]:
        """Return lr, λ, momentum, the step count and the velocities (copies)."""
        state = super().state_dict()
        state.update(momentum=self.momentum, nesterov=self.nesterov, steps=self.steps)
        if self._velocity is not None:
            state["momentum_buffer"] = self._velocity.copies()
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (velocities copied in)."""
        super()._load_state(state)
        momentum = state.get("momentum", self.momentum)
        nesterov = bool(state.get("nesterov", self.nesterov))
        self.momentum = check_momentum(momentum, nesterov, "SGD")
        self.nesterov = nesterov
        self.steps = int(state.get("steps", self.steps))
        if self.nesterov and not self._scratch2:
            self._scratch2 = scratch_for(self.params)
        if self.momentum and self._velocity is None:
            self._velocity = StateBuffer(self.params)
        if not self.momentum:
            self._velocity = None
        if self._velocity is not None and "momentum_buffer" in state:
            self._velocity.load(state["momentum_buffer"], "SGD", "momentum_buffer")

    def __repr__(self) -> str:
        if self.momentum:
            return (
                f"SGD(lr={self.lr}, l2={self.l2}, momentum={self.momentum},"
                f" nesterov={self.nesterov})"
            )
        return f"SGD(lr={self.lr}, l2={self.l2})"


def check_momentum(momentum: Any, nesterov: bool, who: str) -> float:
    """Return ``momentum`` as a float in [0, 1]; Nesterov needs it > 0."""
    try:
        value = float(momentum)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{who}: momentum={momentum!r} must be a number in [0, 1]") from exc
    if not np.isfinite(value) or value < 0 or value > 1:
        raise ValueError(f"{who}: momentum={momentum!r} must be a number in [0, 1]")
    if nesterov and value == 0:
        raise ValueError(f"{who}: nesterov=True needs momentum > 0 (got momentum={momentum!r})")
    return value
