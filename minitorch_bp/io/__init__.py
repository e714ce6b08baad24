"""Checkpoints (``save``, ``load``, ``load_checkpoint``) and reading a user's CSV file (``read_csv``).

Example::

    >>> from minitorch_bp.io import Checkpoint, CheckpointError, load, load_checkpoint, read_csv, save
"""

from minitorch_bp.io._encode import CheckpointError
from minitorch_bp.io.checkpoint import MAX_PARAMETERS, Checkpoint, load, load_checkpoint, save
from minitorch_bp.io.tables import DELIMITERS, MISSING_VALUES, Table, read_csv

__all__ = [
    "DELIMITERS",
    "MAX_PARAMETERS",
    "MISSING_VALUES",
    "Checkpoint",
    "CheckpointError",
    "Table",
    "load",
    "load_checkpoint",
    "read_csv",
    "save",
]
