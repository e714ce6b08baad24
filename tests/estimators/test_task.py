"""infer_task: which estimator a target calls for, with a reason a command line can print."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp.estimators import MLPClassifier, MLPRegressor, Task, infer_task


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (["setosa", "versicolor", "virginica"] * 10, "classification: 3 distinct labels"),
        ([True, False, True, True], "classification: 2 distinct labels"),
        ([0, 1, 1, 0, 1], "classification: 2 distinct labels"),
        # Before (the CLI): more than 20 integer classes were silently a regression.
        (np.arange(1000) % 25, "classification: 25 distinct labels"),
        (np.arange(442) % 214 + 25, "regression: 214 distinct integer values (more than 50)"),
        (
            np.arange(40) % 30,
            "regression: 30 distinct integer values in 40 rows (too few repeats to be classes)",
        ),
        ([0.5, 1.5, 2.0], "regression: non-integer values such as 0.5"),
        (
            np.eye(3, dtype=int)[[0, 1, 2, 1]] | np.array([[0, 0, 1]]),
            "classification: 3 0/1 columns (multi-label)",
        ),
        (np.ones((4, 2)) * [[1.5, 2.0]], "regression: 2 numeric target columns"),
    ],
)
def test_inference_and_its_reason(y: object, expected: str) -> None:
    assert str(infer_task(y)) == expected


def test_a_numeric_column_with_a_typo_says_so() -> None:
    y = np.array([str(v) for v in range(30)] + ["12,5"])
    task = infer_task(y)
    assert task.kind == "classification"
    assert "all but 1 are numbers, e.g. '12,5' is not; pass task='regression'" in task.reason


def test_override_and_estimator() -> None:
    task = infer_task([1, 2, 2, 3], task="regression")
    assert task == Task("regression", "chosen with task='regression'")
    assert (
        task.estimator is MLPRegressor
        and infer_task(["a", "b", "a", "b"]).estimator is MLPClassifier
    )
    assert infer_task(np.arange(120) % 60, max_classes=60).kind == "classification"
    with pytest.raises(
        ValueError, match=r"task='clustering' must be one of \('classification', 'regression'\)"
    ):
        infer_task([1, 2], task="clustering")
    with pytest.raises(ValueError, match="y is empty"):
        infer_task([])
