"""minitorch_bp: the backpropagation notes as a small, fast, PyTorch-style framework on numpy.

>>> from minitorch_bp import nn, optim, gradcheck
"""

from minitorch_bp import io, nn, optim, reference, train, utils
from minitorch_bp.explain import explain
from minitorch_bp.gradcheck import gradcheck

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "explain",
    "gradcheck",
    "io",
    "nn",
    "optim",
    "reference",
    "train",
    "utils",
]
