r"""L-BFGS on the notes' full :math:`J(\Theta)`, driven by a closure like ``torch.optim.LBFGS``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_positive_int
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim._full_batch import Closure, FullBatchOptimizer, optional_vector
from minitorch_bp.optim.line_search import strong_wolfe
from minitorch_bp.optim.optimizer import Array

LINE_SEARCHES = ("strong_wolfe", None)


class LBFGS(FullBatchOptimizer):
    r"""Limited-memory BFGS (Nocedal & Wright, Alg. 7.4/7.5) on the unrolled :math:`\Theta`.

    Keeps the last ``history_size`` pairs :math:`s_k = \Theta_{k+1} - \Theta_k`,
    :math:`y_k = \nabla J_{k+1} - \nabla J_k` and takes the direction
    :math:`d_k = -H_k \nabla J(\Theta_k)` by the two-loop recursion, with
    :math:`H_k^0 = \frac{s^\top y}{y^\top y} I`; the step :math:`t_k` along it comes from
    the strong Wolfe line search (:func:`~minitorch_bp.optim.line_search.strong_wolfe`,
    :math:`c_1 = 10^{-4}`, :math:`c_2 = 0.9`), first trial 1 (:math:`\min(1, 1/\|g\|_1)`
    on the very first iteration). The history carries over between :meth:`step` calls.

    :math:`J` includes the notes' :math:`\frac{\lambda}{2m}\sum W^2`: the optimizer adds it
    (see :class:`~minitorch_bp.optim._full_batch.FullBatchOptimizer`), so the closure
    returns only the criterion's value.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        max_iter: the most iterations per :meth:`step` (>= 1).
        max_eval: the most closure calls per :meth:`step` (``None``: ``max_iter * 5 // 4``).
        history_size: how many :math:`(s, y)` pairs to keep (>= 1).
        tolerance_grad: stop when :math:`\max_i |\nabla J_i|` is at most this.
        tolerance_change: stop when :math:`J` or :math:`\Theta` change by less than this.
        line_search: ``"strong_wolfe"`` or ``None`` (fixed steps of 1, as PyTorch's lr=1).

    Example:
        >>> import numpy as np
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.array([3.0, -2.0]))
        >>> def closure():                         # J = ½‖Θ - (1, 2)‖²
        ...     p.grad = p.data - np.array([1.0, 2.0])
        ...     return 0.5 * float(np.sum(p.grad ** 2))
        >>> opt = LBFGS([p], max_iter=10)
        >>> opt.step(closure) < 1e-20, p.data.round(12)
        (True, array([1., 2.]))
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        *,
        l2: float = 0.0,
        max_iter: int = 50,
        max_eval: int | None = None,
        history_size: int = 10,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        line_search: str | None = "strong_wolfe",
    ) -> None:
        super().__init__(
            params,
            l2=l2,
            max_iter=max_iter,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
        )
        self.max_eval = (
            None if max_eval is None else check_positive_int(max_eval, "max_eval", "LBFGS")
        )
        self.history_size = check_positive_int(history_size, "history_size", "LBFGS")
        if line_search not in LINE_SEARCHES:
            raise ValueError(f"LBFGS: line_search={line_search!r} must be one of {LINE_SEARCHES}")
        self.line_search = line_search
        self._s: list[Array] = []
        self._y: list[Array] = []
        self._d: Array | None = None
        self._t = 0.0
        self._g_prev: Array | None = None
        self._H_diag = 1.0

    def _direction(self, g: Array) -> Array:
        """The two-loop recursion: :math:`-H g` from the stored pairs."""
        q = -g
        rho = [1.0 / float(y @ s) for s, y in zip(self._s, self._y, strict=True)]
        alpha = [0.0] * len(self._s)
        for i in range(len(self._s) - 1, -1, -1):
            alpha[i] = rho[i] * float(self._s[i] @ q)
            q -= alpha[i] * self._y[i]
        r = q * self._H_diag
        for i in range(len(self._s)):
            beta = rho[i] * float(self._y[i] @ r)
            r += (alpha[i] - beta) * self._s[i]
        return r

    def step(self, closure: Closure | None = None, *, m: int | None = None) -> float:
        """Run up to ``max_iter`` iterations; return :math:`J(\\Theta)` at the end."""
        closure = self._check_closure(closure)
        m = self.batch_size(m)
        max_eval = self.max_eval if self.max_eval is not None else max(self.max_iter * 5 // 4, 1)
        self.evaluations = 0
        x = self._get_x()
        f, g = self._evaluate(closure, m)
        iterations = 0
        if float(np.max(np.abs(g))) <= self.tolerance_grad:
            return self._finish(f, iterations)
        first = self._d is None
        while iterations < self.max_iter:
            iterations += 1
            if self._d is None or self._g_prev is None:
                d = -g
            else:
                y = g - self._g_prev
                s = self._d * self._t
                ys = float(y @ s)
                if ys > 1e-10:  # keep H positive definite: skip pairs without curvature
                    if len(self._s) == self.history_size:
                        self._s.pop(0)
                        self._y.pop(0)
                    self._s.append(s)
                    self._y.append(y)
                    self._H_diag = ys / float(y @ y)
                d = self._direction(g)
            self._g_prev = g
            f_prev = f
            gtd = float(g @ d)
            if gtd > -self.tolerance_change:
                break
            t = min(1.0, 1.0 / float(np.sum(np.abs(g)))) if first else 1.0
            first = False
            if self.line_search == "strong_wolfe":
                x0, d0 = x, d

                def evaluate(step: float, x0: Array = x0, d0: Array = d0) -> tuple[float, Array]:
                    self._set_x(x0 + step * d0)
                    return self._evaluate(closure, m)

                # As PyTorch: up to 25 evaluations per search; max_eval is checked after.
                res = strong_wolfe(
                    evaluate, f, g, d, t, tolerance_change=self.tolerance_change, max_evals=25
                )
                t, f, g = res.t, res.f, res.g
                x = x + t * d
                self._set_x(x)
            else:
                x = x + t * d
                self._set_x(x)
                f, g = self._evaluate(closure, m)
            self._d, self._t = d, t
            if self.evaluations >= max_eval:
                break
            if float(np.max(np.abs(g))) <= self.tolerance_grad:
                break
            if float(np.max(np.abs(t * d))) <= self.tolerance_change:
                break
            if abs(f - f_prev) < self.tolerance_change:
                break
        return self._finish(f, iterations)

    def state_dict(self) -> dict[str, Any]:
        """Return the settings and the search state (history pairs as copies)."""
        state = super().state_dict()
        state.update(
            max_eval=self.max_eval,
            history_size=self.history_size,
            line_search=self.line_search,
            s=[s.copy() for s in self._s],
            y=[y.copy() for y in self._y],
            d=None if self._d is None else self._d.copy(),
            t=self._t,
            g_prev=None if self._g_prev is None else self._g_prev.copy(),
            H_diag=self._H_diag,
        )
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, so a run resumes exactly."""
        super()._load_state(state)
        max_eval = state.get("max_eval", self.max_eval)
        self.max_eval = (
            None if max_eval is None else check_positive_int(max_eval, "max_eval", "LBFGS")
        )
        hs = state.get("history_size", self.history_size)
        self.history_size = check_positive_int(hs, "history_size", "LBFGS")
        line_search = state.get("line_search", self.line_search)
        if line_search not in LINE_SEARCHES:
            raise ValueError(f"LBFGS: line_search={line_search!r} must be one of {LINE_SEARCHES}")
        self.line_search = line_search
        self._s = [np.array(s, dtype=np.float64) for s in state.get("s", self._s)]
        self._y = [np.array(y, dtype=np.float64) for y in state.get("y", self._y)]
        if len(self._s) != len(self._y):
            raise ValueError("LBFGS.load_state_dict: 's' and 'y' must have the same length")
        self._d = optional_vector(state.get("d", self._d))
        self._t = float(state.get("t", self._t))
        self._g_prev = optional_vector(state.get("g_prev", self._g_prev))
        self._H_diag = float(state.get("H_diag", self._H_diag))

    def __repr__(self) -> str:
        return (
            f"LBFGS(l2={self.l2}, max_iter={self.max_iter}, history_size={self.history_size},"
            f" line_search={self.line_search!r})"
        )
