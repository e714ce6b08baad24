r"""Adam and AdamW on the notes' regularised gradient :math:`D`."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import decays
from minitorch_bp.optim._buffers import StateBuffer, scratch_for
from minitorch_bp.optim.optimizer import Array, Optimizer


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) on the notes' :math:`D`, in PyTorch's formulation.

    With :math:`g = D + w\Theta` (:math:`D = \frac{1}{m}(\Delta + \lambda\Theta)` for
    weights, :math:`\frac{1}{m}\Delta` for biases; :math:`w` the coupled ``weight_decay``,
    weights only) and :math:`t` the step count,

    .. math::
        m_1 \leftarrow \beta_1 m_1 + (1-\beta_1) g, \qquad
        m_2 \leftarrow \beta_2 m_2 + (1-\beta_2) g^2,

        \Theta \leftarrow \Theta - \frac{\alpha}{1-\beta_1^t}\,
        \frac{m_1}{\sqrt{m_2}/\sqrt{1-\beta_2^t} + \epsilon}.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lr: the step size :math:`\alpha > 0` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1).
        eps: :math:`\epsilon \ge 0`, added to the denominator.
        l2: the notes' :math:`\lambda \ge 0`, entering through :math:`D` (biases exempt).
        weight_decay: PyTorch's coupled decay :math:`w \ge 0` added to the gradient (no
            :math:`\frac{1}{m}`), on the same parameters as ``l2`` (``Parameter.regularized``).

    State:
        ``step`` and the moments ``exp_avg`` (:math:`m_1`), ``exp_avg_sq`` (:math:`m_2`),
        one array per parameter, in :meth:`state_dict`.

    Example:
        >>> from minitorch_bp import nn
        >>> layer = nn.Linear(1, 1, rng=0)
        >>> layer.theta = [[0.0, 1.0]]
        >>> opt = Adam(layer.parameters(), lr=0.1)
        >>> layer.weight.grad = [[2.0]]; layer.bias.grad = [-3.0]
        >>> opt.step()                  # the first step moves each entry by lr·sign(g)
        >>> layer.theta.round(6)
        array([[0.1, 0.9]])
    """

    decoupled: bool = False

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        l2: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr=lr, l2=l2)
        name = type(self).__name__
        self.betas = check_betas(betas, name)
        self.eps = check_nonnegative(eps, "eps", name)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay", name)
        self.steps = 0
        self._exp_avg = StateBuffer(self.params)
        self._exp_avg_sq = StateBuffer(self.params)
        self._D = scratch_for(self.params)
        self._tmp = scratch_for(self.params)

    def step(
        self, closure: Callable[[], float] | None = None, *, m: int | None = None
    ) -> float | None:
        """Apply one Adam update; ``closure`` runs first if given and its value is returned.

        Args:
            closure: optional; runs forward, the criterion and backward.
            m: the number of examples behind the gradients (needed when ``l2 > 0``).
        """
        loss = closure() if closure is not None else None
        m = self.batch_size(m)
        self.steps += 1
        wd = self.weight_decay
        for i, p in enumerate(self.params):
            D, tmp, data = self._D[i], self._tmp[i], p.data
            self.gradient(p, m, out=D)
            # weight_decay follows the same rule as λ (the parameters that decay), without
            # the 1/m: coupled (Adam, into the gradient) or decoupled (AdamW, from Θ).
            if wd and decays(p):
                if self.decoupled:
                    data *= 1.0 - self.lr * wd
                else:
                    np.multiply(data, wd, out=tmp)
                    D += tmp
            self._update(data, D, self._exp_avg.arrays[i], self._exp_avg_sq.arrays[i], tmp)
        return loss

    def _update(self, data: Array, g: Array, m1: Array, m2: Array, tmp: Array) -> None:
        """The moment updates and the step, in place; ``g`` and ``tmp`` are overwritten."""
        beta1, beta2 = self.betas
        t = self.steps
        m1 *= beta1
        np.multiply(g, 1.0 - beta1, out=tmp)
        m1 += tmp
        m2 *= beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        m2 += tmp
        step_size = self.lr / (1.0 - beta1**t)
        np.sqrt(m2, out=tmp)
        tmp *= 1.0 / math.sqrt(1.0 - beta2**t)
        tmp += self.eps
        np.divide(m1, tmp, out=tmp)
        tmp *= step_size
        data -= tmp

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters, ``step`` and the moments (copies)."""
        state = super().state_dict()
        state.update(
            betas=list(self.betas),
            eps=self.eps,
            weight_decay=self.weight_decay,
            step=self.steps,
            exp_avg=self._exp_avg.copies(),
            exp_avg_sq=self._exp_avg_sq.copies(),
        )
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, so training resumes exactly."""
        super()._load_state(state)
        name = type(self).__name__
        self.betas = check_betas(state.get("betas", self.betas), name)
        self.eps = check_nonnegative(state.get("eps", self.eps), "eps", name)
        wd = state.get("weight_decay", self.weight_decay)
        self.weight_decay = check_nonnegative(wd, "weight_decay", name)
        self.steps = int(state.get("step", self.steps))
        if "exp_avg" in state:
            self._exp_avg.load(state["exp_avg"], name, "exp_avg")
        if "exp_avg_sq" in state:
            self._exp_avg_sq.load(state["exp_avg_sq"], name, "exp_avg_sq")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, eps={self.eps},"
            f" l2={self.l2}, weight_decay={self.weight_decay})"
        )


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Before the :class:`Adam` update on :math:`D`, the weights shrink:
    :math:`\Theta \leftarrow \Theta - \alpha w \Theta` on the parameters that decay
    (``Parameter.regularized``: biases exempt). The notes' ``l2`` still enters through
    :math:`D`; usually one uses either ``l2`` or ``weight_decay``, not both.

    Args:
        weight_decay: the decoupled decay :math:`w \ge 0` (default 1e-2, as PyTorch).
            The other arguments are those of :class:`Adam`.
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        l2: float = 0.0,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, l2, weight_decay)


def check_betas(betas: Any, who: str) -> tuple[float, float]:
    """Return ``betas`` as two floats in [0, 1), else raise ``ValueError``."""
    try:
        b1, b2 = (float(b) for b in betas)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{who}: betas={betas!r} must be two numbers in [0, 1)") from exc
    for i, b in enumerate((b1, b2)):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"{who}: betas[{i}]={b!r} must be in [0, 1) (betas={betas!r})")
    return b1, b2
