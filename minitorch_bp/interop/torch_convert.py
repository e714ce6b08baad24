r"""Our models to PyTorch's ``nn.Sequential`` and back, with the numbers unchanged.

The layouts already agree: our ``Linear.weight`` is ``(out_features, in_features)`` like
``torch.nn.Linear.weight``, the notes' :math:`\Theta^{(l)}` is ``[bias | weight]``, and
every layer's constructor arguments and parameter names are PyTorch's. So a conversion
builds ``torch.nn.<torch_name>(**module.config())`` for each layer (nested
``Sequential`` containers kept), copies the parameters bit for bit and keeps their
dtype (float64 stays ``torch.float64``, float32 stays ``torch.float32``).

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
    return {f"0.{k}": v for k, v in model.state_dict().items()}  # one layer: position 0


def to_torch(model: nn.Module) -> Any:
    """Return a ``torch.nn.Sequential`` that computes what ``model`` computes.

    Each layer becomes ``torch.nn.<its torch_name>`` built from its ``config()``
    (``Softmax(dim=d)``, ``LeakyReLU(s)``, ``GELU(approximate=...)``...), ``Linear`` in the
    model's dtype holding copies of the parameters; ``Sequential`` stays ``Sequential``
    (a single layer becomes a one-layer ``Sequential``).
    ``Dropout``'s random generator does not cross. The result is in training mode exactly
    when ``model`` is.

    Raises:
        ModuleNotFoundError: torch is not installed (``pip install 'minitorch_bp[torch]'``).
        ValueError: naming the first layer, and its position, that has no equivalent.
    """
    check_convertible(model, "to_torch")
    torch = optional_import("torch", "torch", "minitorch_bp.interop.to_torch")
    converted = _to_torch(
        torch, model if isinstance(model, nn.Sequential) else nn.Sequential(model)
    )
    converted.train(model.training)
    return converted


def _to_torch(torch: Any, module: nn.Module) -> Any:
    if isinstance(module, nn.Sequential):
        return torch.nn.Sequential(*(_to_torch(torch, child) for child in module))
    kwargs = dict(module.config())
    if "dtype" in kwargs:
        kwargs["dtype"] = getattr(torch, str(kwargs["dtype"]))
    out = getattr(torch.nn, str(type(module).torch_name))(**kwargs)
    with torch.no_grad():
        for name, p in module.named_parameters():
            getattr(out, name).copy_(torch.from_numpy(p.data))
    return out


def _numpy(tensor: Any, where: str, what: str) -> Array:
    arr: Array = np.array(tensor.detach().cpu().numpy(), copy=True)
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(
            f"from_torch: module {where} {what} has dtype {tensor.dtype};"
            " only torch.float32 and torch.float64 convert (call .float() or .double() first)"
        )
    return arr


def from_torch(module: Any) -> nn.Sequential:
    """Return our ``nn.Sequential`` equivalent to a PyTorch ``nn.Sequential``.

    The inverse of :func:`to_torch`: ``from_torch(to_torch(model))`` has bit-identical
    parameters. Accepted modules are exactly the ``torch.nn`` classes named by our
    layers' ``torch_name`` (subclasses are refused, since their ``forward`` may differ)
    and nested ``torch.nn.Sequential``. ``Softmax(dim=None)`` becomes ``Softmax(dim=-1)``,
    what PyTorch picks for a 2-D input.

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
    model.train(bool(module.training))
    return model


def _from_torch(torch: Any, module: Any, where: str, ours: dict[str, type[nn.Module]]) -> nn.Module:
    if type(module) is torch.nn.Sequential:
        return nn.Sequential(
            *(
                _from_torch(torch, child, f"{where}.{i}" if where else str(i), ours)
                for i, child in enumerate(module)
            )
        )
    name = type(module).__name__
    cls = ours.get(name)
    if cls is None or type(module) is not getattr(torch.nn, name, None):
        raise ValueError(
            f"from_torch: module {where} is {name} ({module!r}), which has no equivalent"
            f" here; supported: torch.nn.{', torch.nn.'.join(sorted(str(n) for n in ours))}"
        )
    values = {pname: _numpy(t, where, pname) for pname, t in module.named_parameters(recurse=False)}
    layer = cls(**cls.from_torch_kwargs(module))
    for pname, p in layer.named_parameters():
        p.data = values[pname]
    return layer


__all__ = ["from_torch", "supported", "to_torch", "to_torch_state_dict"]
