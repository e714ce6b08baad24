r"""A line search satisfying the strong Wolfe conditions, the one ``torch.optim.LBFGS`` runs.

Along a descent direction :math:`d` from :math:`x` with :math:`\phi(t) = f(x + t d)`, it
finds a step :math:`t > 0` with

.. math::
    \phi(t) \le \phi(0) + c_1 t \phi'(0) \quad\text{(sufficient decrease)}, \qquad
    |\phi'(t)| \le c_2 |\phi'(0)| \quad\text{(curvature)},

by expanding the step until a bracket is found, then shrinking the bracket ("zoom")
with cubic interpolation (Nocedal & Wright, Alg. 3.5/3.6). The choices follow PyTorch's
``_strong_wolfe`` (itself Mark Schmidt's ``minFunc`` by way of Lua Torch), step for
step, so that :class:`~minitorch_bp.optim.LBFGS` takes PyTorch's steps:

- the expansion stops at a point that breaks sufficient decrease, or (from the third
  trial on) is no lower than the previous one, or has :math:`\phi' \ge 0`; the next trial
  is the cubic's minimiser kept within :math:`[t + 0.01(t - t_{prev}), 10t]`;
- out of evaluations while expanding, the bracket is :math:`[0, t]`;
- in the zoom, a trial within 10 % of the bracket's length from an end counts as
  insufficient progress; a second one in a row (or one outside the bracket) is moved to
  10 % from the nearer end;
- the search returns the bracket's lower end.

Used by :class:`~minitorch_bp.optim.LBFGS` and :class:`~minitorch_bp.optim.ConjugateGradient`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]
#: ``evaluate(t) -> (f, g)``: the objective and its gradient (a vector) at x + t·d.
Evaluate = Callable[[float], tuple[float, Array]]


@dataclass
class LineSearchResult:
    """The accepted step ``t``, ``f`` and gradient ``g`` there, and evaluations used."""

    t: float
    f: float
    g: Array
    evaluations: int


def cubic_minimizer(
    t1: float,
    f1: float,
    g1: float,
    t2: float,
    f2: float,
    g2: float,
    lo: float | None = None,
    hi: float | None = None,
) -> float:
    r"""Minimiser of the cubic through :math:`(t_i, f_i, f'_i)`, clipped to [lo, hi].

    Nocedal & Wright eq. (3.59); the interval's midpoint when the cubic has no minimum.
    Without ``lo`` and ``hi`` the interval is the one between ``t1`` and ``t2``.

    Example:
        >>> cubic_minimizer(0.0, 0.0, -1.0, 2.0, 0.0, 1.0, 0.0, 2.0)   # (t-1)^2 - 1
        1.0
    """
    if lo is None or hi is None:
        lo, hi = (t1, t2) if t1 <= t2 else (t2, t1)
    if t1 == t2:  # one point: no cubic (PyTorch's arithmetic would give NaN here)
        return 0.5 * (lo + hi)
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (t1 - t2)
    d2_sq = d1 * d1 - g1 * g2
    if d2_sq >= 0.0:
        d2 = math.sqrt(d2_sq)
        if t1 <= t2:
            t = t2 - (t2 - t1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        else:
            t = t1 - (t1 - t2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        if math.isfinite(t):
            return min(max(t, lo), hi)
    return 0.5 * (lo + hi)


@dataclass
class _Point:
    t: float
    f: float
    g: Array
    gtd: float


def strong_wolfe(
    evaluate: Evaluate,
    f0: float,
    g0: Array,
    d: Array,
    t: float = 1.0,
    *,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_evals: int = 25,
) -> LineSearchResult:
    r"""Find a step along ``d`` satisfying the strong Wolfe conditions.

    Args:
        evaluate: ``evaluate(t) -> (f, g)`` at :math:`x + t d` (may overwrite the model).
        f0: :math:`f(x)`.
        g0: :math:`\nabla f(x)`; :math:`\phi'(0) = g_0^\top d` must be < 0.
        d: the search direction.
        t: the first trial step, > 0.
        c1: sufficient-decrease constant, :math:`0 < c_1 < c_2 < 1`.
        c2: curvature constant (0.9 suits quasi-Newton, 0.1 conjugate gradients).
        tolerance_change: stop zooming when the bracket is shorter than this in ``x``.
        max_evals: evaluations after the first (PyTorch's ``max_ls``); at most
            ``max_evals + 1`` calls of ``evaluate`` in all.

    Returns:
        The lower end of the last bracket (``t = 0`` with ``f0`` if nothing decreased ``f``).

    Example:
        >>> import numpy as np
        >>> ev = lambda t: ((t - 3.0) ** 2, np.array([2.0 * (t - 3.0)]))   # x = 0, d = 1
        >>> r = strong_wolfe(ev, 9.0, np.array([-6.0]), np.array([1.0]), 1.0, c2=0.1)
        >>> float(r.t), r.evaluations
        (3.0, 2)
    """
    if not 0.0 < c1 < c2 < 1.0:
        raise ValueError(f"strong_wolfe: need 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    gtd0 = float(np.dot(g0, d))
    if not gtd0 < 0.0:
        raise ValueError(f"strong_wolfe: d is not a descent direction (g0·d = {gtd0})")
    d_norm = float(np.max(np.abs(d)))

    def point(step: float) -> _Point:
        f, g = evaluate(step)
        return _Point(step, f, g, float(np.dot(g, d)))

    def armijo_fails(p: _Point) -> bool:
        return p.f > f0 + c1 * p.t * gtd0

    def curvature_holds(p: _Point) -> bool:
        return abs(p.gtd) <= -c2 * gtd0

    new = point(t)
    evals, trials = 1, 0
    prev = _Point(0.0, f0, g0, gtd0)
    bracket: list[_Point] = []
    done = False
    while trials < max_evals:
        if armijo_fails(new) or (trials > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if curvature_holds(new):
            bracket, done = [new], True
            break
        if new.gtd >= 0.0:
            bracket = [prev, new]
            break
        step = cubic_minimizer(
            prev.t,
            prev.f,
            prev.gtd,
            new.t,
            new.f,
            new.gtd,
            new.t + 0.01 * (new.t - prev.t),
            10.0 * new.t,
        )
        prev, new = new, point(step)
        evals += 1
        trials += 1
    if trials == max_evals:  # out of evaluations while still expanding
        bracket = [_Point(0.0, f0, g0, gtd0), new]

    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient = False
    while not done and trials < max_evals:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        step = cubic_minimizer(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        top, bottom = max(a.t, b.t), min(a.t, b.t)
        margin = 0.1 * (top - bottom)
        if min(top - step, step - bottom) < margin:  # close to an end of the bracket
            if insufficient or step >= top or step <= bottom:
                step = top - margin if abs(step - top) < abs(step - bottom) else bottom + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        new = point(step)
        evals += 1
        trials += 1
        if armijo_fails(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if curvature_holds(new):
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0.0:
                bracket[high] = bracket[low]  # the old low end becomes the high end
            bracket[low] = new
    best = bracket[low]
    return LineSearchResult(best.t, best.f, best.g, evals)
