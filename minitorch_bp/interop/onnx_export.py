r"""Our models as ONNX graphs, built with ``onnx.helper`` (no tracing).

Each layer writes its own nodes through :meth:`~minitorch_bp.nn.Module.to_onnx` (the
interface is :class:`~minitorch_bp.nn.export.OnnxGraph`): ``Linear`` becomes
``Gemm(input, W, b, transB=1)``, i.e. :math:`z = a W^\top + b` with ``W`` stored
``(out_features, in_features)`` as here; activations their ONNX operator (``Sigmoid``,
``Tanh``, ``Relu``, ``LeakyRelu``, ``Softmax``, ``Elu``, ``Selu``...) or, where the
maths needs it, a few basic ones (``GELU`` through ``Erf``); ``Dropout`` is the identity
at inference. ONNX attributes are 32-bit floats, so in a float64 model a constant that
float32 cannot hold exactly (a ``LeakyReLU`` slope of 0.2, ``SELU``'s constants) goes in
as a float64 tensor instead.

The graph's input is ``"input"`` of shape ``[batch, in_features]`` and its output
``"output"``; the element type is the model's (``FLOAT`` for float32, ``DOUBLE`` for
float64). onnx is imported only inside the functions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp import nn
from minitorch_bp._atomic import atomic_write
from minitorch_bp.interop._layers import check_convertible, leaves, optional_import

#: The default opset: 17 is read by every onnxruntime since 1.13 (2022).
DEFAULT_OPSET = 17
#: Softmax(axis) means "along this axis" only from opset 13 on (before, it flattened).
MIN_OPSET = 13


class _Graph:
    """The :class:`~minitorch_bp.nn.export.OnnxGraph` a layer writes to, on ``onnx.helper``."""

    def __init__(self, onnx: Any, dtype: np.dtype[Any]) -> None:
        self.onnx = onnx
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.prefix = ""
        self._names: set[str] = set()

    def _unique(self, base: str) -> str:
        name, k = f"{self.prefix}.{base}", 1
        while name in self._names:
            k += 1
            name = f"{self.prefix}.{base}_{k}"
        self._names.add(name)
        return name

    def node(self, op: str, inputs: Sequence[str], **attributes: Any) -> str:
        out = self._unique(op.lower())
        attrs = {k: float(v) if isinstance(v, float) else v for k, v in attributes.items()}
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def constant(self, values: Any, name: str | None = None) -> str:
        full = self._unique(name or "const")
        array = np.asarray(values, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, full))
        return full

    def float_attribute_is_exact(self, value: float) -> bool:
        return self.dtype == np.float32 or float(np.float32(value)) == float(value)


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


def _signature(model: nn.Module) -> tuple[int, np.dtype[Any]]:
    """The input width and dtype, from the first ``Linear``; refuse mixed dtypes."""
    linears = [m for _, m in leaves(model) if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(
            "export_onnx: the model has no Linear layer, so its input width and dtype are unknown"
        )
    dtypes = sorted({str(p.dtype) for p in model.parameters()})
    if len(dtypes) > 1:
        raise ValueError(
            f"export_onnx: the Linear layers mix dtypes {dtypes}; an ONNX graph has one"
            " element type, so convert the model to one dtype"
        )
    return linears[0].in_features, linears[0].weight.dtype


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
    check_convertible(model, "export_onnx")
    in_width, dtype = _signature(model)
    onnx = optional_import("onnx", "onnx", "minitorch_bp.interop.export_onnx")
    _check_options(opset, batch_dim, onnx)
    helper = onnx.helper
    elem = onnx.TensorProto.DOUBLE if dtype == np.float64 else onnx.TensorProto.FLOAT
    batch: int | str = "batch" if batch_dim == "dynamic" else batch_dim
    graph = _Graph(onnx, dtype)
    current = "input"
    width = in_width
    for path, layer in leaves(model):
        graph.prefix = path
        current = layer.to_onnx(graph, current)
        if isinstance(layer, nn.Linear):
            width = layer.out_features
    graph.nodes.append(helper.make_node("Identity", [current], ["output"], name="output"))
    proto = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "minitorch_bp",
            [helper.make_tensor_value_info("input", elem, [batch, in_width])],
            [helper.make_tensor_value_info("output", elem, [batch, width])],
            initializer=graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="minitorch_bp",
        ir_version=helper.find_min_ir_version_for([helper.make_opsetid("", opset)]),
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto


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
