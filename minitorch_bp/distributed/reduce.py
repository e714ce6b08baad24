r"""The notes' :math:`\Delta` summed over the ranks in one all-reduce, and :math:`D` over the global batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.distributed.world import Collectives, current
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.utils import parameters_to_vector, vector_to_parameters

Array = NDArray[Any]
#: The factor a loss's reduction puts in front of its sum, as a function of the number of
#: examples and of outputs: ``criterion.scale`` (:math:`1/m` for ``batchmean``).
Scale = Callable[[int, int], float]


class GradientAllReduce:
    r"""Turn each rank's gradient of its shard into the gradient of the whole batch, in one all-reduce.

    The notes' :math:`\Delta^{(l)} = \sum_t \delta^{(l+1)(t)}(a^{(l)(t)})^\top` is a sum over
    examples, so the batch's :math:`\Delta` is the sum of the shards' :math:`\Delta_r`, and

    .. math::
        D^{(l)} = \frac{1}{M}\Big(\sum_r \Delta^{(l)}_r + \lambda\Theta^{(l)}\Big),
        \qquad M = \sum_r m_r,

    exactly what one process computes on the union of the shards, whatever the sizes
    :math:`m_r` (they differ by one when the batch does not divide evenly; a rank may
    have none). Averaging the ranks' gradients instead, :math:`\frac{1}{R}\sum_r
    \frac{1}{m_r}\Delta_r`, weighs the examples of a smaller shard more: it equals
    :math:`D` only when every :math:`m_r` is the same.

    A call, after the local backward (``p.grad`` holds :math:`c(m_r)\,\Delta_r`, with
    :math:`c` the loss's reduction factor, :math:`1/m_r` under ``batchmean``):

    1. writes :math:`\Delta_r = \texttt{p.grad}/c(m_r)` of every parameter, the data term's
       sum :math:`J_r/c(m_r) = \sum\ell` and :math:`m_r` into one flat buffer (a rank
       with no examples writes zeros);
    2. all-reduces the buffer (sum) in place: one ``torch.distributed.all_reduce`` of a
       tensor made by ``torch.from_numpy``, which shares the buffer's memory;
    3. writes :math:`c(M)\sum_r\Delta_r` back into every ``p.grad`` and returns
       :math:`J = c(M)\sum\ell` (the data term over the whole batch) and :math:`M`.

    λ is not touched: the optimizer adds :math:`\frac{\lambda}{M}\Theta` once, when it is
    stepped with ``m=M``, and :math:`\frac{\lambda}{2M}\sum\Theta^2` belongs to :math:`J`
    once. Every rank ends with the same bits in ``p.grad``, so the ranks' parameters stay
    identical step after step.

    Args:
        params: the parameters whose gradients are summed (``optimizer.params``); every
            rank must pass the same list (same order, shapes and dtypes).
        world: the ranks (default :func:`~minitorch_bp.distributed.current`).

    Attributes:
        buffer: the flat buffer, ``sum(p.size) + 2`` entries in the parameters' dtype.
        m: :math:`M` of the last call.

    Example (in a script started by ``torchrun``; the README's loop, data-parallel)::

        reducer = distributed.GradientAllReduce(opt.params)
        out = model(xb)
        J = criterion(out, yb)
        opt.zero_grad()
        model.backward(criterion.backward())
        J, M = reducer(J, len(xb), criterion.scale, out.shape[1])
        opt.step(m=M)
    """

    def __init__(self, params: Iterable[Parameter], world: Collectives | None = None) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("GradientAllReduce: no parameters")
        self.world = world if world is not None else current()
        dtype = np.result_type(*(p.dtype for p in self.params))
        self.buffer: Array = np.zeros(sum(p.size for p in self.params) + 2, dtype=dtype)
        self._slots: list[tuple[Parameter, Array]] = []
        start = 0
        for p in self.params:
            self._slots.append((p, self.buffer[start : start + p.size].reshape(p.shape)))
            start += p.size
        self.m = 0

    def __call__(self, J: float, m: int, scale: Scale, k: int) -> tuple[float, int]:
        r"""Sum the shards' :math:`\Delta` and :math:`J` over the ranks; return ``(J, M)`` of the whole batch.

        Args:
            J: this rank's data term (the criterion's value; 0 without examples).
            m: this rank's number of examples (0 allowed).
            scale: the loss's reduction factor ``criterion.scale(m, k)``.
            k: the number of outputs :math:`K` (``out.shape[1]``), for ``reduction="mean"``.
        """
        buf = self.buffer
        if m:
            inv = 1.0 / scale(m, k)
            for p, sum_r in self._slots:
                np.multiply(p.grad, inv, out=sum_r)  # Δ_r
            buf[-2], buf[-1] = J * inv, m
        else:
            buf.fill(0)
        self.world.all_reduce(buf, "distributed: the gradients")
        M = round(float(buf[-1]))
        if M < 1:
            raise ValueError(
                "distributed: every rank's share of this batch is empty; a batch needs at least"
                " one example"
            )
        c = scale(M, k)
        for p, total in self._slots:
            np.multiply(total, c, out=p.grad)  # D without λ: c(M) Σ_r Δ_r
        self.m = M
        return float(buf[-2]) * c, M

    def count(self, m: int) -> int:
        """Return :math:`M = \\sum_r m_r` (one small all-reduce): what a closure optimizer needs first."""
        total = np.array([m], dtype=np.float64)
        self.world.all_reduce(total, "distributed: the batch size")
        return round(float(total[0]))


def broadcast_parameters(
    model: Module | Iterable[Parameter], src: int = 0, world: Collectives | None = None
) -> None:
    """Give every rank rank ``src``'s parameter values (one broadcast of one flat vector).

    As ``DistributedDataParallel`` does when it is built: use it when the ranks may have
    initialised differently. :func:`~minitorch_bp.train.fit` with ``distributed=True``
    does not broadcast; it checks that the ranks agree and says what differs.
    """
    params = model.parameters() if isinstance(model, Module) else list(model)
    world = world if world is not None else current()
    vector: Array = np.ascontiguousarray(parameters_to_vector(params))
    world.broadcast(vector, src, "broadcast_parameters")
    vector_to_parameters(vector, params)
