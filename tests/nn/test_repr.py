"""Printing: every module and loss reads like PyTorch's repr; summary(); docs/layers.md examples."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import nn

LAYERS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "layers.md"


@pytest.mark.parametrize(
    ("obj", "text"),
    [
        (nn.Linear(64, 25, rng=0), "Linear(in_features=64, out_features=25, bias=True)"),
        (nn.Linear(3, 1, bias=False, rng=0), "Linear(in_features=3, out_features=1, bias=False)"),
        (nn.Sigmoid(), "Sigmoid()"),
        (nn.Tanh(), "Tanh()"),
        (nn.ReLU(), "ReLU()"),
        (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
        (nn.LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"),
        (nn.Softmax(), "Softmax(dim=-1)"),
        (nn.Softmax(axis=0), "Softmax(dim=0)"),
        (nn.Identity(), "Identity()"),
        (nn.Dropout(), "Dropout(p=0.5)"),
        (nn.Dropout(0.1, rng=3), "Dropout(p=0.1)"),
        (nn.MSELoss(), "MSELoss(reduction='batchmean')"),
        (nn.BCELoss(reduction="sum"), "BCELoss(reduction='sum')"),
        (nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss(reduction='batchmean')"),
        (nn.CrossEntropyLoss(reduction="mean"), "CrossEntropyLoss(reduction='mean')"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_repr_reads_like_pytorch(obj: object, text: str) -> None:
    assert repr(obj) == text


def _model() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, 25, rng=0),
        nn.LeakyReLU(0.1),
        nn.Dropout(0.2, rng=0),
        nn.Linear(25, 10, rng=1),
        nn.Softmax(),
    )


def test_sequential_repr_nests_the_new_layers() -> None:
    assert repr(_model()) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=25, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.1)\n"
        "  (2): Dropout(p=0.2)\n"
        "  (3): Linear(in_features=25, out_features=10, bias=True)\n"
        "  (4): Softmax(dim=-1)\n"
        ")"
    )


def test_summary_lists_the_new_layers_with_zero_parameters() -> None:
    lines = _model().summary().splitlines()
    rows = {line.split()[0]: line for line in lines[2:7]}
    assert rows["1"].split()[1:] == ["LeakyReLU(negative_slope=0.1)", "(m,", "25)", "0"]
    assert rows["2"].split()[1:] == ["Dropout(p=0.2)", "(m,", "25)", "0"]
    assert rows["4"].split()[1:] == ["Softmax(dim=-1)", "(m,", "10)", "0"]
    assert rows["0"].endswith("1,625") and rows["3"].endswith("260")
    assert lines[-1] == "Total parameters: 1,885 (float64)"
    assert len({len(line) for line in lines[:-1]}) == 1  # the columns line up


def test_layers_page_examples_are_real_output() -> None:
    failures, tried = doctest.testfile(
        str(LAYERS_PAGE),
        module_relative=False,
        globs={"np": np, "nn": nn},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert tried > 10
    assert failures == 0
