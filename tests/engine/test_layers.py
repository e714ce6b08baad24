"""compile_step with convolution, pooling, normalisation, embeddings, residual and custom
modules: the engine gives the plain layers' results (it runs those modules' own forward
and backward, plans the reshapes as views), and adds no allocation of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_memory import _peak_and_retained

from minitorch_bp import nn, optim, train
from minitorch_bp.data import DataLoader


class Block(nn.Module):
    """A user's forward-only module: conv → BN → ReLU, its backward from the chain."""

    def __init__(self, channels: int, seed: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False, rng=seed)
        self.norm = nn.BatchNorm2d(channels)
        self.act = nn.ReLU()

    def forward(self, x: Any) -> Any:
        return self.act(self.norm(self.conv(x)))


def _cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=0),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Residual(Block(4, seed=1)),
        nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
        nn.Dropout(0.25, rng=0),
        nn.Flatten(),
        nn.Linear(4 * 5 * 5, 8, rng=2),
        nn.LayerNorm(8),
        nn.Tanh(),
        nn.Linear(8, 3, rng=3),
    )


def _text() -> nn.Sequential:
    return nn.Sequential(
        nn.Embedding(12, 4, padding_idx=0, rng=0),
        nn.Conv1d(5, 3, 2, rng=1),  # the 5 tokens as channels
        nn.ReLU(),
        nn.Flatten(),
        nn.BatchNorm1d(9),
        nn.Linear(9, 3, rng=2),
    )


def _images(m: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(m)
    return rng.normal(size=(m, 1, 8, 8)), rng.integers(0, 3, size=m)


def _tokens(m: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(m)
    return rng.integers(0, 12, size=(m, 5)), rng.integers(0, 3, size=m)


MODELS: dict[str, tuple[Callable[[], nn.Module], Callable[[int], tuple[Any, Any]]]] = {
    "cnn": (_cnn, _images),
    "embedding": (_text, _tokens),
}


def _train(name: str, engine: bool, opt_name: str) -> tuple[nn.Module, list[float]]:
    make_model, data = MODELS[name]
    model = make_model()
    make_opt = {
        "sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, l2=0.5),
        "adam": lambda p: optim.Adam(p, lr=0.01),
        "lbfgs": lambda p: optim.LBFGS(p, max_iter=3),
    }[opt_name]
    step = train.compile_step(
        model, nn.CrossEntropyLoss(), make_opt(model.parameters()), engine=engine
    )
    losses = []
    X, Y = data(13)
    for epoch in range(3):
        if epoch == 2:
            model.eval()  # BatchNorm on its running statistics, Dropout the identity
        for xb, yb in DataLoader(X, Y, batch_size=5, shuffle=False):  # a ragged last batch
            losses.append(step(xb, yb))
    return model, losses


@pytest.mark.parametrize("opt_name", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.filterwarnings(
    "ignore::minitorch_bp.optim.ConvergenceWarning"
)  # max_iter=3 on purpose
def test_engine_equals_the_plain_layers(name: str, opt_name: str) -> None:
    fast, J_fast = _train(name, True, opt_name)
    plain, J_plain = _train(name, False, opt_name)
    np.testing.assert_allclose(J_fast, J_plain, rtol=1e-12)
    for (key, a), (_, b) in zip(fast.state_dict().items(), plain.state_dict().items(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13, err_msg=key)  # buffers too


def test_the_program_runs_those_modules_themselves_and_reshapes_as_views() -> None:
    model = _cnn()
    step = train.compile_step(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    step(*_images(4))
    source = step.source()
    assert "y1 = m0(X)" in source and "layer 0, Conv2d: its own forward" in source
    assert "layer 7, Flatten: a view" in source and ".reshape((4, 100))" in source
    assert "m0.backward_params(" in source  # the first layer: no ∂J/∂X
    assert set(step.deltas) == {3, 2}  # δ at the outputs of the two Linear layers


class Preallocated(nn.Module):
    """A module the engine does not plan whose forward and backward allocate nothing:
    whatever a warm step then allocates is the engine's own doing."""

    def __init__(self, out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.out, self.grad = np.ones(out_shape), np.ones(in_shape)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return self.out.shape

    def forward(self, x: Any) -> Any:
        return self.out

    def backward(self, grad_output: Any) -> Any:
        return self.grad


def test_around_the_modules_it_does_not_plan_the_engine_allocates_nothing() -> None:
    """A warm step allocates what the unplanned modules' own forward and backward allocate
    (their results, used as they come) and nothing more: here they allocate nothing."""
    m = 16
    model = nn.Sequential(
        Preallocated((m, 2, 3, 3), (m, 1, 6, 6)),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(18, 8, rng=0),
        Preallocated((m, 8), (m, 8)),
        nn.Tanh(),
        nn.Linear(8, 3, rng=1),
        Preallocated((m, 3), (m, 3)),
    )
    step = train.compile_step(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01))
    X, Y = np.ones((m, 1, 6, 6)), np.zeros((m, 3))
    peak, kept = _peak_and_retained(lambda: step(X, Y))
    assert kept <= 256 and peak < 2048


def test_integer_batches_go_to_an_embedding_and_other_mismatches_are_named() -> None:
    model = _text()
    step = train.compile_step(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    X, Y = _tokens(6)
    assert np.isfinite(step(X, Y)) and np.isfinite(step(X.tolist(), Y))
    with pytest.raises(ValueError, match="expects integer indices"):
        step(X.astype(np.float64), Y)
    cnn = _cnn()
    step = train.compile_step(cnn, nn.CrossEntropyLoss(), optim.SGD(cnn.parameters(), lr=0.1))
    Xi, Yi = _images(4)
    with pytest.raises(
        ValueError, match=r"X has dtype float32 but the model's parameters are float64"
    ):
        step(Xi.astype(np.float32), Yi)
    with pytest.raises(ValueError, match="one example per row"):
        step(np.ones(4), Yi)


def test_the_error_replay_does_not_count_a_batch_twice() -> None:
    model = nn.Sequential(nn.BatchNorm1d(2), nn.Linear(2, 1, rng=0))
    model[1].weight.data = [[np.inf, 1.0]]
    step = train.compile_step(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="weight contains 1 NaN or inf"):
        step(np.array([[1.0, 2.0], [3.0, 5.0]]), np.zeros((2, 1)))
    assert int(model[0].num_batches_tracked) == 1  # as in the plain loop: one forward
