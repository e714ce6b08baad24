"""Data utilities: mini-batch loading, label encoding, splitting and scaling.

Example::

    >>> from minitorch_bp.data import DataLoader, one_hot, standardize, train_test_split
"""

from minitorch_bp.data.encoding import labels_from_one_hot, one_hot
from minitorch_bp.data.loader import DataLoader, shard_bounds
from minitorch_bp.data.scaling import Standardizer, scale_by_max, standardize
from minitorch_bp.data.split import train_test_split

__all__ = [
    "DataLoader",
    "Standardizer",
    "labels_from_one_hot",
    "one_hot",
    "scale_by_max",
    "shard_bounds",
    "standardize",
    "train_test_split",
]
