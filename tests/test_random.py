"""``_random.as_generator``: every ``rng=`` and ``seed=`` argument is checked in one place, by name."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minitorch_bp import data, datasets, nn

MAKERS: dict[str, Callable[[Any], object]] = {
    "Linear: rng": lambda s: nn.Linear(2, 1, rng=s),
    "Dropout: rng": lambda s: nn.Dropout(0.5, rng=s),
    "nn.init: rng": lambda s: nn.init.xavier_uniform_(np.zeros((2, 2)), rng=s),
    "DataLoader: seed": lambda s: data.DataLoader(np.zeros((4, 1)), np.zeros(4), 2, seed=s),
    "train_test_split: seed": lambda s: data.train_test_split(np.zeros((4, 1)), np.zeros(4), 2, s),
    "two_moons: seed": lambda s: datasets.two_moons(10, seed=s),
    "spirals: seed": lambda s: datasets.spirals(12, seed=s),
}


@pytest.mark.parametrize("bad", [-1, "abc", 1.5, True, [1, 2]], ids=repr)
@pytest.mark.parametrize("who", sorted(MAKERS))
def test_a_bad_seed_names_the_argument_and_its_value(who: str, bad: Any) -> None:
    # Before: rng=-1 gave numpy's "expected non-negative integer" and rng='abc' a
    # SeedSequence TypeError, neither naming the layer or the argument.
    name, _, arg = who.partition(": ")
    with pytest.raises(
        ValueError, match="^" + re.escape(f"{name}: {arg}={bad!r} must be None, a non-negative")
    ):
        MAKERS[who](bad)


@pytest.mark.parametrize("who", sorted(MAKERS))
def test_seeds_and_generators_are_accepted(who: str) -> None:
    for seed in (0, np.int64(3), np.random.default_rng(1), None):
        MAKERS[who](seed)


def test_a_shared_generator_advances() -> None:
    rng = np.random.default_rng(0)
    a, b = nn.Linear(2, 2, rng=rng), nn.Linear(2, 2, rng=rng)
    assert not np.array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(
        nn.Linear(2, 2, rng=0).weight.data, nn.Linear(2, 2, rng=0).weight.data
    )
