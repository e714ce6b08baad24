"""The estimators' network: ``Linear`` layers with an activation between them, and an output unit."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from minitorch_bp import nn

#: scikit-learn's names for the hidden activations; every registered element-wise
#: activation is also accepted by its ``cli_name`` (``"sigmoid"``, ``"gelu"``, ``"elu"``...).
SKLEARN_ACTIVATIONS: dict[str, type[nn.Elementwise]] = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


def activations() -> dict[str, type[nn.Elementwise]]:
    """Every name ``activation=`` accepts, mapped to its layer class."""
    names = {cls.cli_name: cls for cls in nn.registry.classes() if issubclass(cls, nn.Elementwise)}
    return {**names, **SKLEARN_ACTIVATIONS}


def activation_class(name: object, who: str) -> type[nn.Elementwise]:
    """The layer class of the activation ``name``; ``ValueError`` listing the names otherwise."""
    known = activations()
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"{who}: activation={name!r} must be one of {sorted(known)}")
    return known[name]


def build_network(
    sizes: Sequence[int],
    activation: str,
    sigmoid_output: bool,
    rng: np.random.Generator,
) -> nn.Sequential:
    r"""``Linear(s_1, s_2), g, ..., Linear(s_{L-1}, s_L)`` and, with ``sigmoid_output``, a ``Sigmoid``.

    Each ``Linear`` has the notes' initialisation, :math:`U(-\epsilon, \epsilon)` with
    :math:`\epsilon = \sqrt{6}/\sqrt{s_l + s_{l+1}}`, drawn from ``rng`` in layer order.
    Without ``sigmoid_output`` the network ends in the last ``Linear``: logits for a
    softmax (whose loss takes logits) or the identity output of a regression.
    """
    act = activation_class(activation, "build_network")
    layers: list[nn.Module] = []
    pairs = list(itertools.pairwise(sizes))
    for i, (a, b) in enumerate(pairs):
        layers.append(nn.Linear(a, b, rng=rng))
        if i < len(pairs) - 1:
            layers.append(act())
    if sigmoid_output:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)
