"""The fitted steps from a raw row to the network's input, as objects an exporter can read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.data.missing import MeanImputer, impute_mean, missing_error
from minitorch_bp.data.scaling import Standardizer, standardize


@dataclass(frozen=True)
class Preprocessing:
    r"""What an estimator does to a raw row before its network: fill in, then standardise.

    ``transform(X)`` is, column by column, :math:`x \mapsto (x - \mu_j)/\sigma_j` after a
    missing value (NaN) has been replaced by the training mean (``imputer``, only with
    ``na="mean"``); :math:`\mu` and :math:`\sigma` are the training rows' (``standardizer``,
    only with ``standardize=True``; a constant column has :math:`\sigma_j = 1`). An exporter
    rebuilds it as ``Where(IsNaN(x), means, x)``, then ``Sub(mean)`` and ``Div(std)``.

    Attributes:
        n_features: the number of columns a row must have.
        feature_names: the training columns' names (from a data frame or a CSV header), or
            ``None``.
        imputer: the training means filled in for missing values, or ``None``.
        standardizer: the training means and standard deviations, or ``None``.
    """

    n_features: int
    feature_names: tuple[str, ...] | None = None
    imputer: MeanImputer | None = None
    standardizer: Standardizer | None = None

    def transform(self, X: NDArray[np.float64], who: str = "transform") -> NDArray[np.float64]:
        """The network's input for the raw rows ``X`` (float64, ``(m, n_features)``)."""
        if self.imputer is not None:
            X = self.imputer.transform(X)
        else:
            error = missing_error(X, who, self.feature_names)
            if error is not None:
                raise error
        if self.standardizer is not None:
            return np.asarray(self.standardizer.transform(X), dtype=np.float64)
        return X

    def to_dict(self) -> dict[str, Any]:
        """JSON data and arrays, for a checkpoint's ``extra``."""
        return {
            "n_features": self.n_features,
            "feature_names": None if self.feature_names is None else list(self.feature_names),
            "impute_means": None if self.imputer is None else np.array(self.imputer.means),
            "mean": None if self.standardizer is None else np.array(self.standardizer.mean),
            "std": None if self.standardizer is None else np.array(self.standardizer.std),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Preprocessing:
        """Rebuild what :meth:`to_dict` returned; ``ValueError`` naming the field that does not fit."""
        if not isinstance(data, dict):
            raise ValueError(f"preprocessing must be an object, got {data!r:.60}")
        n = data.get("n_features")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"preprocessing.n_features={n!r} must be a positive integer")
        names = data.get("feature_names")
        if names is not None and (
            not isinstance(names, list)
            or len(names) != n
            or not all(isinstance(c, str) for c in names)
        ):
            raise ValueError(f"preprocessing.feature_names must be {n} strings, got {names!r:.80}")
        means = data.get("impute_means")
        imputer = None if means is None else MeanImputer(_vector(means, n, "impute_means"))
        mean, std = data.get("mean"), data.get("std")
        standardizer = None
        if mean is not None or std is not None:
            standardizer = Standardizer(_vector(mean, n, "mean"), _vector(std, n, "std"))
        return cls(n, None if names is None else tuple(names), imputer, standardizer)


def _vector(value: Any, n: int, name: str) -> NDArray[np.float64]:
    arr = np.asarray(value)
    if arr.shape != (n,) or arr.dtype.kind != "f":
        raise ValueError(
            f"preprocessing.{name} must be a float array of shape ({n},), got {arr.shape} {arr.dtype}"
        )
    return arr.astype(np.float64)


def fit_preprocessing(
    X: NDArray[np.float64], names: Sequence[str] | None, *, na: str, standardize_: bool
) -> Preprocessing:
    """Fit the imputer (``na="mean"``) and the standardisation on the training rows ``X``."""
    imputer = None
    if na == "mean":
        X, imputer = impute_mean(X, names=names)
    stats = standardize(X)[1] if standardize_ else None
    return Preprocessing(X.shape[1], None if names is None else tuple(names), imputer, stats)
