r"""Shared machinery of the closure-driven optimizers (L-BFGS, conjugate gradients)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative, check_positive_int
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim.optimizer import Array, Optimizer
from minitorch_bp.utils import parameters_to_vector, vector_to_parameters

Closure = Callable[[], float]


class FullBatchOptimizer(Optimizer):
    r"""Base of the optimizers that minimise the notes' full :math:`J(\Theta)` by a closure.

    The closure runs forward, the criterion and backward and returns the criterion's
    value (the data term), exactly as for :class:`~minitorch_bp.optim.SGD`. The optimizer
    zeroes the gradients before each call, then adds the notes' regularisation itself:

    .. math::
        J(\Theta) = \text{closure}() + \frac{\lambda}{2m}\sum W^2, \qquad
        \nabla J = \frac{1}{m}\Delta + \frac{\lambda}{m} W \ \text{(weights)},

    with :math:`m` the batch size given to :meth:`step` (``step(closure, m=len(X))``). The search works on the
    unrolled parameter vector (the course's ``nn_params``) in float64 and writes each trial
    point back into the parameters in their own dtype.

    Attributes:
        iterations: iterations done by the last :meth:`step`.
        evaluations: closure calls made by the last :meth:`step`.
        objective: :math:`J(\Theta)` at the end of the last :meth:`step`.
        total_iterations, total_evaluations: the same, summed over all steps.
    """

    requires_closure = True

    def __init__(
        self,
        params: Iterable[Parameter],
        *,
        l2: float,
        max_iter: int,
        tolerance_grad: float,
        tolerance_change: float,
    ) -> None:
        super().__init__(params, lr=1.0, l2=l2)
        name = type(self).__name__
        self.max_iter = check_positive_int(max_iter, "max_iter", name)
        self.tolerance_grad = check_nonnegative(tolerance_grad, "tolerance_grad", name)
        self.tolerance_change = check_nonnegative(tolerance_change, "tolerance_change", name)
        self.iterations = 0
        self.evaluations = 0
        self.objective = math.nan
        self.total_iterations = 0
        self.total_evaluations = 0

    def _check_closure(self, closure: Closure | None) -> Closure:
        if closure is None or not callable(closure):
            raise ValueError(
                f"{type(self).__name__}.step needs a closure that runs forward, the criterion"
                " and backward and returns the criterion's value; got"
                f" {type(closure).__name__}"
            )
        return closure

    def _get_x(self) -> Array:
        return np.array(parameters_to_vector(self.params), dtype=np.float64, copy=True)

    def _set_x(self, x: Array) -> None:
        vector_to_parameters(x, self.params)

    def _evaluate(self, closure: Closure, m: int) -> tuple[float, Array]:
        r"""Return :math:`J(\Theta)` and :math:`\nabla J` (float64) at the current parameters."""
        self.zero_grad()
        value = float(closure())
        self.evaluations += 1
        self.total_evaluations += 1
        f = value + (self.l2_penalty(m) if self.l2 else 0.0)
        g = np.asarray(self.gradient_vector(m), dtype=np.float64)
        return f, g

    def _finish(self, f: float, iterations: int) -> float:
        self.iterations = iterations
        self.total_iterations += iterations
        self.objective = f
        return f

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters and counters (subclasses add their search state)."""
        state = super().state_dict()
        state.update(
            max_iter=self.max_iter,
            tolerance_grad=self.tolerance_grad,
            tolerance_change=self.tolerance_change,
            total_iterations=self.total_iterations,
            total_evaluations=self.total_evaluations,
        )
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        super()._load_state(state)
        name = type(self).__name__
        self.max_iter = check_positive_int(state.get("max_iter", self.max_iter), "max_iter", name)
        tg = state.get("tolerance_grad", self.tolerance_grad)
        tc = state.get("tolerance_change", self.tolerance_change)
        self.tolerance_grad = check_nonnegative(tg, "tolerance_grad", name)
        self.tolerance_change = check_nonnegative(tc, "tolerance_change", name)
        self.total_iterations = int(state.get("total_iterations", self.total_iterations))
        self.total_evaluations = int(state.get("total_evaluations", self.total_evaluations))


def optional_vector(value: Any) -> Array | None:
    """``None`` stays ``None``; anything else becomes a float64 copy (for load_state_dict)."""
    return None if value is None else np.array(value, dtype=np.float64, copy=True)
