"""minitorch-bp explain, and train --report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minitorch_bp import io, nn
from minitorch_bp.cli import main
from minitorch_bp.explain import explain
from minitorch_bp.train.problems import load_problem


def test_explain_prints_the_trace_of_a_fresh_network(capsys: Any) -> None:
    assert main(["explain", "--dataset", "xor", "--example", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("explain: example 2 of a batch of m = 4, BCELoss")
    assert "δ^(L) = a^(L) - y" in out and "D^(2) = (1/m)(Δ^(2) + λΘ^(2))" in out


def test_explain_a_saved_model_on_its_data_set(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "m.npz"
    assert (
        main(["train", "--dataset", "moons", "--epochs", "5", "--quiet", "--save", str(path)]) == 0
    )
    capsys.readouterr()
    out = tmp_path / "trace.html"
    assert main(["explain", "--model", str(path), "--example", "7", "--out", str(out)]) == 0
    assert "html trace of example 7 (of m = 300)" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "\\(t = 7\\)" in page
    # the same numbers as the API on the same model and data
    problem = load_problem("moons", 0)
    e = explain(io.load(path), nn.BCELoss(), problem.X_train, problem.Y_train, example=7)
    assert main(["explain", "--model", str(path), "--example", "7", "--precision", "6"]) == 0
    text = capsys.readouterr().out
    assert f"{float(e.deltas[3][0]):.6g}" in text


def test_explain_activation_and_markdown(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "t.md"
    assert (
        main(
            [
                "explain",
                "--dataset",
                "spirals",
                "--hidden",
                "6",
                "--activation",
                "tanh",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Backpropagation") and "$g'(z) = 1 - \\tanh^2 z = 1 - a^2$" in md


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "--example", "5000"], "--example 5000: the training set has 1347 examples"),
        (["explain", "--out", "/nonexistent/x.html"], "does not exist"),
        (["explain", "--format", "pdf"], "invalid choice: 'pdf'"),
    ],
)
def test_explain_mistakes_are_one_line(argv: list[str], message: str, capsys: Any) -> None:
    code: Any
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_train_report_is_written_and_its_path_checked_before_training(
    tmp_path: Path, capsys: Any
) -> None:
    pytest.importorskip("matplotlib")
    report = tmp_path / "run.html"
    assert (
        main(
            [
                "train",
                "--dataset",
                "xor",
                "--epochs",
                "50",
                "--quiet",
                "--no-save",
                "--report",
                str(report),
            ]
        )
        == 0
    )
    assert f"report written to {report}" in capsys.readouterr().out
    assert "<h2>Inside the network (Monitor)</h2>" in report.read_text(encoding="utf-8")
    assert (
        main(
            [
                "train",
                "--dataset",
                "xor",
                "--epochs",
                "50",
                "--no-save",
                "--report",
                str(tmp_path / "no" / "run.html"),
            ]
        )
        == 2
    )
    captured = capsys.readouterr()
    assert "does not exist" in captured.err and "epoch" not in captured.out
