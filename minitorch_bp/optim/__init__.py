"""Optimizers: they own the notes' λ and apply D = (1/m)(Δ + λΘ)."""

from minitorch_bp.optim import lr_scheduler
from minitorch_bp.optim.adam import Adam, AdamW
from minitorch_bp.optim.cg import ConjugateGradient
from minitorch_bp.optim.lbfgs import LBFGS
from minitorch_bp.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.optim.sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adam",
    "AdamW",
    "ConjugateGradient",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "Optimizer",
    "StepLR",
    "lr_scheduler",
]
