r"""The ``LRScheduler`` base: PyTorch's protocol, one learning rate per parameter group."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from minitorch_bp._validation import check_positive, check_positive_int
from minitorch_bp.optim.optimizer import Optimizer, check_group_lr


class LRScheduler:
    r"""Base class of the schedules, ``torch.optim.lr_scheduler.LRScheduler``'s protocol.

    Building a scheduler records each group's learning rate as ``group["initial_lr"]``
    (``base_lrs``) and takes the first step (epoch 0). Every :meth:`step` advances
    ``last_epoch`` and writes each group's new rate into ``optimizer.param_groups``. The
    rates are PyTorch's *chainable* forms: most multiply the group's current rate by a
    factor, so two schedulers on one optimizer compose (their factors multiply) exactly as
    in PyTorch, and a group keeps its ratio to the others. Call :meth:`step` after the
    optimizer's steps of an epoch (of a batch, for :class:`CyclicLR` and
    :class:`OneCycleLR`; see :attr:`interval`).

    Args:
        optimizer: the optimizer whose groups' ``lr`` to set.
        last_epoch: ``-1`` to start; an epoch index to resume (the groups must then hold
            ``initial_lr``, as a loaded optimizer state does).

    Attributes:
        base_lrs: each group's rate when the schedule started.
        last_epoch: the epoch (or batch) index of the current rates.
        interval: ``"epoch"`` or ``"batch"``: how often
            :func:`~minitorch_bp.train.fit` calls :meth:`step`.
    """

    interval: str = "epoch"
    #: Settings saved by :meth:`state_dict` besides the counters (subclasses list theirs).
    settings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        self.optimizer = check_optimizer(optimizer, name)
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(
                f"{name}: last_epoch={last_epoch!r} must be -1 (start) or an epoch >= 0"
            )
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(
                    f"{name}: last_epoch={last_epoch} resumes a schedule, but param_groups[{i}]"
                    " has no 'initial_lr'; load the optimizer's state first"
                )
        self.base_lrs: list[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = self.current_lrs()
        self._initial_step()

    def _initial_step(self) -> None:
        """Take the step that sets epoch 0, as a newly built scheduler does."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # ----------------------------------------------------------------- the schedule
    def get_lr(self) -> list[float]:
        """The rates for ``last_epoch`` (just advanced), one per group (subclasses)."""
        raise NotImplementedError

    def closed_form(self) -> list[float] | None:
        """The rates for ``last_epoch`` from ``base_lrs`` alone, or ``None`` without one."""
        return None

    def step(self) -> None:
        """Advance one epoch (or batch) and set every group's learning rate."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:  # SequentialLR restarts a schedule at its milestone this way, as PyTorch's
            self.last_epoch = epoch
            values = self.closed_form() or self.get_lr()
        self.set_lrs(values)

    def set_lrs(self, values: Sequence[float]) -> None:
        """Write one rate per group (each finite and >= 0) and remember them."""
        name = type(self).__name__
        checked = [check_group_lr(v, name) for v in values]
        for group, lr in zip(self.optimizer.param_groups, checked, strict=True):
            group["lr"] = lr
        self._last_lr = self.current_lrs()

    def current_lrs(self) -> list[float]:
        """Every group's learning rate now."""
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The rates the last :meth:`step` set, one per parameter group (a new list)."""
        return list(self._last_lr)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """Return the settings and counters (JSON-able), as PyTorch's holds everything but the optimizer."""
        state: dict[str, Any] = {"type": type(self).__name__}
        for key in self.settings:
            state[key] = getattr(self, key)
        state.update(
            base_lrs=list(self.base_lrs),
            last_epoch=self.last_epoch,
            _step_count=self._step_count,
            _last_lr=list(self._last_lr),
        )
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, all or nothing; the groups' rates follow."""
        name = type(self).__name__
        if not isinstance(state, Mapping):
            raise ValueError(f"{name}.load_state_dict: state is {type(state).__name__}, not a dict")
        if state.get("type", name) != name:
            raise ValueError(f"{name}.load_state_dict: state is for {state['type']}")
        backup = self.state_dict()
        try:
            self._load(state)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            self._load(backup)
            if isinstance(exc, ValueError):
                raise
            raise ValueError(f"{name}.load_state_dict: malformed state ({exc!r})") from exc

    def _load(self, state: Mapping[str, Any]) -> None:
        name = type(self).__name__
        known = {"type", "base_lrs", "last_epoch", "_step_count", "_last_lr", *self.settings}
        known |= set(self.extra_state_keys())
        unknown = sorted(set(state) - known - {"base_lr"})
        if unknown:
            raise ValueError(f"{name}.load_state_dict: unknown keys {unknown}")
        groups = len(self.optimizer.param_groups)
        if "base_lr" in state and "base_lrs" not in state:  # saved before parameter groups
            state = {**state, "base_lrs": [state["base_lr"]] * groups}
        last = state.get("_last_lr", self._last_lr)
        if not isinstance(last, (list, tuple)):
            last = [last] * groups
        base = [float(v) for v in state.get("base_lrs", self.base_lrs)]
        if len(base) != groups or len(last) != groups:
            raise ValueError(
                f"{name}.load_state_dict: the state has rates for {len(base)} parameter groups;"
                f" the optimizer has {groups}"
            )
        for key in self.settings:
            if key in state:
                setattr(self, key, state[key])
        self.load_extra(state)
        self.base_lrs = base
        self.last_epoch = int(state.get("last_epoch", self.last_epoch))
        self._step_count = int(state.get("_step_count", self._step_count))
        self.set_lrs([float(v) for v in last])

    def extra_state_keys(self) -> tuple[str, ...]:
        """State keys a subclass saves besides its settings (restored by :meth:`load_extra`)."""
        return ()

    def load_extra(self, state: Mapping[str, Any]) -> None:
        """Restore a subclass's extra state (see :meth:`extra_state_keys`)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


def check_optimizer(optimizer: Any, who: str) -> Optimizer:
    """Return ``optimizer`` if it is an :class:`Optimizer` whose groups have a learning rate."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{who}: optimizer must be an Optimizer, got {type(optimizer).__name__}")
    if not all("lr" in g for g in optimizer.param_groups):
        raise ValueError(
            f"{who}: {type(optimizer).__name__} takes its steps by a line search and has"
            " no learning rate to schedule"
        )
    return optimizer


def per_group(value: Any, optimizer: Optimizer, name: str, who: str) -> list[Any]:
    """``value`` for every group: one value for all, or a list with one per group (PyTorch's rule)."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(
                f"{who}: {name} has {len(value)} values; the optimizer has {groups} parameter groups"
            )
        return list(value)
    return [value] * groups


def check_factor(
    value: Any, name: str, who: str, *, low: float, high: float, open_low: bool
) -> float:
    """Return ``value`` as a float in [low, high] (or (low, high] when ``open_low``)."""
    if isinstance(value, (bool, str)):
        raise ValueError(f"{who}: {name}={value!r} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{who}: {name}={value!r} must be a number") from exc
    ok = (number > low if open_low else number >= low) and number <= high and math.isfinite(number)
    if not ok:
        bracket = "(" if open_low else "["
        raise ValueError(f"{who}: {name}={value!r} must be in {bracket}{low}, {high}]")
    return number


def check_int(value: Any, name: str, who: str) -> int:
    """Return ``value`` if it is an integer >= 1."""
    return check_positive_int(value, name, who)


def check_gamma(value: Any, who: str) -> float:
    """Return ``gamma`` if it is a finite number > 0."""
    if isinstance(value, (bool, str)):
        raise ValueError(f"{who}: gamma={value!r} must be a finite number > 0")
    return check_positive(value, "gamma", who)


def check_callables(value: Any, optimizer: Optimizer, who: str) -> list[Callable[[int], float]]:
    """One function of the epoch per group, as ``LambdaLR`` and ``MultiplicativeLR`` take."""
    fns = per_group(value, optimizer, "lr_lambda", who)
    for i, fn in enumerate(fns):
        if not callable(fn):
            raise ValueError(
                f"{who}: lr_lambda[{i}] is {type(fn).__name__}, not a function of the epoch"
            )
    return fns
