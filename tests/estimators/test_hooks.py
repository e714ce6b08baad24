"""What the command line needs of the estimators: callbacks, the interrupt warning, solver='cg'."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from minitorch_bp.estimators import MLPClassifier, MLPRegressor, TrainingInterruptedWarning
from minitorch_bp.train import Callback

X = np.random.default_rng(0).normal(size=(40, 2))
Y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")


class Record(Callback):
    def __init__(self) -> None:
        self.logs: list[dict[str, float]] = []

    def on_epoch_end(self, state: object) -> None:
        self.logs.append(dict(state.logs))  # type: ignore[attr-defined]


def test_callbacks_see_the_loss_and_the_training_accuracy() -> None:
    record = Record()
    clf = MLPClassifier((3,), solver="sgd", max_iter=5, random_state=0, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, Y, callbacks=[record])
    assert [round(r["loss"], 12) for r in record.logs] == [round(v, 12) for v in clf.loss_curve_]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in record.logs)


def test_ctrl_c_warns_with_its_own_category_and_keeps_the_weights() -> None:
    class Stop(Callback):
        def on_epoch_end(self, state: object) -> None:
            if state.epoch == 2:  # type: ignore[attr-defined]
                raise KeyboardInterrupt

    clf = MLPClassifier((3,), solver="sgd", max_iter=50, random_state=0)
    with pytest.warns(TrainingInterruptedWarning, match="interrupted after 2 epochs"):
        clf.fit(X, Y, callbacks=[Stop()])
    assert clf.n_iter_ == 2 and clf.predict(X).shape == (40,)


def test_conjugate_gradients_is_a_full_batch_solver() -> None:
    reg = MLPRegressor((), solver="cg", max_iter=100, random_state=0)
    reg.fit(X, 3 * X[:, 0] - X[:, 1] + 2)
    assert reg.score(X, 3 * X[:, 0] - X[:, 1] + 2) > 0.999999
    with pytest.raises(ValueError, match="solver='cg' works on the whole training set at once"):
        MLPRegressor(solver="cg").partial_fit(X, X[:, 0])
