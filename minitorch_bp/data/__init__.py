"""Data utilities: mini-batch loading, label encoding, splitting, scaling and missing values.

Example::

    >>> from minitorch_bp.data import DataLoader, one_hot, standardize, train_test_split
"""

from minitorch_bp.data.encoding import (
    LabelEncoder,
    as_labels,
    encode_labels,
    labels_from_one_hot,
    one_hot,
)
from minitorch_bp.data.loader import DataLoader, shard_bounds
from minitorch_bp.data.missing import (
    NA_POLICIES,
    MeanImputer,
    check_na_policy,
    impute_mean,
    missing_error,
)
from minitorch_bp.data.scaling import MinMax, Standardizer, min_max_scale, scale_by_max, standardize
from minitorch_bp.data.split import train_test_split

__all__ = [
    "NA_POLICIES",
    "DataLoader",
    "LabelEncoder",
    "MeanImputer",
    "MinMax",
    "Standardizer",
    "as_labels",
    "check_na_policy",
    "encode_labels",
    "impute_mean",
    "labels_from_one_hot",
    "min_max_scale",
    "missing_error",
    "one_hot",
    "scale_by_max",
    "shard_bounds",
    "standardize",
    "train_test_split",
]
