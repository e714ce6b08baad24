r"""The one λ rule: the notes' :math:`\frac{\lambda}{2m}\sum\Theta^2` term of :math:`J(\Theta)` and its gradient.

Which parameters decay, what the penalty is and what it adds to the gradient are decided
here and nowhere else; every optimizer, :func:`~minitorch_bp.train.fit`,
:func:`~minitorch_bp.train.evaluate`, :func:`~minitorch_bp.gradcheck` and the engine call
these functions, so the logged :math:`J(\Theta)` is always the objective being minimised.

- A parameter decays when ``p.regularized`` is ``True`` (weights by default; biases, the
  notes' :math:`j = 0` column, are created with ``regularized=False``) and it is trained
  (``p.requires_grad``: a frozen parameter is a constant, neither counted nor decayed). A
  user's own layer gets weight decay for its ``Parameter`` without doing anything.
- The penalty is :math:`\frac{\lambda}{2m}\sum_{\text{decaying}}\Theta^2` and its gradient
  :math:`\frac{\lambda}{m}\Theta`, so :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for
  weights and :math:`\frac{1}{m}\Delta` for biases.
- :math:`m` is always passed explicitly: the number of examples in the batch the loss saw
  (``len(X)``), as in scikit-learn's MLP; with sample weights :math:`s_i`, their total
  :math:`\sum_i s_i` (scikit-learn's ``sw_sum``), which is :math:`m` for unit weights.
- Parameter groups (:attr:`Optimizer.param_groups <minitorch_bp.optim.Optimizer.param_groups>`)
  each have their own :math:`\lambda`; the optimizer calls these functions group by group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_example_count, check_nonnegative
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


def _params(model: Module | Iterable[Parameter]) -> list[Parameter]:
    if isinstance(model, list):  # an optimizer's group: no copy on a step's path
        return model
    return model.parameters() if isinstance(model, Module) else list(model)


def decays(p: Parameter) -> bool:
    """Whether the λ term covers ``p``: the one place that reads ``Parameter.regularized``.

    A frozen parameter (``requires_grad=False``) does not decay: training leaves it as it is.
    """
    return p.regularized and p.requires_grad


def l2_coefficient(p: Parameter, l2: float, m: float) -> float:
    r"""Return :math:`\lambda/m` if ``p`` decays, else 0: the factor of :math:`\Theta` in :math:`D`."""
    return l2 / m if l2 and decays(p) else 0.0


def l2_penalty(model: Module | Iterable[Parameter], l2: float, m: float) -> float:
    r"""Return :math:`\frac{\lambda}{2m}\sum_{l=1}^{L-1}\sum_{i=1}^{s_l}\sum_{j=1}^{s_{l+1}}(\Theta^{(l)}_{ji})^2`.

    Only parameters that decay count (see :func:`decays`): the bias column :math:`j = 0`
    of each :math:`\Theta^{(l)}` is left out, as in the notes. The notes' full cost is
    ``criterion(model(X), Y) + l2_penalty(model, l2, len(X))``, and its gradient is what
    every optimizer with ``l2=λ`` applies when stepped with ``m=len(X)``.

    Args:
        model: a module, or an iterable of parameters.
        l2: :math:`\lambda \ge 0`.
        m: the number of examples :math:`m \ge 1` (or their total sample weight, > 0).

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(2, 1, rng=0)
        >>> layer.theta = [[5.0, 1.0, 2.0]]          # bias 5 is not regularised
        >>> l2_penalty(layer, l2=1.0, m=5)          # 1/(2*5) * (1 + 4)
        0.5
    """
    lam = check_l2(l2, "l2_penalty")
    m = check_example_count(m, "l2_penalty")
    if lam == 0:
        return 0.0
    total = sum(float(np.vdot(p.data, p.data)) for p in _params(model) if decays(p))
    return lam / (2.0 * m) * total


def l2_gradient(p: Parameter, l2: float, m: float) -> Array:
    r"""Return the notes' :math:`D` for one parameter: ``grad + (λ/m)·data`` if it decays, else ``grad``.

    After one backward over a batch of :math:`m` examples with the default ``batchmean``
    loss, ``p.grad`` is :math:`\frac{1}{m}\Delta`, so this is
    :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for weights and :math:`\frac{1}{m}\Delta`
    for biases (the notes' :math:`j = 0` case). A new array.

    Example:
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.array([2.0]))
        >>> p.grad = [0.5]
        >>> l2_gradient(p, l2=3.0, m=4)   # 0.5 + 3/4 * 2
        array([2.])
    """
    lam = check_l2(l2, "l2_gradient")
    c = l2_coefficient(p, lam, check_example_count(m, "l2_gradient"))
    out: Array = p.grad.copy()
    if c:
        out += c * p.data
    return out


def check_l2(l2: Any, who: str) -> float:
    """Return ``l2`` as a float if it is a finite number >= 0, else raise ``ValueError``."""
    if isinstance(l2, bool):
        raise ValueError(f"{who}: l2={l2!r} must be a finite number >= 0 (the notes' λ)")
    return check_nonnegative(l2, "l2", who, hint=" (the notes' λ)")
