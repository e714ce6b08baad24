"""What scikit-learn's tools look for in an estimator, without importing scikit-learn.

The estimators work without scikit-learn. Where its tools need its own classes (tags,
``NotFittedError``, its warnings), those are made here, inside functions, and only from a
scikit-learn that is already imported: whoever catches ``sklearn.exceptions.NotFittedError``
or filters ``sklearn.exceptions.ConvergenceWarning`` has imported that module.
"""

from __future__ import annotations

import os
import sys
import warnings
from functools import cache
from typing import Any

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted estimator (``predict``, ``save``...) was called before ``fit``.

    A ``ValueError`` and an ``AttributeError``, as scikit-learn's; when scikit-learn is
    loaded, the error raised is also an instance of ``sklearn.exceptions.NotFittedError``.
    """


class ConvergenceWarning(UserWarning):
    """Training stopped at ``max_iter`` while the loss was still improving by more than ``tol``.

    When scikit-learn is loaded, the warning issued is also a
    ``sklearn.exceptions.ConvergenceWarning``, so its filters apply.
    """


class DataConversionWarning(UserWarning):
    """A column vector ``y`` of shape ``(m, 1)`` was given where labels of shape ``(m,)`` were expected.

    When scikit-learn is loaded, the warning issued is also a
    ``sklearn.exceptions.DataConversionWarning``.
    """


class TrainingInterruptedWarning(UserWarning):
    """``fit`` was interrupted (Ctrl-C): the estimator keeps the weights of the last batch that ran.

    As scikit-learn's MLPs, the estimators end training on ``KeyboardInterrupt`` instead
    of losing the work; this warning says so, and a caller (the command line) that must
    know filters it by this class.
    """


@cache
def _joined(ours: type, name: str, sklearn_class: type) -> type:
    return type(name, (ours, sklearn_class), {"__module__": ours.__module__})


def compatible(ours: type) -> type:
    """``ours``, or a subclass of it and of scikit-learn's class of the same name if that is loaded."""
    module = sys.modules.get("sklearn.exceptions")
    theirs = getattr(module, ours.__name__, None) if module is not None else None
    if not isinstance(theirs, type):
        return ours
    return _joined(ours, ours.__name__, theirs)


def not_fitted(estimator: Any, method: str) -> NotFittedError:
    """The error for ``estimator.method`` called before ``fit``."""
    name = type(estimator).__name__
    error: NotFittedError = compatible(NotFittedError)(
        f"This {name} instance is not fitted yet; call fit (or partial_fit) before {method},"
        f" or load a fitted one with {name}.load(path)"
    )
    return error


def warn(category: type[Warning], message: str) -> None:
    """Issue ``message`` as ``category`` (scikit-learn's too when loaded), at the caller's line.

    The line shown is the first one outside this package (the user's ``fit(...)``), however
    deep inside the estimator the warning is raised.
    """
    level, frame = 2, sys._getframe(1)  # stacklevel 2 is the frame that called warn()
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back  # type: ignore[assignment]
    warnings.warn(message, compatible(category), stacklevel=level)


def tags(kind: str, *, multi_output: bool, multi_label: bool, allow_nan: bool) -> Any:
    """scikit-learn's ``Tags`` for an estimator of ``kind`` ``"classifier"`` or ``"regressor"``."""
    from sklearn.utils import (
        ClassifierTags,
        InputTags,
        RegressorTags,
        Tags,
        TargetTags,
    )

    return Tags(
        estimator_type=kind,
        target_tags=TargetTags(required=True, multi_output=multi_output, single_output=True),
        classifier_tags=ClassifierTags(multi_label=multi_label) if kind == "classifier" else None,
        regressor_tags=RegressorTags() if kind == "regressor" else None,
        input_tags=InputTags(allow_nan=allow_nan),
    )
