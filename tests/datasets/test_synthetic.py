import doctest
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_bp.datasets import spirals, study_sleep, two_moons, xor


def test_study_sleep_scaled_as_in_the_notes() -> None:
    X, y = study_sleep()
    np.testing.assert_allclose(X, [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]])
    np.testing.assert_allclose(y, [[0.75], [0.82], [0.93]])
    assert X.shape == (3, 2) and y.shape == (3, 1)
    assert X.dtype == y.dtype == np.float64


def test_study_sleep_raw_and_dtype() -> None:
    X, y = study_sleep(scaled=False, dtype=np.float32)
    assert X.dtype == y.dtype == np.float32
    np.testing.assert_array_equal(X, [[3, 5], [5, 1], [10, 2]])
    np.testing.assert_array_equal(y, [[75], [82], [93]])


def test_xor() -> None:
    X, y = xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [[0], [1], [1], [0]])
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(X[:, 0], X[:, 1]))
    assert xor(dtype=np.float32)[0].dtype == np.float32


def test_two_moons_noiseless_points_lie_on_the_arcs() -> None:
    X, y = two_moons(101, noise=0.0)
    assert X.shape == (101, 2) and y.shape == (101,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0)
    assert np.all(outer[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert np.all(inner[:, 1] <= 0.5 + 1e-12)


def test_two_moons_noise_has_requested_scale() -> None:
    clean, _ = two_moons(4000, noise=0.0)
    noisy, _ = two_moons(4000, noise=0.3, seed=0)
    assert abs(float(np.std(noisy - clean)) - 0.3) < 0.01


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 300), seed=st.integers(0, 2**32 - 1))
def test_two_moons_reproducible(n: int, seed: int) -> None:
    X1, y1 = two_moons(n, 0.2, seed)
    X2, y2 = two_moons(n, 0.2, seed)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.shape == (n, 2) and np.bincount(y1, minlength=2).tolist() == [n // 2, n - n // 2]


def test_different_seeds_differ_and_generator_accepted() -> None:
    assert not np.array_equal(two_moons(50, seed=1)[0], two_moons(50, seed=2)[0])
    X_rng, _ = two_moons(50, seed=np.random.default_rng(1))
    np.testing.assert_array_equal(X_rng, two_moons(50, seed=1)[0])
    assert not np.array_equal(spirals(30, seed=1)[0], spirals(30, seed=2)[0])
    np.testing.assert_array_equal(
        spirals(30, seed=np.random.default_rng(4))[0], spirals(30, seed=4)[0]
    )


@settings(max_examples=25, deadline=None)
@given(classes=st.integers(2, 6), extra=st.integers(0, 200), seed=st.integers(0, 10_000))
def test_spirals_shapes_classes_reproducible(classes: int, extra: int, seed: int) -> None:
    n = classes + extra
    X, y = spirals(n, classes, seed)
    assert X.shape == (n, 2) and y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=classes)
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    assert counts.tolist() == sorted(counts.tolist(), reverse=True)
    assert np.all(np.diff(y) >= 0)  # grouped by class
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)
    X2, y2 = spirals(n, classes, seed)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_spirals_noiseless_geometry() -> None:
    X, y = spirals(6, classes=2, noise=0.0, dtype=np.float32)
    assert X.dtype == np.float32
    assert y.tolist() == [0, 0, 0, 1, 1, 1]
    radius = np.linspace(0.0, 1.0, 3)
    angle = np.linspace(0.0, 4.0, 3)
    arm0 = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    arm1 = np.column_stack([radius * np.sin(angle + np.pi), radius * np.cos(angle + np.pi)])
    np.testing.assert_allclose(X, np.vstack([arm0, arm1]), atol=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: two_moons(1), r"two_moons\(n=1\) must be an integer >= 2"),
        (
            lambda: two_moons(10.0),  # type: ignore[arg-type]
            r"two_moons\(n=10.0\) must be an integer",
        ),
        (lambda: two_moons(10, noise=-0.1), r"two_moons\(noise=-0.1\) must be a finite"),
        (lambda: two_moons(10, noise=float("nan")), r"two_moons\(noise=nan\)"),
        (lambda: two_moons(10, dtype=np.int32), r"two_moons\(dtype=int32\) must be a floating"),
        (lambda: spirals(10, classes=1), r"spirals\(classes=1\) must be an integer >= 2"),
        (lambda: spirals(2, classes=3), r"spirals\(n=2\) must be an integer >= 3"),
        (lambda: spirals(9, noise=True), r"spirals\(noise=True\) must be a finite"),
        (lambda: study_sleep(dtype=np.int64), r"study_sleep\(dtype=int64\) must be a floating"),
        (lambda: xor(dtype=np.uint8), r"xor\(dtype=uint8\) must be a floating"),
    ],
)
def test_validation(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_docstring_examples() -> None:
    module = importlib.import_module("minitorch_bp.datasets.synthetic")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
