"""The command line: each sub-command's numbers, --help, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import io
from minitorch_bp.cli import OPTIMIZERS, activations, main

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_small_run_saves_a_loadable_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "d.npz"
    code, out, _ = _run(capsys, "demo", "--epochs", "60", "--save", str(path))
    assert code == 0
    assert "epoch  1/60" in out and "epoch 60/60" in out
    acc = float(out.split("test accuracy: ")[1].split("%")[0])
    assert 60.0 < acc <= 100.0 and "held-out" in out
    assert "true\\pred" in out and f"model saved to {path}" in out
    model = io.load(path)
    assert [p.shape for p in model.parameters()] == [(25, 64), (25,), (10, 25), (10,)]
    code, out, _ = _run(capsys, "evaluate", str(path))
    assert code == 0 and f"test accuracy: {acc:.1f}%" in out


def test_train_xor_and_regression(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "train", "--dataset", "xor", "--quiet")
    assert code == 0 and "training accuracy: 100.0% on 4 examples" in out
    code, out, _ = _run(
        capsys, "train", "--dataset", "study-sleep", "--epochs", "50", "--quiet", "--hidden", "4,3"
    )
    assert code == 0 and "accuracy" not in out
    # the notes' three students, scored in the target's units (a test score in [0, 1])
    assert float(out.split("training RMSE ")[1].split(",")[0]) < 0.2


def test_train_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    lines = ["a,b,label"] + [f"{a},{b},{c}" for (a, b), c in zip(X, y)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    code, out, _ = _run(
        capsys,
        "train",
        "--data",
        str(tmp_path / "d.csv"),
        "--target",
        "label",
        "--epochs",
        "300",
        "--lr",
        "2",
        "--quiet",
    )
    assert code == 0 and "classification: 2 distinct labels (--task to override)" in out
    assert "test accuracy: 90.0% on 10 held-out examples" in out
    (tmp_path / "bad.csv").write_text("a,label\n1,0\n2,x\n")
    code, _, err = _run(
        capsys,
        "train",
        "--data",
        str(tmp_path / "bad.csv"),
        "--target",
        "label",
        "--task",
        "regression",
    )
    assert code == 2 and err.strip().endswith("row 3, column 'label': 'x' is not a number")
    code, _, err = _run(capsys, "train", "--data", str(tmp_path / "d.csv"), "--target", "nope")
    assert code == 2 and "the columns are ['a', 'b', 'label']" in err and err.count("\n") == 1


def test_gradcheck_prints_both_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "gradcheck")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.startswith("0.weight[")]
    assert len(rows) == 3 and all(abs(float(a) - float(n)) < 1e-8 for _, a, n in rows)
    diff = float(out.split("relative difference: ")[1].split()[0])
    assert diff < 1e-9


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "missing.npz"], "No such file"),
        (["train", "--dataset", "xor", "--hidden", "0"], "--hidden"),
        (
            ["train", "--dataset", "xor", "--lr", "-1", "--epochs", "1"],
            "--lr: '-1' is not a positive",
        ),
        (["train", "--data", "x.csv"], "--data needs --target"),
    ],
)
def test_user_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err and err.count("\n") == 1


def test_bad_checkpoint_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "m.npz").write_bytes(b"not a zip")
    code, _, err = _run(capsys, "evaluate", str(tmp_path / "m.npz"), "--dataset", "xor")
    assert code == 2 and "not a readable minitorch_bp checkpoint" in err


def test_activation_names_come_from_the_registry_of_layer_types() -> None:
    from minitorch_bp import nn

    names = activations()
    assert names["leaky_relu"] is nn.LeakyReLU and names["sigmoid"] is nn.Sigmoid
    for new in ("gelu", "elu", "selu", "softplus"):  # added as one class each, nothing here
        assert issubclass(names[new], nn.Elementwise)
    assert {"sgd", "momentum", "adam", "lbfgs", "cg"} == set(OPTIMIZERS)


def test_help_and_module_entry_point() -> None:
    for sub in ("demo", "train", "evaluate", "predict", "gradcheck"):
        with pytest.raises(SystemExit) as exc:
            main([sub, "--help"])
        assert exc.value.code == 0
    done = subprocess.run(
        [sys.executable, "-m", "minitorch_bp", "train", "--dataset", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert done.returncode == 2 and "invalid choice: 'nope'" in done.stderr


def test_a_smaller_batch_scales_the_data_sets_lambda_unless_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["train", "--dataset", "digits", "--epochs", "1", "--batch-size", "64"]
    quiet = ["--no-save", "--quiet"]
    assert main([*args, *quiet]) == 0
    out = capsys.readouterr().out
    assert "λ = 0.04751 (the data set's λ scaled to batch size 64; --l2 to override)" in out
    assert "α = 0.1901 (the data set's α scaled to batch size 64; --lr to override)" in out
    assert main([*args, "--l2", "1", "--lr", "4", *quiet]) == 0
    assert "scaled" not in capsys.readouterr().out
