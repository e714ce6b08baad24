"""The notes' digits network trained data-parallel on several processes, compared with one process.

Run: ``torchrun --standalone --nproc-per-node 2 examples/data_parallel_digits.py
[--epochs N] [--batch-size B]`` (needs ``pip install 'minitorch_bp[distributed]'``).

Each process (rank) holds the whole training set and takes its share of every global
batch of ``B`` rows (default: all 1,347, the notes' full batch); one all-reduce per step
sums the shares' Δ, so every rank applies the D of the whole batch, λ = 1 included once.
Rank 0 prints the log, then trains the same network in one process with the same global
batches and prints the largest difference between the two sets of final weights: the
order of the additions, nothing more. For scale it also prints how far one process moves
when only its own order of operations changes (the plain layers instead of the engine).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from minitorch_bp import distributed, nn, optim
from minitorch_bp.data import DataLoader, one_hot, train_test_split
from minitorch_bp.datasets import digits
from minitorch_bp.train import History, fit

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=800)
parser.add_argument("--batch-size", type=int, default=None, help="the global batch (default: all)")
parser.add_argument("--lr", type=float, default=4.0)
args = parser.parse_args()

X, y = digits()
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, seed=0)
Y_train, Y_test = one_hot(y_train, 10), one_hot(y_test, 10)
batch_size = args.batch_size or len(X_train)


def train(
    rank: int, world_size: int, parallel: bool, engine: bool = True
) -> tuple[nn.Sequential, History]:
    """The course's 64-25-10 network, SGD on the notes' J(Θ) with λ = 1; the same call on every rank."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(64, 25, rng=rng), nn.Sigmoid(), nn.Linear(25, 10, rng=rng), nn.Sigmoid()
    )
    # l2 is per batch (D has 1/m of the batch): λ·B/m_train keeps the whole set's λ = 1.
    opt = optim.SGD(model.parameters(), lr=args.lr, l2=1.0 * batch_size / len(X_train))
    loader = DataLoader(X_train, Y_train, batch_size, seed=0, rank=rank, world_size=world_size)
    history = fit(
        model,
        nn.BCELoss(),
        opt,
        loader,
        epochs=args.epochs,
        val_data=(X_test, Y_test),
        progress=parallel,  # rank 0 prints
        log_every=max(1, args.epochs // 4),
        engine=engine,
        distributed=parallel,
    )
    return model, history


try:
    world = distributed.init()
except (distributed.DistributedError, ModuleNotFoundError) as exc:
    sys.exit(f"data_parallel_digits: {exc}")
try:
    with world:
        model, history = train(world.rank, world.world_size, parallel=True)
except distributed.DistributedError as exc:  # another rank failed: one line, no traceback
    sys.exit(f"data_parallel_digits: {exc}")
if world.rank == 0:
    share = DataLoader(X_train, Y_train, batch_size, seed=0, world_size=world.world_size)
    rows = sum(len(xb) for xb, _ in share)
    print(
        f"{world.world_size} processes, global batches of {batch_size} rows: rank 0 computed"
        f" {rows} of the {len(X_train)} rows of each epoch"
    )
    print(f"J(Θ) = {history['loss'][-1]:.4f}, test accuracy {history['val_accuracy'][-1]:.1%}")

    def largest_difference(a: nn.Module, b: nn.Module) -> float:
        return max(
            float(np.abs(p.data - q.data).max())
            for p, q in zip(a.parameters(), b.parameters(), strict=True)
        )

    one, _ = train(0, 1, parallel=False)
    diff = largest_difference(model, one)
    scale = max(float(np.abs(q.data).max()) for q in one.parameters())
    print(
        f"largest difference from one process with the same global batch: {diff:.1e}"
        f" ({diff / scale:.1e} of the largest weight)"
    )
    plain, _ = train(0, 1, parallel=False, engine=False)
    print(f"for scale, one process with engine=False instead: {largest_difference(plain, one):.1e}")
