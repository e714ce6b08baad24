r"""Pictures of the parameters: the first layer's weights as images, and the network diagram."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.engine.plan import leaves
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.regularization import l2_gradient
from minitorch_bp.plots._mpl import axes_list, require, subplots

Array = NDArray[Any]


def _linears(model: Module) -> list[Linear]:
    found = [m for m in leaves(model) if isinstance(m, Linear)]
    if not found:
        raise ValueError(f"plots: {type(model).__name__} has no Linear layer to draw")
    return found


def mosaic(W: Array, image_shape: tuple[int, int], ncols: int | None = None) -> Array:
    r"""Tile the rows of ``W`` as images, each scaled by its largest :math:`|w|`, NaN between tiles.

    Row :math:`j` of the first layer's :math:`\Theta^{(1)}_{:,1:}` (the weights into hidden
    unit :math:`j`) becomes one ``image_shape`` tile, as the course's ``displayData`` shows
    them; gaps are NaN (drawn as background).
    """
    n = W.shape[0]
    h, w = image_shape
    cols = ncols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for j in range(n):
        r, c = divmod(j, cols)
        tile = W[j].reshape(h, w)
        peak = np.max(np.abs(tile))
        out[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = tile / (peak or 1.0)
    return out


def hidden_units(
    model: Module | Array,
    image_shape: tuple[int, int] | None = None,
    *,
    ax: Any = None,
    ncols: int | None = None,
    cmap: str = "gray",
) -> Any:
    r"""Show each hidden unit's incoming weights as an image: the course's "visualizing the hidden layer".

    For the embedded 8×8 digits, each of the first layer's units looks at the image through
    its weight row :math:`\Theta^{(1)}_{j,1:}`; light pixels push it on, dark ones off.

    Args:
        model: a model (its first ``Linear`` is used) or a weight matrix ``(units, pixels)``.
        image_shape: ``(height, width)`` of one input; default the square root of the width.
        ax: an Axes for the mosaic, or ``None`` for a new figure.
        ncols: tiles per row (default about the square root of the number of units).
        cmap: the colour map.

    Returns:
        The Figure; its image holds :func:`mosaic` of the weights.
    """
    W = np.asarray(
        _linears(model)[0].weight.data if isinstance(model, Module) else model, dtype=float
    )
    if W.ndim != 2:
        raise ValueError(f"plots.hidden_units: weights must be 2-D (units, pixels), got {W.shape}")
    if image_shape is None:
        side = math.isqrt(W.shape[1])
        if side * side != W.shape[1]:
            raise ValueError(
                f"plots.hidden_units: {W.shape[1]} inputs are not a square image; give image_shape"
            )
        image_shape = (side, side)
    if image_shape[0] * image_shape[1] != W.shape[1]:
        raise ValueError(
            f"plots.hidden_units: image_shape={image_shape} has {image_shape[0] * image_shape[1]}"
            f" pixels but the layer has {W.shape[1]} inputs"
        )
    if ax is None:
        fig, (ax,) = subplots("plots.hidden_units", 1, width=5.0, height=5.0)
    else:
        ax = axes_list(ax, 1, "plots.hidden_units")[0]
        fig = ax.figure
    tiles = mosaic(W, image_shape, ncols)
    require("plots.hidden_units")
    import matplotlib

    colours = matplotlib.colormaps[cmap].with_extremes(bad="white")
    ax.imshow(tiles, cmap=colours, vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"weights into the {W.shape[0]} hidden units ({image_shape[0]}×{image_shape[1]})")
    return fig


def _layout(sizes: list[int], max_units: int) -> list[Array]:
    """The y position of each unit drawn in each layer of units (centred, at most ``max_units``)."""
    ys = []
    for s in sizes:
        shown = min(s, max_units)
        ys.append(
            np.linspace(0.5 * (shown - 1), -0.5 * (shown - 1), shown) if shown > 1 else np.zeros(1)
        )
    return ys


def _draw_network(
    ax: Any, matrices: list[Array], sizes: list[int], max_units: int, title: str
) -> None:
    require("plots.network")
    from matplotlib.collections import LineCollection

    ys = _layout(sizes, max_units)
    peak = max(float(np.max(np.abs(M))) for M in matrices) or 1.0
    for k, M in enumerate(matrices):
        segments, widths, colours = [], [], []
        for j in range(len(ys[k + 1])):
            for i in range(len(ys[k])):
                v = M[j, i]
                segments.append([(k, ys[k][i]), (k + 1, ys[k + 1][j])])
                widths.append(0.15 + 3.5 * abs(v) / peak)
                colours.append("tab:red" if v < 0 else "tab:blue")
        ax.add_collection(
            LineCollection(segments, linewidths=widths, colors=colours, alpha=0.75, zorder=1)
        )
    for k, y in enumerate(ys):
        ax.scatter(np.full(len(y), k), y, s=140, c="white", edgecolors="black", zorder=2)
        if sizes[k] > len(y):
            ax.annotate(
                f"{sizes[k]} units,\nfirst {len(y)} shown",
                (k, y[-1] - 0.9),
                ha="center",
                fontsize=7,
            )
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    tallest = max(len(y) for y in ys)
    ax.set_ylim(-0.5 * tallest - 1.0, 0.5 * tallest + 0.5)
    ax.set_xticks(range(len(sizes)), [f"$a^{{({k + 1})}}$" for k in range(len(sizes))])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(title)


def network(
    model: Module,
    *,
    ax: Any = None,
    gradients: bool = True,
    l2: float = 0.0,
    m: int | None = None,
    max_units: int = 12,
) -> Any:
    r"""Draw the layers of units with an edge per weight: width ∝ :math:`|\Theta|`, and in a second panel ∝ :math:`|D|`.

    Blue edges are positive, red negative; widths are scaled by the largest value in the
    panel. The bias units are not drawn. Layers wider than ``max_units`` show their first
    ``max_units`` units.

    Args:
        model: a chain of ``Linear`` layers (and activations).
        ax: one Axes (weights only) or two (weights, gradients); ``None`` for a new figure.
        gradients: draw the second panel, from each weight's ``grad`` (the last
            backward's :math:`\frac{1}{m}\Delta`) plus :math:`\frac{\lambda}{m}\Theta` when
            ``l2`` and ``m`` are given: the notes' :math:`D`.
        l2, m: the notes' :math:`\lambda` and batch size, for :math:`D`.
        max_units: the most units drawn per layer.

    Returns:
        The Figure; each panel holds one ``LineCollection`` per ``Linear``.
    """
    linears = _linears(model)
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    weights = [layer.weight.data[:max_units, :max_units] for layer in linears]
    n = 2 if gradients else 1
    if ax is None:
        fig, axes = subplots("plots.network", n, width=5.5, height=4.5)
    else:
        axes = axes_list(ax, 1, "plots.network")
        fig = axes[0].figure
        n = min(n, len(axes))
    _draw_network(axes[0], weights, sizes, max_units, r"weights, width $\propto |\Theta|$")
    if n > 1:
        D = [
            (l2_gradient(layer.weight, l2, m) if l2 and m else layer.weight.grad)[
                :max_units, :max_units
            ]
            for layer in linears
        ]
        _draw_network(axes[1], D, sizes, max_units, r"gradients, width $\propto |D|$")
    return fig
