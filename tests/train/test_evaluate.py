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


def test_evaluate_keeps_the_integer_indices_of_an_embedding_model() -> None:
    model = nn.Sequential(nn.Embedding(5, 2, rng=0), nn.Flatten(), nn.Linear(6, 3, rng=1))
    idx = np.array([[0, 4, 2], [1, 1, 3]])
    result = evaluate(model, idx, np.array([0, 2]), criterion=nn.CrossEntropyLoss())
    assert result["loss"] == pytest.approx(nn.CrossEntropyLoss()(model(idx), np.array([0, 2])))
