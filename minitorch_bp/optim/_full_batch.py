r"""Shared machinery of the closure-driven optimizers (L-BFGS, conjugate gradients)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative, check_positive_int
from minitorch_bp.optim._buffers import load_count
from minitorch_bp.optim.optimizer import Array, Optimizer
from minitorch_bp.utils import parameters_to_vector, vector_to_parameters

Closure = Callable[[], float]


class ConvergenceWarning(UserWarning):
    """An optimizer stopped on its iteration or evaluation limit before its tolerances were met.

    Like scikit-learn's: the result is usable but not a minimum. Raise the limit, or call
    ``step`` again (the search state carries over). Silence it with
    ``warnings.simplefilter("ignore", optim.ConvergenceWarning)``.
    """


class FullBatchOptimizer(Optimizer):
    r"""Base of the optimizers that minimise the notes' full :math:`J(\Theta)` by a closure.

    The closure runs forward, the criterion and backward and returns the criterion's
    value (the data term), exactly as for :class:`~minitorch_bp.optim.SGD`. The optimizer
    zeroes the gradients before each call, then adds the notes' regularisation itself:

    .. math::
        J(\Theta) = \text{closure}() + \frac{\lambda}{2m}\sum W^2, \qquad
        \nabla J = \frac{1}{m}\Delta + \frac{\lambda}{m} W \ \text{(weights)},

    with :math:`m` the batch size given to :meth:`step` (``step(closure, m=len(X))``). The
    search works on the unrolled vector of the trained parameters (the course's
    ``nn_params``; frozen ones are left out) in float64 and writes each trial point back
    into the parameters in their own dtype. Like PyTorch's L-BFGS it takes one parameter
    group: the hyper-parameters are attributes (``opt.max_iter = 100``).

    When a :meth:`step` ends on ``max_iter`` or ``max_eval`` before a tolerance was met it
    warns with :class:`ConvergenceWarning`.

    Attributes:
        iterations: iterations done by the last :meth:`step`.
        evaluations: closure calls made by the last :meth:`step`.
        objective: :math:`J(\Theta)` at the end of the last :meth:`step`.
        converged: whether the last :meth:`step` stopped on a tolerance (not a limit).
        total_iterations, total_evaluations: the same, summed over all steps.
    """

    requires_closure = True

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                f"{type(self).__name__} searches along one vector of all its parameters, so it"
                f" takes one parameter group (got {len(self.param_groups)}); to keep some"
                " parameters fixed, freeze them with requires_grad=False"
            )
        self.iterations = 0
        self.evaluations = 0
        self.objective = math.nan
        self.converged = False
        self.total_iterations = 0
        self.total_evaluations = 0

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        name = type(self).__name__
        if "max_iter" in group:
            group["max_iter"] = check_positive_int(group["max_iter"], "max_iter", name)
        for key in ("tolerance_grad", "tolerance_change"):
            if key in group:
                group[key] = check_nonnegative(group[key], key, name)
        return group

    def _set(self, key: str, value: Any) -> None:
        group = self.param_groups[0]
        group[key] = self.check_group({**group, key: value}, "param_groups[0]")[key]

    @property
    def max_iter(self) -> int:
        """The most iterations per :meth:`step`."""
        value: int = self.param_groups[0]["max_iter"]
        return value

    @max_iter.setter
    def max_iter(self, value: int) -> None:
        self._set("max_iter", value)

    @property
    def tolerance_grad(self) -> float:
        r"""Stop when :math:`\max_i |\nabla J_i|` is at most this."""
        value: float = self.param_groups[0]["tolerance_grad"]
        return value

    @tolerance_grad.setter
    def tolerance_grad(self, value: float) -> None:
        self._set("tolerance_grad", value)

    @property
    def tolerance_change(self) -> float:
        r"""Stop when :math:`J` or :math:`\Theta` change by less than this."""
        value: float = self.param_groups[0]["tolerance_change"]
        return value

    @tolerance_change.setter
    def tolerance_change(self, value: float) -> None:
        self._set("tolerance_change", value)

    def _check_closure(self, closure: Closure | None) -> Closure:
        if closure is None or not callable(closure):
            raise ValueError(
                f"{type(self).__name__}.step needs a closure that runs forward, the criterion"
                " and backward and returns the criterion's value; got"
                f" {type(closure).__name__}"
            )
        return closure

    def _trained(self) -> list[Any]:
        return [p for p in self.params if p.requires_grad]

    def _get_x(self) -> Array:
        return np.array(parameters_to_vector(self._trained()), dtype=np.float64, copy=True)

    def _set_x(self, x: Array) -> None:
        vector_to_parameters(x, self._trained())

    def _evaluate(self, closure: Closure, m: float) -> tuple[float, Array]:
        r"""Return :math:`J(\Theta)` and :math:`\nabla J` (float64) at the current parameters."""
        self.zero_grad()
        value = float(closure())
        self.evaluations += 1
        self.total_evaluations += 1
        f = value + self.l2_penalty(m)
        trained = self._trained()
        if not trained:
            return f, np.empty(0)
        g = np.concatenate([self.gradient(p, m).reshape(-1) for p in trained])
        return f, np.asarray(g, dtype=np.float64)

    def _finish(self, f: float, iterations: int, limit: str | None) -> float:
        """Record the step; ``limit`` names the limit it stopped on (``None``: a tolerance)."""
        self.iterations = iterations
        self.total_iterations += iterations
        self.objective = f
        self.converged = limit is None
        if limit is not None:
            warnings.warn(
                f"{type(self).__name__}.step stopped on its limit {limit} before"
                f" tolerance_grad={self.tolerance_grad} or tolerance_change="
                f"{self.tolerance_change} was met: J(Θ) is not at a minimum yet; raise the"
                " limit, or call step again to continue",
                ConvergenceWarning,
                stacklevel=3,
            )
        return f

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters and counters (subclasses add their search state)."""
        state = super().state_dict()
        state.update(
            total_iterations=self.total_iterations, total_evaluations=self.total_evaluations
        )
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        super()._load_state(state)
        name = type(self).__name__
        self.total_iterations = load_count(
            state.get("total_iterations", self.total_iterations), name, "total_iterations"
        )
        self.total_evaluations = load_count(
            state.get("total_evaluations", self.total_evaluations), name, "total_evaluations"
        )
