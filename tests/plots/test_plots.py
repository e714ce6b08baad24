"""minitorch_bp.plots: every function returns a Figure whose artists hold the expected data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from minitorch_bp import nn, optim, plots  # noqa: E402
from minitorch_bp.data import DataLoader, one_hot  # noqa: E402
from minitorch_bp.datasets import digits, two_moons  # noqa: E402
from minitorch_bp.train import Monitor, confusion_matrix, fit, lr_find, predict  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def _moons() -> tuple[Any, Any, nn.Sequential, Any]:
    X, y = two_moons(120, noise=0.15, seed=0)
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    h = fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=1.0),
        DataLoader(X, y.reshape(-1, 1).astype(float), 40, seed=0),
        epochs=15,
        val_data=(X[:30], y[:30].reshape(-1, 1).astype(float)),
        callbacks=[Monitor()],
        progress=False,
    )
    return X, y, model, h


def test_history_draws_the_loss_and_accuracy_curves() -> None:
    _, _, _, h = _moons()
    fig = plots.history(h)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    lines = {line.get_label(): line for ax in fig.axes for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["loss"].get_xdata(), h.epochs)
    np.testing.assert_array_equal(lines["loss"].get_ydata(), h["loss"])
    np.testing.assert_array_equal(lines["val loss"].get_ydata(), h["val_loss"])
    np.testing.assert_array_equal(lines["accuracy"].get_ydata(), h["accuracy"])
    fig2, ax = plt.subplots()
    assert plots.history(h, ax=ax) is fig2  # into the caller's axes, accuracy on a twin
    assert len(fig2.axes) == 2


def test_gradient_flow_has_one_line_per_layer_with_the_monitor_values() -> None:
    _, _, _, h = _moons()
    fig = plots.gradient_flow(h)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [r"$\Theta^{(1)}$", r"$\Theta^{(2)}$"]
    np.testing.assert_array_equal(lines[0].get_ydata(), h["D_norm(1)"])
    assert ax.get_yscale() == "log"
    fig = plots.gradient_flow(h, "saturated")
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["$a^{(2)}$", "$a^{(3)}$"]
    with pytest.raises(ValueError, match="stat='norm' must be one of"):
        plots.gradient_flow(h, "norm")


def test_gradient_flow_from_a_monitor_every_k_batches() -> None:
    X, y = two_moons(120, noise=0.15, seed=0)
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    monitor = Monitor(every=2)
    fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=1.0),
        DataLoader(X, y.reshape(-1, 1).astype(float), 20, seed=0),
        epochs=2,
        callbacks=[monitor],
        progress=False,
    )
    fig = plots.gradient_flow(monitor, "delta_abs")
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(lines[0].get_xdata(), [2, 4, 6, 8, 10, 12])
    np.testing.assert_array_equal(lines[0].get_ydata(), monitor.series("delta_abs")["2"])


def test_hidden_units_shows_each_units_weights_as_an_image() -> None:
    X, y = digits()
    model = nn.Sequential(
        nn.Linear(64, 25, rng=0), nn.Sigmoid(), nn.Linear(25, 10, rng=1), nn.Sigmoid()
    )
    fig = plots.hidden_units(model)
    image = fig.axes[0].get_images()[0].get_array()
    assert image.shape == (5 * 9 - 1, 5 * 9 - 1)
    W = model[0].weight.data
    for j in (0, 7, 24):
        r, c = divmod(j, 5)
        tile = image[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8]
        np.testing.assert_allclose(tile, W[j].reshape(8, 8) / np.abs(W[j]).max())
    assert np.ma.is_masked(image[8, 0]) or np.isnan(image[8, 0])  # the gap between tiles
    with pytest.raises(ValueError, match="not a square image"):
        plots.hidden_units(np.ones((3, 10)))


def test_confusion_matrix_holds_the_counts() -> None:
    X, y, model, _ = _moons()
    pred = predict(model, X)
    C = confusion_matrix(y, pred)
    fig = plots.confusion_matrix(y, pred)
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), C)
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(C.ravel().tolist())
    assert f"{np.trace(C) / C.sum():.1%} correct" in ax.get_title()


def test_decision_boundary_colours_the_plane_by_the_predicted_class() -> None:
    X, y, model, _ = _moons()
    fig = plots.decision_boundary(model, X, y, resolution=50)
    ax = fig.axes[0]
    grid = ax.get_images()[0].get_array()
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 50), np.linspace(lo[1], hi[1], 50))
    expected = predict(model, np.column_stack([gx.ravel(), gy.ravel()])).reshape(50, 50)
    np.testing.assert_array_equal(grid, expected)
    points = next(c for c in ax.collections if isinstance(c, PathCollection))
    np.testing.assert_allclose(points.get_offsets(), X)


def test_decision_boundary_with_a_panel_per_hidden_unit() -> None:
    X, y, model, _ = _moons()
    fig = plots.decision_boundary(model, X, y, hidden_units=True, resolution=30)
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 1 + 4
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 30), np.linspace(lo[1], hi[1], 30))
    a2 = np.tanh(model[0](np.column_stack([gx.ravel(), gy.ravel()])))
    np.testing.assert_allclose(panels[3].get_images()[0].get_array(), a2[:, 2].reshape(30, 30))
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="needs 5 axes; ax gives 2"):
        plots.decision_boundary(model, X, y, hidden_units=True, ax=axes)


def test_network_edges_are_as_wide_as_the_weights_and_the_gradients() -> None:
    X, y, model, _ = _moons()
    fig = plots.network(model, l2=0.0)
    weights_ax, grads_ax = fig.axes
    collections = [c for c in weights_ax.collections if isinstance(c, LineCollection)]
    assert [len(c.get_segments()) for c in collections] == [2 * 4, 4 * 1]
    W = [model[0].weight.data, model[2].weight.data]
    peak = max(np.abs(w).max() for w in W)
    for c, w in zip(collections, W):
        np.testing.assert_allclose(c.get_linewidths(), 0.15 + 3.5 * np.abs(w).ravel() / peak)
    grad_collections = [c for c in grads_ax.collections if isinstance(c, LineCollection)]
    G = [model[0].weight.grad, model[2].weight.grad]
    gpeak = max(np.abs(g).max() for g in G)
    np.testing.assert_allclose(
        grad_collections[1].get_linewidths(), 0.15 + 3.5 * np.abs(G[1]).ravel() / gpeak
    )


def test_lr_find_plot_shows_the_sweep_and_the_suggestion() -> None:
    X, y = two_moons(200, noise=0.1, seed=0)
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 1, rng=1), nn.Sigmoid())
    result = lr_find(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=0.1),
        DataLoader(X, y.reshape(-1, 1).astype(float), 16, seed=0),
    )
    fig = result.plot()
    ax = fig.axes[0]
    raw, smooth, vline = ax.get_lines()
    np.testing.assert_array_equal(raw.get_xdata(), result.lrs)
    np.testing.assert_array_equal(smooth.get_ydata(), result.smoothed)
    assert vline.get_xdata()[0] == result.suggestion
    assert ax.get_xscale() == "log"


def test_the_core_does_not_import_matplotlib() -> None:
    import subprocess
    import sys

    code = (
        "import sys, minitorch_bp, minitorch_bp.train, minitorch_bp.explain;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_hot_targets_are_accepted() -> None:
    X, y, model, _ = _moons()
    fig = plots.decision_boundary(model, X, one_hot(y, 2)[:, 1:], resolution=20)
    assert isinstance(fig, Figure)
