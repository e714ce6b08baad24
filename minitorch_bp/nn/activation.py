r"""Element-wise activations :math:`a^{(l)} = g(z^{(l)})`: one base and the classic units.

An activation is its maths: :meth:`Elementwise.g` and :meth:`Elementwise.g_prime`.
The base gives every one the same forward (cache :math:`z` and :math:`a`) and the same
backward, the :math:`\odot\, g'(z^{(l)})` factor of the notes' recursion

.. math::
    \delta^{(l)} = (\Theta^{(l)})^\top \delta^{(l+1)} \odot g'(z^{(l)}).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_examples, as_grad, check_finite_number
from minitorch_bp.nn import functional as F
from minitorch_bp.nn.export import OnnxGraph
from minitorch_bp.nn.module import Module

Array = NDArray[Any]


class Elementwise(Module):
    r"""Base of the element-wise activations: :math:`a = g(z)`, :math:`\partial J/\partial z = \partial J/\partial a \odot g'(z)`.

    A subclass defines :meth:`g` and :meth:`g_prime` (each writing into ``out`` when
    given, so :mod:`minitorch_bp.engine` can reuse buffers) and a docstring with both
    formulas; forward, backward, checks, the command-line name and the PyTorch and ONNX
    counterparts come from here and from the class attributes below.

    Class attributes:
        cli_name: the name for ``minitorch-bp train --activation`` (default: the class
            name in lower case).
        torch_name: the ``torch.nn`` class with the same maths and argument names
            (default: the class name).
        onnx_op: the ONNX operator (attributes from :meth:`onnx_attributes`); a class
            whose maths needs several operators overrides :meth:`to_onnx` instead.
        overflows: ``True`` when :meth:`g` may overflow harmlessly (:math:`e^{-z} = \infty`
            gives the right limit); forward then runs it inside ``np.errstate(over="ignore")``
            (the engine runs its whole step inside one). :meth:`g_prime` must not overflow.

    Caches:
        The input :math:`z` and the output :math:`a` of the last forward (references).
    """

    abstract = True
    cli_name: ClassVar[str]
    onnx_op: ClassVar[str | None] = None
    overflows: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "cli_name" not in cls.__dict__:
            cls.cli_name = cls.__name__.lower()
        if "torch_name" not in cls.__dict__:
            cls.torch_name = cls.__name__

    def __init__(self) -> None:
        super().__init__()
        self._cache: tuple[Array, Array] | None = None  # (z, a) of the last forward

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def g(self, z: Array, out: Array | None = None) -> Array:
        """The activation :math:`a = g(z)`, element by element (a new array unless ``out``)."""
        raise NotImplementedError(f"{type(self).__name__} does not define g")

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        """The derivative :math:`g'(z)`, from ``z`` or from ``a = g(z)``, whichever is cheaper."""
        raise NotImplementedError(f"{type(self).__name__} does not define g_prime")

    def forward(self, x: Array) -> Array:
        z = as_examples(x, type(self).__name__)
        if self.overflows:
            with np.errstate(over="ignore"):
                a = self.g(z)
        else:
            a = self.g(z)
        self._cache = (z, a)
        return a

    def backward(self, grad_output: Array) -> Array:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        z, a = self._cache
        grad_output = as_grad(grad_output, a.shape, type(self).__name__)
        delta = self.g_prime(z, a)
        delta *= grad_output
        return delta

    def onnx_attributes(self) -> dict[str, Any]:
        """The ONNX attributes of :attr:`onnx_op` (none by default)."""
        return {}

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """Add this activation to an ONNX graph; return the name of its output."""
        if self.onnx_op is None:
            raise ValueError(f"{type(self).__name__} has no ONNX operator")
        return graph.node(self.onnx_op, [x], **self.onnx_attributes())


class Sigmoid(Elementwise):
    r"""The logistic unit :math:`a = g(z) = \frac{1}{1 + e^{-z}}` of the notes.

    Backward multiplies by :math:`g'(z) = g(z)(1 - g(z)) = a(1 - a)`, from the cached
    output: the notes' :math:`g'(z^{(l)}) = a^{(l)} \cdot (1 - a^{(l)})`.

    Numerics:
        Stable for any float input: no overflow warning at :math:`\pm 10^4` (see
        :func:`minitorch_bp.nn.functional.sigmoid`). Where :math:`a` rounds to 0 or 1,
        :math:`g'` is 0. Followed by :class:`BCELoss`, the chain gives the notes'
        :math:`\delta^{(L)} = a^{(L)} - y` wherever :math:`a(1-a) \ge 10^{-12}` (PyTorch's
        floor, see :class:`BCELoss`); for the exact :math:`a - y` at any :math:`z`, give
        the logits to :class:`BCEWithLogitsLoss`, or train with
        :func:`~minitorch_bp.train.compile_step`, whose engine fuses the pair.

    Shape:
        - Input: :math:`(m, *)`, one example per row. Output: same shape.

    Example:
        >>> s = Sigmoid()
        >>> s(np.array([[0.0, 2.0]]))
        array([[0.5       , 0.88079708]])
        >>> s.backward(np.ones((1, 2)))  # g'(0) = 0.25
        array([[0.25      , 0.10499359]])
    """

    onnx_op = "Sigmoid"
    overflows = True

    def g(self, z: Array, out: Array | None = None) -> Array:
        return F.sigmoid_unguarded(z, out=out)

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        d = np.subtract(F.ONE.get(a.dtype, 1.0), a, out)
        np.multiply(d, a, d)
        return d


class Tanh(Elementwise):
    r"""The hyperbolic tangent :math:`a = g(z) = \tanh z`, with values in :math:`(-1, 1)`.

    Backward multiplies by :math:`g'(z) = 1 - \tanh^2 z = 1 - a^2`, from the cached output.

    Shape:
        - Input: :math:`(m, *)`, one example per row. Output: same shape.

    Example:
        >>> t = Tanh()
        >>> t(np.array([[0.0, 1.0]]))
        array([[0.        , 0.76159416]])
        >>> t.backward(np.ones((1, 2)))  # 1 - tanh(1)^2
        array([[1.        , 0.41997434]])
    """

    onnx_op = "Tanh"

    def g(self, z: Array, out: Array | None = None) -> Array:
        return np.tanh(z, out=out)

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        d = np.multiply(a, a, out)
        np.subtract(F.ONE.get(a.dtype, 1.0), d, d)
        return d


class ReLU(Elementwise):
    r"""The rectified linear unit :math:`a = \max(0, z)`.

    Backward multiplies by :math:`g'(z) = 1` for :math:`z > 0` and :math:`0` for
    :math:`z < 0`. At the kink :math:`z = 0` the derivative is undefined; any value in
    the sub-differential :math:`[0, 1]` is valid, and this module uses **0**, as PyTorch
    does.

    Shape:
        - Input: :math:`(m, *)`, one example per row. Output: same shape.

    Example:
        >>> r = ReLU()
        >>> r(np.array([[-1.0, 0.0, 2.0]]))
        array([[0., 0., 2.]])
        >>> r.backward(np.ones((1, 3)))  # g'(0) = 0
        array([[0., 0., 1.]])
    """

    onnx_op = "Relu"

    def g(self, z: Array, out: Array | None = None) -> Array:
        return np.maximum(z, 0.0, out=out)

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        return np.greater(z, 0.0, out=np.empty_like(z) if out is None else out)


class LeakyReLU(Elementwise):
    r"""The leaky rectifier :math:`a = z` for :math:`z > 0`, :math:`a = \alpha z` otherwise.

    Backward multiplies by :math:`g'(z) = 1` for :math:`z > 0` and :math:`\alpha` for
    :math:`z < 0`. At the kink :math:`z = 0` this module uses :math:`\alpha`
    (``negative_slope``), a value between the left and right derivatives, as PyTorch does.

    Args:
        negative_slope: :math:`\alpha`, any finite number (default 0.01).

    Shape:
        - Input: :math:`(m, *)`, one example per row. Output: same shape.

    Example:
        >>> r = LeakyReLU(0.1)
        >>> r
        LeakyReLU(negative_slope=0.1)
        >>> r(np.array([[-2.0, 0.0, 3.0]]))
        array([[-0.2,  0. ,  3. ]])
        >>> r.backward(np.ones((1, 3)))  # g'(0) = negative_slope
        array([[0.1, 0.1, 1. ]])
    """

    cli_name = "leaky_relu"
    onnx_op = "LeakyRelu"
    config_keys = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_finite_number(negative_slope, "negative_slope", "LeakyReLU")

    def g(self, z: Array, out: Array | None = None) -> Array:
        positive = z > 0.0
        a = np.multiply(z, self.negative_slope, out=out)
        np.copyto(a, z, where=positive)
        return a

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        d = np.greater(z, 0.0, out=np.empty_like(z) if out is None else out)
        d *= 1.0 - self.negative_slope
        d += self.negative_slope
        return d

    def onnx_attributes(self) -> dict[str, Any]:
        return {"alpha": self.negative_slope}

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        if graph.float_attribute_is_exact(self.negative_slope):
            return super().to_onnx(graph, x)
        # ONNX float attributes are 32-bit, so LeakyRelu(alpha=0.2) would slope by
        # 0.2000000030 in a float64 graph; PRelu takes the slope as a tensor.
        return graph.node("PRelu", [x, graph.constant([self.negative_slope])])


class Identity(Elementwise):
    r"""The identity :math:`a = z`, :math:`g'(z) = 1`: a placeholder, e.g. for a linear output layer.

    Forward returns a copy, so the array a caller gets is its own, as for every module.

    Shape:
        - Input: :math:`(m, *)`, one example per row. Output: same shape.

    Example:
        >>> Identity()(np.array([[1.0, -2.0]]))
        array([[ 1., -2.]])
    """

    onnx_op = "Identity"

    def g(self, z: Array, out: Array | None = None) -> Array:
        if out is None:
            out = np.empty_like(z)
        np.copyto(out, z)
        return out

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        if out is None:
            return np.ones_like(z)
        out.fill(1.0)
        return out
