r"""Nonlinear conjugate gradients (Polak–Ribière+), the family of the course's ``fmincg``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp.optim._buffers import load_number, load_vector
from minitorch_bp.optim._full_batch import Closure, FullBatchOptimizer
from minitorch_bp.optim.line_search import strong_wolfe
from minitorch_bp.optim.optimizer import Array

#: The largest growth of the first trial step from one iteration to the next (fmincg's RATIO).
RATIO = 100.0


class ConjugateGradient(FullBatchOptimizer):
    r"""Polak–Ribière+ conjugate gradients with a strong Wolfe line search.

    From :math:`d_0 = -g_0` (:math:`g = \nabla J(\Theta)`), each iteration takes the step
    :math:`\Theta \leftarrow \Theta + t d` from
    :func:`~minitorch_bp.optim.line_search.strong_wolfe` (:math:`c_1 = 10^{-4}`,
    :math:`c_2 = 0.1`), then

    .. math::
        \beta = \max\left(0, \frac{g_{new}^\top (g_{new} - g)}{g^\top g}\right), \qquad
        d \leftarrow -g_{new} + \beta d

    (Nocedal & Wright §5.2, the "PR+" rule). A direction that is not downhill, or a failed
    line search, restarts from :math:`-g`; two failures in a row end the step, as in
    ``fmincg``; a step that ends on ``max_iter`` instead of a tolerance warns with
    :class:`~minitorch_bp.optim.ConvergenceWarning`. The first trial step is :math:`1/(1 + \|g\|^2)` and then
    :math:`t_{k-1}\,g_{k-1}^\top d_{k-1} / g_k^\top d_k`, capped at 100 times the last.
    As :class:`~minitorch_bp.optim.LBFGS`, it adds the notes' :math:`\lambda` term itself.

    Args:
        params: the parameters, e.g. ``model.parameters()`` (one group).
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        max_iter: the most iterations (line searches) per :meth:`step` (>= 1).
        tolerance_grad: stop when :math:`\max_i |\nabla J_i|` is at most this.
        tolerance_change: stop when :math:`J` or :math:`\Theta` change by less than this.

    Example:
        >>> import numpy as np
        >>> from minitorch_bp import nn
        >>> A = np.array([[3.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, 1.0])
        >>> p = nn.Parameter(np.zeros(2))
        >>> def closure():                          # J = ½ΘᵀAΘ - bᵀΘ
        ...     p.grad = A @ p.data - b
        ...     return float(0.5 * p.data @ A @ p.data - b @ p.data)
        >>> opt = ConjugateGradient([p], max_iter=20)
        >>> round(opt.step(closure), 10), p.data.round(10)   # Θ* = A⁻¹b = (0.2, 0.4)
        (-0.3, array([0.2, 0.4]))
    """

    def __init__(
        self,
        params: Iterable[Any],
        *,
        l2: float = 0.0,
        max_iter: int = 50,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
    ) -> None:
        super().__init__(
            params,
            {
                "l2": l2,
                "max_iter": max_iter,
                "tolerance_grad": tolerance_grad,
                "tolerance_change": tolerance_change,
            },
        )
        self._d: Array | None = None  # the next search direction
        self._t = 0.0  # the last accepted step
        self._gtd = 0.0  # g·d at the start of the last line search

    def step(self, closure: Closure | None = None, *, m: float | None = None) -> float:
        """Run up to ``max_iter`` iterations; return :math:`J(\\Theta)` at the end."""
        closure = self._check_closure(closure)
        m = self.batch_size(m)
        self.evaluations = 0
        x = self._get_x()
        f, g = self._evaluate(closure, m)
        iterations = 0
        failed_last = False
        limit: str | None = f"max_iter={self.max_iter}"
        d = self._d if self._d is not None and self._d.shape == g.shape else -g
        while iterations < self.max_iter:
            if g.size == 0 or float(np.max(np.abs(g))) <= self.tolerance_grad:
                limit = None
                break
            iterations += 1
            gtd = float(g @ d)
            if gtd >= 0.0:  # not downhill: restart along the steepest descent
                d = -g
                gtd = -float(g @ g)
            if self._t > 0.0 and self._gtd < 0.0:
                t = self._t * min(RATIO, self._gtd / gtd)
            else:
                t = 1.0 / (1.0 - gtd) if np.array_equal(d, -g) else 1.0

            def evaluate(step: float, x0: Array = x, d0: Array = d) -> tuple[float, Array]:
                self._set_x(x0 + step * d0)
                return self._evaluate(closure, m)

            res = strong_wolfe(evaluate, f, g, d, t, c2=0.1, tolerance_change=self.tolerance_change)
            if res.t == 0.0 or not res.f < f:
                self._set_x(x)
                if failed_last:  # failed along -g too: nothing left to try
                    limit = None
                    break
                failed_last = True
                d = -g
                self._t, self._gtd = 0.0, 0.0
                continue
            failed_last = False
            f_prev = f
            x = x + res.t * d
            self._set_x(x)
            f, g_new = res.f, res.g
            beta = max(0.0, float(g_new @ (g_new - g)) / float(g @ g))
            self._t, self._gtd = res.t, gtd
            change = float(np.max(np.abs(res.t * d)))
            d = -g_new + beta * d
            g = g_new
            if abs(f - f_prev) < self.tolerance_change or change <= self.tolerance_change:
                limit = None
                break
        else:  # the loop ran out: a last look at the gradient decides
            if g.size == 0 or float(np.max(np.abs(g))) <= self.tolerance_grad:
                limit = None
        self._d = d
        return self._finish(f, iterations, limit)

    def state_dict(self) -> dict[str, Any]:
        """Return the settings and the search state (the next direction as a copy)."""
        state = super().state_dict()
        state.update(d=None if self._d is None else self._d.copy(), t=self._t, gtd=self._gtd)
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, so a run resumes exactly."""
        super()._load_state(state)
        name = type(self).__name__
        n = sum(p.size for p in self._trained())
        self._d = load_vector(state.get("d", self._d), n, name, "d")
        self._t = load_number(state.get("t", self._t), name, "t")
        self._gtd = load_number(state.get("gtd", self._gtd), name, "gtd")
