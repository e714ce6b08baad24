"""The layers that cross to PyTorch and ONNX, read from a model as plain records.

Both converters walk a model through :func:`layers`, which turns every module into a
:class:`Layer`: its class name, its constructor arguments and (for ``Linear``) copies of
its parameters. Classes are looked up by name with ``getattr(nn, name, None)``, so a
layer whose class this installation lacks is simply not matched, and nothing here
imports torch or onnx.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn

Array = NDArray[Any]

#: Our class name -> the constructor arguments that cross (our name, torch's name).
#: ``Linear`` is handled apart because it carries parameters.
ACTIVATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "Sigmoid": (),
    "Tanh": (),
    "ReLU": (),
    "LeakyReLU": (("negative_slope", "negative_slope"),),
    "Softmax": (("axis", "dim"),),
    "Identity": (),
    "Dropout": (("p", "p"),),
}

#: Every class name the converters accept, in the order the docs list them.
SUPPORTED: tuple[str, ...] = ("Linear", *ACTIVATIONS)


@dataclass(frozen=True)
class Layer:
    """One position of a model, described without reference to any framework.

    Attributes:
        index: the position in the ``Sequential`` (PyTorch's key prefix ``"{index}."``).
        name: our class name, one of :data:`SUPPORTED`.
        args: constructor arguments under our names (``{"axis": -1}`` for Softmax).
        weight: for ``Linear``, a copy of ``weight``, shape ``(out, in)``; else ``None``.
        bias: for ``Linear`` with a bias, a copy of ``bias``, shape ``(out,)``; else ``None``.
    """

    index: int
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    weight: Array | None = None
    bias: Array | None = None


def supported_class(name: str) -> type[nn.Module] | None:
    """Return ``nn.<name>`` if this installation has it, else ``None``."""
    cls = getattr(nn, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, nn.Module) else None


def modules_of(model: nn.Module, who: str) -> list[nn.Module]:
    """Return the modules of ``model`` in order: its layers, or ``[model]`` for one layer."""
    if isinstance(model, nn.Sequential):
        return list(model)
    if isinstance(model, nn.Module):
        return [model]
    raise TypeError(f"{who}: expected an nn.Sequential or nn.Module, got {type(model).__name__}")


def _unsupported(module: object, index: int, who: str) -> ValueError:
    have = [n for n in SUPPORTED if supported_class(n) is not None]
    return ValueError(
        f"{who}: layer {index} is {type(module).__name__} ({module!r}), which has no"
        f" equivalent here; supported layers: {', '.join(have)}"
    )


def describe(module: nn.Module, index: int, who: str) -> Layer:
    """Return the :class:`Layer` for ``module`` at position ``index``.

    Only the exact classes of :data:`SUPPORTED` match: a subclass may compute something
    else in ``forward``, so it is refused rather than converted as its parent.

    Raises:
        ValueError: naming the module and its position when it is not supported.
    """
    name = type(module).__name__
    if name not in SUPPORTED or type(module) is not supported_class(name):
        raise _unsupported(module, index, who)
    if isinstance(module, nn.Linear):
        bias = None if module.bias is None else module.bias.data.copy()
        return Layer(index, name, {"bias": bias is not None}, module.weight.data.copy(), bias)
    config = module.config()
    args: dict[str, Any] = {}
    for ours, _ in ACTIVATIONS[name]:
        if ours in config:
            args[ours] = config[ours]
        elif hasattr(module, ours):
            args[ours] = getattr(module, ours)
        else:
            raise ValueError(f"{who}: layer {index} ({module!r}) does not report {ours!r}")
    return Layer(index, name, args)


def layers(model: nn.Module, who: str) -> list[Layer]:
    """Describe every module of ``model``; the first unsupported one raises ValueError."""
    return [describe(m, i, who) for i, m in enumerate(modules_of(model, who))]


def build(
    layer_list: list[tuple[str, dict[str, Any], Array | None, Array | None]],
) -> nn.Sequential:
    """Build our ``Sequential`` from ``(name, args, weight, bias)`` records, copying the arrays."""
    built: list[nn.Module] = []
    for index, (name, args, weight, bias) in enumerate(layer_list):
        cls = supported_class(name)
        if cls is None:
            raise ValueError(
                f"from_torch: layer {index} needs nn.{name}, which this version of"
                " minitorch_bp does not have"
            )
        if weight is None:
            built.append(cls(**args))
            continue
        out_features, in_features = weight.shape
        linear = nn.Linear(
            in_features, out_features, bias=bias is not None, dtype=weight.dtype, rng=0
        )
        linear.weight.data = weight
        if linear.bias is not None and bias is not None:
            linear.bias.data = bias
        built.append(linear)
    return nn.Sequential(*built)


def first_dtype(model_layers: list[Layer], who: str) -> np.dtype[Any]:
    """Return the dtype of the first ``Linear``; a model without one has none to export."""
    for layer in model_layers:
        if layer.weight is not None:
            return layer.weight.dtype
    raise ValueError(
        f"{who}: the model has no Linear layer, so its input width and dtype are unknown"
    )


def optional_import(module: str, extra: str, who: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it.

    Raises:
        ModuleNotFoundError: ``pip install 'minitorch_bp[<extra>]'`` in the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"{who} needs the optional package {module!r}, which is not installed;"
            f" install it with: pip install 'minitorch_bp[{extra}]'",
            name=module,
        ) from exc
