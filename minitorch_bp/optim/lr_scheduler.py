r"""Learning-rate schedules, stepped once per epoch, as ``torch.optim.lr_scheduler``.

Each scheduler computes :math:`\alpha_e` (the epoch-:math:`e` learning rate) in closed form
from the optimizer's learning rate when the scheduler was built, :math:`\alpha_0`, and
writes it into ``optimizer.lr``. Building one sets epoch 0; every :meth:`~LRScheduler.step`
advances one epoch. Call it after the epoch's optimizer steps:

    >>> from minitorch_bp import nn, optim
    >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(opt.lr)            # ... train one epoch with opt ...
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from minitorch_bp._validation import check_positive
from minitorch_bp.optim.optimizer import Optimizer, check_lr


class LRScheduler:
    """Base class: keeps ``base_lr`` and ``last_epoch``; subclasses give :meth:`lr_at`.

    Args:
        optimizer: an optimizer with a learning rate (not the closure-driven ones).
    """

    def __init__(self, optimizer: Optimizer) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise ValueError(
                f"{name}: optimizer must be an Optimizer, got {type(optimizer).__name__}"
            )
        if optimizer.requires_closure:
            raise ValueError(
                f"{name}: {type(optimizer).__name__} takes its steps by a line search and has"
                " no learning rate to schedule"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = -1
        self.step()

    def lr_at(self, epoch: int) -> float:
        """Return the learning rate of ``epoch`` (0 is the first)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to that epoch's rate."""
        self.last_epoch += 1
        self.optimizer.lr = check_lr(self.lr_at(self.last_epoch), type(self).__name__)
        self._last_lr = self.optimizer.lr

    def get_last_lr(self) -> float:
        """Return the learning rate the last :meth:`step` set (one float: one lr per optimizer)."""
        return self._last_lr

    def state_dict(self) -> dict[str, Any]:
        """Return the schedule's settings, ``base_lr`` and ``last_epoch`` (JSON-able)."""
        state = {k: v for k, v in vars(self).items() if k != "optimizer"}
        state["type"] = type(self).__name__
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned and set ``optimizer.lr`` to match."""
        name = type(self).__name__
        if state.get("type", name) != name:
            raise ValueError(f"{name}.load_state_dict: state is for {state['type']}")
        unknown = set(state) - set(vars(self)) - {"type"}
        if unknown:
            raise ValueError(f"{name}.load_state_dict: unknown keys {sorted(unknown)}")
        for key, value in state.items():
            if key != "type":
                setattr(self, key, value)
        self.optimizer.lr = check_lr(self._last_lr, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class StepLR(LRScheduler):
    r"""Decay by ``gamma`` every ``step_size`` epochs: :math:`\alpha_e = \alpha_0\,\gamma^{\lfloor e / s \rfloor}`.

    Args:
        optimizer: the optimizer whose ``lr`` to set.
        step_size: epochs between decays, an integer >= 1.
        gamma: the factor, > 0 (default 0.1).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size={step_size!r} must be an integer >= 1")
        self.step_size = step_size
        self.gamma = check_positive(gamma, "gamma", "StepLR")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    r"""Decay by ``gamma`` every epoch: :math:`\alpha_e = \alpha_0\,\gamma^{e}`.

    Args:
        optimizer: the optimizer whose ``lr`` to set.
        gamma: the factor, > 0.
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_positive(gamma, "gamma", "ExponentialLR")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    r"""Cosine from :math:`\alpha_0` down to :math:`\eta_{min}` over ``T_max`` epochs.

    .. math::
        \alpha_e = \eta_{min} + \tfrac{1}{2}(\alpha_0 - \eta_{min})
        \left(1 + \cos\frac{\pi e}{T_{max}}\right)

    (PyTorch's closed form; past ``T_max`` the cosine rises again, as PyTorch's.)

    Args:
        optimizer: the optimizer whose ``lr`` to set.
        T_max: the half period in epochs, an integer >= 1.
        eta_min: the floor, 0 <= eta_min < the optimizer's lr (default 0). With 0 the
            rate at exactly ``T_max`` would be 0; the optimizer then keeps a tiny positive
            rate instead (1e-300), since ``lr`` must be > 0.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max={T_max!r} must be an integer >= 1")
        try:
            eta = float(eta_min)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"CosineAnnealingLR: eta_min={eta_min!r} must be a number") from exc
        if not math.isfinite(eta) or eta < 0 or eta >= optimizer.lr:
            raise ValueError(
                f"CosineAnnealingLR: eta_min={eta_min!r} must be >= 0 and below the"
                f" optimizer's lr={optimizer.lr}"
            )
        self.T_max = T_max
        self.eta_min = eta
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        lr = self.eta_min + 0.5 * (self.base_lr - self.eta_min) * (
            1.0 + math.cos(math.pi * epoch / self.T_max)
        )
        return max(lr, 1e-300)
