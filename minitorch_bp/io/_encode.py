"""Turning models and state dicts into JSON plus named arrays, and back, without pickle."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn
from minitorch_bp.nn import registry
from minitorch_bp.nn.module import Module

Array = NDArray[Any]


class CheckpointError(ValueError):
    """A checkpoint that cannot be written (it would need pickle, or holds NaN or inf) or read.

    Reading fails on a truncated, tampered or over-large file, or one of another format.
    """


# ----------------------------------------------------------------- architecture
def describe(module: Module) -> dict[str, Any]:
    """Return ``{"type": name, "config": {...}}``; a container lists its ``children``."""
    name = type(module).__name__
    if not registry.is_registered(module):
        raise ValueError(
            f"save: {name} is not a layer type of minitorch_bp.nn (registered: "
            f"{', '.join(registry.names())}), so a checkpoint could not rebuild it"
        )
    children = list(module.children())
    if isinstance(module, nn.Sequential):  # the form files have always had
        return {"type": name, "children": [describe(child) for child in children]}
    spec: dict[str, Any] = {"type": name, "config": module.config()}
    if children:
        spec["children"] = [describe(child) for child in children]
    return spec


def build(spec: Any, where: str = "model") -> Module:
    """Rebuild the module :func:`describe` described; only ``nn`` Module classes are built."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise CheckpointError(f"{where}: expected an object with a 'type', got {spec!r:.80}")
    cls = registry.get(spec["type"])
    if cls is None:
        raise CheckpointError(
            f"{where}: unknown layer type {spec['type']!r}; this version of minitorch_bp"
            f" can build {registry.names()}"
        )
    children = spec.get("children", [])
    if cls is nn.Sequential and "children" not in spec:
        raise CheckpointError(f"{where}: Sequential needs a 'children' list")
    if not isinstance(children, list):
        raise CheckpointError(f"{where}: the children of {spec['type']} must be a list")
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise CheckpointError(f"{where}: config of {spec['type']} must be an object")
    built = [build(c, f"{where}.{i}") for i, c in enumerate(children)]
    try:
        return cls.from_config(config, built)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: cannot build {spec['type']}(**{config}): {exc}") from exc


# ----------------------------------------------------------------- state trees
def encode(value: Any, prefix: str, arrays: dict[str, Array], where: str | None = None) -> Any:
    """Return ``value`` as JSON data; arrays go to ``arrays`` under ``prefix/N`` keys.

    Lists, str-keyed dicts and JSON scalars stay as they are; arrays become
    ``{"__array__": key}``, tuples ``{"__tuple__": [...]}`` and other dicts
    ``{"__items__": [[key, value], ...]}``, so :func:`decode` restores the same structure.

    Raises:
        CheckpointError: an array that ``np.save`` could only pickle (dtype ``object``,
            or a structured dtype with an object field), named by its place in ``value``
            (``where``, default ``prefix``). Nothing is written by a refused save.
    """
    where = prefix if where is None else where
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise CheckpointError(
                f"io.save: {where} is an array of dtype {value.dtype} (Python objects), which"
                " only pickle could store, and checkpoints never use pickle; store numbers or"
                " strings as arrays, other data as JSON (lists, dicts, str, int, float)"
            )
        key = f"{prefix}/{len([k for k in arrays if k.startswith(prefix + '/')])}"
        arrays[key] = np.array(value)
        return {"__array__": key}
    if isinstance(value, np.generic):
        return encode(value.item(), prefix, arrays, where)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(v, prefix, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {
            "__tuple__": [encode(v, prefix, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
        }
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v, prefix, arrays, f"{where}[{k!r}]") for k, v in value.items()}
        return {
            "__items__": [
                [encode(k, prefix, arrays, where), encode(v, prefix, arrays, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]
        }
    raise CheckpointError(
        f"io.save: cannot store {where}, a {type(value).__name__} ({value!r:.60}), in a checkpoint"
    )


def decode(value: Any, arrays: dict[str, Array], used: set[str]) -> Any:
    """Invert :func:`encode`; records the array keys it consumed in ``used``."""
    if isinstance(value, list):
        return [decode(v, arrays, used) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__array__"}:
        key = value["__array__"]
        if key not in arrays:
            raise CheckpointError(f"the header refers to array {key!r}, which the file lacks")
        used.add(key)
        return arrays[key]
    if set(value) == {"__tuple__"}:
        return tuple(decode(v, arrays, used) for v in value["__tuple__"])
    if set(value) == {"__items__"}:
        return {
            _key(decode(k, arrays, used)): decode(v, arrays, used) for k, v in value["__items__"]
        }
    return {k: decode(v, arrays, used) for k, v in value.items()}


def _key(k: Any) -> Any:
    return tuple(_key(x) for x in k) if isinstance(k, list) else k
