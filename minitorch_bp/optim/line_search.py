r"""A line search satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5/3.6).

Along a descent direction :math:`d` from :math:`x` with :math:`\phi(t) = f(x + t d)`, it
finds a step :math:`t > 0` with

.. math::
    \phi(t) \le \phi(0) + c_1 t \phi'(0) \quad\text{(sufficient decrease)}, \qquad
    |\phi'(t)| \le c_2 |\phi'(0)| \quad\text{(curvature)},

by expanding the step until a bracket is found, then shrinking the bracket ("zoom")
with safeguarded cubic interpolation. Used by :class:`~minitorch_bp.optim.LBFGS` and
:class:`~minitorch_bp.optim.ConjugateGradient`.
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
    t1: float, f1: float, g1: float, t2: float, f2: float, g2: float, lo: float, hi: float
) -> float:
    r"""Minimiser of the cubic through :math:`(t_i, f_i, f'_i)`, clipped to [lo, hi].

    Nocedal & Wright eq. (3.59); the bracket's midpoint when the cubic has no minimum.

    Example:
        >>> cubic_minimizer(0.0, 0.0, -1.0, 2.0, 0.0, 1.0, 0.0, 2.0)   # (t-1)^2 - 1
        1.0
    """
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
        max_evals: the most evaluations of ``evaluate``.

    Returns:
        The best step found (``t = 0`` with ``f0`` if no point decreased ``f``).

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
    evals = 0

    def wolfe_ok(f: float, gtd: float, step: float) -> tuple[bool, bool]:
        armijo = f <= f0 + c1 * step * gtd0
        return armijo, abs(gtd) <= -c2 * gtd0

    # Alg. 3.5: grow the step until [t_prev, t] brackets an acceptable point.
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f0, g0, gtd0
    bracket: list[tuple[float, float, Array, float]] | None = None
    f, g, gtd = f0, g0, gtd0
    while evals < max_evals:
        f, g = evaluate(t)
        evals += 1
        gtd = float(np.dot(g, d))
        armijo, curvature = wolfe_ok(f, gtd, t)
        if not armijo or (evals > 1 and f >= f_prev):
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f, g, gtd)]
            break
        if curvature:
            return LineSearchResult(t, f, g, evals)
        if gtd >= 0.0:
            bracket = [(t, f, g, gtd), (t_prev, f_prev, g_prev, gtd_prev)]
            break
        # Extrapolate by a cubic step, kept within [t + 0.01 (t - t_prev), 10 t].
        lo, hi = t + 0.01 * (t - t_prev), 10.0 * t
        t_next = cubic_minimizer(t_prev, f_prev, gtd_prev, t, f, gtd, lo, hi)
        t_prev, f_prev, g_prev, gtd_prev = t, f, g, gtd
        t = t_next
    if bracket is None:  # out of evaluations while still descending: take the last point
        if f < f0:
            return LineSearchResult(t, f, g, evals)
        return LineSearchResult(0.0, f0, g0, evals)

    # Alg. 3.6 (zoom): bracket[0] is the best point so far (satisfies sufficient
    # decrease), bracket[1] the other end; φ'(lo)·(hi − lo) < 0.
    lo_pt, hi_pt = bracket
    while evals < max_evals:
        (t_lo, f_lo, g_lo, gtd_lo), (t_hi, f_hi, _, gtd_hi) = lo_pt, hi_pt
        if abs(t_hi - t_lo) * d_norm < tolerance_change:
            break
        a, b = min(t_lo, t_hi), max(t_lo, t_hi)
        t = cubic_minimizer(t_lo, f_lo, gtd_lo, t_hi, f_hi, gtd_hi, a, b)
        # Safeguard: a trial too close to either end makes no progress; bisect instead.
        margin = 0.1 * (b - a)
        if t - a < margin or b - t < margin:
            t = 0.5 * (a + b)
        f, g = evaluate(t)
        evals += 1
        gtd = float(np.dot(g, d))
        armijo, curvature = wolfe_ok(f, gtd, t)
        if not armijo or f >= f_lo:
            hi_pt = (t, f, g, gtd)
        else:
            if curvature:
                return LineSearchResult(t, f, g, evals)
            if gtd * (t_hi - t_lo) >= 0.0:
                hi_pt = lo_pt
            lo_pt = (t, f, g, gtd)
    t_lo, f_lo, g_lo, _ = lo_pt
    return LineSearchResult(t_lo, f_lo, g_lo, evals)
