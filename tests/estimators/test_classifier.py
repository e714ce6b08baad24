"""MLPClassifier: labels of any kind in and out, probabilities, preprocessing, training controls."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from minitorch_bp import train
from minitorch_bp.datasets import spirals, two_moons
from minitorch_bp.estimators import ConvergenceWarning, MLPClassifier, NotFittedError

NAMES = np.array(["setosa", "versicolor", "virginica"])


def _three_classes(m: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X, y = spirals(m, classes=3, seed=seed, noise=0.05)
    return 100.0 + 40.0 * X, NAMES[y]  # raw units far from 0: standardisation matters


def _quiet(est: MLPClassifier, X: Any, y: Any, **kwargs: Any) -> MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def test_text_labels_come_back_as_text_and_probabilities_follow_classes() -> None:
    X, y = _three_classes()
    clf = _quiet(MLPClassifier((30,), solver="lbfgs", max_iter=300, random_state=0), X, y)
    assert clf.classes_.tolist() == NAMES.tolist()
    pred = clf.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= set(NAMES)
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (NAMES[proba.argmax(axis=1)] == pred).all()
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert clf.score(X, y) == np.mean(pred == y) > 0.95


def test_score_refuses_a_label_it_never_saw() -> None:
    # Before (the CLI): labels were re-encoded from the file scored, and remapped silently.
    X, y = _three_classes()
    clf = _quiet(MLPClassifier((8,), max_iter=5, random_state=0), X, y)
    bad = y.copy()
    bad[[3, 7]] = ["dahlia", "rose"]
    with pytest.raises(
        ValueError,
        match=r"2 label\(s\) not seen in fit: 'dahlia', 'rose'; the classes are 'setosa'",
    ):
        clf.score(X, bad)
    # Scoring a subset without one class keeps the training codes.
    subset = y != "setosa"
    assert clf.score(X[subset], y[subset]) == np.mean(clf.predict(X[subset]) == y[subset])


def test_binary_output_is_one_logistic_unit_and_predict_matches_proba() -> None:
    X, y = two_moons(200, noise=0.1, seed=0)
    labels = np.where(y == 1, "yes", "no")
    clf = _quiet(MLPClassifier((20,), solver="lbfgs", random_state=1), X, labels)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    p = clf.model_(clf.preprocessing_.transform(X))[:, 0]
    np.testing.assert_allclose(clf.predict_proba(X), np.column_stack([1 - p, p]))
    assert (clf.predict(X) == np.where(p > 0.5, "yes", "no")).all()
    assert clf.score(X, labels) > 0.95


@pytest.mark.parametrize(
    ("output", "activation"), [("auto", "softmax"), ("softmax", "softmax"), ("sigmoid", "logistic")]
)
def test_output_units(output: str, activation: str) -> None:
    X, y = _three_classes()
    clf = _quiet(MLPClassifier((20,), solver="lbfgs", output=output, random_state=0), X, y)
    assert clf.out_activation_ == activation and clf.n_outputs_ == 3
    assert clf.score(X, y) > 0.9
    out = clf.model_(clf.preprocessing_.transform(X))
    if activation == "logistic":  # the notes' K sigmoid units: normalised, as one-vs-rest
        np.testing.assert_allclose(clf.predict_proba(X), out / out.sum(axis=1, keepdims=True))
    else:
        e = np.exp(out - out.max(axis=1, keepdims=True))
        np.testing.assert_allclose(clf.predict_proba(X), e / e.sum(axis=1, keepdims=True))


def test_multilabel_indicator_targets() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(np.int64)
    clf = _quiet(MLPClassifier((16,), max_iter=500, learning_rate_init=0.01, random_state=0), X, Y)
    assert clf.out_activation_ == "logistic" and clf.classes_.tolist() == [0, 1, 2]
    pred = clf.predict(X)
    assert pred.shape == (120, 3) and pred.dtype == np.int64
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert clf.score(X, Y) == np.mean(np.all(pred == Y, axis=1)) > 0.9
    with pytest.raises(ValueError, match="multi-label targets need output='sigmoid'"):
        MLPClassifier(output="softmax").fit(X, Y)


def test_targets_that_are_not_classes_are_refused() -> None:
    X = np.ones((4, 2))
    with pytest.raises(
        ValueError,
        match=r"Unknown label type: continuous\. y holds non-integer values such as 0\.5",
    ):
        MLPClassifier().fit(X, [0.5, 1.0, 2.0, 3.0])
    with pytest.raises(
        ValueError, match=r"y holds one class only \('a'\); a classifier needs at least 2 classes"
    ):
        MLPClassifier().fit(X, ["a"] * 4)
    with pytest.raises(ValueError, match=r"X has 4 rows but y has 3"):
        MLPClassifier().fit(X, [0, 1, 0])
    with pytest.raises(ValueError, match=r"requires y to be passed, but the target y is None"):
        MLPClassifier().fit(X, None)
    with pytest.raises(ValueError, match="mixes text and numbers"):
        MLPClassifier().fit(X, ["a", 1, "a", 1])


def test_features_are_standardised_with_the_training_rows_statistics() -> None:
    X, y = _three_classes()
    clf = _quiet(MLPClassifier((8,), max_iter=3, random_state=0), X, y)
    stats = clf.preprocessing_.standardizer
    np.testing.assert_allclose(stats.mean, X.mean(axis=0))
    np.testing.assert_allclose(stats.std, X.std(axis=0))
    # Shifting the rows scored moves the network's inputs: nothing is refitted on them.
    moved = clf.predict_proba(X + 1000.0)
    assert not np.allclose(moved, clf.predict_proba(X))
    raw = MLPClassifier((8,), max_iter=3, standardize=False, random_state=0)
    assert _quiet(raw, X, y).preprocessing_.standardizer is None


def test_a_constant_column_is_only_centred() -> None:
    X, y = _three_classes()
    X = np.column_stack([X, np.full(len(X), 7.0)])
    clf = _quiet(MLPClassifier((8,), max_iter=3, random_state=0), X, y)
    assert clf.preprocessing_.standardizer.std[-1] == 1.0
    assert np.isfinite(clf.predict_proba(X)).all()


def test_missing_values_error_by_default_drop_or_mean() -> None:
    X, y = _three_classes()
    X_nan = X.copy()
    X_nan[4, 1] = np.nan
    with pytest.raises(
        ValueError, match=r"X has a missing value \(NaN\) in row 4, column 1; 1 missing in all"
    ):
        MLPClassifier().fit(X_nan, y)
    dropped = _quiet(MLPClassifier((8,), max_iter=5, na="drop", random_state=0), X_nan, y)
    assert dropped.t_ == 5 * 149  # five epochs of the 149 complete rows
    with pytest.raises(ValueError, match="with na='drop' a row to predict cannot be left out"):
        dropped.predict(X_nan)
    keep = ~np.isnan(X_nan).any(axis=1)
    assert dropped.score(X_nan, y) == dropped.score(X[keep], y[keep])
    filled = _quiet(MLPClassifier((8,), max_iter=5, na="mean", random_state=0), X_nan, y)
    means = filled.preprocessing_.imputer.means
    assert means[1] == np.mean(np.delete(X[:, 1], 4))
    row = X_nan[4:5].copy()
    completed = row.copy()
    completed[0, 1] = means[1]
    np.testing.assert_array_equal(filled.predict_proba(row), filled.predict_proba(completed))
    with pytest.raises(ValueError, match="Input X contains infinity"):
        filled.predict(np.full((1, 2), np.inf))


def test_feature_names_from_a_data_frame_are_kept_and_checked() -> None:
    class Frame:  # the two things a data frame (pandas, polars) shows the estimator
        def __init__(self, values: np.ndarray, columns: list[str]) -> None:
            self.values, self.columns = values, columns
            self.shape = values.shape

        def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
            return self.values

    X, y = _three_classes()
    clf = _quiet(MLPClassifier((8,), max_iter=3, random_state=0), Frame(X, ["length", "width"]), y)
    assert clf.feature_names_in_.tolist() == ["length", "width"]
    assert clf.preprocessing_.feature_names == ("length", "width")
    clf.predict(Frame(X, ["length", "width"]))
    with pytest.raises(
        ValueError, match=r"Feature names must be in the same order as they were in fit"
    ):
        clf.predict(Frame(X[:, ::-1], ["width", "length"]))
    with pytest.raises(ValueError, match=r"Feature names unseen at fit time: \['height'\]"):
        clf.predict(Frame(X, ["length", "height"]))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        clf.predict(X)
    with pytest.raises(
        ValueError, match="X has 1 features, but MLPClassifier is expecting 2 features as input"
    ):
        clf.predict(X[:, :1])
    assert not hasattr(_quiet(MLPClassifier((8,), max_iter=3), X, y), "feature_names_in_")


def test_predict_before_fit_is_not_fitted_error() -> None:
    with pytest.raises(NotFittedError, match="This MLPClassifier instance is not fitted yet"):
        MLPClassifier().predict([[1.0]])
    assert isinstance(NotFittedError("x"), (ValueError, AttributeError))
    assert not hasattr(MLPClassifier(), "coefs_")


def test_parameters_are_checked_at_fit_naming_them() -> None:
    X, y = _three_classes(30)
    for params, message in [
        ({"solver": "newton"}, r"solver='newton' must be one of \('sgd', 'adam', 'lbfgs', 'cg'\)"),
        ({"alpha": -1.0}, r"alpha=-1.0 must be a finite number >= 0 \(the notes' λ\)"),
        (
            {"hidden_layer_sizes": (10, 0)},
            r"hidden_layer_sizes=\(10, 0\) must be a positive integer",
        ),
        ({"activation": "swish"}, r"activation='swish' must be one of \["),
        ({"batch_size": 0}, "batch_size=0 must be a positive integer or 'auto'"),
        ({"learning_rate_init": 0}, "learning_rate_init=0 must be a finite number > 0"),
        ({"validation_fraction": 1.0}, r"validation_fraction=1.0 must be in \[0, 1\)"),
        ({"momentum": 1.5}, r"momentum=1.5 must be in \[0, 1\]"),
        ({"na": "zero"}, r"na='zero' must be one of \('error', 'drop', 'mean'\)"),
        (
            {"output": "identity"},
            r"output='identity' must be one of \('auto', 'sigmoid', 'softmax'\)",
        ),
        ({"shuffle": "yes"}, "shuffle='yes' must be True or False"),
        ({"random_state": -1}, "random_state=-1 must be None, a non-negative integer seed"),
    ]:
        clf = MLPClassifier(**params)  # nothing is checked here, as scikit-learn requires
        with pytest.raises(ValueError, match=message):
            clf.fit(X, y)
    assert MLPClassifier(activation="gelu", max_iter=2).set_params(max_iter=1).max_iter == 1


def test_training_goes_through_train_fit_and_the_engine_switch_gives_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from minitorch_bp.estimators import base

    calls: list[dict[str, Any]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return train.fit(*args, **kwargs)

    monkeypatch.setattr(base, "train_fit", spy)
    X, y = _three_classes()
    a = _quiet(MLPClassifier((10,), solver="sgd", max_iter=20, random_state=1), X, y)
    b = _quiet(MLPClassifier((10,), solver="sgd", max_iter=20, random_state=1, engine=False), X, y)
    assert [c["engine"] for c in calls] == [True, False] and calls[0]["epochs"] == 20
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-12)
    for p, q in zip(a.model_.parameters(), b.model_.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-10, atol=1e-13)
    assert len(a.loss_curve_) == a.n_iter_ == 20 and a.t_ == 20 * 150


def test_random_state_reproduces_a_fit_and_shuffle_changes_it() -> None:
    X, y = _three_classes()
    runs = [
        _quiet(MLPClassifier((10,), max_iter=15, random_state=4), X, y).loss_curve_
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    other = _quiet(MLPClassifier((10,), max_iter=15, random_state=5), X, y).loss_curve_
    assert other != runs[0]
    rs = np.random.RandomState(0)  # a legacy RandomState seeds a generator (and advances)
    first = _quiet(MLPClassifier((10,), max_iter=3, random_state=rs), X, y).loss_curve_
    assert _quiet(MLPClassifier((10,), max_iter=3, random_state=rs), X, y).loss_curve_ != first


def test_stopping_follows_sklearns_rule() -> None:
    # Stop once the loss has not improved by tol for n_iter_no_change + 1 epochs.
    X, y = _three_classes()
    clf = MLPClassifier((10,), max_iter=500, tol=10.0, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == 5  # epoch 1 sets the best; epochs 2-5 fail to beat it by 10
    assert clf.best_loss_ == min(clf.loss_curve_)
    with pytest.warns(
        ConvergenceWarning,
        match=r"max_iter=3 reached and the stochastic optimizer has not converged",
    ) as caught:
        MLPClassifier((10,), max_iter=3, random_state=0).fit(X, y)
    assert caught[0].filename == __file__  # the user's fit line, not the estimator's insides


def test_early_stopping_keeps_the_best_validation_epoch() -> None:
    X, y = _three_classes(300)
    clf = _quiet(
        MLPClassifier((20,), max_iter=80, early_stopping=True, n_iter_no_change=5, random_state=0),
        X,
        y,
    )
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ and clf.best_validation_score_ == max(scores)
    assert clf.best_loss_ is None
    held = int(np.ceil(0.1 * 300))
    assert clf.t_ == clf.n_iter_ * (300 - held)
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPClassifier(early_stopping=True, validation_fraction=0.0).fit(X, y)


def test_learning_rate_schedules_of_sgd() -> None:
    X, y = _three_classes()
    inv = _quiet(
        MLPClassifier((5,), solver="sgd", learning_rate="invscaling", max_iter=4, random_state=0),
        X,
        y,
    )
    assert inv._optimizer.lr == pytest.approx(0.001 / (4 * 150 + 1) ** 0.5)
    adaptive = MLPClassifier(
        (5,),
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        max_iter=30,
        random_state=0,
    )
    _quiet(adaptive, X, y)
    # Divided by 5 at each stall while above 1e-6 (five times from 1e-3), then it stops.
    assert adaptive._optimizer.lr == pytest.approx(0.001 / 5**5) and adaptive.n_iter_ < 30


def test_partial_fit_streams_one_epoch_per_call() -> None:
    X, y = _three_classes()
    clf = MLPClassifier((10,), random_state=0)
    with pytest.raises(ValueError, match="the first call needs classes="):
        clf.partial_fit(X[:50], y[:50])
    clf.partial_fit(X[:50], y[:50], classes=NAMES)
    for start in (50, 100):
        clf.partial_fit(X[start : start + 50], y[start : start + 50])
    assert clf.classes_.tolist() == NAMES.tolist() and len(clf.loss_curve_) == 3 and clf.t_ == 150
    np.testing.assert_allclose(clf.preprocessing_.standardizer.mean, X[:50].mean(axis=0))
    with pytest.raises(ValueError, match=r"not seen in fit: 'tulip'"):
        clf.partial_fit(X[:2], np.array(["tulip", "setosa"]))
    with pytest.raises(ValueError, match="differ from the classes of the first call"):
        clf.partial_fit(X[:2], y[:2], classes=["a", "b"])
    with pytest.raises(ValueError, match="partial_fit needs solver='sgd' or 'adam'"):
        MLPClassifier(solver="lbfgs").partial_fit(X, y, classes=NAMES)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=NAMES)


def test_warm_start_continues_and_a_plain_fit_starts_over() -> None:
    X, y = _three_classes()
    warm = _quiet(MLPClassifier((10,), max_iter=5, warm_start=True, random_state=0), X, y)
    _quiet(warm, X, y)
    assert len(warm.loss_curve_) == 10 and warm.loss_curve_[5] < warm.loss_curve_[0]
    once = _quiet(MLPClassifier((10,), max_iter=5, random_state=0), X, y)
    twice = _quiet(_quiet(MLPClassifier((10,), max_iter=5, random_state=0), X, y), X, y)
    assert twice.loss_curve_ == once.loss_curve_  # the second fit started over, from the seed
    for k, v in once.model_.state_dict().items():
        np.testing.assert_array_equal(twice.model_.state_dict()[k], v)
        assert not np.array_equal(warm.model_.state_dict()[k], v)


def test_verbose_prints_each_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _three_classes(60)
    _quiet(MLPClassifier((5,), max_iter=3, verbose=True, random_state=0), X, y)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == ["1/3", "2/3", "3/3"]
    assert "loss" in out[0] and "accuracy" in out[0]


def test_coefs_are_views_in_sklearns_layout() -> None:
    X, y = _three_classes(60)
    clf = _quiet(MLPClassifier((7, 4), max_iter=2, random_state=0), X, y)
    assert [w.shape for w in clf.coefs_] == [(2, 7), (7, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (4,), (3,)]
    clf.coefs_[0][:] = 0.0
    assert not clf.model_[0].weight.data.any()
    assert clf.n_layers_ == 4


def test_predictions_equal_train_predict_on_the_preprocessed_rows() -> None:
    X, y = _three_classes()
    clf = _quiet(MLPClassifier((10,), max_iter=30, random_state=0), X, y)
    codes = train.predict(clf.model_, clf.preprocessing_.transform(X))
    assert (clf.classes_[codes] == clf.predict(X)).all()


def test_a_refused_refit_leaves_the_fitted_estimator_as_it_was() -> None:
    X, y = _three_classes()
    clf = _quiet(MLPClassifier((6,), max_iter=5, random_state=0), X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="one class only"):
        clf.fit(X, np.full(len(X), "setosa"))
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert clf.classes_.tolist() == NAMES.tolist() and len(clf.loss_curve_) == 5


def test_ctrl_c_keeps_the_model_trained_so_far(monkeypatch: pytest.MonkeyPatch) -> None:
    # As scikit-learn: a KeyboardInterrupt during fit stops it with a warning; the
    # estimator is fitted with the weights after the last batch that ran.
    from minitorch_bp.estimators import _stopping

    X, y = _three_classes()
    epochs_before_stop = 3
    original = _stopping.SklearnRule.on_epoch_end

    def interrupt(self: Any, state: Any) -> None:
        original(self, state)
        if self.epochs == epochs_before_stop:
            raise KeyboardInterrupt

    monkeypatch.setattr(_stopping.SklearnRule, "on_epoch_end", interrupt)
    clf = MLPClassifier((6,), max_iter=50, random_state=0)
    with pytest.warns(UserWarning, match="training interrupted after 3 epochs"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    assert clf.predict(X).shape == (150,)
