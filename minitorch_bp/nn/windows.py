r"""Sliding windows over the spatial axes: the arithmetic shared by convolution and pooling.

A window of a layer with kernel :math:`k`, stride :math:`s`, padding :math:`p` and
dilation :math:`d` reads the padded input at :math:`i s + j d`, :math:`j = 0, \dots, k - 1`,
for output position :math:`i`; there are

.. math::
    n_\text{out} = \Big\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \Big\rfloor + 1

of them (PyTorch's formula). :func:`windows` gives all of them at once as a read-only
strided view, so a layer touches every window with one numpy call and no Python loop
over examples or pixels; convolution copies the view into a matrix (im2col) for one
matrix product.

Arrays here are *channel-major*, ``(C, m, *spatial)``: the layers transpose their
``(m, C, *spatial)`` input once, so that the im2col matrix of shape
:math:`(C\,k_h k_w, m\,H_\text{out} W_\text{out})` is copied with unit-stride inner runs
and each of the three products of a convolution is one large matrix product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray

Array = NDArray[Any]
Pads = tuple[tuple[int, int], ...]


def as_tuple(value: Any, n: int, name: str, who: str, minimum: int) -> tuple[int, ...]:
    """Return ``value`` (an int, or a tuple of ``n`` ints) as a tuple of ``n`` ints >= ``minimum``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(items) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in items
    ):
        kind = "a positive integer" if minimum >= 1 else "an integer >= 0"
        raise ValueError(f"{who}: {name}={value!r} must be {kind} or a tuple of {n} of them")
    return tuple(int(v) for v in items)


def out_size(
    n: int, k: int, s: int, pad: tuple[int, int], d: int = 1, ceil_mode: bool = False
) -> int:
    """The number of windows along one axis of length ``n`` padded by ``pad = (lo, hi)``.

    With ``ceil_mode`` the last, partial window counts too when it starts inside the
    input or the left padding (PyTorch's rule for pooling).
    """
    span = n + pad[0] + pad[1] - d * (k - 1) - 1
    if span < 0:
        return 0
    if not ceil_mode:
        return span // s + 1
    count = -(-span // s) + 1
    if (count - 1) * s >= n + pad[0]:
        count -= 1
    return count


def channel_major(x: Array) -> Array:
    """The view ``(C, m, *spatial)`` of an ``(m, C, *spatial)`` array (no copy)."""
    view: Array = x.swapaxes(0, 1)
    return view


def pad(x: Array, pads: Pads, value: float = 0.0, dtype: Any = None) -> Array:
    """A new array: ``x`` (channel-major) with ``pads[a] = (lo, hi)`` added around spatial axis ``a``.

    A negative amount crops instead. The copy also casts to ``dtype`` (default ``x``'s).
    """
    spatial = x.shape[2:]
    shape = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads, strict=True))
    out = np.full(shape, value, dtype=x.dtype if dtype is None else dtype)
    dst = (
        slice(None),
        slice(None),
        *tuple(
            slice(max(lo, 0), max(lo, 0) + n + min(lo, 0) + min(hi, 0))
            for n, (lo, hi) in zip(spatial, pads, strict=True)
        ),
    )
    src = (
        slice(None),
        slice(None),
        *tuple(
            slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(spatial, pads, strict=True)
        ),
    )
    out[dst] = x[src]
    return out


def windows(
    xp: Array, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> Array:
    r"""Every window of the (padded, channel-major) ``xp`` as a read-only view.

    ``xp`` has shape ``(C, m, *spatial)``; the view has shape ``(C, m, *out, *kernel)`` with
    ``view[c, t, i, j, a, b] = xp[c, t, i s_h + a d_h, j s_w + b d_w]``.
    """
    n = len(kernel)
    spatial = xp.shape[2:]
    out = tuple(
        (size - dil * (k - 1) - 1) // s + 1
        for size, k, s, dil in zip(spatial, kernel, stride, dilation, strict=True)
    )
    strides = xp.strides
    shape = xp.shape[:2] + out + tuple(kernel)
    view_strides = (
        strides[:2]
        + tuple(strides[2 + a] * stride[a] for a in range(n))
        + tuple(strides[2 + a] * dilation[a] for a in range(n))
    )
    view: Array = as_strided(xp, shape, view_strides, writeable=False)
    return view


def im2col(view: Array) -> Array:
    r"""Copy a :func:`windows` view into the matrix :math:`(C \prod k, m \prod n_\text{out})`.

    Row :math:`(c, a, b)` holds input channel :math:`c` at kernel offset :math:`(a, b)` for
    every example and output position: one window per column.
    """
    n = (view.ndim - 2) // 2
    axes = (0, *range(2 + n, 2 + 2 * n), 1, *range(2, 2 + n))
    moved = view.transpose(axes)
    rows = math.prod(moved.shape[: 1 + n])
    cols: Array = moved.reshape(rows, -1)
    return cols


def spread(
    g: Array, stride: Sequence[int], offset: Sequence[int], size: Sequence[int], dtype: Any
) -> Array:
    """Zeros of spatial ``size`` with ``g[..., i]`` written at ``offset + i * stride`` (channel-major).

    Entries that would land outside ``[0, size)`` are left out. For a convolution's input
    gradient this is :math:`\\delta` dilated by the stride and padded for the full
    correlation.
    """
    out = np.zeros(g.shape[:2] + tuple(size), dtype=dtype)
    dst: list[slice] = [slice(None), slice(None)]
    src: list[slice] = [slice(None), slice(None)]
    for n, s, o, total in zip(g.shape[2:], stride, offset, size, strict=True):
        first = max(0, -(o // s))  # the first i with o + i s >= 0
        last = min(n - 1, (total - 1 - o) // s)  # the last i with o + i s < total
        if last < first:
            return out
        dst.append(slice(o + first * s, o + last * s + 1, s))
        src.append(slice(first, last + 1))
    out[tuple(dst)] = g[tuple(src)]
    return out


def offsets(
    kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int], out: Sequence[int]
) -> list[tuple[slice, ...]]:
    """For each kernel offset (row-major), the index of what every window reads there.

    ``xp[index]`` (channel-major, padded) has shape ``(C, m, *out)``: entry ``i`` is the
    input at ``i s + a d`` for offset ``a``. Pooling and :func:`window_sum` make one pass per
    offset over all the windows at once.
    """
    index: list[tuple[slice, ...]] = []
    for offset in np.ndindex(*kernel):
        spatial = tuple(
            slice(a * d, a * d + s * (n - 1) + 1, s)
            for a, d, s, n in zip(offset, dilation, stride, out, strict=True)
        )
        index.append((slice(None), slice(None), *spatial))
    return index


def window_sum(
    xp: Array, kernel: Sequence[int], stride: Sequence[int], out: Sequence[int]
) -> Array:
    """The sum over each window of ``xp`` (channel-major): one strided add per kernel offset."""
    total: Array | None = None
    for index in offsets(kernel, stride, (1,) * len(kernel), out):
        part = xp[index]
        total = part.copy() if total is None else np.add(total, part, out=total)
    assert total is not None
    return total


def window_scatter(
    g: Array, kernel: Sequence[int], stride: Sequence[int], size: Sequence[int]
) -> Array:
    """The transpose of :func:`window_sum`: each window of a zero array of ``size`` gets ``g`` added."""
    out = np.zeros(g.shape[:2] + tuple(size), dtype=g.dtype)
    for index in offsets(kernel, stride, (1,) * len(kernel), g.shape[2:]):
        out[index] += g
    return out
