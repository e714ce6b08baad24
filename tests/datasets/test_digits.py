import doctest
import hashlib
import importlib
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp.datasets import DIGITS_IMAGE_SHAPE, digits, digits_images

# Computed once from scikit-learn's load_digits() and checked against its raw
# digits.csv.gz; see minitorch_bp/datasets/_data/README.md.
PIXELS_SHA256 = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
LABELS_SHA256 = "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]


def _sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a.astype(np.uint8)).tobytes()).hexdigest()


def test_shapes_dtypes_and_range() -> None:
    X, y = digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    np.testing.assert_array_equal(X, np.round(X))
    assert y.min() == 0 and y.max() == 9


def test_checksums_and_class_counts() -> None:
    X, y = digits()
    assert _sha256(X) == PIXELS_SHA256
    assert _sha256(y) == LABELS_SHA256
    assert np.bincount(y, minlength=10).tolist() == CLASS_COUNTS


def test_first_examples() -> None:
    X, y = digits()
    assert y[:10].tolist() == list(range(10))
    assert X[0].reshape(DIGITS_IMAGE_SHAPE).astype(int).tolist() == FIRST_IMAGE


def test_images_match_flat_rows() -> None:
    X, y = digits()
    images, labels = digits_images(dtype=np.float32)
    assert DIGITS_IMAGE_SHAPE == (8, 8)
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    np.testing.assert_array_equal(labels, y)


def test_dtype_and_fresh_copies() -> None:
    X32, _ = digits(dtype=np.float32)
    assert X32.dtype == np.float32
    X, y = digits()
    X[:] = -1
    y[:] = -1
    X2, y2 = digits()
    assert X2.min() == 0.0 and y2.min() == 0


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, bool])
def test_rejects_non_float_dtype(dtype: type) -> None:
    with pytest.raises(ValueError, match="must be a floating dtype"):
        digits(dtype=dtype)
    with pytest.raises(ValueError, match="must be a floating dtype"):
        digits_images(dtype=dtype)


def test_shipped_file_is_small_and_credited() -> None:
    package_file = importlib.import_module("minitorch_bp.datasets").__file__
    assert package_file is not None
    data_dir = Path(package_file).parent / "_data"
    assert (data_dir / "digits.npz").stat().st_size < 200_000
    readme = (data_dir / "README.md").read_text(encoding="utf-8")
    for credit in ("CC BY 4.0", "Alpaydin", "Kaynak", "10.24432/C50P49", PIXELS_SHA256):
        assert credit in readme
    doc = digits.__doc__ or ""
    for credit in ("CC BY 4.0", "Alpaydin", "Kaynak", "10.24432/C50P49"):
        assert credit in doc


def test_docstring_examples() -> None:
    module = importlib.import_module("minitorch_bp.datasets.digits")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
