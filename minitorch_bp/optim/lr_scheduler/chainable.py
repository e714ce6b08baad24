r"""Schedules of the epoch, in PyTorch's chainable forms: StepLR, LinearLR, CosineAnnealingLR...

Each :meth:`get_lr` turns the groups' current rates into the next ones (most multiply by
a factor), exactly as ``torch.optim.lr_scheduler`` does, so two of them on one optimizer
compose as they do in PyTorch; :meth:`closed_form` gives the rate from ``base_lrs`` alone
(what :class:`~minitorch_bp.optim.SequentialLR` uses at a milestone).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.optim.lr_scheduler._base import (
    LRScheduler,
    check_callables,
    check_factor,
    check_gamma,
    check_int,
    check_optimizer,
)
from minitorch_bp.optim.optimizer import Optimizer


class LambdaLR(LRScheduler):
    r"""Each group's rate is its initial rate times a function of the epoch: :math:`\alpha_e = \alpha_0\,f(e)`.

    Args:
        optimizer: the optimizer.
        lr_lambda: :math:`f`, or a list with one function per parameter group.
        last_epoch: ``-1`` to start.

    Functions are not saved by :meth:`state_dict` (as PyTorch, which keeps only the
    attributes of callable objects); build the scheduler with the same ones to resume.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = LambdaLR(opt, lambda e: 1 / (1 + e))
        >>> [(sched.get_last_lr(), sched.step())[0][0] for _ in range(3)]
        [1.0, 0.5, 0.3333333333333333]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        self.lr_lambdas = check_callables(lr_lambda, check_optimizer(optimizer, name), name)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base * fn(self.last_epoch)
            for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def extra_state_keys(self) -> tuple[str, ...]:
        return ("lr_lambdas",)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = [_object_state(fn) for fn in self.lr_lambdas]
        return state

    def load_extra(self, state: Any) -> None:
        saved = state.get("lr_lambdas")
        if saved is None:
            return
        if len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: lr_lambdas has {len(saved)} entries"
            )
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None:
                vars(fn).update(attrs)


class MultiplicativeLR(LambdaLR):
    r"""Each epoch multiplies each group's rate by a function of the epoch: :math:`\alpha_e = \alpha_{e-1} f(e)`.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = MultiplicativeLR(opt, lambda e: 0.5)
        >>> [(sched.get_last_lr(), sched.step())[0][0] for _ in range(3)]
        [1.0, 0.5, 0.25]
    """

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self.current_lrs()
        return [
            g["lr"] * fn(self.last_epoch)
            for fn, g in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)
        ]


class StepLR(LRScheduler):
    r"""Decay by ``gamma`` every ``step_size`` epochs: :math:`\alpha_e = \alpha_0\,\gamma^{\lfloor e / s \rfloor}`.

    Args:
        optimizer: the optimizer.
        step_size: epochs between decays, an integer >= 1.
        gamma: the factor, > 0 (default 0.1).
        last_epoch: ``-1`` to start.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> [(sched.get_last_lr(), sched.step())[0][0] for _ in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    settings = ("step_size", "gamma")

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = check_int(step_size, "step_size", "StepLR")
        self.gamma = check_gamma(gamma, "StepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self.current_lrs()
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def closed_form(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Decay by ``gamma`` at each milestone epoch: :math:`\alpha_e = \alpha_0\,\gamma^{\#\{\text{milestones} \le e\}}`.

    Args:
        optimizer: the optimizer.
        milestones: epoch indices (integers >= 1); one given twice decays twice, as PyTorch's.
        gamma: the factor, > 0 (default 0.1).
        last_epoch: ``-1`` to start.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> [(sched.get_last_lr(), sched.step())[0][0] for _ in range(4)]
        [1.0, 0.5, 0.5, 0.25]
    """

    settings = ("milestones", "gamma")

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        marks = list(milestones)
        for i, mark in enumerate(marks):
            check_int(mark, f"milestones[{i}]", "MultiStepLR")
        self.milestones = sorted(int(v) for v in marks)
        self.gamma = check_gamma(gamma, "MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        count = Counter(self.milestones)[self.last_epoch]
        if not count:
            return self.current_lrs()
        return [g["lr"] * self.gamma**count for g in self.optimizer.param_groups]

    def closed_form(self) -> list[float]:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""A constant ``factor`` times the rate until epoch ``total_iters``, then the rate itself.

    Args:
        optimizer: the optimizer.
        factor: in (0, 1] (default 1/3).
        total_iters: epochs at the reduced rate, >= 1 (default 5).
        last_epoch: ``-1`` to start.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
        >>> [(sched.get_last_lr(), sched.step())[0][0] for _ in range(4)]
        [0.5, 0.5, 1.0, 1.0]
    """

    settings = ("factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.factor = check_factor(factor, "factor", "ConstantLR", low=0.0, high=1.0, open_low=True)
        self.total_iters = check_int(total_iters, "total_iters", "ConstantLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in groups]
        if self.last_epoch != self.total_iters:
            return self.current_lrs()
        return [g["lr"] * (1.0 / self.factor) for g in groups]

    def closed_form(self) -> list[float]:
        after = self.last_epoch >= self.total_iters
        return [base * (self.factor + after * (1 - self.factor)) for base in self.base_lrs]


class LinearLR(LRScheduler):
    r"""The rate times a factor going linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

    Args:
        optimizer: the optimizer.
        start_factor: in (0, 1] (default 1/3).
        end_factor: in [0, 1] (default 1).
        total_iters: epochs of the ramp, >= 1 (default 5).
        last_epoch: ``-1`` to start.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> [round(sched.get_last_lr()[0], 12) for _ in range(5) if sched.step() or True]
        [0.5, 0.75, 1.0, 1.0, 1.0]
    """

    settings = ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = check_factor(
            start_factor, "start_factor", "LinearLR", low=0.0, high=1.0, open_low=True
        )
        self.end_factor = check_factor(
            end_factor, "end_factor", "LinearLR", low=0.0, high=1.0, open_low=False
        )
        self.total_iters = check_int(total_iters, "total_iters", "LinearLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] * self.start_factor for g in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self.current_lrs()
        change = self.end_factor - self.start_factor
        ratio = 1.0 + change / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * change
        )
        return [g["lr"] * ratio for g in groups]

    def closed_form(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [
            base * (self.start_factor + (self.end_factor - self.start_factor) * done)
            for base in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    r"""Decay by ``gamma`` every epoch: :math:`\alpha_e = \alpha_0\,\gamma^{e}`.

    Args:
        optimizer: the optimizer.
        gamma: the factor, > 0.
        last_epoch: ``-1`` to start.
    """

    settings = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_gamma(gamma, "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self.current_lrs()
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def closed_form(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay to 0 over ``total_iters`` epochs: :math:`\alpha_e = \alpha_0 (1 - \min(e, T)/T)^{p}`.

    Args:
        optimizer: the optimizer.
        total_iters: :math:`T`, epochs of the decay, >= 1 (default 5).
        power: :math:`p \ge 0` (default 1: linear).
        last_epoch: ``-1`` to start.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = PolynomialLR(opt, total_iters=4, power=2.0)
        >>> [(sched.get_last_lr(), sched.step())[0][0] for _ in range(6)]
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    settings = ("total_iters", "power")

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = check_int(total_iters, "total_iters", "PolynomialLR")
        self.power = check_nonnegative(power, "power", "PolynomialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self.current_lrs()
        T, e = self.total_iters, self.last_epoch
        factor = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** self.power
        return [g["lr"] * factor for g in self.optimizer.param_groups]

    def closed_form(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (1.0 - done) ** self.power for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine from each group's rate down to :math:`\eta_{min}` over ``T_max`` epochs.

    .. math::
        \alpha_e = \eta_{min} + \tfrac{1}{2}(\alpha_0 - \eta_{min})
        \left(1 + \cos\frac{\pi e}{T_{max}}\right)

    computed, as PyTorch does, from the previous epoch's rate (so it composes with other
    schedulers); past ``T_max`` the cosine rises again. With ``eta_min = 0`` the rate at
    ``T_max`` is 0, as in PyTorch.

    Args:
        optimizer: the optimizer.
        T_max: the half period in epochs, an integer >= 1.
        eta_min: the floor :math:`\eta_{min} \ge 0` (default 0).
        last_epoch: ``-1`` to start.
    """

    settings = ("T_max", "eta_min")

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = check_int(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = check_nonnegative(eta_min, "eta_min", "CosineAnnealingLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups, T, e, eta = self.optimizer.param_groups, self.T_max, self.last_epoch, self.eta_min
        if self._is_initial:
            return self.current_lrs()
        if self._step_count == 1 and e > 0:  # resumed at an epoch: the closed form
            return [
                eta + (base - eta) * (1 + math.cos(e * math.pi / T)) / 2 for base in self.base_lrs
            ]
        if (e - 1 - T) % (2 * T) == 0:  # the bottom of the cosine: its ratio would be 0/0
            return [
                g["lr"] + (base - eta) * (1 - math.cos(math.pi / T)) / 2
                for base, g in zip(self.base_lrs, groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (g["lr"] - eta) + eta for g in groups]

    def closed_form(self) -> list[float]:
        e, T, eta = self.last_epoch, self.T_max, self.eta_min
        return [eta + (base - eta) * (1 + math.cos(math.pi * e / T)) / 2 for base in self.base_lrs]


def _object_state(fn: Any) -> dict[str, Any] | None:
    """The attributes of a callable object (saved, as PyTorch saves them); ``None`` for a function."""
    import types

    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return None
    return dict(vars(fn)) if hasattr(fn, "__dict__") else None
