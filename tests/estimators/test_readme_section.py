"""The README's estimators section runs and prints what the README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_section_prints_what_it_shows() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Your own data, scikit-learn style", 1)[1].split("\n## ", 1)[0]
    code, expected = re.findall(r"```(?:python|text)\n(.*?)```", section, flags=re.S)[:2]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    assert out.getvalue() == expected
