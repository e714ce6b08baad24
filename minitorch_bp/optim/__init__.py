"""Optimizers: they own the notes' λ and apply D = (1/m)(Δ + λΘ)."""

from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.optim.sgd import SGD

__all__ = ["SGD", "Optimizer"]
