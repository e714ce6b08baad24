"""fit: the loss it records, callbacks, closures, schedulers, logging and exact resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn, optim
from minitorch_bp.data import DataLoader, one_hot
from minitorch_bp.datasets import two_moons
from minitorch_bp.train import EarlyStopping, History, ModelCheckpoint, fit, resume


def _net(seed: int = 0, hidden: int = 4) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(2, hidden, rng=rng), nn.Sigmoid(), nn.Linear(hidden, 2, rng=rng), nn.Sigmoid()
    )


def _data() -> tuple[Any, Any]:
    X, y = two_moons(60, noise=0.1, seed=1)
    return X, one_hot(y, 2)


def test_full_batch_loss_is_the_notes_J_before_each_step() -> None:
    X, Y = _data()
    model, crit = _net(), nn.BCELoss()
    opt = optim.SGD(model.parameters(), lr=1.0, l2=2.0)
    expected = []
    twin = _net()
    twin_opt = optim.SGD(twin.parameters(), lr=1.0, l2=2.0)
    for _ in range(3):
        expected.append(crit(twin(X), Y) + nn.l2_penalty(twin, 2.0, len(X)))
        twin_opt.zero_grad()
        twin.backward(crit.backward())
        twin_opt.step(m=len(X))
    h = fit(model, crit, opt, DataLoader(X, Y, len(X), shuffle=False), epochs=3, progress=False)
    np.testing.assert_allclose(h["loss"], expected, rtol=1e-12)
    # the engine fuses δ^(L) = a − y and sums the bias gradient as δᵀ1: equal to rounding
    np.testing.assert_allclose(model[0].theta, twin[0].theta, rtol=1e-13, atol=1e-15)
    assert h.epochs == [1, 2, 3]
    assert 0.0 <= h["accuracy"][-1] <= 1.0
    plain = _net()
    fit(
        plain,
        crit,
        optim.SGD(plain.parameters(), lr=1.0, l2=2.0),
        DataLoader(X, Y, len(X), shuffle=False),
        epochs=3,
        progress=False,
        engine=False,
    )
    np.testing.assert_array_equal(plain[0].theta, twin[0].theta)  # the plain layers: bit for bit


def test_val_metrics_and_history_files(tmp_path: Path) -> None:
    X, Y = _data()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=2.0)
    h = fit(
        model,
        nn.BCELoss(),
        opt,
        DataLoader(X, Y, 16, seed=0),
        epochs=4,
        val_data=(X, Y),
        progress=False,
    )
    assert h.keys() == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    crit = nn.BCELoss()
    assert h["val_loss"][-1] == pytest.approx(crit(model(X), Y))
    h.to_csv(tmp_path / "h.csv")
    back = History.read_csv(tmp_path / "h.csv")
    assert back.rows == h.rows
    h.to_json(tmp_path / "h.json")
    assert '"val_accuracy"' in (tmp_path / "h.json").read_text()


def test_log_lines_when_not_a_tty(capsys: pytest.CaptureFixture[str]) -> None:
    X, Y = _data()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=1.0)
    fit(model, nn.BCELoss(), opt, DataLoader(X, Y, 60, shuffle=False), epochs=5, log_every=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("/")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 4", "epoch 5"]
    assert "loss" in lines[0] and "accuracy" in lines[0]
    fit(model, nn.BCELoss(), opt, DataLoader(X, Y, 60), epochs=2, progress=False)
    assert capsys.readouterr().out == ""


def test_early_stopping_restores_the_best_weights() -> None:
    X, Y = _data()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=3.0)
    seen: dict[int, Any] = {}

    def record(epoch: int, logs: dict[str, float]) -> None:
        seen[epoch] = model.state_dict()

    # a validation set with flipped labels gets worse as training improves
    stop = EarlyStopping("val_loss", patience=2)
    h = fit(
        model,
        nn.BCELoss(),
        opt,
        DataLoader(X, Y, 60, shuffle=False),
        epochs=50,
        val_data=(X, 1.0 - Y),
        callbacks=[stop, record],
        progress=False,
    )
    assert h.stopped_epoch is not None and h.stopped_epoch < 50
    assert h.best_epoch == stop.best_epoch
    assert h.stopped_epoch == stop.best_epoch + 2
    np.testing.assert_array_equal(model.state_dict()["0.weight"], seen[stop.best_epoch]["0.weight"])


def test_user_callback_can_stop_and_scheduler_steps_once_per_epoch() -> None:
    X, Y = _data()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=1.0)

    class Halve:
        def __init__(self) -> None:
            self.calls = 0

        def step(self) -> None:
            self.calls += 1
            opt.lr /= 2

    sched = Halve()
    h = fit(
        model,
        nn.BCELoss(),
        opt,
        DataLoader(X, Y, 20),
        epochs=10,
        callbacks=[lambda epoch, logs: epoch == 3],
        scheduler=sched,
        progress=False,
    )
    assert h.epochs == [1, 2, 3] and sched.calls == 3 and opt.lr == 0.125


def test_closure_optimizers_get_a_closure() -> None:
    X, Y = _data()
    model = _net()

    class ClosureSGD(optim.SGD):
        requires_closure = True
        values: list[float] = []  # noqa: RUF012

        def step(self, closure: Any = None, *, m: int | None = None) -> float | None:
            assert closure is not None and m == 60
            self.values.append(closure())
            return super().step(m=m)

    opt = ClosureSGD(model.parameters(), lr=1.0)
    h = fit(
        model,
        nn.BCELoss(),
        opt,
        DataLoader(X, Y, 60, shuffle=False),
        epochs=3,
        metrics=("loss",),
        progress=False,
    )
    assert h["loss"] == pytest.approx(opt.values)
    assert h.keys() == ["epoch", "loss"]


def test_bad_arguments_are_clear() -> None:
    X, Y = _data()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=1.0)
    loader = DataLoader(X, Y, 10)
    with pytest.raises(ValueError, match="unknown metrics"):
        fit(model, nn.BCELoss(), opt, loader, epochs=1, metrics=("f1",))
    with pytest.raises(ValueError, match="regression"):
        fit(model, nn.MSELoss(), opt, DataLoader(X, Y * 0.5, 10), epochs=1)
    with pytest.raises(ValueError, match="monitor='val_loss'"):
        fit(model, nn.BCELoss(), opt, loader, epochs=1, callbacks=[EarlyStopping()], progress=False)


def test_resume_from_checkpoint_is_bit_for_bit(tmp_path: Path) -> None:
    X, Y = _data()
    model = _net(3)
    opt = optim.SGD(model.parameters(), lr=2.0, l2=0.5)
    fit(model, nn.BCELoss(), opt, DataLoader(X, Y, 8, seed=7), epochs=6, progress=False)

    first = _net(3)
    opt1 = optim.SGD(first.parameters(), lr=2.0, l2=0.5)
    ckpt_cb = ModelCheckpoint(tmp_path / "ep{epoch}.npz")
    fit(
        first,
        nn.BCELoss(),
        opt1,
        DataLoader(X, Y, 8, seed=7),
        epochs=3,
        callbacks=[ckpt_cb],
        progress=False,
    )
    assert ckpt_cb.saved[-1].endswith("ep3.npz")

    ckpt = io.load_checkpoint(tmp_path / "ep3.npz")
    resumed = ckpt.model
    opt2 = optim.SGD(resumed.parameters(), lr=99.0)
    loader = DataLoader(X, Y, 8, seed=12345)
    start = resume(ckpt, opt2, loader)
    assert start == 3 and opt2.lr == 2.0 and opt2.l2 == 0.5
    h = fit(resumed, nn.BCELoss(), opt2, loader, epochs=6, initial_epoch=start, progress=False)
    assert h.epochs == [4, 5, 6]
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value)


def test_on_a_terminal_the_logged_epochs_bars_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    import io as _io
    import sys

    class Terminal(_io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stdout", term)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), (rng.uniform(size=(40, 1)) < 0.5).astype(float)
    model = nn.Sequential(
        nn.Linear(3, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=1), nn.Sigmoid()
    )
    opt = optim.SGD(model.parameters(), lr=0.5)
    fit(model, nn.BCELoss(), opt, DataLoader(X, Y, 8, seed=0), epochs=6, log_every=3)
    screen = term.getvalue()
    # tqdm redraws a bar with "\r"; a bar that is left ends with a newline.
    left = [line.rsplit("\r", 1)[-1] for line in screen.split("\n") if line.strip()]
    assert [line.split(":")[0] for line in left] == ["epoch 1/6", "epoch 3/6", "epoch 6/6"]
    assert all("loss=" in line and "acc=" in line for line in left)
