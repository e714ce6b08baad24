"""Random generators: one check for every ``rng=`` and ``seed=`` argument, and their saved state."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

Seed = int | np.integer[Any] | np.random.Generator | None


def as_generator(seed: Any, who: str, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``: a Generator as it is (shared, so it advances), a fresh one for ``None``, a seeded one for a non-negative integer.

    Raises:
        ValueError: anything else (a negative or non-integer seed, a bool, a string),
            naming ``who`` and the argument, e.g. ``Linear: rng=-1 must be ...``.

    Example:
        >>> as_generator(0, "demo").integers(10)
        np.int64(8)
        >>> as_generator(-1, "Linear")
        Traceback (most recent call last):
        ...
        ValueError: Linear: rng=-1 must be None, a non-negative integer seed or a numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"{who}: {name}={seed!r} must be None, a non-negative integer seed"
            " or a numpy.random.Generator"
        )
    return np.random.default_rng(int(seed))


def generator_state(generator: np.random.Generator) -> dict[str, Any]:
    """The generator's bit-generator state, plain JSON data (a copy)."""
    return copy.deepcopy(dict(generator.bit_generator.state))


def restore_generator(generator: np.random.Generator, state: Any, who: str) -> None:
    """Set ``generator`` to a state :func:`generator_state` returned (possibly through JSON).

    Raises:
        ValueError: a state of another bit generator kind, or one numpy refuses; the
            generator is unchanged then.
    """
    own = type(generator.bit_generator).__name__
    kind = state.get("bit_generator") if isinstance(state, dict) else None
    if kind != own:
        raise ValueError(f"{who}: the state is of a {kind!r} bit generator; this one is {own!r}")
    before = generator.bit_generator.state
    try:
        generator.bit_generator.state = copy.deepcopy(state)
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        generator.bit_generator.state = before
        raise ValueError(f"{who}: malformed {own} state ({exc})") from exc
