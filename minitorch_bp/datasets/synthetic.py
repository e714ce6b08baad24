"""Small fixed and generated data sets for the notes' examples and for toy classification."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from minitorch_bp._random import as_generator

__all__ = ["spirals", "study_sleep", "two_moons", "xor"]

Arrays = tuple[NDArray[Any], NDArray[Any]]
Labelled = tuple[NDArray[Any], NDArray[np.int64]]


def _float_dtype(dtype: DTypeLike, where: str) -> np.dtype[Any]:
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"{where}(dtype={dt}) must be a floating dtype such as numpy.float64")
    return dt


def _count(value: object, name: str, where: str, minimum: int) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum:
        return int(value)
    raise ValueError(f"{where}({name}={value!r}) must be an integer >= {minimum}")


def _noise(value: object, where: str) -> float:
    if (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    ):
        return float(value)
    raise ValueError(f"{where}(noise={value!r}) must be a finite number >= 0")


def study_sleep(*, scaled: bool = True, dtype: DTypeLike = np.float64) -> Arrays:
    """Return the notes' regression example: hours of sleep and study -> test score.

    Three students: (sleep, study) hours ``[[3, 5], [5, 1], [10, 2]]`` and scores
    ``[75, 82, 93]``. As in the notes, ``scaled=True`` divides ``X`` by its column
    maxima ``[10, 5]`` and ``y`` by the maximum score 100, so that all values lie in
    ``[0, 1]`` like a sigmoid output.

    Args:
        scaled: return the scaled values (default) or the raw hours and scores.
        dtype: floating dtype of both arrays.

    Shape:
        - X: ``(3, 2)``, columns (hours of sleep, hours of study)
        - y: ``(3, 1)``

    Example::

        >>> X, y = study_sleep()
        >>> print(X)
        [[0.3 1. ]
         [0.5 0.2]
         [1.  0.4]]
        >>> print(y.ravel())
        [0.75 0.82 0.93]
        >>> print(study_sleep(scaled=False)[1].ravel())
        [75. 82. 93.]
    """
    dt = _float_dtype(dtype, "study_sleep")
    X = np.array([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]])
    y = np.array([[75.0], [82.0], [93.0]])
    if scaled:
        X = X / np.amax(X, axis=0)
        y = y / 100.0
    return X.astype(dt), y.astype(dt)


def xor(*, dtype: DTypeLike = np.float64) -> Arrays:
    """Return the four points of the XOR problem.

    Args:
        dtype: floating dtype of both arrays.

    Shape:
        - X: ``(4, 2)``, the inputs ``00, 01, 10, 11``
        - y: ``(4, 1)``, ``x1 XOR x2``

    Example::

        >>> import numpy as np
        >>> X, y = xor()
        >>> print(np.hstack([X, y]))
        [[0. 0. 0.]
         [0. 1. 1.]
         [1. 0. 1.]
         [1. 1. 0.]]
    """
    dt = _float_dtype(dtype, "xor")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dt)
    y = np.array([[0], [1], [1], [0]], dtype=dt)
    return X, y


def two_moons(
    n: int,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = None,
    *,
    dtype: DTypeLike = np.float64,
) -> Labelled:
    """Generate two interleaving half circles, a classic non-linear binary problem.

    The first ``n // 2`` rows (label 0) lie on the upper unit half circle, the other
    ``n - n // 2`` rows (label 1) on the lower half circle shifted to ``(1, 0.5)``;
    points are evenly spaced along each arc, then Gaussian noise of standard
    deviation ``noise`` is added to both coordinates. Rows are grouped by class
    (shuffle with :class:`minitorch_bp.data.DataLoader` or
    :func:`minitorch_bp.data.train_test_split`).

    Args:
        n: total number of points, at least 2.
        noise: standard deviation of the Gaussian noise, ``>= 0``.
        seed: integer seed, ``None`` or a ``numpy.random.Generator``; the same
            integer seed gives identical arrays.
        dtype: floating dtype of ``X``.

    Shape:
        - X: ``(n, 2)``
        - y: ``(n,)``, ``int64`` labels in ``{0, 1}``

    Raises:
        ValueError: ``n`` not an integer >= 2, ``noise`` negative or not finite,
            or ``dtype`` not floating.

    Example::

        >>> import numpy as np
        >>> X, y = two_moons(6, noise=0.0)
        >>> print(np.round(X, 3))
        [[ 1.   0. ]
         [ 0.   1. ]
         [-1.   0. ]
         [ 0.   0.5]
         [ 1.  -0.5]
         [ 2.   0.5]]
        >>> print(y)
        [0 0 0 1 1 1]
    """
    n = _count(n, "n", "two_moons", 2)
    sigma = _noise(noise, "two_moons")
    dt = _float_dtype(dtype, "two_moons")
    rng = as_generator(seed, "two_moons", "seed")
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = np.column_stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)])
    X = np.vstack([outer, inner]) + sigma * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n_outer, n_inner])
    return X.astype(dt), y


def spirals(
    n: int,
    classes: int = 3,
    seed: int | np.random.Generator | None = None,
    *,
    noise: float = 0.2,
    dtype: DTypeLike = np.float64,
) -> Labelled:
    """Generate interleaved spiral arms, one per class (the CS231n toy data set).

    ``n`` is the *total* number of points, as in :func:`two_moons`; it is split as
    evenly as possible, the first ``n % classes`` classes getting one point more.
    Arm ``k`` has radii evenly spaced in ``[0, 1]`` and angles evenly spaced over
    4 radians, rotated by ``2 * pi * k / classes``, plus Gaussian angle noise of
    standard deviation ``noise`` radians. Rows are grouped by class.

    Args:
        n: total number of points, at least ``classes``.
        classes: number of arms/classes, at least 2.
        seed: integer seed, ``None`` or a ``numpy.random.Generator``; the same
            integer seed gives identical arrays.
        noise: standard deviation of the angle noise in radians, ``>= 0``.
        dtype: floating dtype of ``X``.

    Shape:
        - X: ``(n, 2)``, inside the unit disc
        - y: ``(n,)``, ``int64`` labels in ``0 .. classes-1``

    Raises:
        ValueError: ``classes`` not an integer >= 2, ``n`` not an integer
            >= ``classes``, ``noise`` negative or not finite, or ``dtype`` not
            floating.

    Example::

        >>> import numpy as np
        >>> X, y = spirals(300, classes=3, seed=0)
        >>> X.shape, np.bincount(y).tolist()
        ((300, 2), [100, 100, 100])
        >>> print(spirals(7, classes=3, noise=0.0)[1])
        [0 0 0 1 1 2 2]
    """
    k = _count(classes, "classes", "spirals", 2)
    n = _count(n, "n", "spirals", k)
    sigma = _noise(noise, "spirals")
    dt = _float_dtype(dtype, "spirals")
    rng = as_generator(seed, "spirals", "seed")
    sizes = [n // k + (1 if c < n % k else 0) for c in range(k)]
    arms = []
    for c, size in enumerate(sizes):
        radius = np.linspace(0.0, 1.0, size)
        angle = np.linspace(0.0, 4.0, size) + 2.0 * np.pi * c / k
        angle = angle + sigma * rng.standard_normal(size)
        arms.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
    X = np.vstack(arms)
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    return X.astype(dt), y
