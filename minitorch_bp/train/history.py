"""``History``: the per-epoch values a training run records, writable as CSV or JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


class History:
    r"""One row per epoch: ``epoch`` and each metric (``loss``, ``accuracy``, ``val_loss``...).

    ``loss`` is the notes' regularised cost :math:`J(\Theta)` = criterion +
    :math:`\frac{\lambda}{2m}\sum\Theta^2`, averaged over the epoch's batches weighted by
    their size, each batch's value taken before its update with :math:`m` the batch size
    (the objective the optimizer descends). With one full batch per epoch it is the
    course's :math:`J(\Theta)` at the start of the epoch. ``val_loss`` is the same cost on
    the validation set after the epoch, with :math:`m` its size.

    Example:
        >>> h = History()
        >>> h.append(1, {"loss": 0.75, "accuracy": 0.5})
        >>> h.append(2, {"loss": 0.5, "accuracy": 1.0})
        >>> h["loss"], h.epochs, len(h)
        ([0.75, 0.5], [1, 2], 2)
        >>> print(h.to_csv(), end="")
        epoch,loss,accuracy
        1,0.75,0.5
        2,0.5,1.0
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None

    def append(self, epoch: int, values: dict[str, float]) -> None:
        """Add the row of ``epoch`` (values are stored as floats)."""
        self.rows.append({"epoch": epoch, **{k: float(v) for k, v in values.items()}})

    @property
    def epochs(self) -> list[int]:
        return [int(r["epoch"]) for r in self.rows]

    def keys(self) -> list[str]:
        """The column names, ``epoch`` first, in the order they first appeared."""
        names: dict[str, None] = {}
        for r in self.rows:
            names.update(dict.fromkeys(r))
        return list(names)

    def __getitem__(self, name: str) -> list[float]:
        if self.rows and name not in self.keys():
            raise KeyError(f"History has no {name!r}; it has {self.keys()}")
        return [r[name] for r in self.rows if name in r]

    def __len__(self) -> int:
        return len(self.rows)

    def last(self) -> dict[str, float]:
        """The most recent row (empty before the first epoch)."""
        return dict(self.rows[-1]) if self.rows else {}

    def to_dict(self) -> dict[str, Any]:
        """The rows and markers as plain JSON-able data."""
        return {
            "rows": self.rows,
            "stopped_epoch": self.stopped_epoch,
            "best_epoch": self.best_epoch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Rebuild what :meth:`to_dict` returned."""
        h = cls()
        h.rows = [{k: float(v) for k, v in r.items()} for r in data.get("rows", [])]
        h.stopped_epoch = data.get("stopped_epoch")
        h.best_epoch = data.get("best_epoch")
        return h

    def to_csv(self, path: str | Path | None = None) -> str:
        """Return the rows as CSV text; also write it to ``path`` if given."""
        keys = self.keys() or ["epoch"]
        lines = [",".join(keys)]
        for r in self.rows:
            cells = [str(int(r[k])) if k == "epoch" else repr(r[k]) if k in r else "" for k in keys]
            lines.append(",".join(cells))
        text = "\n".join(lines) + "\n"
        if path is not None:
            with open(path, "w", newline="", encoding="utf-8") as f:
                f.write(text)
        return text

    def to_json(self, path: str | Path | None = None) -> str:
        """Return :meth:`to_dict` as JSON text; also write it to ``path`` if given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def read_csv(cls, path: str | Path) -> History:
        """Read a file written by :meth:`to_csv`."""
        h = cls()
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                epoch = int(row.pop("epoch"))
                h.append(epoch, {k: float(v) for k, v in row.items() if v != ""})
        return h

    def __repr__(self) -> str:
        return f"History(epochs={len(self)}, keys={self.keys()})"
