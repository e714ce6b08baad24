"""Per-parameter optimizer state: one array per parameter, shaped like it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]

#: State arrays that are sums or averages of squares: a negative entry would make a step
#: take the square root of a negative number, so a state holding one is refused on load.
SECOND_MOMENTS = frozenset({"exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum"})


def check_state_values(a: Array, who: str, key: str) -> None:
    """Refuse NaN or inf in a loaded state array, and negatives in a second moment."""
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(
            f"{who}.load_state_dict: {key} holds {int(np.sum(~np.isfinite(a)))} NaN or inf"
            " value(s); an optimizer state must be finite"
        )
    if key.split("[")[0] in SECOND_MOMENTS and a.size and float(np.min(a)) < 0:
        raise ValueError(
            f"{who}.load_state_dict: {key} holds negative values (the least {float(np.min(a))});"
            " a sum or average of squares is >= 0"
        )


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
            check_state_values(a, who, f"{key}[{i}]")
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
        check_state_values(arr, who, f"{key}[{i}]")
        out.append(arr.astype(p.dtype, copy=True))
    return out


def load_vector(value: Any, n: int, who: str, key: str) -> Array | None:
    """A full-batch optimizer's flat vector (``None`` allowed): ``n`` finite numbers."""
    if value is None:
        return None
    arr = np.array(value, dtype=np.float64, copy=True)
    if arr.shape != (n,):
        raise ValueError(
            f"{who}.load_state_dict: {key} has shape {arr.shape}; expected ({n},), one entry"
            " per trained parameter value"
        )
    check_state_values(arr, who, key)
    return arr


def load_number(value: Any, who: str, key: str, *, positive: bool = False) -> float:
    """A finite float of a state (``positive``: > 0 too)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{who}.load_state_dict: {key}={value!r:.40} is not a number")
    x = float(value)
    if not np.isfinite(x) or (positive and x <= 0):
        kind = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"{who}.load_state_dict: {key}={value!r} must be {kind}")
    return x


def load_count(value: Any, who: str, key: str) -> int:
    """One integer >= 0 of a state (a counter)."""
    return load_counts(value, 1, who, key)[0]
