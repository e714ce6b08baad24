import doctest

import numpy as np
import pytest

import minitorch_bp.data.scaling as scaling_module
from minitorch_bp.data import Standardizer, scale_by_max, standardize


def test_standardize_fits_mean_and_std() -> None:
    X = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    Xs, stats = standardize(X)
    np.testing.assert_allclose(stats.mean, [3.0, 6.0])
    np.testing.assert_allclose(stats.std, [np.sqrt(8 / 3), np.sqrt(32 / 3)])
    np.testing.assert_allclose(Xs.mean(axis=0), [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(Xs[:, 0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])


def test_test_set_uses_training_statistics() -> None:
    X_train = np.array([[0.0, 10.0], [2.0, 30.0]])  # mean [1, 20], std [1, 10]
    X_test = np.array([[5.0, 0.0], [1.0, 20.0]])
    _, stats = standardize(X_train)
    X_test_s, used = standardize(X_test, stats)
    assert used is stats
    np.testing.assert_allclose(X_test_s, [[4.0, -2.0], [0.0, 0.0]])
    refit, _ = standardize(X_test)
    assert not np.allclose(refit, X_test_s)
    np.testing.assert_allclose(stats.transform(X_test), X_test_s)
    np.testing.assert_allclose(stats.inverse_transform(X_test_s), X_test)


def test_constant_column_gets_std_one() -> None:
    X = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]], dtype=np.float32)
    Xs, stats = standardize(X)
    assert stats.std[0] == 1.0
    np.testing.assert_array_equal(Xs[:, 0], [0.0, 0.0, 0.0])


def test_dtypes() -> None:
    X32 = np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32)
    Xs, stats = standardize(X32)
    assert Xs.dtype == np.float32 and stats.mean.dtype == np.float32
    Xi = np.array([[1, 2], [3, 5]])
    Xs_i, stats_i = standardize(Xi)
    assert Xs_i.dtype == np.float64 and stats_i.std.dtype == np.float64
    # float32 data with float64 statistics stays float32
    assert standardize(X32, stats_i)[0].dtype == np.float32
    assert scale_by_max(X32)[0].dtype == np.float32
    assert scale_by_max(Xi)[0].dtype == np.float64


def test_stats_are_read_only() -> None:
    _, stats = standardize(np.array([[1.0], [2.0]]))
    with pytest.raises(ValueError, match="read-only"):
        stats.mean[0] = 5.0


def test_standardize_errors() -> None:
    with pytest.raises(ValueError, match=r"standardize\(X\) must be 2-D.*shape \(3,\)"):
        standardize(np.zeros(3))
    with pytest.raises(ValueError, match="0 rows"):
        standardize(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        standardize(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="must be numeric"):
        standardize(np.array([["a"], ["b"]]))
    _, stats = standardize(np.ones((2, 3)))
    with pytest.raises(ValueError, match="has 2 columns; the statistics were fitted on 3"):
        standardize(np.ones((2, 2)), stats)
    with pytest.raises(ValueError, match="must be a Standardizer or None, got dict"):
        standardize(np.ones((2, 2)), {"mean": 0})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be positive"):
        Standardizer(mean=np.zeros(2), std=np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        Standardizer(mean=np.zeros(2), std=np.ones(3))


def test_scale_by_max_matches_notes_example() -> None:
    X = np.array([[3, 5], [5, 1], [10, 2]], dtype=float)
    Xs, maxima = scale_by_max(X)
    np.testing.assert_array_equal(maxima, [10.0, 5.0])
    np.testing.assert_allclose(Xs, X / np.amax(X, axis=0))
    np.testing.assert_allclose(Xs, [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]])


def test_scale_by_max_reuse_negative_and_zero_columns() -> None:
    X = np.array([[-4.0, 0.0, 1.0], [2.0, 0.0, 2.0]])
    Xs, maxima = scale_by_max(X)
    np.testing.assert_array_equal(maxima, [4.0, 1.0, 2.0])
    np.testing.assert_allclose(Xs, [[-1.0, 0.0, 0.5], [0.5, 0.0, 1.0]])
    X_test_s, same = scale_by_max(np.array([[8.0, 3.0, 1.0]]), maxima)
    np.testing.assert_array_equal(same, maxima)
    np.testing.assert_allclose(X_test_s, [[2.0, 3.0, 0.5]])


def test_scale_by_max_errors() -> None:
    with pytest.raises(ValueError, match=r"maxima\) must be numeric of shape \(2,\)"):
        scale_by_max(np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="must be positive"):
        scale_by_max(np.ones((2, 2)), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="0 rows"):
        scale_by_max(np.zeros((0, 2)))


def test_docstring_examples() -> None:
    result = doctest.testmod(scaling_module)
    assert result.attempted > 0 and result.failed == 0


def test_min_max_maps_the_training_range_onto_zero_one() -> None:
    from minitorch_bp.data import MinMax, min_max_scale

    y = np.array([[75.0, 1.0], [82.0, 1.0], [93.0, 1.0]])
    ys, stats = min_max_scale(y)
    np.testing.assert_allclose(ys[:, 0], [0.0, 7 / 18, 1.0])
    np.testing.assert_array_equal(ys[:, 1], [0.0, 0.0, 0.0])  # constant: divided by 1
    np.testing.assert_allclose(stats.inverse_transform(ys), y)
    out, same = min_max_scale(np.array([[111.0, 2.0]]), stats)
    assert same is stats
    np.testing.assert_allclose(out, [[2.0, 1.0]])  # outside the training range: outside [0, 1]
    with pytest.raises(ValueError, match="maximum < minimum"):
        MinMax(np.array([1.0]), np.array([0.0]))
    with pytest.raises(ValueError, match=r"has 1 columns; the statistics were fitted on 2"):
        stats.transform(np.ones((1, 1)))
    with pytest.raises(ValueError, match="must be a MinMax or None"):
        min_max_scale(y, stats=object())  # type: ignore[arg-type]
