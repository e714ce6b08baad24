"""fit(report=...): one self-contained HTML report, its path checked before training."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, one_hot
from minitorch_bp.datasets import digits, study_sleep, two_moons
from minitorch_bp.train import Monitor, fit


def _digits_run(path: Path, **kwargs: Any) -> Any:
    X, y = digits()
    X, Y = X[:300] / 16.0, one_hot(y[:300], 10)
    model = nn.Sequential(
        nn.Linear(64, 16, rng=0), nn.Sigmoid(), nn.Linear(16, 10, rng=1), nn.Sigmoid()
    )
    return fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=2.0, l2=1.0),
        DataLoader(X, Y, 100, seed=0),
        epochs=5,
        val_data=(X[:50], Y[:50]),
        progress=False,
        report=path,
        **kwargs,
    )


def test_the_report_holds_every_section_in_one_offline_file(tmp_path: Path) -> None:
    path = tmp_path / "run.html"
    h = _digits_run(path)
    page = path.read_text(encoding="utf-8")
    for section in (
        "Summary",
        "Model",
        "Hyper-parameters",
        "Curves",
        "Inside the network (Monitor)",
        "Confusion matrix",
        "Hidden units",
        "Network",
    ):
        assert f"<h2>{section}</h2>" in page, section
    assert "Decision boundary" not in page  # 64 inputs: no plane to draw
    # nothing to fetch: no external script, style sheet or image
    assert not re.search(r"<(script|img|link)[^>]+(src|href)=\"(?!data:)", page)
    # curves; ‖D‖, |δ|, saturated, mean a (sigmoids cannot die); confusion, hidden units, network
    assert page.count('src="data:image/png;base64,') == 1 + 4 + 3
    assert "SGD(lr=2.0, l2=1.0)" in page and "Linear(in_features=64, out_features=16" in page
    assert f"{h['loss'][-1]:.6g}" in page
    assert "D_norm(1)" in set(h.keys())  # a Monitor was added for the report


def test_the_path_is_checked_before_training(tmp_path: Path) -> None:
    epochs: list[int] = []
    with pytest.raises(ValueError, match="does not exist"):
        _digits_run(tmp_path / "missing" / "run.html", callbacks=[lambda e, logs: epochs.append(e)])
    with pytest.raises(ValueError, match="is a folder"):
        _digits_run(tmp_path, callbacks=[lambda e, logs: epochs.append(e)])
    assert epochs == []


def test_a_given_monitor_is_used_and_a_regression_has_no_confusion_matrix(tmp_path: Path) -> None:
    X, y = study_sleep()
    model = nn.Sequential(
        nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid()
    )
    monitor = Monitor()
    fit(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=2.0),
        DataLoader(X, y, 3, shuffle=False),
        epochs=20,
        metrics=("loss",),
        callbacks=[monitor],
        progress=False,
        report=tmp_path / "r.html",
    )
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert len(monitor.records) == 20
    assert "Confusion matrix" not in page and "<h2>Curves</h2>" in page


def test_two_inputs_get_a_decision_boundary(tmp_path: Path) -> None:
    X, y = two_moons(80, noise=0.1, seed=0)
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    fit(
        model,
        nn.BCELoss(),
        optim.SGD(model.parameters(), lr=1.0),
        DataLoader(X, y.reshape(-1, 1).astype(float), 80),
        epochs=3,
        progress=False,
        report=tmp_path / "m.html",
    )
    assert "<h2>Decision boundary</h2>" in (tmp_path / "m.html").read_text(encoding="utf-8")
