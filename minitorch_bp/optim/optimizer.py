r"""The ``Optimizer`` base: parameters (each once), the notes' :math:`\lambda`, and the step contract."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_batch_size, check_positive
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import check_l2, l2_coefficient, l2_penalty

Array = NDArray[Any]


class Optimizer:
    r"""Base class of the optimizers, in the shape of ``torch.optim.Optimizer``.

    The optimizer, not the loss, owns the notes' regularisation: it turns each
    parameter's gradient :math:`\frac{1}{m}\Delta` into
    :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for the parameters that decay and
    :math:`D = \frac{1}{m}\Delta` for the others (biases), by the one rule of
    :mod:`minitorch_bp.nn.regularization`. :math:`m`, the number of examples in the batch
    behind the gradient, is passed to :meth:`step` (``opt.step(m=len(X))``); it is only
    needed when ``l2 > 0``.

    Parameters are identities: one given twice (weight tying: two models sharing a
    layer, one optimizer over both parameter lists) is kept once, with a warning, so it
    moves once per step.

    Closures:
        ``step(closure)`` takes an optional function that runs forward, the criterion and
        backward and returns the criterion's value, as in PyTorch. Optimizers that must
        re-evaluate the cost (line searches: L-BFGS, conjugate gradients) set the class
        attribute ``requires_closure = True``; a training loop passes one to them.

    Args:
        params: the parameters to update, e.g. ``model.parameters()``.
        lr: the learning rate, > 0.
        l2: the notes' :math:`\lambda \ge 0`.
    """

    requires_closure: bool = False

    def __init__(self, params: Iterable[Parameter], *, lr: float, l2: float = 0.0) -> None:
        name = type(self).__name__
        self.params: list[Parameter] = unique_parameters(params, name)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list; pass model.parameters()")
        self.lr = check_lr(lr, name)
        self.l2 = check_l2(l2, name)

    # ----------------------------------------------------------------- the λ rule
    def batch_size(self, m: Any) -> int:
        """Return ``m`` checked; ``None`` is allowed (as 1) only while ``l2 == 0``."""
        if type(m) is int and m > 0:
            return m
        if m is None:
            if self.l2:
                raise ValueError(
                    f"{type(self).__name__}.step: l2={self.l2} needs m, the number of examples"
                    " in the batch behind the gradient (the batch the loss saw):"
                    " opt.step(m=len(X))"
                )
            return 1
        return check_batch_size(m, f"{type(self).__name__}.step")

    def gradient(self, p: Parameter, m: int, out: Array | None = None) -> Array:
        r"""Return the notes' :math:`D` for ``p`` (into ``out`` if given, else a new array)."""
        c = l2_coefficient(p, self.l2, m)
        if out is None:
            out = np.empty_like(p.grad)
        if c:
            np.multiply(p.data, c, out=out)
            out += p.grad
        else:
            np.copyto(out, p.grad)
        return out

    def gradient_vector(self, m: int) -> Array:
        r"""Return :math:`D` for all parameters as one 1-D vector, in order (a new array)."""
        return np.concatenate([self.gradient(p, m).reshape(-1) for p in self.params])

    def l2_penalty(self, m: int) -> float:
        r"""Return :math:`\frac{\lambda}{2m}\sum W^2` over this optimizer's parameters that decay."""
        return l2_penalty(self.params, self.l2, check_batch_size(m, type(self).__name__))

    # ----------------------------------------------------------------- public API
    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def step(
        self, closure: Callable[[], float] | None = None, *, m: int | None = None
    ) -> float | None:
        """Update the parameters from their gradients; return ``closure()`` if given.

        Args:
            closure: runs forward, the criterion and backward; returns the criterion.
            m: the number of examples behind the gradients (``len(X)``), for the λ term.
        """
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters and any per-parameter state (arrays are copies)."""
        return {"type": type(self).__name__, "lr": self.lr, "l2": self.l2}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, all or nothing.

        If any part of ``state`` is refused, the optimizer is put back as it was and a
        ``ValueError`` names the problem, so a bad checkpoint never half-loads.
        """
        name = type(self).__name__
        if not isinstance(state, Mapping):
            raise ValueError(f"{name}.load_state_dict: state is {type(state).__name__}, not a dict")
        backup = self.state_dict()
        try:
            self._load_state(state)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            self._load_state(backup)
            if isinstance(exc, ValueError):
                raise
            raise ValueError(f"{name}.load_state_dict: malformed state ({exc!r})") from exc

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Apply ``state``; subclasses extend this (``load_state_dict`` makes it atomic)."""
        name = type(self).__name__
        if state.get("type", name) != name:
            raise ValueError(f"{name}.load_state_dict: state is for {state['type']}")
        self.lr = check_lr(state.get("lr", self.lr), name)
        self.l2 = check_l2(state.get("l2", self.l2), name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, l2={self.l2})"


def unique_parameters(params: Iterable[Parameter], who: str) -> list[Parameter]:
    """Return ``params`` in order with repeats removed, warning when there were any."""
    out: list[Parameter] = []
    seen: set[int] = set()
    repeated = 0
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"{who}: params[{i}] is {type(p).__name__}, not a Parameter")
        if id(p) in seen:
            repeated += 1
            continue
        seen.add(id(p))
        out.append(p)
    if repeated:
        warnings.warn(
            f"{who}: {repeated} parameter(s) were given more than once (shared by two"
            " layers or models); each is kept once and moves once per step",
            UserWarning,
            stacklevel=3,
        )
    return out


def check_lr(lr: Any, who: str) -> float:
    """Return ``lr`` as a float if it is a finite number > 0 (not a bool or a string)."""
    if isinstance(lr, (bool, str)):
        raise ValueError(f"{who}: lr={lr!r} must be a finite number > 0")
    return check_positive(lr, "lr", who)
