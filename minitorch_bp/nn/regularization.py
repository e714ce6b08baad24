r"""The notes' L2 regularisation: the :math:`\frac{\lambda}{2m}\sum\Theta^2` term of :math:`J(\Theta)`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


def _params(model: Module | Iterable[Parameter]) -> list[Parameter]:
    return model.parameters() if isinstance(model, Module) else list(model)


def l2_penalty(model: Module | Iterable[Parameter], l2: float, m: int) -> float:
    r"""Return :math:`\frac{\lambda}{2m}\sum_{l=1}^{L-1}\sum_{i=1}^{s_l}\sum_{j=1}^{s_{l+1}}(\Theta^{(l)}_{ji})^2`.

    Only weights count (parameters with ``regularized=True``): the bias column
    :math:`j = 0` of each :math:`\Theta^{(l)}` is left out, as in the notes. The notes'
    full cost is ``criterion(model(X), Y) + l2_penalty(model, l2, m)``, and its gradient
    is exactly what :class:`~minitorch_bp.optim.SGD` with ``l2=λ`` applies.

    Args:
        model: a module, or an iterable of parameters.
        l2: :math:`\lambda \ge 0`.
        m: the number of examples :math:`m \ge 1`.

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(2, 1, rng=0)
        >>> layer.theta = [[5.0, 1.0, 2.0]]          # bias 5 is not regularised
        >>> l2_penalty(layer, l2=1.0, m=5)          # 1/(2*5) * (1 + 4)
        0.5
    """
    check_l2(l2, "l2_penalty")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"l2_penalty: m={m!r} must be a positive integer (the batch size)")
    if l2 == 0:
        return 0.0
    total = sum(float(np.vdot(p.data, p.data)) for p in _params(model) if p.regularized)
    return l2 / (2.0 * m) * total


def l2_gradient(p: Parameter, l2: float) -> Array:
    r"""Return the notes' :math:`D` for one parameter: ``grad + (λ·inv_m)·data`` for weights.

    With one backward over a batch of :math:`m` examples, ``p.grad`` is
    :math:`\frac{1}{m}\Delta` and ``p.inv_m`` is :math:`\frac{1}{m}`, so this is
    :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for weights and
    :math:`\frac{1}{m}\Delta` for biases (the notes' :math:`j = 0` case). A new array.
    """
    out: Array = p.grad.copy()
    if l2 != 0 and p.regularized:
        out += (l2 * p.inv_m) * p.data
    return out


def check_l2(l2: Any, who: str) -> float:
    """Return ``l2`` as a float if it is a finite number >= 0, else raise ``ValueError``."""
    return check_nonnegative(l2, "l2", who, hint=" (the notes' λ)")
