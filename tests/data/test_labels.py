"""Label encoding of any labels (text, booleans, numbers): the training classes, and no silent remap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_bp.data import LabelEncoder, as_labels, encode_labels


def test_text_labels_get_sorted_classes_and_round_trip() -> None:
    codes, enc = encode_labels(["virginica", "setosa", "versicolor", "setosa"])
    assert enc.classes.tolist() == ["setosa", "versicolor", "virginica"]
    assert codes.tolist() == [2, 0, 1, 0] and codes.dtype == np.int64
    assert enc.inverse_transform(codes).tolist() == ["virginica", "setosa", "versicolor", "setosa"]
    assert not enc.classes.flags.writeable


def test_numbers_booleans_and_object_arrays() -> None:
    assert encode_labels([3, 1, 3])[1].classes.tolist() == [1, 3]
    assert encode_labels(np.array([2.0, 0.0]))[1].classes.dtype == np.float64
    assert encode_labels([True, False])[1].classes.tolist() == [False, True]
    assert as_labels(np.array(["a", "b"], dtype=object), "t").dtype.kind == "U"
    assert as_labels(np.array([1, 2], dtype=object), "t").dtype.kind == "i"
    assert as_labels(np.array([b"x", b"y"]), "t").tolist() == ["x", "y"]


def test_the_training_codes_are_reused_and_an_unseen_label_is_an_error() -> None:
    # Before (the CLI): a file missing class 0 had its labels remapped (52 %), then IndexError.
    _, enc = encode_labels(["cat", "dog", "emu"])
    codes, same = encode_labels(["emu", "emu", "dog"], enc)
    assert same is enc and codes.tolist() == [2, 2, 1]
    with pytest.raises(
        ValueError,
        match=r"2 label\(s\) not seen in fit: 'ant', 'yak'; the classes are 'cat', 'dog', 'emu'",
    ):
        enc.transform(["cat", "yak", "ant"])
    with pytest.raises(ValueError, match=r"y holds numbers but the classes seen in fit are 'cat'"):
        enc.transform([1, 2])


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["a", 1], r"mixes text and numbers \(1 at index 1, 'a' at index 0\)"),
        ([1.0, np.nan], r"Input y contains NaN \(at index 1\)"),
        ([np.inf, 1.0], r"Input y contains infinity \(at index 0\)"),
        ([[1, 2]], r"must be 1-D of shape \(m,\), got shape \(1, 2\)"),
        ([None, None], "neither text nor numbers"),
    ],
)
def test_bad_labels_are_refused_by_name(labels: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        as_labels(labels, "test")  # type: ignore[arg-type]


def test_label_encoder_checks_its_classes() -> None:
    with pytest.raises(ValueError, match="sorted and without repeats"):
        LabelEncoder(np.array(["b", "a"]))
    with pytest.raises(ValueError, match="must be integers in 0..1"):
        LabelEncoder(np.array([0, 1])).inverse_transform([2])
    with pytest.raises(ValueError, match="cannot fit classes on 0 labels"):
        encode_labels([])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["x", "y", "zz", "10", "-1"]), min_size=1, max_size=30))
def test_round_trip_property(labels: list[str]) -> None:
    codes, enc = encode_labels(labels)
    assert enc.inverse_transform(codes).tolist() == labels
    assert enc.classes.tolist() == sorted(set(labels))
