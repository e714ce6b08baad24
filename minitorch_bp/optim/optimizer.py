r"""The ``Optimizer`` base: parameter groups, the notes' :math:`\lambda` per group, the step contract."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_example_count, check_nonnegative, check_positive
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import check_l2, l2_coefficient, l2_penalty

Array = NDArray[Any]

#: Keys the learning-rate schedulers keep in a group (PyTorch's names), allowed next to
#: an optimizer's own hyper-parameters; ``name`` labels a group for the user.
SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "name")


class Optimizer:
    r"""Base class of the optimizers, in the shape of ``torch.optim.Optimizer``.

    The optimizer, not the loss, owns the notes' regularisation: it turns each
    parameter's gradient :math:`\frac{1}{m}\Delta` into
    :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for the parameters that decay and
    :math:`D = \frac{1}{m}\Delta` for the others (biases, frozen parameters), by the one
    rule of :mod:`minitorch_bp.nn.regularization`. :math:`m`, the number of examples in
    the batch behind the gradient, is passed to :meth:`step` (``opt.step(m=len(X))``); it
    is only needed when some group has ``l2 > 0``.

    Parameter groups:
        ``params`` is either parameters (one group) or a list of dicts, each with
        ``"params"`` and any hyper-parameters of its own, PyTorch's form::

            optim.SGD([{"params": model[0].parameters(), "lr": 0.1, "l2": 0.0},
                       {"params": model[2].parameters()}], lr=0.01, l2=1.0)

        A group's missing hyper-parameters come from the constructor's arguments
        (:attr:`defaults`). :attr:`param_groups` holds the groups as dicts, which every
        step reads, so a scheduler (or the user) can change ``group["lr"]``;
        :meth:`add_param_group` adds one. ``opt.lr`` and ``opt.l2`` read the value all
        groups share (a ``ValueError`` when they differ) and set it in every group.

    Parameters are identities: one given twice in a group (weight tying) is kept once,
    with a warning, so it moves once per step; one in two groups is an error. A frozen
    parameter (``requires_grad=False``) stays in its group and is skipped by every step.

    Closures:
        ``step(closure)`` takes an optional function that runs forward, the criterion and
        backward and returns the criterion's value, as in PyTorch. Optimizers that must
        re-evaluate the cost (line searches: L-BFGS, conjugate gradients) set the class
        attribute ``requires_closure = True``; a training loop passes one to them.

    Args:
        params: the parameters to update (``model.parameters()``), or a list of groups.
        defaults: every hyper-parameter with its default value (``lr``, ``l2``...).
    """

    requires_closure: ClassVar[bool] = False

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        name = type(self).__name__
        self.defaults: dict[str, Any] = {}
        self.defaults = self.check_group(dict(defaults), "")
        self.param_groups: list[dict[str, Any]] = []
        #: Every parameter, group after group (the order of :meth:`state_dict`'s lists).
        self.params: list[Parameter] = []
        self._group_index: dict[int, int] = {}
        groups = split_groups(params, name)
        for group in groups:
            self.add_param_group(group)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list; pass model.parameters()")

    # ----------------------------------------------------------------- groups
    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (the others from :attr:`defaults`).

        As ``torch.optim.Optimizer.add_param_group``: for layers added to a model while it
        trains (unfrozen ones, say). A parameter already in a group is refused.
        """
        name = type(self).__name__
        where = f"param_groups[{len(self.param_groups)}]"
        if not isinstance(param_group, Mapping) or "params" not in param_group:
            raise ValueError(
                f"{name}: a parameter group must be a dict with a 'params' entry; got"
                f" {type(param_group).__name__}"
            )
        given = param_group["params"]
        plist = unique_parameters([given] if isinstance(given, Parameter) else given, name)
        again = [i for i, p in enumerate(plist) if id(p) in self._group_index]
        if again:
            raise ValueError(
                f"{name}: {where} repeats {len(again)} parameter(s) of an earlier group"
                f" (e.g. params[{again[0]}]); a parameter belongs to one group"
            )
        known = set(self.defaults) | {"params", *SCHEDULER_KEYS}
        unknown = sorted(set(param_group) - known)
        if unknown:
            raise ValueError(
                f"{name}: {where} has unknown keys {unknown}; {name} takes {sorted(self.defaults)}"
            )
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        group = self.check_group(group, where)
        group["params"] = plist
        index = len(self.param_groups)
        self.param_groups.append(group)
        for p in plist:
            self._group_index[id(p)] = index
        self.params.extend(plist)
        self._add_state(plist)

    def who(self, where: str) -> str:
        """The name errors give: the class, and the group when it is one (``where``)."""
        return f"{type(self).__name__}{': ' + where if where else ''}"

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        """Return ``group`` with its hyper-parameters checked (subclasses add theirs)."""
        who = self.who(where)
        if "lr" in group:
            # The constructor's lr must be > 0; a group's may be 0 (PyTorch's way of
            # holding a group still, and where a schedule can end).
            check = check_lr if not where else check_group_lr
            group["lr"] = check(group["lr"], who)
        if "l2" in group:
            group["l2"] = check_l2(group["l2"], who)
        return group

    def _add_state(self, params: list[Parameter]) -> None:
        """Make the per-parameter state of newly added ``params`` (subclasses)."""

    def group_of(self, p: Parameter) -> dict[str, Any]:
        """The parameter group that holds ``p``."""
        try:
            return self.param_groups[self._group_index[id(p)]]
        except KeyError:
            raise ValueError(f"{type(self).__name__}: {p!r} is not one of its parameters") from None

    def _shared(self, key: str) -> Any:
        values = [g[key] for g in self.param_groups]
        if any(v != values[0] for v in values):
            raise ValueError(
                f"{type(self).__name__} has {len(values)} parameter groups with different"
                f" {key} {values}; read optimizer.param_groups[i][{key!r}]"
            )
        return values[0]

    @property
    def lr(self) -> float:
        """The learning rate of every group (a ``ValueError`` if the groups differ)."""
        value: float = self._shared("lr")
        return value

    @lr.setter
    def lr(self, value: float) -> None:
        lr = check_group_lr(value, type(self).__name__)
        for group in self.param_groups:
            group["lr"] = lr

    @property
    def l2(self) -> float:
        """The notes' λ of every group (a ``ValueError`` if the groups differ)."""
        value: float = self._shared("l2")
        return value

    @l2.setter
    def l2(self, value: float) -> None:
        lam = check_l2(value, type(self).__name__)
        for group in self.param_groups:
            group["l2"] = lam

    # ----------------------------------------------------------------- the λ rule
    def batch_size(self, m: Any) -> float:
        """Return ``m`` checked; ``None`` is allowed (as 1) only while no group has ``l2 > 0``."""
        if type(m) is int and m > 0:
            return m
        if m is None:
            if any(g["l2"] for g in self.param_groups):
                raise ValueError(
                    f"{type(self).__name__}.step: l2={self._l2_text()} needs m, the number of"
                    " examples in the batch behind the gradient (the batch the loss saw):"
                    " opt.step(m=len(X))"
                )
            return 1
        return check_example_count(m, f"{type(self).__name__}.step")

    def _l2_text(self) -> str:
        values = [g["l2"] for g in self.param_groups]
        return str(values[0]) if all(v == values[0] for v in values) else str(values)

    def gradient(self, p: Parameter, m: float, out: Array | None = None) -> Array:
        r"""Return the notes' :math:`D` for ``p`` (into ``out`` if given, else a new array)."""
        c = l2_coefficient(p, self.group_of(p)["l2"], m)
        if out is None:
            out = np.empty_like(p.grad)
        if c:
            np.multiply(p.data, c, out=out)
            out += p.grad
        else:
            np.copyto(out, p.grad)
        return out

    def gradient_vector(self, m: float) -> Array:
        r"""Return :math:`D` for all parameters as one 1-D vector, in order (a new array)."""
        return np.concatenate([self.gradient(p, m).reshape(-1) for p in self.params])

    def l2_penalty(self, m: float) -> float:
        r"""Return :math:`\sum_{groups}\frac{\lambda_g}{2m}\sum W^2` over the parameters that decay."""
        total = 0.0
        for group in self.param_groups:
            if group["l2"]:
                total += l2_penalty(group["params"], group["l2"], m)
        return total

    # ----------------------------------------------------------------- public API
    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def step(
        self, closure: Callable[[], float] | None = None, *, m: float | None = None
    ) -> float | None:
        """Update the parameters from their gradients; return ``closure()`` if given.

        Args:
            closure: runs forward, the criterion and backward; returns the criterion.
            m: the number of examples behind the gradients (``len(X)``), for the λ term.
        """
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters, the groups and any per-parameter state (arrays are copies).

        ``lr``, ``l2``... at the top are the :attr:`defaults`; ``param_groups`` lists each
        group's values with its parameters as indices into :attr:`params`, and ``shapes``
        their shapes, so a state only loads into parameters like these.
        """
        state: dict[str, Any] = {"type": type(self).__name__, **_jsonable(self.defaults)}
        index = {id(p): i for i, p in enumerate(self.params)}
        state["param_groups"] = [
            {
                **_jsonable({k: v for k, v in g.items() if k != "params"}),
                "params": [index[id(p)] for p in g["params"]],
            }
            for g in self.param_groups
        ]
        state["shapes"] = [list(p.shape) for p in self.params]
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, all or nothing.

        The groups must be those of the saved optimizer (as many, as large); if any part
        of ``state`` is refused, the optimizer is put back as it was and a ``ValueError``
        names the problem, so a bad checkpoint never half-loads.
        """
        name = type(self).__name__
        if not isinstance(state, Mapping):
            raise ValueError(f"{name}.load_state_dict: state is {type(state).__name__}, not a dict")
        backup = self.state_dict()
        try:
            self._load_state(state)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            self._load_state(backup)
            if isinstance(exc, ValueError) and str(exc).startswith(name):
                raise
            raise ValueError(f"{name}.load_state_dict: malformed state ({exc!r})") from exc

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Apply ``state``; subclasses extend this (``load_state_dict`` makes it atomic)."""
        name = type(self).__name__
        if state.get("type", name) != name:
            raise ValueError(f"{name}.load_state_dict: state is for {state['type']}")
        if "shapes" in state:
            shapes = [tuple(int(n) for n in s) for s in state["shapes"]]
            mine = [p.shape for p in self.params]
            if shapes != mine:
                raise ValueError(
                    f"{name}.load_state_dict: the state is for {len(shapes)} parameters of"
                    f" shapes {shapes[:6]}; this optimizer has {len(mine)} of shapes {mine[:6]}"
                )
        top = {k: state[k] for k in self.defaults if k in state}
        defaults = self.check_group({**self.defaults, **top}, "")
        groups = state.get("param_groups")
        if groups is None:  # a state written before parameter groups: one set of values
            values = [
                {k: v for k, v in g.items() if k != "params"} | top for g in self.param_groups
            ]
        else:
            values = self._saved_groups(groups)
        checked = [self.check_group(dict(v), f"param_groups[{i}]") for i, v in enumerate(values)]
        self.defaults = defaults
        for group, new in zip(self.param_groups, checked, strict=True):
            params = group["params"]
            group.clear()  # in place: a scheduler or a user may hold the group
            group.update(new)
            group["params"] = params

    def _saved_groups(self, groups: Any) -> list[dict[str, Any]]:
        name = type(self).__name__
        saved = list(groups)
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(saved)} parameter groups;"
                f" this optimizer has {len(self.param_groups)}"
            )
        values = []
        for i, (g, mine) in enumerate(zip(saved, self.param_groups, strict=True)):
            if not isinstance(g, Mapping):
                raise ValueError(f"{name}.load_state_dict: param_groups[{i}] is not a dict")
            if len(list(g.get("params", []))) != len(mine["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: param_groups[{i}] has"
                    f" {len(list(g.get('params', [])))} parameters; this optimizer's has"
                    f" {len(mine['params'])}"
                )
            unknown = sorted(set(g) - set(self.defaults) - {"params", *SCHEDULER_KEYS})
            if unknown:
                raise ValueError(
                    f"{name}.load_state_dict: param_groups[{i}] has unknown keys {unknown}"
                )
            values.append({**self.defaults, **{k: v for k, v in g.items() if k != "params"}})
        return values

    def __repr__(self) -> str:
        """``lr``, ``l2`` and the hyper-parameters that differ from the constructor's defaults."""
        defaults = _signature_defaults(type(self))
        group = self.param_groups[0] if len(self.param_groups) == 1 else self.defaults
        shown = [
            f"{k}={v!r}"
            for k, v in group.items()
            if k in self.defaults
            and (k in ("lr", "l2") or defaults.get(k, v) != v or k not in defaults)
        ]
        if len(self.param_groups) > 1:
            shown.append(f"{len(self.param_groups)} parameter groups")
        return f"{type(self).__name__}({', '.join(shown)})"


def _signature_defaults(cls: type) -> dict[str, Any]:
    """The default values of ``cls``'s constructor arguments (for ``repr``)."""
    import inspect

    params = inspect.signature(cls).parameters.values()
    return {
        p.name: (tuple(p.default) if isinstance(p.default, list) else p.default)
        for p in params
        if p.default is not inspect.Parameter.empty
    }


def split_groups(params: Iterable[Any], who: str) -> list[Mapping[str, Any]]:
    """``params`` as a list of groups: dicts stay groups, parameters make one group."""
    if isinstance(params, (Parameter, Mapping)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{who}: params must be an iterable of Parameters or of group dicts, not a"
            f" {type(params).__name__}; pass model.parameters()"
        )
    items = list(params)
    if items and all(isinstance(x, Mapping) for x in items):
        return items
    if any(isinstance(x, Mapping) for x in items):
        raise TypeError(f"{who}: params mixes parameter groups (dicts) and parameters")
    return [{"params": items}]


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
            stacklevel=4,
        )
    return out


def check_lr(lr: Any, who: str) -> float:
    """Return ``lr`` as a float if it is a finite number > 0 (not a bool or a string)."""
    if isinstance(lr, (bool, str)):
        raise ValueError(f"{who}: lr={lr!r} must be a finite number > 0")
    return check_positive(lr, "lr", who)


def check_group_lr(lr: Any, who: str) -> float:
    """A group's learning rate: a finite number >= 0 (a schedule may reach 0, as PyTorch's)."""
    if isinstance(lr, (bool, str)):
        raise ValueError(f"{who}: lr={lr!r} must be a finite number >= 0")
    return check_nonnegative(lr, "lr", who)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Tuples as lists (``betas``), so a state survives a JSON round trip unchanged."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
