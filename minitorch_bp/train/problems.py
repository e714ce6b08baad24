"""The command line's data sets as ready-to-train problems (train/test split, scaling, targets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.data import one_hot, standardize, train_test_split
from minitorch_bp.datasets import digits, spirals, study_sleep, two_moons, xor

Array = NDArray[Any]
DATASETS = ("digits", "xor", "moons", "spirals", "study-sleep")


@dataclass
class Problem:
    """Arrays to train and test on, and what kind of problem it is.

    ``Y`` arrays are what the network's sigmoid outputs are fitted to: one-hot rows
    (``K > 2`` classes), one 0/1 column (two classes) or values in [0, 1] (regression).
    """

    name: str
    X_train: Array
    Y_train: Array
    X_test: Array
    Y_test: Array
    regression: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_outputs(self) -> int:
        return int(self.Y_train.shape[1])

    @property
    def n_classes(self) -> int:
        return 0 if self.regression else max(2, self.n_outputs)

    @property
    def held_out(self) -> bool:
        return self.X_test is not self.X_train


def _targets(labels: Array, k: int) -> Array:
    return labels.reshape(-1, 1).astype(np.float64) if k == 2 else one_hot(labels, k)


def _split(
    name: str, X: Array, labels: Array, k: int, seed: int, scale: bool, stratify: bool = True
) -> Problem:
    strata = labels if stratify else None
    X_tr, X_te, y_tr, y_te = train_test_split(X, labels, test_size=0.25, seed=seed, stratify=strata)
    info: dict[str, Any] = {}
    if scale:
        X_tr, stats = standardize(X_tr)
        X_te, _ = standardize(X_te, stats)
        info = {"mean": np.asarray(stats.mean), "std": np.asarray(stats.std)}
    return Problem(name, X_tr, _targets(y_tr, k), X_te, _targets(y_te, k), info=info)


def load_problem(name: str, seed: int) -> Problem:
    """Return one of :data:`DATASETS`, split with ``seed`` (small sets are not split)."""
    if name == "digits":
        X, y = digits()
        # unstratified: the split the README's 97.1 % was measured on
        return _split(name, X / 16.0, y, 10, seed, scale=False, stratify=False)
    if name == "xor":
        X, Y = xor()
        return Problem(name, X, Y, X, Y)
    if name == "moons":
        X, y = two_moons(400, noise=0.2, seed=seed)
        return _split(name, X, y, 2, seed, scale=True)
    if name == "spirals":
        X, y = spirals(300, classes=3, seed=seed)
        return _split(name, X, y, 3, seed, scale=False)
    if name == "study-sleep":
        X, Y = study_sleep()
        return Problem(name, X, Y, X, Y, regression=True)
    raise ValueError(f"unknown dataset {name!r}; choose from {list(DATASETS)}")


def csv_problem(path: str | Path, target: str, seed: int) -> Problem:
    """A user's CSV: classes when the target holds at most 20 distinct integers, else regression.

    Features are standardised with the training rows' statistics; regression targets are
    scaled to [0, 1] by their minimum and maximum, as the sigmoid output needs.
    """
    from minitorch_bp.io import read_csv

    X, y, features = read_csv(path, target, target_kind="number")
    values = np.unique(y)
    name = Path(path).name
    if np.all(values == np.round(values)) and len(values) <= 20:
        if len(values) < 2:
            raise ValueError(f"{path}: column {target!r} holds one class only ({values[0]:g})")
        labels = np.searchsorted(values, y)
        if len(y) < 8:
            raise ValueError(f"{path}: {len(y)} rows are too few to split into train and test")
        p = _split(name, X, labels, len(values), seed, scale=True)
        p.info["classes"] = values
    else:
        lo, hi = float(y.min()), float(y.max())
        Y = ((y - lo) / (hi - lo if hi > lo else 1.0)).reshape(-1, 1)
        Xs, stats = standardize(X)
        p = Problem(name, Xs, Y, Xs, Y, regression=True)
        p.info = {
            "mean": np.asarray(stats.mean),
            "std": np.asarray(stats.std),
            "y_min": lo,
            "y_max": hi,
        }
    p.info["features"] = features
    return p
