"""Callbacks for :func:`~minitorch_bp.train.fit`: early stopping, checkpoints, user hooks."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from minitorch_bp.data.loader import DataLoader
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.train.history import History


@dataclass
class FitState:
    """What a callback sees: the objects being trained and the current epoch's values.

    A callback sets ``stop = True`` to end training after this epoch. ``rank`` is this
    process's rank in a data-parallel ``fit(..., distributed=True)`` (0 otherwise): every
    rank runs the callbacks with the same values, and only rank 0 should write files.
    """

    model: Module
    criterion: Loss
    optimizer: Optimizer
    loader: DataLoader
    history: History
    epoch: int = 0
    logs: dict[str, float] = field(default_factory=dict)
    stop: bool = False
    rank: int = 0


class Callback:
    """Base class: override any of the three hooks; each gets the :class:`FitState`."""

    def on_train_begin(self, state: FitState) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, state: FitState) -> None:
        """Called after each epoch, with ``state.logs`` holding its values."""

    def on_train_end(self, state: FitState) -> None:
        """Called once after the last epoch (also after an early stop)."""


def _mode(monitor: str, mode: str) -> str:
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode={mode!r} must be 'auto', 'min' or 'max'")
    return mode


def _monitored(state: FitState, monitor: str, who: str) -> float:
    if monitor not in state.logs:
        raise ValueError(
            f"{who}: monitor={monitor!r} is not among this epoch's values {sorted(state.logs)};"
            " pass val_data to fit for val_* metrics"
        )
    return state.logs[monitor]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; restore the best weights.

    Args:
        monitor: a key of the epoch's values, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        patience: epochs without improvement before stopping (>= 1).
        min_delta: the least change that counts as an improvement.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for accuracies, min otherwise).
        restore_best_weights: at the end of training, load the weights of the best epoch.

    Attributes:
        best, best_epoch: the best value seen and its epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        *,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience={patience!r} must be an integer >= 1")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = abs(float(min_delta))
        self.mode = _mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self._weights: dict[str, NDArray[Any]] | None = None

    def on_train_begin(self, state: FitState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch, self.wait, self._weights = None, 0, None

    def on_epoch_end(self, state: FitState) -> None:
        value = _monitored(state, self.monitor, "EarlyStopping")
        better = (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        )
        if better:
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best_weights:
                self._weights = state.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop = True

    def on_train_end(self, state: FitState) -> None:
        state.history.best_epoch = self.best_epoch
        if self.restore_best_weights and self._weights is not None:
            state.model.load_state_dict(self._weights)


class ModelCheckpoint(Callback):
    """Save the model, optimizer state and loader state with :func:`minitorch_bp.io.save`.

    The checkpoint's ``extra`` holds ``{"epoch": e, "loader": loader.state_dict(),
    "history": history.to_dict()}``, enough for :func:`~minitorch_bp.train.resume` to
    continue training to the same weights as an uninterrupted run. In a data-parallel
    ``fit`` only rank 0 writes it; every rank resumes from the same file.

    Args:
        path: the file; ``"{epoch}"`` in it is replaced by the epoch number.
        monitor: with ``save_best_only``, the value that decides what is best.
        save_best_only: save only when ``monitor`` improves.
        every: save every ``every`` epochs (the last epoch is always saved).
        mode: as in :class:`EarlyStopping`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        every: int = 1,
        mode: str = "auto",
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"ModelCheckpoint: every={every!r} must be an integer >= 1")
        self.path = str(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.every = every
        self.mode = _mode(monitor, mode)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved: list[str] = []

    def on_epoch_end(self, state: FitState) -> None:
        if state.rank != 0:  # data-parallel: one file, written by rank 0
            return
        if self.save_best_only:
            value = _monitored(state, self.monitor, "ModelCheckpoint")
            if not (value < self.best if self.mode == "min" else value > self.best):
                return
            self.best = value
        elif state.epoch % self.every != 0 and not state.stop:
            return
        self.save(state)

    def save(self, state: FitState) -> str:
        """Write the checkpoint for the current epoch and return its path."""
        from minitorch_bp import io

        path = self.path.replace("{epoch}", str(state.epoch))
        extra = {
            "epoch": state.epoch,
            "loader": state.loader.state_dict(),
            "history": state.history.to_dict(),
        }
        io.save(state.model, path, optimizer=state.optimizer, extra=extra)
        self.saved.append(path)
        return path


class LambdaCallback(Callback):
    """Call ``fn(epoch, logs)`` after each epoch; a return value of ``True`` stops training.

    Plain functions passed in ``fit(callbacks=...)`` are wrapped in this.
    """

    def __init__(self, fn: Callable[[int, dict[str, float]], Any]) -> None:
        self.fn = fn

    def on_epoch_end(self, state: FitState) -> None:
        if self.fn(state.epoch, dict(state.logs)) is True:
            state.stop = True


def as_callback(obj: Any) -> Callback:
    """Return ``obj`` if it is a :class:`Callback`, a :class:`LambdaCallback` if callable."""
    if isinstance(obj, Callback):
        return obj
    if callable(obj):
        return LambdaCallback(obj)
    raise TypeError(f"fit: callback {obj!r} is neither a Callback nor a callable(epoch, logs)")
