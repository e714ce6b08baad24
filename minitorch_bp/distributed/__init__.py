r"""Data-parallel training on ``torch.distributed``, with exactly the :math:`D` of one process.

The notes' :math:`\Delta^{(l)}` is a sum over examples. Split a batch of :math:`M`
examples into shards, one per process (rank), let each rank run forward and backward on
its shard, sum the shards' :math:`\Delta_r` over the ranks and divide by :math:`M`:

.. math::
    D^{(l)} = \frac{1}{M}\Big(\sum_r \Delta_r^{(l)} + \lambda\Theta^{(l)}\Big),

the same :math:`D` one process computes on the whole batch, up to the order of the
additions. The sum is one all-reduce of one flat buffer, run by PyTorch's
``torch.distributed`` (gloo on CPU) on numpy memory through ``torch.from_numpy``.

Needs the optional extra ``distributed`` (torch); the core never imports this package.

In a script started by ``torchrun --standalone --nproc-per-node 2 script.py``::

    from minitorch_bp import distributed
    world = distributed.init()                        # RANK, WORLD_SIZE... from torchrun
    loader = DataLoader(X, Y, batch_size=64, seed=0, rank=world.rank, world_size=world.world_size)
    history = train.fit(model, criterion, optimizer, loader, epochs=20, distributed=True)

- :func:`init` joins the process group; :func:`current`, :func:`shutdown`,
  :func:`is_initialized`; :class:`World` (``rank``, ``world_size``; a context manager).
- ``DataLoader(..., rank=, world_size=)`` gives each rank its share of each global batch.
- :class:`GradientAllReduce`: the all-reduce after backward (what
  ``compile_step(..., distributed=True)`` and ``fit(..., distributed=True)`` use).
- :func:`evaluate`: a data set evaluated in shares; :func:`broadcast_parameters`: rank 0's
  parameters to every rank.
- :class:`DistributedError`: a collective failed (a rank exited or timed out).
"""

from minitorch_bp.distributed.reduce import GradientAllReduce, broadcast_parameters
from minitorch_bp.distributed.training import evaluate
from minitorch_bp.distributed.world import (
    Collectives,
    DistributedError,
    World,
    current,
    environment,
    init,
    is_initialized,
    shutdown,
)

__all__ = [
    "Collectives",
    "DistributedError",
    "GradientAllReduce",
    "World",
    "broadcast_parameters",
    "current",
    "environment",
    "evaluate",
    "init",
    "is_initialized",
    "shutdown",
]
