"""On scikit-learn's iris, wine, breast_cancer and diabetes, held-out scores on a par with its MLPs.

Same split, default parameters for both (ours standardise the features, and for
regression the target, which scikit-learn's MLPs do not). The table in
docs/tutorials/your-own-data.md comes from the same runs.
"""

from __future__ import annotations

import warnings

import pytest

from minitorch_bp.estimators import ConvergenceWarning, MLPClassifier, MLPRegressor

pytest.importorskip("sklearn")
from sklearn import datasets, neural_network
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.model_selection import train_test_split


@pytest.mark.parametrize(
    ("name", "regression", "margin"),
    [
        ("iris", False, 0.0),
        ("wine", False, 0.0),
        ("breast_cancer", False, 0.02),
        ("diabetes", True, 0.0),
    ],
)
def test_held_out_score_is_on_a_par_with_sklearn(
    name: str, regression: bool, margin: float
) -> None:
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=None if regression else y
    )
    ours = (MLPRegressor if regression else MLPClassifier)(random_state=0)
    theirs = (neural_network.MLPRegressor if regression else neural_network.MLPClassifier)(
        random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        ours.fit(X_tr, y_tr)
        theirs.fit(X_tr, y_tr)
    assert ours.score(X_te, y_te) >= theirs.score(X_te, y_te) - margin
    assert ours.score(X_te, y_te) > (0.2 if regression else 0.9)
