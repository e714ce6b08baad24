r"""Adam and AdamW on the notes' regularised gradient :math:`D`."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_bp._validation import check_nonnegative
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.optim._buffers import StateBuffer, scratch_like
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
            :math:`\frac{1}{m}`; weights only unless ``regularize_bias``).
        regularize_bias: apply ``l2`` / ``weight_decay`` to the biases too.

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
        *,
        regularize_bias: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, l2=l2, regularize_bias=regularize_bias)
        name = type(self).__name__
        self.betas = check_betas(betas, name)
        self.eps = check_nonnegative(eps, "eps", name)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay", name)
        self.steps = 0
        self._exp_avg = StateBuffer(self.params)
        self._exp_avg_sq = StateBuffer(self.params)
        self._D: Array | None = None
        self._tmp: Array | None = None

    def _decays(self, p: Parameter) -> bool:
        return self.weight_decay != 0.0 and (p.regularized or self.regularize_bias)

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Apply one Adam update; ``closure`` runs first if given and its value is returned."""
        loss = closure() if closure is not None else None
        self.steps += 1
        flat = self.flat()
        m1, m2 = self._exp_avg, self._exp_avg_sq
        if flat is not None and m1.flat is not None and m2.flat is not None:
            data, grad = flat
            D = self._D = scratch_like(self._D, grad)
            tmp = self._tmp = scratch_like(self._tmp, grad)
            self.gradient_vector(out=D, scratch=tmp)
            if not self.decoupled and self.weight_decay:
                pos = 0
                for p in self.params:
                    if self._decays(p):
                        seg = tmp[pos : pos + p.size]
                        np.multiply(data[pos : pos + p.size], self.weight_decay, out=seg)
                        D[pos : pos + p.size] += seg
                    pos += p.size
            self._decay()
            self._update(data, D, m1.flat, m2.flat, tmp)
            return loss
        for p, a, b in zip(self.params, m1.views, m2.views, strict=True):
            D = self.gradient(p)
            if not self.decoupled and self._decays(p):
                D += self.weight_decay * p.data
            if self.decoupled and self._decays(p):
                p.data *= 1.0 - self.lr * self.weight_decay
            self._update(p.data, D, a, b, np.empty_like(D))
        return loss

    def _decay(self) -> None:
        # AdamW: Θ ← Θ − α·w·Θ after D was taken at the old Θ, before the Adam update
        # (PyTorch's order).
        if self.decoupled:
            for p in self.params:
                if self._decays(p):
                    p.data *= 1.0 - self.lr * self.weight_decay

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
    :math:`\Theta \leftarrow \Theta - \alpha w \Theta` (biases exempt unless
    ``regularize_bias``). The notes' ``l2`` still enters through :math:`D`; usually one
    uses either ``l2`` or ``weight_decay``, not both.

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
        *,
        regularize_bias: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, l2, weight_decay, regularize_bias=regularize_bias)


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
