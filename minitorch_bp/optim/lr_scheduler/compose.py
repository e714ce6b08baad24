r"""Composing schedules: ``SequentialLR`` (one after another) and ``ChainedScheduler`` (all at once)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from minitorch_bp.optim.lr_scheduler._base import LRScheduler, check_int
from minitorch_bp.optim.lr_scheduler.plateau import ReduceLROnPlateau
from minitorch_bp.optim.optimizer import Optimizer


def _check_schedulers(
    schedulers: Sequence[Any], optimizer: Optimizer | None, who: str
) -> Optimizer:
    """The optimizer every scheduler of ``schedulers`` drives (one they all share)."""
    scheds = list(schedulers)
    if not scheds:
        raise ValueError(f"{who}: expects at least one scheduler")
    target = optimizer if optimizer is not None else getattr(scheds[0], "optimizer", None)
    for i, s in enumerate(scheds):
        if not isinstance(s, LRScheduler):
            raise ValueError(f"{who}: schedulers[{i}] is {type(s).__name__}, not an LRScheduler")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(
                f"{who}: schedulers[{i}] is a ReduceLROnPlateau, whose step needs the monitored"
                " value; step it yourself next to this one"
            )
        if s.optimizer is not target:
            raise ValueError(f"{who}: schedulers[{i}] drives another optimizer; all must share one")
    assert isinstance(target, Optimizer)
    return target


def _interval(schedulers: Sequence[LRScheduler], who: str) -> str:
    kinds = {s.interval for s in schedulers}
    if len(kinds) > 1:
        raise ValueError(
            f"{who}: mixes schedulers stepped per epoch and per batch ({sorted(kinds)}), which"
            " fit cannot step together"
        )
    return kinds.pop()


class SequentialLR(LRScheduler):
    r"""Run ``schedulers`` one after another, switching at the ``milestones`` epochs, as PyTorch's.

    At a milestone the next schedule restarts from each group's ``initial_lr`` (its closed
    form at epoch 0, as PyTorch's ``SequentialLR`` does), e.g. a linear warm-up then a
    cosine decay.

    Args:
        optimizer: the optimizer all the schedulers drive.
        schedulers: the schedules, built on ``optimizer``.
        milestones: the epochs where the next one takes over, one fewer than ``schedulers``.
        last_epoch: ``-1`` to start.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> warm = optim.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = optim.ExponentialLR(opt, gamma=0.5)
        >>> sched = optim.SequentialLR(opt, [warm, decay], milestones=[2])
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        who = "SequentialLR"
        self.optimizer = _check_schedulers(schedulers, optimizer, who)
        marks = [check_int(v, f"milestones[{i}]", who) for i, v in enumerate(milestones)]
        if len(marks) != len(schedulers) - 1:
            raise ValueError(
                f"{who}: {len(schedulers)} schedulers need {len(schedulers) - 1} milestones;"
                f" got {len(marks)}"
            )
        if marks != sorted(marks):
            raise ValueError(f"{who}: milestones={marks} must be increasing")
        self.interval = _interval(schedulers, who)
        self._schedulers = list(schedulers)
        self._milestones = marks
        self.last_epoch = last_epoch + 1
        self._step_count = 0
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.base_lrs = self.current_lrs()
        for s in self._schedulers:  # undo the first step each one took when it was built
            _undo(s)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Advance one epoch: the schedule in charge steps, or the next one restarts."""
        self.last_epoch += 1
        self._step_count += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(
            _milestones=list(self._milestones),
            _schedulers=[s.state_dict() for s in self._schedulers],
        )
        return state

    def extra_state_keys(self) -> tuple[str, ...]:
        return ("_milestones", "_schedulers")

    def load_extra(self, state: Mapping[str, Any]) -> None:
        load_children(self._schedulers, state, type(self).__name__)


class ChainedScheduler(LRScheduler):
    r"""Step several schedules of one optimizer together, as PyTorch's: their factors multiply.

    Args:
        schedulers: the schedules, all on one optimizer.
        optimizer: that optimizer (default: the first scheduler's).

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
        >>> sched = optim.ChainedScheduler([optim.ConstantLR(opt, factor=0.5, total_iters=2),
        ...                                 optim.ExponentialLR(opt, gamma=0.9)])
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     sched.step()
        >>> lrs
        [0.5, 0.45, 0.81, 0.729]
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        who = "ChainedScheduler"
        self.optimizer = _check_schedulers(schedulers, optimizer, who)
        self.interval = _interval(schedulers, who)
        self._schedulers = list(schedulers)
        self.last_epoch = 0
        self._step_count = 0
        self.base_lrs = [float(g.get("initial_lr", g["lr"])) for g in self.optimizer.param_groups]
        self._last_lr = self.current_lrs()

    def step(self) -> None:
        """Step every schedule, in order."""
        self.last_epoch += 1
        self._step_count += 1
        for s in self._schedulers:
            s.step()
        self._last_lr = self.current_lrs()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def extra_state_keys(self) -> tuple[str, ...]:
        return ("_schedulers",)

    def load_extra(self, state: Mapping[str, Any]) -> None:
        load_children(self._schedulers, state, type(self).__name__)


def _undo(scheduler: LRScheduler) -> None:
    """Take back the epoch a scheduler counted when it was built (PyTorch's ``recursive_undo``)."""
    children = getattr(scheduler, "_schedulers", None)
    if children is not None:
        for child in children:
            _undo(child)
    else:
        scheduler.last_epoch -= 1


def load_children(children: list[LRScheduler], state: Mapping[str, Any], who: str) -> None:
    """Load each composed scheduler's state (saved under ``_schedulers``)."""
    saved = state.get("_schedulers")
    if saved is None:
        return
    saved = list(saved)
    if len(saved) != len(children):
        raise ValueError(
            f"{who}.load_state_dict: the state has {len(saved)} schedulers, not {len(children)}"
        )
    for child, child_state in zip(children, saved, strict=True):
        child.load_state_dict(child_state)
