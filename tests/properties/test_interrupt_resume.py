"""Property (issue 12): a Ctrl-C or a NaN at any batch loses nothing.

Random small networks (with or without Dropout, SGD with momentum or Adam) train with a
checkpoint every epoch; a Ctrl-C (a real SIGINT) or a NaN put into a weight arrives at a
random batch. Then: the History up to the interruption equals an uninterrupted run's,
and resuming from the last checkpoint trains to bit-exactly the uninterrupted weights.
"""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitorch_bp import io, nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.train import (
    Callback,
    FitState,
    ModelCheckpoint,
    TrainingDivergedError,
    TrainingInterrupted,
    fit,
    resume,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "raise_signal"), reason="needs raise_signal")

EPOCHS = 4


def _net(sizes: list[int], dropout: bool, seed: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b, rng=seed + i))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
            if dropout:
                layers.append(nn.Dropout(0.25, rng=seed + 100))
    layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def _opt(kind: str, model: nn.Module) -> optim.Optimizer:
    if kind == "adam":
        return optim.Adam(model.parameters(), lr=0.02, l2=0.1)
    return optim.SGD(model.parameters(), lr=0.3, momentum=0.9, l2=0.1)


class Strike(Callback):
    """At (epoch, batch): press Ctrl-C after the batch, or put a NaN into a weight before it."""

    def __init__(self, at: tuple[int, int], how: str) -> None:
        self.at, self.how = at, how

    def on_batch_begin(self, state: FitState) -> None:
        if self.how == "nan" and (state.epoch, state.batch) == self.at:
            state.model.parameters()[0].data.flat[0] = np.nan

    def on_batch_end(self, state: FitState) -> None:
        if self.how == "ctrl-c" and (state.epoch, state.batch) == self.at:
            signal.raise_signal(signal.SIGINT)


def _run(spec: dict[str, Any], folder: Path | None, strike: Strike | None, **kw: Any) -> Any:
    rng = np.random.default_rng(spec["seed"])
    X = rng.normal(size=(spec["m"], spec["sizes"][0]))
    Y = (X[:, :1] > 0).astype(float)
    model = kw.pop("model", None) or _net(spec["sizes"], spec["dropout"], spec["seed"])
    opt = kw.pop("opt", None) or _opt(spec["opt"], model)
    loader = kw.pop("loader", None) or DataLoader(X, Y, spec["batch"], seed=spec["seed"])
    cbs: list[Any] = [] if strike is None else [strike]
    if folder is not None:
        cbs.append(ModelCheckpoint(folder / "e{epoch}.npz"))
    history = fit(
        model, nn.BCELoss(), opt, loader, epochs=EPOCHS, progress=False, callbacks=cbs, **kw
    )
    return model, history


spec_strategy = st.fixed_dictionaries(
    {
        "sizes": st.lists(st.integers(1, 5), min_size=1, max_size=2).map(lambda h: [3, *h, 1]),
        "dropout": st.booleans(),
        "opt": st.sampled_from(["sgd", "adam"]),
        "m": st.integers(6, 20),
        "batch": st.integers(2, 8),
        "seed": st.integers(0, 2**16),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=spec_strategy, how=st.sampled_from(["ctrl-c", "nan"]), data=st.data())
def test_an_interruption_at_any_batch_keeps_the_history_and_resumes_bit_exactly(
    spec: dict[str, Any], how: str, data: st.DataObject
) -> None:
    batches = -(-spec["m"] // spec["batch"])
    epoch = data.draw(st.integers(1, EPOCHS), label="epoch")
    batch = data.draw(st.integers(0, batches - 1), label="batch")
    straight, full = _run(spec, None, None)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        error = TrainingInterrupted if how == "ctrl-c" else TrainingDivergedError
        with pytest.raises(error) as info:
            _run(spec, folder, Strike((epoch, batch), how))
        stop = info.value
        assert (stop.epoch, stop.batch) == (epoch, batch)
        kept = stop.history
        assert kept.epochs == list(range(1, epoch))
        for key in ("loss", "accuracy"):
            assert kept[key] == full[key][: epoch - 1]
        if epoch == 1:
            return  # nothing was checkpointed yet: the run restarts from scratch
        ckpt = io.load_checkpoint(folder / f"e{epoch - 1}.npz")
        model = ckpt.model
        opt = _opt(spec["opt"], model)
        rng = np.random.default_rng(spec["seed"])
        X = rng.normal(size=(spec["m"], 3))
        loader = DataLoader(X, (X[:, :1] > 0).astype(float), spec["batch"], seed=12345)
        start = resume(ckpt, opt, loader)
        assert start == epoch - 1
        _, rest = _run(spec, None, None, model=model, opt=opt, loader=loader, initial_epoch=start)
        for a, b in zip(model.parameters(), straight.parameters(), strict=True):
            np.testing.assert_array_equal(a.data, b.data)
        assert rest["loss"] == full["loss"][epoch - 1 :]
