r"""``lr_find``: fastai's learning-rate finder (Smith, 2015; Howard & Gugger, 2020).

Train for about 100 mini-batches while the learning rate grows exponentially from
``start_lr`` to ``end_lr``; keep an exponentially smoothed (bias-corrected) loss; stop when
it passes ``diverge`` times its best. The suggestion is the learning rate where the
smoothed loss falls fastest (the steepest descent of the curve against :math:`\log\alpha`).
The model, the optimizer and the loader are restored afterwards, so training starts
from where it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.data.loader import DataLoader
from minitorch_bp.engine import compile_step
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer

Array = NDArray[Any]


@dataclass
class LRFinderResult:
    """What :func:`lr_find` returns.

    Attributes:
        lrs: the learning rate of each batch.
        losses: each batch's :math:`J(\\Theta)` before its update.
        smoothed: the bias-corrected exponential moving average of ``losses``.
        suggestion: the learning rate where ``smoothed`` falls fastest.
        stopped_early: whether the sweep stopped because the loss diverged.
    """

    lrs: Array
    losses: Array
    smoothed: Array
    suggestion: float
    stopped_early: bool

    def plot(self, ax: Any = None) -> Any:
        """The sweep as a figure (:func:`minitorch_bp.plots.lr_find`; needs the ``plots`` extra)."""
        from minitorch_bp import plots

        return plots.lr_find(self, ax=ax)


def steepest(lrs: Array, smoothed: Array, skip_start: int = 10, skip_end: int = 5) -> float:
    """The learning rate where ``smoothed`` has its most negative slope, ends skipped (fastai's)."""
    n = len(smoothed)
    if n < skip_start + skip_end + 3:
        skip_start, skip_end = 0, 0
    part = smoothed[skip_start : n - skip_end]
    if len(part) < 2:
        return float(lrs[int(np.argmin(smoothed))])
    return float(lrs[skip_start + int(np.argmin(np.gradient(part)))])


def lr_find(
    model: Module,
    criterion: Loss,
    optimizer: Optimizer,
    loader: DataLoader,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    beta: float = 0.98,
    diverge: float = 4.0,
    engine: bool = True,
) -> LRFinderResult:
    r"""Sweep the learning rate exponentially over ``num_iter`` batches and suggest one.

    Args:
        model, criterion, optimizer: what :func:`~minitorch_bp.train.fit` would train; its
            ``optimizer.lr`` is set for each batch, then restored.
        loader: the training batches (cycled through when it has fewer than ``num_iter``).
        start_lr, end_lr: the sweep's first and last learning rate.
        num_iter: the number of batches.
        beta: the smoothing of the loss (0.98, fastai's).
        diverge: stop when the smoothed loss exceeds this many times its best.
        engine: run the steps through the engine (``False``: the plain layers).

    Returns:
        An :class:`LRFinderResult`; ``.plot()`` draws it.

    Example:
        >>> from minitorch_bp import nn, optim
        >>> from minitorch_bp.data import DataLoader
        >>> from minitorch_bp.datasets import two_moons
        >>> X, y = two_moons(200, noise=0.1, seed=0)
        >>> model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 1, rng=1), nn.Sigmoid())
        >>> before = model.state_dict()
        >>> result = lr_find(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.1),
        ...                  DataLoader(X, y.reshape(-1, 1).astype(float), 16, seed=0))
        >>> 1e-3 < result.suggestion < 10, all((model.state_dict()[k] == v).all() for k, v in before.items())
        (True, True)
    """
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"lr_find: {name}={value!r} must be a finite number > 0")
    if end_lr <= start_lr:
        raise ValueError(f"lr_find: end_lr={end_lr} must exceed start_lr={start_lr}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
        raise ValueError(f"lr_find: num_iter={num_iter!r} must be an integer >= 2")
    if not 0 <= beta < 1:
        raise ValueError(f"lr_find: beta={beta!r} must be in [0, 1)")
    if not diverge > 1:
        raise ValueError(f"lr_find: diverge={diverge!r} must be > 1")
    saved = (model.state_dict(), optimizer.state_dict(), loader.state_dict())
    step = compile_step(model, criterion, optimizer, engine=engine)
    ratio = (end_lr / start_lr) ** (1.0 / (num_iter - 1))
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    avg, best, stopped = 0.0, math.inf, False
    model.train()
    try:
        while len(lrs) < num_iter and not stopped:
            for xb, yb in loader:
                lr = start_lr * ratio ** len(lrs)
                optimizer.lr = lr
                try:
                    J = step(xb, yb)
                except (FloatingPointError, ValueError):
                    if not lrs:
                        raise  # the very first batch: a real error, not divergence
                    stopped = True
                    break
                if not math.isfinite(J):
                    stopped = True
                    break
                avg = beta * avg + (1.0 - beta) * J
                value = avg / (1.0 - beta ** (len(lrs) + 1))
                lrs.append(lr)
                losses.append(J)
                smoothed.append(value)
                if len(lrs) > 1 and value > diverge * best:
                    stopped = True
                    break
                best = min(best, value)
                if len(lrs) == num_iter:
                    break
    finally:
        model.load_state_dict(saved[0])
        optimizer.load_state_dict(saved[1])
        loader.load_state_dict(saved[2])
    lr_arr, loss_arr, smooth_arr = np.array(lrs), np.array(losses), np.array(smoothed)
    return LRFinderResult(lr_arr, loss_arr, smooth_arr, steepest(lr_arr, smooth_arr), stopped)
