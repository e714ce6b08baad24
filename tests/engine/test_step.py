"""compile_step: the engine's step equals the plain five-line loop, for every kind of model.

The reference is ``engine=False``, which runs the README's loop (``model(X)``,
``criterion(out, Y)``, ``opt.zero_grad()``, ``model.backward(criterion.backward())``,
``opt.step(m=len(X))``); the engine must give the same J, gradients and weights to
rounding, step after step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim, train
from minitorch_bp.data import DataLoader

Array = Any


class Twice(nn.Module):
    """A user's module with a hand-written backward: y = 2x (no output_shape)."""

    def forward(self, x: Array) -> Array:
        return 2.0 * np.asarray(x)

    def backward(self, grad_output: Array) -> Array:
        return 2.0 * np.asarray(grad_output)


def _mlp(
    act: Callable[[], nn.Module],
    out: Callable[[], nn.Module] | None,
    dtype: Any = np.float64,
    bias: bool = True,
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Linear(4, 6, bias=bias, dtype=dtype, rng=1),
        act(),
        nn.Linear(6, 3, bias=bias, dtype=dtype, rng=2),
    ]
    if out is not None:
        layers.append(out())
    return nn.Sequential(*layers)


def _data(m: int, kind: str, dtype: Any = np.float64) -> tuple[Array, Array]:
    rng = np.random.default_rng(m)
    X = rng.normal(size=(m, 4)).astype(dtype)
    if kind == "labels":
        return X, rng.integers(0, 3, size=m)
    if kind == "onehot":
        return X, np.eye(3, dtype=dtype)[rng.integers(0, 3, size=m)]
    return X, rng.uniform(size=(m, 3)).astype(dtype)


# name: (model factory, criterion factory, target kind)
PROBLEMS: dict[str, tuple[Callable[[], nn.Module], Callable[[], nn.Loss], str]] = {
    "sigmoid-bce": (lambda: _mlp(nn.Sigmoid, nn.Sigmoid), nn.BCELoss, "onehot"),
    "tanh-mse": (lambda: _mlp(nn.Tanh, None), nn.MSELoss, "real"),
    "relu-mse-sum-nobias": (
        lambda: _mlp(nn.ReLU, nn.Sigmoid, bias=False),
        lambda: nn.MSELoss(reduction="sum"),
        "real",
    ),
    "gelu-ce": (lambda: _mlp(nn.GELU, None), nn.CrossEntropyLoss, "labels"),
    "elu-bcelogits-mean": (
        lambda: _mlp(lambda: nn.ELU(0.5), None),
        lambda: nn.BCEWithLogitsLoss(reduction="mean"),
        "onehot",
    ),
    "softplus-softmax-bce": (
        lambda: _mlp(nn.Softplus, lambda: nn.Softmax(-1)),
        nn.BCELoss,
        "onehot",
    ),
    "nested": (
        lambda: nn.Sequential(
            nn.Sequential(nn.Linear(4, 6, rng=1), nn.SELU()),
            nn.Sequential(nn.Linear(6, 3, rng=2), nn.Sigmoid()),
        ),
        nn.BCELoss,
        "onehot",
    ),
    "user-module": (
        lambda: nn.Sequential(nn.Linear(4, 6, rng=1), Twice(), nn.Tanh(), nn.Linear(6, 3, rng=2)),
        nn.MSELoss,
        "real",
    ),
    "one-linear": (lambda: nn.Linear(4, 3, rng=1), nn.MSELoss, "real"),
    "dropout-first": (
        lambda: nn.Sequential(nn.Dropout(0.2, rng=5), nn.Linear(4, 3, rng=1), nn.Sigmoid()),
        nn.BCELoss,
        "onehot",
    ),
}

OPTIMIZERS: dict[str, Callable[[list[nn.Parameter]], optim.Optimizer]] = {
    "sgd-l2": lambda ps: optim.SGD(ps, lr=0.3, l2=1.5),
    "momentum": lambda ps: optim.SGD(ps, lr=0.1, l2=0.5, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.01, l2=1.0),
    "lbfgs": lambda ps: optim.LBFGS(ps, l2=1.0, max_iter=3),
}


def _run(
    problem: str, opt_name: str, engine: bool, batches: list[int]
) -> tuple[list[float], list[Array], list[Array]]:
    make_model, make_loss, kind = PROBLEMS[problem]
    model = make_model()
    opt = OPTIMIZERS[opt_name](model.parameters())
    step = train.compile_step(model, make_loss(), opt, engine=engine)
    losses, outputs = [], []
    for i, m in enumerate(batches):
        X, Y = _data(m + i, kind)
        losses.append(step(X[:m], Y[:m]))
        outputs.append(np.array(step.output, copy=True))
    return losses, outputs, [p.data.copy() for p in model.parameters()]


@pytest.mark.filterwarnings("ignore::minitorch_bp.optim.ConvergenceWarning")  # L-BFGS: 3 iterations
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_the_engine_equals_the_plain_layers(problem: str, opt_name: str) -> None:
    batches = [7] if opt_name == "lbfgs" else [7, 7, 5, 7, 5]  # a ragged last batch: two plans
    plain = _run(problem, opt_name, engine=False, batches=batches)
    fast = _run(problem, opt_name, engine=True, batches=batches)
    np.testing.assert_allclose(fast[0], plain[0], rtol=1e-11)
    for a, b in zip(fast[1], plain[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    for a, b in zip(fast[2], plain[2]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("act", [nn.Sigmoid, nn.Tanh, nn.GELU])
def test_float32_stays_float32_and_agrees(act: Callable[[], nn.Module]) -> None:
    X, Y = _data(6, "onehot", np.float32)
    weights = []
    for engine in (False, True):
        model = _mlp(act, nn.Sigmoid, dtype=np.float32)
        step = train.compile_step(
            model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.5, l2=1.0), engine=engine
        )
        J = [step(X, Y) for _ in range(3)]
        assert step.output is not None and step.output.dtype == np.float32
        weights.append([p.data.copy() for p in model.parameters()])
    assert all(w.dtype == np.float32 for w in weights[1])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
    assert all(np.isfinite(J))


def test_engine_off_is_the_five_line_loop_bit_for_bit() -> None:
    X, Y = _data(9, "onehot")
    model, twin = _mlp(nn.Sigmoid, nn.Sigmoid), _mlp(nn.Sigmoid, nn.Sigmoid)
    crit = nn.BCELoss()
    step = train.compile_step(
        model, crit, optim.SGD(model.parameters(), lr=0.5, l2=2.0), engine=False
    )
    opt = optim.SGD(twin.parameters(), lr=0.5, l2=2.0)
    for _ in range(4):
        J = step(X, Y)
        J_twin = crit(twin(X), Y) + nn.l2_penalty(twin, 2.0, len(X))
        opt.zero_grad()
        twin.backward(crit.backward())
        opt.step(m=len(X))
        assert J == J_twin
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_J_is_the_regularised_cost_before_the_update_and_grads_are_its_data_term() -> None:
    X, Y = _data(8, "onehot")
    model = _mlp(nn.Sigmoid, nn.Sigmoid)
    crit, lam = nn.BCELoss(), 3.0
    expected = crit(model(X), Y) + nn.l2_penalty(model, lam, len(X))
    model.zero_grad()
    model.backward(crit.backward())
    grads = [p.grad.copy() for p in model.parameters()]
    step = train.compile_step(model, crit, optim.SGD(model.parameters(), lr=0.1, l2=lam))
    assert step(X, Y) == pytest.approx(expected, rel=1e-14)
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-16)  # replaced, not added


def test_tied_weights_inside_one_model_accumulate() -> None:
    """Two Linear layers sharing one weight Parameter: its gradient is the sum of both."""
    first, second = nn.Linear(3, 3, rng=0), nn.Linear(3, 3, rng=1)
    second.weight = first.weight
    model = nn.Sequential(first, nn.Tanh(), second, nn.Sigmoid())
    X, Y = (
        np.random.default_rng(0).normal(size=(5, 3)),
        np.random.default_rng(1).uniform(size=(5, 3)),
    )
    twin = copy.deepcopy(model)
    plain = train.compile_step(
        twin, nn.MSELoss(), optim.SGD(twin.parameters(), lr=0.5), engine=False
    )
    fast = train.compile_step(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.5))
    for _ in range(3):
        assert fast(X, Y) == pytest.approx(plain(X, Y), rel=1e-13)
    assert model[2].weight is model[0].weight
    np.testing.assert_allclose(model[0].weight.data, twin[0].weight.data, rtol=1e-13)
    assert "accumulate" in fast.source()


def test_an_optimizers_parameters_outside_the_model_get_zero_gradients() -> None:
    model = _mlp(nn.Sigmoid, nn.Sigmoid)
    extra = nn.Parameter(np.ones(2))
    extra.grad = [5.0, 5.0]
    step = train.compile_step(model, nn.BCELoss(), optim.SGD([*model.parameters(), extra], lr=0.1))
    X, Y = _data(4, "onehot")
    step(X, Y)
    step(X, Y)
    np.testing.assert_array_equal(extra.grad, 0.0)
    np.testing.assert_array_equal(extra.data, 1.0)


def test_dropout_follows_train_and_eval_and_draws_the_layers_own_masks() -> None:
    def make() -> nn.Sequential:
        return nn.Sequential(
            nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Dropout(0.5, rng=3), nn.Linear(8, 3, rng=1)
        )

    X, Y = _data(6, "real")
    results = []
    for engine in (False, True):
        model = make()
        step = train.compile_step(
            model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), engine=engine
        )
        step(X, Y)
        model.eval()
        step(X, Y)  # identity now
        model.train()
        step(X, Y)
        results.append([p.data.copy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_the_output_is_the_forward_before_the_update_and_is_reused() -> None:
    X, Y = _data(5, "onehot")
    model = _mlp(nn.Sigmoid, nn.Sigmoid)
    expected = model(X)
    step = train.compile_step(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.1))
    step(X, Y)
    assert step.output is not None
    np.testing.assert_allclose(step.output, expected, rtol=1e-14)
    first = step.output
    step(X, Y)
    assert step.output is first  # the engine's buffer: documented as overwritten


def test_source_shows_the_program_in_the_notes_notation() -> None:
    X, Y = _data(5, "onehot")
    model = _mlp(nn.Sigmoid, nn.Sigmoid)
    step = train.compile_step(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.1))
    assert step.source() == ""
    step(X, Y)
    text = step.source(5)
    assert text.startswith("def step(X, Y):")
    assert "δ^(L) = a^(L) − y" in text and "∂J/∂W = δᵀa" in text
    assert "dot(d1, W0" not in text  # no ∂J/∂X for the first layer
    assert step.source(6) == ""
    assert "planned batch sizes [5]" in repr(step)


def test_nan_or_inf_names_the_layer_and_the_array_that_holds_it() -> None:
    X, Y = _data(5, "onehot")
    model = _mlp(nn.Sigmoid, nn.Sigmoid)
    step = train.compile_step(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.1))
    step(X, Y)
    bad = X.copy()
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"layer 0: Linear.*input contains 1 NaN or inf"):
        step(bad, Y)
    model[2].weight.data[0, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"layer 2: Linear.*weight contains 1 NaN or inf.*\(0, 0\)"
    ):
        step(X, Y)
    model[2].weight.data[0, 0] = 0.5
    bad_y = Y.copy()
    bad_y[1, 1] = np.nan
    with pytest.raises(
        ValueError, match=r"BCELoss: target values must lie in \[0, 1\]|target contains"
    ):
        step(X, bad_y)


def test_bad_arguments_are_named() -> None:
    model = _mlp(nn.Sigmoid, nn.Sigmoid)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="compile_step: model is list"):
        train.compile_step([model], nn.BCELoss(), opt)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="criterion is Sigmoid"):
        train.compile_step(model, nn.Sigmoid(), opt)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="optimizer is list"):
        train.compile_step(model, nn.BCELoss(), [opt])  # type: ignore[arg-type]
    step = train.compile_step(model, nn.BCELoss(), opt)
    with pytest.raises(ValueError, match="0 rows"):
        step(np.empty((0, 4)), np.empty((0, 3)))
    with pytest.raises(ValueError, match="X.reshape"):
        step(np.ones(4), np.ones((1, 3)))


def test_fit_and_compile_step_take_the_same_steps() -> None:
    X, Y = _data(20, "onehot")
    a, b = _mlp(nn.Sigmoid, nn.Sigmoid), _mlp(nn.Sigmoid, nn.Sigmoid)
    loader = DataLoader(X, Y, 6, seed=3)
    h = train.fit(
        a,
        nn.BCELoss(),
        optim.Adam(a.parameters(), lr=0.01, l2=1.0),
        loader,
        epochs=3,
        progress=False,
    )
    step = train.compile_step(b, nn.BCELoss(), optim.Adam(b.parameters(), lr=0.01, l2=1.0))
    loader2 = DataLoader(X, Y, 6, seed=3)
    totals = []
    for _ in range(3):
        total = 0.0
        for xb, yb in loader2:
            total += len(xb) * step(xb, yb)
        totals.append(total / len(X))
    np.testing.assert_array_equal(h["loss"], totals)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("layer", [0, 2])
def test_an_infinite_weight_behind_a_saturating_sigmoid_is_still_refused(layer: int) -> None:
    """J stays finite (the sigmoid saturates to 1), so only a check of z finds the inf."""
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=(20, 2))) + 0.1
    Y = (rng.random((20, 1)) > 0.5).astype(float)
    model = nn.Sequential(
        nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid()
    )
    step = train.compile_step(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.1))
    step(X, Y)
    model[layer].weight.data[0, 0] = np.inf
    with pytest.raises(ValueError, match=rf"layer {layer}: Linear.*weight contains 1 NaN or inf"):
        step(X, Y)
