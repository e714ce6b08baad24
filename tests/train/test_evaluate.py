"""predict, accuracy, evaluate and the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.train import accuracy, confusion_matrix, evaluate, predict
from minitorch_bp.train.evaluate import class_labels


def test_predict_argmax_and_threshold() -> None:
    layer = nn.Linear(2, 3, rng=0)
    layer.theta = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.0]]
    assert predict(layer, [[2.0, 1.0], [0.0, 3.0], [0.0, 0.0]]).tolist() == [0, 1, 2]
    one = nn.Sequential(nn.Linear(1, 1, rng=0), nn.Sigmoid())
    one[0].theta = [[0.0, 1.0]]
    assert predict(one, [[-1.0], [0.0], [2.0]]).tolist() == [0, 1, 1]


def test_accuracy_targets() -> None:
    out = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert accuracy(out, np.eye(2)[[0, 1, 1]]) == pytest.approx(2 / 3)
    assert accuracy(out, np.array([0, 1, 0])) == 1.0
    assert class_labels(np.array([[1.0], [0.0]])).tolist() == [1, 0]
    with pytest.raises(ValueError, match="regression"):
        class_labels(np.array([[0.75], [0.82]]))


def test_evaluate_loss_includes_the_l2_term() -> None:
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid())
    X, Y = np.array([[0.1, 0.2], [0.3, -0.4]]), np.eye(2)
    crit = nn.BCELoss()
    res = evaluate(model, X, Y, criterion=crit, l2=3.0)
    assert res["loss"] == pytest.approx(crit(model(X), Y) + nn.l2_penalty(model, 3.0, 2))
    assert set(res) == {"loss", "accuracy"}


def test_confusion_matrix_counts() -> None:
    C = confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], num_classes=4)
    assert C.shape == (4, 4) and C.sum() == 5 and C[0, 1] == 1 and C[2, 0] == 1
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix([0, 1], [0])


# ---------------------------------------------------------------- multi-label targets
def _outputs() -> np.ndarray:
    return np.array([[0.9, 0.8, 0.1], [0.2, 0.7, 0.6], [0.6, 0.1, 0.3], [0.1, 0.2, 0.3]])


MULTI_HOT = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]], dtype=float)


def test_accuracy_on_multi_hot_targets_is_subset_accuracy() -> None:
    # Before: argmax agreement, 0.75 here (row 3 has no label, argmax calls it class 0).
    assert accuracy(_outputs(), MULTI_HOT) == 1.0  # every label of every row right
    wrong_one_label = MULTI_HOT.copy()
    wrong_one_label[1, 0] = 1
    assert accuracy(_outputs(), wrong_one_label) == 0.75


def test_predict_multilabel_returns_the_indicator_matrix() -> None:
    layer = nn.Identity()
    got = predict(layer, _outputs(), multilabel=True)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(predict(layer, _outputs()), [0, 1, 0, 2])  # argmax


def test_one_hot_targets_keep_argmax_accuracy() -> None:
    one_hot = np.eye(3)[[0, 1, 0, 2]]
    assert accuracy(_outputs(), one_hot) == 1.0


def test_evaluate_and_fit_report_subset_accuracy_for_multi_hot_targets() -> None:
    from minitorch_bp import optim
    from minitorch_bp.data import DataLoader
    from minitorch_bp.train import fit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0], axis=1).astype(float)
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Sigmoid())
    opt = optim.SGD(model.parameters(), lr=2.0)
    h = fit(model, nn.BCELoss(), opt, DataLoader(X, Y, 64), epochs=200, progress=False)
    got = evaluate(model, X, Y, criterion=nn.BCELoss())["accuracy"]
    out = model(X)
    assert got == float(np.mean(np.all((out >= 0.5) == (Y == 1), axis=1)))
    assert h["accuracy"][-1] <= 1.0 and got > 0.9


def test_predict_and_evaluate_refuse_non_finite_outputs() -> None:
    class Broken(nn.Identity):
        def forward(self, x: np.ndarray) -> np.ndarray:
            out = super().forward(x)
            out[1, 0] = np.nan
            return out

    with pytest.raises(ValueError, match=r"predict: the model's output holds 1 NaN or inf value"):
        predict(Broken(), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"evaluate: the model's output holds 1 NaN or inf"):
        evaluate(Broken(), np.ones((3, 2)), np.ones((3, 2)), metrics=("accuracy",))


def test_evaluate_keeps_the_integer_indices_of_an_embedding_model() -> None:
    model = nn.Sequential(nn.Embedding(5, 2, rng=0), nn.Flatten(), nn.Linear(6, 3, rng=1))
    idx = np.array([[0, 4, 2], [1, 1, 3]])
    result = evaluate(model, idx, np.array([0, 2]), criterion=nn.CrossEntropyLoss())
    assert result["loss"] == pytest.approx(nn.CrossEntropyLoss()(model(idx), np.array([0, 2])))
