r"""Backward for free: a module whose forward calls its sub-modules as a chain.

A PyTorch user writes ``class Net(nn.Module)`` with ``__init__`` and ``forward`` only.
Without autograd, minitorch_bp gets that module's backward from the notes' δ chain
itself: if ``forward`` computes :math:`y = f_n(\dots f_2(f_1(x)))` by calling sub-modules,
then

.. math::
    \frac{\partial J}{\partial x} = f_1'^\top\big(f_2'^\top(\dots f_n'^\top(g))\big),

each :math:`f_i'^\top` being that module's own ``backward``. So the module records the
calls of each forward and replays them in reverse.

How the recording works, without state shared between modules:

- ``Module.__call__`` of such a module (one that inherits ``backward`` from ``Module``)
  makes a new :class:`Tape`, the module's own, for this forward call only, and keeps it
  as the module's ``_recording`` while ``forward`` runs;
- inside ``forward`` the module's children are read through its own attributes
  (``self.fc``), which the module hands out wrapped in :class:`Traced` while a tape is
  recording: calling one runs the child as usual and appends ``(path, child, x, y)`` to
  the tape. The children themselves are not touched;
- when ``forward`` returns, the tape checks that the calls form a chain (the first call
  took the forward's input, each later call the previous call's output, the forward
  returned the last call's output, no module was called twice) and keeps the verdict.
  The tape replaces the previous forward's (a module keeps one forward for its
  backward, as every layer does); ``backward`` replays it, or raises ``RuntimeError``
  naming the call that broke the chain.

Nested custom modules record their own tapes; eval mode records as train mode does
(``BatchNorm`` and ``Dropout`` choose their own backward).

Example:
    The tape of the last forward, as the module's backward will replay it (the
    `layers guide <../layers.html#custom-modules>`_ writes a whole ``Net``):

    >>> from minitorch_bp.nn.chain import Tape
    >>> tape = Tape(nn.Identity())
    >>> x = np.ones((1, 2))
    >>> a = nn.Linear(2, 2, rng=0)
    >>> h = a(x)
    >>> tape.record("self.a", a, x, h)
    >>> tape.close(x, h + 1)
    >>> tape.error
    'Identity.forward returned an array computed outside a module (such as x * 2, h + x or x.reshape(...)), not the output of its last call (call 1, self.a (Linear))'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from minitorch_bp.nn.module import Module

    Array = NDArray[Any]


@dataclass
class Call:
    """One recorded call: the child as the forward named it, its input and its output."""

    path: str
    module: Module
    input: Any
    output: Any

    def describe(self, index: int) -> str:
        return f"call {index + 1}, {self.path} ({type(self.module).__name__})"


@dataclass
class Tape:
    """The calls of one forward of ``owner``, in order, and whether they form a chain."""

    owner: Module
    calls: list[Call] = field(default_factory=list)
    #: Why the calls are not a chain (``None``: they are), set by :meth:`close`.
    error: str | None = None

    def record(self, path: str, module: Module, x: Any, y: Any) -> None:
        self.calls.append(Call(path, module, x, y))

    def close(self, x: Any, y: Any) -> None:
        """Check the chain from the forward's input ``x`` to its result ``y``."""
        self.error = self._why_not_a_chain(x, y)

    def _why_not_a_chain(self, x: Any, y: Any) -> str | None:
        name = type(self.owner).__name__
        calls = self.calls
        if not calls:
            return (
                f"{name}.forward made no call of a sub-module, so there is nothing to replay"
                " (modules kept in a list or dict are not sub-modules: assign each to an"
                " attribute, or use nn.Sequential)"
            )
        first_call: dict[int, int] = {}
        for i, call in enumerate(calls):
            j = first_call.setdefault(id(call.module), i)
            if j != i:
                return (
                    f"{name}.forward calls {call.path} twice ({calls[j].describe(j)} and"
                    f" call {i + 1}); a module keeps one forward for its backward, so create"
                    " one module per call"
                )
        previous = x
        for i, call in enumerate(calls):
            if call.input is not previous:
                got = self._origin(call.input, x, i)
                wanted = "the forward's input" if i == 0 else f"the output of call {i}"
                return f"{call.describe(i)}, got {got}, not {wanted}"
            previous = call.output
        if y is not previous:
            got = self._origin(y, x, len(calls))
            return (
                f"{name}.forward returned {got}, not the output of its last call"
                f" ({calls[-1].describe(len(calls) - 1)})"
            )
        return None

    def _origin(self, value: Any, x: Any, before: int) -> str:
        """Where ``value`` came from, among the forward's input and the first calls' outputs."""
        for j in range(before):
            if self.calls[j].output is value:
                return f"the output of {self.calls[j].describe(j)} a second time"
        if value is x:
            return "the forward's input a second time"
        return "an array computed outside a module (such as x * 2, h + x or x.reshape(...))"


class Traced:
    """A child module as its parent's recording forward sees it.

    Calling it calls the child and records the call on the parent's tape; everything
    else (attributes, ``isinstance``, indexing a ``Sequential``) reaches the child, with
    sub-modules traced in turn, so ``self.features[0](x)`` is recorded too.
    """

    __slots__ = ("_module", "_path", "_tape")

    def __init__(self, module: Module, path: str, tape: Tape) -> None:
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_tape", tape)

    def __call__(self, x: Any) -> Any:
        y = self._module(x)
        self._tape.record(self._path, self._module, x, y)
        return y

    def _wrap(self, value: Any, path: str) -> Any:
        from minitorch_bp.nn.module import Module

        return Traced(value, path, self._tape) if isinstance(value, Module) else value

    def __getattr__(self, name: str) -> Any:
        return self._wrap(getattr(self._module, name), f"{self._path}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._module, name, value)

    def __getitem__(self, index: Any) -> Any:
        return self._wrap(self._module[index], f"{self._path}[{index!r}]")

    def __iter__(self) -> Iterator[Any]:
        for i, child in enumerate(self._module):
            yield self._wrap(child, f"{self._path}[{i}]")

    def __len__(self) -> int:
        return len(self._module)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(self.fc, nn.Linear) holds inside forward
        return type(self._module)

    def __repr__(self) -> str:
        return repr(self._module)


def record(module: Module, x: Any) -> Any:
    """Run ``module.forward(x)`` with a new tape of its own; keep the tape for backward."""
    tape = Tape(module)
    setattr_ = object.__setattr__
    setattr_(module, "_tape", None)  # a forward that fails leaves nothing to replay
    setattr_(module, "_recording", tape)
    try:
        y = module.forward(x)
    finally:
        setattr_(module, "_recording", None)
    tape.close(x, y)
    setattr_(module, "_tape", tape)
    return y


def replay(module: Module, grad_output: Array, *, input_grad: bool) -> Array:
    r"""Run the recorded calls' backward in reverse; return :math:`\partial J/\partial x` if asked.

    Without ``input_grad`` the calls before the first one with parameters are skipped
    and that one runs ``backward_params`` (no :math:`\partial J/\partial x`), as in
    ``Sequential``; the result is then ``grad_output`` at the point the replay stopped.
    """
    name = type(module).__name__
    tape: Tape | None = module.__dict__.get("_tape")
    if tape is None:
        raise RuntimeError(f"{name}: backward called before forward")
    if tape.error is not None:
        raise RuntimeError(
            f"{name}.backward: the module calls of {name}.forward do not form a chain, so"
            f" they cannot be replayed: {tape.error}. Write {name}.backward by hand (return"
            f" ∂J/∂x, add into each parameter's grad), or use nn.Residual for y = x + block(x)"
        )
    calls = tape.calls
    stop = 0
    if not input_grad:
        stop = next(
            (i for i, c in enumerate(calls) if any(True for _ in c.module.named_parameters())), 0
        )
    g = grad_output
    for i in range(len(calls) - 1, stop - 1, -1):
        call = calls[i]
        try:
            if i == stop and not input_grad:
                call.module.backward_params(g)
            else:
                g = call.module.backward_input(g)
        except ValueError as exc:
            raise ValueError(f"{name} {call.describe(i)}: {exc}") from exc
    return g
