"""save / load: one checkpoint of minitorch_bp.io; a loaded estimator predicts on raw rows exactly as before."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn
from minitorch_bp.estimators import (
    ConvergenceWarning,
    MLPClassifier,
    MLPRegressor,
    NotFittedError,
    load,
)


def _quiet(est: Any, X: Any, y: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


class Frame:
    """What a data frame shows an estimator: ``columns`` and ``__array__``."""

    def __init__(self, values: np.ndarray, columns: list[str]) -> None:
        self.values, self.columns, self.shape = values, columns, values.shape

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values


def _iris_like(m: int = 90) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.array(["setosa", "versicolor", "virginica"])[np.arange(m) % 3]
    X = rng.normal(size=(m, 4)) * [1.0, 10.0, 0.1, 100.0] + (np.arange(m) % 3)[:, None] * 2
    return X, y


def _header(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as f:
        return json.loads(f["__header__"].tobytes())


def _rewrite(path: Path, edit: Any) -> Path:
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(arrays["__header__"].tobytes())
    edit(header, arrays)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    return path


def test_a_classifier_round_trips_its_labels_names_and_preprocessing(tmp_path: Path) -> None:
    X, y = _iris_like()
    X[5, 2] = np.nan
    clf = _quiet(
        MLPClassifier((12,), na="mean", max_iter=40, random_state=0), Frame(X, list("abcd")), y
    )
    path = clf.save(tmp_path / "iris.npz")
    back = MLPClassifier.load(path)
    assert (
        back.classes_.tolist() == ["setosa", "versicolor", "virginica"]
        and back.classes_.dtype.kind == "U"
    )
    assert back.feature_names_in_.tolist() == list("abcd")
    assert back.get_params() == clf.get_params()
    raw = Frame(X * 1.0, list("abcd"))
    np.testing.assert_array_equal(back.predict_proba(raw), clf.predict_proba(raw))
    assert (back.predict(raw) == clf.predict(raw)).all()
    assert back.score(raw, y) == clf.score(raw, y)
    np.testing.assert_array_equal(
        back.preprocessing_.imputer.means, clf.preprocessing_.imputer.means
    )
    np.testing.assert_array_equal(
        back.preprocessing_.standardizer.std, clf.preprocessing_.standardizer.std
    )
    assert back.loss_curve_ == clf.loss_curve_ and back.n_iter_ == clf.n_iter_ and back.t_ == clf.t_
    assert back.out_activation_ == clf.out_activation_ == "softmax"


def test_the_file_is_plain_arrays_and_json(tmp_path: Path) -> None:
    X, y = _iris_like()
    path = _quiet(MLPClassifier((4,), max_iter=3, random_state=0), X, y).save(tmp_path / "m.npz")
    with zipfile.ZipFile(path) as z, np.load(path, allow_pickle=False) as f:
        assert all(name.endswith(".npy") for name in z.namelist())
        assert all(f[k].dtype != object for k in f.files)  # allow_pickle=False read them all
    record = _header(path)["extra"]["estimator"]
    assert record["type"] == "MLPClassifier" and record["params"]["hidden_layer_sizes"] == [4]
    assert set(record["preprocessing"]) == {
        "n_features",
        "feature_names",
        "impute_means",
        "mean",
        "std",
    }
    assert io.load(path)[0].in_features == 4  # an ordinary checkpoint of the network too


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"output": "sigmoid"}, {"standardize": False}],
    ids=["identity", "sigmoid", "raw"],
)
def test_a_regressor_round_trips_its_target_scaling(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    y = 0.5 + 0.1 * np.tanh(X[:, 0]) if kwargs.get("standardize") is False else 300 + 40 * X[:, 0]
    reg = _quiet(MLPRegressor((6,), max_iter=30, random_state=0, **kwargs), X, y)
    back = MLPRegressor.load(reg.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    assert back.predict(X).shape == (60,)
    assert type(back.target_scaler_) is type(reg.target_scaler_)
    two = _quiet(
        MLPRegressor((6,), max_iter=5, random_state=0, **kwargs), X, np.column_stack([y, y])
    )
    np.testing.assert_array_equal(
        MLPRegressor.load(two.save(tmp_path / "r2.npz")).predict(X), two.predict(X)
    )


def test_multilabel_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    Y = (X[:, :2] > 0).astype(np.int32)
    clf = _quiet(MLPClassifier((5,), max_iter=10, random_state=0), X, Y)
    back = load(clf.save(tmp_path / "ml.npz"))
    assert back.predict(X).dtype == np.int32
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))


def test_partial_fit_after_load_continues_exactly(tmp_path: Path) -> None:
    # Optimizer moments, the learning-rate state and the shuffling generator are saved.
    X, y = _iris_like(150)
    chunks = [(X[i : i + 50], y[i : i + 50]) for i in (0, 50, 100)]
    kwargs: dict[str, Any] = {"hidden_layer_sizes": (8,), "batch_size": 16, "random_state": 3}
    straight = MLPClassifier(**kwargs)
    resumed = MLPClassifier(**kwargs)
    for est in (straight, resumed):
        est.partial_fit(*chunks[0], classes=np.unique(y))
        est.partial_fit(*chunks[1])
    resumed = MLPClassifier.load(resumed.save(tmp_path / "p.npz"))
    straight.partial_fit(*chunks[2])
    resumed.partial_fit(*chunks[2])
    assert resumed.loss_curve_ == straight.loss_curve_
    for p, q in zip(straight.model_.parameters(), resumed.model_.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        MLPClassifier().save(tmp_path / "x.npz")
    X, y = _iris_like()
    clf_path = _quiet(MLPClassifier((4,), max_iter=3, random_state=0), X, y).save(
        tmp_path / "c.npz"
    )
    with pytest.raises(io.CheckpointError, match="holds an MLPClassifier, not an MLPRegressor"):
        MLPRegressor.load(clf_path)
    plain = io.save(nn.Sequential(nn.Linear(2, 1, rng=0)), tmp_path / "plain.npz")
    with pytest.raises(io.CheckpointError, match="not an estimator's checkpoint"):
        load(plain)

    def two_classes(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        key = header["extra"]["estimator"]["classes"]["__array__"]
        arrays[key] = np.array(["setosa", "virginica"])

    with pytest.raises(
        io.CheckpointError, match="classes or target columns do not fit the network's 3 outputs"
    ):
        load(_rewrite(clf_path, two_classes))

    def wider(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        header["extra"]["estimator"]["preprocessing"]["n_features"] = 5

    path = _quiet(MLPClassifier((4,), max_iter=3, random_state=0), X, y).save(tmp_path / "w.npz")
    with pytest.raises(
        io.CheckpointError,
        match=r"preprocessing.feature_names must be 5 strings|preprocessing.mean must be",
    ):
        load(_rewrite(path, wider))

    def unknown_param(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        header["extra"]["estimator"]["params"]["dropout"] = 0.5

    path = _quiet(MLPClassifier((4,), max_iter=3, random_state=0), X, y).save(tmp_path / "u.npz")
    with pytest.raises(io.CheckpointError, match="are not MLPClassifier's"):
        load(_rewrite(path, unknown_param))
    with pytest.raises(IsADirectoryError, match="is a directory, not a file"):
        _quiet(MLPClassifier((4,), max_iter=3), X, y).save(tmp_path)
