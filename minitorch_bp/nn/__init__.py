"""Layers, activations, losses and containers, each with forward and backward."""

from minitorch_bp.nn import functional
from minitorch_bp.nn.activation import Sigmoid
from minitorch_bp.nn.container import Sequential
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.loss import BCELoss, BCEWithLogitsLoss, Loss, MSELoss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import l2_gradient, l2_penalty

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "Linear",
    "Loss",
    "MSELoss",
    "Module",
    "Parameter",
    "Sequential",
    "Sigmoid",
    "functional",
    "l2_gradient",
    "l2_penalty",
]
