r"""The ``Optimizer`` base: parameters, the notes' :math:`\lambda`, and the flat buffers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_positive
from minitorch_bp.nn.parameter import Parameter, flat_buffers, pack_parameters
from minitorch_bp.nn.regularization import check_l2, l2_gradient

Array = NDArray[Any]


class Optimizer:
    r"""Base class of the optimizers, in the shape of ``torch.optim.Optimizer``.

    The optimizer, not the loss, owns the notes' regularisation: it turns each
    parameter's gradient :math:`\frac{1}{m}\Delta` into
    :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for weights and
    :math:`D = \frac{1}{m}\Delta` for biases, with :math:`m` the number of examples in the
    batch behind the gradient (recorded by backward in :attr:`Parameter.inv_m`).

    When all parameters share one dtype they are packed into one contiguous buffer
    (each ``Parameter`` a view into it), so an update is a few whole-array operations.

    Closures:
        ``step(closure)`` takes an optional function that runs forward, the criterion and
        backward and returns the criterion's value, as in PyTorch. Optimizers that must
        re-evaluate the cost (line searches: L-BFGS, conjugate gradients) set the class
        attribute ``requires_closure = True``; a training loop passes one to them.

    Args:
        params: the parameters to update, e.g. ``model.parameters()``.
        lr: the learning rate, > 0.
        l2: the notes' :math:`\lambda \ge 0`.
        regularize_bias: if ``True`` the bias column is regularised too (not the notes).
    """

    requires_closure: bool = False

    def __init__(
        self,
        params: Iterable[Parameter],
        *,
        lr: float,
        l2: float = 0.0,
        regularize_bias: bool = False,
    ) -> None:
        name = type(self).__name__
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list; pass model.parameters()")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"{name}: params[{i}] is {type(p).__name__}, not a Parameter")
        self.lr = check_lr(lr, name)
        self.l2 = check_l2(l2, name)
        self.regularize_bias = regularize_bias
        self._flat: tuple[Array, Array] | None = pack_parameters(self.params)

    # ----------------------------------------------------------------- helpers
    def flat(self) -> tuple[Array, Array] | None:
        """Return the 1-D ``(data, grad)`` views over all parameters, or ``None``.

        Re-checked on each call: if something re-packed the parameters (for example a
        new ``Sequential`` built from the same layers) the views are found again.
        """
        flat = self._flat
        if flat is not None:
            base_d, base_g = flat[0].base, flat[1].base
            if all(p._data.base is base_d and p._grad.base is base_g for p in self.params):
                return flat
        self._flat = flat_buffers(self.params) or pack_parameters(self.params)
        return self._flat

    def regularized(self, p: Parameter) -> bool:
        """Whether the :math:`\\lambda` term applies to ``p``."""
        return self.l2 != 0.0 and (p.regularized or self.regularize_bias)

    def gradient(self, p: Parameter) -> Array:
        r"""Return the notes' :math:`D` for ``p`` (a new array)."""
        if self.regularize_bias and not p.regularized and self.l2 != 0.0:
            return p.grad + (self.l2 * p.inv_m) * p.data
        return l2_gradient(p, self.l2)

    def gradient_vector(self, out: Array | None = None, scratch: Array | None = None) -> Array:
        r"""Return the notes' :math:`D` for all parameters as one 1-D vector, in order.

        With flat buffers and ``out`` given, :math:`D` is written into ``out`` (same length
        and dtype as the flat gradient) with the :math:`\lambda` term added weight by
        weight through ``scratch`` (same shape), so a hot loop allocates nothing.
        Otherwise a new vector is returned (the parameters' dtype, or float64 if mixed).
        """
        flat = self.flat()
        if flat is None:
            return np.concatenate([self.gradient(p).reshape(-1) for p in self.params])
        data, grad = flat
        if out is None:
            out = np.empty_like(grad)
        np.copyto(out, grad)
        if self.l2 == 0.0:
            return out
        pos = 0
        for p in self.params:
            n = p.size
            if self.regularized(p) and p.inv_m:
                c = self.l2 * p.inv_m
                if scratch is None:
                    out[pos : pos + n] += c * data[pos : pos + n]
                else:
                    seg = scratch[pos : pos + n]
                    np.multiply(data[pos : pos + n], c, out=seg)
                    out[pos : pos + n] += seg
            pos += n
        return out

    def l2_penalty(self) -> float:
        r"""Return :math:`\frac{\lambda}{2m}\sum W^2` over the regularised parameters.

        :math:`\frac{1}{m}` is each parameter's ``inv_m`` recorded by the last backward,
        so this is the notes' penalty term for the batch behind the current gradients.
        """
        if self.l2 == 0.0:
            return 0.0
        total = 0.0
        for p in self.params:
            if self.regularized(p) and p.inv_m:
                total += 0.5 * self.l2 * p.inv_m * float(np.vdot(p.data, p.data))
        return total

    # ----------------------------------------------------------------- public API
    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (one fill when the buffer is flat)."""
        flat = self.flat()
        if flat is None:
            for p in self.params:
                p.zero_grad()
            return
        flat[1].fill(0)
        for p in self.params:
            p.inv_m = 0.0
            p._fresh = True

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Update the parameters from their gradients; return ``closure()`` if given."""
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
        except (ValueError, TypeError, KeyError, IndexError) as exc:
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


def check_lr(lr: Any, who: str) -> float:
    """Return ``lr`` as a float if it is a finite number > 0, else raise ``ValueError``."""
    return check_positive(lr, "lr", who)
