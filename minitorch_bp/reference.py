r"""The notes' algorithms, written as plainly as the notes write them.

These functions work on a list of matrices :math:`\Theta^{(1)}, \dots, \Theta^{(L-1)}` in
the notes' layout: :math:`\Theta^{(l)}` has shape :math:`(s_{l+1}, s_l + 1)` and its
column 0 multiplies the bias unit. They loop over examples one at a time, exactly as
the numbered steps of the "Backpropagation Algorithm", and serve as the oracle that
the vectorised layers are tested against. They are slow on purpose: read them, do
not train with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


def sigmoid(z: Array) -> Array:
    r""":math:`g(z) = 1/(1 + e^{-z})`, stable for large :math:`|z|`."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def sigmoid_gradient(z: Array) -> Array:
    r""":math:`g'(z) = g(z)(1 - g(z))`; the notes' :math:`\hat y(1 - \hat y)`."""
    g = sigmoid(z)
    return g * (1.0 - g)


def add_bias_unit(a: Array) -> Array:
    r"""Prepend the bias unit :math:`a_0 = 1` to a vector, or a column of ones to a matrix."""
    if a.ndim == 1:
        return np.concatenate([[1.0], a])
    return np.hstack([np.ones((a.shape[0], 1)), a])


def feedforward(thetas: Sequence[Array], x: Array) -> tuple[list[Array], list[Array]]:
    r"""Forward propagation for one example (steps 1–2 of the notes' algorithm).

    Args:
        thetas: :math:`\Theta^{(1)}, \dots, \Theta^{(L-1)}`.
        x: one example, shape :math:`(s_1,)`.

    Returns:
        ``(a, z)``: ``a[l-1]`` is :math:`a^{(l)}` for :math:`l = 1..L` (without the bias
        unit) and ``z[l-1]`` is :math:`z^{(l)}` for :math:`l = 2..L` (``z[0]`` is ``None``).
    """
    a: list[Array] = [np.asarray(x, dtype=np.float64)]
    z: list[Array] = [np.array([])]
    for theta in thetas:
        z_next = theta @ add_bias_unit(a[-1])
        z.append(z_next)
        a.append(sigmoid(z_next))
    return a, z


def predict_proba(thetas: Sequence[Array], X: Array) -> Array:
    r""":math:`h_\Theta(x^{(i)})` for every row of ``X``, shape :math:`(m, K)`."""
    return np.array([feedforward(thetas, x)[0][-1] for x in X])


def cost(thetas: Sequence[Array], X: Array, Y: Array, lam: float = 0.0) -> float:
    r"""The notes' regularised multi-class logistic cost.

    .. math::
        J(\Theta) = -\frac{1}{m}\sum_{i=1}^m\sum_{k=1}^K\left[y_k^{(i)}\log(h_\Theta(x^{(i)}))_k
        + (1 - y_k^{(i)})\log(1 - (h_\Theta(x^{(i)}))_k)\right]
        + \frac{\lambda}{2m}\sum_{l=1}^{L-1}\sum_{i=1}^{s_l}\sum_{j=1}^{s_{l+1}}(\Theta^{(l)}_{ji})^2

    The regularisation sum starts at :math:`i = 1`: the bias column is not penalised.
    """
    m = X.shape[0]
    h = predict_proba(thetas, X)
    data_term = -np.sum(Y * np.log(h) + (1.0 - Y) * np.log(1.0 - h)) / m
    reg_term = lam / (2.0 * m) * sum(float(np.sum(t[:, 1:] ** 2)) for t in thetas)
    return float(data_term + reg_term)


def backprop_loop(
    thetas: Sequence[Array], X: Array, Y: Array, lam: float = 0.0
) -> tuple[float, list[Array]]:
    r"""The notes' "Backpropagation Algorithm", one example at a time.

    Set :math:`\Delta^{(l)} := 0`. For each example :math:`t`:

    1. :math:`a^{(1)} := x^{(t)}`;
    2. forward propagation to compute :math:`a^{(l)}` for :math:`l = 2, \dots, L`;
    3. :math:`\delta^{(L)} = a^{(L)} - y^{(t)}`;
    4. :math:`\delta^{(l)} = ((\Theta^{(l)})^T\delta^{(l+1)}) \cdot a^{(l)} \cdot (1 - a^{(l)})`
       for :math:`l = L-1, \dots, 2`;
    5. :math:`\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)}(a^{(l)})^T`.

    Then :math:`D^{(l)}_{ij} = \frac{1}{m}(\Delta^{(l)}_{ij} + \lambda\Theta^{(l)}_{ij})` for
    :math:`j \ne 0` and :math:`D^{(l)}_{i0} = \frac{1}{m}\Delta^{(l)}_{i0}`.

    Args:
        thetas: :math:`\Theta^{(1)}, \dots, \Theta^{(L-1)}`, sigmoid units throughout.
        X: inputs, shape :math:`(m, s_1)`.
        Y: targets, shape :math:`(m, K)` with values in [0, 1].
        lam: :math:`\lambda`.

    Returns:
        ``(J, D)``: the regularised cost and the list of :math:`D^{(l)}` in the
        :math:`\Theta` layout.
    """
    m = X.shape[0]
    Delta = [np.zeros_like(t, dtype=np.float64) for t in thetas]
    for t in range(m):
        a, _ = feedforward(thetas, X[t])  # steps 1 and 2
        L = len(a)
        delta: dict[int, Array] = {L: a[L - 1] - Y[t]}  # step 3
        for layer in range(L - 1, 1, -1):  # step 4, stopping at δ^(2)
            theta = thetas[layer - 1]
            back = theta.T @ delta[layer + 1]
            a_l = a[layer - 1]
            delta[layer] = back[1:] * a_l * (1.0 - a_l)  # drop the bias unit's row
        for layer in range(1, L):  # step 5
            Delta[layer - 1] += np.outer(delta[layer + 1], add_bias_unit(a[layer - 1]))
    D = []
    for theta, Delta_l in zip(thetas, Delta, strict=True):
        D_l = Delta_l / m
        D_l[:, 1:] += lam / m * theta[:, 1:]  # j != 0; the bias column j = 0 is not regularised
        D.append(D_l)
    return cost(thetas, X, Y, lam), D


def regression_gradients(W1: Array, W2: Array, X: Array, y: Array) -> tuple[float, Array, Array]:
    r"""The notes' regression example: a 2-3-1 sigmoid network with :math:`J = \frac{1}{2}\sum(y - \hat y)^2`.

    This follows the notes' (and the video's) layout, which has no bias units and puts
    the weights as :math:`z^{(2)} = X W^{(1)}`, :math:`z^{(3)} = a^{(2)} W^{(2)}`, so
    ``W1`` is :math:`(2, 3)` and ``W2`` is :math:`(3, 1)`:

    .. math::
        \delta^{(3)} = -(y - \hat y) \cdot g'(z^{(3)}), \qquad
        \frac{\partial J}{\partial W^{(2)}} = (a^{(2)})^T \delta^{(3)},

    .. math::
        \delta^{(2)} = \delta^{(3)} (W^{(2)})^T \cdot g'(z^{(2)}), \qquad
        \frac{\partial J}{\partial W^{(1)}} = X^T \delta^{(2)}.

    Returns:
        ``(J, dJdW1, dJdW2)``.
    """
    z2 = X @ W1
    a2 = sigmoid(z2)
    z3 = a2 @ W2
    y_hat = sigmoid(z3)
    J = 0.5 * float(np.sum((y - y_hat) ** 2))
    delta3 = -(y - y_hat) * sigmoid_gradient(z3)
    dJdW2 = a2.T @ delta3
    delta2 = (delta3 @ W2.T) * sigmoid_gradient(z2)
    dJdW1 = X.T @ delta2
    return J, dJdW1, dJdW2
