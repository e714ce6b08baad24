r"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: the same rates, composed the same way.

A scheduler writes a learning rate into every parameter group of its optimizer
(``optimizer.param_groups[i]["lr"]``). Building one sets epoch 0; every
:meth:`~LRScheduler.step` advances one epoch (one batch for :class:`CyclicLR` and
:class:`OneCycleLR`). Call it after that epoch's optimizer steps:

    >>> from minitorch_bp import nn, optim
    >>> opt = optim.SGD(nn.Linear(2, 1, rng=0).parameters(), lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(opt.lr)            # ... train one epoch with opt ...
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]

The rates are PyTorch's chainable forms (each epoch's from the previous one), so two
schedulers on one optimizer compose as in PyTorch, and parameter groups keep their
ratios. :func:`~minitorch_bp.train.fit` steps a scheduler per epoch or per batch as its
:attr:`~LRScheduler.interval` says, and passes the monitored value to
:class:`ReduceLROnPlateau`.
"""

from minitorch_bp.optim.lr_scheduler._base import LRScheduler
from minitorch_bp.optim.lr_scheduler.chainable import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from minitorch_bp.optim.lr_scheduler.compose import ChainedScheduler, SequentialLR
from minitorch_bp.optim.lr_scheduler.cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from minitorch_bp.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
