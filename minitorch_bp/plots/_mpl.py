"""matplotlib, imported only when a plot is drawn (the ``plots`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def require(who: str) -> Any:
    """Return ``matplotlib.pyplot``-free matplotlib, or raise ``ImportError`` naming the extra."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            f"{who} needs matplotlib, the plots extra: pip install 'minitorch_bp[plots]'"
        ) from exc
    return matplotlib


def subplots(
    who: str, n: int, *, width: float = 5.0, height: float = 3.8, ncols: int | None = None
) -> tuple[Any, list[Any]]:
    """A new pyplot figure with ``n`` axes in a grid (``ncols`` per row, default all in one row)."""
    require(who)
    import matplotlib.pyplot as plt

    cols = min(n, ncols or n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.set_visible(False)
    return fig, flat[:n]


def axes_list(ax: Any, n: int, who: str) -> list[Any]:
    """``ax`` as a list of at least ``n`` axes (one Axes, or a sequence / array of them)."""
    if hasattr(ax, "plot"):
        axes = [ax]
    elif isinstance(ax, Sequence) or hasattr(ax, "ravel"):
        axes = list(ax.ravel()) if hasattr(ax, "ravel") else list(ax)
    else:
        raise TypeError(
            f"{who}: ax must be a matplotlib Axes or a sequence of them, not {type(ax).__name__}"
        )
    if len(axes) < n:
        raise ValueError(f"{who}: this figure needs {n} axes; ax gives {len(axes)}")
    return axes


def notes_label(stat: str, tag: str) -> str:
    """The notes' symbol of a Monitor column: ``Θ^(1)`` for ``D_norm(1)``, ``a^(2)``..., as mathtext."""
    if not tag.isdigit():
        return tag
    symbol = {"D_norm": r"\Theta", "delta_abs": r"\delta"}.get(stat, "a")
    return f"${symbol}^{{({tag})}}$"
