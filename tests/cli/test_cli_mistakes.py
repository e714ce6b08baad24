"""Every user mistake in the CLI: an exit status, one line on stderr, never a traceback (issue 12).

One table of bad invocations, then the cases that need more than one call: Ctrl-C,
divergence, a closed pipe, output paths checked before training, checkpoints of
earlier versions and checkpoints whose ``extra`` fields are wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import io, nn
from minitorch_bp.cli import main
from minitorch_bp.cli.progress import RunProgress

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small CSV with text labels, a model trained on it, and variants of the file."""
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    names = np.array(["cat", "dog"])[(X[:, 0] + X[:, 1] > 0).astype(int)]
    rows = [f"{i},{a:.6f},{b:.6f},{c:.6f},{s}" for i, ((a, b, c), s) in enumerate(zip(X, names))]
    paths = {k: str(folder / f"{k}.csv") for k in ("data", "reordered", "renamed", "fewer", "bird")}
    Path(paths["data"]).write_text("id,a,b,c,label\n" + "\n".join(rows) + "\n")
    Path(paths["reordered"]).write_text(
        "id,b,a,c,label\n"
        + "\n".join(
            f"{i},{b:.6f},{a:.6f},{c:.6f},{s}" for i, ((a, b, c), s) in enumerate(zip(X, names))
        )
        + "\n"
    )
    Path(paths["renamed"]).write_text("id,a,b,z,label\n" + "\n".join(rows) + "\n")
    Path(paths["fewer"]).write_text(
        "id,a,b,label\n"
        + "\n".join(f"{i},{a:.6f},{b:.6f},{s}" for i, ((a, b, _), s) in enumerate(zip(X, names)))
        + "\n"
    )
    Path(paths["bird"]).write_text("id,a,b,c,label\n0,0.1,0.2,0.3,bird\n1,0.1,0.2,0.3,cat\n")
    model = str(folder / "m.npz")
    argv = ["train", "--data", paths["data"], "--target", "label", "--drop", "id"]
    assert main([*argv, "--epochs", "20", "--quiet", "--save", model]) == 0
    paths["model"] = model
    paths["folder"] = str(folder)
    return paths


BAD: list[tuple[list[str], int, str]] = [
    (["train", "--epochs", "0"], 2, "argument --epochs: '0' is not a positive integer"),
    (["train", "--hidden", ""], 2, "--hidden '': '' is not a positive integer"),
    (["train", "--seed", "-1"], 2, "argument --seed: '-1' is not a non-negative integer"),
    (["demo", "--seed", "-1"], 2, "argument --seed: '-1' is not a non-negative integer"),
    (["train", "--batch-size", "-5"], 2, "argument --batch-size: '-5' is not a non-negative"),
    (["train", "--l2", "nan"], 2, "argument --l2: 'nan' is not a number >= 0"),
    (
        ["train", "--target", "y"],
        2,
        "--target is for --data FILE.csv; without it, it would be ignored",
    ),
    (["train", "--na", "mean"], 2, "--na is for --data FILE.csv"),
    (["train", "--save", "m.npz", "--no-save"], 2, "--save and --no-save contradict each other"),
    (
        ["train", "--dataset", "xor", "--data", "d.csv", "--target", "y"],
        2,
        "--dataset and --data contradict",
    ),
    (["train", "--optimizer", "lbfgs", "--lr", "0.1"], 2, "--lr is ignored by --optimizer lbfgs"),
    (
        ["train", "--optimizer", "cg", "--batch-size", "32"],
        2,
        "--batch-size is ignored by --optimizer cg",
    ),
    (
        ["train", "--data", "d.csv", "--target", "y", "--features", "a", "--drop", "b"],
        2,
        "--features and --drop",
    ),
    (
        ["train", "--dataset", "xor", "--output", "identity"],
        2,
        "--output identity is for regression",
    ),
    (["train", "--hidden", "100000000", "--no-save"], 2, "has 7,500,000,010 parameters"),
    (
        ["train", "--hidden", "200", "--max-params", "1000", "--no-save"],
        2,
        "more than --max-params 1,000",
    ),
    (["train", "--delimiter", "ab"], 2, "argument --delimiter: 'ab' must be one character"),
    (["train", "--features", ","], 2, "argument --features: ',' must be column names"),
    (["evaluate", "nope.npz"], 2, "No such file or directory: 'nope.npz'"),
    (["predict", "nope.npz"], 2, "the following arguments are required: --data"),
    (["evaluate", "m.npz", "--target", "y"], 2, "--target is for --data FILE.csv"),
]


@pytest.mark.parametrize(("argv", "code", "message"), BAD, ids=[" ".join(a) for a, _, _ in BAD])
def test_a_bad_invocation_is_one_line_and_an_exit_status(
    argv: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == code
    captured = capsys.readouterr()
    assert message in captured.err, captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "epoch" not in captured.out  # refused before any training


def _err(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_evaluate_refuses_other_columns_saying_which(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    m = files["model"]
    code, _, err = _err(capsys, "evaluate", m, "--data", files["reordered"])
    assert code == 2 and "in another order than in training: ['b', 'a', 'c'] here" in err
    code, _, err = _err(capsys, "evaluate", m, "--data", files["renamed"])
    assert code == 2 and "not seen in training ['z'], missing ['c']" in err
    code, _, err = _err(capsys, "predict", m, "--data", files["fewer"])
    assert code == 2 and "2 feature columns ['a', 'b'], but the model was trained on 3" in err


def test_an_unseen_label_is_an_error_not_a_remap(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _err(capsys, "evaluate", files["model"], "--data", files["bird"])
    assert code == 2 and "'bird'" in err and "cat" in err and err.count("\n") == 1


def test_output_paths_are_checked_before_training(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = files["folder"]
    start = time.perf_counter()
    code, out, err = _err(capsys, "demo", "--save", folder)
    assert code == 2 and "is a directory, not a file" in err and "epoch" not in out
    assert time.perf_counter() - start < 2.0  # not after 800 epochs
    code, out, err = _err(capsys, "train", "--dataset", "xor", "--save", f"{files['data']}/m.npz")
    assert code == 2 and "is a file, not a folder" in err and "Sequential" not in out
    code, out, err = _err(
        capsys, "predict", files["model"], "--data", files["data"], "--out", folder
    )
    assert code == 2 and "is a directory" in err


def test_ctrl_c_saves_the_model_so_far_and_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = RunProgress.on_epoch_end

    def interrupt(self: RunProgress, state: object) -> None:
        original(self, state)  # type: ignore[arg-type]
        if self.epochs_done == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(RunProgress, "on_epoch_end", interrupt)
    path = tmp_path / "m.npz"
    code, _, err = _err(capsys, "train", "--dataset", "xor", "--save", str(path))
    assert code == 130
    assert err == f"minitorch-bp: interrupted after 3 epochs; the model so far is saved to {path}\n"
    assert [p.shape for p in io.load(path).parameters()] == [(3, 2), (3,), (1, 3), (1,)]
    code, _, err = _err(capsys, "train", "--dataset", "xor", "--no-save")
    assert (
        code == 130
        and err == "minitorch-bp: interrupted after 3 epochs; nothing saved (no --save)\n"
    )


def test_divergence_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)) * 100
    y = X @ [3.0, -2.0, 1.0] + 1000
    lines = ["a,b,c,y"] + [f"{a},{b},{c},{t}" for (a, b, c), t in zip(X, y)]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    argv = ["train", "--data", str(tmp_path / "r.csv"), "--target", "y", "--activation", "relu"]
    code, _, err = _err(capsys, *argv, "--lr", "50", "--epochs", "50", "--no-save", "--quiet")
    assert (
        code == 1
        and err.startswith("minitorch-bp: error: training diverged")
        and err.count("\n") == 1
    )


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6000, 2))
    lines = ["a,b,y"] + [f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in X]
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n")
    model = tmp_path / "m.npz"
    cmd = [sys.executable, "-m", "minitorch_bp"]
    env = {"PYTHONPATH": str(ROOT), "PATH": ""}
    train = [*cmd, "train", "--data", str(tmp_path / "big.csv"), "--target", "y", "--epochs", "2"]
    subprocess.run(
        [*train, "--quiet", "--save", str(model)], check=True, env=env, capture_output=True
    )
    proc = subprocess.Popen(
        [*cmd, "predict", str(model), "--data", str(tmp_path / "big.csv"), "--proba"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"y,proba_0,proba_1\n"
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait() == 141 and err == ""


def _rewrite_extra(path: Path, change: dict[str, object], into: str | None = None) -> None:
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(arrays["__header__"].tobytes())
    target = header["extra"] if into is None else header["extra"][into]
    target.update(change)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("change", "into", "message"),
    [
        ({"seed": [1]}, None, "extra['seed']=[1] must be a non-negative integer"),
        ({"l2": {"a": 1}}, None, "extra['l2']={'a': 1} must be a finite number >= 0"),
        ({"target": 5}, "cli", "extra['cli']['target']=5 must be a string"),
        ({"features": "a"}, "cli", "extra['cli']['features']='a' must be a list of column names"),
        ({"na": "zero"}, "cli", "extra['cli']['na']='zero' must be one of"),
    ],
)
def test_wrong_extra_fields_of_a_checkpoint_are_named(
    files: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, object],
    into: str | None,
    message: str,
) -> None:
    path = tmp_path / "m.npz"
    path.write_bytes(Path(files["model"]).read_bytes())
    try:
        _rewrite_extra(path, change, into)
    except KeyError:
        pytest.skip("checkpoint layout")
    code, _, err = _err(capsys, "evaluate", str(path), "--data", files["data"])
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_network_only_checkpoint_of_an_earlier_train(
    tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the estimators, train saved the network and {dataset, seed, l2, info}."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(2, 3, rng=rng), nn.Sigmoid(), nn.Linear(3, 1, rng=rng), nn.Sigmoid()
    )
    path = io.save(model, tmp_path / "old.npz", extra={"dataset": "xor", "seed": 0, "l2": 0.0})
    code, out, _ = _err(capsys, "evaluate", str(path))
    assert code == 0 and "training accuracy:" in out and "on 4 examples" in out
    code, _, err = _err(capsys, "predict", str(path), "--data", files["data"])
    assert code == 2 and "holds a network only" in err and "train it again with --save" in err
    code, _, err = _err(capsys, "evaluate", str(path), "--dataset", "spirals")
    assert code == 2 and "the network has 1 outputs; data set 'spirals' needs 3" in err
