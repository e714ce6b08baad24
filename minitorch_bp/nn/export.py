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

    def node(self, op: str, inputs: Sequence[str], **attributes: Any) -> str:
        """Add ``op(inputs)`` with ``attributes``; return the name of its (single) output."""
        ...

    def constant(self, values: Any, name: str | None = None) -> str:
        """Add an initializer holding ``values`` in the graph's dtype; return its name.

        ``name`` (e.g. ``"weight"``) is prefixed with the layer's position.
        """
        ...

    def float_attribute_is_exact(self, value: float) -> bool:
        """Whether ``value`` survives as an ONNX float attribute (32-bit) in this graph."""
        ...


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
