r"""The training report: one self-contained, offline HTML file (``fit(..., report="run.html")``).

It holds the model summary, the hyper-parameters, the cost per epoch, the Monitor's
per-layer figures, the confusion matrix, the first layer's weights as images (for image
inputs), the decision boundary (for 2-D inputs) and the network diagram. Figures are
PNG images inside the file; the notes' formulas are typeset by MathJax inlined in the
file (:mod:`minitorch_bp._html`). Nothing is fetched when it is opened.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp import __name__ as _package
from minitorch_bp import _html
from minitorch_bp._atomic import atomic_write
from minitorch_bp.data.loader import DataLoader
from minitorch_bp.nn.container import Sequential
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.train.evaluate import class_labels, predict
from minitorch_bp.train.history import History
from minitorch_bp.train.monitor import Monitor, columns


def check_report_path(path: str | Path, who: str) -> Path:
    """Return ``path`` if a report can be written there; raise before any training otherwise.

    The checks of every output path (:func:`minitorch_bp._atomic.check_output_path`), and
    the folder must exist (the report is one file; it makes no folders).

    Raises:
        ValueError: the path is empty or a folder, its folder does not exist or is not
            writable.
        ImportError: matplotlib (the ``plots`` extra) is missing.
    """
    from minitorch_bp._atomic import check_output_path
    from minitorch_bp.plots._mpl import require

    if str(path) and Path(path).is_dir():
        raise ValueError(
            f"{who}: report={str(path)!r} is a folder; give a file name such as run.html"
        )
    try:
        p = check_output_path(path, f"{who}: report={str(path)!r}")
    except OSError as exc:  # a folder, a file above it, no permission: one kind of mistake
        raise ValueError(str(exc)) from None
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"{who}: report={str(path)!r}: the folder {str(folder)!r} does not exist")
    require(f"{who}(report=...)")
    return p


def _png(draw: Any, width: float, height: float) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    draw(fig)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(title: str, caption: str, data: str) -> str:
    return (
        f'<figure><img alt="{_html.escape(title)}" src="data:image/png;base64,{data}">'
        f"<figcaption><b>{_html.escape(title)}.</b> {caption}</figcaption></figure>"
    )


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f'<tr><td class="name">{_html.escape(k)}</td><td class="name">{_html.escape(v)}</td></tr>'
        for k, v in rows
    )
    return f"<table>{body}</table>"


def _history_table(h: History, limit: int = 12) -> str:
    keys = [k for k in list(h.keys()) if "(" not in k]
    rows = h.rows
    if len(rows) > limit:
        step = math.ceil(len(rows) / limit)
        rows = [r for i, r in enumerate(rows) if i % step == 0 or i == len(rows) - 1]
    head = "".join(f"<th>{_html.escape(k)}</th>" for k in keys)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{int(r[k]) if k == 'epoch' else format(r[k], '.5g')}</td>"
            if k in r
            else "<td></td>"
            for k in keys
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(
    path: str | Path,
    model: Module,
    history: History,
    *,
    criterion: Loss,
    optimizer: Optimizer,
    loader: DataLoader,
    val_data: tuple[Any, Any] | None = None,
    monitor: Monitor | None = None,
) -> Path:
    """Write the report of a finished run to ``path`` (atomically) and return the path.

    Args:
        path: the HTML file.
        model, history: the trained model and its :class:`~minitorch_bp.train.History`.
        criterion, optimizer, loader: what trained it (for the hyper-parameters).
        val_data: ``(X, Y)`` for the confusion matrix (default: the training data).
        monitor: the run's :class:`~minitorch_bp.train.Monitor`, for its per-layer figures.
    """
    from minitorch_bp import __version__, plots

    path = check_report_path(path, "write_report")
    X, Y = (
        (np.asarray(val_data[0]), np.asarray(val_data[1]))
        if val_data is not None
        else (loader.X, loader.Y)
    )
    part = "validation" if val_data is not None else "training"
    try:
        labels = class_labels(Y)
    except ValueError:
        labels = None
    last = history.last()
    body = ["<h1>Training report</h1>", f"<p>{_package} {__version__}. {len(history)} epochs"]
    if history.stopped_epoch is not None:
        body[-1] += f", stopped early after epoch {history.stopped_epoch}"
    if history.best_epoch is not None:
        body[-1] += f", best epoch {history.best_epoch}"
    body[-1] += ".</p>"
    summary = [(k, f"{v:.6g}") for k, v in last.items() if k != "epoch" and "(" not in k]
    body += ["<h2>Summary</h2>", _table([("epochs", str(len(history))), *summary])]
    text = model.summary() if isinstance(model, Sequential) else repr(model)
    body += ["<h2>Model</h2>", f"<pre>{_html.escape(text)}</pre>"]
    state = optimizer.state_dict()
    hyper = [
        ("criterion", repr(criterion)),
        ("optimizer", repr(optimizer)),
        *[
            (f"optimizer {k}", str(v))
            for k, v in state.items()
            if isinstance(v, (int, float, str, bool)) and k != "type"
        ],
        ("training examples m", str(loader.dataset_size)),
        ("batch size", str(loader.batch_size)),
        ("batches per epoch", str(len(loader))),
        ("shuffled", str(loader.shuffle)),
    ]
    body += ["<h2>Hyper-parameters</h2>", _table(hyper)]
    body.append(
        r"<p>The loss is the notes' regularised cost \(J(\Theta) = \text{criterion} +"
        r" \frac{\lambda}{2m}\sum_{l}\sum_{i \ge 1}\sum_j (\Theta^{(l)}_{ji})^2\) of each batch"
        r" before its update (\(m\) its size, \(\lambda\) = the optimizer's <code>l2</code>),"
        r" averaged over the epoch; each step applies"
        r" \(\Theta \leftarrow \Theta - \alpha D\), \(D^{(l)} = \frac{1}{m}(\Delta^{(l)} +"
        r" \lambda\Theta^{(l)})\) with the bias column unregularised.</p>"
    )
    has_acc = "accuracy" in set(history.keys())
    body += [
        "<h2>Curves</h2>",
        _figure(
            "Cost and accuracy",
            "J(Θ) of the training batches per epoch (and on the validation data after each epoch).",
            _png(
                lambda fig: plots.history(
                    history, ax=list(fig.subplots(1, 2)) if has_acc else fig.add_subplot()
                ),
                10.0 if has_acc else 5.5,
                3.6,
            ),
        ),
        "<h3>Per epoch (thinned to about a dozen rows)</h3>",
        _history_table(history),
    ]
    if monitor is not None and columns(history, "D_norm"):
        body.append("<h2>Inside the network (Monitor)</h2>")
        titles = {
            "D_norm": "Gradient norm per layer",
            "delta_abs": "Mean |δ| per layer",
            "saturated": "Saturated units",
            "dead": "Dead units",
            "a_mean": "Mean activation",
        }
        captions = {
            "D_norm": r"‖D^(l)‖ per layer and epoch: the gradient each layer's weights get. Lines"
            " decades below the last layer's mean the lower layers barely learn (a vanishing gradient).",
            "delta_abs": "mean |δ^(l)| per layer, the notes' per-example error of each layer's units.",
            "saturated": "the share of sigmoid or tanh units whose g'(z) is below 4 % of g'(0)"
            " (a(1 − a) < 0.01 for the sigmoid): saturated units pass almost no gradient.",
            "dead": "the share of units with g'(z) = 0 on every example of the epoch (dead ReLUs).",
            "a_mean": "the mean activation of each layer's units.",
        }
        figures = [
            _figure(
                titles[stat],
                caption,
                _png(
                    lambda fig, s=stat: plots.gradient_flow(history, s, ax=fig.add_subplot()),
                    5.0,
                    3.5,
                ),
            )
            for stat, caption in captions.items()
            if columns(history, stat)
        ]
        body.append(f'<div class="grid">{"".join(figures)}</div>')
    if labels is not None:
        pred = predict(model, X)
        k = max(2, Y.shape[1] if Y.ndim == 2 and Y.shape[1] > 1 else 2)
        body += [
            "<h2>Confusion matrix</h2>",
            _figure(
                f"Confusion matrix on the {part} data",
                f"rows: the true class; columns: the predicted one ({len(X)} examples).",
                _png(
                    lambda fig: plots.confusion_matrix(
                        labels, pred, num_classes=k, ax=fig.add_subplot()
                    ),
                    0.45 * k + 3.0,
                    0.45 * k + 2.2,
                ),
            ),
        ]
    linears = [m for m in model.modules() if isinstance(m, Linear)]
    n_in = linears[0].in_features if linears else 0
    if n_in >= 16 and math.isqrt(n_in) ** 2 == n_in:
        body += [
            "<h2>Hidden units</h2>",
            _figure(
                "The first layer's weights as images",
                "row j of Θ^(1) (without the bias) reshaped to the input image: what hidden unit j looks for.",
                _png(lambda fig: plots.hidden_units(model, ax=fig.add_subplot()), 5.0, 5.0),
            ),
        ]
    if X.ndim == 2 and X.shape[1] == 2 and labels is not None:
        body += [
            "<h2>Decision boundary</h2>",
            _figure(
                "Decision boundary",
                f"the predicted class over the input plane, with the {part} examples.",
                _png(
                    lambda fig: plots.decision_boundary(
                        model, X, labels, ax=fig.add_subplot(), resolution=150
                    ),
                    5.0,
                    4.2,
                ),
            ),
        ]
    if linears:
        body += [
            "<h2>Network</h2>",
            _figure(
                "Weights and gradients",
                "each edge a weight: width ∝ |Θ| (left) and ∝ |gradient| of the last batch (right);"
                " blue positive, red negative.",
                _png(lambda fig: plots.network(model, ax=list(fig.subplots(1, 2))), 11.0, 4.5),
            ),
        ]
    page = _html.page("Training report", "\n".join(body))
    return atomic_write(path, lambda handle: handle.write(page.encode("utf-8")))
