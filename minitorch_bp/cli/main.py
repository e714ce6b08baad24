"""The parser of ``minitorch-bp`` and ``main``: every user mistake one line and an exit status, never a traceback.

Exit statuses: 0 done; 1 training diverged (or ``gradcheck`` failed); 2 a user mistake
(bad or conflicting options, files, checkpoints, CSV cells); 130 interrupted (Ctrl-C);
141 the reader of the output went away (``... | head -1``), quietly as Unix tools do.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from minitorch_bp import nn
from minitorch_bp.cli.common import OPTIMIZERS, activations, build_model
from minitorch_bp.cli.data import NA_MODES
from minitorch_bp.cli.memory import MAX_PARAMS
from minitorch_bp.cli.training import Interrupted, TrainingDivergedError, cmd_demo, cmd_train
from minitorch_bp.cli.using import cmd_evaluate, cmd_predict
from minitorch_bp.estimators.task import TASKS
from minitorch_bp.explain.cli import add_explain_command
from minitorch_bp.gradcheck import gradcheck_report
from minitorch_bp.interop.cli import add_export_command
from minitorch_bp.train.problems import DATASETS


def _number(kind: Callable[[str], Any], test: Callable[[Any], bool], want: str) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not test(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {want}")
        return value

    parse.__name__ = want
    return parse


positive_int = _number(int, lambda v: v >= 1, "a positive integer")
nonnegative_int = _number(int, lambda v: v >= 0, "a non-negative integer")
positive_float = _number(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
nonnegative_float = _number(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")


def _columns(text: str) -> list[str]:
    names = [c.strip() for c in text.split(",")]
    if not text.strip() or not all(names):
        raise argparse.ArgumentTypeError(
            f"{text!r} must be column names separated by commas, e.g. a,b"
        )
    return names


def _delimiter(text: str) -> str:
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    sep = named.get(text, text)
    if len(sep) != 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} must be one character (or tab, comma, semicolon, pipe)"
        )
    return sep


def cmd_gradcheck(args: argparse.Namespace) -> int:
    """The course's checkNNGradients: a 3-5-3 network, 5 examples, λ = 3."""
    rng = np.random.default_rng(args.seed)
    model = build_model([3, 5, 3], "sigmoid", args.seed)
    X = rng.normal(size=(5, 3))
    Y = np.eye(3)[rng.integers(0, 3, size=5)]
    r = gradcheck_report(model, nn.BCELoss(), X, Y, l2=args.l2)
    print(f"{'parameter':<12} {'analytic':>14} {'numerical':>14}")
    k = 0
    for name, size in zip(r.names, r.sizes, strict=True):
        for i in range(min(size, args.show)):
            print(f"{name + f'[{i}]':<12} {r.analytic[k + i]:>14.10f} {r.numerical[k + i]:>14.10f}")
        k += size
    ok = r.relative_difference < 1e-9
    print(
        f"relative difference: {r.relative_difference:.2e} ({'ok' if ok else 'FAILED'}: must be < 1e-9)"
    )
    return 0 if ok else 1


def _training_options(p: argparse.ArgumentParser, demo: bool) -> None:
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="number of epochs (default: set per data set)",
    )
    p.add_argument(
        "--batch-size",
        type=nonnegative_int,
        default=0,
        help="rows per mini-batch; 0 (the default): the whole training set. Without --lr"
        " and --l2, SGD's α and the notes' λ are scaled with the batch (α·b/m, λ·b/m), so"
        " one epoch of mini-batches moves as far as one full-batch step",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="learning rate α (default: set per data set and optimizer, scaled with --batch-size)",
    )
    p.add_argument(
        "--l2",
        type=nonnegative_float,
        default=None,
        help="the notes' λ (default: set per data set)",
    )
    p.add_argument(
        "--seed", type=nonnegative_int, default=0, help="seeds the split, weights and batches"
    )
    p.add_argument("--save", metavar="PATH", help="where to write the model (.npz)")
    p.add_argument("--no-save", action="store_true", help="do not write the model")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--max-params",
        type=positive_int,
        default=MAX_PARAMS,
        help=f"refuse a network with more parameters (default {MAX_PARAMS:,}); a network whose"
        " estimated training memory exceeds the memory available is refused too",
    )
    if demo:
        return
    p.add_argument("--hidden", default=None, help="hidden layer sizes, e.g. 25 or 16,8")
    p.add_argument("--activation", choices=sorted(activations()), default="sigmoid")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="sgd")
    p.add_argument(
        "--output",
        choices=("sigmoid", "softmax", "identity"),
        default=None,
        help="the output unit: classification sigmoid (the notes' K logistic units, default)"
        " or softmax; regression identity (linear, MSE; default) or sigmoid (the notes'"
        " regression: a sigmoid on the target scaled into [0, 1])",
    )
    p.add_argument(
        "--report",
        metavar="FILE.html",
        help="write one self-contained HTML report of the run (needs the plots extra)",
    )


def _csv_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data", metavar="FILE.csv", help="your own CSV (header row; text labels allowed)"
    )
    p.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    p.add_argument(
        "--features",
        type=_columns,
        metavar="A,B,...",
        help="the feature columns (default: all but --target and --drop)",
    )
    p.add_argument(
        "--drop", type=_columns, metavar="A,B,...", help="columns to leave out (an id column...)"
    )
    p.add_argument(
        "--delimiter",
        type=_delimiter,
        default=None,
        help="the cell separator (default: detected: , ; tab |)",
    )
    p.add_argument(
        "--na",
        choices=tuple(NA_MODES),
        default="error",
        help="missing cells: error (default; names the row and column), drop the rows, or"
        " mean (filled in with the training means, also when predicting)",
    )
    p.add_argument(
        "--task", choices=TASKS, default=None, help="override the task inferred from the target"
    )


def check_conflicts(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse options that contradict each other or would be ignored (exit status 2)."""
    given = {a.dest: a.option_strings[0] for a in parser._actions if a.option_strings}

    def set_(name: str) -> bool:
        value = getattr(args, name, None)
        default = parser.get_default(name)
        return value is not None and value is not False and value != default

    problems = []
    data = getattr(args, "data", None)
    if args.command == "train":
        if data and set_("dataset"):
            problems.append("--dataset and --data contradict each other: give one of them")
        for name in ("target", "features", "drop", "delimiter", "na", "task"):
            if not data and set_(name):
                problems.append(
                    f"{given[name]} is for --data FILE.csv; without it, it would be ignored"
                )
        if set_("features") and set_("drop"):
            problems.append("--features and --drop: --features already names every column to use")
        if data and not args.target:
            problems.append("--data needs --target COLUMN")
    if args.command in ("train", "demo"):
        opt = getattr(args, "optimizer", "sgd")
        if opt in ("lbfgs", "cg"):
            for name in ("lr", "batch_size"):
                if set_(name):
                    problems.append(
                        f"{given[name]} is ignored by --optimizer {opt}, which takes no learning"
                        " rate and works on the full batch; leave it out"
                    )
        if args.save and args.no_save:
            problems.append("--save and --no-save contradict each other; give one of them")
    if args.command == "evaluate":
        if data and set_("dataset"):
            problems.append("--dataset and --data contradict each other: give one of them")
        if not data and set_("target"):
            problems.append("--target is for --data FILE.csv; without it, it would be ignored")
        if data and args.seed is not None:
            problems.append("--seed picks a data set's test split; with --data every row is scored")
    if args.command == "predict" and args.proba and not args.out:
        pass  # probabilities go to stdout too
    if problems:
        raise ValueError(problems[0] if len(problems) == 1 else "; ".join(problems))


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="minitorch-bp", description="The backpropagation notes, running.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "demo",
        help="train the notes' 64-25-10 network on the embedded digits",
        description="Train the notes' 64-25-10 sigmoid network (BCE, λ = 1, full batch) "
        "on the embedded digits; report held-out accuracy and save the model.",
    )
    _training_options(p, demo=True)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser(
        "train",
        help="train a network on a built-in data set or a CSV file",
        description="Train on a built-in data set or your CSV: a quarter of a CSV's rows is"
        " held out and scored (accuracy, or RMSE, MAE and R² in the target's units); the"
        " model saved with --save carries its preprocessing.",
    )
    p.add_argument("--dataset", choices=DATASETS, default=None, help="default: digits")
    _csv_options(p)
    _training_options(p, demo=False)
    p.set_defaults(func=cmd_train)
    p = sub.add_parser(
        "evaluate",
        help="score a saved model on every row of a CSV, or on its data set's test split",
    )
    p.add_argument("model", metavar="MODEL", help="a file written by --save")
    p.add_argument(
        "--dataset", choices=DATASETS, default=None, help="default: the one it was trained on"
    )
    p.add_argument("--data", metavar="FILE.csv", help="score every row of this file")
    p.add_argument("--target", metavar="COLUMN", help="default: the training target")
    p.add_argument(
        "--seed", type=nonnegative_int, default=None, help="default: the training seed (same split)"
    )
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser(
        "predict",
        help="predict every row of a CSV with a saved model",
        description="Apply the model's preprocessing to every row of --data and write its"
        " predictions, in the original label names, as CSV (to --out, or stdout).",
    )
    p.add_argument("model", metavar="MODEL", help="a file written by train --save")
    p.add_argument("--data", metavar="FILE.csv", required=True, help="the rows to predict")
    p.add_argument("--out", metavar="PREDS.csv", help="write here (atomically); default stdout")
    p.add_argument(
        "--proba", action="store_true", help="also each class's probability (classifiers)"
    )
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("gradcheck", help="the course's gradient check on a small random network")
    p.add_argument("--l2", type=nonnegative_float, default=3.0, help="the notes' λ (default 3)")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--show", type=nonnegative_int, default=3, help="entries shown per parameter")
    p.set_defaults(func=cmd_gradcheck)
    add_explain_command(sub)
    add_export_command(sub)
    return parser


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]  # type: ignore[no-any-return]
    raise AssertionError(command)  # pragma: no cover


def _quiet_pipe() -> int:
    # The reader went away (`| head -1`): stop writing, and let nothing print at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed its one line; --help exits 0 as usual
        if exc.code in (0, None):
            raise
        return exc.code if isinstance(exc.code, int) else 2
    try:
        check_conflicts(args, _subparser(parser, args.command))
        code: int = args.func(args)
    except BrokenPipeError:
        return _quiet_pipe()
    except Interrupted as stop:
        print(f"minitorch-bp: {stop.message}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("minitorch-bp: interrupted", file=sys.stderr)
        return 130
    except FloatingPointError as exc:  # TrainingDivergedError, or fit's own on a non-finite loss
        message = (
            str(exc) if isinstance(exc, TrainingDivergedError) else f"training diverged: {exc}"
        )
        print(f"minitorch-bp: error: {message}", file=sys.stderr)
        return 1
    # CheckpointError is a ValueError; ImportError names the extra to install.
    except (ValueError, OSError, ImportError) as exc:
        print(f"minitorch-bp: error: {exc}", file=sys.stderr)
        return 2
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_pipe()
    return code
