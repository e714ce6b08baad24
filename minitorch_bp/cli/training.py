"""``demo`` and ``train``: the options made into an estimator, fitted with the progress display, scored, saved.

The CLI is a shell over :class:`~minitorch_bp.estimators.MLPClassifier` and
:class:`~minitorch_bp.estimators.MLPRegressor`: they fit the preprocessing on the
training rows, train through :func:`minitorch_bp.train.fit` and save everything a later
``evaluate``, ``predict`` or ``export`` needs. Training runs the given number of epochs
(``tol=0``: the estimators' stopping rule never ends it early, except the line-search
solvers' convergence test).
"""

from __future__ import annotations

import argparse
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp._atomic import check_output_path
from minitorch_bp.cli import data as run_data
from minitorch_bp.cli.common import DEFAULTS, default_lr, parse_hidden
from minitorch_bp.cli.memory import check_fits
from minitorch_bp.cli.progress import RunProgress
from minitorch_bp.cli.scores import report, scores
from minitorch_bp.estimators import MLPClassifier, MLPRegressor, TrainingInterruptedWarning
from minitorch_bp.estimators._sklearn import ConvergenceWarning
from minitorch_bp.estimators.persist import save
from minitorch_bp.train.callbacks import Callback
from minitorch_bp.train.monitor import Monitor

#: ``--optimizer``: the estimators' ``solver`` and SGD's momentum μ.
SOLVERS = {
    "sgd": ("sgd", 0.0),
    "momentum": ("sgd", 0.9),
    "adam": ("adam", 0.0),
    "lbfgs": ("lbfgs", 0.0),
    "cg": ("cg", 0.0),
}
FULL_BATCH = ("lbfgs", "cg")
#: The most SGD's default α is for a linear output unit: its MSE gradient is not bounded
#: by a sigmoid's slope, and the CSV rate of 1.0 diverges on scikit-learn's diabetes.
LINEAR_OUTPUT_LR = 0.3
#: The version of the ``cli`` record in a checkpoint's ``extra``.
RECORD_FORMAT = 1


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite: training stopped (the CLI exits with status 1)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C ended training; ``message`` says what was kept (the CLI exits with status 130)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Plan:
    """The run's settings once the defaults are filled in."""

    hidden: tuple[int, ...]
    epochs: int
    lr: float | None
    l2: float
    batch: int
    optimizer: str
    activation: str
    output: str


def batch_lr(lr: float, batch: int, full: int) -> float:
    """The learning rate for mini-batches of ``batch`` rows when ``lr`` is tuned for ``full``.

    Scaled with the batch, ``α · batch / full``: one epoch of ``full / batch`` steps then
    moves the weights as far as one full-batch step of ``α`` (and the λ scaled the same
    way keeps the penalty per example), so the default number of epochs fits as well.
    """
    return lr * batch / full


def plan(args: argparse.Namespace, data: run_data.RunData, key: str) -> tuple[Plan, list[str]]:
    """Fill in the data set's defaults; the lines to print about what was scaled."""
    hidden, epochs, lr0, l2_default, batch = DEFAULTS[key]
    opt = getattr(args, "optimizer", "sgd")
    activation = getattr(args, "activation", "sigmoid")
    sizes = tuple(
        parse_hidden(args.hidden if getattr(args, "hidden", None) is not None else hidden)
    )
    m = len(data.X_train)
    default_size = min(batch or m, m)
    size = min(args.batch_size or default_size, m)
    if opt in FULL_BATCH:
        size = m
    classify = data.task.kind == "classification"
    output = getattr(args, "output", None) or data.output or ("sigmoid" if classify else "identity")
    if output == "identity":
        lr0 = min(lr0, LINEAR_OUTPUT_LR)
    notes = []
    lr = args.lr
    if lr is None:
        lr = default_lr(opt, activation, lr0)
        if lr is not None and size != default_size and opt in ("sgd", "momentum"):
            lr = batch_lr(lr, size, default_size)
            notes.append(
                f"α = {lr:.4g} (the data set's α scaled to batch size {size}; --lr to override)"
            )
    l2 = args.l2
    if l2 is None:
        l2 = l2_default
        if size != default_size:
            # The optimizer divides λ by the batch's m, so the data set's λ (tuned for its
            # default batch) is scaled with the batch to keep the same penalty in J(Θ).
            l2 = l2 * size / default_size
            notes.append(
                f"λ = {l2:.4g} (the data set's λ scaled to batch size {size}; --l2 to override)"
            )
    allowed = ("sigmoid", "softmax") if classify else ("identity", "sigmoid")
    if output not in allowed:
        raise ValueError(
            f"--output {output} is for {'regression' if classify else 'classification'}; this is"
            f" a {data.task} (choose from {', '.join(allowed)}, or --task)"
        )
    return Plan(sizes, args.epochs or epochs, lr, l2, size, opt, activation, output), notes


def estimator(p: Plan, data: run_data.RunData, seed: int, na: str) -> MLPClassifier | MLPRegressor:
    """The estimator of the plan (the notes' network: ``activation`` units, the chosen output)."""
    cls = MLPClassifier if data.task.kind == "classification" else MLPRegressor
    solver, momentum = SOLVERS[p.optimizer]
    return cls(
        hidden_layer_sizes=p.hidden,
        activation=p.activation,
        solver=solver,
        alpha=p.l2,
        batch_size=p.batch,
        learning_rate_init=p.lr if p.lr is not None else 0.001,
        max_iter=p.epochs,
        momentum=momentum,
        nesterovs_momentum=False,
        random_state=seed,
        tol=0.0,
        n_iter_no_change=p.epochs + 1,  # never reached: the run takes its epochs
        output=p.output,
        standardize=data.standardize,
        na=run_data.NA_MODES[na][1],
    )


class _Watch(RunProgress):
    """The progress display that also stops a diverging run with one clear error."""

    def on_epoch_end(self, state: Any) -> None:
        loss = state.logs.get("loss", 0.0)
        if not math.isfinite(loss):
            self.close()
            raise TrainingDivergedError(
                f"training diverged: the loss J(Θ) is {loss} in epoch {state.epoch}; lower --lr"
                " (or use --optimizer adam), or raise --l2"
            )
        super().on_epoch_end(state)


def fit(
    est: MLPClassifier | MLPRegressor,
    data: run_data.RunData,
    p: Plan,
    quiet: bool,
    more: Sequence[Any] = (),
) -> RunProgress:
    """Fit ``est`` on the training rows with the progress display; raise on divergence or Ctrl-C."""
    m = len(data.X_train)
    batches = math.ceil(m / p.batch)
    held = data.held_out

    def validate() -> dict[str, float]:
        return {f"val_{k}": v for k, v in scores(est, data.X_test, data.y_test).items()}

    progress = _Watch(
        p.epochs,
        batches,
        log_every=max(1, p.epochs // 8),
        validate=validate if held else None,
        show=not quiet,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(data.X_train, data.y_train, callbacks=[_Header(), progress, *more])
        except FloatingPointError as exc:  # a layer's or the engine's overflow check
            progress.close()
            if isinstance(exc, TrainingDivergedError):
                raise
            raise TrainingDivergedError(
                f"training diverged in epoch {progress.epochs_done + 1}: {exc} (--lr)"
            ) from None
        finally:
            progress.close()
    for w in caught:
        if issubclass(w.category, TrainingInterruptedWarning):
            raise Interrupted(f"interrupted after {progress.epochs_done} epochs")
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return progress


class _Header(Callback):
    """Prints the network before the first epoch (also with ``--quiet``), as PyTorch's repr."""

    def on_train_begin(self, state: Any) -> None:
        print(state.model)


def record(args: argparse.Namespace, data: run_data.RunData, p: Plan) -> dict[str, Any]:
    """The checkpoint's ``extra`` besides the estimator's: what ``evaluate``/``predict`` read."""
    cli = {
        "format": RECORD_FORMAT,
        "task": data.task.kind,
        "reason": data.task.reason,
        "dataset": None if data.columns else data.name,
        **data.columns,
    }
    return {"cli": cli, "dataset": data.name, "seed": int(args.seed), "l2": float(p.l2)}


def output_paths(args: argparse.Namespace, default_save: str | None) -> Path | None:
    """The ``--save`` path (or the default), checked before any data is read or trained on."""
    if args.save and args.no_save:
        raise ValueError("--save and --no-save contradict each other; give one of them")
    path = None if args.no_save else (args.save or default_save)
    if getattr(args, "report", None):
        from minitorch_bp.train.report import check_report_path

        check_report_path(args.report, "--report")
    return None if path is None else check_output_path(path, "--save")


def run(args: argparse.Namespace, data: run_data.RunData, save_to: Path | None) -> int:
    """Train on ``data``, print the held-out scores, save to ``save_to``."""
    key = data.name if data.name in DEFAULTS and not data.columns else "csv"
    p, notes = plan(args, data, key)
    outputs = 1 if data.task.kind == "regression" else len(np.unique(data.y_train))
    check_fits(
        [data.X_train.shape[1], *p.hidden, outputs if outputs > 2 else 1],
        p.batch,
        p.optimizer,
        args.max_params,
    )
    if data.columns:
        print(f"{data.task} (--task to override)")
    if data.dropped:
        print(f"left out {len(data.dropped)} rows with missing values (--na drop)")
    for line in notes:
        print(line)
    est = estimator(p, data, args.seed, getattr(args, "na", "error"))
    extra = record(args, data, p)
    monitor = [Monitor()] if getattr(args, "report", None) else []
    try:
        progress = fit(est, data, p, args.quiet, monitor)
    except Interrupted as stop:
        if save_to is None or not est.__sklearn_is_fitted__():
            raise Interrupted(f"{stop.message}; nothing saved (no --save)") from None
        save(est, save_to, extra)
        raise Interrupted(f"{stop.message}; the model so far is saved to {save_to}") from None
    if getattr(args, "report", None):
        _write_report(args.report, est, data, progress, monitor[0])
        print(f"report written to {args.report}")
    part = "test" if data.held_out else "training"
    target = data.columns.get("target")
    report(est, data.X_test, data.y_test, part, data.held_out, target)
    if save_to is not None:
        save(est, save_to, extra)
        print(f"model saved to {save_to}")
    return 0


def _write_report(
    path: str, est: Any, data: run_data.RunData, progress: RunProgress, monitor: Monitor
) -> None:
    from minitorch_bp.data import DataLoader
    from minitorch_bp.train.report import write_report

    # The report shows the network's own view: its inputs are the preprocessed rows.
    X = est.preprocessing_.transform(data.X_train)
    T = est._network_targets(data.y_train, "report")
    val = None
    if data.held_out:
        val = (
            est.preprocessing_.transform(data.X_test),
            est._network_targets(data.y_test, "report"),
        )
    write_report(
        path,
        est.model_,
        progress.history,
        criterion=est._criterion(),
        optimizer=est._optimizer,
        loader=DataLoader(X, T, len(X), shuffle=False),
        val_data=val,
        monitor=monitor,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """Train the notes' 64-25-10 sigmoid network on the embedded digits."""
    args.hidden = "25"
    save_to = output_paths(args, "runs/demo-digits.npz")
    return run(args, run_data.builtin("digits", args.seed), save_to)


def cmd_train(args: argparse.Namespace) -> int:
    """Train on ``--dataset`` or ``--data FILE --target COLUMN``."""
    save_to = output_paths(args, None)
    if args.data:
        return run(args, run_data.from_csv(args), save_to)
    return run(args, run_data.builtin(args.dataset or "digits", args.seed), save_to)
