"""Constructor parameters: ``get_params`` / ``set_params`` as scikit-learn defines them, and their checks.

Following scikit-learn's contract, ``__init__`` stores each argument unchanged and
``set_params`` only assigns; every value is checked when ``fit`` starts (:func:`settings`),
with a message that names the parameter and the value.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative, check_positive, check_positive_int
from minitorch_bp.data.missing import check_na_policy

SOLVERS = ("sgd", "adam", "lbfgs", "cg")
#: The solvers that work on the whole training set at once (a line search per iteration).
FULL_BATCH = ("lbfgs", "cg")
LEARNING_RATES = ("constant", "invscaling", "adaptive")


class Params:
    """``get_params``, ``set_params`` and a ``repr`` showing the parameters that differ from the defaults."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters by name (``deep`` is accepted for scikit-learn; none is an estimator)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Params:
        """Set constructor parameters by name and return the estimator; they take effect at the next ``fit``.

        Raises:
            ValueError: a name that is not a parameter (the message lists them).
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}; valid"
                    f" parameters are {sorted(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = []
        for name in self._param_names():
            value = getattr(self, name, None)
            default = defaults.get(name, inspect.Parameter.empty)
            same = value is default or (type(value) is type(default) and _equal(value, default))
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Settings:
    """The parameters of one ``fit``, checked and in their working types."""

    hidden: tuple[int, ...]
    activation: str
    solver: str
    alpha: float
    batch_size: int | None  # None: "auto"
    learning_rate: str
    learning_rate_init: float
    power_t: float
    max_iter: int
    shuffle: bool
    tol: float
    verbose: bool
    warm_start: bool
    momentum: float
    nesterovs_momentum: bool
    early_stopping: bool
    validation_fraction: float
    betas: tuple[float, float]
    epsilon: float
    n_iter_no_change: float
    max_fun: int
    output: str
    standardize: bool
    na: str
    engine: bool


def _flag(value: Any, name: str, who: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{who}: {name}={value!r} must be True or False")
    return bool(value)


def _choice(value: Any, name: str, who: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{who}: {name}={value!r} must be one of {choices}")
    return value


def _fraction(value: Any, name: str, who: str) -> float:
    number = check_nonnegative(value, name, who)
    if number >= 1.0:
        raise ValueError(f"{who}: {name}={value!r} must be in [0, 1)")
    return number


def hidden_sizes(value: Any, who: str) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive integers (an integer means one layer)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    try:
        sizes = tuple(value)
    except TypeError:
        sizes = None
    if sizes is None or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes
    ):
        raise ValueError(
            f"{who}: hidden_layer_sizes={value!r} must be a positive integer or a sequence of"
            " them, e.g. (100,) or (64, 32)"
        )
    return tuple(int(s) for s in sizes)


def settings(params: dict[str, Any], who: str, outputs: tuple[str, ...]) -> Settings:
    """Check every parameter; raise ``ValueError`` naming the first bad one."""
    from minitorch_bp.estimators.network import activation_class

    p = params
    batch = p["batch_size"]
    if not (isinstance(batch, str) and batch == "auto"):
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
            raise ValueError(f"{who}: batch_size={batch!r} must be a positive integer or 'auto'")
        batch = int(batch)
    n_iter_no_change = p["n_iter_no_change"]
    if not (isinstance(n_iter_no_change, float) and math.isinf(n_iter_no_change)):
        n_iter_no_change = check_positive_int(n_iter_no_change, "n_iter_no_change", who)
    activation = p["activation"]
    activation_class(activation, who)
    momentum = check_nonnegative(p["momentum"], "momentum", who)
    if momentum > 1:
        raise ValueError(f"{who}: momentum={p['momentum']!r} must be in [0, 1]")
    verbose = p["verbose"]
    if isinstance(verbose, (int, np.integer)) and not isinstance(verbose, bool):
        verbose = verbose > 0
    return Settings(
        hidden=hidden_sizes(p["hidden_layer_sizes"], who),
        activation=activation,
        solver=_choice(p["solver"], "solver", who, SOLVERS),
        alpha=check_nonnegative(p["alpha"], "alpha", who, " (the notes' λ)"),
        batch_size=None if batch == "auto" else batch,
        learning_rate=_choice(p["learning_rate"], "learning_rate", who, LEARNING_RATES),
        learning_rate_init=check_positive(p["learning_rate_init"], "learning_rate_init", who),
        power_t=check_nonnegative(p["power_t"], "power_t", who),
        max_iter=check_positive_int(p["max_iter"], "max_iter", who),
        shuffle=_flag(p["shuffle"], "shuffle", who),
        tol=check_nonnegative(p["tol"], "tol", who),
        verbose=_flag(verbose, "verbose", who),
        warm_start=_flag(p["warm_start"], "warm_start", who),
        momentum=momentum,
        nesterovs_momentum=_flag(p["nesterovs_momentum"], "nesterovs_momentum", who),
        early_stopping=_flag(p["early_stopping"], "early_stopping", who),
        validation_fraction=_fraction(p["validation_fraction"], "validation_fraction", who),
        betas=(
            _fraction(p["beta_1"], "beta_1", who),
            _fraction(p["beta_2"], "beta_2", who),
        ),
        epsilon=check_positive(p["epsilon"], "epsilon", who),
        n_iter_no_change=float(n_iter_no_change),
        max_fun=check_positive_int(p["max_fun"], "max_fun", who),
        output=_choice(p["output"], "output", who, ("auto", *outputs)),
        standardize=_flag(p["standardize"], "standardize", who),
        na=check_na_policy(p["na"], who),
        engine=_flag(p["engine"], "engine", who),
    )
