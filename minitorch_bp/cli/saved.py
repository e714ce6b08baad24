"""A checkpoint as the CLI reads it: the estimator, the ``cli`` record of ``train``, checked field by field.

Three kinds of file reach ``evaluate``, ``predict`` and ``export``:

- written by ``train`` (this version): an estimator and ``extra["cli"]`` (the target, the
  feature columns, ``--drop``, the delimiter, ``--na``, the task);
- written by an estimator's ``save`` in Python: an estimator, no ``cli`` record (the
  feature names are the estimator's; the target is given with ``--target``);
- written by ``train`` before the estimators (a network only, the data set's name, the
  seed and λ in ``extra``): ``evaluate`` scores it on its built-in data set's test split
  as it always did; ``predict`` and ``evaluate --data`` refuse it, since it does not hold
  the preprocessing of its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minitorch_bp import io
from minitorch_bp.cli.common import run_fields
from minitorch_bp.cli.data import NA_MODES
from minitorch_bp.estimators.persist import from_checkpoint
from minitorch_bp.estimators.task import TASKS

#: The ``cli`` record's fields and the types they must have.
_TEXT_LISTS = ("features", "drop")


@dataclass
class Saved:
    """What ``evaluate``/``predict``/``export`` need of a checkpoint."""

    path: str
    ckpt: io.Checkpoint
    est: Any = None  # None: a network only (a checkpoint of an earlier train)
    cli: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def legacy(self) -> bool:
        return self.est is None


def check_record(record: Any, where: str) -> dict[str, Any]:
    """``extra["cli"]`` with every field checked; ``{}`` when there is none.

    Raises:
        ValueError: a field of the wrong type, naming it and what it holds.
    """
    if record is None:
        return {}

    def bad(name: str, want: str) -> ValueError:
        value = record.get(name) if isinstance(record, dict) else record
        return ValueError(f"{where}: extra['cli']['{name}']={value!r:.60} must be {want}")

    if not isinstance(record, dict):
        raise ValueError(f"{where}: extra['cli']={record!r:.60} must be an object")
    if record.get("format") != 1:
        raise bad("format", "1 (this version's record)")
    if record.get("task") not in TASKS:
        raise bad("task", f"one of {TASKS}")
    for name in ("reason", "dataset", "target", "delimiter"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise bad(name, "a string")
    delimiter = record.get("delimiter")
    if delimiter is not None and len(delimiter) != 1:
        raise bad("delimiter", "one character")
    for name in _TEXT_LISTS:
        value = record.get(name)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise bad(name, "a list of column names")
    if not isinstance(record.get("selected", False), bool):
        raise bad("selected", "true or false")
    if record.get("na", "error") not in NA_MODES:
        raise bad("na", f"one of {tuple(NA_MODES)}")
    return dict(record)


def load_run(path: str) -> Saved:
    """Read ``path``: the checkpoint, its estimator (if any) and its checked records."""
    ckpt = io.load_checkpoint(path)
    extra = ckpt.extra if isinstance(ckpt.extra, dict) else {}
    fields = run_fields(extra, path)
    cli = check_record(extra.get("cli"), path)
    est = from_checkpoint(ckpt, path) if "estimator" in extra else None
    if est is not None and cli.get("features") is not None:
        names = est.preprocessing_.feature_names
        if names is not None and list(names) != cli["features"]:
            raise io.CheckpointError(
                f"{path}: extra['cli']['features'] {cli['features']!r:.120} differ from the"
                f" estimator's feature names {list(names)!r:.120}"
            )
    return Saved(path, ckpt, est, cli, fields)


def feature_names(saved: Saved) -> list[str] | None:
    """The training columns, in order (``None`` when the model was fitted without names)."""
    if saved.cli.get("features") is not None:
        return list(saved.cli["features"])
    names = saved.est.preprocessing_.feature_names if saved.est is not None else None
    return None if names is None else list(names)


def check_columns(saved: Saved, given: list[str], file: str) -> None:
    """Refuse a file whose feature columns differ from training: count, names or order.

    Raises:
        ValueError: saying which of the three differs and listing the columns.
    """
    trained = feature_names(saved)
    n = saved.est.n_features_in_
    if len(given) != n:
        listed = f": {trained}" if trained is not None else ""
        raise ValueError(
            f"{file}: {len(given)} feature columns {given!r:.200}, but the model was trained on"
            f" {n}{listed}"
        )
    if trained is None or given == trained:
        return
    unseen = [c for c in given if c not in trained]
    missing = [c for c in trained if c not in given]
    if unseen or missing:
        raise ValueError(
            f"{file}: the feature columns differ from training: not seen in training {unseen},"
            f" missing {missing}"
        )
    raise ValueError(
        f"{file}: the feature columns are in another order than in training: {given} here,"
        f" {trained} in training"
    )
