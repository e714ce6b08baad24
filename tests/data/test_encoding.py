import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_bp.data.encoding as encoding_module
from minitorch_bp.data import labels_from_one_hot, one_hot


def test_one_hot_matches_hand_written_matrix() -> None:
    expected = np.array(
        [
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ]
    )
    out = one_hot(np.array([1, 3, 0, 1, 2]), num_classes=4)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)


def test_dtype_list_input_and_unsigned_labels() -> None:
    out = one_hot([0, 2], 3, dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(one_hot(np.array([1], dtype=np.uint8), 2), [[0.0, 1.0]])
    assert one_hot(np.array([1, 0]), 2, dtype=np.int64).tolist() == [[0, 1], [1, 0]]


def test_empty_labels_give_zero_rows() -> None:
    out = one_hot(np.array([], dtype=np.int64), 3)
    assert out.shape == (0, 3)
    assert one_hot([], 2).shape == (0, 2)


def test_out_of_range_lists_offending_values_and_range() -> None:
    with pytest.raises(ValueError, match=r"outside the range 0\.\.2 for num_classes=3: -1, 3, 7"):
        one_hot([0, 3, -1, 7, 3, 2], 3)


def test_many_offending_values_are_summarised() -> None:
    with pytest.raises(ValueError, match=r"10, 11, .*19, \.\.\. \(20 distinct values\)"):
        one_hot(np.arange(10, 30), 5)


def test_rejects_float_and_bool_labels() -> None:
    with pytest.raises(ValueError, match="must hold integers, got dtype float64"):
        one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="must hold integers, got dtype bool"):
        one_hot(np.array([True, False]), 2)


def test_rejects_two_d_labels() -> None:
    with pytest.raises(ValueError, match=r"must be 1-D of shape \(m,\), got shape \(3, 1\)"):
        one_hot(np.array([[0], [1], [2]]), 3)


@pytest.mark.parametrize("k", [0, -2, 2.0, True])
def test_rejects_bad_num_classes(k: object) -> None:
    with pytest.raises(ValueError, match=rf"one_hot\(num_classes={k!r}\) must be a positive"):
        one_hot([0], k)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12).flatmap(lambda k: st.tuples(st.just(k), st.lists(st.integers(0, k - 1)))))
def test_round_trip(case: tuple[int, list[int]]) -> None:
    k, labels = case
    Y = one_hot(labels, k)
    assert Y.shape == (len(labels), k)
    np.testing.assert_array_equal(Y.sum(axis=1), np.ones(len(labels)))
    assert labels_from_one_hot(Y).tolist() == labels


def test_labels_from_scores_and_ties() -> None:
    scores = np.array([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2], [-1.0, -3.0, -0.5]])
    out = labels_from_one_hot(scores)
    assert out.dtype == np.int64
    assert out.tolist() == [1, 0, 2]


def test_labels_from_one_hot_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        labels_from_one_hot(np.zeros(3))
    with pytest.raises(ValueError, match=r"got shape \(2, 0\)"):
        labels_from_one_hot(np.zeros((2, 0)))


def test_docstring_examples() -> None:
    result = doctest.testmod(encoding_module)
    assert result.attempted > 0 and result.failed == 0
