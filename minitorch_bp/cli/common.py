"""What the sub-commands share: the data sets' defaults, the optimizers, ``--hidden``, a saved run's fields.

``explain`` (:mod:`minitorch_bp.explain.cli`) builds its fresh networks and reads saved
runs with these helpers too.
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from minitorch_bp import io, nn, optim
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
    """``--optimizer name`` on ``model``'s parameters (line-search optimizers take no ``lr``)."""
    cls, kwargs = OPTIMIZERS[name]
    kwargs = {**kwargs, "l2": l2}
    if not cls.requires_closure:  # line-search optimizers take no learning rate
        if lr is None:
            raise ValueError(f"--optimizer {name} needs --lr")
        kwargs["lr"] = lr
    return cls(model.parameters(), **kwargs)


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


def _problem(args: argparse.Namespace) -> Problem:
    """The data of ``explain``: a built-in data set or a CSV, split and scaled as for training."""
    if getattr(args, "data", None):
        if not args.target:
            raise ValueError("--data needs --target COLUMN")
        return csv_problem(args.data, args.target, args.seed)
    return load_problem(args.dataset, args.seed)


def run_fields(extra: Any, where: str) -> dict[str, Any]:
    """The fields of a saved run's ``extra`` that the CLI reads (``dataset``, ``seed``, ``l2``), checked.

    Raises:
        ValueError: a field of the wrong type or value, named with what it holds.
    """
    extra = extra if isinstance(extra, dict) else {}
    seed = extra.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{where}: extra['seed']={seed!r:.60} must be a non-negative integer")
    l2 = extra.get("l2", 0.0)
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"{where}: extra['l2']={l2!r:.60} must be a finite number >= 0")
    dataset = extra.get("dataset")
    if dataset is not None and not isinstance(dataset, str):
        raise ValueError(f"{where}: extra['dataset']={dataset!r:.60} must be a data set's name")
    return {"seed": seed, "l2": float(l2), "dataset": dataset}


def load_saved(args: argparse.Namespace) -> tuple[io.Checkpoint, dict[str, Any]]:
    """Load ``args.model``; default ``--seed`` and ``--dataset`` to those it was trained with."""
    ckpt = io.load_checkpoint(args.model)
    fields = run_fields(ckpt.extra, str(args.model))
    if args.seed is None:
        args.seed = fields["seed"]
    if not args.dataset and not args.data:
        args.dataset = fields["dataset"]
        if args.dataset not in DATASETS:
            raise ValueError("give --dataset or --data FILE --target COLUMN")
    return ckpt, {**(ckpt.extra if isinstance(ckpt.extra, dict) else {}), **fields}
