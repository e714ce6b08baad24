"""Monitor: the notes' per-layer quantities, by hand, with the engine and without."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, one_hot
from minitorch_bp.datasets import digits, two_moons
from minitorch_bp.train import Monitor, VanishingGradientWarning, fit
from minitorch_bp.train.monitor import columns


def _digits(n: int = 200) -> tuple[Any, Any]:
    X, y = digits()
    return X[:n] / 16.0, one_hot(y[:n], 10)


def _net(act: type[nn.Module] = nn.Sigmoid, seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(64, 12, rng=rng), act(), nn.Linear(12, 10, rng=rng), nn.Sigmoid()
    )


def test_full_batch_statistics_equal_the_notes_quantities_by_hand() -> None:
    X, Y = _digits()
    m, lam = len(X), 2.0
    twin = _net()
    crit = nn.BCELoss()
    z2 = twin[0](X)
    a2 = twin[1](z2)
    z3 = twin[2](a2)
    a3 = twin[3](z3)
    crit(a3, Y)
    twin.zero_grad()
    twin.backward(crit.backward())
    D1 = np.concatenate(
        [(twin[0].weight.grad + lam / m * twin[0].weight.data).ravel(), twin[0].bias.grad]
    )
    D2 = np.concatenate(
        [(twin[2].weight.grad + lam / m * twin[2].weight.data).ravel(), twin[2].bias.grad]
    )
    model = _net()
    h = fit(
        model,
        crit,
        optim.SGD(model.parameters(), lr=1.0, l2=lam),
        DataLoader(X, Y, m, shuffle=False),
        epochs=1,
        callbacks=[Monitor()],
        progress=False,
    )
    row = h.last()
    np.testing.assert_allclose(row["D_norm(1)"], np.linalg.norm(D1), rtol=1e-12)
    np.testing.assert_allclose(row["D_norm(2)"], np.linalg.norm(D2), rtol=1e-12)
    # δ in the notes' per-example scale: deltas[l] = δ^(l)/m under batchmean
    np.testing.assert_allclose(row["delta_abs(3)"], np.mean(np.abs(twin.deltas[3] * m)), rtol=1e-12)
    np.testing.assert_allclose(row["delta_abs(2)"], np.mean(np.abs(twin.deltas[2] * m)), rtol=1e-12)
    np.testing.assert_allclose(row["a_mean(2)"], a2.mean(), rtol=1e-12)
    np.testing.assert_allclose(row["a_std(2)"], a2.std(), rtol=1e-9)
    # saturated: a(1 − a) < 0.01, documented
    assert row["saturated(3)"] == np.mean(a3 * (1 - a3) < 0.01)
    assert row["saturated(2)"] == np.mean(a2 * (1 - a2) < 0.01)
    assert "dead(2)" not in row  # a sigmoid cannot die


def _mini_batch_run(engine: bool, act: type[nn.Module], every: int | None = None) -> Any:
    X, Y = _digits(300)
    model = _net(act, seed=3)
    monitor = Monitor(every=every)
    h = fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=0.5, l2=1.0, momentum=0.9),
        DataLoader(X, Y, 64, seed=0),
        epochs=3,
        callbacks=[monitor],
        progress=False,
        engine=engine,
    )
    return h, monitor


@pytest.mark.parametrize("act", [nn.Sigmoid, nn.ReLU, nn.Tanh])
def test_the_engine_and_the_plain_layers_give_the_same_numbers(act: type[nn.Module]) -> None:
    (fast, mon_fast), (plain, mon_plain) = (
        _mini_batch_run(True, act, every=2),
        _mini_batch_run(False, act, every=2),
    )
    assert fast.keys() == plain.keys()
    keys = [k for k in list(fast.keys()) if "(" in k]
    assert len(keys) >= 9
    for key in keys:
        np.testing.assert_allclose(fast[key], plain[key], rtol=1e-9, atol=1e-15, err_msg=key)
    assert len(mon_fast.records) == len(mon_plain.records) == 7  # 15 batches, every 2
    for a, b in zip(mon_fast.records, mon_plain.records):
        assert a.keys() == b.keys()
        np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-9, atol=1e-15)


def test_every_k_batches_and_the_epoch_rows_are_means_over_their_batches() -> None:
    X, Y = _digits(300)
    model = _net(seed=1)
    crit = nn.BCELoss()
    opt = optim.SGD(model.parameters(), lr=0.5)
    norms: list[float] = []
    monitor = Monitor(every=2)

    from minitorch_bp.train import Callback

    class Norms(Callback):
        def on_batch_end(self, state: Any) -> None:
            layer = state.model[0]
            norms.append(float(np.sqrt(np.sum(layer.weight.grad**2) + np.sum(layer.bias.grad**2))))

    h = fit(
        model,
        crit,
        opt,
        DataLoader(X, Y, 100, shuffle=False),
        epochs=2,
        callbacks=[monitor, Norms()],
        progress=False,
    )
    assert len(norms) == 6
    np.testing.assert_allclose(h["D_norm(1)"], [np.mean(norms[:3]), np.mean(norms[3:])], rtol=1e-12)
    assert [r["batch"] for r in monitor.records] == [2.0, 4.0, 6.0]
    assert [r["epoch"] for r in monitor.records] == [1.0, 2.0, 2.0]
    np.testing.assert_allclose(
        monitor.series("D_norm")["1"],
        [np.mean(norms[0:2]), np.mean(norms[2:4]), np.mean(norms[4:6])],
        rtol=1e-12,
    )
    assert columns(h, "D_norm") == [("D_norm(1)", "1"), ("D_norm(2)", "2")]


def test_tanh_saturation_is_the_sigmoid_rule_at_2z() -> None:
    X, y = two_moons(100, noise=0.1, seed=0)
    model = nn.Sequential(nn.Linear(2, 6, rng=0), nn.Tanh(), nn.Linear(6, 1, rng=1), nn.Sigmoid())
    model[0].weight.data = model[0].weight.data * 8  # push some units into the tails
    z = model[0](X)
    a = np.tanh(z)
    s = 1 / (1 + np.exp(-2 * z))  # tanh z = 2σ(2z) − 1
    assert np.array_equal(1 - a**2 < 0.04, s * (1 - s) < 0.01)
    h = fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=1e-9),  # lr tiny: the epoch sees these weights
        DataLoader(X, y.reshape(-1, 1).astype(float), 100, shuffle=False),
        epochs=1,
        callbacks=[Monitor()],
        progress=False,
    )
    expected = np.mean(1 - a**2 < 0.04)
    assert 0.1 < expected < 0.9
    assert h["saturated(2)"] == [expected]


def test_a_dead_relu_is_zero_on_every_example_of_the_epoch() -> None:
    X, Y = _digits(300)
    model = _net(nn.ReLU, seed=2)
    model[0].bias.data[:4] = -1e3  # four units can never fire
    pre = X @ model[0].weight.data[4]
    model[0].bias.data[4] = -np.quantile(pre, 0.97)  # fires on few examples: alive
    z = model[0](X)
    assert 0 < np.count_nonzero(z[:, 4] > 0) < 30
    h = fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=1e-9),
        DataLoader(X, Y, 50, shuffle=False),  # unit 4 is off in some whole batches, not all
        epochs=1,
        callbacks=[Monitor()],
        progress=False,
    )
    expected_dead = np.mean(~(z > 0).any(axis=0))
    assert h["dead(2)"] == [expected_dead]
    assert h["dead(2)"][0] >= 4 / 12
    assert "saturated(2)" not in set(h.keys())  # a ReLU does not saturate


def _deep(act: type[nn.Module]) -> nn.Sequential:
    rng = np.random.default_rng(0)
    layers: list[nn.Module] = []
    sizes = [64, 32, 32, 32, 32, 32, 32, 32, 10]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b, rng=rng), nn.Sigmoid() if i == len(sizes) - 2 else act()]
    return nn.Sequential(*layers)


def test_a_vanishing_gradient_warns_once_naming_the_layer() -> None:
    X, Y = _digits()
    model = _deep(nn.Sigmoid)
    with pytest.warns(VanishingGradientWarning, match=r"layer 1 is .* smaller than the last") as w:
        h = fit(
            model,
            nn.BCELoss(),
            optim.SGD(model.parameters(), lr=0.1),
            DataLoader(X, Y, len(X), shuffle=False),
            epochs=3,
            callbacks=[Monitor()],
            progress=False,
        )
    assert len([x for x in w if x.category is VanishingGradientWarning]) == 1
    assert h["D_norm(1)"][0] < 1e-3 * h["D_norm(8)"][0]
    relu = _deep(nn.ReLU)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VanishingGradientWarning)
        h = fit(
            relu,
            nn.BCELoss(),
            optim.SGD(relu.parameters(), lr=0.1),
            DataLoader(X, Y, len(X), shuffle=False),
            epochs=3,
            callbacks=[Monitor()],
            progress=False,
        )
    assert h["D_norm(1)"][0] > 1e-2 * h["D_norm(8)"][0]


def test_a_users_layer_with_parameters_is_named_by_its_position() -> None:
    class Scale(nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.w = nn.Parameter(np.ones((1, n)))

        def forward(self, x: Any) -> Any:
            self.x = x
            return x * self.w.data

        def backward(self, grad_output: Any) -> Any:
            self.w.grad += np.sum(grad_output * self.x, axis=0, keepdims=True)
            return grad_output * self.w.data

    X, Y = _digits(50)
    model = nn.Sequential(Scale(64), nn.Linear(64, 10, rng=0), nn.Sigmoid())
    crit = nn.BCELoss()
    crit(model(X), Y)
    model.zero_grad()
    model.backward(crit.backward())
    expected = np.linalg.norm(model[0].w.grad)
    h = fit(
        model,
        crit,
        optim.SGD(model.parameters(), lr=1e-9),
        DataLoader(X, Y, 50, shuffle=False),
        epochs=1,
        callbacks=[Monitor()],
        progress=False,
    )
    np.testing.assert_allclose(h["D_norm(layer 0)"], [expected], rtol=1e-12)
    assert {"D_norm(1)", "delta_abs(2)"} <= set(h.keys())


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="every=0"):
        Monitor(every=0)
    with pytest.raises(ValueError, match="saturation=2"):
        Monitor(saturation=2)
