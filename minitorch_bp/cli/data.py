"""What ``train`` fits and scores: a built-in data set or a user's CSV, as raw rows, split once.

The estimator fits its preprocessing on the training rows; this module only reads,
splits and says what the task is. A user's CSV is always split (a quarter held out,
stratified for classes); of the built-in data sets, the four XOR points and the notes'
three students are too few to split and are scored on the training rows.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.data import train_test_split
from minitorch_bp.datasets import digits, spirals, study_sleep, two_moons, xor
from minitorch_bp.estimators import Task, infer_task
from minitorch_bp.io import Table, read_csv

Array = NDArray[Any]
#: The held-out share of every split.
TEST_SIZE = 0.25
#: ``--na`` for the CLI, and what :func:`minitorch_bp.io.read_csv` and the estimator do.
NA_MODES = {"error": ("error", "error"), "drop": ("drop", "error"), "mean": ("keep", "mean")}


@dataclass
class RunData:
    """Training and held-out rows, and how the estimator should treat them.

    Attributes:
        name: the data set's name or the CSV file's name.
        task: classification or regression, and why.
        X_train, y_train, X_test, y_test: raw rows and targets (labels or values);
            ``X_test is X_train`` when nothing is held out.
        standardize: whether the estimator standardises the features (CSV files, moons).
        output: the output unit when the data set fixes it (``None``: the CLI's default).
        columns: what ``evaluate`` and ``predict`` need to read another file the same
            way (the ``cli`` record of the checkpoint), or ``{}`` for a built-in set.
        dropped: rows left out for missing values (``--na drop``), as file line numbers.
    """

    name: str
    task: Task
    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    standardize: bool = False
    output: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    dropped: list[int] = field(default_factory=list)

    @property
    def held_out(self) -> bool:
        return self.X_test is not self.X_train


def builtin(name: str, seed: int) -> RunData:
    """A built-in data set, split as ``minitorch_bp.train.problems.load_problem`` splits it.

    The digits are the pixel intensities divided by 16 (in [0, 1], the notes' scale,
    not standardised: the README's 97.1 % is measured so); the moons are standardised
    by the estimator; the spirals are used as drawn.
    """
    classes = Task("classification", "a built-in classification data set")
    if name == "xor":
        X, Y = xor()
        y = Y[:, 0].astype(np.int64)
        return RunData(name, classes, X, y, X, y)
    if name == "study-sleep":
        X, Y = study_sleep()
        task = Task("regression", "the notes' regression example")
        return RunData(name, task, X, Y[:, 0], X, Y[:, 0], output="sigmoid")
    if name == "digits":
        Xd, yd = digits()
        parts = train_test_split(
            Xd / 16.0, yd, TEST_SIZE, seed=seed
        )  # unstratified: the README's split
        return RunData(name, classes, *_order(parts))
    if name == "moons":
        X, y = two_moons(400, noise=0.2, seed=seed)
        parts = train_test_split(X, y, TEST_SIZE, seed=seed, stratify=y)
        return RunData(name, classes, *_order(parts), standardize=True)
    if name == "spirals":
        X, y = spirals(300, classes=3, seed=seed)
        parts = train_test_split(X, y, TEST_SIZE, seed=seed, stratify=y)
        return RunData(name, classes, *_order(parts))
    raise ValueError(f"unknown dataset {name!r}")


def _order(parts: tuple[Array, Array, Array, Array]) -> tuple[Array, Array, Array, Array]:
    X_train, X_test, y_train, y_test = parts
    return X_train, y_train, X_test, y_test


def read_table(
    path: str,
    target: str | None,
    columns: dict[str, Any],
    *,
    na: str,
    task: str | None = None,
) -> Table:
    """Read ``path`` with the column choices of ``columns`` (``features``/``drop``/``delimiter``)."""
    kind = "number" if task == "regression" else "auto"
    return read_csv(
        path,
        target,
        features=columns.get("features") if columns.get("selected") else None,
        drop=columns.get("drop") or (),
        delimiter=columns.get("delimiter"),
        na=NA_MODES[na][0],  # type: ignore[arg-type]
        target_kind=kind,  # type: ignore[arg-type]
    )


def from_csv(args: argparse.Namespace) -> RunData:
    """The user's CSV: read with the column options, the task inferred (or ``--task``), split."""
    columns = {
        "features": list(args.features) if args.features else None,
        "selected": bool(args.features),
        "drop": list(args.drop or []),
        "delimiter": args.delimiter,
    }
    table = read_table(args.data, args.target, columns, na=args.na, task=args.task)
    y = table.y
    assert y is not None  # read with a target
    task = infer_task(y, task=args.task)
    if task.kind == "classification" and y.dtype.kind == "f":
        y = y.astype(np.int64)  # integer labels print as 3, not 3.0
    m = len(y)
    if m < 8:
        raise ValueError(f"{args.data}: {m} rows are too few to hold a quarter out (8 at least)")
    strata = y if task.kind == "classification" else None
    if strata is not None:
        labels, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            rare = labels[counts.argmin()].item()
            raise ValueError(
                f"{args.data}: class {rare!r} of column {args.target!r} has 1 row; every class"
                " needs 2 at least to be in both the training and the held-out rows (or pass"
                " --task regression if the column is a quantity)"
            )
    parts = train_test_split(table.X, y, TEST_SIZE, seed=args.seed, stratify=strata)
    columns.update(
        features=list(table.features), delimiter=table.delimiter, target=args.target, na=args.na
    )
    return RunData(
        Path(args.data).name,
        task,
        *_order(parts),
        standardize=True,
        columns=columns,
        dropped=list(table.dropped),
    )
