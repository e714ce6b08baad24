#!/usr/bin/env python3
"""Developer tasks that need nothing but Python 3: ``python3 tasks.py demo|test|lint|check|docs``.

The first run makes a virtual environment in ``.venv`` and installs the package with
its development tools; later runs reuse it (and reinstall when pyproject.toml changes).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
DOCS_STAMP = VENV / ".installed-docs"


def _digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create .venv and install the package (editable) with the dev extra, once."""
    if not PY.exists():
        print(f"creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _digest():
        print("installing minitorch_bp and its development tools ...", flush=True)
        run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        run([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"])
        STAMP.write_text(_digest())


def ensure_docs_extra() -> None:
    """Install the docs extra (Sphinx, MyST, MathJax's files) into .venv, once."""
    if not DOCS_STAMP.exists() or DOCS_STAMP.read_text() != _digest():
        print("installing the documentation tools ...", flush=True)
        run([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev,docs]"])
        DOCS_STAMP.write_text(_digest())


def run(cmd: list[str]) -> None:
    code = subprocess.call(cmd, cwd=ROOT)
    if code != 0:
        sys.exit(code)


def main(argv: list[str]) -> None:
    tasks = {
        "demo": [[str(PY), "-m", "minitorch_bp", "demo", *argv[1:]]],
        "test": [[str(PY), "-m", "pytest", "-q", *argv[1:]]],
        "lint": [
            [str(BIN / "ruff"), "check", "."],
            [str(BIN / "ruff"), "format", "--check", "."],
            [str(BIN / "mypy"), "--strict", "minitorch_bp"],
        ],
    }
    tasks["check"] = tasks["lint"] + tasks["test"]
    # The site, warnings as errors; open docs/_build/html/index.html (works offline).
    tasks["docs"] = [
        [str(PY), "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"]
    ]
    if not argv or argv[0] not in tasks:
        print(f"usage: python3 tasks.py {{{','.join(tasks)}}} [args...]", file=sys.stderr)
        sys.exit(2)
    ensure_venv()
    if argv[0] == "docs":
        ensure_docs_extra()
    for cmd in tasks[argv[0]]:
        run(cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
