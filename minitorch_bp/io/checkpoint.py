"""``save``, ``load`` and ``load_checkpoint``: a model, its optimizer state and extras in one ``.npz``.

The file is an ordinary ``.npz`` (a zip of ``.npy`` arrays) that needs no pickle:

- ``__header__``: UTF-8 JSON as a ``uint8`` array: the format and package versions, the
  architecture (each module's type name and ``config()``, Sequential nesting kept), the
  name, shape and dtype of every parameter, and the optimizer state, the learning-rate
  scheduler state and ``extra`` with each array replaced by a reference
  ``{"__array__": "optimizer/0"}``;
- ``param/<name>``: each parameter (``param/0.weight``...);
- ``optimizer/<i>``, ``scheduler/<i>``, ``extra/<i>``: the arrays of those states.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn
from minitorch_bp._atomic import atomic_write
from minitorch_bp.io._encode import CheckpointError, build, decode, describe, encode
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer

Array = NDArray[Any]
FORMAT = "minitorch_bp.checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns.

    Attributes:
        model: a new model built from the file, with the saved parameters.
        optimizer_state: the saved ``optimizer.state_dict()`` (arrays restored), or ``None``;
            pass it to ``opt.load_state_dict`` of an optimizer built on ``model.parameters()``.
        extra: the saved ``extra`` (any JSON data and arrays), or ``None``.
        versions: the format, package and numpy versions that wrote the file.
        scheduler_state: the saved ``scheduler.state_dict()``, or ``None``; pass it to
            ``load_state_dict`` of the same schedule built on the loaded optimizer.
    """

    model: Module
    optimizer_state: dict[str, Any] | None
    extra: Any
    versions: dict[str, Any] = field(default_factory=dict)
    scheduler_state: dict[str, Any] | None = None


def save(
    model: Module,
    path: str | Path,
    *,
    optimizer: Optimizer | None = None,
    extra: Any = None,
    scheduler: Any = None,
) -> Path:
    """Write ``model`` (and optionally the optimizer state and ``extra``) to ``path``, atomically.

    The file is written to a temporary file in the same folder, flushed to disk and then
    renamed over ``path``, so a crash mid-save leaves any previous file whole.

    Args:
        model: a module built from ``minitorch_bp.nn`` classes (Sequential may nest).
        path: the file to write (``.npz`` by convention; the name is used as given).
        optimizer: its ``state_dict()`` is stored (arrays such as moments included).
        scheduler: a learning-rate scheduler; its ``state_dict()`` is stored.
        extra: JSON-able data with numpy arrays anywhere inside (epoch, loader state...).

    Example:
        >>> import tempfile, os
        >>> from minitorch_bp import nn
        >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid())
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> _ = save(model, path, extra={"epoch": 3})
        >>> ckpt = load_checkpoint(path)
        >>> ckpt.extra, bool(np.array_equal(ckpt.model[0].theta, model[0].theta))
        ({'epoch': 3}, True)
    """
    from minitorch_bp import __version__

    arrays: dict[str, Array] = {}
    params = {}
    for name, p in model.named_parameters():
        arrays[f"param/{name}"] = np.array(p.data)
        params[name] = {"shape": list(p.shape), "dtype": str(p.dtype)}
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "minitorch_bp_version": __version__,
        "numpy_version": np.__version__,
        "model": describe(model),
        "parameters": params,
        "optimizer": None
        if optimizer is None
        else encode(optimizer.state_dict(), "optimizer", arrays),
        "extra": encode(extra, "extra", arrays),
    }
    if scheduler is not None:
        header["scheduler"] = encode(scheduler.state_dict(), "scheduler", arrays)
    text = json.dumps(header, allow_nan=True).encode("utf-8")
    arrays["__header__"] = np.frombuffer(text, dtype=np.uint8)
    return _atomic_savez(Path(path), arrays)


def _atomic_savez(path: Path, arrays: dict[str, Array]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]


def _read(path: Path) -> dict[str, Array]:
    try:
        # Our own handle: np.load leaks the one it opens when the zip is truncated.
        with open(path, "rb") as fh:
            head = fh.read(4)
            # Anything but a zip would reach np.load's pickle branch, whose refusal
            # ("contains pickled data") misleads for a text file or random bytes.
            if head[:2] != b"PK":
                raise CheckpointError(
                    f"{path}: not a readable minitorch_bp checkpoint: an .npz file is a zip archive"
                    f" starting with b'PK', this one starts with {head!r}"
                )
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        for key, value in arrays.items():
            # NpzFile hands back a member without the .npy magic as raw bytes.
            if not isinstance(value, np.ndarray):
                raise CheckpointError(f"{path}: member {key!r} is not a .npy array")
        return arrays
    except (FileNotFoundError, IsADirectoryError, PermissionError, CheckpointError):
        raise
    # Parsing untrusted bytes, numpy raises more than ValueError: tokenize.TokenError and
    # SyntaxError from a mangled .npy header, MemoryError from a huge claimed shape...
    except Exception as exc:
        raise CheckpointError(
            f"{path}: not a readable minitorch_bp checkpoint ({exc!r:.300})"
        ) from exc


def _header(path: Path, arrays: dict[str, Array]) -> dict[str, Any]:
    raw = arrays.get("__header__")
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"{path}: no '__header__' array; not a minitorch_bp checkpoint")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path}: the header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: the header does not describe a {FORMAT} file")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format_version {version!r} is newer than this minitorch_bp reads"
            f" ({FORMAT_VERSION}); upgrade minitorch_bp"
        )
    for key in ("model", "parameters"):
        if not isinstance(header.get(key), dict):
            raise CheckpointError(f"{path}: the header lacks the {key!r} object")
    return header


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a file written by :func:`save`; every array is checked before the model is built.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: a truncated or malformed file, an unknown layer type, missing or
            unexpected arrays, arrays of the wrong shape or dtype, or an optimizer state
            that its optimizer class refuses (tried on a throwaway copy). Nothing is
            returned unless everything loads.
    """
    path = Path(path)
    arrays = _read(path)
    header = _header(path, arrays)
    try:
        return _from_header(path, arrays, header)
    except CheckpointError:
        raise
    # The header is untrusted JSON: a value of the wrong kind anywhere (a number where an
    # object belongs, a list as a dict key, nesting deep enough to exhaust the stack)
    # must still end as a CheckpointError.
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise CheckpointError(f"{path}: malformed header ({exc!r:.300})") from exc
    except (RecursionError, OverflowError, MemoryError) as exc:
        raise CheckpointError(f"{path}: malformed header ({exc!r:.300})") from exc


def _from_header(path: Path, arrays: dict[str, Array], header: dict[str, Any]) -> Checkpoint:
    # A config integer larger than every array dimension in the file cannot be a layer
    # size of this model; refusing it first keeps Linear(10**6, 10**6) from being built.
    limit = max((max(a.shape, default=1) for a in arrays.values()), default=1)
    _check_sizes(path, header["model"], limit)
    try:
        model = build(header["model"])
    except CheckpointError as exc:  # build() does not know the file; name it
        raise CheckpointError(f"{path}: {exc}") from None
    expected = {f"param/{name}": spec for name, spec in header["parameters"].items()}
    own = dict(model.named_parameters())
    if sorted(own) != sorted(header["parameters"]):
        raise CheckpointError(
            f"{path}: the architecture has parameters {sorted(own)} but the header lists"
            f" {sorted(header['parameters'])}"
        )
    used: set[str] = set(expected) | {"__header__"}
    optimizer_state = decode(header.get("optimizer"), arrays, used)
    extra = decode(header.get("extra"), arrays, used)
    scheduler_state = decode(header.get("scheduler"), arrays, used)
    if scheduler_state is not None and not isinstance(scheduler_state, dict):
        raise CheckpointError(f"{path}: the scheduler state is not an object")
    missing = sorted(set(expected) - set(arrays))
    unexpected = sorted(set(arrays) - used)
    if missing or unexpected:
        raise CheckpointError(f"{path}: missing arrays {missing}, unexpected arrays {unexpected}")
    state = {}
    for key, spec in expected.items():
        name, value, p = key[len("param/") :], arrays[key], own[key[len("param/") :]]
        if list(value.shape) != list(spec.get("shape", [])) or value.shape != p.shape:
            raise CheckpointError(
                f"{path}: {key} has shape {value.shape}; the header says"
                f" {tuple(spec.get('shape', []))} and the model expects {p.shape}"
            )
        if str(value.dtype) != spec.get("dtype") or value.dtype != p.dtype:
            raise CheckpointError(
                f"{path}: {key} has dtype {value.dtype}; the header says {spec.get('dtype')}"
                f" and the model expects {p.dtype}"
            )
        state[name] = value
    if optimizer_state is not None:
        _check_optimizer_state(path, model, optimizer_state)
    model.load_state_dict(state)
    versions = {
        k: header.get(k) for k in ("format_version", "minitorch_bp_version", "numpy_version")
    }
    return Checkpoint(model, optimizer_state, extra, versions, scheduler_state)


def _check_sizes(path: Path, spec: Any, limit: int) -> None:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if isinstance(value, int) and not isinstance(value, bool) and value > limit:
                raise CheckpointError(
                    f"{path}: the header's {key}={value} exceeds every array dimension in"
                    f" the file (at most {limit}); refusing to build it"
                )
            _check_sizes(path, value, limit)
    elif isinstance(spec, list):
        for value in spec:
            _check_sizes(path, value, limit)


def _check_optimizer_state(path: Path, model: Module, state: Any) -> None:
    """Load ``state`` into a throwaway optimizer, so a malformed one fails here, not later.

    Without this, ``opt.load_state_dict(ckpt.optimizer_state)`` could fail after changing
    part of a live optimizer (lr set, moments not). A ``type`` that is not a class of
    ``minitorch_bp.optim`` (a user's own optimizer) is left for that optimizer to check.
    """
    from minitorch_bp import optim

    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: the optimizer state is not an object")
    name = state.get("type")
    if not isinstance(name, str):
        raise CheckpointError(f"{path}: the optimizer state has no 'type' string ({name!r:.60})")
    cls = getattr(optim, name, None) if name in optim.__all__ else None
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        return
    params: list[Any] = copy.deepcopy(model).parameters()  # never repack the returned model
    try:
        shapes = state.get("shapes")
        if isinstance(shapes, list):  # the optimizer's own parameters: not always the model's
            dims = [[int(n) for n in s] for s in shapes]
            if sum(int(np.prod(d)) for d in dims) > sum(p.size for p in params):
                return  # more than the model holds: left for the user's optimizer to check
            params = [nn.Parameter(np.zeros(d)) for d in dims]
        groups: list[Any] = [{"params": params}]
        saved = state.get("param_groups")
        if isinstance(saved, list) and saved and all(isinstance(g, dict) for g in saved):
            groups = [{"params": [params[int(i)] for i in g.get("params", [])]} for g in saved]
        kwargs: dict[str, Any] = {} if cls.requires_closure else {"lr": 1.0}
        cls(groups, **kwargs).load_state_dict(state)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise CheckpointError(f"{path}: the {name} optimizer state is malformed ({exc})") from exc


def load(path: str | Path) -> Module:
    """Return the model stored in ``path`` (a new module); see :func:`load_checkpoint`."""
    return load_checkpoint(path).model
