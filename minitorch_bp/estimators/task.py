"""Which estimator a target calls for: classification or regression, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from minitorch_bp.data.encoding import as_labels

TaskKind = Literal["classification", "regression"]
TASKS: tuple[str, ...] = ("classification", "regression")
#: At most this many distinct integers make a target classes rather than a quantity.
MAX_CLASSES = 50


@dataclass(frozen=True)
class Task:
    """A kind of problem and the reason it was chosen; ``str(task)`` is a line to print.

    Attributes:
        kind: ``"classification"`` or ``"regression"``.
        reason: why, e.g. ``"3 distinct labels"``.
    """

    kind: TaskKind
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"

    @property
    def estimator(self) -> type:
        """:class:`MLPClassifier` or :class:`MLPRegressor`."""
        from minitorch_bp.estimators.classifier import MLPClassifier
        from minitorch_bp.estimators.regressor import MLPRegressor

        return MLPClassifier if self.kind == "classification" else MLPRegressor


def infer_task(y: Any, *, task: str | None = None, max_classes: int = MAX_CLASSES) -> Task:
    """Decide from the target ``y`` whether to classify or regress, saying why.

    - text or booleans: classification (``"3 distinct labels"``);
    - numbers that are not all integers: regression (``"non-integer values such as 0.25"``);
    - integers: classification when there are at most ``max_classes`` distinct values and
      each is seen at least twice on average, regression otherwise (a count, a price in
      whole units...).

    Args:
        y: the target, 1-D (a 2-D 0/1 indicator is multi-label classification; other 2-D
            targets are regression).
        task: ``"classification"`` or ``"regression"`` to override the inference; the
            reason then says so.
        max_classes: the most distinct integers read as classes.

    Example:
        >>> print(infer_task(["setosa", "virginica", "setosa"]))
        classification: 2 distinct labels
        >>> print(infer_task([0.5, 1.25, 3.0]))
        regression: non-integer values such as 0.5
        >>> print(infer_task(list(range(25)) * 20))
        classification: 25 distinct labels
        >>> print(infer_task(np.arange(400) % 214))
        regression: 214 distinct integer values (more than 50)
        >>> print(infer_task([1, 2, 2, 3], task="regression"))
        regression: chosen with task='regression'
    """
    if task is not None:
        if task not in TASKS:
            raise ValueError(f"infer_task: task={task!r} must be one of {TASKS} or None")
        return Task(task, f"chosen with task={task!r}")  # type: ignore[arg-type]
    arr = np.asarray(y) if isinstance(y, np.ndarray) else np.asarray(y, dtype=object)
    if arr.ndim == 2 and arr.shape[1] > 1:
        values = np.asarray(arr.tolist()) if arr.dtype == object else arr
        if values.dtype.kind in "biuf" and np.isin(values, (0, 1)).all():
            return Task("classification", f"{arr.shape[1]} 0/1 columns (multi-label)")
        return Task("regression", f"{arr.shape[1]} numeric target columns")
    labels = as_labels(arr.reshape(-1) if arr.ndim == 2 else arr, "infer_task")
    if labels.size == 0:
        raise ValueError("infer_task: y is empty")
    distinct = np.unique(labels)
    k = distinct.size
    if labels.dtype.kind in "Ub":
        reason = f"{k} distinct label{'s' * (k != 1)}"
        numeric = _mostly_numbers(distinct) if labels.dtype.kind == "U" else None
        if numeric is not None:
            reason += f" ({numeric}; pass task='regression' if it is a quantity)"
        return Task("classification", reason)
    fractional = distinct[distinct != np.round(distinct)]
    if fractional.size:
        return Task("regression", f"non-integer values such as {fractional[0].item()!r}")
    if k > max_classes:
        return Task("regression", f"{k} distinct integer values (more than {max_classes})")
    if k > labels.size / 2:
        return Task(
            "regression",
            f"{k} distinct integer values in {labels.size} rows (too few repeats to be classes)",
        )
    return Task("classification", f"{k} distinct label{'s' * (k != 1)}")


def _mostly_numbers(distinct: np.ndarray[Any, Any]) -> str | None:
    """A note when nearly every text label is a number (a numeric column with a typo)."""
    bad = []
    for value in distinct:
        try:
            float(value)
        except ValueError:
            bad.append(str(value))
    if distinct.size >= 10 and len(bad) <= max(1, distinct.size // 20):
        return f"all but {len(bad)} are numbers, e.g. {bad[0]!r} is not"
    return None
