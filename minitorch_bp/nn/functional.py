r"""Stateless numerical kernels shared by modules, losses and the engine (written once, tested once).

Every kernel takes an optional ``out`` (or ``scratch``) so that the layers call it on
new arrays and :mod:`minitorch_bp.engine` calls the same code on buffers it reuses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]

#: Lower bound on :math:`\log p` in the binary cross-entropy, as in PyTorch.
LOG_CLAMP = -100.0
#: Floor on :math:`a(1-a)` in the gradient of the binary cross-entropy, as in PyTorch.
GRAD_EPS = 1e-12
_EXP_LOG_CLAMP = float(np.exp(LOG_CLAMP))


def _readonly(value: float, dtype: type) -> Array:
    a: Array = np.array(value, dtype=dtype)
    a.flags.writeable = False
    return a


#: 1 as a 0-d array of each float dtype: a ufunc takes it about 200 ns faster than the
#: Python float 1.0, which it would convert on every call (it matters on small batches).
ONE: dict[np.dtype[Any], Array] = {
    np.dtype(np.float64): _readonly(1.0, np.float64),
    np.dtype(np.float32): _readonly(1.0, np.float32),
}


def sigmoid(z: Array, out: Array | None = None) -> Array:
    r"""The logistic function :math:`g(z) = 1 / (1 + e^{-z})`, stable for any float input.

    For very negative ``z``, :math:`e^{-z}` overflows to ``inf`` and the result is the
    correct limit 0; that overflow is silenced, locally. This form keeps full
    relative precision on both tails (unlike :math:`\frac{1}{2}(1 + \tanh(z/2))`).

    Args:
        z: any float array.
        out: optional array of the same shape and dtype to write into (may be ``z``).

    Example:
        >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
        array([0. , 0.5, 1. ])
    """
    with np.errstate(over="ignore"):
        return sigmoid_unguarded(z, out)


def sigmoid_unguarded(
    z: Array, out: Array | None = None, denominator: Array | None = None
) -> Array:
    """:func:`sigmoid` without its ``np.errstate``: for callers that silence overflow already.

    ``Sigmoid`` (whose base runs it under ``np.errstate(over="ignore")``) and the engine
    (which runs a whole step under one) use it, so the context is entered once. Given
    ``denominator``, :math:`1 + e^{-z}` is left there (the engine's fused cross-entropy
    takes its log).
    """
    t = np.negative(z, out if denominator is None else denominator)
    np.exp(t, t)
    np.add(t, ONE.get(t.dtype, 1.0), t)
    return np.reciprocal(t, t if denominator is None else out)


def linear(x: Array, weight: Array, bias: Array | None, out: Array | None = None) -> Array:
    r"""Return :math:`z = x W^\top + b`, the notes' :math:`z^{(l+1)} = \Theta^{(l)} a^{(l)}` for a batch.

    Example:
        >>> linear(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]), np.array([0.5]))
        array([[11.5]])
    """
    # np.dot, not matmul: the same BLAS product, with a third of the call overhead on
    # small matrices (matmul is a generalised ufunc).
    z: Array = np.dot(x, weight.T) if out is None else np.dot(x, weight.T, out)
    if bias is not None:
        z += bias
    return z


def softmax(z: Array, axis: int = -1, out: Array | None = None) -> Array:
    r"""Return :math:`s_k = e^{z_k} / \sum_j e^{z_j}` along ``axis``, shifted by the maximum.

    Subtracting :math:`\max_j z_j` first leaves the result unchanged and keeps every
    exponent :math:`\le 0`, so no overflow for any finite input (``±1e4`` included).

    Example:
        >>> softmax(np.array([[1e4, 1e4 - np.log(3.0)]]))
        array([[0.75, 0.25]])
    """
    s: Array = np.subtract(z, z.max(axis=axis, keepdims=True), out=out)
    np.exp(s, out=s)
    s /= s.sum(axis=axis, keepdims=True)
    return s


def log_softmax(z: Array, axis: int = -1) -> Array:
    r"""Return :math:`\log s_k = z_k - \max z - \log\sum_j e^{z_j - \max z}` (a new array).

    Finite for any finite input: the log-sum-exp term is at least :math:`\log 1 = 0`.

    Example:
        >>> log_softmax(np.array([[0.0, 0.0]]))
        array([[-0.69314718, -0.69314718]])
    """
    shifted: Array = np.subtract(z, z.max(axis=axis, keepdims=True))
    lse = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    shifted -= lse
    return shifted


def clamped_log(p: Array, out: Array | None = None) -> Array:
    r"""Return :math:`\max(\log p, -100)` without evaluating :math:`\log 0` (which warns).

    In float64, :math:`e^{-100}` is a normal number, so flooring :math:`p` there first is
    exact and fast. In float32 it is subnormal and its log is off by 0.03, so the clamp
    is applied to the log instead, skipping the zeros.
    """
    if out is None:
        out = np.empty_like(p)
    if p.dtype == np.float64:
        np.maximum(p, _EXP_LOG_CLAMP, out=out)
        return np.log(out, out=out)
    out.fill(LOG_CLAMP)
    np.log(p, out=out, where=p > 0)
    return np.maximum(out, LOG_CLAMP, out=out)


def bce_total(a: Array, y: Array, scratch: tuple[Array, Array] | None = None) -> float:
    r"""Return :math:`-\sum_{ik} [y_{ik}\log a_{ik} + (1 - y_{ik})\log(1 - a_{ik})]`, logs clamped at -100.

    The notes' form term by term; folding it into :math:`y(\log a - \log(1-a)) + \log(1-a)`
    would cancel catastrophically when :math:`a` is close to 1.

    Args:
        a: probabilities in [0, 1]. y: targets in [0, 1], same shape.
        scratch: two arrays shaped like ``a`` to work in (else new ones).

    Example:
        >>> round(bce_total(np.array([[0.8, 0.1]]), np.array([[1.0, 0.0]])), 6)
        0.328504
    """
    s1, s2 = scratch if scratch is not None else (np.empty_like(a), np.empty_like(a))
    total = float(np.vdot(y, clamped_log(a, out=s1)))
    np.subtract(1.0, a, out=s2)
    clamped_log(s2, out=s1)
    np.subtract(1.0, y, out=s2)
    return -(total + float(np.vdot(s2, s1)))


def bce_grad(a: Array, y: Array, scale: float, out: Array | None = None) -> Array:
    r"""Return :math:`\partial J/\partial a = \text{scale}\,\frac{a - y}{\max(a(1-a),\,10^{-12})}`, PyTorch's BCE gradient.

    The notes write it :math:`\frac{y-1}{a-1} - \frac{y}{a}`; through a sigmoid it becomes
    :math:`\delta^{(L)} = a - y` wherever :math:`a(1-a) \ge 10^{-12}`.
    """
    denom = np.subtract(1.0, a)
    denom *= a
    np.maximum(denom, GRAD_EPS, out=denom)
    grad = np.subtract(a, y, out=out)
    grad /= denom
    if scale != 1.0:
        grad *= scale
    return grad


def mse_total(pred: Array, y: Array, scratch: Array | None = None) -> float:
    r"""Return :math:`\frac{1}{2}\sum (y - \hat y)^2`, the notes' regression cost.

    Example:
        >>> mse_total(np.array([[0.5], [1.0]]), np.array([[1.0], [1.0]]))
        0.125
    """
    diff = np.subtract(pred, y, out=scratch)
    return 0.5 * float(np.vdot(diff, diff))


def mse_grad(pred: Array, y: Array, scale: float, out: Array | None = None) -> Array:
    r"""Return :math:`\text{scale}\,(\hat y - y) = -\text{scale}\,(y - \hat y)`, the notes' :math:`-(y - \hat y)`."""
    grad = np.subtract(pred, y, out=out)
    if scale != 1.0:
        grad *= scale
    return grad


# Chebyshev coefficients of erf(x)/x in u = x² on [0, 1] and of erfcx(x) = exp(x²)·erfc(x)
# in t = 1/x on [0, 1] (x >= 1), computed by tools/erf_fit.py in 50-digit arithmetic.
_ERF_SMALL = (
    0.9754769393826541,
    -0.14226120510371365,
    0.010035582187599796,
    -0.0005768764699767485,
    2.741993125219606e-05,
    -1.1043175507344507e-06,
    3.8488755420345036e-08,
    -1.1808582533875466e-09,
    3.2334215826050907e-11,
    -7.991015947004549e-13,
    1.7990725113961456e-14,
    -3.718635487818693e-16,
)
_ERFCX_LARGE = (
    0.23396100923913787,
    0.2140591307203258,
    -0.0208161945516045,
    -0.00011505622636329503,
    0.0006351215017342842,
    -0.0001572158811214787,
    1.4287640734360155e-05,
    4.391573135110175e-06,
    -2.414762990686013e-06,
    5.732015591055262e-07,
    -3.757228114691277e-08,
    -3.1320504450767595e-08,
    1.637169446478342e-08,
    -4.286726430401406e-09,
    3.742687485751398e-10,
    2.5022502622291916e-10,
    -1.5714618852298997e-10,
    4.987068419417992e-11,
    -7.589977954187306e-12,
    -1.7698764882521317e-12,
    1.7948242437370554e-12,
    -7.350358609339618e-13,
    1.7532988263694846e-13,
    -3.967775282258929e-15,
    -2.0075688715950728e-14,
    1.1754090024608818e-14,
    -4.019034102217137e-15,
    7.298843744079433e-16,
    1.2476697238540238e-16,
)


def _clenshaw(coefs: tuple[float, ...], s: Array) -> Array:
    """Evaluate the Chebyshev series ``sum_k c_k T_k(s)`` for ``s`` in [-1, 1] (Clenshaw)."""
    two_s = 2.0 * s
    b1 = np.zeros_like(s)  # b_(k+1)
    b2 = np.zeros_like(s)  # b_(k+2)
    tmp = np.empty_like(s)
    for c in coefs[:0:-1]:
        # b_k = c_k + 2s·b_(k+1) − b_(k+2), written over b_(k+2), which is not needed again
        np.multiply(two_s, b1, out=tmp)
        np.subtract(tmp, b2, out=b2)
        b2 += c
        b1, b2 = b2, b1
    np.multiply(s, b1, out=tmp)
    tmp -= b2
    tmp += coefs[0]
    return tmp


def erf_erfc(x: Array) -> tuple[Array, Array]:
    r"""Return :math:`\operatorname{erf}(x)` and :math:`\operatorname{erfc}(x) = 1 - \operatorname{erf}(x)`, each accurate.

    numpy has no error function. For :math:`|x| < 1`, :math:`\operatorname{erf}(x) = x\,P(x^2)`;
    for :math:`|x| \ge 1`, :math:`\operatorname{erfc}(|x|) = e^{-x^2} R(1/|x|)` with
    :math:`R` the scaled :math:`\operatorname{erfcx}`; :math:`P` and :math:`R` are Chebyshev
    series (``tools/erf_fit.py``). erf is within 2e-16 of ``math.erf``; erfc keeps its
    relative precision in the tails (7e-15 below :math:`x = 6`), where :math:`1 - \operatorname{erf}`
    would cancel.

    Example:
        >>> erf, erfc = erf_erfc(np.array([0.0, 0.5, 3.0]))
        >>> [f"{v:.12f}" for v in erf], f"{erfc[2]:.15e}"
        (['0.000000000000', '0.520499877813', '0.999977909503'], '2.209049699858544e-05')
    """
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    small = ax < 1.0
    erf = np.empty_like(x)
    erfc = np.empty_like(x)
    xs = x[small]
    erf_small = xs * _clenshaw(_ERF_SMALL, 2.0 * xs * xs - 1.0)
    erf[small], erfc[small] = erf_small, 1.0 - erf_small
    large = ~small
    xl, al = x[large], ax[large]
    with np.errstate(under="ignore"):
        tail = np.exp(-al * al) * _clenshaw(_ERFCX_LARGE, 2.0 / al - 1.0)
    positive = xl > 0
    erf[large] = np.where(positive, 1.0 - tail, tail - 1.0)
    erfc[large] = np.where(positive, tail, 2.0 - tail)
    return erf, erfc
