r"""``Flatten`` and ``Unflatten``: the same numbers in another shape, and δ reshaped back.

Between a convolution's ``(m, C, H, W)`` and a ``Linear``'s ``(m, s_l)`` the notes'
units are only renumbered: unit :math:`(c, h, w)` becomes unit :math:`c H W + h W + w`
(row-major order, as in PyTorch). So δ for the input is δ for the output in the input's
shape, and nothing else.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_examples, as_grad
from minitorch_bp.nn.export import OnnxGraph
from minitorch_bp.nn.module import Module

Array = NDArray[Any]


def _own(y: Array, x: Array) -> Array:
    """``y`` (a reshape of ``x``) as an array of its own: a copy only when it is a view of ``x``."""
    return y.copy() if np.may_share_memory(y, x) else y


def _static(graph: OnnxGraph, x: str, who: object) -> tuple[int | None, ...]:
    shape = graph.shape(x)
    if shape is None or None in shape[1:]:
        raise ValueError(
            f"export_onnx: {who!r} needs the sizes of its input's dimensions after the"
            " batch; export with input_shape=(...) (one example's shape)"
        )
    return shape


class _Reshape(Module):
    """What ``Flatten`` and ``Unflatten`` share: the forward and backward of a reshape."""

    abstract = True
    _input_shape: tuple[int, ...] | None

    def _refuse(self, shape: tuple[int, ...]) -> ValueError:
        """The error for an input of ``shape`` the reshape does not fit."""
        raise NotImplementedError

    def forward(self, x: Array) -> Array:
        x = as_examples(x, type(self).__name__)
        shape = self.output_shape(x.shape)
        if shape is None:
            raise self._refuse(x.shape)
        self._input_shape = x.shape
        return _own(x.reshape(shape), x)

    def backward(self, grad_output: Array) -> Array:
        if self._input_shape is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        out = self.output_shape(self._input_shape)
        assert out is not None
        g = as_grad(grad_output, out, type(self).__name__)
        return _own(g.reshape(self._input_shape), g)


class Flatten(_Reshape):
    r"""Joins the dimensions ``start_dim`` … ``end_dim`` into one, PyTorch's ``Flatten``.

    The default turns an ``(m, C, H, W)`` batch into the ``(m, C·H·W)`` rows a ``Linear``
    takes: unit :math:`(c, h, w)` of an example becomes unit :math:`c H W + h W + w`.
    δ for the input is the output's δ reshaped to the input's shape.

    Args:
        start_dim: the first dimension joined (default 1: each example stays a row).
        end_dim: the last one (default -1).

    Shape:
        - Input: :math:`(m, *)` with at least two dimensions. Output: the joined shape.

    Caches:
        The input's shape.

    Example:
        >>> flat = Flatten()
        >>> flat(np.arange(12.0).reshape(2, 3, 2)).shape
        (2, 6)
        >>> flat.backward(np.ones((2, 6))).shape
        (2, 3, 2)
    """

    config_keys = ("start_dim", "end_dim")
    torch_name = "Flatten"

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"Flatten: {name}={value!r} must be an integer")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)
        self._input_shape: tuple[int, ...] | None = None

    def _dims(self, ndim: int) -> tuple[int, int] | None:
        start = self.start_dim + ndim if self.start_dim < 0 else self.start_dim
        end = self.end_dim + ndim if self.end_dim < 0 else self.end_dim
        return (start, end) if 0 <= start <= end < ndim else None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        dims = self._dims(len(input_shape))
        if dims is None:
            return None
        start, end = dims
        shape = tuple(input_shape)
        return (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])

    def _refuse(self, shape: tuple[int, ...]) -> ValueError:
        return ValueError(
            f"{self!r} cannot join dimensions {self.start_dim}..{self.end_dim} of an input"
            f" of shape {shape}"
        )

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``Flatten(axis=1)`` for the default; otherwise ``Reshape`` (needs the input's sizes)."""
        if self.start_dim == 1 and self.end_dim == -1:
            return graph.node("Flatten", [x], axis=1)
        shape = _static(graph, x, self)
        out = self.output_shape(tuple(1 if n is None else n for n in shape))
        if out is None:
            raise ValueError(f"export_onnx: {self!r} does not fit an input of shape {shape}")
        start = self._dims(len(shape))[0]  # type: ignore[index]
        # 0 copies the batch dimension (unchanged at index 0) when it is not joined.
        target = [
            0 if i == 0 and start > 0 else (-1 if i == start else n) for i, n in enumerate(out)
        ]
        return graph.node("Reshape", [x, graph.int_constant(target)])


class Unflatten(_Reshape):
    r"""Splits dimension ``dim`` into ``unflattened_size``, PyTorch's ``Unflatten``: the inverse of :class:`Flatten`.

    ``Unflatten(1, (1, 8, 8))`` turns rows of 64 pixels into ``(m, 1, 8, 8)`` images for
    a ``Conv2d``. δ for the input is the output's δ reshaped to the input's shape.

    Args:
        dim: the dimension to split (negative counts from the end).
        unflattened_size: the sizes it becomes; their product must be its size (one
            entry may be -1, inferred).

    Shape:
        - Input: :math:`(m, *)`. Output: dimension ``dim`` replaced by ``unflattened_size``.

    Caches:
        The input's shape.

    Example:
        >>> up = Unflatten(1, (2, 3))
        >>> up(np.arange(12.0).reshape(2, 6))[1]
        array([[ 6.,  7.,  8.],
               [ 9., 10., 11.]])
    """

    config_keys = ("dim", "unflattened_size")
    torch_name = "Unflatten"

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise ValueError(f"Unflatten: dim={dim!r} must be an integer")
        sizes = tuple(unflattened_size) if isinstance(unflattened_size, (tuple, list)) else ()
        if (
            not sizes
            or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) and (v >= 1 or v == -1)
                for v in sizes
            )
            or sum(v == -1 for v in sizes) > 1
        ):
            raise ValueError(
                f"Unflatten: unflattened_size={unflattened_size!r} must be a tuple of positive"
                " integers (one of them may be -1)"
            )
        self.dim = int(dim)
        self.unflattened_size = tuple(int(v) for v in sizes)
        self._input_shape: tuple[int, ...] | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        shape = tuple(input_shape)
        dim = self.dim + len(shape) if self.dim < 0 else self.dim
        if not 0 <= dim < len(shape):
            return None
        sizes = list(self.unflattened_size)
        known = math.prod(v for v in sizes if v != -1)
        if -1 in sizes:
            if known == 0 or shape[dim] % known:
                return None
            sizes[sizes.index(-1)] = shape[dim] // known
        elif known != shape[dim]:
            return None
        return (*shape[:dim], *sizes, *shape[dim + 1 :])

    def _refuse(self, shape: tuple[int, ...]) -> ValueError:
        return ValueError(
            f"{self!r} cannot split dimension {self.dim} of an input of shape {shape}"
            f" into {self.unflattened_size}"
        )

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``Reshape``: 0 copies the dimensions before ``dim``; the ones after need their sizes."""
        shape = graph.shape(x)
        rank = len(shape) if shape is not None else 2  # a model's first layer: (m, features)
        dim = self.dim % rank
        if dim == 0:
            raise ValueError(f"export_onnx: {self!r} splits the batch dimension")
        if dim == rank - 1:  # nothing after it: no sizes needed
            target = [0] * dim + list(self.unflattened_size)
        else:
            known = _static(graph, x, self)
            out = self.output_shape(tuple(1 if n is None else n for n in known))
            if out is None:
                raise ValueError(f"export_onnx: {self!r} does not fit an input of shape {known}")
            target = [0, *out[1:]]
        return graph.node("Reshape", [x, graph.int_constant(target)])
