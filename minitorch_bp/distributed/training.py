r"""What :func:`~minitorch_bp.train.fit` does differently with ``distributed=True``: global metrics, one writer.

- Before the first epoch the ranks check that they start from the same state
  (:func:`~minitorch_bp.distributed.consistency.check_same_start`).
- Each batch is a ``compile_step(..., distributed=...)`` step: the shards' :math:`\Delta`
  summed in one all-reduce, :math:`D` over the global batch.
- After each epoch the sums behind ``loss`` and ``accuracy`` are all-reduced, so the
  logged values are those of the whole epoch, equal on every rank; ``val_data`` is
  evaluated in shares (:func:`evaluate`), and a stop asked for by any rank's callback
  stops every rank.
- Only rank 0 prints and writes checkpoints (``FitState.rank``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.data.loader import DataLoader, shard_bounds
from minitorch_bp.distributed.consistency import check_same_start, sampled_rows
from minitorch_bp.distributed.reduce import GradientAllReduce
from minitorch_bp.distributed.world import Collectives, current
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.regularization import l2_penalty
from minitorch_bp.optim.optimizer import Optimizer
from minitorch_bp.train.evaluate import class_labels, classes_from_outputs

Array = NDArray[Any]

SAME_START_HINT = (
    "Every rank must build the same model (the same rng) and optimizer and a DataLoader over"
    " the same data with the same batch_size and seed, or resume from the same checkpoint"
    " (train.resume on every rank); distributed.broadcast_parameters(model) copies rank 0's"
    " parameters to the others"
)


def resolve(distributed: bool | Collectives) -> Collectives:
    """``True``: the process group of :func:`~minitorch_bp.distributed.init`; a :class:`Collectives`: itself."""
    if distributed is True:
        return current()
    needed = ("rank", "world_size", "all_reduce", "all_gather", "broadcast")
    if isinstance(distributed, bool) or not all(hasattr(distributed, a) for a in needed):
        raise TypeError(
            f"distributed={distributed!r} must be True (the process group of"
            " distributed.init()) or a World; False trains in this process alone"
        )
    return distributed


#: Reductions whose :math:`J` is a factor :math:`c(m)` times a sum over examples, which
#: the all-reduce can sum over the ranks (``Loss.scale``).
SUMMABLE_REDUCTIONS = ("batchmean", "sum", "mean")


def reducer_for(
    distributed: bool | Collectives, criterion: Loss, optimizer: Optimizer
) -> GradientAllReduce:
    """The :class:`GradientAllReduce` of ``compile_step(..., distributed=...)``, after checking the loss."""
    if criterion.reduction not in SUMMABLE_REDUCTIONS:
        raise ValueError(
            f"compile_step(distributed=True): {criterion!r} has reduction="
            f"{criterion.reduction!r}; the ranks can sum only a J that is a factor times a"
            f" sum over examples: {SUMMABLE_REDUCTIONS}"
        )
    return GradientAllReduce(optimizer.params, resolve(distributed))


class FitGroup:
    """The ranks of one ``fit(..., distributed=...)`` call.

    Args:
        world: the ranks.
        model, criterion, optimizer, loader: what ``fit`` was given (the same on every rank).
        settings: the other arguments that must agree (epochs, initial_epoch, metrics...).
    """

    def __init__(
        self,
        world: Collectives,
        model: Module,
        criterion: Loss,
        optimizer: Optimizer,
        loader: DataLoader,
        settings: dict[str, Any],
    ) -> None:
        self.world = world
        self.rank = world.rank
        local = ""
        if (loader.rank, loader.world_size) != (world.rank, world.world_size):
            local = (
                f"its DataLoader has rank={loader.rank}, world_size={loader.world_size}; this"
                f" process is rank {world.rank} of {world.world_size}: build it with"
                " DataLoader(..., rank=world.rank, world_size=world.world_size)"
            )
        # An unshuffled loader never draws from its generator: its seed may differ.
        order = loader.state_dict() if loader.shuffle else [loader.batch_size, loader.shuffle]
        parts = {
            "the model's parameters": model.state_dict(),
            "the optimizer's state": optimizer.state_dict(),
            "the loader's state (seed, position, batch size)": [
                order,
                loader.dataset_size,
                len(loader),
            ],
            "the data": [sampled_rows(loader.X), sampled_rows(loader.Y)],
            "fit's arguments": [repr(criterion), settings],
        }
        check_same_start(world, parts, "fit(distributed=True)", SAME_START_HINT, local)

    def sums(self, *values: float) -> list[float]:
        """Sum each value over the ranks (one all-reduce)."""
        arr = np.array(values, dtype=np.float64)
        self.world.all_reduce(arr, "fit(distributed=True): the epoch's metrics")
        return [float(v) for v in arr]

    def evaluate(self, model: Module, X: Any, Y: Any, **kwargs: Any) -> dict[str, float]:
        """:func:`evaluate` on this group's ranks."""
        return evaluate(model, X, Y, world=self.world, **kwargs)

    def any(self, flag: bool) -> bool:
        """Whether any rank's ``flag`` is set (one all-reduce): a stop on one rank stops all."""
        return self.sums(float(bool(flag)))[0] > 0


def evaluate(
    model: Module,
    X: Any,
    Y: Any,
    *,
    world: Collectives | None = None,
    criterion: Loss | None = None,
    l2: float = 0.0,
    metrics: tuple[str, ...] = ("loss", "accuracy"),
) -> dict[str, float]:
    r""":func:`~minitorch_bp.train.evaluate` of the whole ``(X, Y)``, each rank computing its share.

    Every rank passes all of ``X`` and ``Y``; rank ``r`` runs the model on its contiguous
    share (:func:`~minitorch_bp.data.shard_bounds`), and one all-reduce sums
    :math:`\sum\ell`, the correct predictions and the counts. ``loss`` is then
    :math:`c(M)\sum\ell + \frac{\lambda}{2M}\sum\Theta^2` over all :math:`M` rows, as one
    process computes it (up to the order of the sums), on every rank.
    """
    world = world if world is not None else current()
    X, Y = np.asarray(X), np.asarray(Y)
    lo, hi = shard_bounds(X.shape[0], world.rank, world.world_size)
    # Σℓ, correct predictions, rows, rows × outputs (K, for a "mean" reduction).
    sums = np.zeros(4, dtype=np.float64)
    if hi > lo:
        x = X[lo:hi]
        out = model(x.astype(model.parameters()[0].dtype) if x.dtype.kind in "iub" else x)
        n, k = out.shape[0], out.shape[-1]
        if "loss" in metrics and criterion is not None:
            sums[0] = criterion(out, Y[lo:hi]) / criterion.scale(n, k)
        if "accuracy" in metrics:
            sums[1] = np.count_nonzero(classes_from_outputs(out) == class_labels(Y[lo:hi]))
        sums[2:] = n, n * k
    world.all_reduce(sums, "distributed.evaluate")
    M = round(sums[2])
    result: dict[str, float] = {}
    if "loss" in metrics and criterion is not None:
        c = criterion.scale(M, round(sums[3] / M))
        result["loss"] = float(sums[0]) * c + l2_penalty(model, l2, M)
    if "accuracy" in metrics:
        result["accuracy"] = float(sums[1]) / M
    return result
