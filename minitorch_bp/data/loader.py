"""Mini-batch iteration over a pair of in-memory arrays."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DataLoader"]

Batch = tuple[NDArray[Any], NDArray[Any]]


def _check_batch_size(batch_size: object) -> int:
    if isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool):
        size = int(batch_size)
        if size >= 1:
            return size
    raise ValueError(f"DataLoader(batch_size={batch_size!r}) must be a positive integer")


def _make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (
        not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0
    ):
        raise ValueError(
            f"DataLoader(seed={seed!r}) must be None, a non-negative integer "
            "or a numpy.random.Generator"
        )
    return np.random.default_rng(seed)


class DataLoader:
    """Iterate over ``(x, y)`` mini-batches of two arrays whose rows are examples.

    Each call to ``iter(loader)`` is one epoch. With ``shuffle=True`` every epoch
    draws a fresh permutation of the row indices from the loader's random
    generator, so consecutive epochs visit the rows in different orders while the
    whole sequence of epochs is reproducible from ``seed``. The last batch keeps
    the leftover rows when ``batch_size`` does not divide the data set size.

    No copy of the data set is made: without shuffling, batches are views
    (contiguous slices) of ``X`` and ``Y``; with shuffling, only one index
    permutation per epoch is stored and each batch gathers its own rows.

    Args:
        X: inputs, a 2-D array of shape ``(m, n_features)``, or any ``(m, ...)`` array
            (images ``(m, C, H, W)``; integer indices for an ``Embedding``).
        Y: targets with the same number of rows ``m``: a 2-D array
            ``(m, n_outputs)`` or a 1-D array of integer labels ``(m,)``.
        batch_size: number of rows per batch, a positive integer.
        shuffle: draw a new random order of the rows for every epoch.
        seed: an integer seed, ``None`` (fresh entropy from the OS) or a
            ``numpy.random.Generator``, which is used (and advanced) in place.

    Attributes:
        X, Y: the arrays passed in (converted with ``numpy.asarray``).
        batch_size: rows per batch.
        shuffle: whether epochs are shuffled.
        dataset_size: number of examples ``m``.
        generator: the ``numpy.random.Generator`` that draws the permutations.

    Shape:
        - x batch: ``(b, n_features)`` with ``b = batch_size``, except the last
          batch, where ``b = m - (len(loader) - 1) * batch_size``.
        - y batch: ``(b, n_outputs)`` or ``(b,)``, following ``Y``.

    Raises:
        ValueError: ``X`` not 2-D, ``Y`` not 1-D or 2-D, different row counts,
            an empty data set, or a ``batch_size`` that is not a positive integer.

    Example::

        >>> import numpy as np
        >>> X = np.arange(10.0).reshape(5, 2)
        >>> y = np.array([0, 1, 0, 1, 1])
        >>> loader = DataLoader(X, y, batch_size=2, shuffle=False)
        >>> len(loader), loader.dataset_size
        (3, 5)
        >>> for xb, yb in loader:
        ...     print(xb.tolist(), yb.tolist())
        [[0.0, 1.0], [2.0, 3.0]] [0, 1]
        [[4.0, 5.0], [6.0, 7.0]] [0, 1]
        [[8.0, 9.0]] [1]
        >>> shuffled = DataLoader(X, y, batch_size=2, seed=0)
        >>> [yb.tolist() for _, yb in shuffled]
        [[0, 1], [1, 0], [1]]
    """

    def __init__(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        batch_size: int,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        X_arr = np.asarray(X)
        Y_arr = np.asarray(Y)
        if X_arr.ndim < 2 and not (X_arr.ndim == 1 and X_arr.dtype.kind in "iu"):
            raise ValueError(
                f"DataLoader(X) must be 2-D with rows as examples (or (m, C, H, W) images,"
                f" (m,) integer indices), got shape {X_arr.shape}"
            )
        if Y_arr.ndim not in (1, 2):
            raise ValueError(
                f"DataLoader(Y) must be 1-D labels or 2-D with rows as examples, "
                f"got shape {Y_arr.shape}"
            )
        if X_arr.shape[0] != Y_arr.shape[0]:
            raise ValueError(
                f"DataLoader(X, Y) must have the same number of rows, got "
                f"X.shape={X_arr.shape} and Y.shape={Y_arr.shape}"
            )
        if X_arr.shape[0] == 0:
            raise ValueError(f"DataLoader(X) is an empty data set (shape {X_arr.shape})")
        self.X: NDArray[Any] = X_arr
        self.Y: NDArray[Any] = Y_arr
        self.batch_size: int = _check_batch_size(batch_size)
        self.shuffle: bool = bool(shuffle)
        self.dataset_size: int = int(X_arr.shape[0])
        self.generator: np.random.Generator = _make_rng(seed)

    def __len__(self) -> int:
        """Number of batches per epoch, ``ceil(dataset_size / batch_size)``."""
        return math.ceil(self.dataset_size / self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        # The permutation is drawn here, when the epoch starts, not lazily at the
        # first ``next()``: ``iter(loader)`` alone advances the generator.
        if self.shuffle:
            order = self.generator.permutation(self.dataset_size)
            return self._shuffled_batches(order)
        return self._sequential_batches()

    def _sequential_batches(self) -> Iterator[Batch]:
        for start in range(0, self.dataset_size, self.batch_size):
            stop = start + self.batch_size
            yield self.X[start:stop], self.Y[start:stop]

    def _shuffled_batches(self, order: NDArray[np.intp]) -> Iterator[Batch]:
        for start in range(0, self.dataset_size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.X[index], self.Y[index]

    def state_dict(self) -> dict[str, Any]:
        """Return the loader's resumable state as plain, JSON-serialisable data.

        The state is the generator's bit-generator state (``rng.bit_generator.state``)
        plus ``batch_size`` and ``shuffle`` for checking. Saving it between epochs and
        passing it to :meth:`load_state_dict` of a fresh loader reproduces the
        remaining epochs exactly.

        Example::

            >>> import json
            >>> import numpy as np
            >>> X, y = np.arange(8.0).reshape(4, 2), np.arange(4)
            >>> a = DataLoader(X, y, batch_size=2, seed=1)
            >>> _ = list(a)  # epoch 1
            >>> saved = json.dumps(a.state_dict())
            >>> b = DataLoader(X, y, batch_size=2, seed=999)
            >>> b.load_state_dict(json.loads(saved))
            >>> [yb.tolist() for _, yb in a] == [yb.tolist() for _, yb in b]
            True
        """
        return {
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "bit_generator": copy.deepcopy(self.generator.bit_generator.state),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`state_dict`.

        Args:
            state: the mapping returned by :meth:`state_dict` (possibly after a
                JSON round trip).

        Raises:
            ValueError: missing keys, a different ``batch_size`` or ``shuffle``, or a
                bit generator of another kind than this loader's.
        """
        missing = {"batch_size", "shuffle", "bit_generator"} - set(state)
        if missing:
            raise ValueError(f"DataLoader.load_state_dict(state) lacks keys {sorted(missing)}")
        if state["batch_size"] != self.batch_size or state["shuffle"] != self.shuffle:
            raise ValueError(
                f"DataLoader.load_state_dict(state) has batch_size={state['batch_size']!r}, "
                f"shuffle={state['shuffle']!r}; this loader has batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}"
            )
        bit_state = state["bit_generator"]
        own_kind = type(self.generator.bit_generator).__name__
        kind = bit_state.get("bit_generator") if isinstance(bit_state, dict) else None
        if kind != own_kind:
            raise ValueError(
                f"DataLoader.load_state_dict(state) holds a {kind!r} bit generator state; "
                f"this loader uses {own_kind!r}"
            )
        self.generator.bit_generator.state = copy.deepcopy(bit_state)

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset_size={self.dataset_size}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle})"
        )
