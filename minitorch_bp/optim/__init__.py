"""Optimizers: they own the notes' λ and apply D = (1/m)(Δ + λΘ), group by group."""

from minitorch_bp.optim import lr_scheduler
from minitorch_bp.optim._full_batch import ConvergenceWarning
from minitorch_bp.optim.adam import Adam, AdamW
from minitorch_bp.optim.adam_variants import NAdam, RAdam
from minitorch_bp.optim.adaptive import Adagrad, RMSprop
from minitorch_bp.optim.cg import ConjugateGradient
from minitorch_bp.optim.lbfgs import LBFGS
from minitorch_bp.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.optim.sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "ChainedScheduler",
    "ConjugateGradient",
    "ConstantLR",
    "ConvergenceWarning",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "NAdam",
    "OneCycleLR",
    "Optimizer",
    "PolynomialLR",
    "RAdam",
    "RMSprop",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "lr_scheduler",
]
