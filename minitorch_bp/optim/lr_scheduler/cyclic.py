r"""Cyclical schedules: CyclicLR and OneCycleLR (stepped per batch), CosineAnnealingWarmRestarts."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.optim.lr_scheduler._base import (
    LRScheduler,
    check_factor,
    check_gamma,
    check_int,
    check_optimizer,
    per_group,
)
from minitorch_bp.optim.optimizer import Optimizer, check_group_lr

MODES = ("triangular", "triangular2", "exp_range")


def _momentum_key(optimizer: Optimizer, who: str) -> str:
    """``"momentum"`` (SGD, RMSprop) or ``"betas"`` (the Adam family): what the cycle moves."""
    if "momentum" in optimizer.defaults:
        return "momentum"
    if "betas" in optimizer.defaults:
        return "betas"
    raise ValueError(
        f"{who}: cycle_momentum=True needs an optimizer with momentum or betas;"
        f" {type(optimizer).__name__} has neither (pass cycle_momentum=False)"
    )


def _set_momentum(group: dict[str, Any], key: str, value: float) -> None:
    if key == "betas":
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _momenta(value: Any, optimizer: Optimizer, name: str, who: str) -> list[float]:
    return [
        check_factor(v, name, who, low=0.0, high=1.0, open_low=False)
        for v in per_group(value, optimizer, name, who)
    ]


class CyclicLR(LRScheduler):
    r"""Cycle each group's rate between ``base_lr`` and ``max_lr`` (Smith, 2017), as PyTorch's; stepped per batch.

    Within a cycle of ``step_size_up + step_size_down`` batches the rate rises linearly
    from ``base_lr`` to ``max_lr`` and falls back; the amplitude is scaled by ``1``
    (``"triangular"``), :math:`2^{-(c-1)}` in cycle :math:`c` (``"triangular2"``),
    :math:`\gamma^{\text{batch}}` (``"exp_range"``) or ``scale_fn``. With
    ``cycle_momentum`` the momentum (or Adam's :math:`\beta_1`) moves the other way,
    between ``max_momentum`` and ``base_momentum``.

    Args:
        optimizer: the optimizer; building the scheduler sets each group's rate to ``base_lr``.
        base_lr, max_lr: the bounds, one value or one per group (> 0).
        step_size_up: batches of the rising half, >= 1 (default 2000).
        step_size_down: batches of the falling half (default: ``step_size_up``).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: the factor of ``"exp_range"``, > 0.
        scale_fn: a custom amplitude, a function of the cycle or the batch (``scale_mode``).
        scale_mode: ``"cycle"`` or ``"iterations"`` (for ``scale_fn``).
        cycle_momentum: move the momentum too (default ``True``, as PyTorch).
        base_momentum, max_momentum: its bounds, in [0, 1].
        last_epoch: ``-1`` to start.
    """

    interval = "batch"
    settings = (
        "max_lrs",
        "total_size",
        "step_ratio",
        "mode",
        "gamma",
        "scale_mode",
        "cycle_momentum",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        who = "CyclicLR"
        check_optimizer(optimizer, who)
        base_lrs = [
            float(check_group_lr(v, who)) for v in per_group(base_lr, optimizer, "base_lr", who)
        ]
        self.max_lrs = [
            float(check_group_lr(v, who)) for v in per_group(max_lr, optimizer, "max_lr", who)
        ]
        up = check_int(step_size_up, "step_size_up", who)
        down = up if step_size_down is None else check_int(step_size_down, "step_size_down", who)
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        if scale_fn is None and mode not in MODES:
            raise ValueError(f"{who}: mode={mode!r} must be one of {MODES} (or give scale_fn)")
        if scale_fn is not None and not callable(scale_fn):
            raise ValueError(f"{who}: scale_fn is {type(scale_fn).__name__}, not a function")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"{who}: scale_mode={scale_mode!r} must be 'cycle' or 'iterations'")
        self.mode = mode
        self.gamma = check_gamma(gamma, who)
        self._scale_fn = scale_fn
        self.scale_mode = (
            scale_mode
            if scale_fn is not None
            else ("iterations" if mode == "exp_range" else "cycle")
        )
        self.cycle_momentum = bool(cycle_momentum)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        if self.cycle_momentum:
            self._key = _momentum_key(optimizer, who)
            self.base_momentums = _momenta(base_momentum, optimizer, "base_momentum", who)
            self.max_momentums = _momenta(max_momentum, optimizer, "max_momentum", who)
            if last_epoch == -1:
                for high, low, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups, strict=True
                ):
                    _set_momentum(group, self._key, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at cycle (or batch) ``x``."""
        if self._scale_fn is not None:
            value: float = self._scale_fn(x)
            return float(value)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return float(1 / (2.0 ** (x - 1.0)))
        return float(self.gamma**x)

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [
            base + (high - base) * scale_factor * self.scale_fn(at)
            for base, high in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            for low, high, group in zip(
                self.base_momentums, self.max_momentums, self.optimizer.param_groups, strict=True
            ):
                _set_momentum(
                    group, self._key, high - (high - low) * scale_factor * self.scale_fn(at)
                )
        return lrs

    def extra_state_keys(self) -> tuple[str, ...]:
        return ("base_momentums", "max_momentums")

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        if self.cycle_momentum:
            state.update(
                base_momentums=list(self.base_momentums), max_momentums=list(self.max_momentums)
            )
        return state

    def load_extra(self, state: Mapping[str, Any]) -> None:
        if "base_momentums" in state:
            self.base_momentums = [float(v) for v in state["base_momentums"]]
            self.max_momentums = [float(v) for v in state["max_momentums"]]


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2018), as PyTorch's; stepped per batch.

    Over ``total_steps`` batches the rate rises from ``max_lr / div_factor`` to ``max_lr``
    during the first ``pct_start`` of them, then anneals to
    ``max_lr / (div_factor · final_div_factor)`` (cosine or linear); with ``three_phase``
    it first comes back down to the start, then anneals. The momentum (or :math:`\beta_1`)
    moves the other way. Stepping past ``total_steps`` is an error.

    Args:
        optimizer: the optimizer; building the scheduler sets each group's rate.
        max_lr: the peak, one value or one per group.
        total_steps: the number of batches; or give ``epochs`` and ``steps_per_epoch``.
        epochs, steps_per_epoch: see ``total_steps``.
        pct_start: the rising fraction, in [0, 1] (default 0.3).
        anneal_strategy: ``"cos"`` or ``"linear"``.
        cycle_momentum: move the momentum too (default ``True``).
        base_momentum, max_momentum: its bounds (0.85, 0.95).
        div_factor: ``max_lr / div_factor`` is the starting rate (25).
        final_div_factor: the final rate is the start divided by this (1e4).
        three_phase: PyTorch's three-phase variant.
        last_epoch: ``-1`` to start.
    """

    interval = "batch"
    settings = ("total_steps", "anneal_strategy", "cycle_momentum", "phases")

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        who = "OneCycleLR"
        check_optimizer(optimizer, who)
        if total_steps is not None:
            self.total_steps = check_int(total_steps, "total_steps", who)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = check_int(epochs, "epochs", who) * check_int(
                steps_per_epoch, "steps_per_epoch", who
            )
        else:
            raise ValueError(f"{who}: give total_steps, or epochs and steps_per_epoch")
        pct = check_factor(pct_start, "pct_start", who, low=0.0, high=1.0, open_low=False)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"{who}: anneal_strategy={anneal_strategy!r} must be 'cos' or 'linear'"
            )
        self.anneal_strategy = anneal_strategy
        n = self.total_steps
        ends = [pct * n - 1, 2 * pct * n - 2, n - 1] if three_phase else [pct * n - 1, n - 1]
        names = (
            [("initial_lr", "max_lr"), ("max_lr", "initial_lr"), ("initial_lr", "min_lr")]
            if three_phase
            else [("initial_lr", "max_lr"), ("max_lr", "min_lr")]
        )
        moms = (
            [
                ("max_momentum", "base_momentum"),
                ("base_momentum", "max_momentum"),
                ("max_momentum", "max_momentum"),
            ]
            if three_phase
            else [("max_momentum", "base_momentum"), ("base_momentum", "max_momentum")]
        )
        start = 0.0
        for end in ends:
            if not end > start:
                raise ValueError(
                    f"{who}: pct_start={pct_start} of total_steps={n} leaves a phase without"
                    " steps; give more steps or another pct_start"
                )
            start = end
        self.phases: list[dict[str, Any]] = [
            {
                "end_step": float(end),
                "start_lr": a,
                "end_lr": b,
                "start_momentum": c,
                "end_momentum": d,
            }
            for end, (a, b), (c, d) in zip(ends, names, moms, strict=True)
        ]
        div = check_gamma(div_factor, who)
        final = check_gamma(final_div_factor, who)
        peaks = [float(check_group_lr(v, who)) for v in per_group(max_lr, optimizer, "max_lr", who)]
        if last_epoch == -1:
            for peak, group in zip(peaks, optimizer.param_groups, strict=True):
                group["initial_lr"] = peak / div
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self._key = _momentum_key(optimizer, who)
            highs = _momenta(max_momentum, optimizer, "max_momentum", who)
            lows = _momenta(base_momentum, optimizer, "base_momentum", who)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups, strict=True):
                    _set_momentum(group, self._key, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times; the schedule has total_steps={self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self.phases):
                end = phase["end_step"]
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        value = self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        _set_momentum(group, self._key, value)
                    break
                start = end
        return lrs


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter, 2017), as PyTorch's.

    .. math::
        \alpha = \eta_{min} + \tfrac{1}{2}(\alpha_0 - \eta_{min})\left(1 + \cos\frac{\pi T_{cur}}{T_i}\right)

    restarting when :math:`T_{cur}` reaches :math:`T_i`; the period starts at ``T_0`` and
    is multiplied by ``T_mult`` at each restart. ``step()`` advances one epoch;
    ``step(epoch)`` accepts a fractional epoch (``epoch + i / batches`` within an epoch).

    Args:
        optimizer: the optimizer.
        T_0: the first period, an integer >= 1.
        T_mult: the growth of the period, an integer >= 1 (default 1).
        eta_min: the floor, >= 0.
        last_epoch: ``-1`` to start.
    """

    settings = ("T_0", "T_i", "T_mult", "eta_min", "T_cur")

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        who = "CosineAnnealingWarmRestarts"
        self.T_0 = check_int(T_0, "T_0", who)
        self.T_i = self.T_0
        self.T_mult = check_int(T_mult, "T_mult", who)
        self.eta_min = check_nonnegative(eta_min, "eta_min", who)
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        ratio = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * ratio for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (a number >= 0, fractions allowed)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            epoch = check_nonnegative(epoch, "epoch", "CosineAnnealingWarmRestarts.step")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self.set_lrs(self.get_lr())
