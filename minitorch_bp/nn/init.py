r"""Weight initialisation, in place, in the shape of ``torch.nn.init``.

Every function takes a :class:`~minitorch_bp.nn.Parameter` or an ndarray, fills it in
place and returns it. The random ones take ``rng``: a seed or a ``np.random.Generator``
(``None`` draws fresh entropy); values are drawn in float64 and then stored in the
array's dtype, so a float32 layer holds the rounded float64 draw.

For a Linear-shaped weight ``(out_features, in_features)`` the fans are
:math:`\text{fan\_in} = s_l` (``in_features``) and :math:`\text{fan\_out} = s_{l+1}`
(``out_features``), as in PyTorch.

==========================  ========================================================
function                    distribution
==========================  ========================================================
``uniform_epsilon_``        :math:`U(-\epsilon, \epsilon)`, :math:`\epsilon = \sqrt{6}/\sqrt{s_l + s_{l+1}}` (the course's, Linear's default)
``xavier_uniform_``         :math:`U(-b, b)`, :math:`b = \text{gain}\sqrt{6/(\text{fan\_in} + \text{fan\_out})}`
``xavier_normal_``          :math:`N(0, \sigma^2)`, :math:`\sigma = \text{gain}\sqrt{2/(\text{fan\_in} + \text{fan\_out})}`
``kaiming_uniform_``        :math:`U(-b, b)`, :math:`b = \text{gain}\sqrt{3/\text{fan}}`
``kaiming_normal_``         :math:`N(0, \sigma^2)`, :math:`\sigma = \text{gain}/\sqrt{\text{fan}}`
``zeros_``                  0
==========================  ========================================================

With the default gain 1, ``xavier_uniform_`` draws from the same interval as
``uniform_epsilon_``; they differ only in that the course draws the bias column too.
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._random import as_generator
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]
Seed = int | np.random.Generator | None
T = TypeVar("T", Parameter, NDArray[Any])

Nonlinearity = Literal["linear", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"]

__all__ = [
    "calculate_gain",
    "fans",
    "kaiming_normal_",
    "kaiming_uniform_",
    "uniform_epsilon_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _storage(tensor: Parameter | Array, who: str) -> Array:
    if isinstance(tensor, Parameter):
        return tensor.data
    if isinstance(tensor, np.ndarray) and tensor.dtype.kind == "f":
        return tensor
    raise ValueError(
        f"init.{who}: expected a Parameter or a float ndarray; got {type(tensor).__name__}"
        + (f" of dtype {tensor.dtype}" if isinstance(tensor, np.ndarray) else "")
    )


def _generator(rng: Seed) -> np.random.Generator:
    # A Generator is returned unchanged, so a shared Generator advances.
    return as_generator(rng, "nn.init")


def fans(tensor: Parameter | Array) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of shape ``(out, in, *receptive)``.

    Example:
        >>> fans(np.empty((25, 400)))
        (400, 25)
    """
    shape = _storage(tensor, "fans").shape
    if len(shape) < 2:
        raise ValueError(
            f"init: fan_in and fan_out need a weight of at least 2 dimensions (out, in);"
            f" got shape {shape}. Use zeros_ or uniform_epsilon_(weight, bias) for a bias"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: Nonlinearity, param: float | None = None) -> float:
    r"""Return PyTorch's recommended gain for a nonlinearity.

    ``linear``/``identity``/``sigmoid``: 1; ``tanh``: 5/3; ``relu``: :math:`\sqrt{2}`;
    ``leaky_relu``: :math:`\sqrt{2/(1 + a^2)}` with ``param`` = :math:`a` (default 0.01);
    ``softmax``: 1.

    Example:
        >>> calculate_gain("relu") == math.sqrt(2)
        True
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "softmax"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else param
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not math.isfinite(a):
            raise ValueError(f"init.calculate_gain: param={param!r} must be a finite number")
        return math.sqrt(2.0 / (1.0 + a * a))
    raise ValueError(
        f"init.calculate_gain: unknown nonlinearity={nonlinearity!r}; expected one of"
        " 'linear', 'identity', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'softmax'"
    )


def _fill(target: Array, values: Array) -> None:
    np.copyto(target, values, casting="same_kind")


def uniform_epsilon_(weight: T, bias: Parameter | Array | None = None, *, rng: Seed = None) -> T:
    r"""The course's initialisation: :math:`U(-\epsilon, \epsilon)`, :math:`\epsilon = \sqrt{6}/\sqrt{s_l + s_{l+1}}`.

    With ``bias``, weight and bias are filled from **one** draw of the notes'
    :math:`\Theta^{(l)}`, shape ``(out, in + 1)``: column 0 goes to the bias and the rest
    to the weight, exactly as the course's ``rand(s_{l+1}, s_l + 1) * 2ε − ε``. This is
    :class:`~minitorch_bp.nn.Linear`'s default, so ``Linear(i, o, rng=seed).theta`` equals
    ``np.random.default_rng(seed).uniform(-ε, ε, size=(o, i + 1))`` bit for bit.
    Without ``bias`` the draw has the weight's shape. :math:`\epsilon` uses
    :math:`s_l` = ``in`` and :math:`s_{l+1}` = ``out`` (the bias unit is not counted).

    Args:
        weight: shape ``(out, in)``.
        bias: optional, shape ``(out,)``.
        rng: seed or ``np.random.Generator``.

    Returns:
        ``weight``.

    Example:
        >>> w, b = np.empty((2, 3)), np.empty(2)
        >>> _ = uniform_epsilon_(w, b, rng=0)
        >>> eps = math.sqrt(6) / math.sqrt(3 + 2)
        >>> theta = np.random.default_rng(0).uniform(-eps, eps, size=(2, 4))
        >>> bool((w == theta[:, 1:]).all() and (b == theta[:, 0]).all())
        True
    """
    w = _storage(weight, "uniform_epsilon_")
    if w.ndim != 2:
        raise ValueError(f"init.uniform_epsilon_: weight must have shape (out, in); got {w.shape}")
    out_f, in_f = w.shape
    eps = math.sqrt(6.0) / math.sqrt(in_f + out_f)
    gen = _generator(rng)
    if bias is None:
        _fill(w, gen.uniform(-eps, eps, size=w.shape))
        return weight
    b = _storage(bias, "uniform_epsilon_")
    if b.shape != (out_f,):
        raise ValueError(
            f"init.uniform_epsilon_: bias must have shape ({out_f},) to match weight"
            f" {w.shape}; got {b.shape}"
        )
    theta = gen.uniform(-eps, eps, size=(out_f, in_f + 1))
    _fill(w, theta[:, 1:])
    _fill(b, theta[:, 0])
    return weight


def xavier_uniform_(tensor: T, gain: float = 1.0, *, rng: Seed = None) -> T:
    r"""Glorot uniform: :math:`U(-b, b)`, :math:`b = \text{gain}\sqrt{6/(\text{fan\_in} + \text{fan\_out})}`.

    Example:
        >>> w = xavier_uniform_(np.empty((300, 200)), rng=0)
        >>> bool(np.abs(w).max() <= math.sqrt(6 / 500))
        True
    """
    arr = _storage(tensor, "xavier_uniform_")
    fan_in, fan_out = fans(arr)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    _fill(arr, _generator(rng).uniform(-bound, bound, size=arr.shape))
    return tensor


def xavier_normal_(tensor: T, gain: float = 1.0, *, rng: Seed = None) -> T:
    r"""Glorot normal: :math:`N(0, \sigma^2)`, :math:`\sigma = \text{gain}\sqrt{2/(\text{fan\_in} + \text{fan\_out})}`."""
    arr = _storage(tensor, "xavier_normal_")
    fan_in, fan_out = fans(arr)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    _fill(arr, _generator(rng).normal(0.0, std, size=arr.shape))
    return tensor


def _kaiming_std(
    arr: Array, a: float, mode: Literal["fan_in", "fan_out"], nonlinearity: Nonlinearity, who: str
) -> float:
    fan_in, fan_out = fans(arr)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init.{who}: mode={mode!r} must be 'fan_in' or 'fan_out'")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: T,
    a: float = 0.0,
    mode: Literal["fan_in", "fan_out"] = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    *,
    rng: Seed = None,
) -> T:
    r"""He uniform: :math:`U(-b, b)`, :math:`b = \text{gain}\sqrt{3/\text{fan}}`.

    The defaults are PyTorch's: ``leaky_relu`` with ``a = 0`` (gain :math:`\sqrt{2}`, the
    same as ``"relu"``) and ``mode="fan_in"`` (fan = ``in_features``).

    Example:
        >>> w = kaiming_uniform_(np.empty((100, 50)), nonlinearity="relu", rng=0)
        >>> bool(np.abs(w).max() <= math.sqrt(2) * math.sqrt(3 / 50))
        True
    """
    arr = _storage(tensor, "kaiming_uniform_")
    bound = math.sqrt(3.0) * _kaiming_std(arr, a, mode, nonlinearity, "kaiming_uniform_")
    _fill(arr, _generator(rng).uniform(-bound, bound, size=arr.shape))
    return tensor


def kaiming_normal_(
    tensor: T,
    a: float = 0.0,
    mode: Literal["fan_in", "fan_out"] = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    *,
    rng: Seed = None,
) -> T:
    r"""He normal: :math:`N(0, \sigma^2)`, :math:`\sigma = \text{gain}/\sqrt{\text{fan}}` (defaults as :func:`kaiming_uniform_`)."""
    arr = _storage(tensor, "kaiming_normal_")
    std = _kaiming_std(arr, a, mode, nonlinearity, "kaiming_normal_")
    _fill(arr, _generator(rng).normal(0.0, std, size=arr.shape))
    return tensor


def zeros_(tensor: T) -> T:
    """Fill with zeros (any shape, e.g. a bias).

    Example:
        >>> zeros_(np.ones(3))
        array([0., 0., 0.])
    """
    _storage(tensor, "zeros_").fill(0)
    return tensor
