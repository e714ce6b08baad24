"""Move models to PyTorch and ONNX and back ("growing out of minitorch_bp").

Importing this package needs numpy only: torch and onnx are imported inside the
functions that use them, and a missing one raises ``ModuleNotFoundError`` naming the
extra to install (``pip install 'minitorch_bp[torch]'`` or ``'minitorch_bp[onnx]'``).

Example:
    >>> from minitorch_bp.interop import SUPPORTED, to_torch_state_dict
    >>> "Linear" in SUPPORTED
    True
"""

from minitorch_bp.interop import _layers, onnx_export
from minitorch_bp.interop.onnx_export import export_onnx, to_onnx
from minitorch_bp.interop.pipeline import (
    estimator_to_onnx,
    estimator_to_torch,
    export_estimator_onnx,
    torch_preprocessing_class,
)
from minitorch_bp.interop.torch_convert import (
    from_torch,
    to_torch,
    to_torch_state_dict,
    torch_residual_class,
)

#: The layer types the converters handle: class names in ``minitorch_bp.nn`` (read from
#: the registry of layer types when this package is imported).
SUPPORTED: tuple[str, ...] = _layers.supported()

#: The ONNX opset :func:`export_onnx` writes unless told otherwise (17: read by every
#: onnxruntime since 1.13).
DEFAULT_OPSET: int = onnx_export.DEFAULT_OPSET

__all__ = [
    "DEFAULT_OPSET",
    "SUPPORTED",
    "estimator_to_onnx",
    "estimator_to_torch",
    "export_estimator_onnx",
    "export_onnx",
    "from_torch",
    "to_onnx",
    "to_torch",
    "to_torch_state_dict",
    "torch_preprocessing_class",
    "torch_residual_class",
]
