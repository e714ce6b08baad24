"""``predict``, ``accuracy``, ``evaluate`` and the confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.embedding import Embedding
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.regularization import l2_penalty

Array = NDArray[Any]


def check_outputs(out: Array, who: str) -> Array:
    """Return ``out`` if every output is finite; otherwise say how many are not, and where.

    A model with NaN or inf outputs would otherwise "predict" class 0 for every row.
    """
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        bad = np.flatnonzero(~np.isfinite(out))
        row = int(np.unravel_index(bad[0], out.shape)[0])
        raise ValueError(
            f"{who}: the model's output holds {bad.size} NaN or inf value(s), the first in"
            f" row {row}; the inputs or the parameters are not finite, or a layer overflowed"
        )
    return out


def classes_from_outputs(outputs: Any, *, multilabel: bool = False) -> Array:
    r"""Class indices from network outputs: the course's :math:`\arg\max_k h_\Theta(x)_k`.

    One output column is a binary classifier: class 1 where the output is at least 0.5.
    With ``multilabel=True`` each column is its own yes/no question and the result is the
    indicator matrix :math:`[h_\Theta(x)_k \ge 0.5]`.

    Example:
        >>> classes_from_outputs(np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]))
        array([1, 0])
        >>> classes_from_outputs(np.array([[0.2], [0.5]]))
        array([0, 1])
        >>> classes_from_outputs(np.array([[0.9, 0.7, 0.2]]), multilabel=True)
        array([[1, 1, 0]])
    """
    out: Array = np.asarray(outputs)
    if out.ndim != 2:
        raise ValueError(f"predict: outputs must be 2-D (m, K), got shape {out.shape}")
    if multilabel:
        return np.asarray(out >= 0.5, dtype=np.int64)
    if out.shape[1] == 1:
        return np.asarray(out[:, 0] >= 0.5, dtype=np.int64)
    return np.asarray(out.argmax(axis=1), dtype=np.int64)


def is_multilabel(targets: Any) -> bool:
    """Whether ``targets`` are multi-hot rows: 0/1 columns, some row without exactly one 1.

    One-hot rows are the notes' multi-class targets (one class each); a row with several
    ones, or none, makes each column a label of its own.
    """
    Y: Array = np.asarray(targets)
    return bool(
        Y.ndim == 2
        and Y.shape[1] > 1
        and np.all((Y == 0) | (Y == 1))
        and np.any(Y.sum(axis=1) != 1)
    )


def class_labels(targets: Any) -> Array:
    """Integer labels from targets: 1-D labels, one-hot rows, or one 0/1 column.

    Multi-hot rows (see :func:`is_multilabel`) are returned as the indicator matrix.

    Raises:
        ValueError: if the targets are not class labels (e.g. regression values).
    """
    Y: Array = np.asarray(targets)
    if Y.ndim == 1:
        if Y.size and not np.all(np.round(Y) == Y):
            raise ValueError("accuracy: 1-D targets must be integer class labels")
        return np.asarray(Y, dtype=np.int64)
    if Y.ndim != 2 or not np.all((Y == 0) | (Y == 1)):
        raise ValueError(
            "accuracy needs class targets (labels, one-hot rows or one 0/1 column);"
            " these look like regression values: use metrics=('loss',)"
        )
    if Y.shape[1] == 1:
        return np.asarray(Y[:, 0], dtype=np.int64)
    if is_multilabel(Y):
        return np.asarray(Y, dtype=np.int64)
    return np.asarray(Y.argmax(axis=1), dtype=np.int64)


def predict(model: Module, X: Any, *, multilabel: bool = False) -> Array:
    """Return the predicted class of each row of ``X`` (see :func:`classes_from_outputs`).

    Args:
        model: the network (put it in eval mode first if it has Dropout).
        X: the rows.
        multilabel: return the 0/1 indicator matrix (one column per label) instead of
            one class per row.

    Raises:
        ValueError: the model's outputs are not all finite.

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(1, 2, rng=0)
        >>> layer.theta = [[0.0, 1.0], [0.0, -1.0]]
        >>> predict(layer, np.array([[2.0], [-3.0]]))
        array([0, 1])
    """
    out = check_outputs(model(np.asarray(X)), "predict")
    return classes_from_outputs(out, multilabel=multilabel)


def accuracy(out: Array, Y: Any, sample_weight: Any = None) -> float:
    """Fraction of rows whose prediction (from outputs ``out``) matches the targets.

    For multi-hot targets (:func:`is_multilabel`) it is the subset accuracy, as in
    scikit-learn: a row counts when every one of its labels is right. With
    ``sample_weight`` the weighted fraction, as scikit-learn's ``accuracy_score``.
    """
    if is_multilabel(Y):
        hits = np.all(classes_from_outputs(out, multilabel=True) == Y, axis=1)
    else:
        hits = classes_from_outputs(out) == class_labels(Y)
    if sample_weight is None:
        return float(np.mean(hits))
    s = np.asarray(sample_weight, dtype=np.float64)
    return float(np.dot(s, hits) / np.sum(s))


def evaluate(
    model: Module,
    X: Any,
    Y: Any,
    *,
    criterion: Loss | None = None,
    l2: float = 0.0,
    metrics: tuple[str, ...] = ("loss", "accuracy"),
    sample_weight: Any = None,
) -> dict[str, float]:
    r"""Return ``{"loss": J, "accuracy": ...}`` of ``model`` on ``(X, Y)`` in one forward.

    ``loss`` is criterion + :math:`\frac{\lambda}{2m}\sum\Theta^2` with :math:`m` the
    number of rows; it needs ``criterion`` (left out otherwise). ``accuracy`` needs class
    targets (one-hot rows, one 0/1 column, or 1-D labels; multi-hot rows give the subset
    accuracy). With ``sample_weight`` both are weighted, and :math:`m` is the weights'
    total (scikit-learn's ``sw_sum``). Non-finite outputs are refused (``ValueError``).

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(1, 1, rng=0)
        >>> layer.theta = [[0.0, 1.0]]
        >>> evaluate(layer, [[1.0], [-1.0]], [[1.0], [1.0]], metrics=("accuracy",))
        {'accuracy': 0.5}
    """
    X = np.asarray(X)
    first = next((m for m in model.modules() if not m._modules), model)
    takes_indices = isinstance(first, Embedding)  # integer indices stay integers
    params = model.parameters()
    if X.dtype.kind in "iub" and params and not takes_indices:
        X = X.astype(params[0].dtype)
    out = check_outputs(model(X), "evaluate")
    result: dict[str, float] = {}
    if "loss" in metrics and criterion is not None:
        m = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        J = float(criterion(out, Y, sample_weight))
        result["loss"] = J + l2_penalty(model, l2, m)
    if "accuracy" in metrics:
        result["accuracy"] = accuracy(out, Y, sample_weight)
    return result


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> NDArray[np.int64]:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as ``j``.

    Example:
        >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
        array([[1, 0, 0],
               [0, 1, 1],
               [0, 0, 1]])
    """
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(
            f"confusion_matrix: y_true {t.shape} and y_pred {p.shape} must be 1-D, same length"
        )
    k = num_classes if num_classes is not None else int(max(t.max(initial=0), p.max(initial=0))) + 1
    out = np.zeros((k, k), dtype=np.int64)
    np.add.at(out, (t, p), 1)
    return out


def format_confusion_matrix(C: Any) -> str:
    """The matrix as text: rows are true classes, columns predictions.

    Example:
        >>> print(format_confusion_matrix([[3, 1], [0, 4]]))
        true\\pred   0   1
                0   3   1
                1   0   4
    """
    C = np.asarray(C)
    width = max(3, len(str(int(C.max(initial=0)))), len(str(C.shape[1] - 1)))
    head = "true\\pred " + " ".join(f"{j:>{width}}" for j in range(C.shape[1]))
    rows = [f"{i:>9} " + " ".join(f"{v:>{width}}" for v in row) for i, row in enumerate(C)]
    return "\n".join([head, *rows])
