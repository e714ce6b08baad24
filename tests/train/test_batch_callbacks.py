"""Per-batch callbacks: on_batch_begin / on_batch_end with the batch index and loss."""

from __future__ import annotations

from typing import Any

import numpy as np

from minitorch_bp import nn, optim, train
from minitorch_bp.data import DataLoader, one_hot
from minitorch_bp.datasets import two_moons
from minitorch_bp.train import Callback, FitState, LambdaCallback, fit


def _setup() -> tuple[Any, Any, nn.Sequential]:
    X, y = two_moons(70, noise=0.1, seed=0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(2, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng), nn.Sigmoid()
    )
    return X, one_hot(y, 2), model


def test_batch_hooks_see_each_batch_its_size_and_its_loss() -> None:
    X, Y, model = _setup()
    seen: list[tuple[str, int, int, float]] = []

    class Spy(Callback):
        def on_batch_begin(self, state: FitState) -> None:
            seen.append(("begin", state.epoch, state.batch, state.batch_size))

        def on_batch_end(self, state: FitState) -> None:
            seen.append(("end", state.epoch, state.batch, state.batch_loss))

    opt = optim.SGD(model.parameters(), lr=0.5, l2=0.5)
    h = fit(
        model,
        nn.BCELoss(),
        opt,
        DataLoader(X, Y, 32, shuffle=False),
        epochs=2,
        callbacks=[Spy()],
        progress=False,
    )
    begins = [s for s in seen if s[0] == "begin"]
    ends = [s for s in seen if s[0] == "end"]
    assert [(e, b, size) for _, e, b, size in begins] == [
        (1, 0, 32),
        (1, 1, 32),
        (1, 2, 6),
        (2, 0, 32),
        (2, 1, 32),
        (2, 2, 6),
    ]
    # the epoch's loss is the size-weighted mean of its batches' J(Θ)
    for epoch in (1, 2):
        losses = [loss for _, e, _, loss in ends if e == epoch]
        np.testing.assert_allclose(h["loss"][epoch - 1], np.average(losses, weights=[32, 32, 6]))


def test_batch_loss_is_the_steps_J_before_the_update() -> None:
    X, Y, model = _setup()
    twin = _setup()[2]
    crit = nn.BCELoss()
    step = train.compile_step(twin, crit, optim.SGD(twin.parameters(), lr=0.5))
    expected = [step(X[i : i + 35], Y[i : i + 35]) for i in (0, 35)]
    losses: list[float] = []
    fit(
        model,
        crit,
        optim.SGD(model.parameters(), lr=0.5),
        DataLoader(X, Y, 35, shuffle=False),
        epochs=1,
        progress=False,
        callbacks=[LambdaCallback(on_batch_end=lambda b, logs: losses.append(logs["loss"]))],
    )
    np.testing.assert_allclose(losses, expected, rtol=1e-12)


def test_a_batch_function_can_stop_training_after_its_epoch() -> None:
    X, Y, model = _setup()
    calls: list[int] = []

    def stop_at_second(batch: int, logs: dict[str, float]) -> bool:
        calls.append(batch)
        return logs["epoch"] == 2 and batch == 0

    h = fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=0.5),
        DataLoader(X, Y, 35, shuffle=False),
        epochs=5,
        progress=False,
        callbacks=[LambdaCallback(on_batch_end=stop_at_second)],
    )
    assert h.epochs == [1, 2] and h.stopped_epoch == 2
    assert calls == [0, 1, 0, 1]


def test_only_callbacks_that_use_batches_are_called_per_batch() -> None:
    class EpochOnly(Callback):
        def on_epoch_end(self, state: FitState) -> None:
            pass

    class PerBatch(Callback):
        def on_batch_end(self, state: FitState) -> None:
            pass

    assert not EpochOnly().uses_batches()
    assert PerBatch().uses_batches()
    assert not LambdaCallback(lambda e, logs: None).uses_batches()
    assert LambdaCallback(on_batch_begin=lambda b, logs: None).uses_batches()


def test_a_callbacks_epoch_values_go_into_the_history_row_but_not_the_log_line(
    capsys: Any,
) -> None:
    X, Y, model = _setup()

    class Extra(Callback):
        def epoch_values(self, state: FitState) -> dict[str, float]:
            return {"twice_loss": 2 * state.logs["loss"]}

    h = fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=0.5),
        DataLoader(X, Y, 70, shuffle=False),
        epochs=2,
        callbacks=[Extra()],
    )
    np.testing.assert_allclose(h["twice_loss"], 2 * np.array(h["loss"]))
    out = capsys.readouterr().out
    assert "twice_loss" not in out and "loss" in out
