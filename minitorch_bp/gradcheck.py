r"""Gradient checking: the course's ``checkNNGradients`` for any model and loss.

The analytic gradient is what the optimizer would apply, the notes'
:math:`D = \frac{1}{m}(\Delta + \lambda\Theta)`; the numerical one is the central
difference :math:`\frac{J(\theta + \epsilon) - J(\theta - \epsilon)}{2\epsilon}` of the
notes' full cost :math:`J(\Theta) = \text{criterion} + \frac{\lambda}{2m}\sum\Theta^2`,
one parameter at a time.

:func:`gradcheck_report` also checks the δ chain itself (:mod:`minitorch_bp.diagnosis`):
it perturbs each :math:`z^{(l)}` and :math:`a^{(l)}` and compares with the
:math:`\delta^{(l)}` backward delivers there, so a wrong :math:`g'` or a transposed
:math:`\Theta` is named at its layer, and a wrong :math:`D` (a missing :math:`1/m`, the
bias column regularised) at its parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_examples
from minitorch_bp.diagnosis import DeltaCheck, Finding, check_deltas, findings
from minitorch_bp.nn.dropout import Dropout
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.regularization import check_l2, l2_gradient, l2_penalty
from minitorch_bp.optim.optimizer import Optimizer

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
        deltas: the check of the gradient between every two layers (the notes'
            :math:`\\delta^{(l)}` at each ``Linear``'s output), from the output down.
        findings: what is wrong and where (empty when everything agrees).
    """

    numerical: Array
    analytic: Array
    names: list[str]
    sizes: list[int]
    relative_difference: float
    per_parameter: dict[str, float] = field(default_factory=dict)
    deltas: list[DeltaCheck] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the parameters pass the course's 1e-9 and every δ agrees."""
        return self.relative_difference < 1e-9 and all(c.ok for c in self.deltas)

    def __str__(self) -> str:
        lines = [f"{'checked':<34} {'relative difference':>20}"]
        for c in self.deltas:
            mark = "ok" if c.ok else "WRONG"
            lines.append(
                f"{c.symbol + ' (' + c.layer.split(':')[0] + ')':<34} {c.relative_difference:>20.2e}  {mark}"
            )
        for name, rd in self.per_parameter.items():
            mark = "ok" if rd < 1e-9 else "WRONG"
            lines.append(f"{'D of ' + name:<34} {rd:>20.2e}  {mark}")
        lines.append(f"{'all parameters':<34} {self.relative_difference:>20.2e}")
        if self.findings:
            lines += ["", "findings:"] + [f"- {f}" for f in self.findings]
        else:
            lines += ["", "backpropagation agrees with central differences"]
        return "\n".join(lines)


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
    model: Module,
    criterion: Loss,
    X: Any,
    Y: Any,
    *,
    l2: float = 0.0,
    eps: float = 1e-4,
    optimizer: Optimizer | None = None,
    deltas: bool = True,
) -> GradcheckReport:
    r"""Compare backward with central differences on every parameter and every δ (float64 only).

    The parameters' analytic gradient is the notes' :math:`D` the optimizer would apply
    (``optimizer.gradient(p, m)`` when ``optimizer`` is given, else the λ rule). With
    ``deltas`` (the default) the gradient between every two layers is checked too, and
    a failure is diagnosed in ``findings``: the first wrong :math:`\delta` from the
    output down names the layer and its equation; a wrong :math:`D` with right
    :math:`\delta`'s names the parameter and what the numbers look like.

    Args:
        model: the network; its parameters must be float64 (float32 central differences
            are too coarse to mean anything). A ``Dropout`` in training mode is refused
            (each forward would draw a new mask): call ``model.eval()`` first.
        criterion: the loss.
        X: inputs, shape :math:`(m, s_1)` (or :math:`(m, C, H, W)` images, integer
            indices for an ``Embedding``...: whatever the model's first layer takes).
        Y: targets.
        l2: the notes' :math:`\lambda` (the optimizer's when ``optimizer`` is given).
        eps: the central-difference step :math:`\epsilon` (the course uses 1e-4).
        optimizer: check the :math:`D` it applies (``opt.gradient``), e.g. your own
            optimizer's.
        deltas: also check the δ chain (with step ε/10) and diagnose (``False``:
            parameters only).

    Returns:
        A :class:`GradcheckReport` (``print`` it for a table and the findings). The
        parameters and their gradients' values are left as they were.

    Example:
        >>> from minitorch_bp import nn
        >>> rng = np.random.default_rng(0)
        >>> model = nn.Sequential(nn.Linear(3, 5, rng=1), nn.Sigmoid(), nn.Linear(5, 3, rng=2), nn.Sigmoid())
        >>> X, Y = rng.normal(size=(5, 3)), np.eye(3)[[0, 1, 2, 0, 1]]
        >>> print(gradcheck_report(model, nn.BCELoss(), X, Y, l2=3.0))  # doctest: +NORMALIZE_WHITESPACE
        checked                             relative difference
        ∂J/∂a^(3) (the loss)                           ...  ok
        δ^(3) (layer 3)                                ...  ok
        ∂J/∂a^(2) (layer 2)                            ...  ok
        δ^(2) (layer 1)                                ...  ok
        D of 0.weight                                  ...  ok
        D of 0.bias                                    ...  ok
        D of 2.weight                                  ...  ok
        D of 2.bias                                    ...  ok
        all parameters                                 ...
        <BLANKLINE>
        backpropagation agrees with central differences
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
    for path, module in model.named_modules():
        if isinstance(module, Dropout) and module.training and module.p > 0:
            raise ValueError(
                f"gradcheck: {path or 'the model'} ({module!r}) is in training mode, so every"
                " forward draws a new mask and central differences compare different"
                " networks; call model.eval() first (Dropout is then the identity)"
            )
    lam = check_l2(l2, "gradcheck")
    if optimizer is not None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"gradcheck: optimizer is {type(optimizer).__name__}, not an optim.Optimizer"
            )
        lam = optimizer.l2
    if not (isinstance(eps, (float, int)) and 0 < eps < 1):
        raise ValueError(f"gradcheck: eps={eps!r} must be a number in (0, 1)")
    X = (
        X
        if isinstance(X, np.ndarray) and X.dtype.kind in "iu"
        else as_examples(X, "gradcheck", "X")
    )
    m = X.shape[0]

    if criterion.reduction == "none":
        raise ValueError(
            f"gradcheck: {type(criterion).__name__} has reduction='none'; the check needs one"
            " number J (use 'batchmean', 'sum' or 'mean')"
        )

    def cost() -> float:
        return float(criterion(model(X), Y)) + l2_penalty(model, lam, m)

    saved = [p.grad.copy() for _, p in params]
    model.zero_grad()
    criterion(model(X), Y)
    model.backward_params(criterion.backward())
    per_param = {
        name: optimizer.gradient(p, m) if optimizer is not None else l2_gradient(p, lam, m)
        for name, p in params
    }
    for (_, p), g in zip(params, saved, strict=True):
        np.copyto(p.grad, g)
    analytic = np.concatenate([per_param[name].reshape(-1) for name, _ in params])

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
    report = GradcheckReport(
        numerical=numerical,
        analytic=analytic,
        names=names,
        sizes=sizes,
        relative_difference=relative_difference(numerical, analytic),
        per_parameter=per_parameter,
    )
    if deltas:
        # ε/10: the loss's curvature (log a near 0 or 1) makes differences at ε coarser
        report.deltas = check_deltas(model, criterion, X, Y, eps=eps / 10)
        if not report.ok:
            start, num = 0, {}
            for (name, p), size in zip(params, sizes, strict=True):
                num[name] = numerical[start : start + size].reshape(p.shape)
                start += size
            report.findings = findings(model, report.deltas, params, num, per_param, l2=lam, m=m)
    return report


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
    return gradcheck_report(
        model, criterion, X, Y, l2=l2, eps=eps, deltas=False
    ).relative_difference
