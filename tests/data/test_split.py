import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_bp.data.split as split_module
from minitorch_bp.data import train_test_split


def _data(m: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(2 * m).reshape(m, 2)
    y = np.arange(m)  # label == original row index
    return X, y


def test_fraction_rounds_test_size_up_and_partitions_rows() -> None:
    X, y = _data(10)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, 0.25, seed=0)
    assert (X_tr.shape, X_te.shape, y_tr.shape, y_te.shape) == ((7, 2), (3, 2), (7,), (3,))
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_tr, X[y_tr])
    np.testing.assert_array_equal(X_te, X[y_te])


def test_matches_default_rng_permutation() -> None:
    X, y = _data(8)
    _, _, y_tr, y_te = train_test_split(X, y, 3, seed=11)
    perm = np.random.default_rng(11).permutation(8)
    assert y_te.tolist() == perm[:3].tolist()
    assert y_tr.tolist() == perm[3:].tolist()


def test_same_seed_same_split_other_seed_differs() -> None:
    X, y = _data(30)
    a = train_test_split(X, y, 0.3, seed=5)
    b = train_test_split(X, y, 0.3, seed=5)
    c = train_test_split(X, y, 0.3, seed=6)
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    assert a[3].tolist() != c[3].tolist()
    assert a[3].tolist() != sorted(a[3].tolist()) or a[2].tolist() != sorted(a[2].tolist())


def test_parts_are_copies() -> None:
    X, y = _data(4)
    X_tr, X_te, _, _ = train_test_split(X, y, 1, seed=0)
    assert not np.shares_memory(X_tr, X) and not np.shares_memory(X_te, X)


def test_accepts_generator() -> None:
    X, y = _data(6)
    rng = np.random.default_rng(2)
    _, _, _, y_te = train_test_split(X, y, 2, rng)
    assert y_te.tolist() == np.random.default_rng(2).permutation(6)[:2].tolist()


@settings(max_examples=40, deadline=None)
@given(m=st.integers(2, 60), frac=st.floats(0.01, 0.99), seed=st.integers(0, 1000))
def test_fraction_sizes(m: int, frac: float, seed: int) -> None:
    X, y = _data(m)
    expected = int(np.ceil(frac * m))
    if not 1 <= expected <= m - 1:
        with pytest.raises(ValueError, match="both parts must be non-empty"):
            train_test_split(X, y, frac, seed)
        return
    _, _, y_tr, y_te = train_test_split(X, y, frac, seed)
    assert len(y_te) == expected and len(y_tr) == m - expected
    assert set(y_tr.tolist()).isdisjoint(y_te.tolist())


def test_stratify_keeps_class_shares() -> None:
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    X = np.arange(100).reshape(100, 1)
    X_tr, X_te, y_tr, y_te = train_test_split(X, labels, 0.2, seed=1, stratify=labels)
    assert np.bincount(y_te).tolist() == [10, 6, 4]
    assert np.bincount(y_tr).tolist() == [40, 24, 16]
    assert sorted(np.concatenate([X_tr, X_te]).ravel().tolist()) == list(range(100))
    np.testing.assert_array_equal(labels[X_te.ravel()], y_te)
    again = train_test_split(X, labels, 0.2, seed=1, stratify=labels)
    np.testing.assert_array_equal(again[1], X_te)


def test_stratify_largest_remainder_total() -> None:
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    _, _, _, y_te = train_test_split(np.zeros((7, 1)), labels, 3, seed=0, stratify=labels)
    assert len(y_te) == 3
    assert np.bincount(y_te, minlength=3).tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    ("test_size", "message"),
    [
        (0.0, "strictly between 0 and 1"),
        (1.0, "strictly between 0 and 1"),
        (-0.5, "strictly between 0 and 1"),
        (0, "between 1 and 9 for 10 examples"),
        (10, "between 1 and 9 for 10 examples"),
        (True, "must be a fraction in"),
        ("0.2", "must be a fraction in"),
    ],
)
def test_bad_test_size(test_size: object, message: str) -> None:
    X, y = _data(10)
    with pytest.raises(ValueError, match=message):
        train_test_split(X, y, test_size, seed=0)  # type: ignore[arg-type]


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="same number of rows"):
        train_test_split(np.zeros((3, 2)), np.zeros(4), 1)
    with pytest.raises(ValueError, match="at least 2 rows"):
        train_test_split(np.zeros((1, 2)), np.zeros(1), 0.5)
    with pytest.raises(ValueError, match=r"stratify\) must have shape \(4,\)"):
        train_test_split(np.zeros((4, 2)), np.zeros(4), 1, stratify=np.zeros(3))
    with pytest.raises(ValueError, match="rows as examples"):
        train_test_split(np.float64(1.0), np.zeros(4), 1)


def test_docstring_examples() -> None:
    result = doctest.testmod(split_module)
    assert result.attempted > 0 and result.failed == 0
