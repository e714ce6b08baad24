r"""An estimator exported whole: its preprocessing, its network and what its outputs mean.

:func:`estimator_to_onnx` writes, in order:

1. the missing-value rule (``na="mean"``): ``Where(IsNaN(x), means, x)``;
2. the standardisation fitted on the training rows: ``Div(Sub(x, mean), std)``;
3. the network, layer by layer (:func:`~minitorch_bp.interop.to_onnx`'s nodes; a last
   ``Sigmoid`` as numpy computes it, ``1 / (1 + Exp(-z))``, which keeps the relative
   precision of tiny outputs);
4. for a classifier, ``predict_proba``: ``Softmax`` of the logits, :math:`[1 - p, p]` of
   one sigmoid output, or :math:`K` sigmoids normalised to sum to 1; for a regressor, the
   target scaling undone (``Add(Mul(out, scale), shift)``), in the target's units.

So ``onnxruntime`` on *raw* rows gives ``predict_proba`` (classifiers, output
``"output"``; with ``labels=True`` also ``"label"``, the predicted class in the original
labels, text included) or ``predict`` (regressors, shape ``(batch, k)``).
``dtype=np.float32`` writes a float32 graph of the same float64 estimator (its constants
rounded once).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp import nn
from minitorch_bp._validation import check_float_dtype
from minitorch_bp.interop._layers import check_convertible, optional_import
from minitorch_bp.interop.onnx_export import (
    DEFAULT_OPSET,
    _check_options,
    _emit,
    _Graph,
    checked_model,
    write_model,
)


def _is_estimator(obj: Any) -> bool:
    return hasattr(obj, "preprocessing_") and hasattr(obj, "model_")


def estimator_to_onnx(
    est: Any,
    *,
    opset: int = DEFAULT_OPSET,
    batch_dim: int | str = "dynamic",
    dtype: Any = np.float64,
    labels: bool = False,
) -> Any:
    """The checked ``onnx.ModelProto`` of a fitted estimator, raw rows in (see the module docstring).

    Args:
        est: a fitted :class:`~minitorch_bp.estimators.MLPClassifier` or
            :class:`~minitorch_bp.estimators.MLPRegressor`.
        opset, batch_dim: as for :func:`~minitorch_bp.interop.to_onnx`.
        dtype: ``np.float64`` (default) or ``np.float32``, the graph's element type.
        labels: classifiers: add the output ``"label"``, the predicted class.

    Raises:
        ModuleNotFoundError: onnx is not installed.
        ValueError: an unfitted estimator, ``labels`` for a regressor, a multi-label
            classifier with ``labels``, or a bad option.
    """
    if not _is_estimator(est) or "model_" not in vars(est):
        raise ValueError(f"estimator_to_onnx: {type(est).__name__} is not a fitted estimator")
    classifier = est._estimator_type == "classifier"
    if labels and (not classifier or est._multilabel()):
        raise ValueError(
            "estimator_to_onnx: labels=True is for single-label classifiers (a regressor's"
            " output already is its prediction)"
        )
    model = est.model_
    check_convertible(model, "estimator_to_onnx")
    want = check_float_dtype(dtype, "estimator_to_onnx")
    onnx = optional_import("onnx", "onnx", "minitorch_bp.interop.estimator_to_onnx")
    _check_options(opset, batch_dim, onnx)
    helper = onnx.helper
    elem = onnx.TensorProto.DOUBLE if want == np.float64 else onnx.TensorProto.FLOAT
    graph = _Graph(onnx, want, opset)
    n = int(est.n_features_in_)
    pre = est.preprocessing_
    graph.prefix = "preprocessing"
    x = "input"
    if pre.imputer is not None:
        x = graph.node(
            "Where", [graph.node("IsNaN", [x]), graph.constant(pre.imputer.means, "means"), x]
        )
    if pre.standardizer is not None:
        mean = graph.constant(pre.standardizer.mean, "mean")
        x = graph.node(
            "Div", [graph.node("Sub", [x, mean]), graph.constant(pre.standardizer.std, "std")]
        )
    layers = list(model)
    sigmoid_last = bool(layers) and type(layers[-1]) is nn.Sigmoid
    body = nn.Sequential(*layers[:-1]) if sigmoid_last else model
    x, _ = _emit(graph, body, "", x, (None, n))
    if sigmoid_last:
        # numpy's 1 / (1 + e^-z), not ONNX Runtime's Sigmoid, whose tails lose relative
        # precision: K sigmoids all near 0 are normalised by their sum, which magnifies it.
        graph.prefix = f"{len(layers) - 1}"
        one = graph.constant([[1.0]], "one")
        x = graph.node(
            "Div", [one, graph.node("Add", [one, graph.node("Exp", [graph.node("Neg", [x])])])]
        )
    graph.prefix = "outputs"
    k = int(est.n_outputs_)
    if classifier:
        x = _probabilities(graph, est, x, k)
        width = max(k, 2)
    else:
        scaler = est.target_scaler_
        if scaler is not None:
            scale = graph.constant(scaler._scale(), "scale")
            x = graph.node(
                "Add", [graph.node("Mul", [x, scale]), graph.constant(scaler._shift(), "shift")]
            )
        width = k
    graph.nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    batch: int | str = "batch" if batch_dim == "dynamic" else batch_dim
    outputs = [helper.make_tensor_value_info("output", elem, [batch, width])]
    if labels:
        outputs.append(_label_output(graph, onnx, est.classes_, batch))
    inputs = [helper.make_tensor_value_info("input", elem, [batch, n])]
    return checked_model(graph, "minitorch_bp_estimator", inputs, outputs)


def _probabilities(graph: _Graph, est: Any, out: str, k: int) -> str:
    """``predict_proba`` from the network's outputs, as :meth:`MLPClassifier._proba` computes it."""
    if est.out_activation_ == "softmax":
        return graph.node("Softmax", [out], axis=1)
    if est._multilabel():
        return out
    if k == 1:
        return graph.node(
            "Concat", [graph.node("Sub", [graph.constant([[1.0]], "one"), out]), out], axis=1
        )
    axes = graph.int_constant([1], "axes")
    total = graph.node("ReduceSum", [out, axes], keepdims=1)
    zero = graph.node("Equal", [total, graph.constant([[0.0]], "zero")])
    # All K sigmoids underflowed to 0: no preference, so uniform (as the estimator).
    return graph.node(
        "Where", [zero, graph.constant([[1.0 / k]], "uniform"), graph.node("Div", [out, total])]
    )


def _label_output(graph: _Graph, onnx: Any, classes: Any, batch: int | str) -> Any:
    helper = onnx.helper
    graph.prefix = "label"
    index = graph.node("ArgMax", ["output"], axis=1, keepdims=0)
    if classes.dtype.kind == "U":
        table = graph._unique("classes")
        graph.initializers.append(
            helper.make_tensor(
                table,
                onnx.TensorProto.STRING,
                [len(classes)],
                [c.encode() for c in classes.tolist()],
            )
        )
        kind = onnx.TensorProto.STRING
    elif classes.dtype.kind == "b":
        table = graph._initializer(np.asarray(classes, dtype=bool), "classes")
        kind = onnx.TensorProto.BOOL
    elif classes.dtype.kind == "f":
        table = graph._initializer(np.asarray(classes, dtype=np.float64), "classes")
        kind = onnx.TensorProto.DOUBLE
    else:
        table = graph._initializer(np.asarray(classes, dtype=np.int64), "classes")
        kind = onnx.TensorProto.INT64
    graph.nodes.append(helper.make_node("Gather", [table, index], ["label"], name="label", axis=0))
    return helper.make_tensor_value_info("label", kind, [batch])


def export_estimator_onnx(
    est: Any,
    path: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    batch_dim: int | str = "dynamic",
    dtype: Any = np.float64,
    labels: bool = False,
) -> Path:
    """Write :func:`estimator_to_onnx`'s graph to ``path``, atomically; return the path."""
    proto = estimator_to_onnx(est, opset=opset, batch_dim=batch_dim, dtype=dtype, labels=labels)
    return write_model(proto, path, "export_estimator_onnx")


def estimator_to_torch(est: Any, *, dtype: Any = np.float64) -> Any:
    """A ``torch.nn.Sequential`` of raw rows to the network's outputs: the preprocessing, then the network.

    The first module (:func:`torch_preprocessing_class`) fills in missing values and
    standardises with the estimator's arrays as buffers (``0.means``, ``0.mean``,
    ``0.std`` in the state dict); the rest is :func:`~minitorch_bp.interop.to_torch`'s
    network (``1.0.weight``...), whose outputs are the network's (probabilities of the
    sigmoid units, or logits of a softmax; a regression's scaled target).
    """
    from minitorch_bp.interop.torch_convert import to_torch

    if not _is_estimator(est) or "model_" not in vars(est):
        raise ValueError(f"estimator_to_torch: {type(est).__name__} is not a fitted estimator")
    want = check_float_dtype(dtype, "estimator_to_torch")
    torch = optional_import("torch", "torch", "minitorch_bp.interop.estimator_to_torch")
    network = to_torch(est.model_)
    pre = est.preprocessing_
    arrays = {
        "means": None if pre.imputer is None else pre.imputer.means,
        "mean": None if pre.standardizer is None else pre.standardizer.mean,
        "std": None if pre.standardizer is None else pre.standardizer.std,
    }
    first = torch_preprocessing_class()(
        **{
            k: None if v is None else torch.from_numpy(np.array(v, dtype=want))
            for k, v in arrays.items()
        }
    )
    torch_dtype = torch.float64 if want == np.float64 else torch.float32
    return torch.nn.Sequential(first, network).to(torch_dtype)


_PRE: list[Any] = []


def torch_preprocessing_class() -> Any:
    """The ``torch.nn.Module`` of an estimator's preprocessing (buffers ``means``, ``mean``, ``std``; each optional)."""
    if not _PRE:
        torch = optional_import("torch", "torch", "minitorch_bp.interop.torch_preprocessing_class")

        class Preprocessing(torch.nn.Module):  # type: ignore[misc, name-defined]
            """``x`` with NaN replaced by ``means``, then ``(x - mean) / std``."""

            def __init__(self, means: Any = None, mean: Any = None, std: Any = None) -> None:
                super().__init__()
                for name, value in (("means", means), ("mean", mean), ("std", std)):
                    self.register_buffer(name, value)

            def forward(self, x: Any) -> Any:
                if self.means is not None:
                    x = torch.where(torch.isnan(x), self.means, x)
                if self.mean is not None:
                    x = (x - self.mean) / self.std
                return x

        _PRE.append(Preprocessing)
    return _PRE[0]
