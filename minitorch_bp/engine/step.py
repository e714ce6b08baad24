r"""``compile_step``: one call that runs forward, :math:`J`, the δ chain and the update."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_examples
from minitorch_bp.engine.plan import Plan, build, leaves
from minitorch_bp.nn.container import Sequential
from minitorch_bp.nn.embedding import Embedding
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module, check_unique_modules
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.utils import GradientClip, clipper

if TYPE_CHECKING:
    from minitorch_bp.distributed.reduce import GradientAllReduce
    from minitorch_bp.distributed.world import Collectives

Array = NDArray[Any]


class Step:
    r"""A compiled training step: ``J = step(X, Y)``. Build it with :func:`compile_step`.

    Each call runs, for the batch ``(X, Y)``: forward propagation, the criterion, the
    notes' δ chain into every parameter's ``grad`` (replacing what was there, as
    ``zero_grad`` then ``backward`` would), and ``optimizer.step(m=len(X))``, i.e.
    :math:`\Theta \leftarrow \Theta - \alpha D` with :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)`.
    It returns :math:`J(\Theta)` before the update, the λ term included
    (:func:`~minitorch_bp.nn.l2_penalty` with the optimizer's ``l2`` and :math:`m = ` ``len(X)``).
    Closure optimizers (L-BFGS, conjugate gradients) get a closure that runs the same
    forward and backward.

    For each new batch shape the engine (:mod:`minitorch_bp.engine.plan`) compiles a step
    from the layers' output shapes (``Module.output_shape``) and every call of that shape
    runs it: buffers reused, nothing allocated, ``Sigmoid`` + ``BCELoss`` fused into
    :math:`\delta^{(L)} = a - y`, no :math:`\partial J/\partial X`. The results equal the
    plain layers' to rounding. (A layer that cannot tell its output shape is run plainly
    on the first batch of a shape, to see it.)

    ``step(X, Y, sample_weight=s)`` weights the examples (scikit-learn's
    ``sample_weight``): the criterion gets ``s`` and the optimizer steps with
    :math:`m = \sum_i s_i`, scikit-learn's ``sw_sum``. A frozen parameter
    (``requires_grad=False``) gets no gradient and the engine skips the products it would
    need. With ``clip_grad_norm`` or ``clip_grad_value`` the gradients are clipped (see
    :func:`~minitorch_bp.utils.clip_grad_norm_`) between backward and the update.

    Attributes:
        model, criterion, optimizer: what the step trains.
        engine: ``False`` runs the plain layers every time (the reference the engine is
            tested against, and a way to switch it off).
        output: the model's output for the last batch (before the update). With the
            engine it is the plan's buffer, overwritten by the next call: copy it to keep it.
        reducer: with ``distributed``, the
            :class:`~minitorch_bp.distributed.GradientAllReduce` run between backward and
            the update, so the optimizer steps on the :math:`D` of the whole global batch
            (``m`` = its size) and the returned :math:`J` is the whole batch's; ``None``
            otherwise. ``output`` stays this rank's.
        grad_norm: with ``clip_grad_norm``, the gradients' total norm before clipping at
            the last step.
    """

    def __init__(
        self,
        model: Module,
        criterion: Loss,
        optimizer: Optimizer,
        *,
        engine: bool = True,
        distributed: bool | Collectives = False,
        clip_grad_norm: float | None = None,
        clip_grad_value: float | None = None,
    ) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"compile_step: model is {type(model).__name__}, not an nn.Module")
        if not isinstance(criterion, Loss):
            raise TypeError(
                f"compile_step: criterion is {type(criterion).__name__}, not an nn.Loss"
            )
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"compile_step: optimizer is {type(optimizer).__name__}, not an optim.Optimizer"
            )
        check_unique_modules(model, "compile_step")
        check_scalar_loss(criterion, "compile_step")
        self._clip: GradientClip | None = clipper(clip_grad_norm, clip_grad_value, "compile_step")
        if self._clip is not None and optimizer.requires_closure:
            raise ValueError(
                f"compile_step: gradient clipping with {type(optimizer).__name__} would make the"
                " gradient disagree with J, which its line search relies on; clip only with"
                " first-order optimizers"
            )
        self.grad_norm: float | None = None
        self.model, self.criterion, self.optimizer = model, criterion, optimizer
        self.engine = bool(engine)
        self.output: Array | None = None
        self._outputs: list[Array] = []  # the plain layers' outputs of the last call
        self._plain_ran = False  # whether the last call ran the plain layers
        self._layers = leaves(model)
        own = {id(p) for p in model.parameters()}
        # Gradients the plan does not write itself: zeroed at the start of each step.
        self._zero = [p for p in optimizer.params if id(p) not in own]
        self._plans: dict[tuple[Any, ...], Plan] = {}
        self._plan: Plan | None = None
        self._freeze = Parameter.freeze_changes
        params = model.parameters()
        self._dtype = params[0].dtype if params else np.dtype(np.float64)
        self.reducer: GradientAllReduce | None = None
        if distributed is not False:
            from minitorch_bp.distributed.training import reducer_for

            self.reducer = reducer_for(distributed, criterion, optimizer)
        #: An Embedding first takes integer indices instead of float examples.
        self._indices = bool(self._layers) and isinstance(self._layers[0], Embedding)

    # ----------------------------------------------------------------- calling
    def __call__(self, X: Any, Y: Any, sample_weight: Any = None) -> float:
        r"""Train on one batch; return :math:`J(\Theta)` (with the λ term) before the update."""
        plan = self._plan
        # The common case, a batch like the last one, checked with a few attribute reads:
        # same shape and dtype, a target the criterion took as it was, same reduction,
        # no sample weights, no parameter frozen or thawed since.
        if (
            plan is not None
            and sample_weight is None
            and type(X) is np.ndarray
            and X.shape == plan.input_shape
            and X.dtype is plan.dtype
            and type(Y) is np.ndarray
            and plan.target is not None
            and Y.shape == plan.target[0]
            and Y.dtype is plan.target[1]
            and self.criterion.reduction is plan.reduction
            and Parameter.freeze_changes == plan.freeze
            and not plan.weighted
            and not self.optimizer.requires_closure
            and self.reducer is None
        ):
            with np.errstate(over="ignore", invalid="ignore"):  # see _run
                J = plan.run(X, Y)
            self._plain_ran = False
            return self._update(J, plan.input_shape[0])
        return self._call(X, Y, sample_weight)

    def _update(self, J: float, m: float) -> float:
        """After backward: (sum over the ranks,) add the λ term to :math:`J`, clip, step with ``m``."""
        opt = self.optimizer
        if self.reducer is not None:
            J, m = self.reducer(J, int(m), self.criterion.scale, self._width())
        J += opt.l2_penalty(m)
        if self._clip is not None:
            self.grad_norm = self._clip(opt.params)
        opt.step(m=m)
        return J

    def _call(self, X: Any, Y: Any, sample_weight: Any) -> float:
        if not (type(X) is np.ndarray and X.ndim >= 2 and X.dtype == self._dtype):
            X = self._check_batch(X)
        if sample_weight is not None and self.reducer is not None:
            raise ValueError(
                "compile_step: sample_weight with distributed training is not supported: the"
                " ranks sum example counts, not weights; train unweighted or on one process"
            )
        m = X.shape[0]
        if m == 0 and self.reducer is not None:
            return self._empty(X)
        if m == 0:
            raise ValueError(
                "compile_step: the batch has 0 rows; a step needs at least one example"
            )
        check_scalar_loss(self.criterion, "compile_step")
        if Parameter.freeze_changes != self._freeze:  # plans know which gradients to write
            self._plans.clear()
            self._plan, self._freeze = None, Parameter.freeze_changes
        if not self.engine:
            return self._plain(X, Y, sample_weight, record=False)
        weighted = sample_weight is not None
        plan = self._plans.get(self._key(X, weighted)) or self._plan_from_shapes(X, weighted)
        if plan is None:  # a layer that cannot tell its output shape: run it once to see
            return self._plain(X, Y, sample_weight, record=True)
        self._plan = plan
        self._plain_ran = False
        self.output = plan.output
        given = np.asarray(Y)
        target = self.criterion.prepare_target(plan.output.shape, plan.output.dtype, given)
        if target is given:
            plan.target = (given.shape, given.dtype)
        S = None
        if weighted:
            S = self.criterion.sample_weights(sample_weight, plan.output)
            m = weight_total(S)
        if self.optimizer.requires_closure:
            return self._closure_step(lambda: self._run(plan, X, target, S), m)
        return self._update(self._run(plan, X, target, S), m)

    def _check_batch(self, X: Any) -> Array:
        """The batch as an array: float examples ``(m, ...)``, or indices for an Embedding."""
        arr = X if isinstance(X, np.ndarray) else np.asarray(X)
        if self._indices and arr.dtype.kind in "iu" and arr.ndim >= 1:
            return arr
        arr = as_examples(arr, "compile_step", "X")
        if arr.dtype != self._dtype:
            raise ValueError(
                f"compile_step: X has dtype {arr.dtype} but the model's parameters are"
                f" {self._dtype}; convert the batch (X.astype(np.{self._dtype}))"
            )
        return arr

    def _run(self, plan: Plan, X: Array, target: Array, S: Array | None = None) -> float:
        # One errstate per step: overflow is fine (a sigmoid's e^-z → inf gives the right
        # limit) and NaN is looked for in J and at the first layer, which name the cause.
        with np.errstate(over="ignore", invalid="ignore"):
            J = plan.run(X, target) if S is None else plan.run(X, target, S)
        self.output = plan.output
        return J

    def _plan_from_shapes(self, X: Array, weighted: bool) -> Plan | None:
        shapes: list[tuple[int, ...]] = [X.shape]
        for layer in self._layers:
            shape = layer.output_shape(shapes[-1])
            if shape is None:
                return None
            shapes.append(shape)
        plan = self._plans[self._key(X, weighted)] = build(
            self._layers, self.criterion, shapes, self._dtype, self._zero, X.dtype, weighted
        )
        return plan

    def _key(self, X: Array, weighted: bool) -> tuple[Any, ...]:
        return (X.shape, X.dtype.str, self.criterion.reduction, weighted)

    def _closure_step(self, closure: Any, m: float) -> float:
        opt = self.optimizer
        if self.reducer is not None:
            closure, m = self._reduced(closure, int(m))
        penalty = opt.l2_penalty(m)
        first: list[tuple[float, Array]] = []

        def recorded() -> float:
            value = float(closure())
            if not first and self.output is not None:
                first.append((value, self.output.copy()))
            return value

        opt.step(recorded, m=m)
        if not first:  # an optimizer that never called the closure
            recorded()
        J, out = first[0]
        self.output = out
        return J + penalty

    # ----------------------------------------------------------------- the plain layers
    def _forward(self, X: Array, shapes: list[tuple[int, ...]] | None) -> Array:
        x = X
        outputs = self._outputs = []
        for layer in self._layers:
            x = layer(x)
            outputs.append(x)
            if shapes is not None:
                shapes.append(x.shape)
        return x

    def _backward(self, grad: Array) -> None:
        model = self.model
        if isinstance(model, Sequential):
            model.backward(grad)
        else:
            model.backward_params(grad)

    def _plain_pass(
        self, X: Array, Y: Any, sample_weight: Any, shapes: list[tuple[int, ...]] | None
    ) -> float:
        self.optimizer.zero_grad()
        self.model.zero_grad()
        out = self._forward(X, shapes)
        J = float(self.criterion(out, Y, sample_weight))
        self._backward(self.criterion.backward())
        self.output = out
        return J

    def _plain(self, X: Array, Y: Any, sample_weight: Any, *, record: bool) -> float:
        self._plain_ran = True
        shapes: list[tuple[int, ...]] | None = [X.shape] if record else None
        opt = self.optimizer
        m: float = X.shape[0]
        if sample_weight is not None:
            m = weight_total(np.asarray(sample_weight))
        if opt.requires_closure:
            calls: list[None] = []

            def closure() -> float:
                value = self._plain_pass(X, Y, sample_weight, shapes if not calls else None)
                calls.append(None)
                return value

            J = self._closure_step(closure, m)
        else:
            J = self._update(self._plain_pass(X, Y, sample_weight, shapes), m)
        if record and shapes is not None and len(shapes) == len(self._layers) + 1:
            weighted = sample_weight is not None
            self._plan = self._plans[self._key(X, weighted)] = build(
                self._layers, self.criterion, shapes, self._dtype, self._zero, X.dtype, weighted
            )
        return J

    # ----------------------------------------------------------------- data-parallel
    def _width(self) -> int:
        """:math:`K`, the outputs of the last forward (for a ``mean`` reduction's factor)."""
        assert self.output is not None
        return int(self.output.shape[-1])

    def _reduced(self, closure: Any, m: int) -> tuple[Callable[[], float], int]:
        """A closure that also sums over the ranks, and the global batch size it needs first."""
        reducer = self.reducer
        assert reducer is not None

        def reduced() -> float:
            J = closure()
            return reducer(J, m, self.criterion.scale, self._width())[0]

        return reduced, reducer.count(m)

    def _empty(self, X: Array) -> float:
        r"""This rank's share of the batch is empty: :math:`\Delta_r = 0`, the others' make the step."""
        shape = self.model.output_shape(X.shape)
        if shape is None and self.output is None:
            raise ValueError(
                f"compile_step: this rank's share of the batch is empty and"
                f" {type(self.model).__name__} cannot tell its output shape"
                " (Module.output_shape); use a batch_size of at least the world size"
            )
        width = shape[-1] if shape is not None else self.output.shape[-1]  # type: ignore[union-attr]
        self.output = np.empty((0, width), dtype=X.dtype)

        def nothing() -> float:
            self.optimizer.zero_grad()
            return 0.0

        if self.optimizer.requires_closure:
            return self._closure_step(nothing, 0)
        return self._update(nothing(), 0)

    # ----------------------------------------------------------------- inspection
    @property
    def deltas(self) -> dict[int, Array]:
        r"""The :math:`\partial J/\partial z^{(l)}` at each ``Linear``'s output, from the last call.

        Keyed like ``Sequential.deltas``: the plan's buffers (overwritten by the next
        call) when the engine ran, the model's ``deltas`` when the plain layers did;
        empty before the first call.
        """
        if self._plain_ran:
            model_deltas = getattr(self.model, "deltas", None)
            return dict(model_deltas) if isinstance(model_deltas, dict) else {}
        return dict(self._plan.deltas) if self._plan is not None else {}

    @property
    def layer_outputs(self) -> list[Array]:
        """Each layer's output for the last batch (``[i]`` is layer ``i``'s, nested containers flattened).

        The engine's buffers or the plain layers' outputs; like :attr:`output`, overwritten
        by the next call (copy what you keep). Empty before the first call.
        """
        if self._plain_ran:
            return list(self._outputs)
        plan = self._plan
        if plan is None:
            return []
        outs = [a if a is not None else plan.kept[i] for i, a in enumerate(plan.outputs)]
        return [a for a in outs if a is not None]  # every one is set once the plan ran

    def source(self, batch_size: int | None = None) -> str:
        """The compiled step for ``batch_size`` (default: the last one run), as Python source.

        One numpy call per line, commented in the notes' notation: what runs, read on
        its own. Empty before the engine has planned a step.
        """
        for key, plan in self._plans.items():
            if (batch_size is None and plan is self._plan) or key[0][0] == batch_size:
                return plan.source
        return ""

    def __repr__(self) -> str:
        return (
            f"Step(model={type(self.model).__name__}, criterion={self.criterion!r},"
            f" optimizer={self.optimizer!r}, engine={self.engine}, planned batch sizes"
            f" {sorted(k[0][0] for k in self._plans)})"
        )


def compile_step(
    model: Module,
    criterion: Loss,
    optimizer: Optimizer,
    *,
    engine: bool = True,
    distributed: bool | Collectives = False,
    clip_grad_norm: float | None = None,
    clip_grad_value: float | None = None,
) -> Step:
    r"""Return a :class:`Step`: ``J = step(X, Y)`` trains ``model`` on one batch.

    ``step(X, Y)`` does what the five lines of the README do (``model(X)``,
    ``criterion(out, Y)``, ``opt.zero_grad()``, ``model.backward(criterion.backward())``,
    ``opt.step(m=len(X))``) and returns :math:`J(\Theta)` with the λ term, in one call that
    the engine compiles for speed. ``engine=False`` runs exactly those five lines.
    ``clip_grad_norm`` / ``clip_grad_value`` clip the gradients before the update (see
    :func:`~minitorch_bp.utils.clip_grad_norm_`). The criterion's reduction must give a
    number (not ``"none"``).

    ``distributed=True`` (in a process group set up by
    :func:`minitorch_bp.distributed.init`; or a
    :class:`~minitorch_bp.distributed.Collectives`) makes ``(X, Y)`` this rank's share of a
    global batch: between backward and the update one all-reduce sums the shares'
    :math:`\Delta` (:class:`~minitorch_bp.distributed.GradientAllReduce`), the optimizer
    steps with ``m`` = the global batch size, and ``J`` is the global batch's. A share may
    be empty (``(0, n)``). Sample weights are refused there (the ranks sum counts).

    Example:
        >>> from minitorch_bp import nn, optim, train
        >>> from minitorch_bp.datasets import xor
        >>> X, Y = xor()
        >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid())
        >>> step = train.compile_step(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=5.0))
        >>> losses = [step(X, Y) for _ in range(2000)]
        >>> round(losses[0], 4), round(losses[-1], 4)
        (0.7723, 0.0007)
    """
    return Step(
        model,
        criterion,
        optimizer,
        engine=engine,
        distributed=distributed,
        clip_grad_norm=clip_grad_norm,
        clip_grad_value=clip_grad_value,
    )


def check_scalar_loss(criterion: Loss, who: str) -> None:
    """Refuse a criterion whose reduction is ``"none"``: a training step needs one number J."""
    if criterion.reduction == "none":
        raise ValueError(
            f"{who}: {type(criterion).__name__} has reduction='none', which gives one loss per"
            " element; a training step needs one number J: use 'batchmean' (the notes' J),"
            " 'sum' or 'mean', and sample_weight to weight the examples"
        )


def weight_total(s: Array) -> float:
    """The notes' :math:`m` with sample weights: their total (scikit-learn's ``sw_sum``)."""
    total = float(np.add.reduce(np.asarray(s, dtype=np.float64).reshape(-1)))
    if not total > 0:
        raise ValueError(
            f"compile_step: the sample weights add up to {total}; a step needs a total > 0"
        )
    return total
