r"""Figures of training and of backprop (the ``plots`` extra: matplotlib; the core never imports it).

Every function returns the matplotlib ``Figure`` and accepts ``ax=`` to draw into your own
axes; without ``ax`` it makes a new pyplot figure.

- :func:`history`: :math:`J(\Theta)` and the accuracies per epoch;
- :func:`gradient_flow`: a :class:`~minitorch_bp.train.Monitor` statistic per layer over
  training, :math:`\lVert D^{(l)}\rVert` by default (the vanishing gradient);
- :func:`hidden_units`: the first layer's weights as images;
- :func:`confusion_matrix`, :func:`decision_boundary` (with per-hidden-unit panels);
- :func:`network`: the layers of units, edges ∝ :math:`|\Theta|` and ∝ :math:`|D|`;
- :func:`lr_find`: the learning-rate sweep of :func:`~minitorch_bp.train.lr_find`.
"""

from minitorch_bp.plots.classes import confusion_matrix, decision_boundary
from minitorch_bp.plots.curves import gradient_flow, history, lr_find
from minitorch_bp.plots.weights import hidden_units, mosaic, network

__all__ = [
    "confusion_matrix",
    "decision_boundary",
    "gradient_flow",
    "hidden_units",
    "history",
    "lr_find",
    "mosaic",
    "network",
]
