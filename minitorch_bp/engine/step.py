r"""``compile_step``: one call that runs forward, :math:`J`, the δ chain and the update."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_batch
from minitorch_bp.engine.plan import Plan, build, leaves
from minitorch_bp.nn.container import Sequential
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module, check_unique_modules
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.utils import GradientClip, clipper

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
        self._layers = leaves(model)
        own = {id(p) for p in model.parameters()}
        # Gradients the plan does not write itself: zeroed at the start of each step.
        self._zero = [p for p in optimizer.params if id(p) not in own]
        self._plans: dict[tuple[Any, ...], Plan] = {}
        self._plan: Plan | None = None
        self._freeze = Parameter.freeze_changes
        params = model.parameters()
        self._dtype = params[0].dtype if params else np.dtype(np.float64)

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
        ):
            with np.errstate(over="ignore", invalid="ignore"):  # see _run
                J = plan.run(X, Y)
            m = plan.input_shape[0]
            return J + self._update(m)
        return self._call(X, Y, sample_weight)

    def _update(self, m: float) -> float:
        """Clip if asked, take the optimizer's step; return the λ term of J (before it)."""
        opt = self.optimizer
        penalty = opt.l2_penalty(m)
        if self._clip is not None:
            self.grad_norm = self._clip(opt.params)
        opt.step(m=m)
        return penalty

    def _call(self, X: Any, Y: Any, sample_weight: Any) -> float:
        if not (type(X) is np.ndarray and X.ndim == 2 and X.dtype == self._dtype):
            X = as_batch(X, "compile_step", "X")
        m = X.shape[0]
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
        J = self._run(plan, X, target, S)
        return J + self._update(m)

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
            self._layers, self.criterion, shapes, X.dtype, self._zero, weighted
        )
        return plan

    def _key(self, X: Array, weighted: bool) -> tuple[Any, ...]:
        return (X.shape, X.dtype.str, self.criterion.reduction, weighted)

    def _closure_step(self, closure: Any, m: float) -> float:
        opt = self.optimizer
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
        for layer in self._layers:
            x = layer(x)
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
            J = self._plain_pass(X, Y, sample_weight, shapes)
            J += self._update(m)
        if record and shapes is not None and len(shapes) == len(self._layers) + 1:
            weighted = sample_weight is not None
            self._plan = self._plans[self._key(X, weighted)] = build(
                self._layers, self.criterion, shapes, X.dtype, self._zero, weighted
            )
        return J

    # ----------------------------------------------------------------- inspection
    @property
    def deltas(self) -> dict[int, Array]:
        r"""The engine's :math:`\partial J/\partial z^{(l)}` at each ``Linear``'s output, from the last call.

        The plan's buffers (overwritten by the next call), keyed like
        ``Sequential.deltas``; empty before the engine has run.
        """
        return dict(self._plan.deltas) if self._plan is not None else {}

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
