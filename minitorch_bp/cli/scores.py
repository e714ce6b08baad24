"""The numbers ``train`` and ``evaluate`` print: accuracy and the confusion matrix, or RMSE, MAE and R².

All come from the estimator's own ``score`` and ``predict`` on raw rows, so they are what
the estimator computes in Python; regression metrics are in the target's units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.estimators.regressor import r2
from minitorch_bp.train import confusion_matrix, format_confusion_matrix

Array = NDArray[Any]


def is_classifier(est: Any) -> bool:
    return getattr(est, "_estimator_type", "") == "classifier"


def scores(est: Any, X: Array, y: Array) -> dict[str, float]:
    """``{"accuracy": ...}`` (``est.score``), or ``{"rmse", "mae", "r2"}`` in the target's units."""
    if is_classifier(est):
        return {"accuracy": float(est.score(X, y))}
    pred = np.asarray(est.predict(X), dtype=np.float64).reshape(len(y), -1)
    truth = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    err = pred - truth
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": r2(pred, truth),
    }


def report(est: Any, X: Array, y: Array, part: str, held_out: bool, target: str | None) -> None:
    """Print the scores of ``est`` on ``(X, y)``: ``part`` is ``"test"`` or ``"training"``."""
    where = f"on {len(y)} {'held-out ' * held_out}examples"
    s = scores(est, X, y)
    if "accuracy" in s:
        print(f"{part} accuracy: {s['accuracy']:.1%} {where}")
        classes = est.classes_
        codes = est.label_encoder_.transform(np.asarray(y), "evaluate")
        pred = est.label_encoder_.transform(est.predict(X), "evaluate")
        if not (classes.dtype.kind in "iu" and np.array_equal(classes, np.arange(len(classes)))):
            names = ", ".join(f"{i} = {c}" for i, c in enumerate(classes.tolist()))
            print(f"classes: {names}")
        print("confusion matrix (rows: true class, columns: predicted):")
        print(format_confusion_matrix(confusion_matrix(codes, pred, len(classes))))
        return
    units = f" (in the units of {target!r})" if target else ""
    print(f"{part} RMSE {s['rmse']:.6g}, MAE {s['mae']:.6g}, R² {s['r2']:.4f} {where}{units}")
