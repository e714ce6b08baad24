"""Optional peers: PyTorch CPU and scikit-learn's MLP (the ``bench`` extra)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads import Workload

Step = Callable[[], object]


def make_torch(w: Workload, dtype: Any) -> Step:
    """nn.Sequential + autograd + torch.optim.SGD, the same loss, λ and update."""
    import torch

    X_np, Y_np = w.data(dtype)
    tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    X, Y = torch.from_numpy(X_np), torch.from_numpy(Y_np)
    mods: list[torch.nn.Module] = []
    for W, b in w.thetas(dtype):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], bias=w.bias, dtype=tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            if w.bias:
                lin.bias.copy_(torch.from_numpy(b))
        mods += [lin, torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*mods)
    m = w.batch
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    groups: list[dict[str, Any]] = [{"params": weights, "weight_decay": w.l2 / m}]
    if biases:
        groups.append({"params": biases, "weight_decay": 0.0})
    opt = torch.optim.SGD(groups, lr=w.lr)
    if w.loss == "bce":
        crit = torch.nn.BCELoss(reduction="sum")
        scale = 1.0 / m
    else:
        crit = torch.nn.MSELoss(reduction="sum")
        scale = 0.5

    def step() -> float:
        opt.zero_grad()
        loss = crit(model(X), Y) * scale
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def make_sklearn(w: Workload, dtype: Any) -> tuple[Step, int]:
    """MLPClassifier (MLPRegressor for ``tiny``); returns ``(epoch, steps per call)``.

    One call is ``partial_fit`` over ``epoch_batches`` batches of the workload's size;
    sklearn's ``alpha`` is the notes' λ (it adds ``alpha/(2 m) Σ W²`` per batch).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    k = w.epoch_batches
    rng = np.random.default_rng(3)
    X1, Y1 = w.data(dtype)
    X = np.concatenate([X1[rng.permutation(w.batch)] for _ in range(k)])
    Y = np.concatenate([Y1 for _ in range(k)])
    common = {
        "hidden_layer_sizes": w.sizes[1:-1],
        "activation": "logistic",
        "solver": "sgd",
        "alpha": w.l2,
        "batch_size": w.batch,
        "learning_rate_init": w.lr,
        "momentum": 0.0,
        "nesterovs_momentum": False,
        "shuffle": False,
        "max_iter": 1,
        "random_state": 0,
    }
    est: Any
    if w.loss == "bce":
        est = MLPClassifier(**common)
        Yfit: Any = Y.astype(np.int64)
    else:
        est = MLPRegressor(**common)
        Yfit = Y.ravel() if Y.shape[1] == 1 else Y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Yfit)

    def epoch() -> object:
        return est.partial_fit(X, Yfit)

    return epoch, k
