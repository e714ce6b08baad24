r"""Our models as ONNX graphs, built with ``onnx.helper`` (no tracing).

Each layer writes its own nodes through :meth:`~minitorch_bp.nn.Module.to_onnx` (the
interface is :class:`~minitorch_bp.nn.export.OnnxGraph`): ``Linear`` becomes
``Gemm(input, W, b, transB=1)``, i.e. :math:`z = a W^\top + b` with ``W`` stored
``(out_features, in_features)`` as here; activations their ONNX operator (``Sigmoid``,
``Tanh``, ``Relu``, ``LeakyRelu``, ``Softmax``, ``Elu``, ``Selu``...) or, where the
maths needs it, a few basic ones (``GELU`` through ``Erf``); ``Dropout`` is the identity
at inference; ``Conv2d`` is ``Conv``, the pools ``MaxPool``, ``AveragePool`` and
``GlobalAveragePool``, ``Flatten`` ``Flatten``, ``BatchNorm`` ``BatchNormalization``
(running statistics), ``LayerNorm`` ``LayerNormalization``, ``Embedding`` ``Gather`` and
``Residual`` an ``Add``. ONNX attributes are 32-bit floats, so in a float64 model a
constant that float32 cannot hold exactly (a ``LeakyReLU`` slope of 0.2, ``SELU``'s
constants, ``BatchNorm``'s ``eps``) goes in as a float64 tensor instead; and where ONNX
Runtime has no float64 kernel (``Conv``, ``AveragePool``, ``GlobalAveragePool``) a
float64 graph writes the same sums from ``Slice``, ``Einsum``, ``Sum`` and ``ReduceMean``.

The graph's input is ``"input"`` of shape ``[batch, *one example's shape]`` and its
output ``"output"``; the element type is the model's (``FLOAT`` for float32, ``DOUBLE``
for float64; an ``Embedding`` takes ``INT64`` indices). onnx is imported only inside the
functions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp import nn
from minitorch_bp._atomic import atomic_write
from minitorch_bp._validation import check_float_dtype
from minitorch_bp.interop._layers import check_convertible, leaves, optional_import

#: The default opset: 17 is read by every onnxruntime since 1.13 (2022).
DEFAULT_OPSET = 17
#: Softmax(axis) means "along this axis" only from opset 13 on (before, it flattened).
MIN_OPSET = 13


class _Graph:
    """The :class:`~minitorch_bp.nn.export.OnnxGraph` a layer writes to, on ``onnx.helper``."""

    def __init__(self, onnx: Any, dtype: np.dtype[Any], opset: int) -> None:
        self.onnx = onnx
        self.dtype = dtype
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.prefix = ""
        self.shapes: dict[str, tuple[int | None, ...] | None] = {}
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
        return self._initializer(np.asarray(values, dtype=self.dtype), name)

    def int_constant(self, values: Any, name: str | None = None) -> str:
        return self._initializer(np.asarray(values, dtype=np.int64), name)

    def _initializer(self, array: Any, name: str | None) -> str:
        full = self._unique(name or "const")
        self.initializers.append(self.onnx.numpy_helper.from_array(array, full))
        return full

    def shape(self, name: str) -> tuple[int | None, ...] | None:
        return self.shapes.get(name)

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


def _dtype(model: nn.Module, given: Any) -> np.dtype[Any]:
    """The graph's element type: the parameters' (and buffers') one dtype, or ``given``."""
    dtypes = sorted({str(p.dtype) for p in model.parameters()})
    dtypes = dtypes or sorted({str(b.dtype) for b in model.buffers() if b.dtype.kind == "f"})
    if given is not None:
        want = check_float_dtype(given, "export_onnx")
        if dtypes and dtypes != [str(want)]:
            raise ValueError(
                f"export_onnx: dtype={want} but the model's parameters are {', '.join(dtypes)}"
            )
        return want
    if not dtypes:
        raise ValueError(
            "export_onnx: the model has no parameters, so the graph's element type is unknown;"
            " pass dtype=np.float64 or np.float32"
        )
    if len(dtypes) > 1:
        raise ValueError(
            f"export_onnx: the layers mix dtypes {dtypes}; an ONNX graph has one element"
            " type, so convert the model to one dtype"
        )
    return np.dtype(dtypes[0])


def _input_dims(model: nn.Module, input_shape: Sequence[int | None] | None) -> list[int | str]:
    """One example's input shape: ``input_shape``, or what the first layer tells.

    Sizes the first layer cannot tell (an image's height and width) are symbolic.
    """
    if input_shape is not None:
        dims = tuple(input_shape)
        if not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 1) for d in dims
        ):
            raise ValueError(
                f"export_onnx: input_shape={input_shape!r} must be one example's shape, positive"
                " integers (None for a size known only at run time)"
            )
        return [f"dim_{i + 1}" if d is None else int(d) for i, d in enumerate(dims)]
    path, first = leaves(model)[0]
    named = {1: ["length"], 2: ["height", "width"]}
    if isinstance(first, nn.Linear):
        return [first.in_features]
    if isinstance(first, (nn.Conv1d, nn.Conv2d)):
        return [first.in_channels, *named[first.spatial]]
    if isinstance(first, nn.Embedding):
        return ["length"]
    if isinstance(first, nn.LayerNorm):
        return list(first.normalized_shape)
    if isinstance(first, nn.BatchNorm2d):
        return [first.num_features, "height", "width"]
    if isinstance(first, nn.BatchNorm1d):
        return [first.num_features]
    raise ValueError(
        f"export_onnx: the first layer ({path}: {first!r}) does not tell the input's shape;"
        " pass input_shape=(...), the shape of one example"
    )


def _emit(
    graph: _Graph, module: nn.Module, path: str, x: str, shape: tuple[int | None, ...] | None
) -> tuple[str, tuple[int | None, ...] | None]:
    """Write ``module`` into the graph; return its output's name and static shape."""
    if type(module) is nn.Sequential:
        for i, child in enumerate(module):
            x, shape = _emit(graph, child, f"{path}.{i}" if path else str(i), x, shape)
        return x, shape
    if type(module) is nn.Residual:
        h, _ = _emit(graph, module.block, f"{path}.block" if path else "block", x, shape)
        graph.prefix = path or "0"
        return graph.node("Add", [x, h]), shape
    graph.prefix = path or "0"
    graph.shapes[x] = shape
    out = module.to_onnx(graph, x)
    new: tuple[int | None, ...] | None = None
    if shape is not None and None not in shape[1:]:
        got = module.output_shape((1, *(int(d) for d in shape[1:])))  # type: ignore[arg-type]
        new = None if got is None else (None, *got[1:])
    return out, new


def _output_dims(
    model: nn.Module, dims: list[int | str], shape: tuple[int | None, ...] | None
) -> list[int | str]:
    """The output's sizes after the batch: known ones, else symbolic names (the rank probed)."""
    if shape is not None and None not in shape[1:]:
        return [int(d) for d in shape[1:]]  # type: ignore[arg-type]
    for size in (64, 256, 1024):  # symbolic input sizes: find the rank from a plausible one
        probe = model.output_shape((1, *(d if isinstance(d, int) else size for d in dims)))
        if probe is not None:
            return [f"output_{i}" for i in range(1, len(probe))]
    raise ValueError(
        "export_onnx: cannot tell the output's shape from the layers; pass input_shape=(...)"
    )


def to_onnx(
    model: nn.Module,
    *,
    opset: int = DEFAULT_OPSET,
    batch_dim: int | str = "dynamic",
    input_shape: Sequence[int | None] | None = None,
    dtype: Any = None,
) -> Any:
    """Return the checked ``onnx.ModelProto`` for ``model``, without writing it.

    The graph computes the model in evaluation mode (``Dropout`` is the identity,
    ``BatchNorm`` uses its running statistics).

    Args:
        model: an ``nn.Sequential`` of supported layers (``Residual`` blocks and nested
            containers included), or one such layer.
        opset: the ONNX opset of the default domain (13 or later).
        batch_dim: ``"dynamic"`` for a symbolic first dimension named ``"batch"``, or a
            positive integer to fix it.
        input_shape: one example's shape, without the batch (``(1, 8, 8)`` for images
            ``(m, 1, 8, 8)``). By default the first layer tells it: ``Linear`` its
            ``in_features``, a convolution its channels (height and width symbolic), an
            ``Embedding`` a symbolic ``length`` of ``int64`` indices. Layers whose export
            needs the sizes (``AdaptiveAvgPool2d`` to other than 1, a ``Flatten`` of
            other dimensions than the default) need it given.
        dtype: the element type, for a model without parameters (pooling alone);
            otherwise the parameters' (given, it must agree).

    Raises:
        ModuleNotFoundError: onnx is not installed (``pip install 'minitorch_bp[onnx]'``).
        ValueError: an unsupported layer (named, with its position) or a bad option.
    """
    check_convertible(model, "export_onnx")
    dtype = _dtype(model, dtype)
    dims = _input_dims(model, input_shape)
    onnx = optional_import("onnx", "onnx", "minitorch_bp.interop.export_onnx")
    _check_options(opset, batch_dim, onnx)
    helper = onnx.helper
    elem = onnx.TensorProto.DOUBLE if dtype == np.float64 else onnx.TensorProto.FLOAT
    first = leaves(model)[0][1]
    in_elem = onnx.TensorProto.INT64 if isinstance(first, nn.Embedding) else elem
    batch: int | str = "batch" if batch_dim == "dynamic" else batch_dim
    graph = _Graph(onnx, dtype, opset)
    static: tuple[int | None, ...] | None = None
    if all(isinstance(d, int) for d in dims):
        static = (None, *(int(d) for d in dims))
    current, shape = _emit(graph, model, "", "input", static)
    graph.prefix = "output"
    graph.nodes.append(helper.make_node("Identity", [current], ["output"], name="output"))
    out_dims: list[int | str] = [batch, *_output_dims(model, dims, shape)]
    return checked_model(
        graph,
        "minitorch_bp",
        [helper.make_tensor_value_info("input", in_elem, [batch, *dims])],
        [helper.make_tensor_value_info("output", elem, out_dims)],
    )


def checked_model(graph: _Graph, name: str, inputs: list[Any], outputs: list[Any]) -> Any:
    """The ``ModelProto`` of ``graph``'s nodes between ``inputs`` and ``outputs``, checked."""
    helper, opset = graph.onnx.helper, graph.opset
    proto = helper.make_model(
        helper.make_graph(graph.nodes, name, inputs, outputs, initializer=graph.initializers),
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="minitorch_bp",
        ir_version=helper.find_min_ir_version_for([helper.make_opsetid("", opset)]),
    )
    graph.onnx.checker.check_model(proto, full_check=True)
    return proto


def write_model(proto: Any, path: str | os.PathLike[str], who: str) -> Path:
    """Write ``proto`` to ``path`` atomically (its folder must exist)."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise ValueError(f"{who}: folder {str(folder)!r} does not exist")
    data = proto.SerializeToString()
    atomic_write(target, lambda handle: handle.write(data))
    return target


def export_onnx(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    batch_dim: int | str = "dynamic",
    input_shape: Sequence[int | None] | None = None,
    dtype: Any = None,
) -> Path:
    """Write ``model`` to ``path`` as a checked ONNX file, atomically.

    Builds the graph with :func:`to_onnx` (checked by ``onnx.checker.check_model``),
    writes it to a temporary file in the same folder and moves it over ``path`` with
    ``os.replace``, so a crash never leaves a half-written file behind.

    Args:
        model: an ``nn.Sequential`` of supported layers (see :func:`to_onnx`).
        path: where to write, usually ``*.onnx``.
        opset: the ONNX opset (default 17; 13 or later).
        batch_dim: ``"dynamic"`` (a symbolic ``"batch"`` dimension) or a fixed positive int.
        input_shape: one example's shape (see :func:`to_onnx`).
        dtype: the element type of a model without parameters (see :func:`to_onnx`).

    Returns:
        The path written.

    Raises:
        ModuleNotFoundError: onnx is not installed (``pip install 'minitorch_bp[onnx]'``).
        ValueError: an unsupported layer (named, with its position) or a bad option.
    """
    proto = to_onnx(model, opset=opset, batch_dim=batch_dim, input_shape=input_shape, dtype=dtype)
    return write_model(proto, path, "export_onnx")
