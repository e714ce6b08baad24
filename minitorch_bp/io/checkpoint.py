"""``save``, ``load`` and ``load_checkpoint``: a model, its optimizer state and extras in one ``.npz``.

The file is an ordinary ``.npz`` (a zip of ``.npy`` arrays) that needs no pickle:

- ``__header__``: UTF-8 JSON as a ``uint8`` array: the format and package versions, the
  architecture (each module's type name and ``config()``, containers' nesting kept), the
  name, shape and dtype of every parameter and buffer, and the optimizer state, the
  learning-rate scheduler state and ``extra`` with each array replaced by a reference
  ``{"__array__": "optimizer/0"}``;
- ``param/<name>``: each parameter (``param/0.weight``...);
- ``buffer/<name>``: each buffer (``buffer/1.running_mean``...), in files of format 2;
- ``optimizer/<i>``, ``scheduler/<i>``, ``extra/<i>``: the arrays of those states.
"""

from __future__ import annotations

import copy
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import nn
from minitorch_bp._atomic import atomic_write, check_output_path
from minitorch_bp.io._encode import CheckpointError, build, decode, describe, encode
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer

Array = NDArray[Any]
FORMAT = "minitorch_bp.checkpoint"
#: The newest format this version reads and writes: 2 added buffers. A model without
#: buffers is still written as format 1, which older versions read.
FORMAT_VERSION = 2


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

    target = check_output_path(path, "io.save")
    arrays: dict[str, Array] = {}
    params = {}
    for name, p in model.named_parameters():
        _check_finite(p.data, f"io.save: parameter {name!r} has", "; nothing was written")
        arrays[f"param/{name}"] = np.array(p.data)
        params[name] = {"shape": list(p.shape), "dtype": str(p.dtype)}
    buffers = {}
    for name, buffer in model.named_buffers():
        arrays[f"buffer/{name}"] = np.array(buffer)
        buffers[name] = {"shape": list(buffer.shape), "dtype": str(buffer.dtype)}
    header: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION if buffers else 1,
        "minitorch_bp_version": __version__,
        "numpy_version": np.__version__,
        "model": describe(model),
        "parameters": params,
        "optimizer": None
        if optimizer is None
        else encode(optimizer.state_dict(), "optimizer", arrays),
        "extra": encode(extra, "extra", arrays),
        "extra_state": encode(
            {
                name: state
                for name, module in model.named_modules()
                if (state := module.get_extra_state()) is not None
            },
            "state",
            arrays,
            "extra_state",
        ),
    }
    if buffers:
        header["buffers"] = buffers
    if scheduler is not None:
        header["scheduler"] = encode(scheduler.state_dict(), "scheduler", arrays)
    text = json.dumps(header, allow_nan=True).encode("utf-8")
    arrays["__header__"] = np.frombuffer(text, dtype=np.uint8)
    return _atomic_savez(target, arrays)


def _atomic_savez(path: Path, arrays: dict[str, Array]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]


#: The most numbers (all arrays together) :func:`load_checkpoint` reads unless told more:
#: 100 million, 800 MB of float64. Pass ``max_parameters=`` to raise it.
MAX_PARAMETERS = 100_000_000
#: How much a compressed member may expand. ``io.save`` does not compress; float data that
#: someone recompressed shrinks by 1.1–2×, only arrays of constants by far more.
MAX_EXPANSION = 32
_SLACK = 1 << 16  # bytes a tiny compressed member may expand to regardless of its ratio
#: The largest JSON header read (architecture, optimizer state and ``extra`` without
#: their arrays): far above any real one.
MAX_HEADER_BYTES = 64 << 20


def _read(path: Path, max_parameters: int) -> dict[str, Array]:
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
            with zipfile.ZipFile(fh) as archive:
                infos = archive.infolist()
                _check_members(path, archive, infos, max_parameters)
                return {
                    info.filename[: -len(".npy")]: _read_member(archive, info) for info in infos
                }
    except (FileNotFoundError, IsADirectoryError, PermissionError, CheckpointError):
        raise
    # Parsing untrusted bytes, numpy raises more than ValueError: tokenize.TokenError and
    # SyntaxError from a mangled .npy header, MemoryError from a huge claimed shape...
    except Exception as exc:
        raise CheckpointError(
            f"{path}: not a readable minitorch_bp checkpoint ({exc!r:.300})"
        ) from exc


def _npy_header(member: BinaryIO) -> tuple[tuple[int, ...], np.dtype[Any], int]:
    """The shape, dtype and header length of a ``.npy`` stream, reading only its header."""
    major, _ = np.lib.format.read_magic(member)
    if major == 1:
        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    return shape, dtype, member.tell()


def _check_members(
    path: Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_parameters: int
) -> None:
    """Refuse, from the zip directory and each ``.npy`` header alone, a file too big to read.

    Nothing is inflated beyond the headers: each member must be stored or deflated, expand
    at most :data:`MAX_EXPANSION` times, hold exactly the bytes its header's shape needs,
    need no pickle, and all together (the JSON header aside, at most
    :data:`MAX_HEADER_BYTES`) at most ``max_parameters`` numbers.
    """
    names = [info.filename for info in infos]
    total = 0
    for info in infos:
        name = info.filename
        if names.count(name) > 1:
            raise CheckpointError(f"{path}: member {name} appears {names.count(name)} times")
        if not name.endswith(".npy"):
            raise CheckpointError(f"{path}: member {name!r} is not a .npy array")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(
                f"{path}: member {name} uses zip compression method {info.compress_type};"
                " a checkpoint's members are stored (as io.save writes them) or deflated"
            )
        if info.file_size > MAX_EXPANSION * info.compress_size + _SLACK:
            raise CheckpointError(
                f"{path}: member {name} expands from {info.compress_size:,} to"
                f" {info.file_size:,} bytes, more than {MAX_EXPANSION} times: a compressed"
                " bomb, or not a file io.save wrote (it does not compress); refusing to inflate it"
            )
        try:
            with archive.open(info) as member:
                shape, dtype, offset = _npy_header(member)  # type: ignore[arg-type]
        except (ValueError, SyntaxError, EOFError) as exc:  # numpy parses the header with ast
            raise CheckpointError(f"{path}: member {name!r} is not a .npy array ({exc})") from exc
        if dtype.hasobject:
            raise CheckpointError(
                f"{path}: member {name} holds Python objects (dtype {dtype}), which only pickle"
                " can read; checkpoints never use pickle"
            )
        count = math.prod(shape)
        if info.file_size != offset + count * dtype.itemsize:
            raise CheckpointError(
                f"{path}: member {name} declares shape {shape} of {dtype}"
                f" ({count * dtype.itemsize:,} bytes of data) but holds"
                f" {info.file_size - offset:,}; truncated or tampered with"
            )
        if name == "__header__.npy":
            if count > MAX_HEADER_BYTES:
                raise CheckpointError(
                    f"{path}: the JSON header is {count:,} bytes, more than {MAX_HEADER_BYTES:,}"
                )
        else:
            total += count
    if total > max_parameters:
        raise CheckpointError(
            f"{path}: the arrays hold {total:,} numbers, more than max_parameters="
            f"{max_parameters:,}; if you trust the file, raise it:"
            f" load_checkpoint(path, max_parameters={total})"
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Array:
    with archive.open(info) as member:
        value = np.lib.format.read_array(member, allow_pickle=False)
    return np.asarray(value)


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


def load_checkpoint(path: str | Path, *, max_parameters: int = MAX_PARAMETERS) -> Checkpoint:
    """Read a file written by :func:`save`; every array is checked before the model is built.

    Loading is bounded by what the file holds: the zip directory and each array's header
    are checked before anything is inflated (a member must hold exactly the bytes its
    shape needs, and a compressed one expand at most :data:`MAX_EXPANSION` times), all
    arrays together may hold at most ``max_parameters`` numbers, and a layer is built only
    if the sizes in its configuration fit the arrays the file holds for it (so a header
    cannot make a small file allocate a large layer).

    Args:
        path: the ``.npz`` file.
        max_parameters: the most numbers all arrays together may hold (default
            :data:`MAX_PARAMETERS`, 100 million, 800 MB of float64); raise it for a larger
            model you trust.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: a truncated or malformed file, a file over those bounds, an
            unknown layer type, missing or unexpected arrays, arrays of the wrong shape or
            dtype, NaN or inf parameters, or an optimizer state that its optimizer class
            refuses (tried on a throwaway copy). Nothing is returned unless everything loads.
    """
    if isinstance(max_parameters, bool) or not isinstance(max_parameters, (int, np.integer)):
        raise TypeError(f"load_checkpoint: max_parameters={max_parameters!r} must be an integer")
    path = Path(path)
    arrays = _read(path, int(max_parameters))
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
    _check_layer_sizes(path, header["model"], arrays)
    try:
        model = build(header["model"])
    except CheckpointError as exc:  # build() does not know the file; name it
        raise CheckpointError(f"{path}: {exc}") from None
    listed_buffers = header.get("buffers", {})
    if not isinstance(listed_buffers, dict):
        raise CheckpointError(f"{path}: the header's 'buffers' is not an object")
    expected = {f"param/{name}": spec for name, spec in header["parameters"].items()}
    expected.update({f"buffer/{name}": spec for name, spec in listed_buffers.items()})
    own = {f"param/{name}": p.data for name, p in model.named_parameters()}
    own.update({f"buffer/{name}": b for name, b in model.named_buffers()})
    for kind, listed in (("parameters", header["parameters"]), ("buffers", listed_buffers)):
        prefix = "param/" if kind == "parameters" else "buffer/"
        names = sorted(k[len(prefix) :] for k in own if k.startswith(prefix))
        if names != sorted(listed):
            raise CheckpointError(
                f"{path}: the architecture has {kind} {names} but the header lists {sorted(listed)}"
            )
    used: set[str] = set(expected) | {"__header__"}
    optimizer_state = decode(header.get("optimizer"), arrays, used)
    extra = decode(header.get("extra"), arrays, used)
    extra_state = decode(header.get("extra_state"), arrays, used) or {}
    scheduler_state = decode(header.get("scheduler"), arrays, used)
    if scheduler_state is not None and not isinstance(scheduler_state, dict):
        raise CheckpointError(f"{path}: the scheduler state is not an object")
    missing = sorted(set(expected) - set(arrays))
    unexpected = sorted(set(arrays) - used)
    if missing or unexpected:
        raise CheckpointError(f"{path}: missing arrays {missing}, unexpected arrays {unexpected}")
    state = {}
    for key, spec in expected.items():
        name, value, target = key.split("/", 1)[1], arrays[key], own[key]
        if list(value.shape) != list(spec.get("shape", [])) or value.shape != target.shape:
            raise CheckpointError(
                f"{path}: {key} has shape {value.shape}; the header says"
                f" {tuple(spec.get('shape', []))} and the model expects {target.shape}"
            )
        if str(value.dtype) != spec.get("dtype") or value.dtype != target.dtype:
            raise CheckpointError(
                f"{path}: {key} has dtype {value.dtype}; the header says {spec.get('dtype')}"
                f" and the model expects {target.dtype}"
            )
        _check_finite(value, f"{path}: {key} holds", "; refusing a model that cannot predict")
        state[name] = value
    if optimizer_state is not None:
        _check_optimizer_state(path, model, optimizer_state)
    model.load_state_dict(state)
    _restore_extra_state(path, model, extra_state)
    versions = {
        k: header.get(k) for k in ("format_version", "minitorch_bp_version", "numpy_version")
    }
    return Checkpoint(model, optimizer_state, extra, versions, scheduler_state)


def _restore_extra_state(path: Path, model: Module, states: Any) -> None:
    """Hand each module its saved :meth:`~minitorch_bp.nn.Module.get_extra_state` (Dropout's generator)."""
    if not isinstance(states, dict):
        raise CheckpointError(f"{path}: extra_state must be an object, got {states!r:.60}")
    modules = dict(model.named_modules())
    unknown = sorted(set(states) - set(modules))
    if unknown:
        raise CheckpointError(f"{path}: extra_state for modules the model lacks: {unknown}")
    for name, state in states.items():
        try:
            modules[name].set_extra_state(state)
        except ValueError as exc:
            raise CheckpointError(
                f"{path}: layer {name!r} ({type(modules[name]).__name__}): {exc}"
            ) from exc


def _check_finite(value: Array, what: str, consequence: str) -> None:
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        bad = np.flatnonzero(~np.isfinite(value))
        where = tuple(int(i) for i in np.unravel_index(bad[0], value.shape))
        raise CheckpointError(
            f"{what} {bad.size} NaN or inf"
            f" value(s), the first {value.flat[bad[0]]} at index {where}{consequence}"
        )


#: Sizes a layer's configuration may hold without arrays of that size in the file: a
#: layer built from such a header allocates at most about a million numbers.
SMALL_SIZE = 1024


def _check_layer_sizes(path: Path, spec: Any, arrays: dict[str, Array], where: str = "") -> None:
    """Refuse a layer whose configured sizes exceed the arrays the file holds for it.

    A layer's sizes (``in_features``, channels, ``num_embeddings``...) are dimensions of
    its own parameters, so a configuration integer larger than every dimension of the
    layer's arrays (and than :data:`SMALL_SIZE`) cannot describe the saved layer;
    refusing it first keeps a 1 KB header from building ``Linear(100000, 300)``. A layer
    without arrays in the file is bounded by the widest array of the whole file instead.
    """
    if not isinstance(spec, dict):
        return
    prefix = f"{where}." if where else ""
    model_arrays = [
        (key.partition("/")[2], value.shape)
        for key, value in arrays.items()
        if key.partition("/")[0] not in ("optimizer", "extra", "state", "__header__")
    ]
    own = [d for name, shape in model_arrays if name.startswith(prefix) for d in shape]
    # A layer with no arrays of its own (BatchNorm without affine or running statistics,
    # a LayerNorm without weights, a pool) allocates nothing for its sizes; it may be as
    # wide as the widest array in the file (the Linear before it), no wider.
    dims = own or [d for _, shape in model_arrays for d in shape]
    limit = max([SMALL_SIZE, *dims])
    name = f"layer {where!r}" if where else "the model"
    sizes = _integers(spec.get("config", {}))
    for key, value in sizes:
        if value > limit:
            raise CheckpointError(
                f"{path}: {name} ({spec.get('type')}) has {key}={value}, larger than every"
                f" dimension of its arrays in the file (at most {limit}); refusing to build it"
            )
    if not own:  # and a header that left out a layer's arrays cannot build a big one either
        numbers = sum(math.prod(shape) for _, shape in model_arrays)
        product = math.prod(v for _, v in sizes if v > 1)
        if product > max(SMALL_SIZE, numbers):
            raise CheckpointError(
                f"{path}: {name} ({spec.get('type')}) has sizes whose product {product} exceeds"
                f" the {numbers} numbers the file holds, and no arrays of its own; refusing to"
                " build it"
            )
    for i, child in enumerate(spec.get("children") or []):
        _check_layer_sizes(path, child, arrays, f"{prefix}{i}")


def _integers(value: Any, key: str = "") -> list[tuple[str, int]]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [(key, value)]
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _integers(v, str(k))]
    if isinstance(value, list):
        return [item for v in value for item in _integers(v, key)]
    return []


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


def load(path: str | Path, *, max_parameters: int = MAX_PARAMETERS) -> Module:
    """Return the model stored in ``path`` (a new module); see :func:`load_checkpoint`."""
    return load_checkpoint(path, max_parameters=max_parameters).model
