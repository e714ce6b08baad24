r"""The process group: :func:`init` from the ``torchrun`` environment, and the :class:`World` it returns.

torch is imported here, lazily, and nowhere else in the package: the collectives run on
numpy arrays through ``torch.from_numpy`` (zero-copy, the tensor is the array's memory),
so a step never copies its gradients into torch and back.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import check_positive
from minitorch_bp.interop._layers import optional_import

Array = NDArray[Any]

#: What ``torchrun`` sets for every process, and what :func:`init` reads.
ENVIRONMENT = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
#: Backends that reduce CPU tensors (NCCL reduces CUDA tensors only).
CPU_BACKENDS = ("gloo", "mpi")


class DistributedError(RuntimeError):
    """A collective failed: a rank exited, or did not reach the same call within the timeout."""


class Collectives(Protocol):
    """What the data-parallel code needs of a group of processes (:class:`World` has it).

    Each method is collective: every rank calls it, in the same order, with an array of
    the same shape and dtype.
    """

    @property
    def rank(self) -> int:
        """This process, ``0 .. world_size - 1``."""

    @property
    def world_size(self) -> int:
        """The number of processes."""

    def all_reduce(self, array: Array, what: str) -> None:
        """Replace ``array`` (C-contiguous) in place by its sum over the ranks."""

    def all_gather(self, array: Array, what: str) -> Array:
        """Return every rank's ``array``, stacked: row ``r`` is rank ``r``'s."""

    def broadcast(self, array: Array, src: int, what: str) -> None:
        """Overwrite ``array`` in place with rank ``src``'s."""


@dataclass(frozen=True)
class World:
    """The ranks of this run, as :func:`init` set them up: a :class:`Collectives` on ``torch.distributed``.

    ``with distributed.init() as world:`` shuts the process group down at the end.

    Attributes:
        rank: this process, ``0 .. world_size - 1``; rank 0 writes files and prints.
        world_size: the number of processes.
        backend: ``"gloo"`` (or ``"mpi"``).
        timeout: seconds a collective waits for the other ranks before
            :class:`DistributedError` (``None`` when torch's process group was set up
            outside :func:`init`, with torch's own timeout).
    """

    rank: int
    world_size: int
    backend: str
    timeout: float | None = None

    def all_reduce(self, array: Array, what: str) -> None:
        """Sum ``array`` over the ranks, in place (one ``torch.distributed.all_reduce``)."""
        torch, dist = _torch(what)
        tensor = torch.from_numpy(_contiguous(array, what))
        self._run(what, "all-reduce", lambda: dist.all_reduce(tensor, op=dist.ReduceOp.SUM))

    def all_gather(self, array: Array, what: str) -> Array:
        """Return a ``(world_size, *array.shape)`` array: every rank's ``array``."""
        torch, dist = _torch(what)
        src = torch.from_numpy(_contiguous(array, what))
        out = np.empty((self.world_size, *array.shape), dtype=array.dtype)
        rows = [torch.from_numpy(row) for row in out]  # views: gathered in place
        self._run(what, "all-gather", lambda: dist.all_gather(rows, src))
        return out

    def broadcast(self, array: Array, src: int, what: str) -> None:
        """Overwrite ``array`` with rank ``src``'s, in place."""
        torch, dist = _torch(what)
        tensor = torch.from_numpy(_contiguous(array, what))
        self._run(what, "broadcast", lambda: dist.broadcast(tensor, src=src))

    def _run(self, what: str, op: str, call: Any) -> None:
        try:
            call()
        except RuntimeError as exc:
            # A failed collective leaves the group unusable; taking it down now lets the
            # process exit normally instead of aborting in gloo's destructors later.
            _abandon()
            wait = f"within timeout={self.timeout:g} s" if self.timeout else "in time"
            raise DistributedError(
                f"{what}: the {op} over {self.world_size} ranks failed on rank {self.rank}:"
                f" another rank exited, or did not reach the same call {wait}"
                f" ({_reason(exc)}); the process group is shut down"
            ) from exc

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        shutdown()


_current: World | None = None


def init(backend: str = "gloo", *, timeout: float = 300.0, init_timeout: float = 300.0) -> World:
    """Join the process group described by the ``torchrun`` environment; return the :class:`World`.

    Reads ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` (``torchrun``
    sets them for each process it starts), waits up to ``init_timeout`` seconds for every
    rank to arrive, and sets up ``torch.distributed`` with ``backend``. Calling it again
    in the same process returns the same world.

    Args:
        backend: ``"gloo"`` (CPU, the default) or ``"mpi"``; the gradients are numpy
            arrays in host memory, which NCCL cannot reduce.
        timeout: seconds any later collective waits for the other ranks. A rank that
            exits is noticed at once (its connections close); one that hangs makes the
            others raise :class:`DistributedError` after ``timeout``.
        init_timeout: seconds to wait for all ``WORLD_SIZE`` ranks to join.

    Raises:
        ModuleNotFoundError: torch is not installed (``pip install 'minitorch_bp[distributed]'``).
        DistributedError: a variable is missing or malformed, or the ranks did not all
            join within ``init_timeout``.
        ValueError: an unsupported backend or a timeout that is not a positive number.
    """
    global _current
    timeout = check_positive(timeout, "timeout", "distributed.init")
    init_timeout = check_positive(init_timeout, "init_timeout", "distributed.init")
    if backend not in CPU_BACKENDS:
        raise ValueError(
            f"distributed.init(backend={backend!r}): use one of {CPU_BACKENDS}; the gradients"
            " are numpy arrays in host memory (NCCL reduces CUDA tensors only)"
        )
    rank, world_size = environment()
    _, dist = _torch("distributed.init")
    if dist.is_initialized():
        existing = current()
        if (existing.rank, existing.world_size) != (rank, world_size):
            raise DistributedError(
                f"distributed.init: torch.distributed is already set up as rank"
                f" {existing.rank} of {existing.world_size}, but RANK={rank},"
                f" WORLD_SIZE={world_size}"
            )
        return existing
    try:
        store, _, _ = next(
            dist.rendezvous(
                "env://", rank=rank, world_size=world_size, timeout=_delta(init_timeout)
            )
        )
        dist.init_process_group(
            backend, store=store, rank=rank, world_size=world_size, timeout=_delta(timeout)
        )
    except RuntimeError as exc:  # torch's store and backend errors are RuntimeErrors
        where = f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}"
        raise DistributedError(
            f"distributed.init: rank {rank} of {world_size} could not join the others at"
            f" {where} within init_timeout={init_timeout:g} s ({_reason(exc)})"
        ) from exc
    _current = World(rank, world_size, backend, timeout)
    return _current


def environment(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """Return ``(RANK, WORLD_SIZE)`` from ``env`` (default ``os.environ``), checked.

    Raises:
        DistributedError: naming the missing or malformed variables.

    Example:
        >>> environment({"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
        ...              "MASTER_PORT": "29500"})
        (1, 2)
    """
    env = os.environ if env is None else env
    missing = [name for name in ENVIRONMENT if not env.get(name)]
    if missing:
        raise DistributedError(
            f"distributed.init: the environment lacks {', '.join(missing)}, which torchrun sets"
            " for each process: run `torchrun --standalone --nproc-per-node 2 script.py`"
            " (or set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT in every process)"
        )
    try:
        rank, world_size, port = (int(env[k]) for k in ("RANK", "WORLD_SIZE", "MASTER_PORT"))
    except ValueError:
        values = ", ".join(f"{k}={env[k]!r}" for k in ("RANK", "WORLD_SIZE", "MASTER_PORT"))
        raise DistributedError(f"distributed.init: {values} must be integers") from None
    if world_size < 1 or not 0 <= rank < world_size or not 0 < port < 2**16:
        raise DistributedError(
            f"distributed.init: RANK={rank}, WORLD_SIZE={world_size}, MASTER_PORT={port}:"
            " need WORLD_SIZE >= 1, 0 <= RANK < WORLD_SIZE and a port in 1..65535"
        )
    return rank, world_size


def current() -> World:
    """Return the :class:`World` of this process (set up by :func:`init`, or by torch directly).

    Raises:
        DistributedError: ``torch.distributed`` is not set up.
    """
    _, dist = _torch("distributed")
    if not dist.is_initialized():
        raise DistributedError(
            "minitorch_bp.distributed: no process group; call distributed.init() first"
            " (in a script started by torchrun)"
        )
    rank, size = dist.get_rank(), dist.get_world_size()
    if _current is not None and (_current.rank, _current.world_size) == (rank, size):
        return _current
    return World(rank, size, str(dist.get_backend()))


def is_initialized() -> bool:
    """Whether this process is in a process group (False when torch is not installed)."""
    try:
        _, dist = _torch("distributed")
    except ModuleNotFoundError:
        return False
    return bool(dist.is_initialized())


def shutdown() -> None:
    """Leave the process group (``torch.distributed.destroy_process_group``); nothing if none."""
    global _current
    _current = None
    if is_initialized():
        _torch("distributed.shutdown")[1].destroy_process_group()


def _abandon() -> None:
    global _current
    _current = None
    # Already gone, or half torn down by the failure: nothing more to take down.
    with contextlib.suppress(RuntimeError, ValueError, AssertionError):
        _torch("distributed")[1].destroy_process_group()


def _torch(who: str) -> tuple[ModuleType, ModuleType]:
    torch = optional_import("torch", "distributed", who)
    dist = optional_import("torch.distributed", "distributed", who)
    if not dist.is_available():
        raise ModuleNotFoundError(
            f"{who}: this torch build has no torch.distributed; install a build that has it"
            " with: pip install 'minitorch_bp[distributed]'",
            name="torch.distributed",
        )
    return torch, dist


def _contiguous(array: Array, what: str) -> Array:
    if not (isinstance(array, np.ndarray) and array.flags.c_contiguous):
        raise ValueError(f"{what}: a collective needs a C-contiguous numpy array")
    return array


def _delta(seconds: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=seconds)


def _reason(exc: BaseException) -> str:
    """torch's message, first line, without the C++ source location it starts with."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if text.startswith("[") and "] " in text:
        text = text.split("] ", 1)[1]
    return text.split(" This is typically caused")[0]
