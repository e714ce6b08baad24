r"""L-BFGS on the notes' full :math:`J(\Theta)`, driven by a closure like ``torch.optim.LBFGS``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_positive_int
from minitorch_bp.optim._buffers import load_count, load_number, load_vector
from minitorch_bp.optim._full_batch import Closure, FullBatchOptimizer
from minitorch_bp.optim.line_search import strong_wolfe
from minitorch_bp.optim.optimizer import Array

LINE_SEARCHES = ("strong_wolfe", None)
_UNSET: Any = object()


class LBFGS(FullBatchOptimizer):
    r"""Limited-memory BFGS (Nocedal & Wright, Alg. 7.4/7.5) on the unrolled :math:`\Theta`, as PyTorch's.

    Keeps the last ``history_size`` pairs :math:`s_k = \Theta_{k+1} - \Theta_k`,
    :math:`y_k = \nabla J_{k+1} - \nabla J_k` (a pair with :math:`s^\top y \le 10^{-10}` is
    skipped) and takes the direction :math:`d_k = -H_k \nabla J(\Theta_k)` by the two-loop
    recursion, with :math:`H_k^0 = \frac{s^\top y}{y^\top y} I`. The first trial step is
    ``lr`` (:math:`\min(1, 1/\|g\|_1)\cdot` ``lr`` on the very first iteration); with
    ``line_search_fn="strong_wolfe"`` it is refined by
    :func:`~minitorch_bp.optim.line_search.strong_wolfe` (:math:`c_1 = 10^{-4}`,
    :math:`c_2 = 0.9`, at most the evaluations left of ``max_eval``), with ``None`` it is
    taken as it is. The iteration, the tests that end a step and their order are
    ``torch.optim.LBFGS``'s, so the two take the same steps. The history carries over
    between :meth:`step` calls.

    :math:`J` includes the notes' :math:`\frac{\lambda}{2m}\sum W^2`: the optimizer adds it
    (see :class:`~minitorch_bp.optim._full_batch.FullBatchOptimizer`), so the closure
    returns only the criterion's value.

    Args:
        params: the parameters, e.g. ``model.parameters()`` (one group).
        lr: the first trial step of each iteration, > 0 (PyTorch's ``lr``, default 1).
        l2: the notes' :math:`\lambda \ge 0`; biases exempt.
        max_iter: the most iterations per :meth:`step` (>= 1; default 50, the course's
            ``fmincg`` budget; PyTorch's is 20).
        max_eval: the most closure calls per :meth:`step` (``None``: ``max_iter * 5 // 4``).
        history_size: how many :math:`(s, y)` pairs to keep (>= 1; PyTorch's default is 100).
        tolerance_grad: stop when :math:`\max_i |\nabla J_i|` is at most this.
        tolerance_change: stop when :math:`J` or :math:`\Theta` change by less than this.
        line_search_fn: ``"strong_wolfe"`` (the default here; PyTorch's is ``None``) or
            ``None`` (steps of ``lr``).
        line_search: the same as ``line_search_fn`` (its earlier name).

    Without a line search the last iteration's point is evaluated once more than
    PyTorch does, so that :meth:`step` returns :math:`J` where it stopped.

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
        params: Iterable[Any],
        lr: float = 1.0,
        *,
        l2: float = 0.0,
        max_iter: int = 50,
        max_eval: int | None = None,
        history_size: int = 10,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        line_search_fn: str | None = _UNSET,
        line_search: str | None = _UNSET,
    ) -> None:
        if line_search_fn is not _UNSET and line_search is not _UNSET:
            raise ValueError(
                "LBFGS: pass line_search_fn (or its earlier name line_search), not both"
            )
        search = line_search_fn if line_search_fn is not _UNSET else line_search
        if search is not _UNSET and search not in LINE_SEARCHES:
            arg = "line_search_fn" if line_search_fn is not _UNSET else "line_search"
            raise ValueError(f"LBFGS: {arg}={search!r} must be one of {LINE_SEARCHES}")
        super().__init__(
            params,
            {
                "lr": lr,
                "l2": l2,
                "max_iter": max_iter,
                "max_eval": max_eval,
                "history_size": history_size,
                "tolerance_grad": tolerance_grad,
                "tolerance_change": tolerance_change,
                "line_search_fn": "strong_wolfe" if search is _UNSET else search,
            },
        )
        self._s: list[Array] = []
        self._y: list[Array] = []
        self._d: Array | None = None
        self._t = 0.0
        self._g_prev: Array | None = None
        self._H_diag = 1.0
        self._n_iter = 0

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        if group.get("max_eval") is not None:
            group["max_eval"] = check_positive_int(group["max_eval"], "max_eval", "LBFGS")
        if "history_size" in group:
            group["history_size"] = check_positive_int(
                group["history_size"], "history_size", "LBFGS"
            )
        if "line_search_fn" in group and group["line_search_fn"] not in LINE_SEARCHES:
            raise ValueError(
                f"LBFGS: line_search_fn={group['line_search_fn']!r} must be one of {LINE_SEARCHES}"
            )
        return group

    @property
    def max_eval(self) -> int | None:
        """The most closure calls per :meth:`step` (``None``: ``max_iter * 5 // 4``)."""
        value: int | None = self.param_groups[0]["max_eval"]
        return value

    @max_eval.setter
    def max_eval(self, value: int | None) -> None:
        self._set("max_eval", value)

    @property
    def history_size(self) -> int:
        """How many :math:`(s, y)` pairs are kept."""
        value: int = self.param_groups[0]["history_size"]
        return value

    @property
    def line_search(self) -> str | None:
        """``"strong_wolfe"`` or ``None`` (the group's ``line_search_fn``)."""
        value: str | None = self.param_groups[0]["line_search_fn"]
        return value

    def _direction(self, g: Array) -> Array:
        """The two-loop recursion: :math:`-H g` from the stored pairs."""
        q = -g
        rho = [1.0 / float(y @ s) for s, y in zip(self._s, self._y, strict=True)]
        alpha = [0.0] * len(self._s)
        for i in range(len(self._s) - 1, -1, -1):
            alpha[i] = float(self._s[i] @ q) * rho[i]
            q -= alpha[i] * self._y[i]
        r = q * self._H_diag
        for i in range(len(self._s)):
            beta = float(self._y[i] @ r) * rho[i]
            r += (alpha[i] - beta) * self._s[i]
        return r

    def _remember(self, g: Array) -> None:
        """Add the pair from the last iteration to the history (PyTorch's memory update)."""
        assert self._d is not None and self._g_prev is not None
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

    def step(self, closure: Closure | None = None, *, m: float | None = None) -> float:
        """Run up to ``max_iter`` iterations; return :math:`J(\\Theta)` at the end."""
        closure = self._check_closure(closure)
        m = self.batch_size(m)
        group = self.param_groups[0]
        lr, max_iter = group["lr"], group["max_iter"]
        max_eval = group["max_eval"] if group["max_eval"] is not None else max_iter * 5 // 4
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        self.evaluations = 0
        x = self._get_x()
        f, g = self._evaluate(closure, m)
        evals = 1
        if g.size == 0 or float(np.max(np.abs(g))) <= tol_grad:
            return self._finish(f, 0, None)
        iterations = 0
        limit: str | None = None
        while iterations < max_iter:
            iterations += 1
            self._n_iter += 1
            if self._n_iter == 1:
                d = -g
                self._s, self._y, self._H_diag = [], [], 1.0
            else:
                self._remember(g)
                d = self._direction(g)
            self._g_prev = g.copy()
            f_prev = f
            t = min(1.0, 1.0 / float(np.sum(np.abs(g)))) * lr if self._n_iter == 1 else lr
            gtd = float(g @ d)
            if gtd > -tol_change:  # not a descent direction any more
                self._d, self._t = d, t
                break
            if group["line_search_fn"] == "strong_wolfe":
                x0 = x

                def evaluate(step: float, x0: Array = x0, d0: Array = d) -> tuple[float, Array]:
                    self._set_x(x0 + step * d0)
                    return self._evaluate(closure, m)

                res = strong_wolfe(
                    evaluate, f, g, d, t, tolerance_change=tol_change, max_evals=max_eval - evals
                )
                t, f, g = res.t, res.f, res.g
                x = x0 + t * d
                self._set_x(x)
                evals += res.evaluations
            else:
                x = x + t * d
                self._set_x(x)
                f, g = self._evaluate(closure, m)
                evals += 1
            self._d, self._t = d, t
            converged = float(np.max(np.abs(g))) <= tol_grad
            stalled = float(np.max(np.abs(d * t))) <= tol_change or abs(f - f_prev) < tol_change
            # PyTorch's tests, in its order; a limit only warns when no tolerance was met.
            if iterations == max_iter or evals >= max_eval:
                if not (converged or stalled):
                    limit = (
                        f"max_iter={max_iter}" if iterations == max_iter else f"max_eval={max_eval}"
                    )
                break
            if converged or stalled:
                break
        return self._finish(f, iterations, limit)

    def state_dict(self) -> dict[str, Any]:
        """Return the settings and the search state (history pairs as copies)."""
        state = super().state_dict()
        state.update(
            s=[s.copy() for s in self._s],
            y=[y.copy() for y in self._y],
            d=None if self._d is None else self._d.copy(),
            t=self._t,
            g_prev=None if self._g_prev is None else self._g_prev.copy(),
            H_diag=self._H_diag,
            n_iter=self._n_iter,
        )
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, so a run resumes exactly."""
        if "line_search" in state and "line_search_fn" not in state:  # before PyTorch's name
            state = {**state, "line_search_fn": state["line_search"]}
        super()._load_state(state)
        n = sum(p.size for p in self._trained())
        saved_s, saved_y = state.get("s", self._s), state.get("y", self._y)
        if not (isinstance(saved_s, (list, tuple)) and isinstance(saved_y, (list, tuple))):
            raise ValueError("LBFGS.load_state_dict: 's' and 'y' must be lists of vectors")
        self._s = [_pair_vector(v, n, f"s[{i}]") for i, v in enumerate(saved_s)]
        self._y = [_pair_vector(v, n, f"y[{i}]") for i, v in enumerate(saved_y)]
        if len(self._s) != len(self._y):
            raise ValueError("LBFGS.load_state_dict: 's' and 'y' must have the same length")
        self._d = load_vector(state.get("d", self._d), n, "LBFGS", "d")
        self._t = load_number(state.get("t", self._t), "LBFGS", "t")
        self._g_prev = load_vector(state.get("g_prev", self._g_prev), n, "LBFGS", "g_prev")
        self._H_diag = load_number(
            state.get("H_diag", self._H_diag), "LBFGS", "H_diag", positive=True
        )
        self._n_iter = load_count(
            state.get("n_iter", 0 if self._d is None else 2), "LBFGS", "n_iter"
        )
        if (self._d is None) != (self._g_prev is None) or (self._n_iter > 0 and self._d is None):
            raise ValueError(
                "LBFGS.load_state_dict: d and g_prev must both be vectors once an iteration ran"
                f" (n_iter={self._n_iter}), or both None before the first"
            )


def _pair_vector(value: Any, n: int, key: str) -> Array:
    """One of L-BFGS's saved s or y vectors: ``n`` finite numbers (never ``None``)."""
    vector = load_vector(value, n, "LBFGS", key)
    if vector is None:
        raise ValueError(f"LBFGS.load_state_dict: {key} is None; expected a vector")
    return vector
