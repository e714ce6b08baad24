r"""``MLPRegressor``: the notes' regression network with scikit-learn's interface."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn
from minitorch_bp.data.scaling import MinMax, Standardizer, min_max_scale, standardize
from minitorch_bp.estimators._params import Settings
from minitorch_bp.estimators.base import Array, BaseMLP


class MLPRegressor(BaseMLP):
    r"""A multi-layer perceptron regressor: scikit-learn's ``MLPRegressor``, trained by the notes' backpropagation.

    The network is ``Linear``, ``activation``, ..., ``Linear``: with the default
    ``output="auto"`` (``"identity"``) the last layer's :math:`z` is the prediction, and
    the cost is scikit-learn's squared loss, the notes' :math:`\frac{1}{2}(y - \hat y)^2`
    averaged over the :math:`m \times k` targets (:class:`~minitorch_bp.nn.MSELoss`,
    ``reduction="mean"``), plus :math:`\frac{\lambda}{2m}\sum W^2` with ``alpha`` as
    :math:`\lambda`. ``output="sigmoid"`` is the notes' regression example: a sigmoid
    output unit fitted to the target scaled into :math:`[0, 1]` by its training minimum
    and maximum.

    The estimator owns its preprocessing, fitted on the training rows and stored by
    :meth:`save`: missing values (``na``), standardisation of the features and, with
    ``standardize=True``, of the target (``identity``; min–max for ``sigmoid``), so
    :meth:`predict` answers in the target's own units and ``loss_curve_`` is in the
    scaled units.

    The arguments are those of :class:`MLPClassifier` (``early_stopping`` scores the
    held-out rows by R²), except two:

    Args:
        output: ``"auto"`` / ``"identity"`` or ``"sigmoid"``.
        standardize: standardise the features and the target on the training rows
            (with ``output="sigmoid"`` the target is min–max scaled instead, and without
            ``standardize`` it must already lie in :math:`[0, 1]`).

    Shape:
        - X: ``(m, n_features)``; y: ``(m,)`` or ``(m, k)`` for ``k`` targets.
        - :meth:`predict`: the shape of the ``y`` given to ``fit``.

    Attributes:
        target_scaler_: the :class:`~minitorch_bp.data.Standardizer` or
            :class:`~minitorch_bp.data.MinMax` of the target, or ``None``.
        model_: the trained network, from standardised rows to the scaled target.
        out_activation_: ``"identity"`` or ``"logistic"``.

    The other fitted attributes are :class:`MLPClassifier`'s: ``preprocessing_``,
    ``loss_curve_``, ``loss_``, ``best_loss_``, ``n_iter_``, ``t_``, ``n_features_in_``,
    ``feature_names_in_``, ``n_outputs_``, ``n_layers_``, ``validation_scores_``,
    ``best_validation_score_``, ``coefs_`` and ``intercepts_``.

    Example:
        >>> from minitorch_bp.estimators import MLPRegressor
        >>> X = np.linspace(0, 1, 20).reshape(-1, 1)
        >>> y = 300 + 50 * X.ravel()
        >>> reg = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", random_state=0).fit(X, y)
        >>> reg.predict([[0.5]]).round(3), round(reg.score(X, y), 6)
        (array([325.]), 1.0)
    """

    _estimator_type = "regressor"
    _output_units = ("identity", "sigmoid")

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train one epoch on ``(X, y)``, continuing from the current weights.

        The first call fits the preprocessing and the target scaling on its rows; later
        calls reuse them.
        """
        self._fit(X, y, incremental=True)
        return self

    def _check_targets(self, y: Any, who: str) -> Array:
        arr = np.asarray(y)
        if arr.dtype == object or arr.dtype.kind in "US":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                bad = next(v for v in arr.ravel().tolist() if not _number(v))
                raise ValueError(
                    f"{who}: y must hold numbers; it holds {bad!r:.40} (for class labels use"
                    " MLPClassifier)"
                ) from None
        if arr.dtype.kind not in "biuf" or arr.ndim not in (1, 2):
            raise ValueError(
                f"{who}: y must be numbers of shape (m,) or (m, k); got shape {arr.shape} and"
                f" dtype {arr.dtype}"
            )
        values = arr.astype(np.float64)
        if not np.isfinite(values).all():
            kind = "NaN" if np.isnan(values).any() else "infinity"
            i = int(np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))[0])
            raise ValueError(f"{who}: Input y contains {kind} (row {i}); targets must be finite")
        return values

    def _fit_targets(self, targets: Array, classes: Any, s: Settings, who: str) -> None:
        self._output = "identity" if s.output == "auto" else s.output
        self._y_ndim = targets.ndim
        Y = targets.reshape(len(targets), -1)
        self._n_targets = Y.shape[1]
        self.target_scaler_: Standardizer | MinMax | None = None
        if self._output == "sigmoid":
            if s.standardize:
                self.target_scaler_ = min_max_scale(Y)[1]
            elif Y.min() < 0 or Y.max() > 1:
                raise ValueError(
                    f"{who}: output='sigmoid' reaches (0, 1) only, but y lies in"
                    f" [{Y.min():g}, {Y.max():g}]; pass standardize=True to scale it"
                )
        elif s.standardize:
            self.target_scaler_ = standardize(Y)[1]

    def _n_outputs(self) -> int:
        return self._n_targets

    def _out_activation(self, s: Settings) -> str:
        return "logistic" if self._output == "sigmoid" else "identity"

    def _criterion(self) -> nn.Loss:
        return nn.MSELoss(reduction="mean")

    def _network_targets(self, targets: Array, who: str) -> Array:
        Y = targets.reshape(len(targets), -1)
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{who}: y has {Y.shape[1]} target column(s); the model was fitted on"
                f" {self.n_outputs_}"
            )
        return Y if self.target_scaler_ is None else self.target_scaler_.transform(Y)

    def _val_score(self, X: Array, T: Array) -> Any:
        # R² does not change under the target's affine scaling: score in the scaled units.
        return lambda model: r2(model(X), T)

    def predict(self, X: Any) -> Array:
        """The predicted target of each raw row, in the target's units (the shape ``y`` had in ``fit``)."""
        Y = self._in_target_units(self._outputs(X, "MLPRegressor.predict"))
        return Y.ravel() if self._y_ndim == 1 else Y

    def _in_target_units(self, out: Array) -> Array:
        """Undo the target scaling: the network's outputs as targets, ``(m, k)``."""
        return out if self.target_scaler_ is None else self.target_scaler_.inverse_transform(out)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of the predictions on ``(X, y)``, averaged over the targets (scikit-learn's ``r2_score``).

        With ``na="drop"``, rows with a missing value are left out, as in ``fit``.
        """
        who = "MLPRegressor.score"
        out, kept = self._scored_outputs(X, who, leave_out_missing=True)
        pred = self._in_target_units(out)
        truth = self._check_targets(y, who)
        truth = truth.reshape(len(truth), -1)
        if kept is not None and len(truth) == len(kept):
            truth = truth[kept]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[kept]
        if truth.shape != pred.shape:
            raise ValueError(
                f"{who}: y has shape {truth.shape}; the predictions for X have shape {pred.shape}"
            )
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        return r2(pred, truth, weight)


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def r2(pred: NDArray[Any], target: NDArray[Any], weight: NDArray[Any] | None = None) -> float:
    """R² averaged over the output columns (scikit-learn's ``r2_score``, ``force_finite=True``).

    A column whose targets are constant scores 1 when predicted exactly, else 0.

    Example:
        >>> r2(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [2.0], [4.0]]))
        0.7857142857142857
    """
    w = np.ones((len(target), 1)) if weight is None else np.asarray(weight).reshape(-1, 1)
    mean = (w * target).sum(axis=0) / w.sum()
    residual = (w * (target - pred) ** 2).sum(axis=0)
    total = (w * (target - mean) ** 2).sum(axis=0)
    safe = np.where(total > 0, total, 1.0)
    scores = np.where(total > 0, 1.0 - residual / safe, np.where(residual == 0, 1.0, 0.0))
    return float(np.mean(scores))
