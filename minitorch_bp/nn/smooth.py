r"""Smooth rectifiers: ``Softplus``, ``GELU``, ``ELU`` and ``SELU``, as in PyTorch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_finite_number, check_positive
from minitorch_bp.nn import functional as F
from minitorch_bp.nn.activation import Elementwise
from minitorch_bp.nn.export import OnnxGraph, erfc_nodes

Array = NDArray[Any]

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_PI = math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_K = 0.044715


def _new(z: Array, out: Array | None) -> Array:
    return np.empty_like(z) if out is None else out


class Softplus(Elementwise):
    r"""The softplus :math:`a = \frac{1}{\beta}\log(1 + e^{\beta z})`, a smooth ReLU (PyTorch's ``Softplus``).

    Where :math:`\beta z > \text{threshold}` the unit is linear, :math:`a = z`, as in
    PyTorch (there :math:`\log(1 + e^{\beta z})/\beta` equals :math:`z` to within
    :math:`e^{-\text{threshold}}`).

    Backward multiplies by :math:`g'(z) = \sigma(\beta z) = \frac{1}{1 + e^{-\beta z}}`
    (1 in the linear part).

    Args:
        beta: :math:`\beta > 0` (default 1).
        threshold: where the unit turns linear (default 20).

    Example:
        >>> s = Softplus()
        >>> s(np.array([[0.0, 30.0]]))
        array([[ 0.69314718, 30.        ]])
        >>> s.backward(np.ones((1, 2)))  # sigmoid(0), 1
        array([[0.5, 1. ]])
    """

    config_keys = ("beta", "threshold")
    overflows = True

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_positive(beta, "beta", "Softplus")
        self.threshold = check_finite_number(threshold, "threshold", "Softplus")

    def g(self, z: Array, out: Array | None = None) -> Array:
        bz = np.multiply(z, self.beta)
        linear = bz > self.threshold
        np.exp(bz, out=bz)
        a = np.log1p(bz, out=_new(z, out))
        a /= self.beta
        np.copyto(a, z, where=linear)
        return a

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        d = F.sigmoid(np.multiply(z, self.beta), out=out)
        d[z * self.beta > self.threshold] = 1.0
        return d

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        beta, threshold = graph.constant(self.beta), graph.constant(self.threshold)
        bx = graph.node("Mul", [x, beta])
        if graph.dtype == np.float32:
            soft = graph.node("Softplus", [bx])
        else:  # ONNX Runtime has no float64 Softplus: log1p(e^βx), Kahan's way, no Log1p op
            u = graph.node("Exp", [bx])
            w = graph.node("Add", [u, graph.constant(1.0)])
            d = graph.node("Sub", [w, graph.constant(1.0)])
            ratio = graph.node("Mul", [graph.node("Log", [w]), graph.node("Div", [u, d])])
            soft = graph.node("Where", [graph.node("Equal", [d, graph.constant(0.0)]), u, ratio])
        soft = graph.node("Div", [soft, beta])
        return graph.node("Where", [graph.node("Greater", [bx, threshold]), x, soft])


class GELU(Elementwise):
    r"""The Gaussian error linear unit :math:`a = z\,\Phi(z)` (Hendrycks & Gimpel, 2016), PyTorch's ``GELU``.

    :math:`\Phi(z) = \frac{1}{2}\left(1 + \operatorname{erf}(z/\sqrt{2})\right)` is the
    standard normal distribution function. With ``approximate="tanh"``,
    :math:`\Phi(z) \approx \frac{1}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(z + 0.044715 z^3)\right)\right)`.

    Backward multiplies by :math:`g'(z) = \Phi(z) + z\,\varphi(z)` with
    :math:`\varphi(z) = e^{-z^2/2}/\sqrt{2\pi}` (exact), or by the derivative of the tanh
    form (approximate).

    Numerics:
        numpy has no erf: :func:`~minitorch_bp.nn.functional.erf_erfc` provides one
        (within 2e-16), and :math:`\Phi(z) = \frac{1}{2}\operatorname{erfc}(-z/\sqrt{2})`
        keeps its relative precision for negative :math:`z`.

    Args:
        approximate: ``"none"`` (default, exact) or ``"tanh"``.

    Example:
        >>> gelu = GELU()
        >>> gelu(np.array([[-1.0, 0.0, 1.0]]))
        array([[-0.15865525,  0.        ,  0.84134475]])
        >>> gelu.backward(np.ones((1, 3)))
        array([[-0.08331547,  0.5       ,  1.08331547]])
    """

    config_keys = ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate={approximate!r} must be 'none' or 'tanh'")
        self.approximate = approximate

    def _phi_cdf(self, z: Array) -> Array:
        if self.approximate == "tanh":
            inner = z * z
            inner *= _TANH_K
            inner += 1.0
            inner *= z
            inner *= _TANH_C
            np.tanh(inner, out=inner)
            inner += 1.0
            inner *= 0.5
            return inner
        _, erfc = F.erf_erfc(np.multiply(z, -1.0 / _SQRT_2))  # in float64
        erfc *= 0.5
        return erfc.astype(z.dtype, copy=False)

    def g(self, z: Array, out: Array | None = None) -> Array:
        return np.multiply(z, self._phi_cdf(z), out=out)

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        if self.approximate == "tanh":
            # d/dz ½z(1 + tanh u) = ½(1 + tanh u) + ½z(1 − tanh² u)·u',  u' = c(1 + 3k z²)
            t = 2.0 * self._phi_cdf(z) - 1.0
            du = _TANH_C * (1.0 + 3.0 * _TANH_K * z * z)
            d = np.multiply(0.5 * z, (1.0 - t * t) * du, out=out)
            d += 0.5 * (1.0 + t)
            return d
        pdf = np.exp(-0.5 * z * z)
        pdf /= _SQRT_2_PI
        d = np.multiply(z, pdf, out=out)
        d += self._phi_cdf(z)
        return d

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        half, one = graph.constant(0.5), graph.constant(1.0)
        if self.approximate == "tanh":
            cube = graph.node("Mul", [graph.node("Mul", [x, x]), x])
            inner = graph.node("Add", [x, graph.node("Mul", [cube, graph.constant(_TANH_K)])])
            t = graph.node("Tanh", [graph.node("Mul", [inner, graph.constant(_TANH_C)])])
            cdf = graph.node("Mul", [graph.node("Add", [t, one]), half])
        elif graph.dtype == np.float32:
            scaled = graph.node("Div", [x, graph.constant(_SQRT_2)])
            cdf = graph.node("Mul", [graph.node("Add", [graph.node("Erf", [scaled]), one]), half])
        else:  # Φ(x) = ½ erfc(−x/√2); ONNX Runtime has no float64 Erf
            scaled = graph.node("Div", [x, graph.constant(-_SQRT_2)])
            cdf = graph.node("Mul", [erfc_nodes(graph, scaled), half])
        return graph.node("Mul", [x, cdf])


class ELU(Elementwise):
    r"""The exponential linear unit :math:`a = z` for :math:`z > 0`, :math:`a = \alpha(e^z - 1)` otherwise (PyTorch's ``ELU``).

    Backward multiplies by :math:`g'(z) = 1` for :math:`z > 0` and
    :math:`\alpha e^z = a + \alpha` otherwise.

    Args:
        alpha: :math:`\alpha` (default 1).

    Example:
        >>> elu = ELU()
        >>> elu(np.array([[-1.0, 2.0]]))
        array([[-0.63212056,  2.        ]])
        >>> elu.backward(np.ones((1, 2)))  # e^-1, 1
        array([[0.36787944, 1.        ]])
    """

    config_keys = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_finite_number(alpha, "alpha", "ELU")

    def g(self, z: Array, out: Array | None = None) -> Array:
        a = np.minimum(z, 0.0, out=out)
        np.expm1(a, out=a)
        a *= self.alpha
        np.copyto(a, z, where=z > 0.0)
        return a

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        d = np.add(a, self.alpha, out=out)
        np.copyto(d, 1.0, where=z > 0.0)
        return d

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        if graph.float_attribute_is_exact(self.alpha):
            return graph.node("Elu", [x], alpha=self.alpha)
        return _exp_linear(graph, x, self.alpha, 1.0)


class SELU(Elementwise):
    r"""The scaled ELU :math:`a = \lambda z` for :math:`z > 0`, :math:`a = \lambda\alpha(e^z - 1)` otherwise (Klambauer et al., 2017).

    :math:`\alpha \approx 1.6733` and :math:`\lambda \approx 1.0507` are the constants that
    make zero mean and unit variance a fixed point (PyTorch's ``SELU``).
    Backward multiplies by :math:`g'(z) = \lambda` for :math:`z > 0` and
    :math:`\lambda\alpha e^z = a + \lambda\alpha` otherwise.

    Example:
        >>> selu = SELU()
        >>> selu(np.array([[-1.0, 1.0]]))
        array([[-1.11133074,  1.05070099]])
    """

    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def g(self, z: Array, out: Array | None = None) -> Array:
        a = np.minimum(z, 0.0, out=out)
        np.expm1(a, out=a)
        a *= self.alpha
        np.copyto(a, z, where=z > 0.0)
        a *= self.scale
        return a

    def g_prime(self, z: Array, a: Array, out: Array | None = None) -> Array:
        d = np.add(a, self.scale * self.alpha, out=out)
        np.copyto(d, self.scale, where=z > 0.0)
        return d

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        # Selu's alpha and gamma are 32-bit attributes; in float64 the constants go in
        # as tensors instead.
        if graph.dtype == np.float32:
            return graph.node("Selu", [x], alpha=self.alpha, gamma=self.scale)
        return _exp_linear(graph, x, self.alpha, self.scale)


def _exp_linear(graph: OnnxGraph, x: str, alpha: float, scale: float) -> str:
    """``scale·(x if x > 0 else alpha·(exp(x) − 1))`` from basic operators, constants as tensors."""
    zero = graph.constant(0.0)
    negative = graph.node(
        "Mul",
        [
            graph.node(
                "Sub", [graph.node("Exp", [graph.node("Min", [x, zero])]), graph.constant(1.0)]
            ),
            graph.constant(alpha),
        ],
    )
    out = graph.node("Where", [graph.node("Greater", [x, zero]), x, negative])
    return out if scale == 1.0 else graph.node("Mul", [out, graph.constant(scale)])
