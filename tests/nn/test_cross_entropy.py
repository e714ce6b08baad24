"""CrossEntropyLoss: log-sum-exp by hand, labels or probabilities, δ = softmax − y, ±1e4 logits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.gradcheck import numerical_gradient, relative_difference

REDUCTIONS = ["batchmean", "sum", "mean"]


def _ce_by_hand(z: Any, labels: Any) -> float:
    """Σ_i (log Σ_j exp z_ij − z_{i,c_i}), one example at a time."""
    total = 0.0
    for row, c in zip(z, labels):
        m = max(row)
        lse = m + np.log(sum(np.exp(v - m) for v in row))
        total += lse - row[c]
    return float(total)


@pytest.fixture
def batch() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    return rng.normal(scale=3.0, size=(5, 4)), np.array([0, 3, 1, 1, 2])


def test_labels_match_the_log_sum_exp_written_out(batch: tuple[Any, Any]) -> None:
    z, y = batch
    total = _ce_by_hand(z, y)
    assert nn.CrossEntropyLoss(reduction="sum")(z, y) == pytest.approx(total, rel=1e-14)
    assert nn.CrossEntropyLoss()(z, y) == pytest.approx(total / 5, rel=1e-14)
    # "mean" averages over all m·K elements ℓ_ik (PyTorch's mean is our batchmean)
    assert nn.CrossEntropyLoss(reduction="mean")(z, y) == pytest.approx(total / 20, rel=1e-14)


def test_one_hot_targets_equal_labels(batch: tuple[Any, Any]) -> None:
    z, y = batch
    one_hot = np.eye(4)[y]
    for reduction in REDUCTIONS:
        a, b = nn.CrossEntropyLoss(reduction=reduction), nn.CrossEntropyLoss(reduction=reduction)
        assert a(z, y) == pytest.approx(b(z, one_hot), rel=1e-14)
        np.testing.assert_allclose(a.backward(), b.backward(), rtol=1e-14, atol=1e-17)
    # integer and boolean one-hot rows are probabilities too
    assert nn.CrossEntropyLoss()(z, one_hot.astype(int)) == pytest.approx(
        nn.CrossEntropyLoss()(z, y)
    )
    assert nn.CrossEntropyLoss()(z, one_hot.astype(bool)) == pytest.approx(
        nn.CrossEntropyLoss()(z, y)
    )


def test_soft_targets_match_the_formula() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 5))
    t = rng.dirichlet(np.ones(5), size=3)
    log_s = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -np.sum(t * log_s) / 3
    assert nn.CrossEntropyLoss()(z, t) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_is_softmax_minus_y_and_matches_central_differences(
    batch: tuple[Any, Any], reduction: str
) -> None:
    z, y = batch
    ce = nn.CrossEntropyLoss(reduction=reduction)
    ce(z, y)
    grad = ce.backward()
    s = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    scale = {"batchmean": 1 / 5, "sum": 1.0, "mean": 1 / 20}[reduction]
    np.testing.assert_allclose(grad, scale * (s - np.eye(4)[y]), rtol=1e-13, atol=1e-16)
    numeric = numerical_gradient(lambda: ce(z, y), z, eps=1e-6)
    assert relative_difference(grad, numeric) < 1e-8


def test_equals_softmax_module_then_negative_log_likelihood(batch: tuple[Any, Any]) -> None:
    z, y = batch
    sm = nn.Softmax()
    s = sm(z)
    one_hot = np.eye(4)[y]
    grad_s = -one_hot / s / 5  # ∂/∂s of −(1/m) Σ y log s
    via_softmax = sm.backward(grad_s)
    ce = nn.CrossEntropyLoss()
    assert ce(z, y) == pytest.approx(-np.sum(one_hot * np.log(s)) / 5, rel=1e-13)
    np.testing.assert_allclose(ce.backward(), via_softmax, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logits_of_plus_minus_1e4_are_finite_without_warnings(dtype: type) -> None:
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    y = np.array([1, 0, 2])
    ce = nn.CrossEntropyLoss(reduction="sum")
    value = ce(z, y)  # pytest turns warnings into errors
    expected = 2e4 + (2e4 + np.log(2.0)) + np.log(3.0)
    assert value == pytest.approx(expected, rel=1e-6)
    grad = ce.backward()
    assert grad.dtype == dtype and np.all(np.isfinite(grad))
    np.testing.assert_allclose(
        grad, [[1, -1, 0], [-1, 0.5, 0.5], [1 / 3, 1 / 3, -2 / 3]], rtol=1e-6, atol=1e-7
    )
    assert ce(z, np.eye(3)[y]) == pytest.approx(expected, rel=1e-6)


def test_float32_stays_float32_with_labels() -> None:
    z = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    ce = nn.CrossEntropyLoss()
    ce(z, np.array([0, 1, 2, 0], dtype=np.uint8))
    assert ce.backward().dtype == np.float32


@pytest.mark.parametrize("labels", [[0, 4, 1, 0, 2], [-1, 0, 1, 0, 2]])
def test_refuses_labels_out_of_range_naming_them(batch: tuple[Any, Any], labels: list[int]) -> None:
    z, _ = batch
    bad = next(v for v in labels if not 0 <= v < 4)
    with pytest.raises(ValueError, match=rf"0\.\.3 for 4 logits.*\[{bad}\] at indices"):
        nn.CrossEntropyLoss()(z, np.array(labels))


def test_refuses_float_labels_and_wrong_shapes(batch: tuple[Any, Any]) -> None:
    z, y = batch
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(5,\).*dtype float64.*astype\(np.int64\)"):
        nn.CrossEntropyLoss()(z, y.astype(float))
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(4,\)"):
        nn.CrossEntropyLoss()(z, y[:4])
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(5, 3\)"):
        nn.CrossEntropyLoss()(z, np.eye(3)[[0, 1, 2, 0, 1]])
    with pytest.raises(ValueError, match=r"dtype bool: class labels need an integer"):
        nn.CrossEntropyLoss()(z, y.astype(bool))
    with pytest.raises(ValueError, match=r"\(5, 1\).*\(5,\).*reshape\(-1, 1\)"):
        nn.CrossEntropyLoss()(z[:, :1], np.ones(5))


def test_refuses_probability_rows_not_summing_to_one(batch: tuple[Any, Any]) -> None:
    z, y = batch
    t = np.eye(4)[y]
    t[2] *= 0.5
    t[4, 0] = 0.5
    with pytest.raises(ValueError, match=r"sum to 1.*2 row\(s\).*\[2, 4\] sum to \[0\.5, 1\.5\]"):
        nn.CrossEntropyLoss()(z, t)
    with pytest.raises(ValueError, match=r"\[0, 1\]; got min -0\.5"):
        nn.CrossEntropyLoss()(z, np.tile([[-0.5, 1.5, 0.0, 0.0]], (5, 1)))


def test_refuses_non_finite_logits(batch: tuple[Any, Any]) -> None:
    z, y = batch
    z = z.copy()
    z[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"prediction contains 1 NaN.*\(1, 2\)"):
        nn.CrossEntropyLoss()(z, y)


def test_trains_a_softmax_classifier() -> None:
    # Three separable blobs: a few hundred steps of plain gradient descent reach > 95%.
    rng = np.random.default_rng(3)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    y = rng.integers(0, 3, size=150)
    x = centres[y] + 0.4 * rng.normal(size=(150, 2))
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 3, rng=1))
    ce = nn.CrossEntropyLoss()
    first = ce(model(x), y)
    for _ in range(200):
        model.zero_grad()
        ce(model(x), y)
        model.backward(ce.backward())
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    assert ce(model(x), y) < 0.2 * first
    assert np.mean(model(x).argmax(axis=1) == y) > 0.95
