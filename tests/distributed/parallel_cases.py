"""The runs the data-parallel tests compare: built alike in the test process, its threads and the gloo workers.

The notes' digits network (64-25-10, sigmoid, ``BCELoss``, λ = 1) on 241 rows of the
embedded digits: an odd number, so two ranks get shares of 121 and 120 rows. Twenty
steps each: twenty full batches, or four epochs of five mini-batches of 60 rows, the
last of which has one row (the second rank's share of it is empty).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitorch_bp import nn, optim, train
from minitorch_bp.data import DataLoader, one_hot
from minitorch_bp.datasets import digits

ROWS = 241
OPTIMIZERS: dict[str, Callable[[list[nn.Parameter]], optim.Optimizer]] = {
    "sgd": lambda p: optim.SGD(p, lr=1.0, l2=1.0),
    "momentum": lambda p: optim.SGD(p, lr=0.5, l2=1.0, momentum=0.9),
    "adam": lambda p: optim.Adam(p, lr=0.01, l2=1.0),
}
#: batch size and epochs: 20 steps either way.
BATCHES = {"full": (ROWS, 20), "mini": (60, 4)}
CASES = [(o, b) for o in OPTIMIZERS for b in BATCHES]


def data(rows: int = ROWS) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X, Y`` (training rows) and ``X_val, Y_val`` (the next 60 rows), float64."""
    X, y = digits()
    X = X / 16.0
    Y = one_hot(y, 10)
    return X[:rows], Y[:rows], X[rows : rows + 60], Y[rows : rows + 60]


def network(rng: int = 0) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, 25, rng=rng), nn.Sigmoid(), nn.Linear(25, 10, rng=rng + 1), nn.Sigmoid()
    )


def run(
    opt_name: str,
    batch_name: str,
    *,
    rank: int = 0,
    world_size: int = 1,
    distributed: Any = False,
    engine: bool = True,
    epochs: int | None = None,
    callbacks: Sequence[Any] = (),
    rng: int = 0,
) -> tuple[nn.Sequential, train.History, optim.Optimizer, DataLoader]:
    """Train one case from scratch; the same call on every rank (only ``rank`` differs)."""
    X, Y, X_val, Y_val = data()
    batch_size, default_epochs = BATCHES[batch_name]
    model = network(rng)
    opt = OPTIMIZERS[opt_name](model.parameters())
    loader = DataLoader(X, Y, batch_size, seed=0, rank=rank, world_size=world_size)
    history = train.fit(
        model,
        nn.BCELoss(),
        opt,
        loader,
        epochs=default_epochs if epochs is None else epochs,
        val_data=(X_val, Y_val),
        callbacks=callbacks,
        progress=False,
        engine=engine,
        distributed=distributed,
    )
    return model, history, opt, loader


def resume(
    path: str,
    opt_name: str,
    batch_name: str,
    *,
    rank: int = 0,
    world_size: int = 1,
    distributed: Any = False,
) -> tuple[nn.Module, train.History]:
    """Resume ``run(opt_name, batch_name)`` from a checkpoint and train to its last epoch."""
    from minitorch_bp import io

    X, Y, X_val, Y_val = data()
    batch_size, epochs = BATCHES[batch_name]
    ckpt = io.load_checkpoint(path)
    opt = OPTIMIZERS[opt_name](ckpt.model.parameters())
    loader = DataLoader(X, Y, batch_size, seed=0, rank=rank, world_size=world_size)
    start = train.resume(ckpt, opt, loader)
    history = train.fit(
        ckpt.model,
        nn.BCELoss(),
        opt,
        loader,
        epochs=epochs,
        initial_epoch=start,
        val_data=(X_val, Y_val),
        progress=False,
        distributed=distributed,
    )
    return ckpt.model, history


def weights(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_same_run(
    got: dict[str, np.ndarray], want: dict[str, np.ndarray], rtol: float = 1e-12
) -> None:
    """Equal to ``rtol`` relative, element by element (atol only at the level of float64 noise)."""
    assert got.keys() == want.keys()
    for k in want:
        scale = float(np.abs(want[k]).max())
        np.testing.assert_allclose(got[k], want[k], rtol=rtol, atol=1e-15 * scale, err_msg=k)
