"""The ``minitorch-bp`` command line (also ``python -m minitorch_bp``).

Sub-commands: ``demo`` (the README's job), ``train``, ``evaluate``, ``gradcheck``,
``explain`` (one training step for one example, equation by equation) and ``export``.
User mistakes end as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from minitorch_bp import io, nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.explain.cli import add_explain_command
from minitorch_bp.gradcheck import gradcheck_report
from minitorch_bp.interop.cli import add_export_command
from minitorch_bp.train import confusion_matrix, evaluate, fit, format_confusion_matrix, predict
from minitorch_bp.train.evaluate import class_labels
from minitorch_bp.train.problems import DATASETS, Problem, csv_problem, load_problem

OPTIMIZERS: dict[str, tuple[type[optim.Optimizer], dict[str, Any]]] = {
    "sgd": (optim.SGD, {}),
    "momentum": (optim.SGD, {"momentum": 0.9}),
    "adam": (optim.Adam, {}),
    "lbfgs": (optim.LBFGS, {}),
    "cg": (optim.ConjugateGradient, {}),
}
# (hidden, epochs, lr, l2, batch size; 0 = full batch) for plain gradient descent
DEFAULTS = {
    "digits": ("25", 800, 4.0, 1.0, 0),
    "xor": ("3", 2000, 5.0, 0.0, 0),
    "moons": ("10", 1000, 2.0, 0.0, 0),
    "spirals": ("50", 2000, 2.0, 0.0, 0),
    "study-sleep": ("3", 2000, 2.0, 0.0, 0),
    "csv": ("25", 500, 1.0, 0.0, 0),
}


def activations() -> dict[str, type[nn.Elementwise]]:
    """``--activation`` names: every registered element-wise activation, by its ``cli_name``."""
    return {cls.cli_name: cls for cls in nn.registry.classes() if issubclass(cls, nn.Elementwise)}


def build_model(sizes: Sequence[int], activation: str, seed: int) -> nn.Sequential:
    """The notes' network: Linear layers, ``activation`` between them, a sigmoid output."""
    act = activations()[activation]
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b, rng=rng))
        layers.append(nn.Sigmoid() if i == len(sizes) - 2 else act())
    return nn.Sequential(*layers)


def default_lr(optimizer: str, activation: str, sgd_sigmoid_lr: float) -> float | None:
    """A learning rate that trains when the user gives none (measured on the digits).

    The data sets' rates are tuned for the notes' sigmoid units and plain SGD; unbounded
    units (ReLU, ...) diverge at those rates, momentum multiplies the step by about
    1/(1 − μ), and Adam's step size does not scale with the gradient. Line-search
    optimizers take no rate.
    """
    lr = sgd_sigmoid_lr if activation == "sigmoid" else min(sgd_sigmoid_lr, 0.5)
    return {"sgd": lr, "momentum": lr / 4, "adam": 0.01}.get(optimizer)


def build_optimizer(name: str, model: nn.Module, lr: float | None, l2: float) -> optim.Optimizer:
    cls, kwargs = OPTIMIZERS[name]
    kwargs = {**kwargs, "l2": l2}
    if not cls.requires_closure:  # line-search optimizers take no learning rate
        if lr is None:
            raise ValueError(f"--optimizer {name} needs --lr")
        kwargs["lr"] = lr
    return cls(model.parameters(), **kwargs)


def _report(model: nn.Module, problem: Problem, criterion: nn.Loss, l2: float) -> None:
    part = "test" if problem.held_out else "training"
    X, Y = problem.X_test, problem.Y_test
    if problem.regression:
        res = evaluate(model, X, Y, criterion=criterion, l2=l2, metrics=("loss",))
        print(f"{part} loss J(Θ): {res['loss']:.6f} on {len(X)} examples")
        return
    res = evaluate(model, X, Y, metrics=("accuracy",))
    print(
        f"{part} accuracy: {res['accuracy']:.1%} on {len(X)} {'held-out ' * problem.held_out}examples"
    )
    C = confusion_matrix(class_labels(Y), predict(model, X), problem.n_classes)
    print("confusion matrix (rows: true class, columns: predicted):")
    print(format_confusion_matrix(C))


def _problem(args: argparse.Namespace) -> Problem:
    if getattr(args, "data", None):
        if not args.target:
            raise ValueError("--data needs --target COLUMN")
        return csv_problem(args.data, args.target, args.seed)
    return load_problem(args.dataset, args.seed)


def _run(args: argparse.Namespace, problem: Problem, default_save: str | None) -> int:
    key = "csv" if getattr(args, "data", None) else problem.name
    hidden, epochs, lr, l2, batch = DEFAULTS[key]
    opt_name = getattr(args, "optimizer", "sgd")
    hidden_sizes = parse_hidden(args.hidden or hidden)
    sizes = [problem.X_train.shape[1], *hidden_sizes, problem.n_outputs]
    model = build_model(sizes, getattr(args, "activation", "sigmoid"), args.seed)
    if args.lr is None:
        args.lr = default_lr(opt_name, getattr(args, "activation", "sigmoid"), lr)
    m = problem.X_train.shape[0]
    default_size = min(batch or m, m)
    size = min(args.batch_size or default_size, m)
    if OPTIMIZERS[opt_name][0].requires_closure and size != m:
        print(f"{opt_name} works on the full batch: using batch size {m}")
        size = m
    if args.l2 is not None:
        l2 = args.l2
    elif size != default_size:
        # The optimizer divides λ by the batch's m, so the data set's λ (tuned for its
        # default batch) is scaled with the batch to keep the same penalty in J(Θ).
        l2 = l2 * size / default_size
        print(f"λ = {l2:.4g} (the data set's λ scaled to batch size {size}; --l2 to override)")
    opt = build_optimizer(opt_name, model, args.lr, l2)
    criterion: nn.Loss = nn.MSELoss() if problem.regression else nn.BCELoss()
    # one full batch needs no shuffling (and saves gathering the rows each epoch)
    loader = DataLoader(problem.X_train, problem.Y_train, size, shuffle=size < m, seed=args.seed)
    epochs = args.epochs or epochs
    print(model)
    metrics = ("loss",) if problem.regression else ("loss", "accuracy")
    report = getattr(args, "report", None)
    fit(
        model,
        criterion,
        opt,
        loader,
        epochs=epochs,
        metrics=metrics,
        progress=not args.quiet,
        log_every=max(1, epochs // 8),
        report=report,
    )
    if report:
        print(f"report written to {report}")
    _report(model, problem, criterion, l2)
    path = None if args.no_save else (args.save or default_save)
    if path:
        extra = {"dataset": problem.name, "seed": args.seed, "l2": l2, "info": problem.info}
        io.save(model, path, optimizer=opt, extra=extra)
        print(f"model saved to {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Train the notes' 64-25-10 sigmoid network on the embedded digits."""
    args.hidden = "25"
    return _run(args, load_problem("digits", args.seed), "runs/demo-digits.npz")


def cmd_train(args: argparse.Namespace) -> int:
    return _run(args, _problem(args), None)


def load_saved(args: argparse.Namespace) -> tuple[io.Checkpoint, dict[str, Any]]:
    """Load ``args.model``; default ``--seed`` and ``--dataset`` to those it was trained with."""
    ckpt = io.load_checkpoint(args.model)
    extra = ckpt.extra if isinstance(ckpt.extra, dict) else {}
    if args.seed is None:
        args.seed = int(extra.get("seed", 0))
    if not args.dataset and not args.data:
        args.dataset = extra.get("dataset")
        if args.dataset not in DATASETS:
            raise ValueError("give --dataset or --data FILE --target COLUMN")
    return ckpt, extra


def cmd_evaluate(args: argparse.Namespace) -> int:
    ckpt, extra = load_saved(args)
    problem = _problem(args)
    regression = problem.regression
    criterion: nn.Loss = nn.MSELoss() if regression else nn.BCELoss()
    print(ckpt.model)
    _report(ckpt.model, problem, criterion, float(extra.get("l2", 0.0)))
    return 0


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
        "--epochs", type=int, default=None, help="number of epochs (default: set per data set)"
    )
    p.add_argument("--batch-size", type=int, default=0, help="0: the whole training set")
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate α (default: set per data set and optimizer)",
    )
    p.add_argument(
        "--l2", type=float, default=None, help="the notes' λ (default: set per data set)"
    )
    p.add_argument("--seed", type=int, default=0, help="seeds the split, weights and batches")
    p.add_argument("--save", metavar="PATH", help="where to write the model (.npz)")
    p.add_argument("--no-save", action="store_true", help="do not write the model")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    if demo:
        return
    p.add_argument("--hidden", default=None, help="hidden layer sizes, e.g. 25 or 16,8")
    p.add_argument("--activation", choices=sorted(activations()), default="sigmoid")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="sgd")
    p.add_argument(
        "--report",
        metavar="FILE.html",
        help="write one self-contained HTML report of the run (needs the plots extra)",
    )


def parse_hidden(text: str) -> list[int]:
    """Parse ``--hidden`` ("25" or "16,8") into layer sizes, naming the option on error."""
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            size = 0
        if size < 1:
            raise ValueError(
                f"--hidden {text!r}: {part.strip()!r} is not a positive integer;"
                " give layer sizes separated by commas, e.g. 25 or 16,8"
            )
        sizes.append(size)
    return sizes


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
    p = sub.add_parser("train", help="train a network on a built-in data set or a CSV file")
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--data", metavar="FILE.csv", help="your own CSV (header row, numeric cells)")
    p.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    _training_options(p, demo=False)
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("evaluate", help="evaluate a saved model on a data set's test split")
    p.add_argument("model", metavar="MODEL", help="a file written by --save")
    p.add_argument(
        "--dataset", choices=DATASETS, default=None, help="default: the one it was trained on"
    )
    p.add_argument("--data", metavar="FILE.csv")
    p.add_argument("--target", metavar="COLUMN")
    p.add_argument("--seed", type=int, default=None, help="default: the training seed (same split)")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("gradcheck", help="the course's gradient check on a small random network")
    p.add_argument("--l2", type=float, default=3.0, help="the notes' λ (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--show", type=int, default=3, help="entries shown per parameter")
    p.set_defaults(func=cmd_gradcheck)
    add_explain_command(sub)
    add_export_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    # CheckpointError is a ValueError; ImportError names the extra to install.
    except (ValueError, OSError, ImportError) as exc:
        print(f"minitorch-bp: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
