"""The ``Module`` base class: the forward/backward contract every layer follows.

A module computes ``y = forward(x)`` for a batch ``x`` of shape ``(m, features)`` (one
example per row) and caches what its backward needs. ``backward(grad_output)`` takes
:math:`\\partial J / \\partial y`, accumulates the gradients of its parameters and returns
:math:`\\partial J / \\partial x`. There is no autograd graph: a ``Sequential`` calls the
backward methods in reverse order, which is the notes' δ chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self

from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


class Module:
    """Base class for layers and containers, in the shape of ``torch.nn.Module``.

    Subclasses implement :meth:`forward` and :meth:`backward`. Assigning a
    :class:`Parameter` or a ``Module`` to an attribute registers it, so
    :meth:`parameters`, :meth:`state_dict` and :meth:`zero_grad` find it.

    Attributes:
        training: ``True`` after :meth:`train` (the default), ``False`` after :meth:`eval`.
    """

    training: bool
    _reuse_output: bool
    _reuse_grad_input: bool
    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        # A container sets these when a module's output (or input gradient) never leaves
        # it, so the module may reuse one buffer across steps instead of allocating.
        object.__setattr__(self, "_reuse_output", False)
        object.__setattr__(self, "_reuse_grad_input", False)
        object.__setattr__(self, "_buffers", {})

    def __setattr__(self, name: str, value: Any) -> None:
        # One isinstance on the hot path (caches are set on every forward).
        if isinstance(value, (Parameter, Module)):
            if isinstance(value, Parameter):
                self._parameters[name] = value
            else:
                self._modules[name] = value
        object.__setattr__(self, name, value)

    # ----------------------------------------------------------------- the contract
    def forward(self, x: Array) -> Array:
        """Compute the output for a batch ``x`` and cache what :meth:`backward` needs."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output: Array) -> Array:
        """Accumulate parameter gradients and return :math:`\\partial J / \\partial x`."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def backward_params(self, grad_output: Array) -> None:
        """Accumulate parameter gradients only; the input gradient is not needed.

        A container calls this on its first module with parameters when the caller
        does not ask for :math:`\\partial J / \\partial X`. Layers may override it to skip
        that product; the default runs :meth:`backward` and drops the result.
        """
        self.backward(grad_output)

    def __call__(self, x: Array) -> Array:
        return self.forward(x)

    # ----------------------------------------------------------------- structure
    def children(self) -> Iterator[Module]:
        """Iterate over the direct sub-modules, in registration order."""
        return iter(self._modules.values())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Iterate over ``(name, parameter)`` pairs: own parameters first, then children's.

        Names are dotted paths as in PyTorch (``"0.weight"``, ``"0.bias"``, ...).
        """
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, child in self._modules.items():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        """Return the parameters in layer order: W1, b1, W2, b2, ... (the course's order)."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """Return the number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to zeros (see :meth:`Parameter.zero_grad`)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Self:
        """Set training mode (``Dropout`` is active) on this module and its children."""
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Self:
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Array]:
        """Return a copy of every parameter, keyed by dotted name (``"0.weight"``)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values from ``state_dict`` into the parameters, in place.

        Everything is checked before anything is written, so a mismatch leaves the
        module untouched.

        Args:
            state_dict: arrays keyed as :meth:`state_dict` returns them.
            strict: if ``True``, missing and unexpected keys are errors.

        Raises:
            ValueError: naming the missing or unexpected keys, or the key whose shape or
                dtype differs.
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing},"
                f" unexpected keys {unexpected}"
            )
        staged: list[tuple[Parameter, Array]] = []
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.shape != p.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name!r} has shape {value.shape},"
                    f" the model expects {p.shape}"
                )
            if value.dtype.kind != "f":
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name!r} has dtype {value.dtype};"
                    " expected a float array"
                )
            staged.append((p, value))
        for p, value in staged:
            np.copyto(p.data, value, casting="unsafe")

    # ----------------------------------------------------------------- buffers
    def _buffer(self, key: str, shape: tuple[int, ...], dtype: np.dtype[Any], reuse: bool) -> Array:
        """Return an uninitialised array; the same one each step when ``reuse`` is set."""
        if not reuse:
            return np.empty(shape, dtype=dtype)
        buffers: dict[str, Array] = self.__dict__["_buffers"]
        buf = buffers.get(key)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = np.empty(shape, dtype=dtype)
            buffers[key] = buf
        return buf

    # ----------------------------------------------------------------- rebuilding
    def config(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this module (JSON-able values).

        ``type(module)(**module.config())`` makes a module of the same shape; checkpoints
        store this next to the parameters. Subclasses with arguments override it.
        """
        return {}

    # ----------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr``; subclasses override it."""
        return ""

    def __repr__(self) -> str:
        children = list(self._modules.items())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)
