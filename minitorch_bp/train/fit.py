r"""``fit``: the training loop, with a progress bar, callbacks, a report and exact resume."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import NonFiniteError
from minitorch_bp.data.loader import DataLoader
from minitorch_bp.engine import compile_step
from minitorch_bp.engine.step import check_scalar_loss
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.train.callbacks import FitState, as_callback
from minitorch_bp.train.evaluate import accuracy, class_labels, evaluate
from minitorch_bp.train.history import History
from minitorch_bp.train.monitor import Monitor
from minitorch_bp.train.stops import TrainingDivergedError, TrainingInterrupted, defer_interrupt

if TYPE_CHECKING:
    from minitorch_bp.distributed.world import Collectives

Array = NDArray[Any]
KNOWN_METRICS = ("loss", "accuracy")


class Scheduler(Protocol):
    def step(self) -> Any: ...


def _format(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    width = len(str(epochs))
    values = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
    return f"epoch {epoch:>{width}}/{epochs}  {values}"


def fit(
    model: Module,
    criterion: Loss,
    optimizer: Optimizer,
    train_loader: DataLoader,
    *,
    epochs: int,
    val_data: tuple[Any, ...] | None = None,
    metrics: Sequence[str] = ("loss", "accuracy"),
    callbacks: Iterable[Any] = (),
    progress: bool = True,
    scheduler: Scheduler | None = None,
    initial_epoch: int = 0,
    log_every: int = 1,
    engine: bool = True,
    sample_weight: Any = None,
    validation_split: float = 0.0,
    clip_grad_norm: float | None = None,
    clip_grad_value: float | None = None,
    report: str | Path | None = None,
    distributed: bool | Collectives = False,
) -> History:
    r"""Train ``model`` for epochs ``initial_epoch + 1 .. epochs`` and return the :class:`History`.

    Each batch is one call of :func:`~minitorch_bp.train.compile_step`'s step: forward,
    the criterion, the δ chain and ``optimizer.step(m=len(xb))`` (the notes'
    :math:`\Theta \leftarrow \Theta - \alpha D`); optimizers with
    ``requires_closure = True`` (L-BFGS, conjugate gradients) get a closure that runs
    forward, criterion and backward.

    Schedulers: ``scheduler.step()`` runs after each epoch (before the callbacks, so a
    checkpoint holds the next epoch's rates), or after each batch for a
    scheduler whose ``interval`` is ``"batch"`` (:class:`~minitorch_bp.optim.OneCycleLR`,
    :class:`~minitorch_bp.optim.CyclicLR`, and compositions of them);
    :class:`~minitorch_bp.optim.ReduceLROnPlateau` gets the epoch's value named by its
    ``monitor`` (default ``"val_loss"`` with validation data, else ``"loss"``).

    Recorded per epoch (see :class:`History`): ``loss``, the regularised cost
    :math:`J(\Theta)` = criterion + :math:`\frac{\lambda}{2m}\sum\Theta^2` (each group's
    ``λ``) averaged over the epoch's batches before each update, :math:`m` the batch size;
    ``accuracy`` on those same batches; and with validation data the same values on it
    after the epoch, as ``val_loss`` and ``val_accuracy``.

    Output: with ``progress=True`` a tqdm bar (one per epoch, or one over all epochs when
    an epoch is one full batch) shows the running values when stdout is a terminal;
    otherwise one line per epoch (every ``log_every`` epochs, and the first and last). On a
    terminal the bars of those same epochs stay on screen, so a run leaves its record.

    Args:
        model, criterion, optimizer: what to train, the loss (a reduction giving one
            number, not ``"none"``) and the update rule.
        train_loader: a :class:`~minitorch_bp.data.DataLoader` of ``(x, y)`` batches.
        epochs: the number of the last epoch to run.
        val_data: optional ``(X_val, Y_val)`` or ``(X_val, Y_val, sample_weight_val)``.
        metrics: any of ``"loss"``, ``"accuracy"`` (class targets only).
        callbacks: :class:`~minitorch_bp.train.Callback` objects or functions
            ``f(epoch, logs)`` that return ``True`` to stop.
        progress: ``False`` prints nothing.
        scheduler: a learning-rate scheduler (or any object with ``step()``).
        initial_epoch: epochs already done (when resuming, see :func:`resume`).
        log_every: print every this many epochs in the one-line-per-epoch log.
        engine: ``False`` runs the plain layers instead of the engine (same results to
            rounding; see :class:`~minitorch_bp.train.Step`).
        sample_weight: one weight >= 0 per example of ``train_loader`` (scikit-learn's):
            each batch's criterion weights its examples, and the λ term and :math:`D` use
            :math:`m = \sum_i s_i` of the batch (scikit-learn's ``sw_sum``); the logged
            accuracy is weighted too.
        validation_split: the fraction of the training data, taken from its **end**
            before any shuffling (Keras's rule), held out as validation data; the loader
            then draws its batches from the rest with the same batch size, shuffling and
            generator. Use :func:`~minitorch_bp.data.train_test_split` for a random split.
        clip_grad_norm, clip_grad_value: clip the gradients before each update (see
            :func:`~minitorch_bp.utils.clip_grad_norm_`; first-order optimizers only).
        report: a path: after training, write one self-contained HTML report there
            (:func:`~minitorch_bp.train.report.write_report`; needs the ``plots`` extra). The
            path and matplotlib are checked before the first epoch; a
            :class:`~minitorch_bp.train.Monitor` is added unless one is among ``callbacks``.
        distributed: ``True`` trains data-parallel in the process group of
            :func:`minitorch_bp.distributed.init` (or a
            :class:`~minitorch_bp.distributed.Collectives`): ``train_loader`` gives this
            rank's share of each global batch (``DataLoader(..., rank=, world_size=)``),
            each step sums the shares' :math:`\Delta` so the optimizer sees one process's
            :math:`D`, the logged values are the whole epoch's (equal on every rank; the
            same History is returned everywhere), ``val_data`` is evaluated in shares, a
            stop on any rank stops all, and only rank 0 prints and writes checkpoints.
            The ranks must start from the same state (checked; see
            :mod:`minitorch_bp.distributed.training`). ``sample_weight`` and
            ``validation_split`` are refused there.

    Callbacks:
        ``on_train_begin``; per batch ``on_batch_begin`` and ``on_batch_end`` (only for
        callbacks that use them, :meth:`~minitorch_bp.train.Callback.uses_batches`); per
        epoch ``epoch_values`` (added to the History row) and ``on_epoch_end``;
        ``on_train_end``. See :class:`~minitorch_bp.train.FitState`.

    Raises:
        TrainingInterrupted: on Ctrl-C (the first press stops after the current batch; a
            second stops at once), after every callback's ``on_train_end`` ran (and the
            report was written); ``.history`` holds the finished epochs.
        TrainingDivergedError: when :math:`J(\Theta)`, a layer's output or, after an
            epoch's last update, a weight becomes NaN or inf; the same, and
            ``EarlyStopping(restore_best_weights=True)`` has restored its weights.
        ValueError: for bad arguments, and NaN or inf in the data (before training).

    Example:
        >>> from minitorch_bp import nn, optim
        >>> from minitorch_bp.datasets import xor
        >>> X, Y = xor()
        >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid())
        >>> opt = optim.SGD(model.parameters(), lr=5.0)
        >>> h = fit(model, nn.BCELoss(), opt, DataLoader(X, Y, 4, shuffle=False), epochs=2000, progress=False)
        >>> round(h["loss"][-1], 3), h["accuracy"][-1]
        (0.001, 1.0)
    """
    metrics = tuple(metrics)
    unknown = [m for m in metrics if m not in KNOWN_METRICS]
    if unknown:
        raise ValueError(f"fit: unknown metrics {unknown}; choose from {KNOWN_METRICS}")
    initial_epoch = _count(initial_epoch, "initial_epoch", 0)
    if _is_int(epochs) and epochs >= initial_epoch:
        epochs = int(epochs)
    else:
        raise ValueError(
            f"fit: epochs={epochs!r} must be an integer >= initial_epoch={initial_epoch}"
        )
    log_every = _count(log_every, "log_every", 1)
    _check_data_finite(train_loader.X, train_loader.Y, "training")
    if val_data is not None and isinstance(val_data, (tuple, list)) and len(val_data) >= 2:
        _check_data_finite(val_data[0], val_data[1], "validation")
    check_scalar_loss(criterion, "fit")
    weights = _sample_weights(sample_weight, train_loader)
    if validation_split:
        if val_data is not None:
            raise ValueError("fit: give val_data or validation_split, not both")
        train_loader, weights, val_data = _split(train_loader, weights, validation_split)
    if "accuracy" in metrics:
        class_labels(train_loader.Y[:1000])  # fail now, not after the first epoch
    val = _check_val_data(val_data)
    per_batch = getattr(scheduler, "interval", "epoch") == "batch"
    cbs = [as_callback(c) for c in callbacks]
    report_path = None
    if report is not None:
        from minitorch_bp.train.report import check_report_path

        report_path = check_report_path(report, "fit")  # before any training
        if not any(isinstance(cb, Monitor) for cb in cbs):
            cbs.append(Monitor())
    batch_cbs = [cb for cb in cbs if cb.uses_batches()]
    history = History()
    state = FitState(model, criterion, optimizer, train_loader, history, scheduler=scheduler)
    score: Any = None  # validation: _validate, or the ranks' shares with distributed
    group = None
    if distributed is not False:  # the data-parallel piece: minitorch_bp.distributed.training
        from minitorch_bp.distributed.training import FitGroup, resolve

        if weights is not None or validation_split:
            raise ValueError(
                "fit: sample_weight and validation_split are not supported with distributed"
                " training; split the data before sharding it, and train unweighted"
            )
        settings = {"epochs": epochs, "initial_epoch": initial_epoch, "metrics": metrics}
        settings["val_data"] = val_data is not None
        world = resolve(distributed)
        group = FitGroup(world, model, criterion, optimizer, train_loader, settings)
        state.rank, score = world.rank, group.evaluate
        progress = progress and world.rank == 0  # one process prints
    step = compile_step(
        model,
        criterion,
        optimizer,
        engine=engine,
        distributed=distributed,
        clip_grad_norm=clip_grad_norm,
        clip_grad_value=clip_grad_value,
    )
    state.step = step
    tty = progress and sys.stdout.isatty()
    one_batch = len(train_loader) == 1
    outer = _bar(range(initial_epoch + 1, epochs + 1), None, tty and one_batch, True)
    for cb in cbs:
        cb.on_train_begin(state)
    model.train()
    stop: _StopError | None = None
    where = [initial_epoch + 1, 0]  # the epoch and batch in training
    interrupt, restore_signals = defer_interrupt()
    try:
        for epoch in outer:
            total = correct = 0.0
            seen = counted = 0.0
            state.epoch = epoch
            # On a terminal each epoch's bar is left on screen when that epoch would be
            # logged (the first, every log_every-th, the last), so the run leaves a record.
            logged = epoch == initial_epoch + 1 or epoch % log_every == 0 or epoch == epochs
            batches = _batches(train_loader, weights)
            inner = _bar(batches, f"epoch {epoch}/{epochs}", tty and not one_batch, logged)
            for batch, (xb, yb, sb) in enumerate(inner):
                b = xb.shape[0]
                if batch_cbs:
                    state.batch, state.batch_size = batch, b
                    for cb in batch_cbs:
                        cb.on_batch_begin(state)
                where[:] = epoch, batch
                J = _train_batch(step, xb, yb, sb, epoch, batch)
                total += b * J
                if per_batch and scheduler is not None:
                    scheduler.step()
                if "accuracy" in metrics and step.output is not None and b:
                    w = b if sb is None else float(np.sum(sb))
                    correct += w * accuracy(step.output, yb, sample_weight=sb)
                    counted += w
                seen += b
                if inner is not batches:
                    inner.set_postfix_str(
                        _postfix(metrics, total / seen, correct / counted if counted else None),
                        refresh=False,
                    )
                if batch_cbs:
                    state.batch_loss = J
                    for cb in batch_cbs:
                        cb.on_batch_end(state)
                if interrupt.requested:
                    raise _StopError(epoch, batch)
            _check_parameters_finite(model, epoch, where[1])
            if group is not None:  # Σ_r b_r J = M J per batch: the epoch's sums over all ranks
                total, correct, count = group.sums(total, correct, seen)
                seen = counted = round(count)  # no sample weights here: each example counts 1
            logs: dict[str, float] = {}
            if "loss" in metrics:
                logs["loss"] = total / seen
            if "accuracy" in metrics:
                logs["accuracy"] = correct / counted if counted else 0.0
            if val is not None:
                if group is not None:
                    model.eval()
                    values = score(model, *val[:2], criterion=criterion, metrics=metrics)
                    model.train()
                    if "loss" in values:  # the λ term of the optimizer's groups, as in training
                        values["loss"] += optimizer.l2_penalty(len(val[0]))
                    logs.update({f"val_{k}": v for k, v in values.items()})
                else:
                    logs.update(_validate(model, criterion, optimizer, val, metrics))
            state.epoch, state.logs = epoch, logs
            row = dict(logs)
            for cb in cbs:
                row.update(cb.epoch_values(state))
            history.append(epoch, row)
            state.logs = row
            # Before the callbacks, so that a checkpoint holds the rates of the next epoch.
            if scheduler is not None and not per_batch:
                _step_scheduler(scheduler, logs, val is not None)
            for cb in cbs:
                cb.on_epoch_end(state)
            if group is not None:
                state.stop = group.any(state.stop)
            if outer is not None and hasattr(outer, "set_postfix_str"):
                outer.set_postfix_str(_postfix(metrics, logs.get("loss"), logs.get("accuracy")))
            if progress and not tty:
                last = epoch == epochs or state.stop
                if logged or last:
                    print(_format(epoch, epochs, logs), flush=True)
            if interrupt.requested:  # pressed while validating or in a callback
                raise _StopError(epoch, where[1])
            if state.stop:
                history.stopped_epoch = epoch
                break
    except _StopError as stopped:
        stop = stopped
    except KeyboardInterrupt:  # a second Ctrl-C, or raised by other code: the batch was cut
        stop = _StopError(where[0], where[1], clean=False)
    finally:
        restore_signals()
    if hasattr(outer, "close"):
        outer.close()
    if stop is not None:
        history.stopped_epoch = stop.epoch
    for cb in cbs:
        cb.on_train_end(state)
    if report_path is not None:
        from minitorch_bp.train.report import write_report

        monitor = next(cb for cb in cbs if isinstance(cb, Monitor))
        try:
            write_report(
                report_path,
                model,
                history,
                criterion=criterion,
                optimizer=optimizer,
                loader=train_loader,
                val_data=val_data,
                monitor=monitor,
            )
        except (OSError, ValueError, RuntimeError) as exc:
            # the trained model and its History matter more than the report: keep them
            warnings.warn(
                f"fit: the report {str(report_path)!r} was not written: {exc}", stacklevel=2
            )
    if stop is not None:
        raise stop.exception(history, cbs, model) from stop.cause
    return history


def _step_scheduler(scheduler: Any, logs: dict[str, float], has_val: bool) -> None:
    """An epoch's scheduler step; ReduceLROnPlateau gets its monitored value."""
    from minitorch_bp.optim.lr_scheduler import ReduceLROnPlateau

    if not isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step()
        return
    key = scheduler.monitor or ("val_loss" if has_val else "loss")
    if key not in logs:
        raise ValueError(
            f"fit: ReduceLROnPlateau monitors {key!r}, which is not among this epoch's values"
            f" {sorted(logs)}; set its monitor= to one of them"
        )
    scheduler.step(logs[key])


def _validate(
    model: Module,
    criterion: Loss,
    optimizer: Optimizer,
    val: tuple[Any, Any, Any],
    metrics: tuple[str, ...],
) -> dict[str, float]:
    X, Y, s = val
    model.eval()
    try:
        values = evaluate(model, X, Y, criterion=criterion, metrics=metrics, sample_weight=s)
    finally:
        model.train()
    if "loss" in values:  # the λ term of the optimizer's groups, as in the training loss
        m = len(X) if s is None else float(np.sum(s))
        values["loss"] += optimizer.l2_penalty(m)
    return {f"val_{k}": v for k, v in values.items()}


def _check_val_data(val_data: tuple[Any, ...] | None) -> tuple[Any, Any, Any] | None:
    if val_data is None:
        return None
    if not isinstance(val_data, (tuple, list)) or len(val_data) not in (2, 3):
        raise ValueError(
            "fit: val_data must be (X_val, Y_val) or (X_val, Y_val, sample_weight_val)"
        )
    X, Y = val_data[0], val_data[1]
    s = val_data[2] if len(val_data) == 3 else None
    return X, Y, s


def _sample_weights(sample_weight: Any, loader: DataLoader) -> NDArray[Any] | None:
    if sample_weight is None:
        return None
    s = np.asarray(sample_weight)
    if s.shape != (loader.dataset_size,) or s.dtype.kind not in "fiub":
        raise ValueError(
            f"fit: sample_weight has shape {s.shape} and dtype {s.dtype}; expected"
            f" {loader.dataset_size} numbers >= 0, one per example of the loader"
        )
    if not np.all(np.isfinite(s)) or float(s.min()) < 0:
        raise ValueError("fit: sample_weight must be finite numbers >= 0")
    return s.astype(np.float64)


def _split(
    loader: DataLoader, weights: NDArray[Any] | None, fraction: float
) -> tuple[DataLoader, NDArray[Any] | None, tuple[Any, ...]]:
    """Keras's validation_split: the last ``fraction`` of the rows, before any shuffling."""
    if isinstance(fraction, bool) or not (isinstance(fraction, (int, float)) and 0 < fraction < 1):
        raise ValueError(f"fit: validation_split={fraction!r} must be a number in (0, 1)")
    m = loader.dataset_size
    n_val = int(m * fraction)
    if n_val < 1 or n_val >= m:
        raise ValueError(
            f"fit: validation_split={fraction} of {m} examples leaves {n_val} for validation"
            f" and {m - n_val} for training; each needs at least one"
        )
    cut = m - n_val
    rest = DataLoader(
        loader.X[:cut], loader.Y[:cut], loader.batch_size, loader.shuffle, seed=loader.generator
    )
    val: tuple[Any, ...] = (loader.X[cut:], loader.Y[cut:])
    if weights is not None:
        val = (*val, weights[cut:])
        weights = weights[:cut]
    return rest, weights, val


def _batches(
    loader: DataLoader, weights: NDArray[Any] | None
) -> Iterator[tuple[Array, Array, Array | None]]:
    """The loader's batches, each with its examples' weights (``None`` without)."""
    if weights is None:
        for xb, yb in loader:
            yield xb, yb, None
        return
    # The same batches as the loader's own (its generator draws the same permutation), as
    # row indices, so each batch's weights come with it.
    rows = DataLoader(
        np.empty((loader.dataset_size, 0)),
        np.arange(loader.dataset_size),
        loader.batch_size,
        loader.shuffle,
        seed=loader.generator,
    )
    for _, idx in rows:
        yield loader.X[idx], loader.Y[idx], weights[idx]


class _StopError(Exception):
    """Internal: where fit stopped early, and why (a Ctrl-C, or the step's error)."""

    def __init__(
        self, epoch: int, batch: int, cause: BaseException | None = None, clean: bool = True
    ) -> None:
        self.epoch, self.batch, self.cause, self.clean = epoch, batch, cause, clean

    def exception(
        self, history: History, cbs: list[Any], model: Module
    ) -> TrainingInterrupted | TrainingDivergedError:
        if self.cause is None:
            return TrainingInterrupted(history, self.epoch, self.batch, self.clean)
        restored = [cb.restored_epoch for cb in cbs if getattr(cb, "restored_epoch", None)]
        if restored:
            weights = f"those of epoch {restored[0]}, restored by EarlyStopping"
        elif all(np.isfinite(p.data).all() for p in model.parameters()):
            weights = "those before the failing batch"
        else:
            weights = (
                "not finite: reload a checkpoint, or pass EarlyStopping(restore_best_weights=True)"
            )
        return TrainingDivergedError(history, self.epoch, self.batch, self.cause, weights)


def _train_batch(
    step: Any, xb: Array, yb: Array, sb: Array | None, epoch: int, batch: int
) -> float:
    """One step; NaN or inf on the way (the data is finite: checked first) is divergence."""
    try:
        # The engine runs under this errstate already; the plain layers would print
        # numpy's RuntimeWarning before their own error names the layer.
        with np.errstate(over="ignore", invalid="ignore"):
            J = float(step(xb, yb, sample_weight=sb))
    except (NonFiniteError, FloatingPointError) as exc:
        raise _StopError(epoch, batch, cause=exc) from exc
    if not math.isfinite(J):
        raise _StopError(epoch, batch, cause=FloatingPointError(f"J(Θ) is {J}, not finite"))
    return J


def _check_parameters_finite(model: Module, epoch: int, batch: int) -> None:
    """After an epoch's last update, before validation and checkpoints see the weights."""
    for name, param in model.named_parameters():
        if not np.isfinite(param.data).all():
            cause = FloatingPointError(
                f"the update made parameter {name!r} NaN or inf (J was finite before it)"
            )
            raise _StopError(epoch, batch, cause=cause)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _count(value: Any, name: str, least: int) -> int:
    """``value`` as an int if it is an integer (numpy's too, not a bool) >= ``least``."""
    if not (_is_int(value) and value >= least):
        kind = "a positive integer" if least == 1 else f"an integer >= {least}"
        raise ValueError(f"fit: {name}={value!r} must be {kind}")
    return int(value)


def _check_data_finite(X: Any, Y: Any, which: str) -> None:
    """Refuse NaN or inf in the data before training, so that any later one is divergence."""
    for name, values in (("X", X), ("Y", Y)):
        arr = np.asarray(values)
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            bad = np.flatnonzero(~np.isfinite(arr))
            row = int(np.unravel_index(bad[0], arr.shape)[0]) if arr.ndim else 0
            raise ValueError(
                f"fit: the {which} {name} holds {bad.size} NaN or inf value(s), the first in"
                f" row {row}; clean or impute the data first"
            )


def _postfix(metrics: tuple[str, ...], loss: float | None, acc: float | None) -> str:
    parts = []
    if "loss" in metrics and loss is not None:
        parts.append(f"loss={loss:.4f}")
    if "accuracy" in metrics and acc is not None:
        parts.append(f"acc={acc:.3f}")
    return ", ".join(parts)


def _bar(iterable: Any, desc: str | None, show: bool, leave: bool) -> Any:
    if not show:
        return iterable
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    return tqdm(iterable, desc=desc, file=sys.stdout, leave=leave, dynamic_ncols=True)


def resume(checkpoint: Any, optimizer: Optimizer, loader: DataLoader, scheduler: Any = None) -> int:
    """Restore the optimizer, loader (and scheduler) states saved by ``ModelCheckpoint``; return the epoch.

    Pass the result as ``initial_epoch`` to :func:`fit`, with ``checkpoint.model``, an
    optimizer built on its parameters (the same parameter groups) and, if the run had one,
    a scheduler built on that optimizer, to continue exactly where the run stopped.
    Either every state is restored or, when one is refused (``ValueError``), none is.
    """
    extra = checkpoint.extra or {}
    if not isinstance(extra, dict) or "loader" not in extra or "epoch" not in extra:
        raise ValueError(
            "resume: the checkpoint's extra lacks 'loader' and 'epoch' (saved by ModelCheckpoint)"
        )
    try:
        epoch = int(extra["epoch"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"resume: epoch={extra['epoch']!r} is not an integer") from exc
    saved_schedule = getattr(checkpoint, "scheduler_state", None)
    if scheduler is not None and saved_schedule is None:
        raise ValueError("resume: a scheduler was given but the checkpoint has no scheduler state")
    # All or nothing: a state that fails half way leaves everything as it was.
    opt_before, loader_before = optimizer.state_dict(), loader.state_dict()
    sched_before = None if scheduler is None else scheduler.state_dict()
    try:
        if checkpoint.optimizer_state is not None:
            optimizer.load_state_dict(checkpoint.optimizer_state)
        loader.load_state_dict(extra["loader"])
        if scheduler is not None:
            scheduler.load_state_dict(saved_schedule)
    except BaseException:
        optimizer.load_state_dict(opt_before)
        loader.load_state_dict(loader_before)
        if scheduler is not None:
            scheduler.load_state_dict(sched_before)
        raise
    return epoch
