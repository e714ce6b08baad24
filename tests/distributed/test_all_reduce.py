"""The all-reduce of Δ: one process's D = (1/M)(Σ_r Δ_r + λΘ) for any shares, in one flat buffer.

The ranks are threads of this process (``conftest.ThreadWorld``); ``test_processes.py``
runs the same maths on gloo.
"""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_bp import nn, optim, train
from minitorch_bp.data import DataLoader, shard_bounds
from minitorch_bp.distributed import GradientAllReduce, broadcast_parameters

from parallel_cases import assert_same_run, data, network, weights

RNG = np.random.default_rng(3)
X7 = RNG.normal(size=(7, 3))
Y7 = (RNG.random((7, 2)) > 0.5).astype(float)


def small(rng: int = 0) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 4, rng=rng), nn.Sigmoid(), nn.Linear(4, 2, rng=rng + 1), nn.Sigmoid()
    )


def sgd_step(model: nn.Module, criterion: nn.Loss, world) -> train.Step:
    """SGD at λ = 1: data-parallel on ``world``'s ranks, or one process when ``world`` is None."""
    opt = optim.SGD(model.parameters(), lr=0.5, l2=1.0)
    return train.compile_step(model, criterion, opt, distributed=world or False)


def one_process_grads(
    criterion: nn.Loss, X: np.ndarray, Y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    model = small()
    J = criterion(model(X), Y)
    model.backward(criterion.backward())
    return J, [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("world_size", [2, 3, 5])
@pytest.mark.parametrize(
    "criterion", [nn.BCELoss(), nn.BCELoss(reduction="sum"), nn.MSELoss(reduction="mean")], ids=repr
)
def test_notes_delta_summed_over_shares_is_one_process_D(ranks, world_size, criterion) -> None:
    """D = (1/M)ΣΔ: the shares of 7 rows (e.g. 3, 2, 2) give one process's gradient and J."""
    J_one, grads_one = one_process_grads(criterion, X7, Y7)

    def rank(world):
        lo, hi = shard_bounds(7, world.rank, world.world_size)
        model, crit = small(), type(criterion)(reduction=criterion.reduction)
        out = model(X7[lo:hi])
        J = crit(out, Y7[lo:hi])
        model.backward(crit.backward())
        reducer = GradientAllReduce(model.parameters(), world)
        J, M = reducer(J, hi - lo, crit.scale, out.shape[1])
        return J, M, [p.grad.copy() for p in model.parameters()]

    results = ranks(world_size, rank)
    for J, M, grads in results:
        assert M == 7
        assert J == pytest.approx(J_one, rel=1e-14)
        for g, want in zip(grads, grads_one):
            np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-17)
    for _, _, grads in results[1:]:  # every rank holds the same bits
        assert all(np.array_equal(g, g0) for g, g0 in zip(grads, results[0][2]))


def test_a_plain_mean_of_the_shares_gradients_is_not_D(ranks) -> None:
    """Why Δ is summed: with shares of 4 and 3 rows the mean of the two (1/m_r)Δ_r is off."""
    crit = nn.BCELoss()
    _, grads_one = one_process_grads(crit, X7, Y7)
    shard_grads = []
    for lo, hi in (shard_bounds(7, r, 2) for r in range(2)):
        _, g = one_process_grads(crit, X7[lo:hi], Y7[lo:hi])
        shard_grads.append(g)
    mean_of_means = [(a + b) / 2 for a, b in zip(*shard_grads)]
    rel = max(np.abs(m - g).max() / np.abs(g).max() for m, g in zip(mean_of_means, grads_one))
    assert rel > 1e-3
    weighted = [(4 * a + 3 * b) / 7 for a, b in zip(*shard_grads)]  # Σ m_r (1/m_r)Δ_r / M
    for w, g in zip(weighted, grads_one):
        np.testing.assert_allclose(w, g, rtol=1e-13, atol=1e-17)


def test_one_flat_buffer_holds_every_gradient_then_J_and_m(ranks) -> None:
    def rank(world):
        model = small()
        reducer = GradientAllReduce(model.parameters(), world)
        crit = nn.BCELoss(reduction="sum")
        J = crit(model(X7), Y7)
        model.backward(crit.backward())
        reducer(J, 7, crit.scale, 2)
        return reducer, model, world.calls

    reducer, model, calls = ranks(1, rank)[0]
    sizes = sum(p.size for p in model.parameters())
    assert reducer.buffer.shape == (sizes + 2,) and reducer.buffer.dtype == np.float64
    assert calls == ["distributed: the gradients"]  # one collective per step
    assert reducer.buffer[-1] == 7 and reducer.m == 7
    flat = np.concatenate([p.grad.ravel() for p in model.parameters()])
    np.testing.assert_array_equal(reducer.buffer[:-2], flat)


@pytest.mark.parametrize("engine", [True, False])
@pytest.mark.parametrize(
    "make_opt",
    [
        lambda p: optim.SGD(p, lr=1.0, l2=1.0),
        lambda p: optim.SGD(p, lr=0.5, l2=1.0, momentum=0.9, nesterov=True),
        lambda p: optim.Adam(p, lr=0.05, l2=1.0),
        lambda p: optim.LBFGS(p, l2=1.0, max_iter=5),
    ],
    ids=["sgd", "nesterov", "adam", "lbfgs"],
)
@pytest.mark.filterwarnings(
    "ignore::minitorch_bp.optim.ConvergenceWarning"
)  # max_iter=5 on purpose
def test_compile_step_equals_one_process_with_lambda_added_once(ranks, engine, make_opt) -> None:
    """Ten steps, λ = 1, 7 rows over 3 ranks: J (λ term once, with m = 7) and Θ as one process."""

    def train_steps(world=None):
        model = small()
        opt = make_opt(model.parameters())
        step = train.compile_step(
            model, nn.BCELoss(), opt, engine=engine, distributed=world or False
        )
        lo, hi = shard_bounds(7, world.rank, world.world_size) if world else (0, 7)
        Js = [step(X7[lo:hi], Y7[lo:hi]) for _ in range(10)]
        return Js, weights(model)

    J_one, w_one = train_steps()
    for Js, w in ranks(3, train_steps):
        np.testing.assert_allclose(Js, J_one, rtol=1e-12)
        if isinstance(make_opt([nn.Parameter(np.zeros(1))]), optim.LBFGS):
            # L-BFGS drives these weights from O(1) to O(1e-5), where the last bits of
            # the sums' order are a larger share of each value: compare on the O(1) scale.
            for k in w_one:
                np.testing.assert_allclose(w[k], w_one[k], rtol=0, atol=1e-12, err_msg=k)
        else:
            assert_same_run(w, w_one)


def test_an_empty_share_contributes_nothing_and_still_steps(ranks) -> None:
    """A batch of 1 row over 2 ranks: rank 1's share is (0, 3); both ranks take one process's step."""

    def one_step(world=None):
        model = small()
        step = sgd_step(model, nn.BCELoss(), world)
        lo, hi = shard_bounds(1, world.rank, 2) if world else (0, 1)
        J = step(X7[lo:hi], Y7[lo:hi])
        return J, weights(model), None if step.output is None else step.output.shape

    J_one, w_one, _ = one_step()
    (J0, w0, out0), (J1, w1, out1) = ranks(2, one_step)
    assert out0 == (1, 2) and out1 == (0, 2)
    assert J0 == J1 == pytest.approx(J_one, rel=1e-14)
    assert_same_run(w0, w_one)
    assert all(np.array_equal(w0[k], w1[k]) for k in w0)


def test_float32_stays_float32(ranks) -> None:
    X, Y = X7.astype(np.float32), Y7.astype(np.float32)

    def steps(world=None):
        model = nn.Sequential(nn.Linear(3, 4, rng=0, dtype=np.float32), nn.Sigmoid())
        step = sgd_step(model, nn.MSELoss(), world)
        lo, hi = shard_bounds(7, world.rank, 2) if world else (0, 7)
        for _ in range(5):
            step(X[lo:hi], Y[lo:hi, :1].repeat(4, axis=1))
        return weights(model), None if world is None else step.reducer.buffer.dtype

    w_one, _ = steps()
    for w, dtype in ranks(2, steps):
        assert dtype == np.float32 and w["0.weight"].dtype == np.float32
        assert_same_run(w, w_one, rtol=1e-5)


def test_a_loss_that_is_not_a_sum_over_examples_is_refused(ranks) -> None:
    crit = nn.MSELoss()
    crit.reduction = "none"  # type: ignore[assignment]  # as a future per-element reduction

    def build(world):
        model = small()
        return train.compile_step(
            model, crit, optim.SGD(model.parameters(), lr=1.0), distributed=world
        )

    with pytest.raises(ValueError, match=r"reduction='none'"):
        ranks(1, build)


def test_broadcast_parameters_gives_every_rank_rank_0s(ranks) -> None:
    def rank(world):
        model = small(rng=10 * world.rank)
        broadcast_parameters(model, world=world)
        return weights(model)

    w0, w1 = ranks(2, rank)
    assert all(np.array_equal(w0[k], w1[k]) for k in w0)
    assert all(np.array_equal(w0[k], v) for k, v in weights(small(rng=0)).items())


def test_loader_shares_union_is_the_one_process_batch() -> None:
    X, Y, _, _ = data()
    one = [yb for _, yb in DataLoader(X, Y, 60, seed=0)]
    shares = [
        [yb for _, yb in DataLoader(X, Y, 60, seed=0, rank=r, world_size=2)] for r in range(2)
    ]
    for k, batch in enumerate(one):
        np.testing.assert_array_equal(np.concatenate([shares[0][k], shares[1][k]]), batch)
    assert [len(b) for b in shares[1]] == [30, 30, 30, 30, 0]
    assert network().output_shape((0, 64)) == (0, 10)


def test_the_readme_loop_with_the_reducer_between_backward_and_step(ranks) -> None:
    """docs/scaling.md's five-line loop, data-parallel: mini-batches of 60 over 2 ranks, Adam, λ = 1."""
    X, Y, _, _ = data()

    def loop(world=None):
        model, criterion = network(), nn.BCELoss()
        opt = optim.Adam(model.parameters(), lr=0.01, l2=1.0)
        r, size = (world.rank, world.world_size) if world else (0, 1)
        loader = DataLoader(X, Y, 60, seed=0, rank=r, world_size=size)
        reducer = GradientAllReduce(opt.params, world) if world else None
        for _ in range(2):
            for xb, yb in loader:  # no share is empty here (the loop would need one row)
                out = model(xb)
                J = criterion(out, yb)
                opt.zero_grad()
                model.backward(criterion.backward())
                M = len(xb)
                if reducer is not None:
                    J, M = reducer(J, len(xb), criterion.scale, out.shape[1])
                opt.step(m=M)
        return weights(model)

    X, Y = X[:240], Y[:240]  # 4 batches of 60: no empty share
    want = loop()
    for got in ranks(2, loop):
        assert_same_run(got, want)
