"""Per-parameter optimizer state that lives in one flat buffer when the parameters do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


class StateBuffer:
    """Zeros shaped like the parameters: one flat array with per-parameter views.

    When the parameters share one dtype the state is a single contiguous 1-D array
    (``flat``) so an update is a few whole-array operations; ``views[i]`` is the part of
    it that belongs to ``params[i]``. With mixed dtypes ``flat`` is ``None`` and each view
    is its own array in its parameter's dtype.
    """

    def __init__(self, params: Sequence[Parameter]) -> None:
        dtypes = {p.dtype for p in params}
        self.flat: Array | None = None
        if len(dtypes) == 1:
            self.flat = np.zeros(sum(p.size for p in params), dtype=params[0].dtype)
            self.views: list[Array] = []
            pos = 0
            for p in params:
                self.views.append(self.flat[pos : pos + p.size].reshape(p.shape))
                pos += p.size
        else:
            self.views = [np.zeros_like(p.data) for p in params]

    def copies(self) -> list[Array]:
        """Return one copy per parameter (for ``state_dict``)."""
        return [v.copy() for v in self.views]

    def load(self, arrays: Any, who: str, key: str) -> None:
        """Copy per-parameter ``arrays`` in, after checking their count and shapes."""
        arrays = list(arrays)
        if len(arrays) != len(self.views):
            raise ValueError(
                f"{who}.load_state_dict: {key!r} has {len(arrays)} arrays; expected"
                f" {len(self.views)} (one per parameter)"
            )
        checked = [np.asarray(a) for a in arrays]
        for i, (v, a) in enumerate(zip(self.views, checked, strict=True)):
            if a.shape != v.shape:
                raise ValueError(
                    f"{who}.load_state_dict: {key}[{i}] has shape {a.shape}; expected {v.shape}"
                )
        for v, a in zip(self.views, checked, strict=True):
            np.copyto(v, a, casting="same_kind")


def scratch_like(buf: Array | None, like: Array) -> Array:
    """Return ``buf`` if it matches ``like``'s shape and dtype, else a new empty array."""
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        return np.empty_like(like)
    return buf
