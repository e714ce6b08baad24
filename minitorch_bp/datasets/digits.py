"""The 8x8 handwritten digits shipped with the package (no download)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["DIGITS_IMAGE_SHAPE", "digits", "digits_images"]

#: Height and width of one digit image; ``X.reshape(-1, *DIGITS_IMAGE_SHAPE)`` gives images.
DIGITS_IMAGE_SHAPE: tuple[int, int] = (8, 8)

_FILE = "digits.npz"


def _float_dtype(dtype: DTypeLike, where: str) -> np.dtype[Any]:
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"{where}(dtype={dt}) must be a floating dtype such as numpy.float64")
    return dt


@lru_cache(maxsize=1)
def _load() -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    source = resources.files("minitorch_bp.datasets").joinpath("_data").joinpath(_FILE)
    with source.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
        images = np.array(archive["images"], dtype=np.uint8)
        target = np.array(archive["target"], dtype=np.uint8)
    images.setflags(write=False)
    target.setflags(write=False)
    return images, target


def digits_images(*, dtype: DTypeLike = np.float64) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Return the handwritten digits as 8x8 images with their labels.

    Same data and order as :func:`digits`, with each row reshaped to
    :data:`DIGITS_IMAGE_SHAPE` (row-major, top row first).

    Args:
        dtype: floating dtype of the images (default ``numpy.float64``).

    Shape:
        - images: ``(1797, 8, 8)``, values 0..16
        - labels: ``(1797,)``, ``int64`` in 0..9

    Example::

        >>> images, labels = digits_images()
        >>> images.shape, int(labels[0])
        ((1797, 8, 8), 0)
        >>> print(images[0].astype(int))
        [[ 0  0  5 13  9  1  0  0]
         [ 0  0 13 15 10 15  5  0]
         [ 0  3 15  2  0 11  8  0]
         [ 0  4 12  0  0  8  8  0]
         [ 0  5  8  0  0  9  8  0]
         [ 0  4 11  0  1 12  7  0]
         [ 0  2 14  5 10 12  0  0]
         [ 0  0  6 13 10  0  0  0]]
    """
    dt = _float_dtype(dtype, "digits_images")
    images, target = _load()
    return images.astype(dt), target.astype(np.int64)


def digits(*, dtype: DTypeLike = np.float64) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Return the 8x8 handwritten digits as flat feature rows and integer labels.

    The 1,797 images of the test set of the UCI "Optical Recognition of
    Handwritten Digits" data set: 32x32 bitmaps of handwritten digits divided
    into non-overlapping 4x4 blocks, each pixel the count (0..16) of set bits in
    its block. Classes 0..9 have 178, 182, 177, 183, 181, 182, 181, 179, 174 and
    180 examples. The data is shipped inside the package; nothing is downloaded.

    Source and licence: E. Alpaydin and C. Kaynak (1998), "Optical Recognition of
    Handwritten Digits", UCI Machine Learning Repository,
    https://doi.org/10.24432/C50P49, licensed under CC BY 4.0
    (https://creativecommons.org/licenses/by/4.0/). Values taken from the copy
    bundled with scikit-learn; see ``minitorch_bp/datasets/_data/README.md``.

    Args:
        dtype: floating dtype of ``X`` (default ``numpy.float64``); values are
            the raw counts 0..16, not scaled (divide by 16 or use
            :func:`minitorch_bp.data.standardize`).

    Returns:
        ``(X, y)``: a new array of pixel rows and a new array of labels, in the
        data set's original order (not shuffled).

    Shape:
        - X: ``(1797, 64)``; ``X.reshape(-1, 8, 8)`` recovers the images
          (see :data:`DIGITS_IMAGE_SHAPE` and :func:`digits_images`).
        - y: ``(1797,)``, ``int64`` in 0..9.

    Raises:
        ValueError: ``dtype`` is not a floating dtype.

    Example::

        >>> import numpy as np
        >>> X, y = digits()
        >>> X.shape, X.dtype, y.shape, y.dtype
        ((1797, 64), dtype('float64'), (1797,), dtype('int64'))
        >>> print(y[:10], X.min(), X.max())
        [0 1 2 3 4 5 6 7 8 9] 0.0 16.0
        >>> print(np.bincount(y))
        [178 182 177 183 181 182 181 179 174 180]
    """
    dt = _float_dtype(dtype, "digits")
    images, target = _load()
    return images.reshape(images.shape[0], -1).astype(dt), target.astype(np.int64)
