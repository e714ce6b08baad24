"""Issue 13's "done when": tables no one here wrote, train → evaluate → predict → export through the CLI.

scikit-learn's iris (its species names as text labels), wine, breast cancer and diabetes
are written as CSV when scikit-learn is installed; otherwise the embedded digits and
synthetic sets stand in. Each goes through ``minitorch-bp`` (``main``, what
``python -m minitorch_bp`` runs; one run goes through the module itself), and the numbers
printed are checked against the saved estimator computing them in Python.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp.cli import main
from minitorch_bp.data import train_test_split
from minitorch_bp.estimators import load

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = "40"


def _tables() -> dict[str, tuple[np.ndarray, np.ndarray, list[str], bool]]:
    """name: (X, y, feature names, classification)."""
    try:
        from sklearn import datasets
    except ImportError:
        from minitorch_bp.datasets import digits, two_moons

        X, y = digits()
        Xm, ym = two_moons(200, noise=0.2, seed=0)
        rng = np.random.default_rng(0)
        Xr = rng.normal(size=(200, 4))
        yr = 100 + Xr @ [30.0, -20.0, 10.0, 5.0] + rng.normal(size=200)
        names = np.array(["left", "right"])
        return {
            "digits": (X, y, [f"px{i}" for i in range(64)], True),
            "moons": (Xm, names[ym], ["x1", "x2"], True),
            "regression": (Xr, yr, ["a", "b", "c", "d"], False),
        }
    out = {}
    for name, loader in (
        ("iris", datasets.load_iris),
        ("wine", datasets.load_wine),
        ("breast_cancer", datasets.load_breast_cancer),
    ):
        d = loader()
        y = d.target_names[d.target] if name == "iris" else d.target
        cols = [c.replace(" ", "_").replace("(cm)", "").strip("_") for c in d.feature_names]
        out[name] = (d.data, y, cols, True)
    d = datasets.load_diabetes(scaled=False)
    out["diabetes"] = (d.data, d.target, list(d.feature_names), False)
    return out


TABLES = _tables()


def _write(path: Path, X: np.ndarray, y: np.ndarray, names: list[str], sep: str = ",") -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=sep)
        w.writerow(["id", *names, "target"])
        for i, (row, t) in enumerate(zip(X, y, strict=True)):
            w.writerow([f"r{i}", *(repr(float(v)) for v in row), t])


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


@pytest.mark.parametrize("name", sorted(TABLES))
def test_train_evaluate_predict_export(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    X, y, names, classification = TABLES[name]
    data, model = tmp_path / f"{name}.csv", tmp_path / "m.npz"
    _write(data, X, y, names, sep=";" if name in ("wine", "regression") else ",")
    out = _cli(
        capsys,
        "train", "--data", str(data), "--target", "target", "--drop", "id",
        "--optimizer", "lbfgs", "--epochs", EPOCHS, "--quiet", "--save", str(model),
    )  # fmt: skip
    assert ("classification: " if classification else "regression: ") in out
    est = load(model)
    target = np.asarray(y) if classification else np.asarray(y, dtype=np.float64)
    strata = target if classification else None
    _, X_te, _, y_te = train_test_split(X, target, 0.25, seed=0, stratify=strata)

    # held-out metrics: what the estimator computes in Python on the same split
    if classification:
        assert f"test accuracy: {est.score(X_te, y_te):.1%} on {len(y_te)} held-out" in out
    else:
        pred = est.predict(X_te)
        rmse = np.sqrt(np.mean((pred - y_te) ** 2))
        assert f"test RMSE {rmse:.6g}, MAE {np.mean(np.abs(pred - y_te)):.6g}" in out
        assert f"R² {est.score(X_te, y_te):.4f} on {len(y_te)} held-out" in out

    # evaluate scores every row of the file with the saved preprocessing
    out = _cli(capsys, "evaluate", str(model), "--data", str(data))
    whole = est.score(X, target)
    key = "file accuracy: " if classification else "R² "
    shown = out.split(key)[1].split()[0]
    assert shown == (f"{whole:.1%}" if classification else f"{whole:.4f}")
    assert f"on {len(X)} examples" in out
    # shifted features change the score (nothing is re-fitted on the evaluated file)
    _write(
        tmp_path / "shifted.csv",
        X * 10 + 1000,
        y,
        names,
        sep=";" if name in ("wine", "regression") else ",",
    )
    out = _cli(capsys, "evaluate", str(model), "--data", str(tmp_path / "shifted.csv"))
    assert out.split(key)[1].split()[0] != shown

    # predict writes the original labels (and probabilities) for every row
    preds = tmp_path / "preds.csv"
    argv = ["predict", str(model), "--data", str(data), "--out", str(preds)]
    _cli(capsys, *argv, *(["--proba"] if classification else []))
    with open(preds, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == len(X) + 1 and rows[0][0] == "target"
    if classification:
        assert [r[0] for r in rows[1:]] == [str(v) for v in est.predict(X).tolist()]
        P = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
        np.testing.assert_array_equal(P, est.predict_proba(X))  # repr round-trips exactly
        if name == "iris":
            assert rows[0][1:] == ["proba_setosa", "proba_versicolor", "proba_virginica"]
            assert {r[0] for r in rows[1:]} <= {"setosa", "versicolor", "virginica"}
    else:
        np.testing.assert_array_equal([float(r[0]) for r in rows[1:]], est.predict(X))

    # ONNX on raw rows equals predict_proba / predict
    ort = pytest.importorskip("onnxruntime")
    want = est.predict_proba(X) if classification else est.predict(X).reshape(-1, 1)
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
        onnx_path = tmp_path / f"m-{dtype}.onnx"
        labels = ["--labels"] if classification else []
        _cli(
            capsys,
            "export",
            str(model),
            "--to",
            "onnx",
            "--out",
            str(onnx_path),
            "--dtype",
            dtype,
            *labels,
        )
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        got = session.run(None, {"input": X.astype(dtype)})
        scale = 1.0 if classification else float(np.abs(want).max())
        assert np.abs(got[0] - want).max() <= tol * scale
        if classification and dtype == "float64":
            assert [_text(v) for v in got[1]] == [str(v) for v in est.predict(X).tolist()]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def test_the_module_entry_point_trains_and_predicts(tmp_path: Path) -> None:
    X, y, names, _ = TABLES[sorted(TABLES)[-2]] if "iris" not in TABLES else TABLES["iris"]
    data, model = tmp_path / "d.csv", tmp_path / "m.npz"
    _write(data, X, y, names)
    cmd = [sys.executable, "-m", "minitorch_bp"]
    env = {"PYTHONPATH": str(ROOT), "PATH": ""}
    train = [*cmd, "train", "--data", str(data), "--target", "target", "--drop", "id"]
    done = subprocess.run(
        [*train, "--epochs", "20", "--optimizer", "lbfgs", "--save", str(model)],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "epoch  1/20" in done.stdout and "val_accuracy" in done.stdout
    done = subprocess.run(
        [*cmd, "predict", str(model), "--data", str(data)],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[0] == "target" and len(lines) == len(X) + 1
    assert lines[1:] == [str(v) for v in load(model).predict(X).tolist()]
