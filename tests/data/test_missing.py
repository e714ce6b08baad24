"""Missing values: refused by row and column, or filled in with the training rows' means."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp.data import MeanImputer, check_na_policy, impute_mean, missing_error


def test_the_error_names_the_first_missing_cell_and_the_ways_out() -> None:
    X = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0], [np.nan, 8.0, 9.0]])
    error = missing_error(X, "fit", ["a", "b", "c"])
    assert error is not None
    assert str(error).startswith(
        "fit: X has a missing value (NaN) in row 1, column 1 ('b'); 2 missing in all."
    )
    assert "na='drop'" in str(error) and "na='mean'" in str(error)
    assert "column 0" in str(missing_error(X[2:], "fit"))
    assert missing_error(np.ones((2, 2)), "fit") is None


def test_means_come_from_the_training_rows_and_fill_later_rows() -> None:
    X_train = np.array([[1.0, np.nan], [3.0, 10.0], [np.nan, 20.0]])
    filled, imputer = impute_mean(X_train)
    np.testing.assert_array_equal(imputer.means, [2.0, 15.0])
    np.testing.assert_array_equal(filled, [[1.0, 15.0], [3.0, 10.0], [2.0, 20.0]])
    later, same = impute_mean(np.array([[np.nan, np.nan]]), imputer)
    assert same is imputer
    np.testing.assert_array_equal(later, [[2.0, 15.0]])
    assert np.isnan(X_train).sum() == 2  # the input is not changed


def test_a_column_with_no_value_has_no_mean() -> None:
    with pytest.raises(ValueError, match=r"column 1 \('b'\) has no value in any of the 2 rows"):
        impute_mean(np.array([[1.0, np.nan], [2.0, np.nan]]), names=["a", "b"])
    with pytest.raises(ValueError, match=r"must have shape \(m, 2\)"):
        MeanImputer(np.array([1.0, 2.0])).transform(np.ones((1, 3)))
    with pytest.raises(ValueError, match="must be 1-D and finite"):
        MeanImputer(np.array([np.nan]))


def test_na_policies() -> None:
    assert [check_na_policy(p, "t") for p in ("error", "drop", "mean")] == ["error", "drop", "mean"]
    with pytest.raises(
        ValueError, match=r"t: na='zero' must be one of \('error', 'drop', 'mean'\)"
    ):
        check_na_policy("zero", "t")
