"""fit's scikit-learn and PyTorch options: sample_weight, EarlyStopping(mode="sklearn"),
validation_split, schedulers per epoch and per batch, gradient clipping, checkpoints with them."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import io, nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.train import EarlyStopping, FitState, History, ModelCheckpoint, fit, resume
from minitorch_bp.utils import clip_grad_norm_


def _fit(model: nn.Module, opt: optim.Optimizer, loader: DataLoader, **options: Any) -> History:
    """``fit`` with the squared error, quietly, recording the loss."""
    return fit(model, nn.MSELoss(), opt, loader, metrics=("loss",), progress=False, **options)


def _regression(m: int = 30) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 4))
    y = np.sin(X @ np.array([1.0, -0.5, 0.3, 0.8])) + 0.1 * rng.normal(size=m)
    s = rng.uniform(0.2, 3.0, size=m)
    return X, y, s


def _net(seed: int = 0) -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 5, rng=seed), nn.Sigmoid(), nn.Linear(5, 1, rng=seed + 1))


def _sklearn_twin(model: nn.Sequential, X: Any, y: Any, s: Any, **kwargs: Any) -> Any:
    """scikit-learn's MLPRegressor with our model's weights (set after a first partial_fit)."""
    sk = pytest.importorskip("sklearn.neural_network")
    reg = sk.MLPRegressor(
        hidden_layer_sizes=(5,),
        activation="logistic",
        solver="sgd",
        momentum=0.0,
        nesterovs_momentum=False,
        batch_size=len(X),
        shuffle=False,
        learning_rate="constant",
        **kwargs,
    )
    reg.partial_fit(X, y, sample_weight=s)  # builds coefs_, then ours replace them
    reg.coefs_ = [model[0].weight.data.T.copy(), model[2].weight.data.T.copy()]
    reg.intercepts_ = [model[0].bias.data.copy(), model[2].bias.data.copy()]
    reg.loss_curve_, reg.best_loss_, reg._no_improvement_count = [], np.inf, 0
    reg.n_iter_, reg.t_ = 0, 0
    return reg


def test_sample_weight_trains_as_scikit_learns_mlp() -> None:
    """The weighted squared loss, α = λ over m = Σ s (sw_sum): the same weights step by step."""
    X, y, s = _regression()
    model = _net()
    lr, lam = 0.5, 0.7
    reg = _sklearn_twin(model, X, y, s, learning_rate_init=lr, alpha=lam)
    for _ in range(20):
        reg.partial_fit(X, y, sample_weight=s)
    h = _fit(
        model,
        optim.SGD(model.parameters(), lr=lr, l2=lam),
        DataLoader(X, y.reshape(-1, 1), len(X), shuffle=False),
        epochs=20,
        sample_weight=s,
    )
    np.testing.assert_allclose(model[0].weight.data.T, reg.coefs_[0], rtol=1e-12)
    np.testing.assert_allclose(model[2].bias.data, reg.intercepts_[1], rtol=1e-12)
    np.testing.assert_allclose(h["loss"], reg.loss_curve_, rtol=1e-12)


def _sklearn_stop_epoch(curve: list[float], tol: float, n_iter_no_change: int) -> int:
    """Where scikit-learn's own rule (its MLP's method) stops on ``curve``."""
    sk = pytest.importorskip("sklearn.neural_network")
    mlp = sk.MLPRegressor(tol=tol, n_iter_no_change=n_iter_no_change)
    mlp.loss_curve_, mlp.best_loss_, mlp._no_improvement_count = [], np.inf, 0
    for epoch, value in enumerate(curve, start=1):
        mlp.loss_curve_.append(value)
        mlp._update_no_improvement_count(False, None, None, None)
        if mlp._no_improvement_count > mlp.n_iter_no_change:
            return epoch
    return len(curve)


def _our_stop_epoch(curve: list[float], tol: float, n_iter_no_change: int) -> int:
    stop = EarlyStopping("loss", mode="sklearn", tol=tol, n_iter_no_change=n_iter_no_change)
    state = FitState(_net(), nn.MSELoss(), optim.SGD(_net().parameters(), lr=1.0), None, History())  # type: ignore[arg-type]
    stop.on_train_begin(state)
    for epoch, value in enumerate(curve, start=1):
        state.epoch, state.logs = epoch, {"loss": value}
        stop.on_epoch_end(state)
        if state.stop:
            return epoch
    return len(curve)


@pytest.mark.parametrize("seed", range(20))
def test_sklearn_mode_is_scikit_learns_rule_on_any_curve(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # decreasing, then noisy plateaus: the running minimum and tol both matter
    curve = list(np.maximum.accumulate(rng.uniform(0, 1, 80))[::-1] + rng.normal(0, 1e-3, 80))
    tol, n = [1e-4, 1e-3, 0.0, 5e-3][seed % 4], 1 + seed % 5
    assert _our_stop_epoch(curve, tol, n) == _sklearn_stop_epoch(curve, tol, n)


def test_sklearn_mode_stops_fit_where_mlp_regressor_stops() -> None:
    X, y, _ = _regression()
    model = _net(3)
    reg = _sklearn_twin(
        model,
        X,
        y,
        None,
        learning_rate_init=0.2,
        alpha=0.0,
        tol=1e-3,
        n_iter_no_change=4,
        max_iter=500,
    )
    reg.set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it must stop on its rule, not on max_iter
        reg.fit(X, y)
    h = _fit(
        model,
        optim.SGD(model.parameters(), lr=0.2),
        DataLoader(X, y.reshape(-1, 1), len(X), shuffle=False),
        epochs=500,
        callbacks=[EarlyStopping("loss", mode="sklearn", tol=0.001, n_iter_no_change=4)],
    )
    assert h.stopped_epoch == reg.n_iter_ < 500
    np.testing.assert_allclose(h["loss"], reg.loss_curve_, rtol=1e-12)


def test_early_stopping_arguments_of_the_other_mode_are_refused() -> None:
    with pytest.raises(ValueError, match="mode='sklearn' uses n_iter_no_change and tol"):
        EarlyStopping(mode="sklearn", patience=3)
    with pytest.raises(ValueError, match="tol and n_iter_no_change belong to mode='sklearn'"):
        EarlyStopping(tol=0.1)
    with pytest.raises(ValueError, match="n_iter_no_change=0 must be an integer >= 1"):
        EarlyStopping(mode="sklearn", n_iter_no_change=0)


def test_validation_split_holds_out_the_last_rows_as_keras() -> None:
    X, y, _ = _regression(40)
    Y = y.reshape(-1, 1)
    model, twin = _net(), _net()
    h = _fit(
        model,
        optim.SGD(model.parameters(), lr=0.3),
        DataLoader(X, Y, 8, seed=5),
        epochs=3,
        validation_split=0.25,
    )
    expected = _fit(
        twin,
        optim.SGD(twin.parameters(), lr=0.3),
        DataLoader(X[:30], Y[:30], 8, seed=5),
        epochs=3,
        val_data=(X[30:], Y[30:]),
    )
    np.testing.assert_allclose(h["val_loss"], expected["val_loss"], rtol=1e-13)
    np.testing.assert_allclose(h["loss"], expected["loss"], rtol=1e-13)
    with pytest.raises(ValueError, match=r"validation_split=1.5 must be a number in \(0, 1\)"):
        fit(
            model,
            nn.MSELoss(),
            optim.SGD(model.parameters(), lr=0.3),
            DataLoader(X, Y, 8),
            epochs=1,
            validation_split=1.5,
        )
    with pytest.raises(ValueError, match="give val_data or validation_split, not both"):
        fit(
            model,
            nn.MSELoss(),
            optim.SGD(model.parameters(), lr=0.3),
            DataLoader(X, Y, 8),
            epochs=1,
            validation_split=0.2,
            val_data=(X, Y),
        )


def test_shuffled_batches_carry_their_sample_weights() -> None:
    """Weights of 2 are the example twice: the weighted batches are the loader's own batches."""
    X, y, _ = _regression(12)
    Y = y.reshape(-1, 1)
    s = np.ones(12)
    a, b = _net(), _net()
    ha = _fit(
        a, optim.SGD(a.parameters(), lr=0.3), DataLoader(X, Y, 4, seed=1), epochs=3, sample_weight=s
    )
    hb = _fit(b, optim.SGD(b.parameters(), lr=0.3), DataLoader(X, Y, 4, seed=1), epochs=3)
    np.testing.assert_allclose(ha["loss"], hb["loss"], rtol=1e-13)
    with pytest.raises(ValueError, match=r"sample_weight has shape \(5,\).*expected 12"):
        fit(
            a,
            nn.MSELoss(),
            optim.SGD(a.parameters(), lr=0.3),
            DataLoader(X, Y, 4),
            epochs=1,
            sample_weight=np.ones(5),
        )


def test_a_per_batch_scheduler_steps_after_every_batch() -> None:
    X, y, _ = _regression(40)
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, max_lr=0.5, epochs=3, steps_per_epoch=5)
    _fit(model, opt, DataLoader(X, y.reshape(-1, 1), 8, seed=0), epochs=3, scheduler=sched)
    assert sched.last_epoch == 15 and sched.interval == "batch"
    epochs = optim.StepLR(optim.SGD(model.parameters(), lr=1.0), step_size=1, gamma=0.5)
    _fit(model, epochs.optimizer, DataLoader(X, y.reshape(-1, 1), 8), epochs=3, scheduler=epochs)
    assert epochs.last_epoch == 3 and epochs.optimizer.lr == 0.125


def test_reduce_on_plateau_gets_the_monitored_value() -> None:
    X, y, _ = _regression(20)
    Y = y.reshape(-1, 1)
    model = _net()
    opt = optim.SGD(model.parameters(), lr=1e-9)  # no progress: a plateau from the start
    sched = optim.ReduceLROnPlateau(opt, patience=1, factor=0.5, eps=0.0)
    h = _fit(model, opt, DataLoader(X, Y, 20, shuffle=False), epochs=6, scheduler=sched)
    # each epoch improves by less than the threshold (1e-4 relative): a plateau, halved twice
    assert sched.best == h["loss"][0] and opt.lr == pytest.approx(0.25e-9)
    bad = optim.ReduceLROnPlateau(opt, monitor="val_loss")
    with pytest.raises(ValueError, match="ReduceLROnPlateau monitors 'val_loss'"):
        _fit(model, opt, DataLoader(X, Y, 20), epochs=1, scheduler=bad)


def test_clip_grad_norm_in_fit_is_clipping_in_the_five_line_loop() -> None:
    X, y, _ = _regression(16)
    Y = 10 * y.reshape(-1, 1)
    model, twin = _net(), _net()
    _fit(
        model,
        optim.SGD(model.parameters(), lr=0.1),
        DataLoader(X, Y, 16),
        epochs=5,
        clip_grad_norm=0.3,
    )
    opt, crit = optim.SGD(twin.parameters(), lr=0.1), nn.MSELoss()
    for _ in range(5):
        opt.zero_grad()
        crit(twin(X), Y)
        twin.backward(crit.backward())
        clip_grad_norm_(twin.parameters(), 0.3)
        opt.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12)


def test_fit_refuses_a_loss_without_a_number() -> None:
    X, y, _ = _regression(8)
    model = _net()
    with pytest.raises(ValueError, match="fit: MSELoss has reduction='none'"):
        fit(
            model,
            nn.MSELoss(reduction="none"),
            optim.SGD(model.parameters(), lr=0.1),
            DataLoader(X, y.reshape(-1, 1), 4),
            epochs=1,
        )


def test_checkpoint_keeps_groups_and_scheduler_and_resumes_bit_for_bit(tmp_path: Path) -> None:
    X, y, _ = _regression(24)
    Y = y.reshape(-1, 1)

    def make(model: nn.Sequential) -> tuple[optim.Optimizer, Any]:
        ps = model.parameters()
        opt = optim.Adam(
            [{"params": ps[:2], "lr": 0.02}, {"params": ps[2:]}], lr=0.05, amsgrad=True
        )
        warm = optim.LinearLR(opt, start_factor=0.2, total_iters=3)
        return opt, optim.SequentialLR(opt, [warm, optim.ExponentialLR(opt, 0.8)], milestones=[3])

    straight = _net()
    opt, sched = make(straight)
    _fit(straight, opt, DataLoader(X, Y, 8, seed=2), epochs=6, scheduler=sched)

    first = _net()
    opt1, sched1 = make(first)
    path = tmp_path / "ckpt-{epoch}.npz"
    _fit(
        first,
        opt1,
        DataLoader(X, Y, 8, seed=2),
        epochs=3,
        scheduler=sched1,
        callbacks=[ModelCheckpoint(path)],
    )
    ckpt = io.load_checkpoint(tmp_path / "ckpt-3.npz")
    assert ckpt.scheduler_state is not None and ckpt.scheduler_state["type"] == "SequentialLR"
    model = ckpt.model
    opt2, sched2 = make(model)
    loader = DataLoader(X, Y, 8, seed=99)
    start = resume(ckpt, opt2, loader, sched2)
    _fit(model, opt2, loader, epochs=6, initial_epoch=start, scheduler=sched2)
    for p, q in zip(straight.parameters(), model.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_a_checkpoint_of_an_optimizer_over_the_last_layer_loads(tmp_path: Path) -> None:
    """Fine-tuning: the optimizer holds a subset of the model's parameters."""
    model = _net()
    model[0].requires_grad_(False)
    opt = optim.SGD(model[2].parameters(), lr=0.1, momentum=0.9)
    X, y, _ = _regression(8)
    _fit(model, opt, DataLoader(X, y.reshape(-1, 1), 8), epochs=2)
    io.save(model, tmp_path / "m.npz", optimizer=opt)
    ckpt = io.load_checkpoint(tmp_path / "m.npz")
    fresh = optim.SGD(ckpt.model[2].parameters(), lr=1.0, momentum=0.9)
    assert ckpt.optimizer_state is not None
    fresh.load_state_dict(ckpt.optimizer_state)
    assert fresh.lr == 0.1
