"""Optional peers: PyTorch CPU, scikit-learn's MLP and JAX on the CPU (the ``bench`` extra).

Each is imported inside its ``make_*`` only, so the harness runs without them; the
driver skips a peer whose package is not installed.
"""

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
    return torch_step(model, crit, scale, opt, X, Y)


def torch_step(model: Any, crit: Any, scale: float, opt: Any, X: Any, Y: Any) -> Step:
    """One PyTorch step: zero_grad, the scaled loss, autograd's backward, the update."""

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


def make_jax(w: Workload, dtype: Any) -> Step:
    """``jax.jit`` of the whole step: forward, the same loss, ``jax.grad`` and the update.

    The update is the notes' SGD, ``Θ ← Θ − lr·D`` with ``D = grad + (λ/m)·W`` for the
    weights and ``D = grad`` for the biases (unregularised). The step returns J with the
    λ term, the value ``compile_step`` returns, so the two can be compared on any workload
    (XLA fuses the ``Σ W²`` into the step; it costs next to nothing).

    The parameters are donated to the jitted step, so XLA may update them in place as the
    numpy contenders do. Each timed call ends with ``block_until_ready()`` on the J it
    returns: jax dispatches asynchronously, and without it the call would time only the
    dispatch. (On the CPU the outputs of one execution become ready together.)

    float64 needs ``jax_enable_x64``, switched on here before any array is made; float32
    inputs stay float32 (Python scalars are weakly typed and do not promote them).
    """
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    X_np, Y_np = w.data(dtype)
    X, Y = jnp.asarray(X_np), jnp.asarray(Y_np)
    params = [(jnp.asarray(W), jnp.asarray(b) if w.bias else None) for W, b in w.thetas(dtype)]
    m = w.batch
    lr, c, half = w.lr, w.l2 / m, w.l2 / (2.0 * m)

    def data_loss(params: Any, X: Any, Y: Any) -> Any:
        a = X
        for W, b in params:
            z = a @ W.T
            a = jax.nn.sigmoid(z + b if b is not None else z)
        if w.loss == "bce":  # batchmean, each log clamped at -100 as in BCELoss
            logs = Y * jnp.maximum(jnp.log(a), -100.0)
            logs += (1.0 - Y) * jnp.maximum(jnp.log(1.0 - a), -100.0)
            return -jnp.sum(logs) / m
        return 0.5 * jnp.sum((a - Y) ** 2)  # the notes' ½Σ(y − ŷ)²

    def train_step(params: Any, X: Any, Y: Any) -> tuple[Any, Any]:
        J, grads = jax.value_and_grad(data_loss)(params, X, Y)
        penalty = half * sum(jnp.sum(W * W) for W, _ in params)
        new = [
            (W - lr * (gW + c * W), b - lr * gb if b is not None else None)
            for (W, b), (gW, gb) in zip(params, grads, strict=True)
        ]
        return new, J + penalty

    jitted = jax.jit(train_step, donate_argnums=0)
    state = [params]

    def step() -> object:
        state[0], J = jitted(state[0], X, Y)
        return J.block_until_ready()

    return step
