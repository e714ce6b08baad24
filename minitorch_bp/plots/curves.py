r"""Curves over training: the History's loss and accuracy, Monitor's gradient flow, the lr finder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minitorch_bp.plots._mpl import axes_list, notes_label, subplots
from minitorch_bp.train.history import History
from minitorch_bp.train.monitor import STATS, Monitor, columns

if TYPE_CHECKING:
    from minitorch_bp.train.lr_find import LRFinderResult

_LABELS = {
    "D_norm": r"$\Vert D^{(l)}\Vert$",
    "delta_abs": r"mean $|\delta^{(l)}|$",
    "a_mean": r"mean of $a^{(l)}$",
    "a_std": r"std of $a^{(l)}$",
    "saturated": "share of saturated units",
    "dead": "share of dead units",
}


def _epochs(h: History, key: str) -> list[float]:
    return [r["epoch"] for r in h.rows if key in r]


def history(h: History, *, ax: Any = None) -> Any:
    r"""Plot the loss :math:`J(\Theta)` per epoch (and ``val_loss``), and the accuracies.

    Args:
        h: a :class:`~minitorch_bp.train.History`.
        ax: an Axes for the loss (the accuracies go on a twin axis), or two Axes (loss,
            accuracy); ``None`` makes a figure with one panel per kind.

    Returns:
        The matplotlib Figure. Its lines hold ``h.epochs`` and ``h[name]``.
    """
    names = set(h.keys())
    losses = [k for k in ("loss", "val_loss") if k in names]
    accs = [k for k in ("accuracy", "val_accuracy") if k in names]
    twin = False
    if ax is None:
        fig, axes = subplots("plots.history", 2 if accs else 1)
    else:
        axes = axes_list(ax, 1, "plots.history")
        fig = axes[0].figure
        if accs and len(axes) < 2:
            axes, twin = [axes[0], axes[0].twinx()], True
    loss_ax = axes[0]
    for key, style in zip(losses, ("-", "--"), strict=False):
        loss_ax.plot(_epochs(h, key), h[key], style, label=key.replace("_", " "))
    loss_ax.set(xlabel="epoch", ylabel=r"$J(\Theta)$", title=r"cost $J(\Theta)$ per epoch")
    values = [v for k in losses for v in h[k]]
    if values and min(values) > 0 and max(values) / min(values) > 100:
        loss_ax.set_yscale("log")
    if losses:
        loss_ax.legend(loc="upper right")
    if accs:
        acc_ax = axes[1]
        for name, style in zip(accs, (":", "-."), strict=False):
            acc_ax.plot(
                _epochs(h, name),
                h[name],
                style,
                label=name.replace("_", " "),
                color="tab:green" if name == "accuracy" else "tab:olive",
            )
        acc_ax.set(ylabel="accuracy", ylim=(0, 1.02))
        if not twin:
            acc_ax.set(xlabel="epoch", title="accuracy per epoch")
        acc_ax.legend(loc="lower right")
    if ax is None:
        fig.tight_layout()
    return fig


def gradient_flow(source: History | Monitor, stat: str = "D_norm", *, ax: Any = None) -> Any:
    r"""Plot one Monitor statistic per layer over training: by default :math:`\lVert D^{(l)}\rVert`.

    Layers whose gradient vanishes sit decades below the last layer's line (the y axis is
    logarithmic for the norms).

    Args:
        source: a History from ``fit(callbacks=[Monitor()])`` (one point per epoch) or the
            :class:`~minitorch_bp.train.Monitor` itself (one point per record: per epoch,
            or every ``k`` batches).
        stat: one of ``D_norm``, ``delta_abs``, ``a_mean``, ``a_std``, ``saturated``, ``dead``.
        ax: an Axes, or ``None`` for a new figure.

    Returns:
        The Figure: one line per layer, labelled with the notes' symbol.
    """
    if stat not in STATS:
        raise ValueError(f"plots.gradient_flow: stat={stat!r} must be one of {STATS}")
    if isinstance(source, Monitor):
        series = source.series(stat)
        x_label = "record" if not source.every else "batch"
        xs = {
            tag: [r.get("batch", r["epoch"]) for r in source.records if f"{stat}({tag})" in r]
            for tag in series
        }
    elif isinstance(source, History):
        series = {tag: source[key] for key, tag in columns(source, stat)}
        x_label = "epoch"
        xs = {tag: [r["epoch"] for r in source.rows if f"{stat}({tag})" in r] for tag in series}
    else:
        raise TypeError(
            f"plots.gradient_flow: source is {type(source).__name__}; give a History or a Monitor"
        )
    if not series:
        raise ValueError(
            f"plots.gradient_flow: no {stat}(…) values; train with fit(..., callbacks=[Monitor()])"
        )
    if ax is None:
        fig, (ax,) = subplots("plots.gradient_flow", 1)
    else:
        ax = axes_list(ax, 1, "plots.gradient_flow")[0]
        fig = ax.figure
    for tag, values in series.items():
        ax.plot(
            xs[tag],
            values,
            marker="o" if len(values) < 30 else None,
            ms=3,
            label=notes_label(stat, tag),
        )
    if stat in ("D_norm", "delta_abs") and all(v > 0 for vs in series.values() for v in vs):
        ax.set_yscale("log")
    if stat in ("saturated", "dead"):
        ax.set_ylim(-0.02, 1.02)  # shares: a flat 0 should look like 0 of 1
    ax.set(xlabel=x_label, ylabel=_LABELS[stat], title=f"{_LABELS[stat]} per layer")
    ax.legend(fontsize="small", ncol=2 if len(series) > 5 else 1)
    return fig


def lr_find(result: LRFinderResult, *, ax: Any = None) -> Any:
    """Plot the learning-rate sweep: the loss per batch, its smoothed curve and the suggestion.

    Returns:
        The Figure: the raw and smoothed loss against the learning rate (log x axis), and
        a vertical line at ``result.suggestion``.
    """
    if ax is None:
        fig, (ax,) = subplots("plots.lr_find", 1)
    else:
        ax = axes_list(ax, 1, "plots.lr_find")[0]
        fig = ax.figure
    ax.plot(result.lrs, result.losses, color="0.7", lw=1, label="loss of each batch")
    ax.plot(result.lrs, result.smoothed, color="tab:blue", lw=2, label="smoothed")
    ax.axvline(
        result.suggestion, color="tab:red", ls="--", label=f"suggestion {result.suggestion:.2g}"
    )
    ax.set_xscale("log")
    top = np.nanmax(result.smoothed) if len(result.smoothed) else 1.0
    low = np.nanmin(result.losses) if len(result.losses) else 0.0
    ax.set_ylim(low - 0.05 * abs(low), top * 1.1 if top > 0 else None)
    ax.set(xlabel="learning rate", ylabel="loss", title="learning-rate finder")
    ax.legend()
    return fig
