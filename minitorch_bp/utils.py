r"""Unrolling parameters into one vector (the course's ``nn_params``) and back; clipping gradients."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


def parameters_to_vector(params: Iterable[Parameter]) -> Array:
    r"""Return all parameters as one new 1-D vector, in order (W1, b1, W2, b2, ...).

    As ``torch.nn.utils.parameters_to_vector``: a copy, so writing into it changes
    nothing; :func:`vector_to_parameters` writes a vector back.

    Example:
        >>> from minitorch_bp import nn
        >>> model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=0))
        >>> parameters_to_vector(model.parameters()).shape   # 4 + 2 + 2 + 1
        (9,)
    """
    return _unroll(params, grads=False)


def grads_to_vector(params: Iterable[Parameter]) -> Array:
    """Like :func:`parameters_to_vector`, for the gradients."""
    return _unroll(params, grads=True)


def _unroll(params: Iterable[Parameter], *, grads: bool) -> Array:
    plist = list(params)
    if not plist:
        return np.empty(0)
    return np.concatenate([(p.grad if grads else p.data).reshape(-1) for p in plist])


def vector_to_parameters(vec: Any, params: Iterable[Parameter]) -> None:
    """Copy ``vec`` into the parameters, in order; the inverse of :func:`parameters_to_vector`.

    The round trip is exact (a copy, no arithmetic).

    Raises:
        ValueError: if ``vec`` is not 1-D or its length differs from the parameter count.
    """
    plist = list(params)
    arr = np.asarray(vec)
    total = sum(p.size for p in plist)
    if arr.ndim != 1 or arr.size != total:
        raise ValueError(
            f"vector_to_parameters: vec has shape {arr.shape}; expected ({total},) for"
            f" {len(plist)} parameters"
        )
    pos = 0
    for p in plist:
        p.data = arr[pos : pos + p.size].reshape(p.shape)
        pos += p.size


#: What :func:`clipper` returns: clips the gradients of the parameters given, returns the norm.
GradientClip = Callable[[Sequence[Parameter]], "float | None"]


def _trained(parameters: Parameter | Iterable[Parameter], who: str) -> list[Parameter]:
    plist = [parameters] if isinstance(parameters, Parameter) else list(parameters)
    for i, p in enumerate(plist):
        if not isinstance(p, Parameter):
            raise TypeError(f"{who}: parameters[{i}] is {type(p).__name__}, not a Parameter")
    return [p for p in plist if p.requires_grad]  # a frozen one has no gradient to clip


def clip_grad_norm_(
    parameters: Parameter | Iterable[Parameter],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    r"""Scale the gradients so that their total norm is at most ``max_norm``; return the norm before.

    PyTorch's ``torch.nn.utils.clip_grad_norm_``: with
    :math:`\nu = \big(\sum_p \lVert g_p\rVert_q^q\big)^{1/q}` over all gradients together
    (:math:`q` = ``norm_type``; ``inf`` takes the largest :math:`|g|`), every gradient is
    multiplied by :math:`\min\big(1, \frac{\text{max\_norm}}{\nu + 10^{-6}}\big)`. Frozen
    parameters (``requires_grad=False``) are left out. Call it between ``backward`` and
    ``opt.step``; the λ term the optimizer adds is not clipped (as PyTorch's weight decay).

    Args:
        parameters: a ``Parameter`` or an iterable of them (``model.parameters()``).
        max_norm: the largest norm allowed, >= 0.
        norm_type: :math:`q > 0`, or ``float("inf")``.
        error_if_nonfinite: raise instead of scaling when :math:`\nu` is NaN or inf.

    Example:
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.zeros(2))
        >>> p.grad = [3.0, 4.0]
        >>> clip_grad_norm_([p], max_norm=1.0)          # the norm before: 5
        5.0
        >>> p.grad.round(6)                              # now of norm 1 (less 1e-6 / 5)
        array([0.6, 0.8])
    """
    who = "clip_grad_norm_"
    if isinstance(max_norm, bool) or not (isinstance(max_norm, (int, float)) and max_norm >= 0):
        raise ValueError(f"{who}: max_norm={max_norm!r} must be a number >= 0")
    q = float(norm_type)
    if not (q > 0):
        raise ValueError(f"{who}: norm_type={norm_type!r} must be > 0 (or inf)")
    grads = [p.grad for p in _trained(parameters, who)]
    if not grads:
        return 0.0
    if math.isinf(q):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = [float(np.linalg.norm(g.reshape(-1), ord=q)) for g in grads]
        total = float(np.linalg.norm(np.array(norms), ord=q))
    if error_if_nonfinite and not math.isfinite(total):
        raise FloatingPointError(
            f"{who}: the total norm of the gradients is {total}; set error_if_nonfinite=False"
            " to scale them anyway"
        )
    coef = min(1.0, float(max_norm) / (total + 1e-6))
    for g in grads:
        g *= coef
    return total


def clip_grad_value_(parameters: Parameter | Iterable[Parameter], clip_value: float) -> None:
    r"""Clip every gradient entry into :math:`[-c, c]`, in place (PyTorch's ``clip_grad_value_``).

    Frozen parameters are left out.

    Example:
        >>> from minitorch_bp import nn
        >>> p = nn.Parameter(np.zeros(3))
        >>> p.grad = [-2.0, 0.5, 3.0]
        >>> clip_grad_value_([p], 1.0)
        >>> p.grad
        array([-1. ,  0.5,  1. ])
    """
    who = "clip_grad_value_"
    if isinstance(clip_value, bool) or not (
        isinstance(clip_value, (int, float)) and clip_value >= 0 and math.isfinite(clip_value)
    ):
        raise ValueError(f"{who}: clip_value={clip_value!r} must be a finite number >= 0")
    c = float(clip_value)
    for p in _trained(parameters, who):
        np.clip(p.grad, -c, c, out=p.grad)


def clipper(max_norm: float | None, clip_value: float | None, who: str) -> GradientClip | None:
    """The clipping a training loop asked for (``fit``'s and ``compile_step``'s options), or ``None``."""
    if max_norm is not None and clip_value is not None:
        raise ValueError(f"{who}: give clip_grad_norm or clip_grad_value, not both")
    if max_norm is not None:
        clip_grad_norm_([], max_norm)  # checks the value now, not at the first step
        return lambda params: clip_grad_norm_(params, max_norm)
    if clip_value is not None:
        clip_grad_value_([], clip_value)
        return lambda params: clip_grad_value_(params, clip_value)
    return None
