import doctest
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_bp.data.loader as loader_module
from minitorch_bp.data import DataLoader


def _data(m: int, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(m * n, dtype=np.float64).reshape(m, n)
    y = np.arange(m)  # label == row index, so batches reveal which rows they hold
    return X, y


def _epoch_labels(loader: DataLoader) -> list[list[int]]:
    return [yb.tolist() for _, yb in loader]


def test_no_shuffle_yields_rows_in_order_with_last_partial_batch() -> None:
    X, y = _data(7)
    loader = DataLoader(X, y, batch_size=3, shuffle=False)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    np.testing.assert_array_equal(batches[2][0], X[6:7])
    assert batches[2][0].shape == (1, 3)


def test_no_shuffle_batches_are_views_not_copies() -> None:
    X, y = _data(6)
    for xb, yb in DataLoader(X, y, batch_size=4, shuffle=False):
        assert np.shares_memory(xb, X)
        assert np.shares_memory(yb, y)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 40), batch_size=st.integers(1, 50), seed=st.integers(0, 2**32 - 1))
def test_every_row_exactly_once_per_epoch(m: int, batch_size: int, seed: int) -> None:
    X, y = _data(m)
    loader = DataLoader(X, y, batch_size=batch_size, seed=seed)
    assert len(loader) == -(-m // batch_size)
    for _ in range(2):
        batches = list(loader)
        assert len(batches) == len(loader)
        sizes = [yb.shape[0] for _, yb in batches]
        assert all(s == batch_size for s in sizes[:-1])
        assert sizes[-1] == m - (len(loader) - 1) * batch_size
        seen = np.concatenate([yb for _, yb in batches])
        assert sorted(seen.tolist()) == list(range(m))
        for xb, yb in batches:  # x and y rows stay paired
            np.testing.assert_array_equal(xb, X[yb])


def test_same_seed_same_batches_and_epochs_differ() -> None:
    X, y = _data(20)
    a = DataLoader(X, y, batch_size=6, seed=42)
    b = DataLoader(X, y, batch_size=6, seed=42)
    a_epochs = [_epoch_labels(a) for _ in range(3)]
    b_epochs = [_epoch_labels(b) for _ in range(3)]
    assert a_epochs == b_epochs
    assert a_epochs[0] != a_epochs[1]
    assert [label for batch in a_epochs[0] for label in batch] != list(range(20))
    other = DataLoader(X, y, batch_size=6, seed=43)
    assert _epoch_labels(other) != a_epochs[0]


def test_seed_matches_default_rng_permutation() -> None:
    X, y = _data(9)
    got = np.concatenate([yb for _, yb in DataLoader(X, y, batch_size=4, seed=7)])
    np.testing.assert_array_equal(got, np.random.default_rng(7).permutation(9))


def test_accepts_generator_and_advances_it() -> None:
    X, y = _data(10)
    rng = np.random.default_rng(3)
    loader = DataLoader(X, y, batch_size=5, seed=rng)
    assert loader.generator is rng
    first = _epoch_labels(loader)
    expected = np.random.default_rng(3).permutation(10)
    assert [label for batch in first for label in batch] == expected.tolist()


def test_permutation_drawn_when_epoch_starts() -> None:
    X, y = _data(8)
    a = DataLoader(X, y, batch_size=3, seed=5)
    b = DataLoader(X, y, batch_size=3, seed=5)
    iter(a)  # an abandoned epoch still consumes one permutation
    _ = list(b)
    assert _epoch_labels(a) == _epoch_labels(b)


def test_two_d_targets_and_attributes() -> None:
    X, _ = _data(5)
    Y = np.eye(5)
    loader = DataLoader(X, Y, batch_size=2, shuffle=False)
    assert (loader.batch_size, loader.dataset_size, loader.shuffle) == (2, 5, False)
    shapes = [(xb.shape, yb.shape) for xb, yb in loader]
    assert shapes == [((2, 3), (2, 5)), ((2, 3), (2, 5)), ((1, 3), (1, 5))]
    assert repr(loader) == "DataLoader(dataset_size=5, batch_size=2, shuffle=False)"


def test_state_dict_resumes_exactly_through_json() -> None:
    X, y = _data(11)
    a = DataLoader(X, y, batch_size=4, seed=123)
    _epoch_labels(a)
    state = json.loads(json.dumps(a.state_dict()))
    assert state["batch_size"] == 4 and state["shuffle"] is True
    assert state["bit_generator"]["bit_generator"] == "PCG64"
    b = DataLoader(X, y, batch_size=4, seed=0)
    b.load_state_dict(state)
    assert [_epoch_labels(a) for _ in range(3)] == [_epoch_labels(b) for _ in range(3)]


def test_state_dict_is_a_snapshot() -> None:
    X, y = _data(6)
    a = DataLoader(X, y, batch_size=2, seed=1)
    state = a.state_dict()
    expected = _epoch_labels(a)
    _epoch_labels(a)  # advancing the loader must not change the saved state
    a.load_state_dict(state)
    assert _epoch_labels(a) == expected


def test_load_state_dict_rejects_mismatches() -> None:
    X, y = _data(6)
    a = DataLoader(X, y, batch_size=2, seed=1)
    state = a.state_dict()
    with pytest.raises(ValueError, match="batch_size=2"):
        DataLoader(X, y, batch_size=3, seed=1).load_state_dict(state)
    with pytest.raises(ValueError, match=r"lacks keys \['bit_generator'\]"):
        a.load_state_dict({"batch_size": 2, "shuffle": True})
    mt = DataLoader(X, y, batch_size=2, seed=np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(ValueError, match="of a 'PCG64' bit generator; this one is 'MT19937'"):
        mt.load_state_dict(state)


@pytest.mark.parametrize("batch_size", [0, -1, 2.0, True, "4", None])
def test_bad_batch_size(batch_size: object) -> None:
    X, y = _data(4)
    message = f"DataLoader(batch_size={batch_size!r}) must be a positive integer"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DataLoader(X, y, batch_size=batch_size)  # type: ignore[arg-type]


def test_numpy_integer_batch_size_accepted() -> None:
    X, y = _data(4)
    assert len(DataLoader(X, y, batch_size=np.int64(3))) == 2


def test_mismatched_rows() -> None:
    with pytest.raises(ValueError, match=r"X.shape=\(4, 3\) and Y.shape=\(5,\)"):
        DataLoader(np.zeros((4, 3)), np.zeros(5), batch_size=2)


def test_empty_dataset() -> None:
    with pytest.raises(ValueError, match=r"empty data set \(shape \(0, 3\)\)"):
        DataLoader(np.zeros((0, 3)), np.zeros(0), batch_size=2)


def test_one_d_x_and_bad_y() -> None:
    with pytest.raises(ValueError, match=r"DataLoader\(X\) must be 2-D.*shape \(4,\)"):
        DataLoader(np.zeros(4), np.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match=r"DataLoader\(Y\) must be 1-D labels or 2-D.*\(4, 1, 1\)"):
        DataLoader(np.zeros((4, 2)), np.zeros((4, 1, 1)), batch_size=2)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(ValueError, match="seed="):
        DataLoader(np.zeros((2, 1)), np.zeros(2), batch_size=1, seed=seed)  # type: ignore[arg-type]


def test_docstring_examples() -> None:
    result = doctest.testmod(loader_module)
    assert result.attempted > 0 and result.failed == 0


def test_docs_page_examples() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "data.md"
    result = doctest.testfile(str(page), module_relative=False)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------- shares of a global batch
@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 40),
    batch_size=st.integers(1, 50),
    world_size=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    shuffle=st.booleans(),
)
def test_ranks_share_each_global_batch_and_every_row_once(
    m: int, batch_size: int, world_size: int, seed: int, shuffle: bool
) -> None:
    """The ranks' shares of batch k are disjoint, differ by at most one row, and are
    exactly batch k of one process with the same seed; two epochs, same permutations."""
    X, y = _data(m)
    one = DataLoader(X, y, batch_size, shuffle=shuffle, seed=seed)
    ranks = [
        DataLoader(X, y, batch_size, shuffle=shuffle, seed=seed, rank=r, world_size=world_size)
        for r in range(world_size)
    ]
    assert {len(loader) for loader in ranks} == {len(one)}
    for _ in range(2):
        shares = [list(loader) for loader in ranks]
        for k, (_, yb) in enumerate(one):
            parts = [shares[r][k][1] for r in range(world_size)]
            np.testing.assert_array_equal(np.concatenate(parts), yb)
            sizes = [len(p) for p in parts]
            assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
            for r in range(world_size):
                np.testing.assert_array_equal(shares[r][k][0], X[shares[r][k][1]])


def test_an_empty_share_keeps_the_columns() -> None:
    X, y = _data(3)
    batches = list(DataLoader(X, y, 1, shuffle=False, rank=1, world_size=2))
    assert [xb.shape for xb, _ in batches] == [(0, 3)] * 3


def test_unshuffled_shares_are_views() -> None:
    X, y = _data(10)
    for xb, _ in DataLoader(X, y, 4, shuffle=False, rank=1, world_size=3):
        assert np.shares_memory(xb, X) or xb.size == 0


def test_shuffled_ranks_need_one_seed() -> None:
    X, y = _data(4)
    with pytest.raises(ValueError, match=r"seed=None\) with world_size=2 and shuffle=True"):
        DataLoader(X, y, 2, rank=0, world_size=2)
    assert len(DataLoader(X, y, 2, shuffle=False, rank=1, world_size=2)) == 2


@pytest.mark.parametrize(
    ("rank", "world_size", "message"),
    [
        (2, 2, r"DataLoader\(rank=2\) must be an integer in 0..1 \(world_size=2\)"),
        (-1, 2, r"DataLoader\(rank=-1\)"),
        (True, 2, r"DataLoader\(rank=True\)"),
        (0, 0, r"DataLoader\(world_size=0\) must be a positive integer"),
        (0, 1.0, r"DataLoader\(world_size=1.0\)"),
    ],
)
def test_bad_rank_or_world_size(rank: object, world_size: object, message: str) -> None:
    X, y = _data(4)
    with pytest.raises(ValueError, match=message):
        DataLoader(X, y, 2, seed=0, rank=rank, world_size=world_size)  # type: ignore[arg-type]


def test_the_state_holds_no_rank_so_any_world_size_resumes_it() -> None:
    X, y = _data(9)
    two = [DataLoader(X, y, 4, seed=5, rank=r, world_size=2) for r in range(2)]
    for loader in two:
        list(loader)  # epoch 1 on both ranks
    one = DataLoader(X, y, 4, seed=0)
    one.load_state_dict(json.loads(json.dumps(two[0].state_dict())))
    shares = [[yb.tolist() for _, yb in loader] for loader in two]
    assert [a + b for a, b in zip(*shares)] == [yb.tolist() for _, yb in one]
    assert repr(two[1]) == (
        "DataLoader(dataset_size=9, batch_size=4, shuffle=True, rank=1, world_size=2)"
    )
