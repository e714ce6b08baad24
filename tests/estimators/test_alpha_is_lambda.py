"""``alpha`` is the notes' λ: the same J(Θ) and the same D as scikit-learn's MLPs, on the same weights.

scikit-learn adds ``alpha / (2 n) · ΣW²`` to each batch's loss (``n`` its rows, without the
intercepts) and ``alpha / n · W`` to the weights' gradients: the notes'
:math:`\\frac{\\lambda}{2m}\\sum\\Theta^2` and :math:`D = \\frac{1}{m}(\\Delta + \\lambda\\Theta)`,
bias column exempt. ``_backprop`` is scikit-learn's own loss-and-gradient routine.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.estimators import MLPClassifier, MLPRegressor
from minitorch_bp.estimators._params import settings

sklearn = pytest.importorskip("sklearn")
from sklearn import neural_network  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

ALPHA = 0.7


def _sklearn_loss(
    ours: Any, sk: Any, X: np.ndarray, y: np.ndarray, Y: np.ndarray
) -> tuple[float, list[Any], list[Any]]:
    """scikit-learn's J and gradients at our weights: ``sk`` fitted on ``y`` (to set it up),
    ``Y`` the targets as its ``_backprop`` takes them (binarized labels, or the values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X, y)
    sk.coefs_ = [w.copy() for w in ours.coefs_]
    sk.intercepts_ = [b.copy() for b in ours.intercepts_]
    n = len(sk.coefs_) + 1
    coef_grads = [np.empty_like(w) for w in sk.coefs_]
    intercept_grads = [np.empty_like(b) for b in sk.intercepts_]
    loss, cg, ig = sk._backprop(
        X, Y, None, [X] + [None] * (n - 1), [None] * (n - 1), coef_grads, intercept_grads
    )
    return float(loss), cg, ig


def _our_loss(est: Any, X: np.ndarray, T: np.ndarray) -> tuple[float, list[Any], list[Any]]:
    """Our J(Θ) = criterion + λ/(2m)ΣW², and the optimizer's D, on the network's input and targets."""
    model, criterion, opt = est.model_, est._criterion(), est._optimizer
    J = criterion(model(X), T) + nn.l2_penalty(model, ALPHA, len(X))
    model.zero_grad()
    model.backward(criterion.backward())
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return (
        J,
        [opt.gradient(layer.weight, len(X)).T for layer in linears],
        [opt.gradient(layer.bias, len(X)) for layer in linears],
    )


def _built(est: Any, X: np.ndarray, y: np.ndarray) -> Any:
    """``est`` with its network built from ``(X, y)`` and not trained: the starting weights."""
    est._start(X, None, y, None, settings(est.get_params(), "test", est._output_units), "test")
    return est


def _assert_same(
    ours: tuple[float, list[Any], list[Any]], theirs: tuple[float, list[Any], list[Any]]
) -> None:
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    for a, b in zip([*ours[1], *ours[2]], [*theirs[1], *theirs[2]]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_J_and_D_equal_sklearns(n_classes: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = rng.integers(0, n_classes, size=30)
    ours = _built(
        MLPClassifier((5, 3), "logistic", alpha=ALPHA, standardize=False, random_state=0), X, y
    )
    sk = neural_network.MLPClassifier((5, 3), activation="logistic", alpha=ALPHA, max_iter=1)
    Y = np.eye(n_classes)[y][:, 1:] if n_classes == 2 else np.eye(n_classes)[y]
    theirs = _sklearn_loss(ours, sk, X, y, Y)
    _assert_same(_our_loss(ours, X, ours._network_targets(y, "t")), theirs)
    assert (
        ours.out_activation_ == sk.out_activation_ == ("logistic" if n_classes == 2 else "softmax")
    )


def test_the_notes_K_sigmoid_output_is_sklearns_multilabel_loss() -> None:
    # The notes' multi-class J (K logistic units) is scikit-learn's loss for one-hot
    # multi-label rows: the binary log loss summed over the outputs, divided by m.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    y = rng.integers(0, 3, size=30)
    est = MLPClassifier(
        (5,), "tanh", alpha=ALPHA, output="sigmoid", standardize=False, random_state=1
    )
    ours = _built(est, X, y)
    sk = neural_network.MLPClassifier((5,), activation="tanh", alpha=ALPHA, max_iter=1)
    one_hot = np.eye(3)[y]
    theirs = _sklearn_loss(ours, sk, X, one_hot, one_hot)
    _assert_same(_our_loss(ours, X, ours._network_targets(y, "t")), theirs)
    assert ours.out_activation_ == sk.out_activation_ == "logistic"


def test_regressor_J_and_D_equal_sklearns() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(25, 3))
    y = rng.normal(size=25)
    ours = _built(MLPRegressor((4,), "tanh", alpha=ALPHA, standardize=False, random_state=0), X, y)
    sk = neural_network.MLPRegressor(
        hidden_layer_sizes=(4,), activation="tanh", alpha=ALPHA, max_iter=1
    )
    _assert_same(
        _our_loss(ours, X, y.reshape(-1, 1)), _sklearn_loss(ours, sk, X, y, y.reshape(-1, 1))
    )


def test_with_k_targets_sklearns_gradient_is_k_times_its_losss_but_ours_is_ours() -> None:
    # scikit-learn's squared loss is ½ the mean over the m·k values, but its δ^(L) is
    # a − y divided by m only: its data gradient is k times the derivative of its loss
    # (scikit-learn issue #8349). The J is the same; our D is the derivative of that J.
    from minitorch_bp.gradcheck import gradcheck

    k, m = 2, 25
    rng = np.random.default_rng(2)
    X = rng.normal(size=(m, 3))
    Y = rng.normal(size=(m, k))
    ours = _built(MLPRegressor((4,), "tanh", alpha=ALPHA, standardize=False, random_state=0), X, Y)
    sk = neural_network.MLPRegressor(
        hidden_layer_sizes=(4,), activation="tanh", alpha=ALPHA, max_iter=1
    )
    J, coef, _ = _our_loss(ours, X, Y)
    loss, sk_coef, _ = _sklearn_loss(ours, sk, X, Y, Y)
    assert J == pytest.approx(loss, rel=1e-12)
    for ours_d, theirs_d, W in zip(coef, sk_coef, ours.coefs_):
        data = ours_d - ALPHA / m * W
        np.testing.assert_allclose(theirs_d, k * data + ALPHA / m * W, rtol=1e-10, atol=1e-14)
    # ε = 1e-5: tanh's curvature leaves the course's 1e-4 at 1.0e-9, on the threshold.
    assert gradcheck(ours.model_, ours._criterion(), X, Y, l2=ALPHA, eps=1e-5) < 1e-9


def test_the_recorded_loss_is_sklearns_J_at_the_starting_weights() -> None:
    # One full batch per epoch: loss_curve_[0] is J(Θ) before the first update, λ term in.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    kwargs: dict[str, Any] = {
        "alpha": ALPHA,
        "batch_size": 40,
        "standardize": False,
        "random_state": 3,
    }
    start = _built(MLPClassifier((6,), **kwargs), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trained = MLPClassifier((6,), max_iter=2, **kwargs).fit(X, y)
    sk = neural_network.MLPClassifier((6,), alpha=ALPHA, max_iter=1)
    loss, _, _ = _sklearn_loss(start, sk, X, y, y.reshape(-1, 1).astype(np.float64))
    assert trained.loss_curve_[0] == pytest.approx(loss, rel=1e-12)
