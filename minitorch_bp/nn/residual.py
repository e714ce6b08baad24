r"""``Residual``: :math:`y = x + \text{block}(x)`, the skip connection the δ chain cannot replay."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self

from minitorch_bp.nn.module import Module

Array = NDArray[Any]


class Residual(Module):
    r"""Adds a block's output to its input: :math:`y = x + \text{block}(x)` (He et al., 2016).

    The input is used twice, by the block and by the sum, so the calls do not form a
    chain that a custom module's recorded forward could replay; this container is the
    skip connection written out. δ for the input is the sum of the two paths',

    .. math::
        \frac{\partial J}{\partial x} = \delta + \text{block.backward}(\delta),

    the identity path passing :math:`\delta` unchanged (which is why deep residual
    networks keep their gradients from vanishing).

    Args:
        block: the module on the side branch; its output must have its input's shape.

    Shape:
        - Input: :math:`(m, *)`. Output: the same.

    Caches:
        Nothing of its own; the block caches what it needs.

    Example:
        >>> res = Residual(nn.Linear(2, 2, bias=False))
        >>> res.block.weight.data = [[0.0, 1.0], [1.0, 0.0]]       # swaps the columns
        >>> res(np.array([[1.0, 10.0]]))
        array([[11., 11.]])
        >>> res.backward(np.array([[1.0, 0.0]]))                  # δ + δ W: both paths
        array([[1., 1.]])
    """

    def __init__(self, block: Module) -> None:
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"Residual: block is {type(block).__name__}, not a Module")
        self.block = block
        self._shape: tuple[int, ...] | None = None

    def __iter__(self) -> Iterator[Module]:
        return iter((self.block,))

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        shape = self.block.output_shape(tuple(input_shape))
        return tuple(input_shape) if shape == tuple(input_shape) else None

    def forward(self, x: Array) -> Array:
        x = x if isinstance(x, np.ndarray) else np.asarray(x)
        try:
            h = self.block(x)
        except ValueError as exc:
            raise ValueError(f"Residual block: {exc}") from exc
        if h.shape != x.shape:
            raise ValueError(
                f"Residual: the block's output has shape {h.shape}, its input {x.shape};"
                " y = x + block(x) needs the same shape (write a module with a projection"
                " of x for a block that changes it)"
            )
        self._shape = x.shape
        out: Array = x + h
        return out

    def _check(self, grad_output: Array) -> None:
        if self._shape is None:
            raise RuntimeError("Residual: backward called before forward")

    def backward(self, grad_output: Array) -> Array:
        r"""Return :math:`\delta + \text{block.backward}(\delta)`; the block adds its parameters' gradients."""
        self._check(grad_output)
        try:
            through_block = self.block.backward_input(grad_output)
        except ValueError as exc:
            raise ValueError(f"Residual block: {exc}") from exc
        out: Array = np.add(grad_output, through_block, dtype=through_block.dtype)
        return out

    def backward_params(self, grad_output: Array) -> None:
        """The block's parameters' gradients only (no :math:`\\partial J/\\partial x`)."""
        self._check(grad_output)
        self.block.backward_params(grad_output)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], children: Sequence[Module] = ()) -> Self:
        if len(children) != 1 or config:
            raise ValueError(f"Residual takes one child, the block; got {len(children)}")
        return cls(children[0])

    def extra_repr(self) -> str:
        return ""
