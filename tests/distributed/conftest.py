"""``ranks``: run one function per rank in threads of this process, with collectives between them.

A test double of ``torch.distributed`` with the same contract as
``minitorch_bp.distributed.World`` (the ``Collectives`` protocol): every rank calls the
same collectives in the same order, and each sums in rank order, so all ranks get the
same bits. It needs no torch and no ports, so the maths of data-parallel training is
tested in milliseconds; ``test_processes.py`` runs the real thing on gloo.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp.distributed import DistributedError

WAIT_S = 20.0


class ThreadWorld:
    """Rank ``rank`` of ``world_size`` threads; the collectives meet at a shared barrier."""

    def __init__(self, rank: int, shared: Shared) -> None:
        self.rank = rank
        self.world_size = shared.size
        self._shared = shared
        self.calls: list[str] = []

    def _exchange(self, array: np.ndarray, what: str) -> list[np.ndarray]:
        self.calls.append(what)
        shared = self._shared
        shared.slots[self.rank] = array.copy()
        self._wait(what)
        arrays = list(shared.slots)
        self._wait(what)  # nobody writes the next call's slot before all have read this one
        return arrays

    def _wait(self, what: str) -> None:
        if not self._shared.wait():
            raise DistributedError(f"{what}: a rank left or timed out (test double)")

    def all_reduce(self, array: np.ndarray, what: str) -> None:
        arrays = self._exchange(array, what)
        total = arrays[0].copy()
        for other in arrays[1:]:
            total += other
        array[...] = total

    def all_gather(self, array: np.ndarray, what: str) -> np.ndarray:
        return np.stack(self._exchange(array, what))

    def broadcast(self, array: np.ndarray, src: int, what: str) -> None:
        array[...] = self._exchange(array, what)[src]


class Shared:
    """A barrier that a failed rank breaks only for those still waiting in an unfinished round."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.slots: list[Any] = [None] * size
        self._cond = threading.Condition()
        self._arrived = 0
        self._round = 0
        self._dead = False

    def wait(self) -> bool:
        with self._cond:
            this_round = self._round
            self._arrived += 1
            if self._arrived == self.size:
                self._arrived, self._round = 0, self._round + 1
                self._cond.notify_all()
                return True
            while self._round == this_round:
                if self._dead or not self._cond.wait(WAIT_S):
                    return False
            return True

    def abort(self) -> None:
        with self._cond:
            self._dead = True
            self._cond.notify_all()


def run_ranks(
    world_size: int, fn: Callable[[ThreadWorld], Any], *, errors_too: bool = False
) -> list[Any]:
    """Run ``fn(world)`` on ``world_size`` threads; return the results in rank order.

    An exception on any rank breaks the barrier (so the others stop waiting) and is
    re-raised here, the lowest rank's first; with ``errors_too`` each rank's exception
    is returned in its place instead.
    """
    shared = Shared(world_size)
    results: list[Any] = [None] * world_size
    errors: list[BaseException | None] = [None] * world_size

    def main(rank: int) -> None:
        try:
            results[rank] = fn(ThreadWorld(rank, shared))
        except BaseException as exc:
            errors[rank] = exc
            shared.abort()

    threads = [threading.Thread(target=main, args=(r,)) for r in range(world_size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(2 * WAIT_S)
    if errors_too:
        return [e if e is not None else r for r, e in zip(results, errors)]
    for exc in errors:
        if exc is not None:
            raise exc
    return results


@pytest.fixture
def ranks() -> Callable[..., list[Any]]:
    return run_ranks
