"""What the converters need of a model, read from the registry of layer types.

Every registered class of :mod:`minitorch_bp.nn` says what it is elsewhere: its
``torch_name`` (the ``torch.nn`` class with the same maths, arguments and parameter
names), :meth:`~minitorch_bp.nn.Module.from_torch_kwargs` and
:meth:`~minitorch_bp.nn.Module.to_onnx`. So a new layer needs nothing here, and a
module that cannot cross (a user's own class, a subclass of ours, a layer without a
counterpart) is named with its position. Nothing here imports torch or onnx.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from minitorch_bp import nn
from minitorch_bp.nn import registry

#: The containers the converters know by structure (their children cross one by one).
CONTAINERS: tuple[type[nn.Module], ...] = (nn.Sequential, nn.Residual)


def is_container(module: nn.Module) -> bool:
    """Whether ``module`` is exactly one of :data:`CONTAINERS` (not a subclass)."""
    return type(module) in CONTAINERS


def supported() -> tuple[str, ...]:
    """The class names the converters handle: registered layers with a PyTorch counterpart.

    ``Linear`` first, then the others in alphabetical order (``Residual`` among them;
    ``Sequential``, the container every conversion has, is not listed).
    """
    names = [cls.__name__ for cls in registry.classes() if cls.torch_name is not None]
    names += [cls.__name__ for cls in CONTAINERS if cls is not nn.Sequential]
    return tuple(sorted(names, key=lambda n: (n != "Linear", n)))


def check_convertible(model: nn.Module, who: str) -> None:
    """Raise ``ValueError`` naming the first module (and its path) that cannot cross."""
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"{who}: expected an nn.Sequential or nn.Module, got {type(model).__name__}"
        )
    for path, module in walk(model):
        if is_container(module):
            continue
        if not registry.is_registered(module) or type(module).torch_name is None:
            raise ValueError(
                f"{who}: layer {path or 0} is {type(module).__name__} ({module!r}), which has no"
                f" equivalent here; supported layers: {', '.join(supported())}"
            )


def walk(model: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """``(path, module)`` for the model and every module inside it, depth first."""
    return model.named_modules(prefix)


def leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The non-container modules in order, with their dotted paths (``"2"``, ``"1.0"``)."""
    if not is_container(model):
        return [("0", model)]
    return [(path, module) for path, module in model.named_modules() if not is_container(module)]


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
