r"""Inverted dropout: zero each unit with probability :math:`p` while training."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._random import as_generator, generator_state, restore_generator
from minitorch_bp._validation import as_examples, as_grad
from minitorch_bp.nn.export import OnnxGraph
from minitorch_bp.nn.module import Module

Array = NDArray[Any]
Seed = int | np.random.Generator | None


class Dropout(Module):
    r"""Zero each element with probability :math:`p` in training; scale the rest by :math:`\frac{1}{1-p}`.

    In :meth:`train` mode (the default) forward draws a mask
    :math:`r_{ij} \sim \text{Bernoulli}(1 - p)` and returns
    :math:`a = x \odot r / (1 - p)` ("inverted" dropout: the expected value of each
    unit is unchanged, so evaluation needs no rescaling). In :meth:`eval` mode, and for
    ``p = 0``, it is the identity. Backward multiplies by the same mask and scale:
    :math:`\partial J/\partial x = g \odot r / (1 - p)`.

    Args:
        p: the probability of zeroing an element, :math:`0 \le p < 1`.
        rng: a seed or ``np.random.Generator`` for the masks; ``None`` draws fresh
            entropy. A seeded module draws the same sequence of masks on every run.
            Masks are drawn in float64 whatever the input dtype, so a float32 and a
            float64 model with the same seed drop the same units.

    Shape:
        - Input: :math:`(m, *)`, one example per row. Output: same shape.

    Caches:
        The scaled mask :math:`r / (1 - p)` (or nothing when it acts as the identity).

    State:
        The generator's state is the module's extra state (:meth:`get_extra_state`):
        checkpoints save it, so a resumed run draws the same masks as an uninterrupted one.

    Example:
        >>> drop = Dropout(0.5, rng=0)
        >>> drop
        Dropout(p=0.5)
        >>> drop(np.ones((2, 4)))
        array([[2., 0., 0., 0.],
               [2., 2., 2., 2.]])
        >>> drop.backward(np.ones((2, 4)))  # the same mask and scale
        array([[2., 0., 0., 0.],
               [2., 2., 2., 2.]])
        >>> drop.eval()(np.ones((1, 4)))
        array([[1., 1., 1., 1.]])
    """

    config_keys = ("p",)
    torch_name = "Dropout"

    def __init__(self, p: float = 0.5, *, rng: Seed = None) -> None:
        super().__init__()
        if (
            isinstance(p, bool)
            or not isinstance(p, (int, float, np.floating, np.integer))
            or not (0.0 <= p < 1.0)
        ):
            raise ValueError(
                f"Dropout: p={p!r} must be a probability with 0 <= p < 1"
                " (p = 1 would zero every unit)"
            )
        self.p = float(p)
        self.rng = as_generator(rng, "Dropout")
        self._mask: Array | None = None
        self._shape: tuple[int, ...] | None = None
        self._dtype: np.dtype[Any] = np.dtype(np.float64)

    def draw_mask(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
        out: Array | None = None,
        uniform: Array | None = None,
    ) -> Array:
        r"""Draw the scaled mask :math:`r / (1 - p)`, :math:`r_{ij} \sim \text{Bernoulli}(1 - p)`.

        :math:`r_{ij} = [u_{ij} \ge p]` for uniform :math:`u_{ij}`, drawn in float64 whatever
        ``dtype`` (into ``uniform`` when given), so a float32 and a float64 model with the
        same seed drop the same units.
        """
        u = self.rng.random(shape) if uniform is None else self.rng.random(out=uniform)
        np.greater_equal(u, self.p, out=u)
        return np.multiply(u, 1.0 / (1.0 - self.p), out=out, dtype=dtype)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def forward(self, x: Array) -> Array:
        z = as_examples(x, "Dropout")
        self._shape, self._dtype = z.shape, z.dtype
        if not self.training or self.p == 0.0:
            self._mask = None
            out: Array = z.copy()
            return out
        mask = self.draw_mask(z.shape, z.dtype)
        self._mask = mask
        return np.multiply(z, mask)

    def backward(self, grad_output: Array) -> Array:
        if self._shape is None:
            raise RuntimeError("Dropout: backward called before forward")
        g = as_grad(grad_output, self._shape, "Dropout")
        if self._mask is None:
            return g.astype(self._dtype)  # a copy, in the module's dtype
        return np.multiply(g, self._mask, dtype=self._mask.dtype)

    @property
    def mask(self) -> Array | None:
        r"""The scaled mask :math:`r/(1-p)` of the last training forward (``None`` if identity)."""
        return self._mask

    def get_extra_state(self) -> dict[str, Any]:
        """The state of the mask generator, so a resumed run draws the masks it would have."""
        return {"bit_generator": generator_state(self.rng)}

    def set_extra_state(self, state: Any) -> None:
        if not isinstance(state, dict) or set(state) != {"bit_generator"}:
            raise ValueError(f"Dropout: expected {{'bit_generator': ...}}, got {state!r:.80}")
        restore_generator(self.rng, state["bit_generator"], "Dropout")

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """Dropout is the identity at inference: ``Identity``."""
        return graph.node("Identity", [x])
