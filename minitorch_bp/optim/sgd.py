r"""Stochastic gradient descent: :math:`\Theta \leftarrow \Theta - \alpha D`."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim.optimizer import Optimizer


class SGD(Optimizer):
    r"""Gradient descent with the notes' regularised gradient.

    Each step applies :math:`\Theta^{(l)} \leftarrow \Theta^{(l)} - \alpha D^{(l)}` with

    .. math::
        D^{(l)}_{ij} = \tfrac{1}{m}\left(\Delta^{(l)}_{ij} + \lambda\Theta^{(l)}_{ij}\right)
        \ (j \ne 0), \qquad D^{(l)}_{i0} = \tfrac{1}{m}\Delta^{(l)}_{i0},

    where :math:`\frac{1}{m}\Delta` is the gradient backward accumulated (``p.grad``
    under the default ``batchmean`` loss) and :math:`m` the batch size behind it.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lr: the learning rate :math:`\alpha > 0`.
        l2: the notes' :math:`\lambda \ge 0`; biases are exempt.
        regularize_bias: regularise the bias column too (default ``False``, as the notes).

    Equivalent PyTorch:
        ``torch.optim.SGD`` with ``weight_decay = λ/m`` on the weights and 0 on the biases.

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(1, 1, rng=0)
        >>> layer.theta = [[1.0, 2.0]]
        >>> opt = SGD(layer.parameters(), lr=0.5, l2=1.0)
        >>> opt.zero_grad()
        >>> z = layer(np.array([[3.0]]))             # m = 1
        >>> dx = layer.backward(np.array([[1.0]]))    # Δ = [1, 3] for [b, w]
        >>> opt.step()                                # D = [1, 3 + 1·2]; Θ - 0.5·D
        >>> layer.theta
        array([[ 0.5, -0.5]])
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        l2: float = 0.0,
        *,
        regularize_bias: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, l2=l2, regularize_bias=regularize_bias)
        self._scratch: np.ndarray | None = None

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        r"""Apply :math:`\Theta \leftarrow \Theta - \alpha D`; ``closure`` runs first if given."""
        loss = closure() if closure is not None else None
        lr = self.lr
        # The λ term first, as a scaling of the weights: Θ - α(λ/m)Θ - αg equals
        # Θ - α·(1/m)(Δ + λΘ) with one pass over the weights and no temporary.
        for p in self.params:
            if self.regularized(p) and p.inv_m:
                p.data *= 1.0 - lr * self.l2 * p.inv_m
        flat = self.flat()
        if flat is None:
            for p in self.params:
                p.data -= lr * p.grad
            return loss
        data, grad = flat
        if lr == 1.0:
            data -= grad
            return loss
        scratch = self._scratch
        if scratch is None or scratch.shape != grad.shape or scratch.dtype != grad.dtype:
            scratch = self._scratch = np.empty_like(grad)
        np.multiply(grad, lr, out=scratch)
        data -= scratch
        return loss

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, l2={self.l2})"
