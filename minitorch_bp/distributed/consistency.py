"""Do the ranks start from the same state? One all-gather of fingerprints, and an error naming what differs.

Data-parallel training keeps one model on every rank, identical bit for bit, because
every rank applies the same update to the same parameters. That holds only if they
start equal: the same parameters, optimizer state (a resumed run's moments), data,
loader seed and position, and epochs. Each rank hashes each of those parts; one
all-gather brings every rank's hashes to every rank, so all of them raise the same
error together instead of some waiting for the others until the timeout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.distributed.world import Collectives

Array = NDArray[Any]
#: Rows of the data hashed for the check (evenly spaced, first and last included).
SAMPLED_ROWS = 64


def fingerprint(value: Any) -> int:
    """A 48-bit hash of nested dicts, lists, arrays and scalars (exact as a float64).

    Example:
        >>> fingerprint({"lr": 0.1, "m": [np.zeros(2)]}) == fingerprint({"m": [np.zeros(2)], "lr": 0.1})
        True
        >>> fingerprint(np.zeros(2)) == fingerprint(np.zeros(2, dtype=np.float32))
        False
    """
    h = hashlib.sha256()
    _feed(h, value)
    return int.from_bytes(h.digest()[:6], "big")


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        h.update(f"array{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, Mapping):
        h.update(b"{")
        for key in sorted(value, key=str):
            h.update(repr(key).encode())
            _feed(h, value[key])
        h.update(b"}")
    elif isinstance(value, (list, tuple)):
        h.update(b"[")
        for item in value:
            _feed(h, item)
        h.update(b"]")
    else:
        h.update(f"{type(value).__name__}:{value!r};".encode())


def sampled_rows(array: Any) -> Any:
    """The shape, dtype and up to :data:`SAMPLED_ROWS` evenly spaced rows of ``array``: what is hashed of the data."""
    arr = np.asarray(array)
    if arr.ndim == 0 or arr.shape[0] == 0:
        return arr
    rows = np.unique(np.linspace(0, arr.shape[0] - 1, SAMPLED_ROWS).astype(np.intp))
    return [arr.shape, arr.dtype.str, np.ascontiguousarray(arr[rows])]


def check_same_start(
    world: Collectives, parts: Mapping[str, Any], who: str, hint: str, local: str = ""
) -> None:
    """Raise ``ValueError`` on every rank when the ranks' ``parts`` differ, naming the parts and ranks.

    Args:
        world: the ranks.
        parts: name → value (hashed with :func:`fingerprint`), the same names on every rank.
        who: the caller, for the message.
        hint: what to do about a difference, appended to the message.
        local: a problem this rank found on its own (empty if none); any rank's makes
            every rank raise, with that rank's text.
    """
    names = list(parts)
    # One row per rank: whether it found a local problem, then one hash per part.
    mine = np.array([float(bool(local)), *(float(fingerprint(parts[n])) for n in names)])
    table = world.all_gather(mine, f"{who}: the check that the ranks agree")
    bad_local = [r for r in range(world.world_size) if table[r, 0]]
    if bad_local:
        own = f" (rank {world.rank}: {local})" if local else ""
        raise ValueError(f"{who}: rank(s) {bad_local} cannot take part{own}")
    differ: dict[str, list[int]] = {}
    for r in range(1, world.world_size):
        for i, name in enumerate(names, start=1):
            if table[r, i] != table[0, i]:
                differ.setdefault(name, []).append(r)
    if differ:
        what = "; ".join(
            f"{name} differ(s) from rank 0's on rank(s) {ranks}" for name, ranks in differ.items()
        )
        raise ValueError(f"{who}: the ranks do not start from the same state: {what}. {hint}")
