"""Move models to PyTorch and ONNX and back ("growing out of minitorch_bp").

Importing this package needs numpy only: torch and onnx are imported inside the
functions that use them, and a missing one raises ``ModuleNotFoundError`` naming the
extra to install (``pip install 'minitorch_bp[torch]'`` or ``'minitorch_bp[onnx]'``).

Example:
    >>> from minitorch_bp.interop import SUPPORTED, to_torch_state_dict
    >>> "Linear" in SUPPORTED
    True
"""

from minitorch_bp.interop._layers import SUPPORTED
from minitorch_bp.interop.onnx_export import DEFAULT_OPSET, export_onnx, to_onnx
from minitorch_bp.interop.torch_convert import from_torch, to_torch, to_torch_state_dict

__all__ = [
    "DEFAULT_OPSET",
    "SUPPORTED",
    "export_onnx",
    "from_torch",
    "to_onnx",
    "to_torch",
    "to_torch_state_dict",
]
