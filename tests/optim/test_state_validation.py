"""Every field of every optimizer's state is checked on load (issue 12).

Before: Adam with a NaN ``exp_avg`` loaded and gave NaN weights at the next step with no
warning; a negative ``exp_avg_sq`` made the step take the root of a negative number;
L-BFGS's ``d`` / ``g_prev`` of the wrong length loaded and failed mid-training with a
broadcast error. A refused state leaves the optimizer as it was (all or nothing).
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitorch_bp import nn, optim
from tests.stepped import stepped, take_steps

FIRST_ORDER = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "Adam": lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01),
    "NAdam": lambda p: optim.NAdam(p, lr=0.01),
    "RAdam": lambda p: optim.RAdam(p, lr=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.01),
}
FULL_BATCH = {
    "LBFGS": lambda p: optim.LBFGS(p, max_iter=3),
    "ConjugateGradient": lambda p: optim.ConjugateGradient(p, max_iter=3),
}
SECOND = ("exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum")


def _model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sigmoid())


def _trained(factory: Any) -> tuple[nn.Sequential, optim.Optimizer]:
    return stepped(factory)


def _arrays(state: dict[str, Any]) -> list[str]:
    """The keys of per-parameter array lists in a state."""
    return [
        k
        for k, v in state.items()
        if isinstance(v, list) and v and all(isinstance(a, np.ndarray) for a in v if a is not None)
    ]


def _refused(opt: optim.Optimizer, state: dict[str, Any], match: str) -> None:
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(state)
    after = opt.state_dict()
    for k, v in before.items():
        if isinstance(v, list) and v and isinstance(v[0], np.ndarray):
            for a, b in zip(v, after[k], strict=True):
                np.testing.assert_array_equal(a, b)
        elif not isinstance(v, np.ndarray):
            assert after[k] == v or (v != v), k  # nothing half-loaded


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_nan_in_any_state_array_is_refused(name: str) -> None:
    _, opt = _trained(FIRST_ORDER[name])
    keys = _arrays(opt.state_dict())
    assert keys, "every first-order optimizer here keeps per-parameter arrays"
    for key in keys:
        state = copy.deepcopy(opt.state_dict())
        arr = next(a for a in state[key] if a is not None)
        arr.flat[0] = np.nan
        _refused(opt, state, rf"{name}.load_state_dict: {key}\[\d\] holds 1 NaN or inf value")


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_a_negative_second_moment_is_refused(name: str) -> None:
    _, opt = _trained(FIRST_ORDER[name])
    keys = [k for k in _arrays(opt.state_dict()) if k in SECOND]
    if name == "SGD":
        assert keys == []  # a velocity may be negative
        return
    assert keys
    for key in keys:
        state = copy.deepcopy(opt.state_dict())
        state[key][0].flat[0] = -1e-3
        _refused(opt, state, rf"{key}\[0\] holds negative values \(the least -0.001\)")


def test_a_negative_first_moment_or_velocity_is_fine() -> None:
    model, opt = _trained(FIRST_ORDER["Adam"])
    state = copy.deepcopy(opt.state_dict())
    state["exp_avg"][0][...] = -0.5
    opt.load_state_dict(state)
    np.testing.assert_array_equal(opt.state_dict()["exp_avg"][0], -0.5)


@pytest.mark.parametrize("step", [-1, -5, 1.5, True, math.inf])
def test_adam_step_counts_must_be_integers_at_least_zero(step: Any) -> None:
    _, opt = _trained(FIRST_ORDER["Adam"])
    state = {**opt.state_dict(), "step": step}
    _refused(opt, state, r"step=.* must be 1 step count\(s\), integers >= 0")


def test_sgd_state_with_an_infinite_step_changes_nothing() -> None:
    """Before: lr was changed to 5.0, then OverflowError."""
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: step=inf"):
        opt.load_state_dict({"type": "SGD", "lr": 5.0, "steps": math.inf})
    assert opt.lr == 0.1


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("LBFGS", "d"),
        ("LBFGS", "g_prev"),
        ("LBFGS", "s"),
        ("LBFGS", "y"),
        ("ConjugateGradient", "d"),
    ],
)
def test_full_batch_vectors_must_have_one_entry_per_parameter_value(name: str, key: str) -> None:
    model, opt = _trained(FULL_BATCH[name])
    state = copy.deepcopy(opt.state_dict())
    assert state[key] is not None and len(state[key]) > 0, f"{name} keeps {key} after two steps"
    n = sum(p.size for p in model.parameters())
    if isinstance(state[key], list):
        state[key][0] = state[key][0][:-1]
        shown = rf"{key}\[0\]"
    else:
        state[key] = state[key][:-1]
        shown = key
    _refused(opt, state, rf"{shown} has shape \({n - 1},\); expected \({n},\)")


@pytest.mark.parametrize("name", sorted(FULL_BATCH))
def test_full_batch_numbers_must_be_finite(name: str) -> None:
    _, opt = _trained(FULL_BATCH[name])
    for key in ("t", "H_diag", "gtd"):
        if key in opt.state_dict():
            state = {**copy.deepcopy(opt.state_dict()), key: math.nan}
            _refused(opt, state, rf"{key}=nan must be a finite number")
    state = {**copy.deepcopy(opt.state_dict()), "total_iterations": -2}
    _refused(opt, state, r"total_iterations=-2 must be 1 step count")


def test_lbfgs_h_diag_must_be_positive() -> None:
    _, opt = _trained(FULL_BATCH["LBFGS"])
    _refused(opt, {**opt.state_dict(), "H_diag": 0.0}, r"H_diag=0.0 must be a finite number > 0")


def test_adam_eps_zero_is_refused() -> None:
    """Before: accepted; a zero second moment then divides 0 by 0."""
    for cls in (optim.Adam, optim.AdamW, optim.NAdam, optim.RAdam, optim.RMSprop, optim.Adagrad):
        with pytest.raises(ValueError, match=r"eps=0 must be a finite number > 0"):
            cls(_model().parameters(), eps=0)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 150)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(FIRST_ORDER) + sorted(FULL_BATCH)),
    changes=st.lists(st.tuples(st.integers(0, 40), _values), min_size=1, max_size=3),
)
def test_fuzzed_states_load_whole_or_are_refused_leaving_the_optimizer_as_it_was(
    name: str, changes: list[tuple[int, Any]]
) -> None:
    """Any field replaced by any value: the state loads (and a step stays finite), or a
    ValueError leaves the optimizer exactly as it was."""
    factory = {**FIRST_ORDER, **FULL_BATCH}[name]
    model, opt = _trained(factory)
    state = copy.deepcopy(opt.state_dict())
    keys = sorted(state)
    for i, value in changes:
        key = keys[i % len(keys)]
        if key in _arrays(state) and isinstance(value, list):
            value = [np.asarray(value, dtype=float), *state[key][1:]]
        state[key] = value
    before = copy.deepcopy(opt.state_dict())
    try:
        opt.load_state_dict(state)
    except ValueError:
        after = opt.state_dict()
        assert sorted(after) == sorted(before)
        for k in before:
            a, b = before[k], after[k]
            if isinstance(a, list) and a and isinstance(a[0], np.ndarray):
                assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)), k
            elif isinstance(a, (int, float, str, bool)) or a is None:
                assert a == b or (a != a and b != b), k
        return
    take_steps(model, opt, 1)
    for p in model.parameters():  # what was accepted steps to finite weights
        assert np.isfinite(p.data).all()


def test_lbfgs_without_its_direction_after_an_iteration_is_refused() -> None:
    """Found by the fuzz test above: d=None with n_iter > 0 loaded, then the next step
    failed an internal assertion."""
    _, opt = _trained(FULL_BATCH["LBFGS"])
    _refused(opt, {**opt.state_dict(), "d": None}, r"d and g_prev must both be vectors")
