r"""The ``Module`` base class: the forward/backward contract every layer follows.

A module computes ``y = forward(x)`` for a batch ``x`` (one example per row) and keeps
what its backward needs. ``backward(grad_output)`` takes :math:`\partial J/\partial y`,
adds the gradients of its own parameters into their ``grad`` and returns
:math:`\partial J/\partial x`. There is no autograd graph: a container calls its
children's backward in reverse order, which is the notes' δ chain.

The contract, for every module:

- ``forward`` returns a new array that the caller owns; no later call writes into it.
- ``backward`` returns a plain ``np.ndarray`` computed from the values of
  ``grad_output`` and the module's own cache only; it never looks at what produced
  ``grad_output``.
- A module reads and writes no other module's private state, so putting modules in a
  new container never changes an old one.
- The cache holds references (not copies) to the last forward's input and output:
  modifying them in place before ``backward`` changes the gradient (PyTorch raises an
  error there; numpy arrays cannot tell).

A *layer* (no children) returns :math:`\partial J/\partial x` from ``backward``. A
*container* (``Sequential``) is the top of a model: like PyTorch's ``loss.backward()`` its
``backward`` returns nothing unless asked (``input_grad=True``), since no training step
needs :math:`\partial J/\partial X`. A container asks its children with
:meth:`Module.backward_input` and, for the first child with parameters,
:meth:`Module.backward_params`.

A subclass that defines ``forward`` only, calling its sub-modules one after the other,
gets its backward from :mod:`minitorch_bp.nn.chain`: the calls are recorded on the
module's own tape during each forward and replayed in reverse (see :meth:`Module.backward`).

Besides parameters a module may hold *buffers* (:meth:`Module.register_buffer`): arrays
that are state but not learned, such as ``BatchNorm``'s running statistics. They are in
:meth:`Module.state_dict` and checkpoints, and no optimizer or λ term sees them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self

from minitorch_bp.nn import chain, registry
from minitorch_bp.nn.export import OnnxGraph
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


class Module:
    """Base class for layers and containers, in the shape of ``torch.nn.Module``.

    Subclasses implement :meth:`forward` and :meth:`backward`; a subclass whose forward
    calls its sub-modules as a chain may leave out ``backward`` (see :meth:`backward`).
    Assigning a :class:`Parameter` or a ``Module`` to an attribute registers it, so
    :meth:`parameters`, :meth:`state_dict` and :meth:`zero_grad` find it;
    :meth:`register_buffer` registers an array of state that is not learned. A module may
    appear only once in a tree (its cache holds one forward): assigning one that is
    already inside this module raises ``ValueError`` with both paths.

    Class attributes:
        config_keys: the constructor arguments that rebuild the module, read from the
            attributes of the same names by :meth:`config` (checkpoints store them) and
            shown by ``repr``. PyTorch's argument names, so converters pass them on.
        torch_name: the ``torch.nn`` class that computes the same thing from the same
            arguments and parameter names (``None``: none does).
        abstract: ``True`` on base classes that are not layers themselves (they are
            left out of the registry of layer types).

    Attributes:
        training: ``True`` after :meth:`train` (the default), ``False`` after :meth:`eval`.
    """

    abstract: ClassVar[bool] = True
    config_keys: ClassVar[tuple[str, ...]] = ()
    torch_name: ClassVar[str | None] = None
    #: ``True`` for a class that inherits :meth:`backward` from ``Module`` itself: its
    #: calls are recorded and replayed (:mod:`minitorch_bp.nn.chain`).
    auto_chain: ClassVar[bool] = False

    training: bool
    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]
    _buffers: dict[str, Array]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False
        cls.auto_chain = cls.backward is Module.backward
        registry.register(cls)

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        # Caches are set on every forward: the common case costs one isinstance and, for a
        # module with registered members, a few dict lookups.
        if isinstance(value, (Parameter, Module)):
            if self._buffers and name in self._buffers:
                raise TypeError(
                    f"{type(self).__name__}.{name} is a buffer, not a {type(value).__name__}"
                )
            if isinstance(value, Parameter):
                self._modules.pop(name, None)
                self._parameters[name] = value
            else:
                self._check_new_child(name, value)
                self._parameters.pop(name, None)
                self._modules[name] = value
                if self.auto_chain:
                    # Served by __getattr__, so that a recording forward sees it traced.
                    self.__dict__.pop(name, None)
                    return
        elif self._buffers and name in self._buffers:
            buffer = self._buffers[name]
            if value is not buffer:  # ``self.running_mean *= a`` sets the same array back
                _copy_into(buffer, value, f"{type(self).__name__}.{name}")
            return
        elif (self._parameters or self._modules) and (
            name in self._parameters or name in self._modules
        ):
            self._parameters.pop(name, None)
            self._modules.pop(name, None)
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Reached only when normal lookup fails: the children of an auto-chain module,
        # which a forward in progress sees through its own tape (chain.Traced).
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:
            tape = self.__dict__.get("_recording")
            child = modules[name]
            return child if tape is None else chain.Traced(child, f"self.{name}", tape)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registered in (self._parameters, self._modules, self._buffers):
            if name in registered:
                del registered[name]
                self.__dict__.pop(name, None)
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Any) -> None:
        """Register ``value`` (copied) as the buffer ``name``: state that is saved but not learned.

        A buffer is an array the module keeps for life (``BatchNorm``'s running statistics):
        :meth:`state_dict`, :meth:`load_state_dict`, checkpoints and the PyTorch converters
        include it; :meth:`parameters`, optimizers and the λ term do not. Assigning
        ``module.name = values`` copies into it (the shape must match), as ``p.data = values``
        does for a parameter; the module's own forward may update it in place.
        """
        if (
            not isinstance(name, str)
            or not name.isidentifier()
            or name in self._parameters
            or name in self._modules
        ):
            raise ValueError(
                f"{type(self).__name__}.register_buffer: {name!r} is not a free attribute name"
            )
        array = np.array(value, copy=True, order="C")
        if array.dtype.kind not in "fiu":
            raise ValueError(
                f"{type(self).__name__}.register_buffer: {name!r} has dtype {array.dtype};"
                " a buffer holds numbers"
            )
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def _check_new_child(self, name: str, child: Module) -> None:
        """Refuse ``child`` if it, or a module inside it, is already in this tree."""
        here: dict[int, str] = {}
        for path, module in _walk(self, ""):
            if not (path == name or path.startswith(name + ".")):  # the slot being replaced
                here.setdefault(id(module), path or "(itself)")
        for sub_path, module in _walk(child, name):
            if id(module) in here:
                raise duplicate_module_error(
                    type(self).__name__, module, here[id(module)], sub_path
                )

    # ----------------------------------------------------------------- the contract
    def forward(self, x: Array) -> Array:
        """Compute the output for a batch ``x`` and keep what :meth:`backward` needs."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output: Array) -> Array | None:
        r"""Add the parameters' gradients and return :math:`\partial J/\partial x`.

        Layers return an array; containers return ``None`` unless asked (see the
        module docstring).

        A subclass that does not define ``backward`` gets this one: its forward's calls of
        sub-modules, recorded on the module's own tape during the last forward, are
        replayed in reverse (:func:`minitorch_bp.nn.chain.replay`), as ``Sequential`` does
        with its list. Like a ``Sequential`` at the top of a model it returns ``None``
        (:meth:`backward_input` returns :math:`\partial J/\partial x`). If the calls did
        not form a chain (an output used twice, an array computed outside a module, a
        module called twice) it raises ``RuntimeError`` naming the call, and saying to
        write ``backward`` by hand or to use :class:`~minitorch_bp.nn.Residual`.
        """
        chain.replay(self, grad_output, input_grad=False)
        return None

    def backward_input(self, grad_output: Array) -> Array:
        r"""Run :meth:`backward` and return :math:`\partial J/\partial x`, always an array.

        Containers call this on their children. A layer's ``backward`` already returns
        the array; a container overrides this to ask for it.
        """
        if self.auto_chain:
            return chain.replay(self, grad_output, input_grad=True)
        grad_input = self.backward(grad_output)
        if grad_input is None:
            raise TypeError(
                f"{type(self).__name__}.backward returned None; a layer's backward must"
                " return the gradient with respect to its input"
            )
        return grad_input

    def backward_params(self, grad_output: Array) -> None:
        r"""Add the parameters' gradients only; :math:`\partial J/\partial x` is not needed.

        A container calls this on its first child with parameters when no one asks for
        :math:`\partial J/\partial X` (the notes stop at :math:`\delta^{(2)}`). The
        default runs :meth:`backward`; a layer whose input gradient costs a product of
        its own (``Linear``) skips it.
        """
        if self.auto_chain:
            chain.replay(self, grad_output, input_grad=False)
        else:
            self.backward(grad_output)

    def __call__(self, x: Array) -> Array:
        if self.auto_chain:
            out: Array = chain.record(self, x)
            return out
        return self.forward(x)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        """The shape :meth:`forward` returns for an input of ``input_shape``; ``None``: unknown.

        Layers whose output has the input's shape (activations, dropout) or a shape fixed
        by their arguments (``Linear``) say so; ``summary()`` and the engine's planning read
        it without running the layer.
        """
        return None

    # ----------------------------------------------------------------- structure
    def children(self) -> Iterator[Module]:
        """Iterate over the direct sub-modules, in registration order."""
        return iter(self._modules.values())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Iterate over ``(name, sub-module)`` pairs of the direct sub-modules."""
        return iter(self._modules.items())

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Iterate over ``(path, module)`` for this module and every module inside it.

        The module itself comes first with path ``prefix`` (``""`` by default), then its
        children depth first, with dotted paths (``"0"``, ``"1.0"``...), as in PyTorch.
        """
        return _walk(self, prefix)

    def modules(self) -> Iterator[Module]:
        """Iterate over this module and every module inside it (see :meth:`named_modules`)."""
        return (module for _, module in _walk(self, ""))

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Iterate over ``(name, parameter)`` pairs: own parameters first, then children's.

        Names are dotted paths as in PyTorch (``"0.weight"``, ``"0.bias"``, ...). A
        parameter shared by two layers is listed once, under its first name.
        """
        seen: set[int] = set()
        for path, module in _walk(self, ""):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield prefix + (f"{path}.{name}" if path else name), p

    def parameters(self) -> list[Parameter]:
        """Return the parameters in layer order: W1, b1, W2, b2, ... (the course's order)."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Array]]:
        """Iterate over ``(name, buffer)`` pairs, dotted as :meth:`named_parameters` (``"1.running_mean"``)."""
        for path, module in _walk(self, ""):
            for name, buffer in module._buffers.items():
                yield prefix + (f"{path}.{name}" if path else name), buffer

    def buffers(self) -> list[Array]:
        """Return the buffers (the arrays themselves, which the modules update in place)."""
        return [b for _, b in self.named_buffers()]

    def num_parameters(self) -> int:
        """Return the number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to zeros."""
        for p in self.parameters():
            p.zero_grad()

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        """Set ``requires_grad`` on every parameter (``False`` freezes them); return ``self``.

        As PyTorch's: ``model[0].requires_grad_(False)`` keeps the first layer as it is,
        so training changes the others only (see :class:`Parameter`).
        """
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def train(self, mode: bool = True) -> Self:
        """Set training mode (``Dropout`` is active) on this module and its children."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Self:
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Array]:
        """Return a copy of every parameter and buffer, keyed by dotted name (``"0.weight"``).

        The order is PyTorch's: module by module, each module's parameters then its
        buffers (``"1.weight"``, ``"1.bias"``, ``"1.running_mean"``...).
        """
        return {name: array.copy() for name, array, _ in self._state()}

    def _state(self) -> Iterator[tuple[str, Array, str]]:
        """``(name, array, "parameter" | "buffer")`` in :meth:`state_dict` order."""
        seen: set[int] = set()
        for path, module in _walk(self, ""):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{path}.{name}" if path else name), p.data, "parameter"
            for name, buffer in module._buffers.items():
                yield (f"{path}.{name}" if path else name), buffer, "buffer"

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Everything is checked before anything is written, so a mismatch leaves the
        module untouched.

        Args:
            state_dict: arrays keyed as :meth:`state_dict` returns them.
            strict: if ``True``, missing and unexpected keys are errors.

        Raises:
            ValueError: naming the missing or unexpected keys, or the key whose shape or
                dtype differs.
        """
        own = {name: (array, kind) for name, array, kind in self._state()}
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing},"
                f" unexpected keys {unexpected}"
            )
        staged: list[tuple[Array, Array]] = []
        for name, (target, _) in own.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.shape != target.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name!r} has shape {value.shape},"
                    f" the model expects {target.shape}"
                )
            if (value.dtype.kind == "f") != (
                target.dtype.kind == "f"
            ) or value.dtype.kind not in "fiu":
                kind = "a float" if target.dtype.kind == "f" else "an integer"
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name!r} has dtype {value.dtype};"
                    f" expected {kind} array"
                )
            staged.append((target, value))
        for target, value in staged:
            np.copyto(target, value, casting="unsafe")

    def get_extra_state(self) -> Any:
        """State that is neither a parameter nor configuration but changes what the module computes.

        PyTorch's name. ``None`` (the default) means there is none; :class:`Dropout`
        returns its generator's state. Checkpoints store what this returns (JSON data and
        arrays) and hand it to :meth:`set_extra_state` of the rebuilt module.
        """
        return None

    def set_extra_state(self, state: Any) -> None:
        """Restore what :meth:`get_extra_state` returned; raise ``ValueError`` if it does not fit."""
        raise ValueError(f"{type(self).__name__} has no extra state; got {state!r:.80}")

    # ----------------------------------------------------------------- rebuilding
    def config(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this module (JSON-able values).

        ``type(module)(**module.config())`` makes a module of the same shape; checkpoints
        store this next to the parameters. The default reads :attr:`config_keys`.
        """
        return {key: getattr(self, key) for key in self.config_keys}

    @classmethod
    def from_config(cls, config: Mapping[str, Any], children: Sequence[Module] = ()) -> Self:
        """Rebuild a module from its :meth:`config` and, for a container, its children.

        Checkpoints call this with the children already rebuilt, in registration order.
        The default is ``cls(**config)`` for a layer without children; containers
        (``Sequential``, ``Residual``) override it.
        """
        if children:
            raise ValueError(f"{cls.__name__} is not a container; it takes no children")
        return cls(**config)

    # ----------------------------------------------------------------- export
    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        """The constructor arguments equivalent to the ``torch.nn`` module ``module``.

        The default reads :attr:`config_keys` from it (PyTorch's names, PyTorch's values).
        """
        return {key: getattr(module, key) for key in cls.config_keys}

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """Add this module's computation to an ONNX graph; return the name of its output.

        Layers that have an ONNX form override this (see :class:`~minitorch_bp.nn.export.OnnxGraph`).
        """
        raise ValueError(f"{type(self).__name__} has no ONNX export")

    # ----------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr``; by default the :meth:`config`."""
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items())

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


def _copy_into(target: Array, value: Any, who: str) -> None:
    """Copy ``value`` into the buffer ``target`` (same shape; a float buffer takes floats)."""
    arr = np.asarray(value)
    if arr.shape != target.shape:
        raise ValueError(
            f"{who} has shape {target.shape}; cannot assign an array of shape {arr.shape}"
            " (assignment copies into the buffer)"
        )
    np.copyto(target, arr, casting="same_kind")


def _walk(module: Module, prefix: str) -> Iterator[tuple[str, Module]]:
    """Every module of the tree with its dotted path, depth first, duplicates included."""
    stack = [(prefix, module)]
    while stack:
        path, current = stack.pop()
        yield path, current
        children = list(current._modules.items())
        for name, child in reversed(children):
            stack.append((f"{path}.{name}" if path else name, child))


def duplicate_module_error(who: str, module: Module, first: str, second: str) -> ValueError:
    """The error for a module found at two places of one tree."""
    return ValueError(
        f"{who}: the same {type(module).__name__} object is at {first!r} and {second!r};"
        " a module keeps one forward for its backward, so create one per position"
        " (to share weights, share the Parameter or the layer between two models)"
    )


def check_unique_modules(root: Module, who: str) -> None:
    """Raise ``ValueError`` if a module appears twice anywhere in ``root``'s tree (O(n))."""
    seen: dict[int, str] = {}
    for path, module in _walk(root, ""):
        first = seen.setdefault(id(module), path)
        if first != path:
            raise duplicate_module_error(who, module, first, path)
