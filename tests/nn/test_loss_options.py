"""The loss options and the new losses against values computed by hand and by scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch_bp import nn


def test_cross_entropy_class_weights_are_pytorchs_weighted_mean() -> None:
    z = np.array([[0.0, np.log(3.0)], [0.0, 0.0], [1.0, 0.0]])
    c = np.array([1, 0, 0])
    w = np.array([2.0, 0.5])
    ell = np.array([-math.log(0.75), -math.log(0.5), -math.log(math.e / (1 + math.e))])
    by_hand = float(np.sum(w[c] * ell) / np.sum(w[c]))
    assert nn.CrossEntropyLoss(weight=w)(z, c) == pytest.approx(by_hand, rel=1e-14)
    summed = nn.CrossEntropyLoss(weight=w, reduction="sum")
    assert summed(z, c) == pytest.approx(float(np.sum(w[c] * ell)), rel=1e-14)


def test_ignore_index_drops_the_example_from_sum_and_count() -> None:
    z = np.array([[0.0, np.log(3.0)], [5.0, -5.0], [0.0, 0.0]])
    ce = nn.CrossEntropyLoss(ignore_index=7)
    J = ce(z, np.array([1, 7, 0]))
    assert J == pytest.approx((-math.log(0.75) - math.log(0.5)) / 2, rel=1e-14)
    assert not ce.backward()[1].any()
    with pytest.raises(ValueError, match=r"must lie in 0..1 \(or ignore_index=7\)"):
        ce(z, np.array([1, 2, 0]))
    with pytest.raises(ValueError, match="total weight is 0.0"):
        ce(z, np.array([7, 7, 7]))
    # PyTorch's default ignore_index=-100 is not ours: a label -100 is an error here.
    with pytest.raises(ValueError, match="class labels must lie in 0..1"):
        nn.CrossEntropyLoss()(z, np.array([1, -100, 0]))


def test_label_smoothing_mixes_the_target_with_the_uniform_distribution() -> None:
    """ε: ℓ = (1 − ε)(−log s_c) + ε · mean_k(−log s_k), labels and their one-hot rows alike."""
    rng = np.random.default_rng(0)
    z, c = rng.normal(size=(5, 4)), np.array([0, 3, 1, 1, 2])
    log_s = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    eps = 0.2
    ell = (1 - eps) * -log_s[np.arange(5), c] + eps * -log_s.mean(axis=1)
    smooth = nn.CrossEntropyLoss(label_smoothing=eps, reduction="none")
    np.testing.assert_allclose(smooth(z, c), ell, rtol=1e-14)
    np.testing.assert_allclose(smooth(z, np.eye(4)[c]), ell, rtol=1e-14)
    g = nn.CrossEntropyLoss(label_smoothing=eps, reduction="sum")
    g(z, c)
    s = np.exp(log_s)
    np.testing.assert_allclose(g.backward(), s - ((1 - eps) * np.eye(4)[c] + eps / 4), rtol=1e-13)
    with pytest.raises(ValueError, match="label_smoothing=1.5 must be a number in"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_logsoftmax_then_nll_is_cross_entropy() -> None:
    rng = np.random.default_rng(1)
    z, c = rng.normal(size=(6, 3)), np.array([0, 1, 2, 2, 1, 0])
    w = [1.0, 3.0, 0.5]
    ce = nn.CrossEntropyLoss(weight=w)
    log_softmax, nll = nn.LogSoftmax(), nn.NLLLoss(weight=w)
    assert nll(log_softmax(z), c) == pytest.approx(ce(z, c), rel=1e-14)
    np.testing.assert_allclose(log_softmax.backward(nll.backward()), ce.backward(), rtol=1e-12)
    with pytest.raises(ValueError, match="NLLLoss: target has shape"):
        nll(log_softmax(z), np.eye(3)[c])


def test_bce_weights_and_pos_weight() -> None:
    a = np.array([[0.8, 0.1], [0.3, 0.6]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    ell = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    w = np.array([2.0, 0.5])
    assert nn.BCELoss(weight=w, reduction="sum")(a, y) == pytest.approx(float((ell * w).sum()))
    z = np.log(a / (1 - a))
    p = np.array([3.0, 1.5])
    by_hand = -(p * y * np.log(a) + (1 - y) * np.log(1 - a)) * w
    logits = nn.BCEWithLogitsLoss(weight=w, pos_weight=p, reduction="none")
    np.testing.assert_allclose(logits(z, y), by_hand, rtol=1e-13)
    with pytest.raises(ValueError, match="pos_weight has 2 entries but the prediction has 3"):
        nn.BCEWithLogitsLoss(pos_weight=p)(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"weight must be a 1-D array.*shape \(2, 2\)"):
        nn.BCELoss(weight=np.ones((2, 2)))
    with pytest.raises(ValueError, match="weight must be >= 0"):
        nn.BCELoss(weight=[1.0, -1.0])
    weight = nn.BCELoss(weight=w).weight
    assert weight is not None and not weight.flags.writeable  # fixed when the loss is built


def test_huber_and_smooth_l1_are_the_squared_error_near_and_l1_far() -> None:
    r = np.array([[0.2, -0.4, 1.5, -3.0]])
    huber = nn.HuberLoss(reduction="none", delta=1.0)
    np.testing.assert_allclose(huber(r, np.zeros_like(r)), [[0.02, 0.08, 1.0, 2.5]], rtol=1e-14)
    huber.backward(np.ones_like(r))
    smooth = nn.SmoothL1Loss(reduction="none", beta=0.5)
    np.testing.assert_allclose(smooth(r, np.zeros_like(r)), [[0.04, 0.16, 1.25, 2.75]], rtol=1e-14)
    np.testing.assert_allclose(smooth.backward(np.ones_like(r)), [[0.4, -0.8, 1.0, -1.0]])
    l1 = nn.L1Loss(reduction="sum")
    assert l1(r, np.zeros_like(r)) == pytest.approx(5.1)
    with pytest.raises(ValueError, match="delta=0.0 must be a finite number > 0"):
        nn.HuberLoss(delta=0.0)


def test_kl_divergence_and_poisson_by_hand() -> None:
    q = np.array([[0.2, 0.8]])
    y = np.array([[0.5, 0.5]])
    kl = nn.KLDivLoss()
    assert kl(np.log(q), y) == pytest.approx(float(np.sum(y * np.log(y / q))), rel=1e-14)
    assert nn.KLDivLoss(log_target=True)(np.log(q), np.log(y)) == pytest.approx(kl(np.log(q), y))
    with pytest.raises(ValueError, match="target probabilities must be >= 0"):
        kl(np.log(q), np.array([[-0.1, 1.1]]))
    rate, count = np.array([[2.0, 0.5]]), np.array([[3.0, 0.0]])
    full = nn.PoissonNLLLoss(log_input=False, full=True, reduction="none", eps=1e-300)
    stirling = 3 * math.log(3) - 3 + 0.5 * math.log(2 * math.pi * 3)
    np.testing.assert_allclose(
        full(rate, count), [[2.0 - 3 * math.log(2.0) + stirling, 0.5]], rtol=1e-14
    )
    with pytest.raises(ValueError, match="target counts must be >= 0"):
        nn.PoissonNLLLoss()(rate, -count - 1)
    with pytest.raises(ValueError, match="the prediction is a rate and must be >= 0"):
        nn.PoissonNLLLoss(log_input=False)(-rate, count)


def test_reduction_none_gives_new_arrays_and_backward_takes_their_gradient() -> None:
    mse = nn.MSELoss(reduction="none")
    pred, y = np.array([[1.0, 2.0], [0.0, -1.0]]), np.zeros((2, 2))
    ell = mse(pred, y)
    np.testing.assert_array_equal(ell, 0.5 * pred**2)
    assert not np.shares_memory(ell, pred)
    upstream = np.array([[1.0, 0.0], [2.0, 0.5]])
    np.testing.assert_array_equal(mse.backward(upstream), upstream * pred)
    ce = nn.CrossEntropyLoss(reduction="none")
    assert ce(np.zeros((3, 2)), np.array([0, 1, 1])).shape == (3,)


def test_sample_weights_are_scikit_learns() -> None:
    """scikit-learn's MLP losses with sample_weight: log_loss (softmax outputs),
    binary_log_loss (sigmoid outputs) and squared_loss, the last with the notes' ½."""
    base = pytest.importorskip("sklearn.neural_network._base")
    rng = np.random.default_rng(4)
    s = rng.uniform(0.1, 3.0, size=8)
    z = rng.normal(size=(8, 3))
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    Y = np.eye(3)[rng.integers(0, 3, size=8)]
    assert nn.CrossEntropyLoss()(z, Y, sample_weight=s) == pytest.approx(
        base.log_loss(Y, probs, sample_weight=s), rel=1e-12
    )
    a = rng.uniform(0.05, 0.95, size=(8, 3))
    Yb = (rng.uniform(size=(8, 3)) > 0.5).astype(float)
    assert nn.BCELoss()(a, Yb, sample_weight=s) == pytest.approx(
        base.binary_log_loss(Yb, a, sample_weight=s), rel=1e-12
    )
    pred, target = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    assert nn.MSELoss(reduction="mean")(pred, target, sample_weight=s) == pytest.approx(
        base.squared_loss(target, pred, sample_weight=s), rel=1e-12
    )
