"""docs/interop.md's snippets and the export example run and print what they claim."""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "interop.md"
EXAMPLE = ROOT / "examples" / "export_to_torch_and_onnx.py"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "interop_doc"})
    return out.getvalue()


def test_torch_training_snippet_gives_our_first_sgd_step() -> None:
    pytest.importorskip("torch")
    (code,) = [b for b in _python_blocks() if "torch.optim.SGD" in b]
    assert _run(code) == "the first SGD step agrees\n"


def test_onnx_serving_snippet_matches_ours() -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    (code,) = [b for b in _python_blocks() if "onnxruntime agrees" in b]
    assert _run(code) == "onnxruntime agrees\n"


def test_example_exports_and_the_runtimes_agree(tmp_path: Path) -> None:
    for module in ("torch", "onnx", "onnxruntime"):
        pytest.importorskip(module)
    main = runpy.run_path(str(EXAMPLE), run_name="example")["main"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(tmp_path), "--epochs", "20"])
    text = out.getvalue()
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits.onnx", "digits.pt"]
    rel = [float(x) for x in re.findall(r"max rel diff (\S+)", text)]
    assert len(rel) == 3 and max(rel) < 1e-12, text
    assert "the three runtimes agree" in text


def test_example_without_extras_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    main = runpy.run_path(str(EXAMPLE), run_name="example")["main"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([]) == 0
    assert "pip install 'minitorch_bp[torch,onnx]'" in out.getvalue()
    assert "torch" in out.getvalue().split(":")[0]
