"""Smoke test of examples/compare_optimizers.py: its printed table, in the fast mode."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "compare_optimizers.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_optimizers", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_smoke_run_prints_falling_costs(capsys: pytest.CaptureFixture[str]) -> None:
    example = load_example()
    assert example.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^(\w+)\s+(\d+|end)\s+([\d.]+)\s+([\d.]+)%", out, flags=re.MULTILINE)
    by_name: dict[str, list[tuple[str, float, float]]] = {}
    for name, step, J, acc in rows:
        by_name.setdefault(name, []).append((step, float(J), float(acc)))
    assert set(by_name) == {"sgd", "momentum", "adam", "lbfgs", "cg"}
    for name, points in by_name.items():
        start, end = points[0], points[-1]
        assert start[0] == "0" and end[0] == "end"
        assert start[1] == pytest.approx(6.2277, abs=1e-4)  # same seeded network for all
        assert end[1] < start[1], name
    # In the smoke run (40 epochs / 10 iterations) the line-search methods are ahead.
    assert by_name["lbfgs"][-1][2] > by_name["sgd"][-1][2]
    assert by_name["cg"][-1][2] > by_name["sgd"][-1][2]
    assert "test acc" in out


def test_plot_without_matplotlib_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    assert example.plot([], "unused.png") is False
    assert "install the `plots` extra" in capsys.readouterr().out
