"""Callbacks for :func:`~minitorch_bp.train.fit`: early stopping, checkpoints, user hooks.

A callback overrides any of the hooks of :class:`Callback`: ``on_train_begin``, then per
epoch ``on_batch_begin`` / ``on_batch_end`` around each batch, ``epoch_values`` (values
for the epoch's :class:`~minitorch_bp.train.History` row) and ``on_epoch_end``, and
``on_train_end``. Each gets the :class:`FitState`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.data.loader import DataLoader
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.train.history import History

if TYPE_CHECKING:
    from minitorch_bp.engine import Step


@dataclass
class FitState:
    r"""What a callback sees: the objects being trained and the current epoch's values.

    A callback sets ``stop = True`` to end training after this epoch. ``rank`` is this
    process's rank in a data-parallel ``fit(..., distributed=True)`` (0 otherwise): every
    rank runs the callbacks with the same values, and only rank 0 should write files.

    Attributes:
        epoch: the current epoch (1-based; during the epoch too).
        logs: after the epoch, its values (``loss``, ``accuracy``, ``val_*``...).
        batch: the index of the current batch within the epoch (0-based).
        batch_size: the number of examples :math:`m` of the current batch.
        batch_loss: in ``on_batch_end``, the batch's :math:`J(\Theta)` (λ term
            included) before its update.
        step: the :class:`~minitorch_bp.train.Step` that trains each batch; in
            ``on_batch_end`` its ``output``, ``deltas`` and ``layer_outputs`` hold the
            batch's values (buffers the next batch overwrites: copy what you keep).
        rank: the process's rank in a data-parallel run (0 otherwise).
    """

    model: Module
    criterion: Loss
    optimizer: Optimizer
    loader: DataLoader
    history: History
    epoch: int = 0
    logs: dict[str, float] = field(default_factory=dict)
    stop: bool = False
    batch: int = 0
    batch_size: int = 0
    batch_loss: float = math.nan
    step: Step | None = None
    rank: int = 0
    #: The learning-rate scheduler ``fit`` steps, if any (saved by :class:`ModelCheckpoint`).
    scheduler: Any = None


class Callback:
    """Base class: override any of the hooks; each gets the :class:`FitState`.

    ``fit`` calls the batch hooks only of callbacks whose :meth:`uses_batches` is true
    (by default: those that override one), so a run without per-batch callbacks pays
    nothing for them.
    """

    def uses_batches(self) -> bool:
        """Whether ``fit`` must call :meth:`on_batch_begin` and :meth:`on_batch_end`."""
        cls = type(self)
        return (
            cls.on_batch_begin is not Callback.on_batch_begin
            or cls.on_batch_end is not Callback.on_batch_end
        )

    def on_train_begin(self, state: FitState) -> None:
        """Called once before the first epoch."""

    def on_batch_begin(self, state: FitState) -> None:
        """Called before each batch, with ``state.batch`` and ``state.batch_size`` set."""

    def on_batch_end(self, state: FitState) -> None:
        """Called after each batch's update, with ``state.batch_loss`` its J(Θ) before it."""

    def epoch_values(self, state: FitState) -> dict[str, float]:
        """Values to add to the epoch's :class:`History` row (none by default).

        Called after the epoch's metrics are in ``state.logs`` and before the row is
        recorded and ``on_epoch_end`` runs; :class:`~minitorch_bp.train.Monitor` returns
        its per-layer statistics here.
        """
        return {}

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
        restored_epoch: the epoch whose weights ``on_train_end`` loaded (``None`` if none).
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
        self.restored_epoch: int | None = None
        self.wait = 0
        self._weights: dict[str, NDArray[Any]] | None = None

    def on_train_begin(self, state: FitState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch, self.wait, self._weights = None, 0, None
        self.restored_epoch = None

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
            self.restored_epoch = self.best_epoch


class ModelCheckpoint(Callback):
    """Save the model, optimizer state and loader state with :func:`minitorch_bp.io.save`.

    The checkpoint's ``extra`` holds ``{"epoch": e, "loader": loader.state_dict(),
    "history": history.to_dict()}`` and, when ``fit`` has a scheduler, the checkpoint holds
    its state too: enough for :func:`~minitorch_bp.train.resume` to continue training to
    the same weights as an uninterrupted run. In a data-parallel ``fit`` only rank 0
    writes it; every rank resumes from the same file.

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
        io.save(
            state.model, path, optimizer=state.optimizer, scheduler=state.scheduler, extra=extra
        )
        self.saved.append(path)
        return path


BatchFn = Callable[[int, dict[str, float]], Any]


class LambdaCallback(Callback):
    """Call ``fn(epoch, logs)`` after each epoch; a return value of ``True`` stops training.

    Plain functions passed in ``fit(callbacks=...)`` are wrapped in this.

    Args:
        fn: called after each epoch with its number and values (optional).
        on_batch_begin: ``f(batch, logs)`` before each batch, ``logs`` holding
            ``epoch`` and ``size`` (the batch's :math:`m`).
        on_batch_end: ``f(batch, logs)`` after each batch, ``logs`` holding ``epoch``,
            ``size`` and ``loss`` (its J(Θ) before the update). A return value of
            ``True`` stops training after this epoch.

    Example:
        >>> losses = []
        >>> cb = LambdaCallback(on_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    """

    def __init__(
        self,
        fn: Callable[[int, dict[str, float]], Any] | None = None,
        *,
        on_batch_begin: BatchFn | None = None,
        on_batch_end: BatchFn | None = None,
    ) -> None:
        self.fn = fn
        self._batch_fns = (on_batch_begin, on_batch_end)

    def uses_batches(self) -> bool:
        return any(f is not None for f in self._batch_fns)

    def on_batch_begin(self, state: FitState) -> None:
        fn = self._batch_fns[0]
        if fn is not None:
            fn(state.batch, {"epoch": state.epoch, "size": state.batch_size})

    def on_batch_end(self, state: FitState) -> None:
        fn = self._batch_fns[1]
        logs = {"epoch": state.epoch, "size": state.batch_size, "loss": state.batch_loss}
        if fn is not None and fn(state.batch, logs) is True:
            state.stop = True

    def on_epoch_end(self, state: FitState) -> None:
        if self.fn is not None and self.fn(state.epoch, dict(state.logs)) is True:
            state.stop = True


def as_callback(obj: Any) -> Callback:
    """Return ``obj`` if it is a :class:`Callback`, a :class:`LambdaCallback` if callable."""
    if isinstance(obj, Callback):
        return obj
    if callable(obj):
        return LambdaCallback(obj)
    raise TypeError(f"fit: callback {obj!r} is neither a Callback nor a callable(epoch, logs)")
