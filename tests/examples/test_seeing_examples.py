"""The examples of "Seeing backprop": the vanishing gradient and every figure."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> str:
    monkeypatch.setattr(sys, "argv", [name, *argv])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


def test_vanishing_gradient(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    out = _run(
        "vanishing_gradient.py",
        monkeypatch,
        capsys,
        "--epochs",
        "3",
        "--out",
        str(tmp_path / "v.png"),
    )
    lines = {line.split(":")[0].strip(): line for line in out.splitlines() if "‖D^(1)‖" in line}
    sigmoid = float(lines["sigmoid"].split("= ")[1].split()[0])
    relu = float(lines["ReLU"].split("= ")[1].split()[0])
    assert sigmoid < 1e-3 < 1e-2 < relu
    assert "warned" in lines["sigmoid"] and "no warning" in lines["ReLU"]
    assert (tmp_path / "v.png").stat().st_size > 10_000


def test_seeing_backprop_draws_every_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    out = _run(
        "seeing_backprop.py", monkeypatch, capsys, "--out-dir", str(tmp_path), "--epochs", "50"
    )
    names = {p.name for p in tmp_path.glob("*.png")}
    assert names == {
        "history.png",
        "gradient_flow.png",
        "saturated.png",
        "hidden_units.png",
        "confusion_matrix.png",
        "decision_boundary.png",
        "network.png",
        "lr_find.png",
    }
    assert "lr_find: suggestion" in out
