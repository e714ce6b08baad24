"""The ``minitorch-bp`` command line (also ``python -m minitorch_bp``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, one_hot, train_test_split
from minitorch_bp.datasets import digits


def demo(args: argparse.Namespace) -> int:
    """Train the notes' 64-25-10 sigmoid network on the embedded digits."""
    X, y = digits()
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=args.seed)
    Y_train = one_hot(y_train, 10)
    rng = np.random.default_rng(args.seed)
    model = nn.Sequential(
        nn.Linear(64, 25, rng=rng), nn.Sigmoid(), nn.Linear(25, 10, rng=rng), nn.Sigmoid()
    )
    criterion = nn.BCELoss()
    opt = optim.SGD(model.parameters(), lr=args.lr, l2=args.l2)
    batch_size = args.batch_size or X_train.shape[0]  # default: full batch, as the course
    loader = DataLoader(X_train, Y_train, batch_size=batch_size, seed=args.seed)
    m = X_train.shape[0]
    print(model)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        for xb, yb in loader:
            criterion(model(xb), yb)
            opt.zero_grad()
            model.backward(criterion.backward(), input_grad=False)
            opt.step()
        if epoch == 1 or epoch % 100 == 0:
            J = criterion(model(X_train), Y_train) + nn.l2_penalty(model, args.l2, m)
            print(f"epoch {epoch:3d}  J(Θ) = {J:.4f}")
    accuracy = float(np.mean(model(X_test).argmax(axis=1) == y_test))
    seconds = time.perf_counter() - start
    print(f"test accuracy: {accuracy:.1%} on {len(y_test)} held-out digits ({seconds:.1f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minitorch-bp", description="The backpropagation notes, running."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train the notes' network on the embedded digits")
    p.add_argument("--epochs", type=int, default=800)
    p.add_argument("--batch-size", type=int, default=0, help="0 means the whole training set")
    p.add_argument("--lr", type=float, default=4.0)
    p.add_argument("--l2", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ValueError as exc:
        print(f"minitorch-bp: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
