"""``fit(..., distributed=...)``: one process's weights and History, one writer, a resume on every rank.

Ranks are threads (``conftest.ThreadWorld``); ``test_processes.py`` repeats the main
cases on gloo workers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import nn, optim, train
from minitorch_bp.data import DataLoader

from parallel_cases import BATCHES, assert_same_run, data, network, resume, run, weights


def _same_history(got: train.History, want: train.History) -> None:
    assert got.epochs == want.epochs
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("engine", [True, False])
@pytest.mark.parametrize("batch", ["full", "mini"])
def test_fit_on_two_and_three_ranks_is_one_process_run(ranks, engine, batch) -> None:
    model_one, history_one, _, _ = run("momentum", batch, engine=engine)
    for world_size in (2, 3):
        results = ranks(
            world_size,
            lambda w: run(
                "momentum",
                batch,
                rank=w.rank,
                world_size=w.world_size,
                distributed=w,
                engine=engine,
            ),
        )
        for model, history, _, _ in results:
            assert_same_run(weights(model), weights(model_one))
            _same_history(history, history_one)  # global metrics, not a rank's share
        first = weights(results[0][0])
        for model, history, _, _ in results[1:]:  # the ranks agree bit for bit
            assert all(np.array_equal(v, first[k]) for k, v in weights(model).items())
            assert history.to_dict() == results[0][1].to_dict()


def checkpointed(w, opt: str, epochs: int, path: Path) -> object:
    """The first ``epochs`` epochs of the mini-batch run, with a checkpoint after each."""
    saver = train.ModelCheckpoint(path, monitor="loss")
    return run(
        opt, "mini", rank=w.rank, world_size=2, distributed=w, epochs=epochs, callbacks=[saver]
    )


def test_only_rank_0_writes_and_every_rank_resumes_from_its_file(ranks, tmp_path: Path) -> None:
    """Checkpoints by rank 0; a resume on 2 ranks, on 3 ranks or in one process continues exactly."""
    full = ranks(2, lambda w: run("adam", "mini", rank=w.rank, world_size=2, distributed=w))
    want = weights(full[0][0])

    ranks(2, lambda w: checkpointed(w, "adam", 2, tmp_path / f"rank{w.rank}-ep{{epoch}}.npz"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rank0-ep1.npz", "rank0-ep2.npz"]
    ckpt = str(tmp_path / "rank0-ep2.npz")
    for world_size in (2, 3):
        resumed = ranks(
            world_size,
            lambda w: resume(
                ckpt, "adam", "mini", rank=w.rank, world_size=w.world_size, distributed=w
            ),
        )
        for model, history in resumed:
            assert history.epochs == [3, 4]
            assert_same_run(weights(model), want)
    model, _ = resume(ckpt, "adam", "mini")  # the loader's state holds no rank
    assert_same_run(weights(model), want)


def test_a_stop_on_one_rank_stops_every_rank(ranks) -> None:
    def rank(w):
        stop_at_3 = (lambda epoch, logs: epoch == 3) if w.rank == 1 else (lambda epoch, logs: False)
        return run("sgd", "full", rank=w.rank, world_size=2, distributed=w, callbacks=[stop_at_3])

    for _, history, _, _ in ranks(2, rank):
        assert history.epochs == [1, 2, 3] and history.stopped_epoch == 3


def test_early_stopping_decides_the_same_on_every_rank(ranks) -> None:
    def rank(w):
        es = train.EarlyStopping("val_loss", patience=1, min_delta=0.5)
        return run("sgd", "full", rank=w.rank, world_size=2, distributed=w, callbacks=[es])

    _, one, _, _ = run(
        "sgd", "full", callbacks=[train.EarlyStopping("val_loss", patience=1, min_delta=0.5)]
    )
    for _, history, _, _ in ranks(2, rank):
        assert history.epochs == one.epochs and history.best_epoch == one.best_epoch


def test_only_rank_0_prints(ranks, capsys: pytest.CaptureFixture[str]) -> None:
    """And an unshuffled loader needs no common seed (it never draws from its generator)."""
    X, Y, _, _ = data()

    def rank(w):
        model = network()
        loader = DataLoader(X, Y, len(X), shuffle=False, rank=w.rank, world_size=2)
        train.fit(
            model,
            nn.BCELoss(),
            optim.SGD(model.parameters(), lr=1.0),
            loader,
            epochs=2,
            distributed=w,
        )

    ranks(2, rank)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]


def _errors(ranks, fn) -> list[str]:
    out = ranks(2, fn, errors_too=True)
    assert all(isinstance(e, ValueError) for e in out), out
    return [str(e) for e in out]


def test_ranks_that_start_differently_all_refuse_naming_what_differs(ranks) -> None:
    messages = _errors(
        ranks, lambda w: run("sgd", "full", rank=w.rank, world_size=2, distributed=w, rng=w.rank)
    )
    for msg in messages:
        assert "the ranks do not start from the same state: the model's parameters differ(s)" in msg
        assert "on rank(s) [1]" in msg and "the same rng" in msg


def test_a_loader_built_for_another_rank_is_refused_on_every_rank(ranks) -> None:
    messages = _errors(ranks, lambda w: run("sgd", "full", distributed=w))  # rank=0, world_size=1
    assert "rank(s) [0, 1] cannot take part" in messages[1]
    assert "its DataLoader has rank=0, world_size=1; this process is rank 1 of 2" in messages[1]


def test_a_resume_on_rank_0_only_is_refused(ranks, tmp_path: Path) -> None:
    ranks(2, lambda w: checkpointed(w, "momentum", 1, tmp_path / "ep{epoch}.npz"))

    def rank(w):
        if w.rank == 0:
            return resume(
                str(tmp_path / "ep1.npz"), "momentum", "mini", rank=0, world_size=2, distributed=w
            )
        return run("momentum", "mini", rank=1, world_size=2, distributed=w)

    msg = _errors(ranks, rank)[0]
    for part in (
        "the model's parameters",
        "the optimizer's state",
        "the loader's state",
        "fit's arguments",
    ):
        assert f"{part}" in msg
    assert "train.resume on every rank" in msg


def test_the_batch_size_is_the_global_batch() -> None:
    assert BATCHES["mini"][0] == 60
    X, Y, _, _ = data()
    loaders = [DataLoader(X, Y, 60, seed=0, rank=r, world_size=2) for r in range(2)]
    assert [len(loader) for loader in loaders] == [5, 5]
    assert [sum(len(yb) for _, yb in loader) for loader in loaders] == [121, 120]


@pytest.mark.parametrize("rows", [2, 7, 60])
@pytest.mark.parametrize(
    "criterion",
    [nn.BCELoss(), nn.MSELoss(reduction="mean"), nn.CrossEntropyLoss(reduction="sum")],
    ids=repr,
)
def test_evaluate_in_shares_is_the_whole_sets(ranks, rows, criterion) -> None:
    """Three ranks over 2, 7 or 60 rows (2 rows: one rank's share is empty), λ = 1."""
    from minitorch_bp import distributed

    X, Y, _, _ = data()
    X, Y = X[:rows], Y[:rows]
    if isinstance(criterion, nn.CrossEntropyLoss):
        Y = Y.argmax(axis=1)  # class labels, shape (m,)
    want = train.evaluate(network(), X, Y, criterion=criterion, l2=1.0)

    def rank(w):  # each rank its own model (the same weights) and criterion, as processes have
        crit = type(criterion)(reduction=criterion.reduction)
        return distributed.evaluate(network(), X, Y, world=w, criterion=crit, l2=1.0)

    for got in ranks(3, rank):
        assert got.keys() == want.keys()
        assert got["accuracy"] == want["accuracy"]
        assert got["loss"] == pytest.approx(want["loss"], rel=1e-13)


def test_distributed_must_be_true_or_a_world() -> None:
    X, Y, _, _ = data()
    model = network()
    with pytest.raises(TypeError, match=r"distributed='yes' must be True \(the process group"):
        train.fit(
            model,
            nn.BCELoss(),
            optim.SGD(model.parameters(), lr=1.0),
            DataLoader(X, Y, 60, seed=0),
            epochs=1,
            distributed="yes",
        )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "option", [{"sample_weight": "ones"}, {"validation_split": 0.2}], ids=["weights", "split"]
)
def test_sample_weight_and_validation_split_are_refused_on_every_rank(ranks, option) -> None:
    """The ranks sum example counts, not weights, and a split of one rank's share is not the
    split of the data: both are refused before training, with a message saying what to do."""
    X, Y, _, _ = data()

    def rank(w):
        model = network()
        loader = DataLoader(X, Y, 20, shuffle=False, rank=w.rank, world_size=2)
        kwargs = dict(option)
        if kwargs.get("sample_weight") == "ones":
            kwargs["sample_weight"] = np.ones(loader.dataset_size)
        train.fit(
            model,
            nn.BCELoss(),
            optim.SGD(model.parameters(), lr=1.0),
            loader,
            epochs=1,
            progress=False,
            distributed=w,
            **kwargs,
        )

    for msg in _errors(ranks, rank):
        assert "sample_weight and validation_split are not supported with distributed" in msg


def test_compile_step_refuses_sample_weights_when_distributed(ranks) -> None:
    X, Y, _, _ = data()

    def rank(w):
        model = network()
        step = train.compile_step(
            model, nn.BCELoss(), optim.SGD(model.parameters(), lr=1.0), distributed=w
        )
        step(X[:4], Y[:4], sample_weight=np.ones(4))

    for msg in _errors(ranks, rank):
        assert "sample_weight with distributed training is not supported" in msg
