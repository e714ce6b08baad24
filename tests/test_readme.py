"""The README's usage example runs and prints exactly what the README says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_usage_example_prints_the_documented_numbers() -> None:
    code = _blocks("python")[0]
    expected = next(b for b in _blocks("text") if b.startswith("J = "))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    assert out.getvalue() == expected


def test_demo_prints_what_the_readme_shows(tmp_path: Path) -> None:
    from minitorch_bp.cli import main

    block = next(b for b in _blocks("text") if b.startswith("Sequential("))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--save", str(tmp_path / "m.npz")]) == 0
    expected = block.splitlines()[:-1]  # the last line names where the model was saved
    assert out.getvalue().splitlines()[:-1] == expected
    assert block.splitlines()[-1] == "model saved to runs/demo-digits.npz"
