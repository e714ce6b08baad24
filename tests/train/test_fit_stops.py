"""What ``fit`` does when the user presses Ctrl-C or training diverges: nothing is lost.

Before: Ctrl-C gave a 24-line KeyboardInterrupt traceback and lost the History; a
diverging run (ReLU + MSE, lr 0.5) raised from inside a layer with a RuntimeWarning,
``EarlyStopping(restore_best_weights=True)`` never restored (``on_train_end`` did not
run) and the History was lost.
"""

from __future__ import annotations

import signal
import threading
import warnings
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.train import (
    Callback,
    EarlyStopping,
    FitState,
    TrainingDivergedError,
    TrainingInterrupted,
    fit,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "raise_signal"), reason="needs raise_signal")


def _data(m: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 3))
    return X, (X[:, :1] + X[:, 1:2] > 0).astype(float)


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())


def _fit_bce(model: nn.Module, X: np.ndarray, Y: np.ndarray, **kwargs: Any) -> Any:
    """``fit`` with BCE, SGD at α = 0.5 and shuffled batches of 8, printing nothing."""
    loader = DataLoader(X, Y, 8, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.5)
    return fit(model, nn.BCELoss(), opt, loader, progress=False, **kwargs)


class Recorder(Callback):
    """Counts batches and notes whether on_train_end ran; can press Ctrl-C at a batch."""

    def __init__(self, press_at: tuple[int, int] | None = None, presses: int = 1) -> None:
        self.press_at, self.presses = press_at, presses
        self.batches = 0
        self.ended = False

    def on_batch_end(self, state: FitState) -> None:
        self.batches += 1
        if (state.epoch, state.batch) == self.press_at:
            for _ in range(self.presses):
                signal.raise_signal(signal.SIGINT)

    def on_train_end(self, state: FitState) -> None:
        self.ended = True


@pytest.mark.parametrize("engine", [True, False])
def test_ctrl_c_stops_after_the_batch_and_keeps_the_history(engine: bool) -> None:
    X, Y = _data()
    model = _net()
    rec = Recorder(press_at=(3, 1))
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(TrainingInterrupted) as info:
        _fit_bce(
            model,
            X,
            Y,
            epochs=10,
            callbacks=[rec],
            engine=engine,
        )
    stop = info.value
    assert (stop.epoch, stop.batch) == (3, 1)
    assert stop.history.epochs == [1, 2] and len(stop.history["loss"]) == 2
    assert rec.ended and rec.batches == 2 * 4 + 2  # the pressed batch finished
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back
    assert "epoch 3, batch 1" in str(stop) and "History" in str(stop)

    # The model holds exactly the 10 updates: the same as 10 steps without interruption.
    again = _net()
    opt = optim.SGD(again.parameters(), lr=0.5)
    count = Recorder()

    class StopAfter(Callback):
        def on_batch_end(self, state: FitState) -> None:
            if count.batches == 10:
                raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        fit(
            again,
            nn.BCELoss(),
            opt,
            DataLoader(X, Y, 8, seed=0),
            epochs=10,
            callbacks=[count, StopAfter()],
            progress=False,
            engine=engine,
        )
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_second_ctrl_c_aborts_at_once_but_still_keeps_the_history() -> None:
    X, Y = _data()
    model = _net()
    rec = Recorder(press_at=(2, 0), presses=2)
    with pytest.raises(TrainingInterrupted) as info:
        _fit_bce(
            model,
            X,
            Y,
            epochs=10,
            callbacks=[rec],
        )
    assert info.value.history.epochs == [1] and rec.ended
    assert not info.value.clean  # cut inside the batch's callbacks


def test_a_keyboard_interrupt_from_anywhere_is_caught_too() -> None:
    class Raise(Callback):
        def on_epoch_end(self, state: FitState) -> None:
            if state.epoch == 2:
                raise KeyboardInterrupt

    X, Y = _data()
    model = _net()
    rec = Recorder()
    with pytest.raises(TrainingInterrupted) as info:
        _fit_bce(
            model,
            X,
            Y,
            epochs=10,
            callbacks=[rec, Raise()],
        )
    assert info.value.history.epochs == [1, 2] and rec.ended
    assert isinstance(info.value, KeyboardInterrupt)  # code that catches Ctrl-C still does


def test_fit_outside_the_main_thread_leaves_signals_alone() -> None:
    X, Y = _data()
    result: list[Any] = []

    def run() -> None:
        model = _net()
        result.append(
            _fit_bce(
                model,
                X,
                Y,
                epochs=2,
            )
        )

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert result and result[0].epochs == [1, 2]


def _diverging() -> tuple[nn.Sequential, optim.SGD, DataLoader]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 4)) * 3
    Y = X @ rng.normal(size=(4, 2)) * 5
    model = nn.Sequential(nn.Linear(4, 16, rng=0), nn.ReLU(), nn.Linear(16, 2, rng=1))
    return model, optim.SGD(model.parameters(), lr=0.5), DataLoader(X, Y, 16, seed=0)


@pytest.mark.parametrize("engine", [True, False])
def test_divergence_stops_keeps_the_history_and_restores_the_best_weights(engine: bool) -> None:
    model, opt, loader = _diverging()
    snapshots: dict[int, list[np.ndarray]] = {}

    class Snap(Callback):
        def on_epoch_end(self, state: FitState) -> None:
            snapshots[state.epoch] = [p.data.copy() for p in state.model.parameters()]

    early = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from numpy on the way
        with pytest.raises(TrainingDivergedError) as info:
            fit(
                model,
                nn.MSELoss(),
                opt,
                loader,
                epochs=50,
                metrics=("loss",),
                callbacks=[Snap(), early],
                progress=False,
                engine=engine,
            )
    stop = info.value
    assert stop.epoch >= 1 and stop.batch >= 0
    assert f"epoch {stop.epoch}, batch {stop.batch}" in str(stop)
    assert any(w in str(stop) for w in ("NaN or inf", "overflow", "not finite"))
    kept = stop.history.epochs
    assert kept == list(range(1, stop.epoch))
    if kept:
        best = int(np.argmin(stop.history["loss"])) + 1
        assert early.best_epoch == best and early.restored_epoch == best
        for p, saved in zip(model.parameters(), snapshots[best], strict=True):
            np.testing.assert_array_equal(p.data, saved)
        assert f"those of epoch {best}, restored by EarlyStopping" in str(stop)


def test_divergence_without_restoring_says_so() -> None:
    model, opt, loader = _diverging()
    with pytest.raises(TrainingDivergedError, match=r"lower the learning rate"):
        fit(model, nn.MSELoss(), opt, loader, epochs=50, metrics=("loss",), progress=False)


def test_non_finite_training_data_is_refused_before_training() -> None:
    X, Y = _data()
    X[5, 2] = np.nan
    model = _net()
    with pytest.raises(
        ValueError, match=r"fit: the training X holds 1 NaN or inf value\(s\), the first in row 5"
    ):
        _fit_bce(
            model,
            X,
            Y,
            epochs=2,
        )


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_log_every_must_be_a_positive_integer(bad: Any) -> None:
    X, Y = _data()
    model = _net()
    with pytest.raises(ValueError, match=rf"fit: log_every={bad!r} must be a positive integer"):
        _fit_bce(
            model,
            X,
            Y,
            epochs=2,
            log_every=bad,
        )


def test_numpy_integers_are_integers_and_bools_are_not() -> None:
    X, Y = _data()
    model = _net()
    h = _fit_bce(
        model,
        X,
        Y,
        epochs=np.int64(3),
        initial_epoch=np.int32(1),
    )
    assert h.epochs == [2, 3]
    with pytest.raises(ValueError, match=r"epochs=True must be an integer"):
        _fit_bce(
            model,
            X,
            Y,
            epochs=True,
        )


def test_an_update_that_makes_a_parameter_non_finite_is_divergence_too(tmp_path: Any) -> None:
    """Before: J of the last batch was finite, its update overflowed Θ to inf, and fit
    returned as if all went well, after ModelCheckpoint had tried to save the inf weights."""
    from minitorch_bp.train import ModelCheckpoint

    X, _ = _data()
    Y = 100.0 * X[:, :1]  # |D| ≫ 1: lr·D overflows Θ to inf; J before the update is finite
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    opt = optim.SGD(model.parameters(), lr=1e308)
    saved = tmp_path / "ep{epoch}.npz"
    with pytest.raises(TrainingDivergedError) as info, warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(
            model,
            nn.MSELoss(),
            opt,
            DataLoader(X, Y, len(X), shuffle=False),
            epochs=3,
            metrics=("loss",),
            callbacks=[ModelCheckpoint(str(saved))],
            progress=False,
        )
    stop = info.value
    assert (stop.epoch, stop.batch) == (1, 0)
    assert "the update made parameter '0.weight' NaN or inf" in str(stop)
    assert "not finite: reload a checkpoint" in str(stop)
    assert stop.history.epochs == [] and not list(tmp_path.iterdir())
