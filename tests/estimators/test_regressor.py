"""MLPRegressor: predictions in the target's units, R², target scaling, the notes' sigmoid output."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from minitorch_bp.datasets import study_sleep
from minitorch_bp.estimators import ConvergenceWarning, MLPRegressor
from minitorch_bp.estimators.regressor import r2


def _data(m: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(m, 3)) * [1.0, 10.0, 100.0]
    y = 250.0 + 40.0 * np.sin(X[:, 0]) + 0.5 * X[:, 1] - 0.1 * X[:, 2]
    return X, y


def _quiet(est: MLPRegressor, X: Any, y: Any) -> MLPRegressor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_predictions_are_in_the_targets_units_and_score_is_r2() -> None:
    X, y = _data()
    reg = _quiet(MLPRegressor((20,), solver="lbfgs", max_iter=500, random_state=0), X, y)
    pred = reg.predict(X)
    assert pred.shape == (200,) and abs(pred.mean() - y.mean()) < 5.0
    expected = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert reg.score(X, y) == pytest.approx(expected, rel=1e-12) and reg.score(X, y) > 0.95
    stats = reg.target_scaler_
    assert stats.mean[0] == pytest.approx(y.mean()) and stats.std[0] == pytest.approx(y.std())
    assert reg.out_activation_ == "identity"


def test_the_loss_is_sklearns_squared_loss_on_the_scaled_target() -> None:
    # Full batch: loss_curve_[0] = ½ mean((ŷ − y_s)²) + λ/(2m) ΣW² at the starting weights.
    X, y = _data(50)
    reg = _quiet(MLPRegressor((5,), max_iter=1, batch_size=50, alpha=0.3, random_state=2), X, y)
    assert len(reg.loss_curve_) == 1 and reg.loss_curve_[0] > 0
    unscaled = _quiet(
        MLPRegressor((5,), max_iter=1, batch_size=50, standardize=False, random_state=2), X, y
    )
    assert unscaled.target_scaler_ is None and unscaled.loss_curve_[0] > 100 * reg.loss_curve_[0]


def test_several_targets_keep_their_shape() -> None:
    X, y = _data()
    Y = np.column_stack([y, -3.0 * y + 7.0])
    reg = _quiet(MLPRegressor((16,), solver="lbfgs", random_state=0), X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) == pytest.approx(
        np.mean([r2(reg.predict(X)[:, [k]], Y[:, [k]]) for k in (0, 1)])
    )
    column = _quiet(MLPRegressor((4,), max_iter=2, random_state=0), X, y.reshape(-1, 1))
    assert column.predict(X).shape == (200, 1)


def test_the_notes_sigmoid_output_fits_the_target_scaled_into_zero_one() -> None:
    # The notes' regression: a sigmoid output unit and the test score scaled by its range.
    X, y = study_sleep(scaled=False)
    reg = _quiet(
        MLPRegressor((3,), activation="logistic", output="sigmoid", solver="lbfgs", random_state=0),
        X,
        y.ravel(),
    )
    assert reg.out_activation_ == "logistic"
    assert reg.target_scaler_.minimum[0] == 75.0 and reg.target_scaler_.maximum[0] == 93.0
    pred = reg.predict(X)
    assert ((pred >= 75.0) & (pred <= 93.0)).all()
    np.testing.assert_allclose(pred, y.ravel(), atol=0.5)
    with pytest.raises(
        ValueError, match=r"output='sigmoid' reaches \(0, 1\) only, but y lies in \[75, 93\]"
    ):
        MLPRegressor(output="sigmoid", standardize=False).fit(X, y.ravel())


def test_r2_matches_sklearns_definition_on_edge_cases() -> None:
    t = np.array([[1.0], [2.0], [3.0]])
    assert r2(t, t) == 1.0
    assert r2(np.full((3, 1), 2.0), t) == 0.0
    assert r2(np.full((3, 1), 5.0), np.full((3, 1), 5.0)) == 1.0  # constant and exact
    assert r2(np.full((3, 1), 4.0), np.full((3, 1), 5.0)) == 0.0  # constant, missed
    w = np.array([1.0, 0.0, 1.0])
    assert r2(np.array([[1.0], [9.0], [3.0]]), t, w) == 1.0  # the weight-0 row does not count


def test_bad_targets_are_refused() -> None:
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"y must hold numbers; it holds 'a'"):
        MLPRegressor().fit(X, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"Input y contains NaN \(row 1\)"):
        MLPRegressor().fit(X, [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match=r"Input y contains infinity \(row 0\)"):
        MLPRegressor().fit(X, [np.inf, 1.0, 2.0])
    reg = _quiet(MLPRegressor((3,), max_iter=2), np.arange(6.0).reshape(3, 2), [1.0, 2.0, 3.0])
    with pytest.raises(
        ValueError, match=r"y has shape \(3, 2\); the predictions for X have shape \(3, 1\)"
    ):
        reg.score(np.ones((3, 2)), np.ones((3, 2)))


def test_partial_fit_and_early_stopping_with_r2() -> None:
    X, y = _data(300)
    reg = MLPRegressor((10,), random_state=0)
    for start in range(0, 300, 100):
        reg.partial_fit(X[start : start + 100], y[start : start + 100])
    assert len(reg.loss_curve_) == 3 and reg.t_ == 300
    early = _quiet(MLPRegressor((10,), early_stopping=True, max_iter=60, random_state=0), X, y)
    assert early.best_validation_score_ == max(early.validation_scores_)
    assert -1.0 < early.best_validation_score_ <= 1.0
