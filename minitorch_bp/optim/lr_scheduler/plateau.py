r"""``ReduceLROnPlateau``: lower the rate when a monitored value stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.optim.lr_scheduler._base import (
    LRScheduler,
    check_factor,
    check_optimizer,
    per_group,
)
from minitorch_bp.optim.optimizer import Optimizer


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply every group's rate by ``factor`` when ``step(value)`` has not improved for ``patience`` epochs.

    PyTorch's rule: a value improves on the best so far when it is below
    ``best · (1 − threshold)`` (``mode="min"``, ``threshold_mode="rel"``), below
    ``best − threshold`` (``"abs"``), or above ``best · (1 + threshold)`` /
    ``best + threshold`` in ``mode="max"``. After more than ``patience`` epochs without one
    each group's rate becomes :math:`\max(\alpha\cdot\text{factor}, \text{min\_lr})` (a change
    smaller than ``eps`` is skipped), then ``cooldown`` epochs pass before epochs count again.

    :func:`~minitorch_bp.train.fit` calls ``step`` after each epoch with the value named by
    ``monitor`` (default ``"val_loss"`` when there is validation data, else ``"loss"``).

    Args:
        optimizer: the optimizer.
        mode: ``"min"`` or ``"max"``.
        factor: in (0, 1) (default 0.1).
        patience: epochs without improvement allowed, an integer >= 0 (default 10).
        threshold: what counts as an improvement, >= 0 (default 1e-4).
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: epochs to wait after a reduction, an integer >= 0.
        min_lr: the floor, one value or one per group, >= 0.
        eps: the smallest change of a rate that is applied, >= 0 (default 1e-8).
        monitor: for ``fit``: the key of the epoch's values to pass to :meth:`step`.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
        >>> lrs = []
        >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0]:   # better, better, then stalled
        ...     sched.step(loss)
        ...     lrs.append(sched.get_last_lr()[0])
        >>> lrs                                          # halved after 2 epochs without progress
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    """

    settings = (
        "mode",
        "factor",
        "patience",
        "threshold",
        "threshold_mode",
        "cooldown",
        "min_lrs",
        "eps",
        "best",
        "num_bad_epochs",
        "cooldown_counter",
        "monitor",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
        *,
        monitor: str | None = None,
    ) -> None:
        who = "ReduceLROnPlateau"
        self.optimizer = check_optimizer(optimizer, who)
        if mode not in ("min", "max"):
            raise ValueError(f"{who}: mode={mode!r} must be 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{who}: threshold_mode={threshold_mode!r} must be 'rel' or 'abs'")
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor = check_factor(factor, "factor", who, low=0.0, high=1.0, open_low=True)
        if self.factor == 1.0:
            raise ValueError(f"{who}: factor=1.0 must be below 1 (it would change nothing)")
        self.patience = _count(patience, "patience", who)
        self.cooldown = _count(cooldown, "cooldown", who)
        self.threshold = check_nonnegative(threshold, "threshold", who)
        self.eps = check_nonnegative(eps, "eps", who)
        self._default_min_lr = None if isinstance(min_lr, (list, tuple)) else float(min_lr)
        self.min_lrs = [
            check_nonnegative(v, "min_lr", who) for v in per_group(min_lr, optimizer, "min_lr", who)
        ]
        if monitor is not None and not isinstance(monitor, str):
            raise ValueError(f"{who}: monitor={monitor!r} must be the name of a logged value")
        self.monitor = monitor
        self.last_epoch = 0
        self._step_count = 0
        self.base_lrs = self.current_lrs()
        self._last_lr = self.current_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by the threshold (PyTorch's four cases)."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < best * (1.0 - self.threshold)
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (self.threshold + 1.0)
        return value > best + self.threshold

    def step(self, metrics: float | None = None) -> None:
        """Record one epoch's monitored value and lower the rates if it has stalled."""
        if metrics is None:
            raise ValueError(
                "ReduceLROnPlateau.step needs the monitored value, e.g. step(val_loss)"
            )
        current = float(metrics)
        if math.isnan(current):
            raise ValueError("ReduceLROnPlateau.step: the monitored value is NaN")
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self.current_lrs()

    def _reduce(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self._default_min_lr is None:
                raise ValueError(
                    f"ReduceLROnPlateau: the optimizer now has {len(groups)} parameter groups,"
                    f" min_lr has {len(self.min_lrs)} values; set scheduler.min_lrs to match"
                )
            self.min_lrs = [self._default_min_lr] * len(groups)
        for group, floor in zip(groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, floor)
            if old - new > self.eps:
                group["lr"] = new

    def extra_state_keys(self) -> tuple[str, ...]:
        return ("_default_min_lr",)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_default_min_lr"] = self._default_min_lr
        return state

    def load_extra(self, state: Mapping[str, Any]) -> None:
        if "_default_min_lr" in state:
            value = state["_default_min_lr"]
            self._default_min_lr = None if value is None else float(value)


def _count(value: Any, name: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{who}: {name}={value!r} must be an integer >= 0")
    return value
