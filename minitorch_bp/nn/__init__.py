"""Layers, activations, losses and containers, each with forward and backward."""

from minitorch_bp.nn import functional, init, registry
from minitorch_bp.nn.activation import Elementwise, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from minitorch_bp.nn.batchnorm import BatchNorm1d, BatchNorm2d
from minitorch_bp.nn.container import Sequential
from minitorch_bp.nn.conv import Conv1d, Conv2d
from minitorch_bp.nn.cross_entropy import CrossEntropyLoss
from minitorch_bp.nn.distribution_losses import KLDivLoss, PoissonNLLLoss
from minitorch_bp.nn.dropout import Dropout
from minitorch_bp.nn.embedding import Embedding
from minitorch_bp.nn.layernorm import LayerNorm
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.loss import BCELoss, BCEWithLogitsLoss, Loss, MSELoss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.nll import NLLLoss
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from minitorch_bp.nn.regression_losses import HuberLoss, L1Loss, SmoothL1Loss
from minitorch_bp.nn.regularization import l2_gradient, l2_penalty
from minitorch_bp.nn.reshape import Flatten, Unflatten
from minitorch_bp.nn.residual import Residual
from minitorch_bp.nn.smooth import ELU, GELU, SELU, Softplus
from minitorch_bp.nn.softmax import LogSoftmax, Softmax

__all__ = [
    "ELU",
    "GELU",
    "SELU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Elementwise",
    "Embedding",
    "Flatten",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "Loss",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "NLLLoss",
    "Parameter",
    "PoissonNLLLoss",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "Unflatten",
    "functional",
    "init",
    "l2_gradient",
    "l2_penalty",
    "registry",
]
