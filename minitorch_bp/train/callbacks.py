"""Callbacks for :func:`~minitorch_bp.train.fit`: early stopping, checkpoints, user hooks."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.data.loader import DataLoader
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.train.history import History


@dataclass
class FitState:
    """What a callback sees: the objects being trained and the current epoch's values.

    A callback sets ``stop = True`` to end training after this epoch.
    """

    model: Module
    criterion: Loss
    optimizer: Optimizer
    loader: DataLoader
    history: History
    epoch: int = 0
    logs: dict[str, float] = field(default_factory=dict)
    stop: bool = False
    #: The learning-rate scheduler ``fit`` steps, if any (saved by :class:`ModelCheckpoint`).
    scheduler: Any = None


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

    ``mode="sklearn"`` applies scikit-learn's MLP rule instead (``n_iter_no_change`` and
    ``tol``), and stops at the epoch where ``MLPClassifier``/``MLPRegressor`` would on the
    same curve: an epoch counts as no improvement when its value is not better than the
    best so far by ``tol`` (for a loss: ``value > best - tol``), the best is the running
    minimum (maximum for a score), and training stops once more than
    ``n_iter_no_change`` epochs in a row did not improve.

    Args:
        monitor: a key of the epoch's values, e.g. ``"val_loss"``, ``"loss"`` or
            ``"val_accuracy"``.
        patience: epochs without improvement before stopping (>= 1; not with ``"sklearn"``).
        min_delta: the least change that counts as an improvement (not with ``"sklearn"``).
        mode: ``"min"``, ``"max"``, ``"auto"`` (max for accuracies, min otherwise) or
            ``"sklearn"`` (scikit-learn's rule, its direction as ``"auto"``'s).
        restore_best_weights: at the end of training, load the weights of the best epoch.
        tol: scikit-learn's ``tol`` (``mode="sklearn"``; default 1e-4).
        n_iter_no_change: scikit-learn's ``n_iter_no_change`` (``mode="sklearn"``; default 10).

    Attributes:
        best, best_epoch: the best value seen and its epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int | None = None,
        *,
        min_delta: float | None = None,
        mode: str = "auto",
        restore_best_weights: bool = True,
        tol: float | None = None,
        n_iter_no_change: int | None = None,
    ) -> None:
        self.sklearn = mode == "sklearn"
        if self.sklearn:
            if patience is not None or min_delta is not None:
                raise ValueError(
                    "EarlyStopping: mode='sklearn' uses n_iter_no_change and tol (scikit-learn's"
                    " names), not patience and min_delta"
                )
            n = 10 if n_iter_no_change is None else n_iter_no_change
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"EarlyStopping: n_iter_no_change={n!r} must be an integer >= 1")
            self.n_iter_no_change = n
            self.tol = check_nonnegative(1e-4 if tol is None else tol, "tol", "EarlyStopping")
            patience, min_delta = n, self.tol
        elif tol is not None or n_iter_no_change is not None:
            raise ValueError(
                "EarlyStopping: tol and n_iter_no_change belong to mode='sklearn'; use patience"
                " and min_delta with the other modes"
            )
        patience = 5 if patience is None else patience
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience={patience!r} must be an integer >= 1")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = abs(float(0.0 if min_delta is None else min_delta))
        self.mode = _mode(monitor, "auto" if self.sklearn else mode)
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
        if self.sklearn:
            self._sklearn_rule(value, state)
            return
        better = (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        )
        if better:
            self._new_best(value, state)
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop = True

    def _sklearn_rule(self, value: float, state: FitState) -> None:
        """scikit-learn's ``_update_no_improvement_count`` and its stopping test."""
        if self.mode == "min":
            stalled, better = value > self.best - self.tol, value < self.best
        else:
            stalled, better = value < self.best + self.tol, value > self.best
        self.wait = self.wait + 1 if stalled else 0
        if better:
            self._new_best(value, state)
        if self.wait > self.n_iter_no_change:
            state.stop = True

    def _new_best(self, value: float, state: FitState) -> None:
        self.best, self.best_epoch = value, state.epoch
        if self.restore_best_weights:
            self._weights = state.model.state_dict()

    def on_train_end(self, state: FitState) -> None:
        state.history.best_epoch = self.best_epoch
        if self.restore_best_weights and self._weights is not None:
            state.model.load_state_dict(self._weights)


class ModelCheckpoint(Callback):
    """Save the model, optimizer state and loader state with :func:`minitorch_bp.io.save`.

    The checkpoint's ``extra`` holds ``{"epoch": e, "loader": loader.state_dict(),
    "history": history.to_dict()}`` and, when ``fit`` has a scheduler, the checkpoint holds
    its state too: enough for :func:`~minitorch_bp.train.resume` to continue training to
    the same weights as an uninterrupted run.

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
        io.save(
            state.model, path, optimizer=state.optimizer, scheduler=state.scheduler, extra=extra
        )
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
