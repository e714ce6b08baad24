r"""``MLPClassifier``: the notes' multi-class logistic network with scikit-learn's interface."""

from __future__ import annotations

from typing import Any

import numpy as np

from minitorch_bp import nn
from minitorch_bp.data.encoding import LabelEncoder, as_labels, encode_labels, one_hot
from minitorch_bp.estimators import _sklearn
from minitorch_bp.estimators._params import Settings
from minitorch_bp.estimators.base import Array, BaseMLP
from minitorch_bp.nn import functional as F


class MLPClassifier(BaseMLP):
    r"""A multi-layer perceptron classifier: scikit-learn's ``MLPClassifier``, trained by the notes' backpropagation.

    The network is ``Linear``, ``activation``, ..., ``Linear`` and an output unit, trained
    through the notes' δ chain (:math:`\delta^{(L)} = a^{(L)} - y`,
    :math:`D = \frac{1}{m}(\Delta + \lambda\Theta)`, biases exempt) with ``alpha`` as
    :math:`\lambda` and :math:`m` the batch size. With ``output="sigmoid"`` it has the
    notes' :math:`K` logistic output units (one for two classes) and their cost,

    .. math::
        J(\Theta) = -\frac{1}{m}\sum_{i=1}^m\sum_{k=1}^K \Big[y_k^{(i)}\log h_\Theta(x^{(i)})_k
        + (1-y_k^{(i)})\log\big(1-h_\Theta(x^{(i)})_k\big)\Big]
        + \frac{\lambda}{2m}\sum_l\sum_{i,j}\big(\Theta^{(l)}_{ji}\big)^2.

    ``output="softmax"`` replaces the first term by the cross-entropy of a softmax over
    :math:`K` logits (:class:`~minitorch_bp.nn.CrossEntropyLoss`). The default ``"auto"``
    chooses as scikit-learn does: softmax for three classes or more, one logistic unit
    for two classes and one per label for multi-label targets. The penalty is exactly
    scikit-learn's, ``alpha / (2 n) · ΣW²`` per batch of ``n`` rows (``tests/estimators``
    checks the loss against scikit-learn's ``MLPClassifier`` on the same weights).

    The estimator owns its preprocessing, fitted on the training rows and stored by
    :meth:`save`: missing values (``na``), standardisation (``standardize``) and the
    labels, which may be text, booleans or numbers; predictions come back in the
    original labels, and a label unseen in training is an error in :meth:`score`.

    Args:
        hidden_layer_sizes: the hidden layers' sizes, e.g. ``(100,)`` or ``(64, 32)``;
            ``()`` for none (logistic regression).
        activation: the hidden units' :math:`g`: scikit-learn's ``"relu"``, ``"tanh"``,
            ``"logistic"`` (the notes' sigmoid) or ``"identity"``, or any element-wise
            activation of :mod:`minitorch_bp.nn` by name (``"gelu"``, ``"elu"``...).
        solver: ``"adam"`` (:class:`~minitorch_bp.optim.Adam`), ``"sgd"``
            (:class:`~minitorch_bp.optim.SGD` with ``momentum``) or ``"lbfgs"``
            (:class:`~minitorch_bp.optim.LBFGS` on the whole training set).
        alpha: the notes' :math:`\lambda` (L2 penalty :math:`\frac{\lambda}{2m}\sum W^2`).
        batch_size: rows per mini-batch; ``"auto"`` is ``min(200, m)``.
        learning_rate: for ``sgd``: ``"constant"``, ``"invscaling"``
            (``learning_rate_init / t**power_t``, ``t`` the rows seen) or ``"adaptive"``
            (divided by 5 when the loss stops improving, until below 1e-6).
        learning_rate_init: the step size :math:`\alpha` of ``sgd`` and ``adam``.
        power_t: the exponent of ``"invscaling"``.
        max_iter: the most epochs (``lbfgs``: iterations).
        shuffle: reshuffle the rows every epoch.
        random_state: seeds the initialisation, the shuffling and the validation split
            (an integer, a ``numpy.random.Generator``, a ``RandomState`` or ``None``).
        tol: training stops when the loss (or, with ``early_stopping``, the validation
            score) has not improved by ``tol`` for ``n_iter_no_change`` epochs in a row;
            for ``lbfgs``, the largest gradient entry at which it has converged.
        verbose: print each epoch (:func:`minitorch_bp.train.fit`'s progress).
        warm_start: ``fit`` continues from the current weights.
        momentum, nesterovs_momentum: ``sgd``'s momentum :math:`\mu` and Nesterov's variant.
        early_stopping: hold out ``validation_fraction`` of the rows (stratified), stop
            when their accuracy stops improving and keep the best epoch's weights.
        validation_fraction: the share held out for ``early_stopping``.
        beta_1, beta_2, epsilon: Adam's :math:`\beta_1, \beta_2, \epsilon`.
        n_iter_no_change: epochs without an improvement of ``tol`` before stopping.
        max_fun: ``lbfgs``: the most evaluations of :math:`J`.
        output: ``"auto"`` (scikit-learn's choice), ``"sigmoid"`` (the notes' K logistic
            units) or ``"softmax"``.
        standardize: fit a standardisation of the features on the training rows
            (:class:`~minitorch_bp.data.Standardizer`; constant columns are only centred).
        na: missing values (NaN) in ``X``: ``"error"`` (refused, naming row and column),
            ``"drop"`` (rows left out of fit and score; ``predict`` refuses them) or
            ``"mean"`` (filled in with the training means, also when predicting).
        engine: ``False`` trains with the plain layers instead of the engine (the same
            numbers to rounding).

    Shape:
        - X: ``(m, n_features)``; y: ``(m,)`` labels, or ``(m, K)`` 0/1 rows for
          multi-label targets (each column its own yes/no question).
        - :meth:`predict`: ``(m,)`` labels (``(m, K)`` for multi-label);
          :meth:`predict_proba`: ``(m, K)``.

    Attributes:
        classes_: the sorted training labels (``label_encoder_.classes``).
        label_encoder_: the :class:`~minitorch_bp.data.LabelEncoder` of the labels.
        preprocessing_: the fitted :class:`~minitorch_bp.estimators.Preprocessing`.
        model_: the trained :class:`~minitorch_bp.nn.Sequential`, from standardised rows
            to the outputs (probabilities for ``sigmoid``, logits for ``softmax``).
        out_activation_: ``"logistic"`` or ``"softmax"``.
        loss_curve_: :math:`J(\Theta)` of each epoch (the mean over its batches, each
            before its update); ``loss_`` the last one, ``best_loss_`` the smallest.
        n_iter_: the epochs of the last ``fit``; ``t_`` the rows seen in training.
        n_features_in_: the number of feature columns.
        feature_names_in_: their names, when ``X`` was a data frame with text column names.
        n_outputs_: the network's outputs; ``n_layers_`` its layers, input and output
            included (scikit-learn's count).
        validation_scores_: with ``early_stopping``, the held-out accuracy after each
            epoch; ``best_validation_score_`` the best.
        coefs_: scikit-learn's layout of the weights, ``coefs_[i]`` of shape ``(in, out)``
            (views of the layers' ``weight.T``); ``intercepts_`` the biases.

    Initialisation:
        The notes' :math:`U(-\epsilon, \epsilon)`, :math:`\epsilon = \sqrt 6/\sqrt{s_l + s_{l+1}}`
        (:class:`~minitorch_bp.nn.Linear`'s default), bias column included.

    Example:
        >>> from minitorch_bp.estimators import MLPClassifier
        >>> X = [[0.0, 0.1], [0.2, 0.0], [1.0, 0.9], [0.8, 1.0]]
        >>> y = ["small", "small", "large", "large"]
        >>> clf = MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0).fit(X, y)
        >>> clf.classes_, clf.predict([[0.1, 0.0], [0.9, 0.9]])
        (array(['large', 'small'], dtype='<U5'), array(['small', 'large'], dtype='<U5'))
        >>> clf.score(X, y)
        1.0
    """

    _estimator_type = "classifier"
    _output_units = ("sigmoid", "softmax")

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """Train one epoch on ``(X, y)``, continuing from the current weights.

        The first call fits the preprocessing on its rows (later calls reuse it) and needs
        ``classes``, every label the stream will hold; later labels must be among them.
        """
        who = "MLPClassifier.partial_fit"
        if not self.__sklearn_is_fitted__() and classes is None:
            raise ValueError(
                f"{who}: the first call needs classes=, the labels of every class the data"
                " will hold (e.g. classes=np.unique(y_all))"
            )
        if self.__sklearn_is_fitted__() and classes is not None:
            given = np.unique(as_labels(classes, who, "classes"))
            if given.shape != self.classes_.shape or np.any(given != self.classes_):
                raise ValueError(
                    f"{who}: classes={given.tolist()!r:.200} differ from the classes of the first"
                    f" call, {self.classes_.tolist()!r:.200}"
                )
        self._fit(X, y, incremental=True, classes=classes)
        return self

    # ----------------------------------------------------------------- targets
    def _check_targets(self, y: Any, who: str) -> Array:
        arr = np.asarray(y) if isinstance(y, np.ndarray) else np.asarray(y, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            _sklearn.warn(
                _sklearn.DataConversionWarning,
                "A column-vector y was passed when a 1d array was expected. Please change the"
                " shape of y to (n_samples,), for example using ravel().",
            )
            arr = arr[:, 0]
        if arr.ndim == 2:
            values = np.asarray(arr.tolist()) if arr.dtype == object else arr
            if values.dtype.kind not in "biuf" or not np.isin(values, (0, 1)).all():
                raise ValueError(
                    f"{who}: a 2-D y must hold 0/1 indicator rows (multi-label targets);"
                    f" got dtype {values.dtype} with values such as {values.flat[0]!r}"
                    " (multiclass-multioutput targets are not supported)"
                )
            return values
        labels = as_labels(arr, who)
        if labels.dtype.kind == "f" and labels.size and np.any(labels != np.round(labels)):
            i = int(np.flatnonzero(labels != np.round(labels))[0])
            raise ValueError(
                f"{who}: Unknown label type: continuous. y holds non-integer values such as"
                f" {labels[i].item()!r} (index {i}); class labels are text, booleans or integers"
                " (for a numeric target use MLPRegressor)"
            )
        return labels

    def _multilabel(self) -> bool:
        return bool(getattr(self, "_n_labels", 0))

    def _fit_targets(self, targets: Array, classes: Any, s: Settings, who: str) -> None:
        self._output = s.output
        if targets.ndim == 2:
            if self._output == "softmax":
                raise ValueError(
                    f"{who}: output='softmax' picks one class per row; multi-label targets need"
                    " output='sigmoid'"
                )
            self._n_labels = targets.shape[1]
            self._label_dtype = targets.dtype
            self.label_encoder_ = LabelEncoder(np.arange(targets.shape[1]))
        else:
            self._n_labels = 0
            given = targets if classes is None else as_labels(classes, who, "classes")
            self.label_encoder_ = encode_labels(given)[1]
            if self.label_encoder_.n_classes < 2:
                raise ValueError(
                    f"{who}: y holds one class only ({self.label_encoder_.classes[0].item()!r}); a"
                    " classifier needs at least 2 classes"
                )
        self.classes_ = self.label_encoder_.classes

    def _n_outputs(self) -> int:
        k = self.label_encoder_.n_classes
        return k if self._multilabel() or k > 2 else 1

    def _out_activation(self, s: Settings) -> str:
        multiclass = not self._multilabel() and self.label_encoder_.n_classes > 2
        return "softmax" if self._output != "sigmoid" and multiclass else "logistic"

    def _criterion(self) -> nn.Loss:
        return nn.CrossEntropyLoss() if self.out_activation_ == "softmax" else nn.BCELoss()

    def _codes(self, targets: Array, who: str) -> Array:
        if self._multilabel():
            if targets.ndim != 2 or targets.shape[1] != self._n_labels:
                raise ValueError(
                    f"{who}: y must be {self._n_labels} 0/1 columns, as in fit; got shape"
                    f" {targets.shape}"
                )
            return targets
        if targets.ndim != 1:
            raise ValueError(f"{who}: y must be 1-D labels, as in fit; got shape {targets.shape}")
        return self.label_encoder_.transform(targets, who)

    def _network_targets(self, targets: Array, who: str) -> Array:
        codes = self._codes(targets, who)
        if self._multilabel():
            return np.asarray(codes, dtype=np.float64)
        if self.out_activation_ == "softmax":
            return codes
        if self.n_outputs_ == 1:
            return codes.reshape(-1, 1).astype(np.float64)
        return one_hot(codes, self.n_outputs_)

    def _stratify(self, T: Array) -> Array | None:
        if self._multilabel():
            return None
        return T if T.ndim == 1 else (T[:, 0] if T.shape[1] == 1 else T.argmax(axis=1))

    def _val_score(self, X: Array, T: Array) -> Any:
        truth = self._stratify(T)

        def accuracy(model: nn.Module) -> float:
            out = model(X)
            if self._multilabel():
                return float(np.mean(np.all((out > 0.5) == (T > 0.5), axis=1)))
            return float(np.mean(self._proba(out).argmax(axis=1) == truth))

        return accuracy

    # ----------------------------------------------------------------- predicting
    def _proba(self, out: Array) -> Array:
        """Class probabilities from the network's outputs.

        ``softmax``: the softmax of the logits. One sigmoid output :math:`p`:
        :math:`[1 - p, p]`. :math:`K` sigmoid outputs (each class against the rest):
        normalised to sum to 1, as scikit-learn's ``OneVsRestClassifier`` does; multi-label:
        the outputs themselves.
        """
        if self.out_activation_ == "softmax":
            return F.softmax(out, axis=1)
        if self._multilabel():
            return out
        if out.shape[1] == 1:
            return np.hstack([1.0 - out, out])
        total = out.sum(axis=1, keepdims=True)
        # All K sigmoids underflowed to 0 (z < -745): no preference, so uniform.
        return np.where(total > 0, out / np.where(total > 0, total, 1.0), 1.0 / out.shape[1])

    def predict_proba(self, X: Any) -> Array:
        """The probability of each class for each raw row, ``(m, K)``; columns follow ``classes_``."""
        return self._proba(self._outputs(X, "MLPClassifier.predict_proba"))

    def predict_log_proba(self, X: Any) -> Array:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> Array:
        """The predicted label of each raw row, in the training labels (``argmax`` of :meth:`predict_proba`).

        Multi-label: the 0/1 indicator rows (an output above 0.5 is a yes).
        """
        out = self._outputs(X, "MLPClassifier.predict")
        if self._multilabel():
            return np.asarray(out > 0.5).astype(self._label_dtype)
        return self.label_encoder_.inverse_transform(self._proba(out).argmax(axis=1))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The accuracy on ``(X, y)`` (multi-label: every label of a row right).

        With ``na="drop"``, rows with a missing value are left out, as in ``fit``.

        Raises:
            ValueError: a label that was not among the training classes (it could never be
                predicted; the message lists it and the classes).
        """
        who = "MLPClassifier.score"
        out, kept = self._scored_outputs(X, who, leave_out_missing=True)
        targets = self._check_targets(y, who)
        if kept is not None and len(targets) == len(kept):
            targets = targets[kept]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[kept]
        codes = self._codes(targets, who)
        if codes.shape[0] != out.shape[0]:
            raise ValueError(f"{who}: X has {out.shape[0]} rows but y has {codes.shape[0]}")
        if self._multilabel():
            right = np.all((out > 0.5) == (np.asarray(codes) > 0.5), axis=1)
        else:
            right = self._proba(out).argmax(axis=1) == codes
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        return float(np.average(right, weights=weight))
