"""Per-parameter optimizer state: one array per parameter, shaped like it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


class StateBuffer:
    """Zeros shaped like the parameters (``arrays[i]`` belongs to ``params[i]``).

    ``fill`` starts each array at that value instead (Adagrad's ``initial_accumulator_value``).
    """

    def __init__(self, params: Sequence[Parameter], fill: float = 0.0) -> None:
        self.fill = fill
        self.arrays: list[Array] = []
        self.extend(params)

    def extend(self, params: Sequence[Parameter]) -> None:
        """Add one array for each parameter of a new group."""
        self.arrays += [np.full_like(p.data, self.fill) for p in params]

    def copies(self) -> list[Array]:
        """Return one copy per parameter (for ``state_dict``)."""
        return [a.copy() for a in self.arrays]

    def load(self, arrays: Any, who: str, key: str) -> None:
        """Copy per-parameter ``arrays`` in, after checking their count and shapes."""
        arrays = list(arrays)
        if len(arrays) != len(self.arrays):
            raise ValueError(
                f"{who}.load_state_dict: {key!r} has {len(arrays)} arrays; expected"
                f" {len(self.arrays)} (one per parameter)"
            )
        checked = [np.asarray(a) for a in arrays]
        for i, (v, a) in enumerate(zip(self.arrays, checked, strict=True)):
            if a.shape != v.shape:
                raise ValueError(
                    f"{who}.load_state_dict: {key}[{i}] has shape {a.shape}; expected {v.shape}"
                )
            if a.dtype.kind not in "fiu":
                raise ValueError(
                    f"{who}.load_state_dict: {key}[{i}] has dtype {a.dtype}; expected numbers"
                )
        for v, a in zip(self.arrays, checked, strict=True):
            np.copyto(v, a, casting="same_kind")


def scratch_for(params: Sequence[Parameter]) -> list[Array]:
    """One uninitialised work array per parameter, so a step allocates nothing."""
    return [np.empty_like(p.data) for p in params]


def load_counts(value: Any, n: int, who: str, key: str) -> list[int]:
    """Per-parameter step counts from a state: ``n`` integers >= 0, or one for all."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        items: list[Any] = [value] * n
    elif isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
    else:
        items = []
    ok = len(items) == n and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0 for v in items
    )
    if not ok:
        raise ValueError(
            f"{who}.load_state_dict: {key}={value!r:.80} must be {n} step count(s), integers >= 0"
        )
    return [int(v) for v in items]


def load_optional(saved: Any, params: list[Parameter], who: str, key: str) -> list[Array | None]:
    """Per-parameter arrays that may be absent (``None``) from a state, checked."""
    if saved is None:
        return [None] * len(params)
    arrays = list(saved)
    if len(arrays) != len(params):
        raise ValueError(
            f"{who}.load_state_dict: {key!r} has {len(arrays)} arrays; expected {len(params)}"
            " (one per parameter)"
        )
    out: list[Array | None] = []
    for i, (p, a) in enumerate(zip(params, arrays, strict=True)):
        if a is None:
            out.append(None)
            continue
        arr = np.asarray(a)
        if arr.shape != p.shape or arr.dtype.kind not in "fiu":
            raise ValueError(
                f"{who}.load_state_dict: {key}[{i}] has shape {arr.shape} and dtype {arr.dtype};"
                f" expected {p.shape}, numbers"
            )
        out.append(arr.astype(p.dtype, copy=True))
    return out
