"""scikit-learn-compatible estimators that carry their preprocessing: ``MLPClassifier``, ``MLPRegressor``.

They need no scikit-learn (it is imported only when its tools ask for tags), train through
:func:`minitorch_bp.train.fit` and save to one checkpoint of :mod:`minitorch_bp.io`.

Example::

    >>> from minitorch_bp.estimators import MLPClassifier, MLPRegressor, infer_task, load
"""

from minitorch_bp.estimators._sklearn import (
    ConvergenceWarning,
    DataConversionWarning,
    NotFittedError,
    TrainingInterruptedWarning,
)
from minitorch_bp.estimators.classifier import MLPClassifier
from minitorch_bp.estimators.persist import load
from minitorch_bp.estimators.preprocessing import Preprocessing
from minitorch_bp.estimators.regressor import MLPRegressor
from minitorch_bp.estimators.task import Task, infer_task

__all__ = [
    "ConvergenceWarning",
    "DataConversionWarning",
    "MLPClassifier",
    "MLPRegressor",
    "NotFittedError",
    "Preprocessing",
    "Task",
    "TrainingInterruptedWarning",
    "infer_task",
    "load",
]
