"""Per-parameter optimizer state: one array per parameter, shaped like it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


class StateBuffer:
    """Zeros shaped like the parameters (``arrays[i]`` belongs to ``params[i]``)."""

    def __init__(self, params: Sequence[Parameter]) -> None:
        self.arrays: list[Array] = [np.zeros_like(p.data) for p in params]

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
        for v, a in zip(self.arrays, checked, strict=True):
            np.copyto(v, a, casting="same_kind")


def scratch_for(params: Sequence[Parameter]) -> list[Array]:
    """One uninitialised work array per parameter, so a step allocates nothing."""
    return [np.empty_like(p.data) for p in params]
