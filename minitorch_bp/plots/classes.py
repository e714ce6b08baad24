r"""Classifier pictures: the confusion matrix, and the decision boundary over a 2-D input plane."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.engine.plan import leaves
from minitorch_bp.nn.activation import Elementwise
from minitorch_bp.nn.module import Module
from minitorch_bp.plots._mpl import axes_list, subplots
from minitorch_bp.train.evaluate import class_labels, predict
from minitorch_bp.train.evaluate import confusion_matrix as count_confusion

Array = NDArray[Any]


def confusion_matrix(
    y_true: Any, y_pred: Any = None, *, num_classes: int | None = None, ax: Any = None
) -> Any:
    """Draw the confusion matrix: rows the true class, columns the prediction, counts written in.

    Args:
        y_true: true labels, or a confusion matrix itself when ``y_pred`` is ``None``.
        y_pred: predicted labels (``train.predict(model, X)``).
        num_classes: the number of classes (default: from the labels).
        ax: an Axes, or ``None`` for a new figure.

    Returns:
        The Figure; its image holds the counts ``C[i, j]``.
    """
    C = np.asarray(y_true) if y_pred is None else count_confusion(y_true, y_pred, num_classes)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(
            f"plots.confusion_matrix: a confusion matrix is square, got shape {C.shape}"
        )
    if ax is None:
        k = C.shape[0]
        fig, (ax,) = subplots(
            "plots.confusion_matrix",
            1,
            width=max(3.5, 0.5 * k + 1.5),
            height=max(3.2, 0.5 * k + 1.0),
        )
    else:
        ax = axes_list(ax, 1, "plots.confusion_matrix")[0]
        fig = ax.figure
    image = ax.imshow(C, cmap="Blues", interpolation="nearest")
    peak = C.max() if C.size else 0
    for (i, j), count in np.ndenumerate(C):
        ax.text(
            j,
            i,
            str(int(count)),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if count > peak / 2 else "black",
        )
    k = C.shape[0]
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set(xlabel="predicted class", ylabel="true class")
    total = C.sum()
    ax.set_title(
        f"confusion matrix: {np.trace(C) / total:.1%} correct" if total else "confusion matrix"
    )
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return fig


def _grid(X: Array, resolution: int, margin: float) -> tuple[Array, Array, list[float]]:
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, [lo[0], hi[0], lo[1], hi[1]]


def _first_hidden(model: Module) -> int:
    layers = leaves(model)
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Elementwise):
            return i
    raise ValueError("plots.decision_boundary: hidden_units=True needs a hidden activation layer")


def decision_boundary(
    model: Module,
    X: Any,
    y: Any,
    *,
    ax: Any = None,
    hidden_units: bool = False,
    resolution: int = 200,
    margin: float = 0.5,
) -> Any:
    r"""Colour the input plane by the predicted class and put the examples on it (2-D inputs).

    With ``hidden_units=True``, one more panel per unit of the first hidden layer shows
    its activation :math:`a^{(2)}_j` over the same plane, as TensorFlow Playground does:
    the boundary is built from these pieces.

    Args:
        model: a trained classifier with 2 inputs.
        X: the examples, shape ``(m, 2)``; y: their labels (or one-hot rows).
        ax: an Axes (one panel), a sequence of ``1 + units`` Axes, or ``None``.
        hidden_units: add the per-unit panels.
        resolution: grid points per axis.
        margin: how far the plane extends beyond the examples.

    Returns:
        The Figure. The first panel's image holds the predicted class at each grid point
        (``origin="lower"``), its scatter the examples.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plots.decision_boundary: X must have 2 columns (a plane), got shape {X.shape}"
        )
    labels = class_labels(y)
    gx, gy, extent = _grid(X, resolution, margin)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    classes = predict(model, points).reshape(gx.shape)
    units: Array | None = None
    if hidden_units:
        index = _first_hidden(model)
        h = points
        for layer in leaves(model)[: index + 1]:
            h = layer(h)
        units = h.reshape(*gx.shape, -1)
    n = 1 + (units.shape[-1] if units is not None else 0)
    if ax is None:
        fig, axes = subplots("plots.decision_boundary", n, width=4.2, height=4.0, ncols=min(n, 4))
    else:
        axes = axes_list(ax, n, "plots.decision_boundary")
        fig = axes[0].figure
    k = max(int(labels.max()) + 1, int(classes.max()) + 1, 2)
    main = axes[0]
    main.imshow(
        classes,
        origin="lower",
        extent=extent,
        cmap="coolwarm" if k == 2 else "tab10",
        vmin=0,
        vmax=k - 1 if k == 2 else 9,
        alpha=0.35,
        aspect="auto",
        interpolation="nearest",
    )
    main.scatter(
        X[:, 0],
        X[:, 1],
        c=labels,
        cmap="coolwarm" if k == 2 else "tab10",
        vmin=0,
        vmax=k - 1 if k == 2 else 9,
        s=12,
        edgecolors="black",
        linewidths=0.3,
    )
    main.set(title="decision boundary", xlabel="$x_1$", ylabel="$x_2$")
    if units is not None:
        for j in range(units.shape[-1]):
            a = axes[1 + j]
            a.imshow(units[..., j], origin="lower", extent=extent, cmap="viridis", aspect="auto")
            a.scatter(
                X[:, 0], X[:, 1], c=labels, cmap="coolwarm" if k == 2 else "tab10", s=4, alpha=0.5
            )
            a.set_title(f"hidden unit {j + 1}: $a^{{(2)}}_{{{j + 1}}}$", fontsize=9)
            a.set_xticks([])
            a.set_yticks([])
    if ax is None:
        fig.tight_layout()
    return fig
