r"""Gradient checking: the course's ``checkNNGradients`` for any model and loss.

The analytic gradient is what the optimizer would apply, the notes'
:math:`D = \frac{1}{m}(\Delta + \lambda\Theta)`; the numerical one is the central
difference :math:`\frac{J(\theta + \epsilon) - J(\theta - \epsilon)}{2\epsilon}` of the
notes' full cost :math:`J(\Theta) = \text{criterion} + \frac{\lambda}{2m}\sum\Theta^2`,
one parameter at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.regularization import check_l2, l2_gradient, l2_penalty

Array = NDArray[Any]


@dataclass
class GradcheckReport:
    """The outcome of :func:`gradcheck_report`.

    Attributes:
        numerical: the central-difference gradient, unrolled (W1, b1, W2, b2, ...).
        analytic: the gradient backward and the λ term give, unrolled the same way.
        names: the parameter names, in order.
        sizes: how many entries of the vectors belong to each parameter.
        relative_difference: :math:`\\lVert n - a\\rVert / \\lVert n + a\\rVert` over everything.
        per_parameter: the same ratio for each parameter name, to find a bad layer.
    """

    numerical: Array
    analytic: Array
    names: list[str]
    sizes: list[int]
    relative_difference: float
    per_parameter: dict[str, float] = field(default_factory=dict)


def relative_difference(numerical: Any, analytic: Any) -> float:
    r"""The course's :math:`\lVert n - a\rVert / \lVert n + a\rVert` (0 when both are 0).

    Example:
        >>> print(f"{relative_difference(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])):.2e}")
        2.24e-10
    """
    num, ana = np.asarray(numerical, dtype=np.float64), np.asarray(analytic, dtype=np.float64)
    denom = float(np.linalg.norm(num + ana))
    diff = float(np.linalg.norm(num - ana))
    if denom == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / denom


def numerical_gradient(f: Callable[[], float], x: Array, eps: float = 1e-4) -> Array:
    r"""Central differences :math:`\frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon}` for every entry of ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored exactly; ``f`` reads
    it (a parameter's ``data``, an input batch...). This is the one numerical gradient
    of the package: :func:`gradcheck_report` and the tests use it.

    Args:
        f: returns the scalar cost for the current value of ``x``.
        x: a float64 array (a view is fine: it is written through).
        eps: the step :math:`\epsilon` (the course uses 1e-4).

    Returns:
        An array shaped like ``x`` (float64).

    Example:
        >>> x = np.array([1.0, 2.0])
        >>> numerical_gradient(lambda: float(np.sum(x ** 3)), x).round(6)   # 3x²
        array([ 3., 12.])
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)
    if x.size and not np.shares_memory(flat, x):  # reshape copied: writes would be lost
        raise ValueError("numerical_gradient: x must be writable in place (a contiguous array)")
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = f()
        flat[i] = saved - eps
        minus = f()
        flat[i] = saved
        gflat[i] = (plus - minus) / (2.0 * eps)
    return grad


def gradcheck_report(
    model: Module, criterion: Loss, X: Any, Y: Any, *, l2: float = 0.0, eps: float = 1e-4
) -> GradcheckReport:
    r"""Compare backward with central differences on every parameter (float64 only).

    Args:
        model: the network; its parameters must be float64 (float32 central differences
            are too coarse to mean anything). Stochastic modules (``Dropout``) should be
            in ``eval()`` mode.
        criterion: the loss.
        X: inputs, shape :math:`(m, s_1)`.
        Y: targets.
        l2: the notes' :math:`\lambda`.
        eps: the central-difference step :math:`\epsilon` (the course uses 1e-4).

    Returns:
        A :class:`GradcheckReport`. The parameters are left as they were.
    """
    params = list(model.named_parameters())
    if not params:
        raise ValueError("gradcheck: the model has no parameters")
    for name, p in params:
        if p.dtype != np.float64:
            raise ValueError(
                f"gradcheck: parameter {name!r} is {p.dtype}; gradient checking needs float64"
                " (build the model with dtype=np.float64)"
            )
    lam = check_l2(l2, "gradcheck")
    if not (isinstance(eps, (float, int)) and 0 < eps < 1):
        raise ValueError(f"gradcheck: eps={eps!r} must be a number in (0, 1)")
    X = as_batch(X, "gradcheck", "X")
    m = X.shape[0]

    if criterion.reduction == "none":
        raise ValueError(
            f"gradcheck: {type(criterion).__name__} has reduction='none'; the check needs one"
            " number J (use 'batchmean', 'sum' or 'mean')"
        )

    def cost() -> float:
        return float(criterion(model(X), Y)) + l2_penalty(model, lam, m)

    model.zero_grad()
    criterion(model(X), Y)
    model.backward_params(criterion.backward())
    analytic = np.concatenate([l2_gradient(p, lam, m).reshape(-1) for _, p in params])

    numerical = np.concatenate(
        [numerical_gradient(cost, p.data, eps).reshape(-1) for _, p in params]
    )

    names = [name for name, _ in params]
    sizes = [p.size for _, p in params]
    per_parameter: dict[str, float] = {}
    start = 0
    for name, size in zip(names, sizes, strict=True):
        per_parameter[name] = relative_difference(
            numerical[start : start + size], analytic[start : start + size]
        )
        start += size
    return GradcheckReport(
        numerical=numerical,
        analytic=analytic,
        names=names,
        sizes=sizes,
        relative_difference=relative_difference(numerical, analytic),
        per_parameter=per_parameter,
    )


def gradcheck(
    model: Module, criterion: Loss, X: Any, Y: Any, *, l2: float = 0.0, eps: float = 1e-4
) -> float:
    r"""Return :math:`\lVert n - a\rVert / \lVert n + a\rVert` between numerical and analytic gradients.

    This is the course's check: below 1e-9 means backpropagation is right. See
    :func:`gradcheck_report` for the arguments and a per-parameter breakdown.

    Example:
        >>> from minitorch_bp import nn
        >>> rng = np.random.default_rng(0)
        >>> model = nn.Sequential(nn.Linear(3, 5, rng=1), nn.Sigmoid(), nn.Linear(5, 3, rng=2), nn.Sigmoid())
        >>> X, Y = rng.normal(size=(5, 3)), np.eye(3)[[0, 1, 2, 0, 1]]
        >>> gradcheck(model, nn.BCELoss(), X, Y, l2=3.0) < 1e-9
        True
    """
    return gradcheck_report(model, criterion, X, Y, l2=l2, eps=eps).relative_difference
