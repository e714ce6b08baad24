"""A module is an identity: it may appear once in a tree, wherever it is nested."""

from __future__ import annotations

import pytest

from minitorch_bp import nn


def test_a_module_twice_in_nested_containers_is_refused_with_both_paths() -> None:
    a = nn.Linear(2, 2, rng=0)
    with pytest.raises(ValueError, match=r"'0\.0'.*'1\.0'"):
        nn.Sequential(nn.Sequential(a, nn.Sigmoid()), nn.Sequential(a, nn.Sigmoid()))


def test_the_same_container_twice_is_refused() -> None:
    inner = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid())
    with pytest.raises(ValueError, match=r"'0'.*'1'"):
        nn.Sequential(inner, inner)


def test_a_module_twice_at_the_top_is_refused() -> None:
    act = nn.Sigmoid()
    with pytest.raises(ValueError, match=r"'1'.*'3'"):
        nn.Sequential(nn.Linear(2, 2, rng=0), act, nn.Linear(2, 2, rng=1), act)
