r"""Inverted dropout: zero each unit with probability :math:`p` while training."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch
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
        - Input: :math:`(m, n)`. Output: same shape.

    Caches:
        The scaled mask :math:`r / (1 - p)` (or nothing when it acts as the identity).

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
        if rng is not None and not isinstance(rng, (int, np.integer, np.random.Generator)):
            raise ValueError(
                f"Dropout: rng={rng!r} must be None, an integer seed or a np.random.Generator"
            )
        self.p = float(p)
        self.rng = np.random.default_rng(rng)
        self._mask: Array | None = None
        self._shape: tuple[int, ...] | None = None
        self._dtype: np.dtype[Any] = np.dtype(np.float64)

    def forward(self, x: Array) -> Array:
        z = as_batch(x, "Dropout")
        a = self._buffer("a", z.shape, z.dtype, self._reuse_output)
        self._shape, self._dtype = z.shape, z.dtype
        if not self.training or self.p == 0.0:
            self._mask = None
            np.copyto(a, z)
            return a
        # The mask never leaves the module, so its buffer is always reused.
        mask = self._buffer("mask", z.shape, z.dtype, True)
        keep = self.rng.random(z.shape) >= self.p
        np.multiply(keep, 1.0 / (1.0 - self.p), out=mask)
        np.multiply(z, mask, out=a)
        self._mask = mask
        return a

    def backward(self, grad_output: Array) -> Array:
        if self._shape is None:
            raise RuntimeError("Dropout: backward called before forward")
        if grad_output.shape != self._shape:
            raise ValueError(
                f"Dropout.backward got grad_output of shape {grad_output.shape};"
                f" expected {self._shape} to match the last forward"
            )
        # The gradient keeps the input's dtype, as for every module.
        out = self._buffer("dx", self._shape, self._dtype, self._reuse_grad_input)
        if self._mask is None:
            np.copyto(out, grad_output)
        else:
            np.multiply(grad_output, self._mask, out=out)
        return out

    @property
    def mask(self) -> Array | None:
        r"""The scaled mask :math:`r/(1-p)` of the last training forward (``None`` if identity)."""
        return self._mask

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"
