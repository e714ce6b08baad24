"""Every random state training uses is in the checkpoint: a resume with Dropout is bit-exact.

Before, Dropout's generator state was not saved: a resumed run drew other masks and
ended 0.16 away from the uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import io, nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.train import ModelCheckpoint, fit, resume


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 4))
    return X, (X[:, :1] * X[:, 1:2] > 0).astype(float)


def _net() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(4, 8, rng=1),
        nn.ReLU(),
        nn.Dropout(0.3, rng=7),
        nn.Linear(8, 1, rng=2),
        nn.Sigmoid(),
    )


@pytest.mark.parametrize("engine", [True, False])
def test_resume_with_dropout_is_bit_exact(tmp_path: Path, engine: bool) -> None:
    X, Y = _data()
    straight = _net()
    opt = optim.Adam(straight.parameters(), lr=0.01, l2=0.1)
    fit(
        straight,
        nn.BCELoss(),
        opt,
        DataLoader(X, Y, 8, seed=3),
        epochs=6,
        progress=False,
        engine=engine,
    )

    first = _net()
    opt = optim.Adam(first.parameters(), lr=0.01, l2=0.1)
    saver = ModelCheckpoint(tmp_path / "e{epoch}.npz")
    fit(
        first,
        nn.BCELoss(),
        opt,
        DataLoader(X, Y, 8, seed=3),
        epochs=3,
        progress=False,
        callbacks=[saver],
        engine=engine,
    )

    ckpt = io.load_checkpoint(tmp_path / "e3.npz")
    model = ckpt.model
    opt = optim.Adam(model.parameters(), lr=0.01, l2=0.1)
    loader = DataLoader(X, Y, 8, seed=999)
    start = resume(ckpt, opt, loader)
    fit(
        model,
        nn.BCELoss(),
        opt,
        loader,
        epochs=6,
        initial_epoch=start,
        progress=False,
        engine=engine,
    )
    for a, b in zip(model.parameters(), straight.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_dropout_state_round_trips_and_draws_the_same_masks(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Dropout(0.5, rng=0))
    model(np.ones((3, 5)))  # advance the generator
    loaded = io.load(io.save(model, tmp_path / "d.npz"))
    np.testing.assert_array_equal(loaded(np.ones((4, 5))), model(np.ones((4, 5))))


def test_a_tampered_generator_state_is_a_checkpoint_error(tmp_path: Path) -> None:
    import json

    path = io.save(nn.Sequential(nn.Dropout(0.5, rng=0)), tmp_path / "d.npz")
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays["__header__"].tobytes())
    header["extra_state"]["0"]["bit_generator"]["bit_generator"] = "MT19937"
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(
        io.CheckpointError, match=r"'0' \(Dropout\).*'MT19937' bit generator; this one is 'PCG64'"
    ):
        io.load_checkpoint(path)
