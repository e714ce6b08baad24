"""Every page of the docs runs: its code blocks execute and print what the page says.

Rules (documented in docs/contributing.md):

- a fenced ``python`` block whose first line is not ``>>>`` runs with ``exec``; all such
  blocks of one page share one namespace, in page order, like a notebook;
- when a fenced ``text`` block follows it (nothing but blank lines between), the
  block's printed output must equal that text exactly;
- a fenced ``python`` (or ``pycon``) block whose first line is ``>>>`` is a doctest;
  the doctest blocks of one page share one namespace, in page order;
- a block right after the line ``<!-- docs-test: skip -->`` is not run (for code that
  needs a display or a long run; use it rarely and say why on the page).

A page whose code imports a package that is not installed (an optional extra such as
torch) is skipped with the missing name, not failed.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SKIP_MARK = "<!-- docs-test: skip -->"
FENCE = re.compile(
    r"^(?P<fence>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)


@dataclass
class Block:
    code: str
    expected: str | None
    line: int


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def python_blocks(text: str) -> list[Block]:
    """The runnable ``python`` blocks of a page, each with the output it documents."""
    fences = list(FENCE.finditer(text))
    blocks = []
    for i, f in enumerate(fences):
        if f["info"].strip() != "python" or f["body"].lstrip().startswith(">>>"):
            continue
        before = text[: f.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        if before == SKIP_MARK:
            continue
        expected = None
        if i + 1 < len(fences):
            nxt = fences[i + 1]
            if nxt["info"].strip() == "text" and not text[f.end() : nxt.start()].strip():
                expected = nxt["body"]
        blocks.append(Block(f["body"], expected, text.count("\n", 0, f.start()) + 1))
    return blocks


def doctest_blocks(text: str) -> list[tuple[str, int]]:
    """The bodies of the ``>>>`` blocks of a page, with their line numbers."""
    return [
        (f["body"], text.count("\n", 0, f.start()) + 1)
        for f in FENCE.finditer(text)
        if f["info"].strip() in ("python", "pycon")
        and f["body"].lstrip().startswith(">>>")
        and text[: f.start()].rstrip("\n").rsplit("\n", 1)[-1].strip() != SKIP_MARK
    ]


def _skip_if_optional_missing(exc: ImportError) -> None:
    # An extra's helper re-raises the ModuleNotFoundError as an ImportError naming the extra.
    missing = exc if isinstance(exc, ModuleNotFoundError) else exc.__cause__
    if not isinstance(missing, ModuleNotFoundError):
        raise exc
    top = (missing.name or "").split(".")[0]
    if top and top != "minitorch_bp":
        pytest.skip(f"needs the optional package {top!r}")
    raise exc


def test_the_parser_pairs_code_with_its_output() -> None:
    page = (
        "```python\nprint(1)\n```\n\n```text\n1\n```\n"
        f"{SKIP_MARK}\n```python\nraise SystemExit\n```\n"
        "```python\n>>> 1\n1\n```\n```python\nx = 2\n```\nprose\n```text\nnot output\n```\n"
    )
    blocks = python_blocks(page)
    assert [(b.code, b.expected) for b in blocks] == [("print(1)\n", "1\n"), ("x = 2\n", None)]
    assert doctest_blocks(page) == [(">>> 1\n1\n", 12)]


def test_every_docs_page_is_collected() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in pages()}
    assert {"index.md", "notes-to-code.md", "conventions.md", "contributing.md"} <= names
    assert any(n.startswith("tutorials/") for n in names)


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_code_runs_and_prints_what_the_page_shows(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    text = page.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": f"docs:{page.name}"}
    ran = 0
    for block in python_blocks(text):
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(block.code, f"{page}:{block.line}", "exec"), namespace)
        except ImportError as exc:
            _skip_if_optional_missing(exc)
        if block.expected is not None:
            assert out.getvalue() == block.expected, f"{page.name}, block at line {block.line}"
        ran += 1
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {"__name__": f"docs:{page.name}"}
    for body, line in doctest_blocks(text):
        test = doctest.DocTestParser().get_doctest(body, globs, page.name, str(page), line)
        out = io.StringIO()
        try:
            result = runner.run(test, out=out.write, clear_globs=False)
        except ImportError as exc:
            _skip_if_optional_missing(exc)
        globs.update(test.globs)  # DocTest copies its globals; carry names to the next block
        assert result.failed == 0, f"{page.name}, doctest block at line {line}:\n{out.getvalue()}"
        ran += result.attempted
    assert ran >= 0  # a page without code (the API pages) passes trivially


def test_every_quoted_source_line_still_exists() -> None:
    """The pages quote code by pattern (literalinclude start-at/end-at); a refactor that
    removes a quoted line must update the page, not silently quote something else."""
    missing = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r"```\{literalinclude\} (\S+)\n(.*?)```", text, flags=re.S):
            source = (page.parent / m.group(1)).resolve().read_text(encoding="utf-8")
            for key in ("start-at", "end-at", "start-after", "end-before"):
                for pattern in re.findall(rf"^:{key}: (.*)$", m.group(2), flags=re.M):
                    if pattern.strip('"') not in source:
                        missing.append(f"{page.name}: {key} {pattern}")
    assert not missing, missing
