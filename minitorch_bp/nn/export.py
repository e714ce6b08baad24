"""What a layer sees of an ONNX exporter: the interface its ``to_onnx`` method writes to.

The exporter (:mod:`minitorch_bp.interop.onnx_export`) implements it with ``onnx.helper``;
the layers only describe their maths in ONNX operators, so ``minitorch_bp.nn`` never
imports onnx.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np


class OnnxGraph(Protocol):
    """A graph being built: add nodes and constants, get the names of their outputs."""

    #: The element type of the graph (the model's dtype).
    dtype: np.dtype[Any]
    #: The opset of the default domain (operators changed their signatures over time).
    opset: int

    def node(self, op: str, inputs: Sequence[str], **attributes: Any) -> str:
        """Add ``op(inputs)`` with ``attributes``; return the name of its (single) output."""
        ...

    def constant(self, values: Any, name: str | None = None) -> str:
        """Add an initializer holding ``values`` in the graph's dtype; return its name.

        ``name`` (e.g. ``"weight"``) is prefixed with the layer's position.
        """
        ...

    def int_constant(self, values: Any, name: str | None = None) -> str:
        """Add an ``int64`` initializer (shapes, pads, axes, indices); return its name."""
        ...

    def shape(self, name: str) -> tuple[int | None, ...] | None:
        """The static shape of the layer input ``name`` when the exporter knows it.

        ``None`` marks a dimension known only at run time (the batch, or every spatial
        dimension when the export was not given ``input_shape``); ``None`` alone means
        the rank is unknown too.
        """
        ...

    def float_attribute_is_exact(self, value: float) -> bool:
        """Whether ``value`` survives as an ONNX float attribute (32-bit) in this graph."""
        ...


#: ``Slice``'s "to the end" (INT64_MAX).
TO_END = 2**63 - 1


def reduce_mean(graph: OnnxGraph, x: str, axes: Sequence[int]) -> str:
    """``ReduceMean(x)`` over ``axes``, kept: an attribute before opset 18, an input from 18 on."""
    if graph.opset >= 18:
        return graph.node("ReduceMean", [x, graph.int_constant(list(axes))], keepdims=1)
    return graph.node("ReduceMean", [x], axes=list(axes), keepdims=1)


def pad_nodes(graph: OnnxGraph, x: str, pads: Sequence[tuple[int, int]], value: float = 0.0) -> str:
    """``Pad`` the spatial axes (2, 3, ...) of ``x`` by ``pads[a] = (lo, hi)``, with ``value``."""
    if not any(lo or hi for lo, hi in pads):
        return x
    begins = [0, 0] + [lo for lo, _ in pads]
    ends = [0, 0] + [hi for _, hi in pads]
    return graph.node(
        "Pad", [x, graph.int_constant(begins + ends), graph.constant(value)], mode="constant"
    )


def window_slices(
    graph: OnnxGraph,
    xp: str,
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> list[str]:
    r"""One ``Slice`` of the padded ``xp`` per kernel offset: the inputs every window reads there.

    For offset :math:`a` along an axis the slice starts at :math:`a d`, steps by :math:`s`
    and stops :math:`d(k - 1 - a)` before the end, which gives exactly the
    :math:`n_\text{out}` window positions whatever the input's size. This is how a float64
    graph computes convolution and average pooling: ONNX Runtime has float32 kernels only
    for ``Conv``, ``AveragePool`` and ``GlobalAveragePool``.
    """
    axes = list(range(2, 2 + len(kernel)))
    out = []
    for offset in np.ndindex(*kernel):
        starts = [a * d for a, d in zip(offset, dilation, strict=True)]
        ends = [
            -(d * (k - 1 - a)) if k - 1 - a else TO_END
            for a, d, k in zip(offset, dilation, kernel, strict=True)
        ]
        out.append(
            graph.node(
                "Slice",
                [
                    xp,
                    graph.int_constant(starts),
                    graph.int_constant(ends),
                    graph.int_constant(axes),
                    graph.int_constant(list(stride)),
                ],
            )
        )
    return out


def chebyshev_nodes(graph: OnnxGraph, coefs: Sequence[float], s: str) -> str:
    """Add the Clenshaw evaluation of ``sum_k coefs[k] T_k(s)`` (as ``nn.functional`` does)."""
    two_s = graph.node("Mul", [s, graph.constant(2.0)])
    b1, b2 = graph.constant(0.0), graph.constant(0.0)
    for c in coefs[:0:-1]:
        b = graph.node(
            "Add", [graph.node("Sub", [graph.node("Mul", [two_s, b1]), b2]), graph.constant(c)]
        )
        b1, b2 = b, b1
    return graph.node(
        "Add", [graph.node("Sub", [graph.node("Mul", [s, b1]), b2]), graph.constant(coefs[0])]
    )


def erfc_nodes(graph: OnnxGraph, x: str) -> str:
    """Add :math:`\\operatorname{erfc}(x)` from basic operators, with ``nn.functional.erf_erfc``'s series.

    ONNX Runtime has no float64 ``Erf``; this is the same two-region Chebyshev form as
    :func:`minitorch_bp.nn.functional.erf_erfc`, so a float64 graph keeps float64 accuracy.
    """
    from minitorch_bp.nn.functional import _ERF_SMALL, _ERFCX_LARGE

    one = graph.constant(1.0)
    ax = graph.node("Abs", [x])
    erf_small = graph.node(
        "Mul",
        [
            x,
            chebyshev_nodes(
                graph,
                _ERF_SMALL,
                graph.node(
                    "Sub",
                    [graph.node("Mul", [graph.node("Mul", [x, x]), graph.constant(2.0)]), one],
                ),
            ),
        ],
    )
    safe = graph.node("Max", [ax, one])  # the large form is evaluated everywhere; keep 1/|x| finite
    series = chebyshev_nodes(
        graph,
        _ERFCX_LARGE,
        graph.node("Sub", [graph.node("Div", [graph.constant(2.0), safe]), one]),
    )
    tail = graph.node(
        "Mul", [graph.node("Exp", [graph.node("Neg", [graph.node("Mul", [safe, safe])])]), series]
    )
    large = graph.node(
        "Where",
        [
            graph.node("Less", [x, graph.constant(0.0)]),
            graph.node("Sub", [graph.constant(2.0), tail]),
            tail,
        ],
    )
    return graph.node(
        "Where", [graph.node("Less", [ax, one]), graph.node("Sub", [one, erf_small]), large]
    )
