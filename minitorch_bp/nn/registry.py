"""The one registry of layer types: every concrete module class of ``minitorch_bp.nn``.

A class defined in ``minitorch_bp.nn`` registers itself when it is created
(``Module.__init_subclass__``), so adding a layer means writing its class and exporting
it from ``nn/__init__.py``; checkpoints, the command line's activation names, the
PyTorch converter and the ONNX exporter all find it here. Classes defined elsewhere
(a user's own ``Module`` subclass, a test's) are not registered: a checkpoint could not
rebuild them by name, and a converter must not mistake one for its parent class.

Example:
    >>> from minitorch_bp.nn import registry
    >>> registry.get("Linear").__name__, "Module" in registry.names()
    ('Linear', False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minitorch_bp.nn.module import Module

_TYPES: dict[str, type[Module]] = {}


def register(cls: type[Module]) -> None:
    """Record ``cls`` under its class name (called by ``Module.__init_subclass__``)."""
    if cls.__dict__.get("abstract", False) or not cls.__module__.startswith("minitorch_bp.nn"):
        return
    _TYPES[cls.__name__] = cls


def get(name: object) -> type[Module] | None:
    """Return the registered class called ``name``, or ``None``."""
    return _TYPES.get(name) if isinstance(name, str) else None


def names() -> list[str]:
    """The registered class names, sorted."""
    return sorted(_TYPES)


def is_registered(module: Module) -> bool:
    """Whether ``module`` is an instance of exactly a registered class (not a subclass)."""
    return _TYPES.get(type(module).__name__) is type(module)


def classes() -> list[type[Module]]:
    """The registered classes, sorted by name."""
    return [_TYPES[n] for n in names()]
