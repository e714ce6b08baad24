r"""``Sequential``: the notes' network as a chain of modules, and its δ chain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self

from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.module import Module, check_unique_modules

Array = NDArray[Any]


class Sequential(Module):
    r"""Modules applied in order: forward propagation, then backpropagation in reverse.

    ``forward`` computes :math:`a^{(1)} = x, z^{(2)}, a^{(2)}, \dots, a^{(L)}` by calling
    each module on the previous output. ``backward`` passes :math:`\partial J/\partial a^{(L)}`
    through the modules in reverse: each Linear turns :math:`\delta^{(l+1)}` into
    :math:`(\Theta^{(l)})^T\delta^{(l+1)}` and each activation multiplies by
    :math:`g'(z^{(l)})`, which is the notes' recursion
    :math:`\delta^{(l)} = (\Theta^{(l)})^T\delta^{(l+1)} \odot g'(z^{(l)})`.

    Like every module it is pure: it keeps no buffers between calls and changes none of
    its children's settings, so the same layers can be put in another ``Sequential``
    (e.g. ``nn.Sequential(*model, nn.Linear(2, 1))``) without changing this one. A module
    may appear only once anywhere in the tree (nested containers included).

    Args:
        *modules: the layers, in order.

    Attributes:
        deltas: after :meth:`backward`, a dict ``{l: δ}`` from :math:`l = L` down to 2:
            ``deltas[l + 1]`` is the gradient that arrived at the output of the
            :math:`l`-th ``Linear`` (1-based), i.e. :math:`\partial J / \partial z^{(l+1)}`,
            shape :math:`(m, s_{l+1})`, one row per example. Row :math:`t` relates to the
            notes' per-example :math:`\delta^{(l)(t)}` by the loss's scale: it is
            :math:`\frac{1}{m}\delta^{(l)(t)}` under ``reduction="batchmean"`` (the default),
            exactly :math:`\delta^{(l)(t)}` under ``"sum"``, and :math:`\frac{1}{mK}\delta^{(l)(t)}`
            under ``"mean"``. For ``BCELoss`` after a ``Sigmoid``, ``deltas[L] * m`` is
            :math:`a^{(L)} - y`. The arrays are the ones backward computed; the next
            backward makes new ones.

    Example:
        >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid())
        >>> len(model), [p.shape for p in model.parameters()]
        (4, [(3, 2), (3,), (1, 3), (1,)])
        >>> out = model(np.array([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]]))
        >>> out.shape
        (3, 1)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {i} is {type(module).__name__}, not a Module"
                )
            # Registered directly: one O(n) check of the whole tree follows.
            self._modules[str(i)] = module
            object.__setattr__(self, str(i), module)
        check_unique_modules(self, "Sequential")
        self._layers: tuple[Module, ...] = tuple(modules)
        self.deltas: dict[int, Array] = {}
        self._first_with_params = next(
            (i for i, mod in enumerate(modules) if any(True for _ in mod.named_parameters())),
            0,
        )
        self._n_linear = sum(isinstance(mod, Linear) for mod in modules)

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        shape: tuple[int, ...] | None = tuple(input_shape)
        for module in self._layers:
            if shape is None:
                return None
            shape = module.output_shape(shape)
        return shape

    def forward(self, x: Array) -> Array:
        for i, module in enumerate(self._layers):
            try:
                x = module(x)
            except (ValueError, FloatingPointError) as exc:
                raise type(exc)(f"Sequential layer {i}: {exc}") from exc
        if not self._layers:
            return np.array(x, copy=True)
        return x

    @overload
    def backward(self, grad_output: Array) -> None: ...
    @overload
    def backward(self, grad_output: Array, *, input_grad: Literal[False]) -> None: ...
    @overload
    def backward(self, grad_output: Array, *, input_grad: Literal[True]) -> Array: ...
    @overload
    def backward(self, grad_output: Array, *, input_grad: bool) -> Array | None: ...
    def backward(self, grad_output: Array, *, input_grad: bool = False) -> Array | None:
        r"""Run every module's backward in reverse order and record :attr:`deltas`.

        As in PyTorch, where ``loss.backward()`` returns nothing and fills the
        parameters' ``grad``, the top of a model returns ``None``: the product that would
        give :math:`\partial J/\partial X` is skipped (the notes stop at
        :math:`\delta^{(2)}`), saving one matrix product per step.

        Args:
            grad_output: :math:`\partial J/\partial a^{(L)}`, usually ``criterion.backward()``.
            input_grad: ``True`` to compute and return :math:`\partial J/\partial X`, shape
                :math:`(m, s_1)` (a container holding this one asks for it).

        Returns:
            :math:`\partial J/\partial X` with ``input_grad=True``, else ``None``.
        """
        layers = self._layers
        stop = 0 if input_grad else self._first_with_params
        n_linear = self._n_linear
        deltas: dict[int, Array] = {}
        g = grad_output
        for i in range(len(layers) - 1, stop - 1, -1):
            module = layers[i]
            if isinstance(module, Linear):
                deltas[n_linear + 1] = g
                n_linear -= 1
            try:
                if i == stop and not input_grad:
                    module.backward_params(g)
                else:
                    g = module.backward_input(g)
            except (ValueError, FloatingPointError) as exc:
                raise type(exc)(f"Sequential layer {i}: {exc}") from exc
        self.deltas = deltas
        if not input_grad:
            return None
        return np.array(g, copy=True) if not layers else g

    def backward_input(self, grad_output: Array) -> Array:
        return self.backward(grad_output, input_grad=True)

    def backward_params(self, grad_output: Array) -> None:
        self.backward(grad_output, input_grad=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], children: Sequence[Module] = ()) -> Self:
        if config:
            raise ValueError(
                f"Sequential takes no arguments besides its modules; got {dict(config)}"
            )
        return cls(*children)

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """Return a table of the layers, their output shapes and parameter counts.

        Args:
            input_shape: the shape of one example, without the batch axis (``(1, 8, 8)``
                for ``(m, 1, 8, 8)`` images). Each layer's output shape then follows from
                :meth:`~minitorch_bp.nn.Module.output_shape`. Without it the shapes start
                at the first layer that fixes its input (``Linear``: ``(m, in_features)``;
                a convolution: its channels, with "?" for the spatial sizes) and are "?"
                where unknown.
        """
        rows = [("#", "layer", "output", "parameters")]
        shape: tuple[int, ...] | None = None
        if input_shape is not None:
            shape = (1, *tuple(int(n) for n in input_shape))
        for i, module in enumerate(self._layers):
            if shape is None and isinstance(module, Linear):
                shape = (1, module.in_features)
            shape = _next_shape(module, shape)
            text = "?" if shape is None else "(" + ", ".join(["m", *map(_dim, shape[1:])]) + ")"
            rows.append((str(i), repr(module), text, f"{module.num_parameters():,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = [
            f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
            for r in rows
        ]
        rule = "-" * len(lines[0])
        dtype = {str(p.dtype) for p in self.parameters()} or {"-"}
        total = f"Total parameters: {self.num_parameters():,} ({', '.join(sorted(dtype))})"
        return "\n".join([lines[0], rule, *lines[1:], rule, total])

    def extra_repr(self) -> str:
        return ""


def _dim(n: int) -> str:
    return "?" if n < 0 else str(n)


def _next_shape(module: Module, shape: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The output shape ``summary`` shows for ``module`` (-1: a size it cannot know)."""
    if shape is not None and -1 not in shape:
        return module.output_shape(shape)
    if shape is not None:  # unknown sizes pass through the layers that keep the shape
        probe = tuple(97 if n == -1 else n for n in shape)
        if module.output_shape(probe) == probe:
            return shape
    channels = getattr(module, "out_channels", None)
    spatial = getattr(module, "spatial", None)
    if isinstance(channels, int) and isinstance(spatial, int):  # a convolution
        return (1, channels, *(-1,) * spatial)
    return None
