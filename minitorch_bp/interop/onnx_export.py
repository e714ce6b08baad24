r"""Our ``Sequential`` as an ONNX graph, built with ``onnx.helper`` (no tracing).

Each ``Linear`` becomes ``Gemm(input, W, b, transB=1)``, i.e. :math:`z = a W^\top + b`
with ``W`` stored ``(out_features, in_features)`` as here; the activations map to the
operators ``Sigmoid``, ``Tanh``, ``Relu``, ``LeakyRelu(alpha)``, ``Softmax(axis)`` and
``Identity``; ``Dropout`` is the identity at inference and is exported as ``Identity``.
ONNX attributes are 32-bit floats, so in a float64 model a ``LeakyReLU`` slope that
float32 cannot hold exactly (0.2, 0.01) becomes ``PRelu`` with a float64 slope tensor.

The graph's input is ``"input"`` of shape ``[batch, in_features]`` and its output
``"output"``; the element type is the model's (``FLOAT`` for float32, ``DOUBLE`` for
float64). onnx is imported only inside the functions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp import nn
from minitorch_bp._atomic import atomic_write
from minitorch_bp.interop._layers import Layer, first_dtype, layers, optional_import

#: The default opset: 17 is read by every onnxruntime since 1.13 (2022).
DEFAULT_OPSET = 17
#: Softmax(axis) means "along this axis" only from opset 13 on (before, it flattened).
MIN_OPSET = 13

#: Our class name -> the ONNX operator and its attributes (our arg name, ONNX attribute).
OPERATORS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "Sigmoid": ("Sigmoid", ()),
    "Tanh": ("Tanh", ()),
    "ReLU": ("Relu", ()),
    "LeakyReLU": ("LeakyRelu", (("negative_slope", "alpha"),)),
    "Softmax": ("Softmax", (("axis", "axis"),)),
    "Identity": ("Identity", ()),
    "Dropout": ("Identity", ()),
}


def _check_options(opset: int, batch_dim: int | str, onnx: Any) -> None:
    newest = int(onnx.defs.onnx_opset_version())
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"export_onnx: opset={opset!r} must be an integer from {MIN_OPSET} to {newest}"
            f" (the newest this onnx knows)"
        )
    if batch_dim == "dynamic":
        return
    if isinstance(batch_dim, bool) or not isinstance(batch_dim, int) or batch_dim < 1:
        raise ValueError(
            f'export_onnx: batch_dim={batch_dim!r} must be "dynamic" or a positive integer'
        )


def to_onnx(
    model: nn.Module, *, opset: int = DEFAULT_OPSET, batch_dim: int | str = "dynamic"
) -> Any:
    """Return the checked ``onnx.ModelProto`` for ``model``, without writing it.

    Args:
        model: an ``nn.Sequential`` of supported layers (or one such layer) with at least
            one ``Linear``, which fixes the input width and the dtype.
        opset: the ONNX opset of the default domain (13 or later).
        batch_dim: ``"dynamic"`` for a symbolic first dimension named ``"batch"``, or a
            positive integer to fix it.

    Raises:
        ModuleNotFoundError: onnx is not installed (``pip install 'minitorch_bp[onnx]'``).
        ValueError: an unsupported layer (named, with its position) or a bad option.
    """
    model_layers = layers(model, "export_onnx")
    dtype = first_dtype(model_layers, "export_onnx")
    onnx = optional_import("onnx", "onnx", "minitorch_bp.interop.export_onnx")
    _check_options(opset, batch_dim, onnx)
    helper = onnx.helper
    elem = onnx.TensorProto.DOUBLE if dtype == np.float64 else onnx.TensorProto.FLOAT
    batch: int | str = "batch" if batch_dim == "dynamic" else batch_dim
    weights = [layer.weight for layer in model_layers if layer.weight is not None]
    if any(w.dtype != dtype for w in weights):
        raise ValueError(
            f"export_onnx: the Linear layers mix dtypes {sorted({str(w.dtype) for w in weights})};"
            " an ONNX graph has one element type, so convert the model to one dtype"
        )
    in_width = width = weights[0].shape[1]
    nodes: list[Any] = []
    initializers: list[Any] = []
    current = "input"
    for layer in model_layers:
        out_name = f"{layer.index}.{layer.name.lower()}"
        nodes.append(_node(onnx, layer, current, out_name, dtype, initializers))
        if layer.weight is not None:
            width = layer.weight.shape[0]
        current = out_name
    nodes.append(helper.make_node("Identity", [current], ["output"], name="output"))
    graph = helper.make_graph(
        nodes,
        "minitorch_bp",
        [helper.make_tensor_value_info("input", elem, [batch, in_width])],
        [helper.make_tensor_value_info("output", elem, [batch, width])],
        initializer=initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="minitorch_bp",
        ir_version=helper.find_min_ir_version_for(opsets),
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _node(
    onnx: Any, layer: Layer, x: str, y: str, dtype: np.dtype[Any], initializers: list[Any]
) -> Any:
    """Return the node for ``layer``; a ``Linear`` also appends its W and b initializers."""
    helper = onnx.helper
    if layer.name == "LeakyReLU" and dtype == np.float64:
        slope = float(layer.args["negative_slope"])
        if float(np.float32(slope)) != slope:
            # ONNX float attributes are 32-bit, so LeakyRelu(alpha=0.2) would slope by
            # 0.2000000030 in a float64 graph; PRelu takes the slope as a float64 tensor.
            name = f"{layer.index}.negative_slope"
            initializers.append(onnx.numpy_helper.from_array(np.array([slope], dtype), name))
            return helper.make_node("PRelu", [x, name], [y], name=f"{layer.index}")
    if layer.weight is None:
        op, attrs = OPERATORS[layer.name]
        kwargs = {theirs: layer.args[ours] for ours, theirs in attrs}
        if "alpha" in kwargs:
            kwargs["alpha"] = float(kwargs["alpha"])
        return helper.make_node(op, [x], [y], name=f"{layer.index}", **kwargs)
    inputs = [x, f"{layer.index}.weight"]
    initializers.append(onnx.numpy_helper.from_array(layer.weight, inputs[1]))
    if layer.bias is not None:
        inputs.append(f"{layer.index}.bias")
        initializers.append(onnx.numpy_helper.from_array(layer.bias, inputs[2]))
    return helper.make_node("Gemm", inputs, [y], name=f"{layer.index}", transB=1)


def export_onnx(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    batch_dim: int | str = "dynamic",
) -> Path:
    """Write ``model`` to ``path`` as a checked ONNX file, atomically.

    Builds the graph with :func:`to_onnx` (checked by ``onnx.checker.check_model``),
    writes it to a temporary file in the same folder and moves it over ``path`` with
    ``os.replace``, so a crash never leaves a half-written file behind.

    Args:
        model: an ``nn.Sequential`` of ``Linear`` and supported activations.
        path: where to write, usually ``*.onnx``.
        opset: the ONNX opset (default 17; 13 or later).
        batch_dim: ``"dynamic"`` (a symbolic ``"batch"`` dimension) or a fixed positive int.

    Returns:
        The path written.

    Raises:
        ModuleNotFoundError: onnx is not installed (``pip install 'minitorch_bp[onnx]'``).
        ValueError: an unsupported layer (named, with its position) or a bad option.
    """
    proto = to_onnx(model, opset=opset, batch_dim=batch_dim)
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise ValueError(f"export_onnx: folder {str(folder)!r} does not exist")
    data = proto.SerializeToString()
    atomic_write(target, lambda handle: handle.write(data))
    return target
