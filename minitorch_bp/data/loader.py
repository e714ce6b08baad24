"""Mini-batch iteration over a pair of in-memory arrays, whole or split across ranks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minitorch_bp._random import as_generator, generator_state, restore_generator

__all__ = ["DataLoader", "shard_bounds"]

Batch = tuple[NDArray[Any], NDArray[Any]]


def _check_batch_size(batch_size: object) -> int:
    if isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool):
        size = int(batch_size)
        if size >= 1:
            return size
    raise ValueError(f"DataLoader(batch_size={batch_size!r}) must be a positive integer")


def _check_world(rank: object, world_size: object) -> tuple[int, int]:
    if (
        isinstance(world_size, bool)
        or not isinstance(world_size, (int, np.integer))
        or world_size < 1
    ):
        raise ValueError(f"DataLoader(world_size={world_size!r}) must be a positive integer")
    if (
        isinstance(rank, bool)
        or not isinstance(rank, (int, np.integer))
        or not 0 <= rank < world_size
    ):
        raise ValueError(
            f"DataLoader(rank={rank!r}) must be an integer in 0..{int(world_size) - 1}"
            f" (world_size={world_size})"
        )
    return int(rank), int(world_size)


def shard_bounds(n: int, rank: int, world_size: int) -> tuple[int, int]:
    """Rows ``lo:hi`` of ``n`` that belong to ``rank``: contiguous shares differing by at most one.

    The first ``n % world_size`` ranks get one row more (as ``numpy.array_split``); when
    ``n < world_size`` the last ranks get none.

    Example:
        >>> [shard_bounds(5, r, 2) for r in range(2)]
        [(0, 3), (3, 5)]
        >>> [shard_bounds(1, r, 2) for r in range(2)]
        [(0, 1), (1, 1)]
    """
    base, extra = divmod(n, world_size)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (rank < extra)


def _make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return as_generator(seed, "DataLoader", "seed")


class DataLoader:
    r"""Iterate over ``(x, y)`` mini-batches of two arrays whose rows are examples.

    Each call to ``iter(loader)`` is one epoch. With ``shuffle=True`` every epoch
    draws a fresh permutation of the row indices from the loader's random
    generator, so consecutive epochs visit the rows in different orders while the
    whole sequence of epochs is reproducible from ``seed``. The last batch keeps
    the leftover rows when ``batch_size`` does not divide the data set size.

    No copy of the data set is made: without shuffling, batches are views
    (contiguous slices) of ``X`` and ``Y``; with shuffling, only one index
    permutation per epoch is stored and each batch gathers its own rows.

    Data-parallel training (``world_size > 1``, see :mod:`minitorch_bp.distributed`):
    every rank passes the whole ``X`` and ``Y`` (a ``numpy.load(..., mmap_mode="r")``
    memmap reads only the rows a rank uses), the same ``batch_size`` and the same
    integer ``seed``. Every rank then draws the same permutation, cuts the same global
    batches of ``batch_size`` rows, and keeps its own contiguous share of each
    (:func:`shard_bounds`): the shares of one batch are disjoint and together are exactly
    the batch a single process with the same ``seed`` would give, so every example is
    used once per epoch across the ranks and every rank runs ``len(loader)`` steps.
    When a batch's size is not divisible by ``world_size`` the shares differ by one row,
    and a batch smaller than ``world_size`` leaves the last ranks an empty ``(0, n)``
    share. :mod:`minitorch_bp.distributed` sums the notes' :math:`\Delta` over the shares
    and divides by the batch's size, so :math:`D` is still exactly one process's.

    Args:
        X: inputs, a 2-D array of shape ``(m, n_features)``, or any ``(m, ...)`` array
            (images ``(m, C, H, W)``; integer indices for an ``Embedding``).
        Y: targets with the same number of rows ``m``: a 2-D array
            ``(m, n_outputs)`` or a 1-D array of integer labels ``(m,)``.
        batch_size: number of rows per batch, a positive integer.
        shuffle: draw a new random order of the rows for every epoch.
        seed: an integer seed, ``None`` (fresh entropy from the OS) or a
            ``numpy.random.Generator``, which is used (and advanced) in place. With
            ``world_size > 1`` and ``shuffle=True`` it must not be ``None``: every rank
            must draw the same permutation.
        rank: this process's rank, ``0 .. world_size - 1``.
        world_size: the number of ranks sharing each batch (default 1: the whole batch).

    Attributes:
        X, Y: the arrays passed in (converted with ``numpy.asarray``).
        batch_size: rows per batch.
        shuffle: whether epochs are shuffled.
        dataset_size: number of examples ``m``.
        generator: the ``numpy.random.Generator`` that draws the permutations.
        rank, world_size: as given.

    Shape:
        - x batch: ``(b, n_features)`` with ``b = batch_size``, except the last
          batch, where ``b = m - (len(loader) - 1) * batch_size``. With
          ``world_size > 1``, this rank's share of those ``b`` rows.
        - y batch: ``(b, n_outputs)`` or ``(b,)``, following ``Y``.

    Raises:
        ValueError: ``X`` not 2-D, ``Y`` not 1-D or 2-D, different row counts,
            an empty data set, a ``batch_size`` that is not a positive integer, a
            ``rank`` outside ``0 .. world_size - 1``, or ``seed=None`` for a shuffled
            loader shared by several ranks.

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

    The same global batches, shared by two ranks (labels as row numbers)::

        >>> rows = np.arange(5)
        >>> [[yb.tolist() for _, yb in DataLoader(X, rows, 4, seed=0, rank=r, world_size=2)]
        ...  for r in range(2)]
        [[[2, 4], [1]], [[3, 0], []]]
        >>> [yb.tolist() for _, yb in DataLoader(X, rows, 4, seed=0)]
        [[2, 4, 3, 0], [1]]
    """

    def __init__(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        batch_size: int,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        *,
        rank: int = 0,
        world_size: int = 1,
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
        self.rank, self.world_size = _check_world(rank, world_size)
        if self.world_size > 1 and self.shuffle and seed is None:
            raise ValueError(
                f"DataLoader(seed=None) with world_size={self.world_size} and shuffle=True:"
                " each rank would draw its own permutation, so examples would repeat or be"
                " missed; pass the same integer seed on every rank"
            )
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
        m, size = self.dataset_size, self.batch_size
        for start in range(0, m, size):
            stop = min(start + size, m)
            if self.world_size > 1:
                lo, hi = shard_bounds(stop - start, self.rank, self.world_size)
                start, stop = start + lo, start + hi
            yield self.X[start:stop], self.Y[start:stop]

    def _shuffled_batches(self, order: NDArray[np.intp]) -> Iterator[Batch]:
        for start in range(0, self.dataset_size, self.batch_size):
            index = order[start : start + self.batch_size]
            if self.world_size > 1:
                lo, hi = shard_bounds(len(index), self.rank, self.world_size)
                index = index[lo:hi]
            yield self.X[index], self.Y[index]

    def state_dict(self) -> dict[str, Any]:
        """Return the loader's resumable state as plain, JSON-serialisable data.

        The state is the generator's bit-generator state (``rng.bit_generator.state``)
        plus ``batch_size`` and ``shuffle`` for checking. Saving it between epochs and
        passing it to :meth:`load_state_dict` of a fresh loader reproduces the
        remaining epochs exactly. It holds no rank: the global batches do not depend on
        the world size, so every rank (of any world size, or a single process) resumes
        from the same state.

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
            "bit_generator": generator_state(self.generator),
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
        restore_generator(
            self.generator, state["bit_generator"], "DataLoader.load_state_dict(state)"
        )

    def __repr__(self) -> str:
        ranks = f", rank={self.rank}, world_size={self.world_size}" if self.world_size > 1 else ""
        return (
            f"DataLoader(dataset_size={self.dataset_size}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}{ranks})"
        )
