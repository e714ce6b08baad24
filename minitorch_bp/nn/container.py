r"""``Sequential``: the notes' network as a chain of modules, and its δ chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, overload

from numpy.typing import NDArray

from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import pack_parameters

Array = NDArray[Any]


class Sequential(Module):
    r"""Modules applied in order: forward propagation, then backpropagation in reverse.

    ``forward`` computes :math:`a^{(1)} = x, z^{(2)}, a^{(2)}, \dots, a^{(L)}` by calling
    each module on the previous output. ``backward`` passes :math:`\partial J/\partial a^{(L)}`
    through the modules in reverse: each Linear turns :math:`\delta^{(l+1)}` into
    :math:`(\Theta^{(l)})^T\delta^{(l+1)}` and each activation multiplies by
    :math:`g'(z^{(l)})`, which is the notes' recursion
    :math:`\delta^{(l)} = (\Theta^{(l)})^T\delta^{(l+1)} \odot g'(z^{(l)})`.

    The parameters of all modules are packed into one contiguous buffer at construction
    (see :func:`~minitorch_bp.nn.parameter.pack_parameters`); buffers of intermediate
    results are reused between steps, while the output of ``forward`` and the input
    gradient returned by ``backward`` are always new arrays the caller owns.

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
            :math:`a^{(L)} - y`. The arrays are the ones backward used (not copies) and
            are overwritten by the next backward.

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
            for j in range(i):
                if modules[j] is module:
                    raise ValueError(
                        f"Sequential: arguments {j} and {i} are the same {module!r} object;"
                        " a module caches its forward for backward, so create one per position"
                    )
            setattr(self, str(i), module)
        self._layers: tuple[Module, ...] = tuple(modules)
        last = len(modules) - 1
        for i, module in enumerate(modules):
            object.__setattr__(module, "_reuse_output", i < last)
            object.__setattr__(module, "_reuse_grad_input", i > 0)
        # NaN and inf are looked for once, at the model's boundary (the first Linear's
        # output); a later layer's diverged weights show up at the loss, which says so.
        linears = [mod for mod in modules if isinstance(mod, Linear)]
        for j, mod in enumerate(linears):
            object.__setattr__(mod, "_check_finite", j == 0)
        self.deltas: dict[int, Array] = {}
        # Fixed by the layers, so backward need not search for them on every step.
        self._first_with_params = next(
            (i for i, mod in enumerate(modules) if mod._parameters or mod._modules), 0
        )
        self._n_linear = sum(isinstance(mod, Linear) for mod in modules)
        pack_parameters(self.parameters())

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

    def forward(self, x: Array) -> Array:
        for i, module in enumerate(self._layers):
            try:
                x = module.forward(x)
            except ValueError as exc:
                raise ValueError(f"Sequential layer {i}: {exc}") from exc
        return x

    @overload
    def backward(self, grad_output: Array) -> Array: ...
    @overload
    def backward(self, grad_output: Array, *, input_grad: Literal[True]) -> Array: ...
    @overload
    def backward(self, grad_output: Array, *, input_grad: Literal[False]) -> None: ...
    @overload
    def backward(self, grad_output: Array, *, input_grad: bool) -> Array | None: ...
    def backward(self, grad_output: Array, *, input_grad: bool = True) -> Array | None:
        r"""Run every module's backward in reverse order and record :attr:`deltas`.

        Args:
            grad_output: :math:`\partial J/\partial a^{(L)}`, usually ``criterion.backward()``.
            input_grad: if ``False``, the product that would give
                :math:`\partial J/\partial X` is skipped (the notes stop at
                :math:`\delta^{(2)}`) and ``None`` is returned; a training step does not
                need it and saves one matrix product per step.

        Returns:
            :math:`\partial J/\partial X`, shape :math:`(m, s_1)`, or ``None``.
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
            if i == stop and not input_grad:
                module.backward_params(g)
                self.deltas = deltas
                return None
            g = module.backward(g)
        self.deltas = deltas
        return g if input_grad else None

    def summary(self) -> str:
        """Return a table of the layers, their output widths and parameter counts.

        The output column is :math:`s_{l+1}` after each ``Linear`` and carries through
        the element-wise modules that follow it ("?" before the first ``Linear``).
        """
        rows = [("#", "layer", "output", "parameters")]
        width = "?"
        for i, module in enumerate(self._layers):
            if isinstance(module, Linear):
                width = str(module.out_features)
            rows.append((str(i), repr(module), f"(m, {width})", f"{module.num_parameters():,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = [
            f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
            for r in rows
        ]
        rule = "-" * len(lines[0])
        dtype = {str(p.dtype) for p in self.parameters()} or {"-"}
        total = f"Total parameters: {self.num_parameters():,} ({', '.join(sorted(dtype))})"
        return "\n".join([lines[0], rule, *lines[1:], rule, total])
