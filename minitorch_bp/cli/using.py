"""``evaluate`` and ``predict``: a saved model on every row of a file, through the checkpoint's preprocessing.

Nothing is refitted and nothing is re-split: the file's rows are read with the column
choices made at training (``--features``, ``--drop``, the delimiter), checked against the
training columns (count, names and order), and given to the estimator, which applies
the standardisation, the missing-value rule and the label names it saved.
"""

from __future__ import annotations

import argparse
import csv
import io as _io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp import nn
from minitorch_bp._atomic import atomic_write, check_output_path
from minitorch_bp.cli import data as run_data
from minitorch_bp.cli.saved import Saved, check_columns, load_run
from minitorch_bp.cli.scores import is_classifier, report
from minitorch_bp.io.tables import _detect_delimiter, _encoding_from_bom
from minitorch_bp.train import confusion_matrix, evaluate, format_confusion_matrix, predict
from minitorch_bp.train.evaluate import class_labels
from minitorch_bp.train.problems import DATASETS, load_problem


def _legacy_refusal(saved: Saved, what: str) -> ValueError:
    return ValueError(
        f"{saved.path} holds a network only (saved by a minitorch-bp train from before the"
        f" estimators, without the preprocessing of its rows), so {what} cannot apply it;"
        " evaluate it on its built-in --dataset, or train it again with --save"
    )


def _header(path: str, delimiter: str | None) -> list[str]:
    encoding = _encoding_from_bom(path)
    sep = delimiter or _detect_delimiter(path, encoding)
    with open(path, newline="", encoding=encoding) as f:
        for row in csv.reader(f, delimiter=sep):
            if row and any(c.strip() for c in row):
                return [c.strip() for c in row]
    return []


def read_rows(saved: Saved, path: str, target: str | None, *, na: str) -> Any:
    """The file's rows with the training column choices; the target column (if any) split off."""
    cli = saved.cli
    columns = dict(cli)
    if target is None and not cli.get("selected"):
        known = cli.get("target")
        if known and known in _header(path, cli.get("delimiter")):
            columns["drop"] = [
                *(cli.get("drop") or []),
                known,
            ]  # predict: the target is not a feature
    table = run_data.read_table(path, target, columns, na=na, task=cli.get("task"))
    check_columns(saved, list(table.features), path)
    return table


def _target(saved: Saved, args: argparse.Namespace) -> str:
    target = args.target or saved.cli.get("target")
    if not target:
        raise ValueError(
            f"evaluate --data {args.data}: give --target COLUMN (the model's record has none)"
        )
    return str(target)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Score a saved model on every row of ``--data``, or on its built-in data set's test split."""
    saved = load_run(args.model)
    if args.data:
        if saved.legacy:
            raise _legacy_refusal(saved, "evaluate --data")
        target = _target(saved, args)
        table = read_rows(saved, args.data, target, na=saved.cli.get("na", "error"))
        y = table.y
        if is_classifier(saved.est) and y is not None and y.dtype.kind == "f":
            y = y.astype(np.int64) if np.all(y == np.round(y)) else y
        print(saved.est.model_)
        if table.dropped:
            print(f"left out {len(table.dropped)} rows with missing values (--na drop)")
        report(
            saved.est, table.X, y, "file", False, target if not is_classifier(saved.est) else None
        )
        return 0
    dataset = args.dataset or saved.fields["dataset"] or saved.cli.get("dataset")
    if dataset not in DATASETS:
        raise ValueError(
            f"{saved.path} was trained on {dataset!r}: give --data FILE (and --target COLUMN)"
        )
    seed = saved.fields["seed"] if args.seed is None else args.seed
    if saved.legacy:
        return _evaluate_network(saved, dataset, seed)
    data = run_data.builtin(dataset, seed)
    print(saved.est.model_)
    part = "test" if data.held_out else "training"
    report(saved.est, data.X_test, data.y_test, part, data.held_out, None)
    return 0


def _evaluate_network(saved: Saved, dataset: str, seed: int) -> int:
    """A network-only checkpoint on its data set's test split, as ``evaluate`` always did."""
    problem = load_problem(dataset, seed)
    model = saved.ckpt.model
    print(model)
    part = "test" if problem.held_out else "training"
    X, Y = problem.X_test, problem.Y_test
    out = model(X)
    if out.shape[1:] != Y.shape[1:]:
        raise ValueError(
            f"{saved.path}: the network has {out.shape[1]} outputs; data set {dataset!r} needs"
            f" {Y.shape[1]}"
        )
    if problem.regression:
        res = evaluate(
            model, X, Y, criterion=nn.MSELoss(), l2=saved.fields["l2"], metrics=("loss",)
        )
        print(f"{part} loss J(Θ): {res['loss']:.6f} on {len(X)} examples")
        return 0
    res = evaluate(model, X, Y, metrics=("accuracy",))
    held = "held-out " * problem.held_out
    print(f"{part} accuracy: {res['accuracy']:.1%} on {len(X)} {held}examples")
    C = confusion_matrix(class_labels(Y), predict(model, X), problem.n_classes)
    print("confusion matrix (rows: true class, columns: predicted):")
    print(format_confusion_matrix(C))
    return 0


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def predictions_csv(saved: Saved, X: Any, proba: bool) -> str:
    """The CSV text: one row per input row, the prediction in the original labels (and probabilities)."""
    est = saved.est
    name = saved.cli.get("target") or "prediction"
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if is_classifier(est):
        labels = est.predict(X)
        if proba:
            P = est.predict_proba(X)
            writer.writerow([name, *(f"proba_{c}" for c in est.classes_.tolist())])
            for label, row in zip(labels.tolist(), P.tolist(), strict=True):
                writer.writerow([_cell(label), *(_cell(float(p)) for p in row)])
        else:
            writer.writerow([name])
            writer.writerows([_cell(label)] for label in labels.tolist())
    else:
        pred = np.asarray(est.predict(X), dtype=np.float64).reshape(len(X), -1)
        names = [name] if pred.shape[1] == 1 else [f"{name}_{k}" for k in range(pred.shape[1])]
        writer.writerow(names)
        writer.writerows([_cell(float(v)) for v in row] for row in pred.tolist())
    return buffer.getvalue()


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict every row of ``--data``; write a CSV to ``--out`` (atomically) or to stdout."""
    out = check_output_path(args.out, "--out") if args.out else None
    saved = load_run(args.model)
    if saved.legacy:
        raise _legacy_refusal(saved, "predict")
    if args.proba and not is_classifier(saved.est):
        raise ValueError("--proba: the model is a regression; it has no class probabilities")
    na = "mean" if saved.cli.get("na") == "mean" else "error"  # a row to predict is never left out
    table = read_rows(saved, args.data, None, na=na)
    text = predictions_csv(saved, table.X, args.proba)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    if not out.parent.is_dir():
        out.parent.mkdir(parents=True)
    atomic_write(Path(out), lambda handle: handle.write(text.encode("utf-8")))
    print(f"{len(table.X)} predictions written to {out}")
    return 0
