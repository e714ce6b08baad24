"""Every user mistake in docs/errors.md gets the error it lists, with the values in it.

Each row of ``ROWS`` is a row of the table in docs/errors.md (matched by its id), so
the page and the tests cannot drift apart: a row missing on either side fails.
"""

from __future__ import annotations

import contextlib
import functools
import io as _io
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minitorch_bp import cli, distributed, explain, gradcheck, io, nn, optim, train, utils
from minitorch_bp.data import DataLoader, one_hot, train_test_split
from minitorch_bp.estimators import MLPClassifier, MLPRegressor, NotFittedError
from tests.stepped import stepped

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sigmoid())


def _backward_first() -> None:
    nn.Linear(3, 2).backward(np.ones((1, 2)))


def _fit_with(criterion: nn.Loss) -> None:
    from minitorch_bp.train import fit

    model = _net()
    loader = DataLoader(np.ones((4, 3)), np.ones((4, 2)), 2)
    fit(model, criterion, optim.SGD(model.parameters(), lr=1.0), loader, epochs=1)


def _element_losses_backward() -> None:
    loss = nn.BCELoss(reduction="none")
    loss(np.full((2, 2), 0.5), np.ones((2, 2)))
    loss.backward()


def _same_parameter_in_two_groups() -> None:
    shared = nn.Parameter(np.zeros(1))
    optim.SGD([{"params": _net().parameters()}, {"params": [shared]}, {"params": [shared]}], lr=0.1)


def _two_groups() -> optim.SGD:
    ps = _net().parameters()
    return optim.SGD([{"params": ps[:1], "lr": 0.1}, {"params": ps[1:]}], lr=0.5)


def _load(state: dict[str, Any]) -> None:
    _net().load_state_dict(state)


def _file(name: str, text: str) -> str:
    path = Path(tempfile.mkdtemp()) / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _unknown_layer() -> str:
    path = io.save(_net(), Path(tempfile.mkdtemp()) / "m.npz")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(arrays["__header__"].tobytes())
    header["model"]["children"][1]["type"] = "Hardswish"
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    return str(path)


def _saved(name: str = "m.npz", **kwargs: Any) -> tuple[Path, dict[str, np.ndarray]]:
    path = io.save(_net(), Path(tempfile.mkdtemp()) / name, **kwargs)
    with np.load(path) as f:
        return path, {k: f[k] for k in f.files}


def _with_nan_parameter() -> str:
    path, arrays = _saved()
    arrays["param/0.bias"] = np.array([0.0, np.nan])
    np.savez(path, **arrays)
    return str(path)


def _bomb() -> str:
    model = nn.Sequential(nn.Linear(1000, 500, rng=0))
    for p in model.parameters():
        p.data[...] = 0.0
    path = io.save(model, Path(tempfile.mkdtemp()) / "bomb.npz")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    np.savez_compressed(path, **arrays)
    return str(path)


def _huge_layer() -> str:
    path, arrays = _saved("claim.npz")
    header = json.loads(arrays["__header__"].tobytes())
    header["model"]["children"][0]["config"]["in_features"] = 100000
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    return str(path)


def _overflow() -> None:
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=1))
    model[2].weight.data[:] = 1e308
    model[2].bias.data[:] = 1e308
    with np.errstate(over="ignore"):  # numpy's own RuntimeWarning, shown before the error
        model(np.ones((2, 3)))


def _broken_outputs() -> None:
    from minitorch_bp.train import predict

    class NaNOut(nn.Identity):
        def forward(self, x: Any) -> Any:
            out = super().forward(x)
            out[1, 0] = np.nan
            return out

    predict(NaNOut(), np.ones((3, 2)))


def _file_bytes(name: str, data: bytes) -> str:
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(data)
    return str(path)


def _under_a_file() -> None:
    folder = Path(tempfile.mkdtemp())
    (folder / "notes.txt").write_text("x")
    io.save(_net(), folder / "notes.txt" / "m.npz")


@functools.cache
def _cli_files() -> Path:
    """A folder with a small CSV of text labels, a model trained on it, and bad variants."""
    folder = Path(tempfile.mkdtemp())
    rows = "\n".join(f"{i % 7},{i % 3},{'cat' if i % 2 else 'dog'}" for i in range(20))
    (folder / "d.csv").write_text(f"a,b,label\n{rows}\n")
    (folder / "o.csv").write_text("b,a,label\n1,2,cat\n")
    (folder / "u.csv").write_text("a,b,label\n1,2,bird\n")
    argv = ["train", "--data", str(folder / "d.csv"), "--target", "label", "--epochs", "2"]
    with contextlib.redirect_stdout(_io.StringIO()):
        assert cli.main([*argv, "--quiet", "--save", str(folder / "m.npz")]) == 0
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)) * 100
    y = X @ [3.0, -2.0, 1.0] + 1000
    lines = "\n".join(f"{a},{b},{c},{t}" for (a, b, c), t in zip(X, y, strict=True))
    (folder / "r.csv").write_text(f"a,b,c,y\n{lines}\n")
    return folder


def _old_checkpoint(**extra: Any) -> str:
    folder = Path(tempfile.mkdtemp())
    return str(io.save(_net(), folder / "old.npz", extra={"dataset": "xor", **extra}))


class CliExitError(Exception):
    """What the CLI printed on stderr, raised so a row can match it like an exception."""


def _fit_rows(**kwargs: Any) -> None:
    X = np.linspace(-1, 1, 24).reshape(8, 3)
    X = kwargs.pop("X", X)
    model = kwargs.pop("model", None) or _net()
    Y = kwargs.pop("Y", None)
    Y = (X[:, :2] > 0).astype(float) if Y is None else Y
    crit = kwargs.pop("criterion", nn.BCELoss())
    lr = kwargs.pop("lr", 0.5)
    loader = DataLoader(X, Y, kwargs.pop("batch", 4), shuffle=False)
    kwargs.setdefault("progress", False)
    kwargs.setdefault("epochs", 5)
    train.fit(model, crit, optim.SGD(model.parameters(), lr=lr), loader, **kwargs)


def _ctrl_c_at_epoch_2() -> None:
    import signal

    class Press(train.Callback):
        def on_batch_end(self, state: train.FitState) -> None:
            if (state.epoch, state.batch) == (2, 0):
                signal.raise_signal(signal.SIGINT)

    _fit_rows(callbacks=[Press()])


def _diverging_fit() -> None:
    X = np.linspace(-30, 30, 60).reshape(20, 3)
    model = nn.Sequential(nn.Linear(3, 8, rng=0), nn.ReLU(), nn.Linear(8, 1, rng=1))
    _fit_rows(
        X=X,
        Y=X[:, :1] ** 2,
        model=model,
        criterion=nn.MSELoss(),
        batch=5,
        epochs=50,
        metrics=("loss",),
    )


def _overflowing_update() -> None:
    X = np.random.default_rng(0).normal(size=(32, 3))
    _fit_rows(
        X=X,
        Y=100 * X[:, :1],
        model=nn.Sequential(nn.Linear(3, 1, rng=0)),
        criterion=nn.MSELoss(),
        lr=1e308,
        batch=32,
        metrics=("loss",),
    )


def _nan_row_5() -> None:
    X = np.linspace(-1, 1, 24).reshape(8, 3)
    X[5, 2] = np.nan
    _fit_rows(X=X, Y=np.ones((8, 2)))


def _tampered_state(make: Callable[[list[nn.Parameter]], optim.Optimizer], edit: Any) -> None:
    import copy

    _, opt = stepped(make)
    state = copy.deepcopy(opt.state_dict())
    edit(state)
    opt.load_state_dict(state)


def _set(state: dict[str, Any], key: str, i: int, value: float) -> None:
    state[key][i].flat[0] = value


def _cli(*argv: str, one_line: bool = True) -> None:
    """Run the CLI; it must exit non-zero with no traceback (one stderr line if one_line)."""
    err = _io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(_io.StringIO()):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse's own errors
            code = exc.code if isinstance(exc.code, int) else 1
    text = err.getvalue()
    assert code != 0 and "Traceback" not in text, (code, text)
    lines = text.strip().splitlines()
    assert not one_line or len(lines) == 1, lines
    raise CliExitError(f"exit {code}: {lines[-1]}")


ESTIMATOR_X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.2, 0.9]])


def _classifier() -> MLPClassifier:
    return MLPClassifier((2,), solver="lbfgs", random_state=0).fit(
        ESTIMATOR_X, ["cat", "dog", "cat", "dog"]
    )


ROWS: dict[str, tuple[Callable[[], Any], type[Exception], str]] = {
    "input-1d": (
        lambda: _net()(np.ones(3)),
        ValueError,
        r"2-D input.*one example per row.*got shape \(3,\).*reshape\(1, -1\)",
    ),
    "input-3d": (lambda: _net()(np.ones((2, 3, 1))), ValueError, r"got shape \(2, 3, 1\)"),
    "input-columns": (
        lambda: _net()(np.ones((2, 4))),
        ValueError,
        r"layer 0: Linear.*in_features=3.*4 columns.*rows are examples",
    ),
    "input-int": (
        lambda: _net()(np.ones((2, 3), dtype=np.int64)),
        ValueError,
        r"float32 or float64 input; got dtype int64.*astype",
    ),
    "input-object": (
        lambda: _net()(np.array([[1, "a", 2]], dtype=object)),
        ValueError,
        r"got dtype object",
    ),
    "input-dtype-mix": (
        lambda: _net()(np.ones((2, 3), dtype=np.float32)),
        ValueError,
        r"has dtype float64 but got float32",
    ),
    "input-nan": (
        lambda: _net()(np.array([[0.0, np.nan, 1.0]])),
        ValueError,
        r"input contains 1 NaN or inf.*nan at index \(0, 1\)",
    ),
    "input-inf": (
        lambda: _net()(np.array([[0.0, 1.0, -np.inf]])),
        ValueError,
        r"-inf at index \(0, 2\)",
    ),
    "weights-nan": (
        lambda: _diverged()(np.ones((1, 3))),
        ValueError,
        r"weight contains 1 NaN or inf",
    ),
    "target-shape": (
        lambda: nn.MSELoss()(np.ones((4, 2)), np.ones((2, 4))),
        ValueError,
        r"prediction has shape \(4, 2\) but target has shape \(2, 4\)",
    ),
    "target-column": (
        lambda: nn.MSELoss()(np.ones((4, 1)), np.ones(4)),
        ValueError,
        r"\(4, 1\).*\(4,\).*target.reshape\(-1, 1\)",
    ),
    "target-nan": (
        lambda: nn.MSELoss()(np.ones((1, 1)), np.array([[np.nan]])),
        ValueError,
        r"target contains 1 NaN",
    ),
    "bce-target-range": (
        lambda: nn.BCELoss()(np.full((1, 2), 0.5), np.array([[0.0, 2.0]])),
        ValueError,
        r"target values must lie in \[0, 1\]; got min 0.0, max 2.0",
    ),
    "bce-pred-range": (
        lambda: nn.BCELoss()(np.array([[3.0]]), np.ones((1, 1))),
        ValueError,
        r"prediction values.*max 3.0.*BCEWithLogitsLoss",
    ),
    "reduction": (
        lambda: nn.BCELoss(reduction="avg"),
        ValueError,
        r"reduction='avg' must be one of \('batchmean', 'sum', 'mean', 'none'\)",
    ),  # type: ignore[arg-type]
    "loss-reduction-none": (
        lambda: _fit_with(nn.BCELoss(reduction="none")),
        ValueError,
        r"fit: BCELoss has reduction='none', which gives one loss per element",
    ),
    "none-backward": (
        _element_losses_backward,
        ValueError,
        r"reduction='none' returns one loss per element, so backward needs grad_output.*\(2, 2\)",
    ),
    "sample-weight-shape": (
        lambda: nn.MSELoss()(np.zeros((4, 1)), np.zeros((4, 1)), sample_weight=np.ones(3)),
        ValueError,
        r"sample_weight has shape \(3,\) and dtype float64; expected 4 numbers >= 0",
    ),
    "class-weight-length": (
        lambda: nn.BCEWithLogitsLoss(pos_weight=[1.0, 2.0])(np.zeros((4, 3)), np.zeros((4, 3))),
        ValueError,
        r"pos_weight has 2 entries but the prediction has 3 columns",
    ),
    "param-group-twice": (
        _same_parameter_in_two_groups,
        ValueError,
        r"param_groups\[2\] repeats 1 parameter\(s\) of an earlier group",
    ),
    "group-lr": (
        lambda: _two_groups().lr,
        ValueError,
        r"2 parameter groups with different lr \[0.1, 0.5\]; read optimizer.param_groups",
    ),
    "plateau-step": (
        lambda: optim.ReduceLROnPlateau(optim.SGD(_net().parameters(), lr=0.1)).step(),
        ValueError,
        r"ReduceLROnPlateau.step needs the monitored value, e.g. step\(val_loss\)",
    ),
    "backward-before-forward": (
        _backward_first,
        RuntimeError,
        r"Linear\(in_features=3.*backward called before forward",
    ),
    "loss-backward-first": (
        lambda: nn.BCELoss().backward(),
        RuntimeError,
        r"BCELoss: backward called before the loss",
    ),
    "grad-shape": (
        lambda: _linear_ran().backward(np.ones((2, 5))),
        ValueError,
        r"grad_output of shape \(2, 5\); expected \(2, 2\)",
    ),
    "state-keys": (
        lambda: _load({"0.weight": np.zeros((2, 3))}),
        ValueError,
        r"missing keys \['0.bias'\], unexpected keys \[\]",
    ),
    "state-shape": (
        lambda: _load({"0.weight": np.zeros((3, 3)), "0.bias": np.zeros(2)}),
        ValueError,
        r"'0.weight' has shape \(3, 3\), the model expects \(2, 3\)",
    ),
    "state-dtype": (
        lambda: _load({"0.weight": np.zeros((2, 3), dtype=int), "0.bias": np.zeros(2)}),
        ValueError,
        r"'0.weight' has dtype int64; expected a float array",
    ),
    "optimizer-empty": (
        lambda: optim.SGD([], lr=0.1),
        ValueError,
        r"SGD got an empty parameter list",
    ),
    "optimizer-not-param": (
        lambda: optim.SGD([np.zeros(2)], lr=0.1),
        TypeError,
        r"params\[0\] is ndarray, not a Parameter",
    ),  # type: ignore[list-item]
    "lr": (
        lambda: optim.SGD(_net().parameters(), lr=0.0),
        ValueError,
        r"SGD: lr=0.0 must be a finite number > 0",
    ),
    "l2": (
        lambda: optim.SGD(_net().parameters(), lr=0.1, l2=-1.0),
        ValueError,
        r"SGD: l2=-1.0 must be a finite number >= 0",
    ),
    "layer-size": (
        lambda: nn.Linear(0, 3),
        ValueError,
        r"Linear: in_features=0 must be a positive integer",
    ),
    "layer-dtype": (
        lambda: nn.Linear(2, 3, dtype=np.int32),
        ValueError,
        r"Linear: dtype=int32 is not supported",
    ),
    "sequential-arg": (
        lambda: nn.Sequential(nn.Linear(2, 2), "relu"),
        TypeError,
        r"argument 1 is str, not a Module",
    ),  # type: ignore[arg-type]
    "sequential-repeat": (
        lambda: _repeat(),
        ValueError,
        r"Sequential: the same Sigmoid object is at '1' and '3'",
    ),
    "theta-shape": (
        lambda: setattr(nn.Linear(2, 3), "theta", np.zeros((3, 2))),
        ValueError,
        r"theta must have shape \(3, 3\).*got \(3, 2\)",
    ),
    "vector-length": (
        lambda: utils.vector_to_parameters(np.zeros(4), _net().parameters()),
        ValueError,
        r"vec has shape \(4,\); expected \(8,\)",
    ),
    "gradcheck-float32": (
        lambda: gradcheck(
            nn.Sequential(nn.Linear(1, 1, dtype=np.float32)),
            nn.MSELoss(),
            np.ones((1, 1), np.float32),
            np.ones((1, 1)),
        ),
        ValueError,
        r"'0.weight' is float32; gradient checking needs float64",
    ),
    "labels-range": (
        lambda: one_hot(np.array([0, 3, 12]), 10),
        ValueError,
        r"outside the range 0..9 for num_classes=10: 12",
    ),
    "labels-float": (
        lambda: one_hot(np.array([0.5]), 2),
        ValueError,
        r"must hold integers, got dtype float64",
    ),
    "batch-size": (
        lambda: DataLoader(np.ones((4, 2)), np.ones((4, 1)), 0),
        ValueError,
        r"DataLoader\(batch_size=0\) must be a positive integer",
    ),
    "empty-data": (
        lambda: DataLoader(np.ones((0, 2)), np.ones((0, 1)), 2),
        ValueError,
        r"empty data set \(shape \(0, 2\)\)",
    ),
    "rows-mismatch": (
        lambda: DataLoader(np.ones((4, 2)), np.ones((3, 1)), 2),
        ValueError,
        r"same number of rows, got X.shape=\(4, 2\) and Y.shape=\(3, 1\)",
    ),
    "loader-rank": (
        lambda: DataLoader(np.zeros((4, 2)), np.zeros(4), 2, seed=0, rank=2, world_size=2),
        ValueError,
        r"DataLoader\(rank=2\) must be an integer in 0..1 \(world_size=2\)",
    ),
    "loader-shared-seed": (
        lambda: DataLoader(np.zeros((4, 2)), np.zeros(4), 2, rank=0, world_size=2),
        ValueError,
        r"DataLoader\(seed=None\) with world_size=2 and shuffle=True: each rank would draw its"
        r" own permutation",
    ),
    "distributed-env": (
        lambda: distributed.environment({}),
        distributed.DistributedError,
        r"distributed.init: the environment lacks RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT,"
        r" which torchrun sets for each process: run `torchrun --standalone",
    ),
    "distributed-backend": (
        lambda: distributed.init("nccl"),
        ValueError,
        r"distributed.init\(backend='nccl'\): use one of \('gloo', 'mpi'\)",
    ),
    "test-size": (
        lambda: train_test_split(np.ones((4, 2)), np.ones((4, 1)), test_size=1.5, seed=0),
        ValueError,
        r"test_size=1.5",
    ),
    "csv-missing-column": (
        lambda: io.read_csv(_file("d.csv", "a,b,label\n1,2,0\n"), "y"),
        ValueError,
        r"d.csv: no column 'y'; the columns are \['a', 'b', 'label'\]",
    ),
    "csv-text-cell": (
        lambda: io.read_csv(_file("d.csv", "a,b,label\n1,x,0\n"), "label"),
        ValueError,
        r"d.csv: row 2, column 'b': 'x' is not a number",
    ),
    "csv-empty": (
        lambda: io.read_csv(_file("d.csv", ""), "label"),
        ValueError,
        r"d.csv: the file is empty; expected a header row and numeric rows",
    ),
    "checkpoint-missing": (
        lambda: io.load(Path(tempfile.mkdtemp()) / "nope.npz"),
        FileNotFoundError,
        r"No such file or directory: .*nope.npz",
    ),
    "checkpoint-not": (
        lambda: io.load(_file("notes.npz", "hello")),
        io.CheckpointError,
        r"notes.npz: not a readable minitorch_bp checkpoint: an .npz file is a zip archive"
        r" starting with b'PK', this one starts with b'hell'",
    ),
    "checkpoint-layer": (
        lambda: io.load(_unknown_layer()),
        io.CheckpointError,
        r"m.npz: model.1: unknown layer type 'Hardswish'; this version of minitorch_bp can build \[",
    ),
    "cli-hidden": (
        lambda: _cli("train", "--dataset", "xor", "--hidden", "3,-1"),
        CliExitError,
        r"exit 2: minitorch-bp: error: --hidden '3,-1': '-1' is not a positive integer; give",
    ),
    "cli-target": (
        lambda: _cli("train", "--data", _file("d.csv", "a,label\n1,0\n")),
        CliExitError,
        r"exit 2: minitorch-bp: error: --data needs --target COLUMN$",
    ),
    "cli-evaluate-missing": (
        lambda: _cli("evaluate", "nope.npz"),
        CliExitError,
        r"exit 2: minitorch-bp: error: \[Errno 2\] No such file or directory: 'nope.npz'",
    ),
    "cli-dataset": (
        lambda: _cli("train", "--dataset", "nope"),
        CliExitError,
        r"exit 2: minitorch-bp train: error: argument --dataset: invalid choice: 'nope' \(choose"
        r" from 'digits', 'xor', 'moons', 'spirals', 'study-sleep'\)",
    ),
    "cli-epochs": (
        lambda: _cli("train", "--epochs", "0"),
        CliExitError,
        r"exit 2: minitorch-bp train: error: argument --epochs: '0' is not a positive integer",
    ),
    "cli-seed": (
        lambda: _cli("train", "--seed", "-1"),
        CliExitError,
        r"exit 2: minitorch-bp train: error: argument --seed: '-1' is not a non-negative integer",
    ),
    "cli-ignored": (
        lambda: _cli("train", "--optimizer", "lbfgs", "--lr", "0.1"),
        CliExitError,
        r"exit 2: minitorch-bp: error: --lr is ignored by --optimizer lbfgs, which takes no"
        r" learning rate and works on the full batch; leave it out",
    ),
    "cli-conflict": (
        lambda: _cli("train", "--save", "m.npz", "--no-save"),
        CliExitError,
        r"exit 2: minitorch-bp: error: --save and --no-save contradict each other",
    ),
    "cli-save-folder": (
        lambda: _cli("train", "--dataset", "xor", "--save", tempfile.mkdtemp()),
        CliExitError,
        r"exit 2: minitorch-bp: error: --save: .* is a directory, not a file; add a file name",
    ),
    "cli-memory": (
        lambda: _cli("train", "--hidden", "100000000"),
        CliExitError,
        r"exit 2: minitorch-bp: error: --hidden: the network 64-100000000-10 has 7,500,000,010"
        r" parameters \(about 4.4 TB to train with sgd\), more than --max-params 10,000,000",
    ),
    "cli-columns": (
        lambda: _cli(
            "evaluate", str(_cli_files() / "m.npz"), "--data", str(_cli_files() / "o.csv")
        ),
        CliExitError,
        r"exit 2: minitorch-bp: error: .*o.csv: the feature columns are in another order than in"
        r" training: \['b', 'a'\] here, \['a', 'b'\] in training",
    ),
    "cli-unseen-label": (
        lambda: _cli(
            "evaluate", str(_cli_files() / "m.npz"), "--data", str(_cli_files() / "u.csv")
        ),
        CliExitError,
        r"exit 2: minitorch-bp: error: MLPClassifier.score: y has 1 label\(s\) not seen in fit:"
        r" 'bird'; the classes are 'cat', 'dog'",
    ),
    "cli-network-only": (
        lambda: _cli("predict", _old_checkpoint(), "--data", str(_cli_files() / "d.csv")),
        CliExitError,
        r"exit 2: minitorch-bp: error: .*old.npz holds a network only \(saved by a minitorch-bp"
        r" train from before the estimators, without the preprocessing of its rows\), so predict"
        r" cannot apply it",
    ),
    "cli-extra": (
        lambda: _cli("evaluate", _old_checkpoint(seed=[1])),
        CliExitError,
        r"exit 2: minitorch-bp: error: .*old.npz: extra\['seed'\]=\[1\] must be a non-negative"
        r" integer",
    ),
    "cli-diverged": (
        lambda: _cli(
            "train",
            "--data",
            str(_cli_files() / "r.csv"),
            "--target",
            "y",
            "--activation",
            "relu",
            "--lr",
            "50",
            "--epochs",
            "50",
            "--no-save",
            "--quiet",
        ),
        CliExitError,
        r"exit 1: minitorch-bp: error: training diverged in epoch \d+: ",
    ),
    "adam-betas": (
        lambda: optim.Adam(_net().parameters(), betas=(0.9, 1.0)),
        ValueError,
        r"Adam: betas\[1\]=1.0 must be in \[0, 1\) \(betas=\(0.9, 1.0\)\)",
    ),
    "momentum": (
        lambda: optim.SGD(_net().parameters(), lr=0.1, momentum=-0.5),
        ValueError,
        r"SGD: momentum=-0.5 must be a number in \[0, 1\]",
    ),
    "nesterov": (
        lambda: optim.SGD(_net().parameters(), lr=0.1, nesterov=True),
        ValueError,
        r"SGD: nesterov=True needs momentum > 0 \(got momentum=0.0\)",
    ),
    "dropout-p": (
        lambda: nn.Dropout(1.5),
        ValueError,
        r"Dropout: p=1.5 must be a probability with 0 <= p < 1 \(p = 1 would zero every unit\)",
    ),
    "ce-labels": (
        lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3])),
        ValueError,
        r"CrossEntropyLoss: class labels must lie in 0..2 for 3 logits per row; got 1 out of"
        r" range, e.g. \[3\] at indices \[1\]",
    ),
    "seed-negative": (
        lambda: nn.Linear(3, 2, rng=-1),
        ValueError,
        r"^Linear: rng=-1 must be None, a non-negative integer seed or a numpy.random.Generator$",
    ),
    "seed-type": (
        lambda: nn.Linear(3, 2, rng="abc"),
        ValueError,
        r"^Linear: rng='abc' must be None, a non-negative integer seed or a numpy.random.Generator$",
    ),
    "overflow": (
        _overflow,
        FloatingPointError,
        r"^Sequential layer 2: Linear\(in_features=2, out_features=1, bias=True\) produced inf"
        r" from finite inputs and parameters \(overflow\)",
    ),
    "predict-nan": (
        _broken_outputs,
        ValueError,
        r"predict: the model's output holds 1 NaN or inf value\(s\), the first in row 1",
    ),
    "save-empty-path": (
        lambda: io.save(_net(), ""),
        ValueError,
        r"^io.save: path='' is empty; give a file name such as 'model.npz'$",
    ),
    "save-directory": (
        lambda: io.save(_net(), tempfile.mkdtemp()),
        IsADirectoryError,
        r"io.save: .* is a directory, not a file; add a file name",
    ),
    "save-under-a-file": (
        _under_a_file,
        NotADirectoryError,
        r"io.save: cannot write .*notes.txt/m.npz: .*notes.txt is a file, not a folder",
    ),
    "save-object-array": (
        lambda: io.save(
            _net(),
            Path(tempfile.mkdtemp()) / "m.npz",
            extra={"classes": np.array(["cat", 3], dtype=object)},
        ),
        io.CheckpointError,
        r"io.save: extra\['classes'\] is an array of dtype object \(Python objects\), which only"
        r" pickle could store",
    ),
    "save-nan": (
        lambda: io.save(_diverged(), Path(tempfile.mkdtemp()) / "m.npz"),
        io.CheckpointError,
        r"io.save: parameter '0.weight' has 1 NaN or inf value\(s\), the first nan at index"
        r" \(1, 2\); nothing was written",
    ),
    "load-nan": (
        lambda: io.load(_with_nan_parameter()),
        io.CheckpointError,
        r"m.npz: param/0.bias holds 1 NaN or inf value\(s\), the first nan at index \(1,\);"
        r" refusing a model that cannot predict",
    ),
    "load-bomb": (
        lambda: io.load(_bomb()),
        io.CheckpointError,
        r"bomb.npz: member param/0.weight.npy expands from [\d,]+ to 4,000,128 bytes, more than"
        r" 32 times",
    ),
    "load-huge-layer": (
        lambda: io.load(_huge_layer()),
        io.CheckpointError,
        r"claim.npz: layer '0' \(Linear\) has in_features=100000, larger than every dimension"
        r" of its arrays in the file \(at most 1024\); refusing to build it",
    ),
    "load-cap": (
        lambda: io.load(_saved()[0], max_parameters=5),
        io.CheckpointError,
        r"m.npz: the arrays hold [\d,]+ numbers, more than max_parameters=5; if you trust the"
        r" file, raise it: load_checkpoint\(path, max_parameters=\d+\)",
    ),
    "fit-interrupted": (
        _ctrl_c_at_epoch_2,
        train.TrainingInterrupted,
        r"fit: interrupted after epoch 2, batch 0; the History of the 1 finished epoch\(s\) is"
        r" this exception's .history",
    ),
    "fit-diverged": (
        _diverging_fit,
        train.TrainingDivergedError,
        r"fit: training diverged at epoch \d+, batch \d: .*NaN or inf.*lower the learning rate.*"
        r"Stopped; the History keeps the \d+ finished epoch\(s\)",
    ),
    "fit-update-nonfinite": (
        _overflowing_update,
        train.TrainingDivergedError,
        r"epoch 1, batch 0: the update made parameter '0.weight' NaN or inf \(J was finite"
        r" before it\).*not finite: reload a checkpoint, or pass EarlyStopping",
    ),
    "fit-data-nan": (
        _nan_row_5,
        ValueError,
        r"fit: the training X holds 1 NaN or inf value\(s\), the first in row 5; clean or impute",
    ),
    "fit-log-every": (
        lambda: _fit_rows(log_every=0),
        ValueError,
        r"fit: log_every=0 must be a positive integer",
    ),
    "optim-state-nan": (
        lambda: _tampered_state(
            lambda p: optim.Adam(p, lr=0.01), lambda s: _set(s, "exp_avg", 0, np.nan)
        ),
        ValueError,
        r"Adam.load_state_dict: exp_avg\[0\] holds 1 NaN or inf value\(s\); an optimizer state"
        r" must be finite",
    ),
    "optim-state-negative": (
        lambda: _tampered_state(
            lambda p: optim.Adam(p, lr=0.01), lambda s: _set(s, "exp_avg_sq", 1, -0.5)
        ),
        ValueError,
        r"Adam.load_state_dict: exp_avg_sq\[1\] holds negative values \(the least -0.5\); a sum"
        r" or average of squares is >= 0",
    ),
    "optim-state-length": (
        lambda: _tampered_state(
            lambda p: optim.LBFGS(p, max_iter=3), lambda s: s.update(d=s["d"][:-1])
        ),
        ValueError,
        r"LBFGS.load_state_dict: d has shape \(7,\); expected \(8,\), one entry per trained"
        r" parameter value",
    ),
    "adam-eps": (
        lambda: optim.Adam(_net().parameters(), eps=0),
        ValueError,
        r"Adam: eps=0 must be a finite number > 0",
    ),
    "gradcheck-dropout": (
        lambda: gradcheck(
            nn.Sequential(nn.Linear(3, 2, rng=0), nn.Dropout(0.5, rng=0), nn.Sigmoid()),
            nn.BCELoss(),
            np.ones((4, 3)),
            np.ones((4, 2)),
        ),
        ValueError,
        r"gradcheck: 1 \(Dropout\(p=0.5\)\) is in training mode.*call model.eval\(\) first",
    ),
    "embedding-range": (
        lambda: nn.Embedding(5, 3, rng=0)(np.array([[1, 7]])),
        ValueError,
        r"Embedding\(5, 3\): index 7 at position \(0, 1\) is out of range; the table has rows 0"
        r" to 4",
    ),
    "embedding-float": (
        lambda: nn.Embedding(5, 3, rng=0)(np.array([[1.5, 2]])),
        ValueError,
        r"Embedding\(5, 3\) expects integer indices.*got dtype float64",
    ),
    "conv-channels": (
        lambda: nn.Conv2d(3, 4, 3, rng=0)(np.ones((2, 1, 8, 8))),
        ValueError,
        r"Conv2d\(3, 4, .*\) got input with 1 channels \(shape \(2, 1, 8, 8\)\); expected 3",
    ),
    "conv-small": (
        lambda: nn.Conv2d(1, 4, 5, rng=0)(np.ones((2, 1, 3, 3))),
        ValueError,
        r"the input's spatial size \(3, 3\) .* is smaller than the kernel's extent \(5, 5\)",
    ),
    "csv-long-field": (
        lambda: io.read_csv(_file("d.csv", "a,y\n" + "x" * 200_000 + ",0\n"), "y"),
        ValueError,
        r"d.csv: line 2: a field longer than 131,072 characters \(the csv module's limit\)",
    ),
    "csv-encoding": (
        lambda: io.read_csv(_file_bytes("d.csv", "größe,y\n1,0\n".encode("latin-1")), "y"),
        ValueError,
        r"d.csv: not UTF-8 text \(byte 0xf6 at offset 2\); save the file as UTF-8, or pass its"
        r" encoding, e.g. read_csv\(path, target, encoding='latin-1'\)",
    ),
    "csv-only-target": (
        lambda: io.read_csv(_file("d.csv", "y\n0\n1\n"), "y"),
        ValueError,
        r"d.csv: only the target column 'y'; no feature columns to learn from",
    ),
    "explain-example": (
        lambda: explain(_net(), nn.BCELoss(), np.ones((4, 3)), np.ones((4, 2)), example=4),
        ValueError,
        r"explain: example=4 must be a row index of X, 0 <= example < 4",
    ),
    "explain-l2": (
        lambda: explain(
            _net(),
            nn.BCELoss(),
            np.ones((4, 3)),
            np.ones((4, 2)),
            l2=2.0,
            optimizer=optim.SGD(_net().parameters(), lr=0.1, l2=1.0),
        ),
        ValueError,
        r"explain: l2=2.0 differs from the optimizer's l2=1.0; give one",
    ),
    "report-folder": (
        lambda: train.fit(
            _net(),
            nn.BCELoss(),
            optim.SGD(_net().parameters(), lr=0.1),
            DataLoader(np.ones((4, 3)), np.ones((4, 2)), 4),
            epochs=1,
            report="no/such/folder/run.html",
        ),
        ValueError,
        r"fit: report='no/such/folder/run.html': the folder 'no/such/folder' does not exist",
    ),
    "monitor-every": (
        lambda: train.Monitor(every=0),
        ValueError,
        r"Monitor: every=0 must be None or an integer >= 1",
    ),
    "csv-missing": (
        lambda: io.read_csv(_file("d.csv", "a,b,y\n1,NA,0\n"), "y"),
        ValueError,
        r"d.csv: row 2, column 'b': missing value \('NA'\); pass na='drop' \(leave such rows"
        r" out\) or na='keep' \(NaN, for an estimator's na='mean'\)",
    ),
    "csv-duplicate-column": (
        lambda: io.read_csv(_file("d.csv", "a,a,y\n1,2,0\n"), "y"),
        ValueError,
        r"d.csv: the header names column 'a' twice \(columns 1 and 2\); column names must be"
        r" unique",
    ),
    "csv-unknown-column": (
        lambda: io.read_csv(_file("d.csv", "id,a,y\nA,1,0\n"), "y", drop=["ID"]),
        ValueError,
        r"d.csv: no column 'ID' \(drop\); the columns are \['id', 'a', 'y'\]",
    ),
    "csv-decimal-comma": (
        lambda: io.read_csv(_file("d.csv", "a;y\n1,5;0\n"), "y"),
        ValueError,
        r"d.csv: row 2, column 'a': '1,5' is not a number; if ',' is the decimal mark, pass"
        r" decimal=','",
    ),
    "estimator-unseen-label": (
        lambda: _classifier().score(ESTIMATOR_X, ["cat", "dog", "cat", "emu"]),
        ValueError,
        r"MLPClassifier.score: y has 1 label\(s\) not seen in fit: 'emu'; the classes are"
        r" 'cat', 'dog'",
    ),
    "estimator-missing": (
        lambda: MLPClassifier().fit(np.array([[1.0, np.nan], [0.0, 1.0]]), [0, 1]),
        ValueError,
        r"MLPClassifier.fit: X has a missing value \(NaN\) in row 0, column 1; 1 missing in"
        r" all. Fill it in, or pass na='drop' \(leave such rows out\) or na='mean' \(use the"
        r" column's training mean\)",
    ),
    "estimator-continuous": (
        lambda: MLPClassifier().fit(ESTIMATOR_X, [0.5, 1.5, 2.5, 3.5]),
        ValueError,
        r"MLPClassifier.fit: Unknown label type: continuous. y holds non-integer values such"
        r" as 0.5 \(index 0\); class labels are text, booleans or integers \(for a numeric"
        r" target use MLPRegressor\)",
    ),
    "estimator-columns": (
        lambda: _classifier().predict(ESTIMATOR_X[:, :1]),
        ValueError,
        r"MLPClassifier.predict: X has 1 features, but MLPClassifier is expecting 2 features"
        r" as input",
    ),
    "estimator-not-fitted": (
        lambda: MLPRegressor().predict(ESTIMATOR_X),
        NotFittedError,
        r"This MLPRegressor instance is not fitted yet; call fit \(or partial_fit\) before"
        r" predict, or load a fitted one with MLPRegressor.load\(path\)",
    ),
    "estimator-parameter": (
        lambda: MLPClassifier(solver="newton").fit(ESTIMATOR_X, ["cat", "dog", "cat", "dog"]),
        ValueError,
        r"MLPClassifier.fit: solver='newton' must be one of \('sgd', 'adam', 'lbfgs', 'cg'\)",
    ),
}


def _diverged() -> nn.Sequential:
    model = _net()
    model[0].weight.data[1, 2] = np.nan
    return model


def _linear_ran() -> nn.Linear:
    layer = nn.Linear(3, 2, rng=0)
    layer(np.ones((2, 3)))
    return layer


def _repeat() -> nn.Sequential:
    s = nn.Sigmoid()
    return nn.Sequential(nn.Linear(2, 2), s, nn.Linear(2, 2), s)


@pytest.mark.parametrize("row", sorted(ROWS))
def test_row(row: str) -> None:
    action, exc_type, pattern = ROWS[row]
    with pytest.raises(exc_type, match=pattern):
        action()


def test_every_documented_row_is_tested_and_every_test_documented() -> None:
    documented = set(
        re.findall(r"^\| `([a-z0-9-]+)` \|", DOC.read_text(encoding="utf-8"), flags=re.M)
    )
    assert documented == set(ROWS), (documented - set(ROWS), set(ROWS) - documented)


def test_a_refused_load_leaves_the_model_untouched() -> None:
    model = _net()
    before = model.state_dict()
    with pytest.raises(ValueError):
        model.load_state_dict({"0.weight": np.ones((2, 3)), "0.bias": np.ones(5)})
    for k, v in before.items():
        np.testing.assert_array_equal(model.state_dict()[k], v)
