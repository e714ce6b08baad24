"""Training: :func:`fit`, its :class:`History`, callbacks, and evaluation helpers.

Example::

    >>> from minitorch_bp.train import EarlyStopping, History, ModelCheckpoint, evaluate, fit, predict
"""

from minitorch_bp.engine import Step, compile_step
from minitorch_bp.train.callbacks import (
    Callback,
    EarlyStopping,
    FitState,
    LambdaCallback,
    ModelCheckpoint,
)
from minitorch_bp.train.evaluate import (
    accuracy,
    confusion_matrix,
    evaluate,
    format_confusion_matrix,
    predict,
)
from minitorch_bp.train.fit import fit, resume
from minitorch_bp.train.history import History
from minitorch_bp.train.lr_find import LRFinderResult, lr_find
from minitorch_bp.train.monitor import Monitor, VanishingGradientWarning
from minitorch_bp.train.stops import TrainingDivergedError, TrainingInterrupted

__all__ = [
    "Callback",
    "EarlyStopping",
    "FitState",
    "History",
    "LRFinderResult",
    "LambdaCallback",
    "ModelCheckpoint",
    "Monitor",
    "Step",
    "TrainingDivergedError",
    "TrainingInterrupted",
    "VanishingGradientWarning",
    "accuracy",
    "compile_step",
    "confusion_matrix",
    "evaluate",
    "fit",
    "format_confusion_matrix",
    "lr_find",
    "predict",
    "resume",
]
