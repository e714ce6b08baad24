r"""Our models to PyTorch's ``nn.Sequential`` and back, with the numbers unchanged.

The layouts already agree: our ``Linear.weight`` is ``(out_features, in_features)`` like
``torch.nn.Linear.weight``, ``Conv2d.weight`` is ``(out, in, k_h, k_w)``, the notes'
:math:`\Theta^{(l)}` is ``[bias | weight]``, and every layer's constructor arguments,
parameter and buffer names are PyTorch's. So a conversion builds
``torch.nn.<torch_name>(**module.config())`` for each layer (nested ``Sequential``
containers kept), copies the parameters and buffers (``BatchNorm``'s running statistics)
bit for bit, keeps their dtype (float64 stays ``torch.float64``, float32 stays
``torch.float32``) and each module's train/eval mode. ``Residual`` has no ``torch.nn``
class: it becomes :func:`torch_residual_class`'s module, ``x + block(x)``.

torch is imported only inside :func:`to_torch` and :func:`from_torch`;
:func:`to_torch_state_dict` needs numpy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn
from minitorch_bp.interop._layers import check_convertible, optional_import, supported
from minitorch_bp.nn import registry

Array = NDArray[Any]
_RESIDUAL: list[Any] = []


def torch_residual_class() -> Any:
    """The ``torch.nn.Module`` that :func:`to_torch` makes of an ``nn.Residual``: ``x + block(x)``.

    ``from_torch`` turns an instance back into ``nn.Residual``; build one yourself as
    ``torch_residual_class()(block)``. Needs torch.
    """
    if not _RESIDUAL:
        torch = optional_import("torch", "torch", "minitorch_bp.interop.torch_residual_class")

        class Residual(torch.nn.Module):  # type: ignore[misc, name-defined]
            """``y = x + block(x)``, minitorch_bp's ``nn.Residual`` in PyTorch."""

            def __init__(self, block: Any) -> None:
                super().__init__()
                self.block = block

            def forward(self, x: Any) -> Any:
                return x + self.block(x)

        _RESIDUAL.append(Residual)
    return _RESIDUAL[0]


def to_torch_state_dict(model: nn.Module) -> dict[str, Array]:
    """Return the parameters under the keys of the equivalent ``torch.nn.Sequential``.

    Our dotted names are PyTorch's (``"0.weight"``, ``"0.bias"``, ``"1.0.weight"`` in a
    nested container); values are numpy copies in the model's dtype, so
    ``torch_seq.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``
    loads them. Needs no torch.

    Raises:
        ValueError: naming the first layer that has no PyTorch equivalent.

    Example:
        >>> model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=1))
        >>> {k: v.shape for k, v in to_torch_state_dict(model).items()}
        {'0.weight': (2, 3), '0.bias': (2,), '2.weight': (1, 2), '2.bias': (1,)}
    """
    check_convertible(model, "to_torch_state_dict")
    if isinstance(model, nn.Sequential):
        return model.state_dict()
    return {f"0.{k}": v for k, v in model.state_dict().items()}  # one module: position 0


def to_torch(model: nn.Module) -> Any:
    """Return a ``torch.nn.Sequential`` that computes what ``model`` computes.

    Each layer becomes ``torch.nn.<its torch_name>`` built from its ``config()``
    (``Softmax(dim=d)``, ``Conv2d(1, 6, kernel_size=(3, 3), ...)``, ``BatchNorm2d(...)``...)
    in the model's dtype, holding copies of the parameters and buffers; ``Sequential``
    stays ``Sequential`` (a single layer becomes a one-layer ``Sequential``) and
    ``Residual`` becomes :func:`torch_residual_class`'s module. ``Dropout``'s random
    generator does not cross. Each module is in training mode exactly when ours is.

    Raises:
        ModuleNotFoundError: torch is not installed (``pip install 'minitorch_bp[torch]'``).
        ValueError: naming the first layer, and its position, that has no equivalent.
    """
    check_convertible(model, "to_torch")
    torch = optional_import("torch", "torch", "minitorch_bp.interop.to_torch")
    if isinstance(model, nn.Sequential):
        return _to_torch(torch, model)
    converted = torch.nn.Sequential(_to_torch(torch, model))
    converted.training = model.training
    return converted


def _to_torch(torch: Any, module: nn.Module) -> Any:
    if type(module) is nn.Sequential:
        out = torch.nn.Sequential(*(_to_torch(torch, child) for child in module))
    elif type(module) is nn.Residual:
        out = torch_residual_class()(_to_torch(torch, module.block))
    else:
        kwargs = dict(module.config())
        if "dtype" in kwargs:
            kwargs["dtype"] = getattr(torch, str(kwargs["dtype"]))
        out = getattr(torch.nn, str(type(module).torch_name))(**kwargs)
        with torch.no_grad():
            for name, p in module.named_parameters():
                getattr(out, name).copy_(torch.from_numpy(p.data))
            for name, buffer in module.named_buffers():
                getattr(out, name).copy_(torch.from_numpy(np.array(buffer)))
    out.training = module.training  # this module only: children set their own
    return out


def _numpy(tensor: Any, where: str, what: str, integer: bool = False) -> Array:
    arr: Array = np.array(tensor.detach().cpu().numpy(), copy=True)
    if integer and arr.dtype.kind in "iu":
        return arr
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(
            f"from_torch: module {where} {what} has dtype {tensor.dtype};"
            " only torch.float32 and torch.float64 convert (call .float() or .double() first)"
        )
    return arr


def from_torch(module: Any) -> nn.Sequential:
    """Return our ``nn.Sequential`` equivalent to a PyTorch ``nn.Sequential``.

    The inverse of :func:`to_torch`: ``from_torch(to_torch(model))`` has bit-identical
    parameters and buffers. Accepted modules are exactly the ``torch.nn`` classes named by
    our layers' ``torch_name`` (subclasses are refused, since their ``forward`` may
    differ), nested ``torch.nn.Sequential`` and :func:`torch_residual_class`'s module.
    ``Softmax(dim=None)`` becomes ``Softmax(dim=-1)``, what PyTorch picks for a 2-D input;
    arguments we do not support (``Conv2d(groups=2)``, ``MaxPool2d(return_indices=True)``...)
    are refused with the module's position.

    Raises:
        ModuleNotFoundError: torch is not installed (``pip install 'minitorch_bp[torch]'``).
        TypeError: ``module`` is not a ``torch.nn.Sequential``.
        ValueError: naming the first unsupported module and its position.
    """
    torch = optional_import("torch", "torch", "minitorch_bp.interop.from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(module).__name__}")
    ours = {str(cls.torch_name): cls for cls in registry.classes() if cls.torch_name is not None}
    model = _from_torch(torch, module, "", ours)
    assert isinstance(model, nn.Sequential)
    return model


def _from_torch(torch: Any, module: Any, where: str, ours: dict[str, type[nn.Module]]) -> nn.Module:
    built = _from_torch_module(torch, module, where, ours)
    object.__setattr__(built, "training", bool(module.training))  # this module only
    return built


def _from_torch_module(
    torch: Any, module: Any, where: str, ours: dict[str, type[nn.Module]]
) -> nn.Module:
    if type(module) is torch.nn.Sequential:
        return nn.Sequential(
            *(
                _from_torch(torch, child, f"{where}.{i}" if where else str(i), ours)
                for i, child in enumerate(module)
            )
        )
    if type(module) is torch_residual_class():
        return nn.Residual(_from_torch(torch, module.block, f"{where}.block", ours))
    name = type(module).__name__
    cls = ours.get(name)
    if cls is None or type(module) is not getattr(torch.nn, name, None):
        raise ValueError(
            f"from_torch: module {where} is {name} ({module!r}), which has no equivalent"
            f" here; supported: torch.nn.{', torch.nn.'.join(sorted(str(n) for n in ours))}"
        )
    values = {pname: _numpy(t, where, pname) for pname, t in module.named_parameters(recurse=False)}
    buffers = {
        bname: _numpy(t, where, bname, integer=True)
        for bname, t in module.named_buffers(recurse=False)
    }
    try:
        layer = cls(**cls.from_torch_kwargs(module))
    except ValueError as exc:
        raise ValueError(f"from_torch: module {where or 0} ({module!r}): {exc}") from exc
    for pname, p in layer.named_parameters():
        p.data = values[pname]
    for bname, _ in layer.named_buffers():
        setattr(layer, bname, buffers[bname])
    return layer


__all__ = ["from_torch", "supported", "to_torch", "to_torch_state_dict", "torch_residual_class"]
