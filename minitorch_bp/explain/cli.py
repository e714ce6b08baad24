"""``minitorch-bp explain``: one training step for one example, equation by equation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from minitorch_bp.explain import FORMATS, explain
from minitorch_bp.train.problems import DATASETS


def add_explain_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``explain`` sub-command to ``subparsers`` (from ``add_subparsers()``)."""
    from minitorch_bp.cli import activations

    p: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="one training step for one example, equation by equation",
        description="Trace one training step of the notes' algorithm for one example of the"
        " training set (a fresh model, or --model): a^(1), z and a per layer, J, δ^(L), the δ"
        " chain, Δ and D, each next to its row of the vectorised step.",
    )
    p.add_argument(
        "--dataset", choices=DATASETS, default=None, help="default: digits, or the model's"
    )
    p.add_argument("--data", metavar="FILE.csv", help="your own CSV (header row, numeric cells)")
    p.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    p.add_argument(
        "--model", metavar="MODEL", help="a model saved by train --save (default: a fresh one)"
    )
    p.add_argument(
        "--example", type=int, default=0, help="the training example t to trace (default 0)"
    )
    p.add_argument(
        "--format", choices=FORMATS, default=None, help="default: from --out's suffix, else text"
    )
    p.add_argument(
        "--out", metavar="FILE", help="write to FILE (.html, .md or text) instead of stdout"
    )
    p.add_argument("--l2", type=float, default=None, help="the notes' λ (default: the data set's)")
    p.add_argument(
        "--hidden", default=None, help="hidden layer sizes of a fresh model, e.g. 25 or 16,8"
    )
    p.add_argument("--activation", choices=sorted(activations()), default="sigmoid")
    p.add_argument(
        "--seed", type=int, default=None, help="seeds the split and a fresh model's weights"
    )
    p.add_argument(
        "--precision", type=int, default=4, help="significant digits printed (default 4)"
    )
    p.set_defaults(func=cmd_explain)
    return p


def cmd_explain(args: argparse.Namespace) -> int:
    """Trace one training step for one example of a data set, on a fresh or a saved model."""
    from minitorch_bp import nn
    from minitorch_bp.cli import DEFAULTS, _problem, build_model, load_saved, parse_hidden

    fmt = args.format or _format_from_suffix(args.out)
    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise ValueError(
            f"--out {args.out}: the folder {str(Path(args.out).parent)!r} does not exist"
        )
    extra: dict[str, Any] = {}
    if args.model:
        ckpt, extra = load_saved(args)
        model = ckpt.model
    if args.seed is None:
        args.seed = 0
    if not args.dataset and not args.data:
        args.dataset = "digits"
    problem = _problem(args)
    key = "csv" if args.data else problem.name
    hidden, _, _, l2, _ = DEFAULTS[key]
    if not args.model:
        sizes = [problem.X_train.shape[1], *parse_hidden(args.hidden or hidden), problem.n_outputs]
        model = build_model(sizes, args.activation, args.seed)
    l2 = args.l2 if args.l2 is not None else float(extra.get("l2", l2))
    criterion: nn.Loss = nn.MSELoss() if problem.regression else nn.BCELoss()
    X, Y = problem.X_train, problem.Y_train
    if not 0 <= args.example < len(X):
        raise ValueError(
            f"--example {args.example}: the training set has {len(X)} examples (0 to {len(X) - 1})"
        )
    e = explain(model, criterion, X, Y, l2=l2, example=args.example, precision=args.precision)
    if args.out:
        e.save(args.out, fmt)
        print(f"{fmt} trace of example {args.example} (of m = {len(X)}) written to {args.out}")
    else:
        sys.stdout.write(e.render(fmt))
    return 0


def _format_from_suffix(out: str | None) -> str:
    suffix = Path(out).suffix.lower() if out else ""
    return "html" if suffix in (".html", ".htm") else "markdown" if suffix == ".md" else "text"
