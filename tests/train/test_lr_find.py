"""lr_find: fastai's sweep, the model restored, a suggestion near the best fixed learning rate."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.datasets import digits
from minitorch_bp.train import fit, lr_find


def _problem() -> tuple[Any, Any]:
    X, y = digits()
    return X / 16.0, y


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=1))


def test_the_suggestion_is_within_a_factor_3_of_the_best_fixed_lr() -> None:
    X, y = _problem()
    model = _net()
    result = lr_find(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        DataLoader(X, y, 32, seed=0),
    )
    final = {}
    for lr in np.logspace(
        -3, 1.5, 19
    ):  # the sweep: each fixed lr trained 3 epochs from the same start
        m = _net()
        h = fit(
            m,
            nn.CrossEntropyLoss(),
            optim.SGD(m.parameters(), lr=float(lr)),
            DataLoader(X, y, 32, seed=0),
            epochs=3,
            progress=False,
            metrics=("loss",),
        )
        final[lr] = h["loss"][-1] if np.isfinite(h["loss"][-1]) else np.inf
    best = min(final, key=final.__getitem__)
    assert best / 3 <= result.suggestion <= best * 3, (result.suggestion, best)


def test_the_sweep_is_exponential_smoothed_and_stops_on_divergence() -> None:
    X, y = _problem()
    model = _net()
    result = lr_find(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        DataLoader(X, y, 32, seed=0),
        end_lr=1e4,
        num_iter=200,
    )
    assert result.stopped_early and len(result.lrs) < 200
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, (1e4 / 1e-7) ** (1 / 199), rtol=1e-12)
    assert result.lrs[0] == 1e-7
    avg = 0.0
    for i, J in enumerate(result.losses):  # bias-corrected EMA, beta 0.98
        avg = 0.98 * avg + 0.02 * J
        assert result.smoothed[i] == pytest.approx(avg / (1 - 0.98 ** (i + 1)), rel=1e-12)
    assert result.smoothed[-1] > 4 * result.smoothed[:-1].min()


def test_the_model_optimizer_and_loader_are_restored() -> None:
    X, y = _problem()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(X, y, 32, seed=0)
    twin, twin_opt, twin_loader = _net(), None, DataLoader(X, y, 32, seed=0)
    twin_opt = optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    before = model.state_dict()
    lr_find(model, nn.CrossEntropyLoss(), opt, loader, num_iter=50)
    assert opt.lr == 0.05
    for k, v in before.items():
        np.testing.assert_array_equal(model.state_dict()[k], v)
    # training after the sweep is exactly training without it
    h1 = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, progress=False)
    h2 = fit(twin, nn.CrossEntropyLoss(), twin_opt, twin_loader, epochs=1, progress=False)
    assert h1["loss"] == h2["loss"]


def test_bad_arguments_are_refused() -> None:
    X, y = _problem()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="end_lr=1e-08 must exceed start_lr=1e-07"):
        lr_find(model, nn.CrossEntropyLoss(), opt, DataLoader(X, y, 32), end_lr=1e-8)
    with pytest.raises(ValueError, match="num_iter=1"):
        lr_find(model, nn.CrossEntropyLoss(), opt, DataLoader(X, y, 32), num_iter=1)
