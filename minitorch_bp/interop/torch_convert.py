r"""Our ``Sequential`` to PyTorch's ``nn.Sequential`` and back, with the numbers unchanged.

The weight layouts already agree: our ``Linear.weight`` is ``(out_features, in_features)``
like ``torch.nn.Linear.weight``, and the notes' :math:`\Theta^{(l)}` is
``[bias | weight]``. So a conversion copies arrays bit for bit and keeps their dtype
(float64 stays ``torch.float64``, float32 stays ``torch.float32``).

torch is imported only inside :func:`to_torch` and :func:`from_torch`;
:func:`to_torch_state_dict` needs numpy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn
from minitorch_bp.interop._layers import ACTIVATIONS, layers, optional_import
from minitorch_bp.interop._layers import build as _build

Array = NDArray[Any]

#: PyTorch's class name for each of ours (``torch.nn.<name>``).
TORCH_NAMES: dict[str, str] = {name: name for name in ("Linear", *ACTIVATIONS)}


def to_torch_state_dict(model: nn.Module) -> dict[str, Array]:
    """Return the parameters under the keys of the equivalent ``torch.nn.Sequential``.

    Keys are ``"{i}.weight"`` and ``"{i}.bias"`` for the ``Linear`` at position ``i``
    (a single module counts as position 0); values are numpy copies in the model's dtype,
    so ``torch_seq.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``
    loads them. Needs no torch.

    Raises:
        ValueError: naming the first layer that has no PyTorch equivalent.

    Example:
        >>> model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Sigmoid(), nn.Linear(2, 1, rng=1))
        >>> {k: v.shape for k, v in to_torch_state_dict(model).items()}
        {'0.weight': (2, 3), '0.bias': (2,), '2.weight': (1, 2), '2.bias': (1,)}
    """
    state: dict[str, Array] = {}
    for layer in layers(model, "to_torch_state_dict"):
        if layer.weight is not None:
            state[f"{layer.index}.weight"] = layer.weight
            if layer.bias is not None:
                state[f"{layer.index}.bias"] = layer.bias
    return state


def _torch_dtype(torch: Any, dtype: np.dtype[Any]) -> Any:
    return torch.float64 if dtype == np.float64 else torch.float32


def to_torch(model: nn.Module) -> Any:
    """Return a ``torch.nn.Sequential`` that computes what ``model`` computes.

    Each ``Linear`` becomes ``torch.nn.Linear`` of the same dtype holding copies of the
    parameters; ``Softmax(axis=a)`` becomes ``torch.nn.Softmax(dim=a)``,
    ``LeakyReLU(s)`` ``torch.nn.LeakyReLU(s)``, ``Dropout(p)`` ``torch.nn.Dropout(p)``
    (its random generator does not cross); the other activations map by name. The
    result is in training mode exactly when ``model`` is.

    Raises:
        ModuleNotFoundError: torch is not installed (``pip install 'minitorch_bp[torch]'``).
        ValueError: naming the first layer, and its position, that has no equivalent.
    """
    model_layers = layers(model, "to_torch")
    torch = optional_import("torch", "torch", "minitorch_bp.interop.to_torch")
    modules: list[Any] = []
    for layer in model_layers:
        cls = getattr(torch.nn, TORCH_NAMES[layer.name])
        if layer.weight is None:
            kwargs = {theirs: layer.args[ours] for ours, theirs in ACTIVATIONS[layer.name]}
            modules.append(cls(**kwargs))
            continue
        out_features, in_features = layer.weight.shape
        linear = cls(
            in_features,
            out_features,
            bias=layer.bias is not None,
            dtype=_torch_dtype(torch, layer.weight.dtype),
        )
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.weight))
            if layer.bias is not None:
                linear.bias.copy_(torch.from_numpy(layer.bias))
        modules.append(linear)
    seq = torch.nn.Sequential(*modules)
    seq.train(model.training)
    return seq


def _numpy(tensor: Any, index: int, what: str) -> Array:
    arr: Array = np.array(tensor.detach().cpu().numpy(), copy=True)
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(
            f"from_torch: layer {index} {what} has dtype {tensor.dtype};"
            " only torch.float32 and torch.float64 convert (call .float() or .double() first)"
        )
    return arr


def from_torch(seq: Any) -> nn.Sequential:
    """Return our ``nn.Sequential`` equivalent to a PyTorch ``nn.Sequential``.

    The inverse of :func:`to_torch`: ``from_torch(to_torch(model))`` has bit-identical
    parameters. Accepted modules are exactly ``torch.nn.Linear``, ``Sigmoid``, ``Tanh``,
    ``ReLU``, ``LeakyReLU``, ``Softmax``, ``Identity`` and ``Dropout`` (subclasses are
    refused, since their ``forward`` may differ). ``Softmax(dim=None)`` becomes
    ``Softmax(axis=-1)``, what PyTorch picks for a 2-D input.

    Raises:
        ModuleNotFoundError: torch is not installed (``pip install 'minitorch_bp[torch]'``).
        TypeError: ``seq`` is not a ``torch.nn.Sequential``.
        ValueError: naming the first unsupported module and its position.
    """
    torch = optional_import("torch", "torch", "minitorch_bp.interop.from_torch")
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(seq).__name__}")
    records: list[tuple[str, dict[str, Any], Array | None, Array | None]] = []
    for index, module in enumerate(seq):
        name = next(
            (
                ours
                for ours, theirs in TORCH_NAMES.items()
                if type(module) is getattr(torch.nn, theirs)
            ),
            None,
        )
        if name is None:
            raise ValueError(
                f"from_torch: module {index} is {type(module).__name__} ({module!r}), which"
                f" has no equivalent here; supported: torch.nn.{', torch.nn.'.join(TORCH_NAMES)}"
            )
        if name == "Linear":
            weight = _numpy(module.weight, index, "weight")
            bias = None if module.bias is None else _numpy(module.bias, index, "bias")
            records.append((name, {}, weight, bias))
            continue
        args = {ours: getattr(module, theirs) for ours, theirs in ACTIVATIONS[name]}
        if name == "Softmax" and args["axis"] is None:
            args["axis"] = -1
        records.append((name, args, None, None))
    model = _build(records)
    model.train(bool(seq.training))
    return model
