"""An estimator in one checkpoint of :mod:`minitorch_bp.io`: the network, its optimizer and, in ``extra``, the rest.

``extra["estimator"]`` holds JSON data and arrays only (never pickle):

- ``type`` and ``format``; ``params``: :meth:`get_params` (a ``random_state`` that is not an
  integer is stored as ``None``; the generator's state is in ``rng``);
- ``preprocessing``: :meth:`Preprocessing.to_dict` (feature names, means and standard
  deviations, the imputer's means);
- ``classes`` (an array, text included) and ``labels`` (multi-label: the number of columns
  and their dtype), or ``target``: the target's scaling (``standardize`` / ``min_max`` and
  its arrays, or ``None``), its number of columns and whether ``y`` was 1-D;
- ``fitted``: the training record (``loss_curve_``, ``n_iter_``, ``t_``...), and ``rng``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_bp import io, nn
from minitorch_bp._random import generator_state, restore_generator
from minitorch_bp.data.encoding import LabelEncoder
from minitorch_bp.data.scaling import MinMax, Standardizer
from minitorch_bp.estimators import _sklearn
from minitorch_bp.estimators._params import settings
from minitorch_bp.estimators._stopping import Progress
from minitorch_bp.estimators.base import BaseMLP, _optimizer
from minitorch_bp.estimators.preprocessing import Preprocessing

FORMAT = 1
_FITTED_FLOATS = ("loss_", "best_loss_", "best_validation_score_")


def save(estimator: BaseMLP, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write ``estimator`` (fitted) to ``path``; see the module docstring for what is stored.

    ``extra``: more JSON data and arrays for the checkpoint's ``extra`` (the command line
    keeps its column choices there), beside ``extra["estimator"]``.
    """
    if extra is not None and "estimator" in extra:
        raise ValueError("save: extra must not have the key 'estimator' (the estimator's own)")
    if not estimator.__sklearn_is_fitted__():
        raise _sklearn.not_fitted(estimator, "save")
    params = estimator.get_params()
    if not (params["random_state"] is None or isinstance(params["random_state"], int)):
        params["random_state"] = None
    params["hidden_layer_sizes"] = _json(params["hidden_layer_sizes"])
    p = estimator._progress
    record: dict[str, Any] = {
        "type": type(estimator).__name__,
        "format": FORMAT,
        "params": params,
        "preprocessing": estimator.preprocessing_.to_dict(),
        "output": estimator._output,
        "fitted": {
            "n_iter_": estimator.n_iter_,
            "t_": estimator.t_,
            "loss_curve_": list(estimator.loss_curve_),
            **{k: _finite_or_none(getattr(estimator, k)) for k in _FITTED_FLOATS},
            "validation_scores_": estimator.validation_scores_,
            "no_improvement": p.no_improvement,
            "progress_best_loss": _finite_or_none(p.best_loss),
            "progress_best_score": _finite_or_none(p.best_validation_score),
        },
        "rng": generator_state(estimator._rng),
    }
    if estimator._estimator_type == "classifier":
        multilabel = estimator._multilabel()  # type: ignore[attr-defined]
        record["classes"] = np.array(estimator.classes_)  # type: ignore[attr-defined]
        record["labels"] = (
            {"columns": estimator._n_labels, "dtype": str(estimator._label_dtype)}  # type: ignore[attr-defined]
            if multilabel
            else None
        )
    else:
        scaler = estimator.target_scaler_  # type: ignore[attr-defined]
        record["target"] = {
            "columns": estimator._n_targets,  # type: ignore[attr-defined]
            "ndim": estimator._y_ndim,  # type: ignore[attr-defined]
            "scaler": _scaler_dict(scaler),
        }
    return io.save(
        estimator.model_,
        path,
        optimizer=estimator._optimizer,
        extra={**(extra or {}), "estimator": record},
    )


def load(path: str | Path, cls: type | None = None) -> Any:
    """Read an estimator written by :func:`save`; with ``cls``, it must be of that class.

    Raises:
        minitorch_bp.io.CheckpointError: the file is not such a checkpoint, or a field of
            ``extra`` does not fit the network (the message names it).
    """
    return from_checkpoint(io.load_checkpoint(path), path, cls)


def from_checkpoint(ckpt: io.Checkpoint, path: str | Path, cls: type | None = None) -> Any:
    """The estimator in a checkpoint already read with :func:`minitorch_bp.io.load_checkpoint`.

    ``path`` only names the file in messages; see :func:`load`.
    """
    from minitorch_bp.estimators.classifier import MLPClassifier
    from minitorch_bp.estimators.regressor import MLPRegressor

    record = ckpt.extra.get("estimator") if isinstance(ckpt.extra, dict) else None
    if not isinstance(record, dict):
        raise io.CheckpointError(
            f"{path}: not an estimator's checkpoint (its extra has no 'estimator'); load a"
            " plain model with minitorch_bp.io.load"
        )
    kinds: dict[str, type[BaseMLP]] = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
    kind = kinds.get(record.get("type"))  # type: ignore[arg-type]
    if kind is None or record.get("format") != FORMAT:
        raise io.CheckpointError(
            f"{path}: estimator type {record.get('type')!r}, format {record.get('format')!r};"
            f" this version reads {sorted(kinds)} format {FORMAT}"
        )
    if cls is not None and cls is not kind and cls is not BaseMLP:
        raise io.CheckpointError(f"{path}: holds an {kind.__name__}, not an {cls.__name__}")
    try:
        return _restore(kind, record, ckpt)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        if isinstance(exc, io.CheckpointError):
            raise
        raise io.CheckpointError(f"{path}: extra['estimator'] does not fit: {exc}") from exc


def _restore(kind: type[BaseMLP], record: dict[str, Any], ckpt: io.Checkpoint) -> BaseMLP:
    params = record["params"]
    if not isinstance(params, dict) or not set(params) <= set(kind._param_names()):
        raise ValueError(f"params {sorted(params)!r:.200} are not {kind.__name__}'s")
    params["hidden_layer_sizes"] = _tuple(params.get("hidden_layer_sizes", (100,)))
    est: BaseMLP = kind(**params)
    s = settings(est.get_params(), f"{kind.__name__}.load", kind._output_units)
    model = ckpt.model
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"the network is a {type(model).__name__}, not a Sequential")
    linears = [m for m in model if isinstance(m, nn.Linear)]
    est.preprocessing_ = pre = Preprocessing.from_dict(record["preprocessing"])
    if not linears or linears[0].in_features != pre.n_features:
        raise ValueError(f"preprocessing.n_features={pre.n_features} does not fit the network")
    n_out = linears[-1].out_features
    est.n_features_in_ = pre.n_features
    if pre.feature_names is not None:
        est.feature_names_in_ = np.asarray(pre.feature_names, dtype=object)
    est._output = record["output"]
    if est._output not in ("auto", *kind._output_units):
        raise ValueError(f"output={est._output!r} is not one of {kind._output_units}")
    if kind.__name__ == "MLPClassifier":
        _restore_classes(est, record, n_out)
    else:
        _restore_target(est, record["target"], n_out)
    est.out_activation_ = est._out_activation(s)
    est.n_outputs_ = est._n_outputs()
    if est.n_outputs_ != n_out or (est.out_activation_ == "logistic") != isinstance(
        model[len(model) - 1], nn.Sigmoid
    ):
        raise ValueError(f"the classes or target columns do not fit the network's {n_out} outputs")
    est.n_layers_ = len(linears) + 1
    est.model_ = model.eval()
    est._optimizer = _optimizer(model, s)
    if ckpt.optimizer_state is not None:
        est._optimizer.load_state_dict(ckpt.optimizer_state)
    est._rng = np.random.default_rng()
    restore_generator(est._rng, record["rng"], "load")
    _restore_record(est, record["fitted"])
    return est


def _restore_classes(est: Any, record: dict[str, Any], n_out: int) -> None:
    labels = record.get("labels")
    if labels is None:
        est._n_labels = 0
        est.label_encoder_ = LabelEncoder(np.asarray(record["classes"]))
    else:
        est._n_labels = int(labels["columns"])
        est._label_dtype = np.dtype(labels["dtype"])
        if est._label_dtype.kind not in "biuf":
            raise ValueError(f"labels.dtype={labels['dtype']!r} is not numeric")
        est.label_encoder_ = LabelEncoder(np.arange(est._n_labels))
    est.classes_ = est.label_encoder_.classes


def _restore_target(est: Any, target: dict[str, Any], n_out: int) -> None:
    est._n_targets = int(target["columns"])
    est._y_ndim = int(target["ndim"])
    if est._y_ndim not in (1, 2):
        raise ValueError(f"target.ndim={est._y_ndim!r} must be 1 or 2")
    scaler = target["scaler"]
    est.target_scaler_ = None
    if scaler is not None:
        cls = {"standardize": Standardizer, "min_max": MinMax}[scaler["kind"]]
        est.target_scaler_ = cls(np.asarray(scaler["a"]), np.asarray(scaler["b"]))
        if est.target_scaler_.n_features != est._n_targets:
            raise ValueError("the target scaling does not fit the target columns")


def _restore_record(est: Any, fitted: dict[str, Any]) -> None:
    est.n_iter_ = int(fitted["n_iter_"])
    est.t_ = int(fitted["t_"])
    est.loss_curve_ = [float(v) for v in fitted["loss_curve_"]]
    for key in _FITTED_FLOATS:
        value = fitted.get(key)
        setattr(est, key, None if value is None else float(value))
    scores = fitted.get("validation_scores_")
    est.validation_scores_ = None if scores is None else [float(v) for v in scores]
    est._progress = Progress(
        loss_curve=list(est.loss_curve_),
        validation_scores=list(est.validation_scores_ or []),
        best_loss=_or(fitted.get("progress_best_loss"), math.inf),
        best_validation_score=_or(fitted.get("progress_best_score"), -math.inf),
        no_improvement=int(fitted.get("no_improvement", 0)),
        samples_seen=est.t_,
    )


def _scaler_dict(scaler: Standardizer | MinMax | None) -> dict[str, Any] | None:
    if isinstance(scaler, Standardizer):
        return {"kind": "standardize", "a": np.array(scaler.mean), "b": np.array(scaler.std)}
    if isinstance(scaler, MinMax):
        return {"kind": "min_max", "a": np.array(scaler.minimum), "b": np.array(scaler.maximum)}
    return None


def _json(value: Any) -> Any:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return [int(v) for v in value]


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _finite_or_none(value: Any) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _or(value: Any, default: float) -> float:
    return default if value is None else float(value)
