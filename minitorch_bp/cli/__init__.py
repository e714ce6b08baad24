"""The ``minitorch-bp`` command line (also ``python -m minitorch_bp``).

Sub-commands: ``demo`` (the README's job), ``train``, ``evaluate``, ``predict``,
``gradcheck``, ``explain`` (one training step for one example, equation by equation) and
``export``. ``train`` is a shell over :mod:`minitorch_bp.estimators`; user mistakes end as
one line on stderr and exit status 2, never a traceback (see :mod:`minitorch_bp.cli.main`
for the other statuses).
"""

from minitorch_bp.cli.common import (
    DEFAULTS,
    OPTIMIZERS,
    _problem,
    activations,
    build_model,
    build_optimizer,
    default_lr,
    load_saved,
    parse_hidden,
)
from minitorch_bp.cli.main import build_parser, main

__all__ = [
    "DEFAULTS",
    "OPTIMIZERS",
    "_problem",
    "activations",
    "build_model",
    "build_optimizer",
    "build_parser",
    "default_lr",
    "load_saved",
    "main",
    "parse_hidden",
]
