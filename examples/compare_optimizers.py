"""Compare the optimizers' learning curves on the embedded digits (the notes' 64-25-10 network).

Trains the same seeded sigmoid network with BCELoss and the notes' λ = 1 on the training
part of :func:`minitorch_bp.datasets.digits` (pixels / 16, one-hot targets) with full-batch
SGD, SGD with momentum, Adam, L-BFGS and conjugate gradients, and prints J(Θ) (with the
λ term) and the training accuracy at checkpoints, plus the closure calls and wall time.

    python examples/compare_optimizers.py            # 400 epochs / 50 iterations
    python examples/compare_optimizers.py --smoke    # a fast run, a fraction of a second
    python examples/compare_optimizers.py --plot curves.png   # needs the `plots` extra

SGD-like optimizers take one step per epoch (one gradient each); L-BFGS and CG count
iterations (each a line search of one or more closure calls).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import one_hot, train_test_split
from minitorch_bp.datasets import digits

L2 = 1.0


@dataclass
class Curve:
    """One optimizer's run: (iteration, J, training accuracy) at each checkpoint."""

    name: str
    points: list[tuple[int, float, float]] = field(default_factory=list)
    evaluations: int = 0
    seconds: float = 0.0
    test_accuracy: float = 0.0


def load(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits split 75/25 (seeded), scaled by 1/16; labels as integers."""
    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, seed=seed)
    return X_train, X_test, y_train, y_test


def build(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(64, 25, rng=rng), nn.Sigmoid(), nn.Linear(25, 10, rng=rng), nn.Sigmoid()
    )


def make_optimizer(name: str, model: nn.Sequential, max_iter: int) -> optim.Optimizer:
    params = model.parameters()
    factories: dict[str, Callable[[], optim.Optimizer]] = {
        "sgd": lambda: optim.SGD(params, lr=4.0, l2=L2),
        "momentum": lambda: optim.SGD(params, lr=1.0, l2=L2, momentum=0.9),
        "adam": lambda: optim.Adam(params, lr=0.01, l2=L2),
        "lbfgs": lambda: optim.LBFGS(params, l2=L2, max_iter=max_iter),
        "cg": lambda: optim.ConjugateGradient(params, l2=L2, max_iter=max_iter),
    }
    return factories[name]()


def run(name: str, steps: int, checkpoints: Sequence[int], seed: int = 0) -> Curve:
    """Train one optimizer for ``steps`` epochs (SGD-like) or iterations (L-BFGS, CG)."""
    X, X_test, y, y_test = load(seed)
    Y = one_hot(y, 10)
    m = X.shape[0]
    model = build(seed)
    criterion = nn.BCELoss()
    curve = Curve(name)

    def record(k: int) -> None:
        out = model(X)
        J = criterion(out, Y) + nn.l2_penalty(model, L2, m)
        curve.points.append((k, J, float(np.mean(out.argmax(axis=1) == y))))

    def closure() -> float:
        value = criterion(model(X), Y)
        model.backward(criterion.backward())
        return value

    record(0)
    start = time.perf_counter()
    elapsed = 0.0
    if name in ("lbfgs", "cg"):
        # One step() per stretch between checkpoints (max_iter = its length); the search
        # state (L-BFGS history, CG direction) carries over between calls.
        opt = make_optimizer(name, model, max_iter=1)
        assert isinstance(opt, (optim.LBFGS, optim.ConjugateGradient))
        done = 0
        for k in checkpoints:
            opt.max_iter = k - done
            if isinstance(opt, optim.LBFGS):  # count iterations, not closure calls
                opt.max_eval = 25 * opt.max_iter
            with warnings.catch_warnings():  # each stretch ends on max_iter by design
                warnings.simplefilter("ignore", optim.ConvergenceWarning)
                opt.step(closure, m=m)
            done = k
            elapsed += time.perf_counter() - start
            record(opt.total_iterations)
            start = time.perf_counter()
        curve.evaluations = opt.total_evaluations
    else:
        opt = make_optimizer(name, model, max_iter=1)
        for k in range(1, steps + 1):
            opt.zero_grad()
            closure()
            opt.step(m=m)
            if k in checkpoints:
                elapsed += time.perf_counter() - start
                record(k)
                start = time.perf_counter()
        curve.evaluations = steps
    curve.seconds = elapsed + time.perf_counter() - start
    curve.test_accuracy = float(np.mean(model(X_test).argmax(axis=1) == y_test))
    return curve


def table(curves: Sequence[Curve]) -> str:
    """Format the curves: one row per optimizer and checkpoint."""
    lines = [f"{'optimizer':<10} {'step':>5} {'J(Θ)':>8} {'train acc':>9} {'evals':>6} {'time':>7}"]
    for c in curves:
        for k, J, acc in c.points:
            lines.append(f"{c.name:<10} {k:>5d} {J:>8.4f} {acc:>9.1%}")
        lines.append(
            f"{c.name:<10} {'end':>5} {c.points[-1][1]:>8.4f} {c.points[-1][2]:>9.1%}"
            f" {c.evaluations:>6d} {c.seconds:>6.2f}s  test acc {c.test_accuracy:.1%}"
        )
    return "\n".join(lines)


def plot(curves: Sequence[Curve], path: str) -> bool:
    """Save J(Θ) against steps as a PNG; return False (with a message) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; install the `plots` extra to save a figure")
        return False
    fig, ax = plt.subplots(figsize=(6, 4))
    for c in curves:
        ks = [max(k, 1) for k, _, _ in c.points]
        Js = [J for _, J, _ in c.points]
        ax.plot(ks, Js, marker="o", label=c.name)
    ax.set_xscale("log")
    ax.set_xlabel("epoch (SGD, momentum, Adam) / iteration (L-BFGS, CG)")
    ax.set_ylabel("J(Θ) with λ = 1")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"saved {path}")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="a fast run (40 epochs, 10 iter.)")
    parser.add_argument("--plot", metavar="PNG", help="save the curves (needs matplotlib)")
    args = parser.parse_args(argv)
    epochs, iters = (40, 10) if args.smoke else (400, 50)
    names = ["sgd", "momentum", "adam", "lbfgs", "cg"]
    curves: list[Curve] = []
    for name in names:
        steps = iters if name in ("lbfgs", "cg") else epochs
        checkpoints = sorted({steps // 4, steps // 2, steps})
        curves.append(run(name, steps, checkpoints))
    print(table(curves))
    if args.plot:
        plot(curves, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
