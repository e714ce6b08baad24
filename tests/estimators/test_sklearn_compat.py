"""scikit-learn's own checks pass, and its tools (Pipeline, GridSearchCV, cross_val_score) work.

scikit-learn is optional: the estimators never import it at module level (the last test
runs them with scikit-learn made unimportable).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp.estimators import ConvergenceWarning, MLPClassifier, MLPRegressor, NotFittedError

ROOT = Path(__file__).resolve().parents[2]


def _sklearn() -> None:
    pytest.importorskip("sklearn")


@pytest.mark.parametrize(
    "estimator", [MLPClassifier(), MLPRegressor()], ids=lambda e: type(e).__name__
)
def test_check_estimator_passes(estimator: object) -> None:
    _sklearn()
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        # The core does not inherit from sklearn.base.BaseEstimator (it must work without
        # scikit-learn), which check_estimator notes; its checks train for few epochs.
        warnings.filterwarnings(
            "ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`"
        )
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", category=UserWarning, message=".*[Ss]kipping check")
        warnings.filterwarnings("ignore", message=".*SkipTest")
        results = check_estimator(estimator, on_fail=None, on_skip=None)
    failed = {r["check_name"]: repr(r["exception"]) for r in results if r["status"] == "failed"}
    assert failed == {}
    assert len(results) > 50


def test_sklearns_tools_see_a_classifier_and_a_regressor() -> None:
    _sklearn()
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.exceptions import NotFittedError as SklearnNotFitted

    assert is_classifier(MLPClassifier()) and is_regressor(MLPRegressor())
    est = MLPClassifier((7,), alpha=0.5, na="mean")
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    with pytest.raises(SklearnNotFitted):  # also ours: one error, both classes
        MLPClassifier().predict([[0.0]])
    with pytest.raises(NotFittedError):
        MLPClassifier().predict([[0.0]])


def _blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [4.0, 4.0], [0.0, 5.0]])
    y = np.repeat(np.arange(3), 40)
    return centers[y] + rng.normal(size=(120, 2)), np.array(["a", "b", "c"])[y]


def test_pipeline_gridsearch_and_cross_val_score() -> None:
    _sklearn()
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(MinMaxScaler(), MLPClassifier((8,), solver="lbfgs", random_state=0))
        assert pipe.fit(X, y).score(X, y) > 0.95
        grid = GridSearchCV(
            MLPClassifier(solver="lbfgs", random_state=0),
            {"hidden_layer_sizes": [(2,), (8,)], "alpha": [1e-4, 1.0]},
            cv=3,
        ).fit(X, y)
        assert set(grid.best_params_) == {"hidden_layer_sizes", "alpha"} and grid.best_score_ > 0.9
        scores = cross_val_score(MLPClassifier((8,), solver="lbfgs", random_state=0), X, y, cv=4)
        assert scores.shape == (4,) and scores.min() > 0.9
        Xr = np.random.default_rng(1).uniform(-1, 1, size=(90, 2))
        r2 = cross_val_score(
            MLPRegressor((8,), solver="lbfgs", random_state=0), Xr, 3 * Xr[:, 0] - Xr[:, 1], cv=3
        )
        assert r2.min() > 0.9


def test_get_params_set_params_and_repr_need_no_sklearn() -> None:
    est = MLPRegressor((50, 20), "tanh", alpha=0.1)
    params = est.get_params()
    assert params["hidden_layer_sizes"] == (50, 20) and params["activation"] == "tanh"
    assert list(params)[:3] == ["hidden_layer_sizes", "activation", "solver"]
    assert {"output", "standardize", "na", "engine", "max_fun", "n_iter_no_change"} <= set(params)
    assert est.set_params(alpha=2.0, solver="sgd") is est and est.alpha == 2.0
    assert (
        repr(est)
        == "MLPRegressor(hidden_layer_sizes=(50, 20), activation='tanh', solver='sgd', alpha=2.0)"
    )
    assert repr(MLPClassifier()) == "MLPClassifier()"
    with pytest.raises(ValueError, match=r"Invalid parameter 'alhpa' for estimator MLPRegressor"):
        est.set_params(alhpa=1.0)


def test_the_estimators_work_without_sklearn(tmp_path: Path) -> None:
    script = """
import sys
sys.modules["sklearn"] = None          # any import of scikit-learn now fails
import numpy as np
from minitorch_bp.estimators import MLPClassifier, MLPRegressor, load
X = np.random.default_rng(0).normal(size=(60, 3))
y = np.where(X[:, 0] > 0, "up", "down")
clf = MLPClassifier((5,), solver="lbfgs", random_state=0).fit(X, y)
path = clf.save(sys.argv[1])
back = load(path)
assert (back.predict(X) == clf.predict(X)).all() and back.get_params() == clf.get_params()
reg = MLPRegressor((5,), solver="lbfgs", random_state=0).fit(X, X[:, 1])
assert reg.score(X, X[:, 1]) > 0.5
try:
    clf.__sklearn_tags__()
except ImportError:
    print("no sklearn, as it should be")
loaded = [m for m in sys.modules if m.startswith("sklearn") and sys.modules[m] is not None]
assert loaded == [], loaded
"""
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "m.npz")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no sklearn, as it should be"
