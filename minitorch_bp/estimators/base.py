r"""``BaseMLP``: what the two estimators share, from raw rows to a trained network and back.

``fit`` checks the parameters and the data, fits the preprocessing on the training rows,
builds the network and trains it with :func:`minitorch_bp.train.fit` (the engine's
:func:`~minitorch_bp.train.compile_step`); the loss is the notes' regularised
:math:`J(\Theta)` with ``alpha`` as :math:`\lambda`. The subclasses say what the targets
are and what the outputs mean.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn, optim
from minitorch_bp._random import as_generator
from minitorch_bp.data.loader import DataLoader
from minitorch_bp.data.split import train_test_split
from minitorch_bp.estimators import _sklearn
from minitorch_bp.estimators._input import as_matrix, feature_names, n_rows
from minitorch_bp.estimators._params import FULL_BATCH, Params, Settings, settings
from minitorch_bp.estimators._stopping import Progress, SklearnRule
from minitorch_bp.estimators.network import build_network
from minitorch_bp.estimators.preprocessing import Preprocessing, fit_preprocessing
from minitorch_bp.train.evaluate import check_outputs
from minitorch_bp.train.fit import fit as train_fit

Array = NDArray[Any]


class BaseMLP(Params):
    """The shared half of :class:`MLPClassifier` and :class:`MLPRegressor` (see their docs)."""

    _estimator_type: ClassVar[str] = ""
    _output_units: ClassVar[tuple[str, ...]] = ()

    # Set by fit (declared here for the type checker; they do not exist before fit).
    model_: nn.Sequential
    preprocessing_: Preprocessing
    n_features_in_: int
    feature_names_in_: Array
    out_activation_: str
    n_outputs_: int
    n_layers_: int
    n_iter_: int
    t_: int
    loss_curve_: list[float]
    loss_: float
    best_loss_: float | None
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    _output: str
    _rng: np.random.Generator
    _optimizer: optim.Optimizer
    _progress: Progress

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        output: str = "auto",
        standardize: bool = True,
        na: str = "error",
        engine: bool = True,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.output = output
        self.standardize = standardize
        self.na = na
        self.engine = engine

    # ----------------------------------------------------------------- subclass hooks
    def _check_targets(self, y: Any, who: str) -> Array:
        """``y`` checked and in a plain array form (labels, indicator rows or values)."""
        raise NotImplementedError

    def _fit_targets(self, targets: Array, classes: Any, s: Settings, who: str) -> None:
        """Fit the target encoding (classes, or the target scaling) on the training targets."""
        raise NotImplementedError

    def _network_targets(self, targets: Array, who: str) -> Array:
        """What the network's outputs are fitted to, for these targets."""
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _out_activation(self, s: Settings) -> str:
        """scikit-learn's name of the output unit: ``logistic``, ``softmax`` or ``identity``."""
        raise NotImplementedError

    def _criterion(self) -> nn.Loss:
        raise NotImplementedError

    def _val_score(self, X: Array, T: Array) -> Any:
        """The early-stopping score of a model on validation rows (network inputs and targets)."""
        raise NotImplementedError

    def _stratify(self, T: Array) -> Array | None:
        return None

    # ----------------------------------------------------------------- fitting
    def fit(self, X: Any, y: Any, *, callbacks: Sequence[Any] = ()) -> Any:
        """Train from scratch (or, with ``warm_start=True``, from the current weights) on ``(X, y)``.

        Args:
            X: the raw rows, ``(m, n_features)``: an array, a list of rows or a data frame
                (its column names become ``feature_names_in_``).
            y: the targets, ``(m,)`` (or ``(m, k)``, see the class).
            callbacks: more callbacks for :func:`minitorch_bp.train.fit` (a progress
                display, a monitor); they see each epoch's ``loss`` and, for a classifier,
                the training ``accuracy`` in ``state.logs``, after the estimator's own
                stopping rule has run.

        Returns:
            The estimator itself.

        Warns:
            TrainingInterruptedWarning: Ctrl-C ended training; the estimator keeps the
                weights of the last batch that ran.
        """
        self._fit(X, y, incremental=False, callbacks=callbacks)
        return self

    def _fit(
        self,
        X: Any,
        y: Any,
        *,
        incremental: bool,
        classes: Any = None,
        callbacks: Sequence[Any] = (),
    ) -> None:
        name = type(self).__name__
        who = f"{name}.{'partial_fit' if incremental else 'fit'}"
        s = settings(self.get_params(), who, self._output_units)
        if incremental and s.solver in FULL_BATCH:
            raise ValueError(
                f"{who}: solver={s.solver!r} works on the whole training set at once; partial_fit"
                " needs solver='sgd' or 'adam'"
            )
        if incremental and s.early_stopping:
            raise ValueError(f"{who}: partial_fit does not support early_stopping=True")
        names = feature_names(X, who)
        Xa = as_matrix(X, who, allow_nan=s.na != "error", names=names)
        if y is None:
            raise ValueError(f"{who}: {name} requires y to be passed, but the target y is None")
        if n_rows(y) != Xa.shape[0]:
            raise ValueError(
                f"{who}: X has {Xa.shape[0]} rows but y has {n_rows(y)}; give one target per row"
            )
        targets = self._check_targets(y, who)
        fresh = not self.__sklearn_is_fitted__() or not (incremental or s.warm_start)
        if not fresh:
            self._check_features(Xa, names, who)
        if s.na == "drop":
            complete = ~np.isnan(Xa).any(axis=1)
            if not complete.any():
                raise ValueError(f"{who}: every row of X has a missing value; na='drop' left none")
            Xa, targets = Xa[complete], targets[complete]
        if fresh:
            before = dict(vars(self))
            try:
                self._start(Xa, names, targets, classes, s, who)
            except BaseException:  # a refused refit leaves the last fit as it was
                vars(self).clear()
                vars(self).update(before)
                raise
        Xn = self.preprocessing_.transform(Xa, who)
        self._train(Xn, self._network_targets(targets, who), s, incremental, who, callbacks)

    def _start(
        self, X: Array, names: list[str] | None, targets: Array, classes: Any, s: Settings, who: str
    ) -> None:
        """A new model: forget what was fitted, fit the preprocessing, build the network."""
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, key)
        self._rng = _generator(self.random_state, who)
        self.preprocessing_ = fit_preprocessing(X, names, na=s.na, standardize_=s.standardize)
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self._fit_targets(targets, classes, s, who)
        self.out_activation_ = self._out_activation(s)
        self.n_outputs_ = self._n_outputs()
        sizes = [X.shape[1], *s.hidden, self.n_outputs_]
        self.n_layers_ = len(sizes)
        self.model_ = build_network(
            sizes, s.activation, self.out_activation_ == "logistic", self._rng
        )
        self._optimizer = _optimizer(self.model_, s)
        self._progress = Progress()
        self.t_ = 0

    def _train(
        self,
        X: Array,
        T: Array,
        s: Settings,
        incremental: bool,
        who: str,
        callbacks: Sequence[Any] = (),
    ) -> None:
        X_val = T_val = None
        if s.early_stopping and not incremental:
            X, X_val, T, T_val = _validation_split(X, T, s, self._stratify(T), self._rng, who)
        m = X.shape[0]
        full = s.solver in FULL_BATCH
        batch = m if full else min(s.batch_size or 200, m)
        if s.batch_size is not None and s.batch_size > m and not full:
            _sklearn.warn(
                UserWarning,
                f"{who}: batch_size={s.batch_size} is larger than the {m} training rows; using {m}",
            )
        rule = SklearnRule(
            self._progress,
            solver=s.solver,
            learning_rate=s.learning_rate,
            learning_rate_init=s.learning_rate_init,
            power_t=s.power_t,
            tol=s.tol,
            n_iter_no_change=s.n_iter_no_change,
            max_fun=s.max_fun,
            verbose=s.verbose,
            n_samples=m,
            val_score=None if X_val is None or T_val is None else self._val_score(X_val, T_val),
            stop=not incremental,
        )
        loader = DataLoader(X, T, batch, shuffle=s.shuffle and batch < m, seed=self._rng)
        try:
            with warnings.catch_warnings():
                # One L-BFGS iteration per epoch (max_iter=1) stops on its limit by design: the
                # estimator's own rule decides convergence and warns as scikit-learn does.
                warnings.simplefilter("ignore", optim.ConvergenceWarning)
                train_fit(
                    self.model_,
                    self._criterion(),
                    self._optimizer,
                    loader,
                    epochs=1 if incremental else s.max_iter,
                    metrics=("loss", "accuracy")
                    if (s.verbose or callbacks) and self._estimator_type == "classifier"
                    else ("loss",),
                    callbacks=[rule, *callbacks],
                    progress=s.verbose,
                    engine=s.engine,
                )
        except KeyboardInterrupt:
            # As scikit-learn: Ctrl-C ends training; the weights are those after the last
            # batch that ran, and the record stops at the last complete epoch.
            rule.restore_best(self.model_)
            _sklearn.warn(
                _sklearn.TrainingInterruptedWarning,
                f"{who}: training interrupted after {rule.epochs} epochs; the estimator keeps"
                " the weights of the last batch that ran",
            )
            rule.converged = True  # no ConvergenceWarning on top
        self.model_.eval()
        self._record(rule, s, incremental, who)

    def _record(self, rule: SklearnRule, s: Settings, incremental: bool, who: str) -> None:
        p = self._progress
        self.n_iter_ = rule.epochs
        self.t_ = p.samples_seen
        self.loss_curve_ = list(p.loss_curve)
        self.loss_ = (
            float(self._optimizer.objective)  # type: ignore[attr-defined]
            if s.solver in FULL_BATCH
            else p.loss_curve[-1]
        )
        self.best_loss_ = None if s.early_stopping else p.best_loss
        self.validation_scores_ = list(p.validation_scores) if s.early_stopping else None
        self.best_validation_score_ = p.best_validation_score if s.early_stopping else None
        for name, param in self.model_.named_parameters():
            if not np.isfinite(param.data).all():
                raise ValueError(
                    f"{who}: training diverged: parameter {name!r} holds NaN or inf; lower"
                    " learning_rate_init, or scale the inputs (standardize=True)"
                )
        if not incremental and not rule.converged and rule.epochs >= s.max_iter:
            what = s.solver if s.solver in FULL_BATCH else "the stochastic optimizer"
            _sklearn.warn(
                _sklearn.ConvergenceWarning,
                f"{who}: max_iter={s.max_iter} reached and {what} has not converged yet (the"
                f" loss still improves by more than tol={s.tol}); raise max_iter",
            )
        elif not incremental and s.solver in FULL_BATCH and not rule.converged:
            _sklearn.warn(
                _sklearn.ConvergenceWarning,
                f"{who}: {s.solver} stopped after max_fun={s.max_fun} evaluations without converging",
            )

    # ----------------------------------------------------------------- predicting
    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit``, ``partial_fit`` or ``load`` has given the estimator a network."""
        return "model_" in vars(self)

    def _outputs(self, X: Any, who: str) -> Array:
        """The network's outputs for the raw rows ``X`` (every row: one output row each)."""
        return self._scored_outputs(X, who, leave_out_missing=False)[0]

    def _scored_outputs(
        self, X: Any, who: str, *, leave_out_missing: bool
    ) -> tuple[Array, Array | None]:
        """The outputs and, with ``na="drop"`` and ``leave_out_missing``, which rows were kept."""
        if not self.__sklearn_is_fitted__():
            raise _sklearn.not_fitted(self, who.rpartition(".")[2])
        names = feature_names(X, who)
        Xa = as_matrix(X, who, allow_nan=self.na != "error", names=names)
        self._check_features(Xa, names, who)
        kept: Array | None = None
        if self.na == "drop" and np.isnan(Xa).any():
            if not leave_out_missing:
                i, j = (int(v) for v in np.argwhere(np.isnan(Xa))[0])
                raise ValueError(
                    f"{who}: X has a missing value (NaN) in row {i}, column {j}; with na='drop'"
                    " a row to predict cannot be left out: fill it in, or fit with na='mean'"
                )
            kept = np.asarray(~np.isnan(Xa).any(axis=1))
            if not kept.any():
                raise ValueError(f"{who}: every row of X has a missing value; na='drop' left none")
            Xa = Xa[kept]
        out = self.model_(self.preprocessing_.transform(Xa, who))
        return check_outputs(out, who), kept

    def _check_features(self, X: Array, names: list[str] | None, who: str) -> None:
        """Refuse rows whose columns differ from the training rows' (count, names or order)."""
        name = type(self).__name__
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{who}: X has {X.shape[1]} features, but {name} is expecting"
                f" {self.n_features_in_} features as input"
            )
        fitted = self.preprocessing_.feature_names
        if fitted is None and names is not None:
            _sklearn.warn(
                UserWarning,
                f"{who}: X has feature names, but {name} was fitted without feature names",
            )
        elif fitted is not None and names is None:
            _sklearn.warn(
                UserWarning,
                f"{who}: X does not have valid feature names, but {name} was fitted with feature names",
            )
        elif fitted is not None and names is not None and tuple(names) != fitted:
            raise ValueError(f"{who}: {_names_differ(list(fitted), names)}")

    @property
    def coefs_(self) -> list[Array]:
        """scikit-learn's layout of the weights: ``coefs_[i]`` is layer ``i``'s ``weight.T``, ``(in, out)`` (views)."""
        return [layer.weight.data.T for layer in self._linears()]

    @property
    def intercepts_(self) -> list[Array]:
        """The biases of the layers, ``(out,)`` each (the parameters' own arrays)."""
        return [layer.bias.data for layer in self._linears() if layer.bias is not None]

    def _linears(self) -> list[nn.Linear]:
        if not self.__sklearn_is_fitted__():
            raise _sklearn.not_fitted(self, "coefs_")
        return [m for m in self.model_ if isinstance(m, nn.Linear)]

    # ----------------------------------------------------------------- files
    def save(self, path: str | Path) -> Path:
        """Write the fitted estimator to ``path`` (an ``.npz`` checkpoint of :mod:`minitorch_bp.io`).

        The network and the optimizer's state go where :func:`minitorch_bp.io.save` puts
        them; the parameters, the preprocessing, the classes (text included) or the target
        scaling, and the training record go in the checkpoint's ``extra`` as JSON and
        arrays, never pickle. :meth:`load` gives back an estimator that predicts on raw
        rows exactly as this one.
        """
        from minitorch_bp.estimators.persist import save

        return save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Any:
        """Read an estimator written by :meth:`save`; it must be of this class.

        Raises:
            minitorch_bp.io.CheckpointError: not such a checkpoint, another estimator
                class, or ``extra`` fields that do not fit the network.
        """
        from minitorch_bp.estimators.persist import load

        return load(path, cls)

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags (scikit-learn is imported here, only when its tools ask)."""
        return _sklearn.tags(
            self._estimator_type,
            multi_output=self._estimator_type == "regressor",
            multi_label=self._estimator_type == "classifier",
            allow_nan=self.na in ("drop", "mean"),
        )


def _names_differ(fitted: list[str], names: list[str]) -> str:
    unseen = [c for c in names if c not in fitted]
    missing = [c for c in fitted if c not in names]
    parts = ["The feature names should match those that were passed during fit."]
    if unseen:
        parts.append(f"Feature names unseen at fit time: {unseen}.")
    if missing:
        parts.append(f"Feature names seen at fit time, yet now missing: {missing}.")
    if not unseen and not missing:
        parts.append(f"Feature names must be in the same order as they were in fit: {fitted}.")
    return " ".join(parts)


def _generator(random_state: Any, who: str) -> np.random.Generator:
    """A Generator for ``random_state``; a legacy ``RandomState`` seeds one (and advances)."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(0, 2**31 - 1)))
    return as_generator(random_state, who, "random_state")


def _optimizer(model: nn.Module, s: Settings) -> optim.Optimizer:
    """``solver`` as one of our optimizers; ``alpha`` is their ``l2``, the notes' λ."""
    params = model.parameters()
    if s.solver == "adam":
        return optim.Adam(params, lr=s.learning_rate_init, betas=s.betas, eps=s.epsilon, l2=s.alpha)
    if s.solver == "sgd":
        return optim.SGD(
            params,
            lr=s.learning_rate_init,
            l2=s.alpha,
            momentum=s.momentum,
            nesterov=s.nesterovs_momentum and s.momentum > 0,
        )
    # One iteration per epoch: the history carries over between steps, so the run is the
    # same as one long step, and the loss curve gets a point per iteration.
    if s.solver == "cg":
        return optim.ConjugateGradient(params, l2=s.alpha, max_iter=1, tolerance_grad=s.tol)
    # max_eval: PyTorch's default (max_iter * 5 // 4 = 1 here) would cut the strong Wolfe
    # search off after one evaluation; scipy's L-BFGS-B, which scikit-learn runs, allows a
    # search of up to maxls=20 steps.
    return optim.LBFGS(params, l2=s.alpha, max_iter=1, max_eval=21, tolerance_grad=s.tol)


def _validation_split(
    X: Array, T: Array, s: Settings, strata: Array | None, rng: np.random.Generator, who: str
) -> tuple[Array, Array, Array, Array]:
    m = X.shape[0]
    count = int(np.ceil(s.validation_fraction * m))
    if count < 2 or count > m - 1:
        raise ValueError(
            f"{who}: The validation set is too small: validation_fraction="
            f"{s.validation_fraction} of {m} rows gives {count}; increase validation_fraction"
            " or the size of your dataset"
        )
    X_tr, X_val, T_tr, T_val = train_test_split(X, T, count, seed=rng, stratify=strata)
    return X_tr, X_val, T_tr, T_val
