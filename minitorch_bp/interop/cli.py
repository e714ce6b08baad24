"""``minitorch-bp export MODEL.npz --to {onnx,torch} --out PATH``.

A model saved by ``train`` (an estimator) is exported whole by default: raw rows in,
the preprocessing fitted on the training rows as the first nodes, then the network,
then ``predict_proba`` (classifiers; ``--labels`` adds the predicted label) or the
prediction in the target's units (regressors); ``--dtype float32`` writes a float32
graph. ``--network-only`` (and any plain ``io.save`` model) exports the network alone.

``--to onnx`` writes the graph of :func:`~minitorch_bp.interop.export_onnx` (or
:func:`~minitorch_bp.interop.export_estimator_onnx`). ``--to torch`` writes
``torch.save(module.state_dict(), PATH)``: a state dict of plain tensors, which
``torch.load(PATH)`` reads with its default ``weights_only=True`` (a pickled module
would not load that way). The command prints the PyTorch architecture the state dict
belongs to.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from minitorch_bp._atomic import atomic_write, check_output_path
from minitorch_bp.interop._layers import optional_import
from minitorch_bp.interop.onnx_export import DEFAULT_OPSET, export_onnx
from minitorch_bp.interop.pipeline import estimator_to_torch, export_estimator_onnx
from minitorch_bp.interop.torch_convert import to_torch
from minitorch_bp.io import load, load_checkpoint


def _model(path: Path, network_only: bool) -> Any:
    """The estimator a checkpoint of ``train`` holds, or the network (``network_only``, or a plain model)."""
    if network_only:
        return load(path)
    ckpt = load_checkpoint(path)
    if isinstance(ckpt.extra, dict) and "estimator" in ckpt.extra:
        from minitorch_bp.estimators.persist import from_checkpoint

        return from_checkpoint(ckpt, path)
    return ckpt.model


def _batch_dim(text: str) -> int | str:
    if text == "dynamic":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--batch-dim must be "dynamic" or a positive integer, got {text!r}'
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--batch-dim must be positive, got {value}")
    return value


def _input_shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(part) for part in text.split(","))
    except ValueError:
        dims = ()
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(
            f"--input-shape must be positive integers separated by commas (one example's"
            f" shape, e.g. 1,8,8), got {text!r}"
        )
    return dims


def add_export_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``export`` sub-command to ``subparsers`` (from ``add_subparsers()``).

    Returns:
        The new sub-parser; its default ``func`` is :func:`export_command`.
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="convert a saved model to ONNX or a PyTorch state dict",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("model", type=Path, help="a model saved with minitorch_bp.io.save (.npz)")
    p.add_argument("--to", choices=("onnx", "torch"), required=True, help="the target format")
    p.add_argument("--out", type=Path, required=True, help="the file to write")
    p.add_argument(
        "--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})"
    )
    p.add_argument(
        "--batch-dim",
        type=_batch_dim,
        default="dynamic",
        help='ONNX batch dimension: "dynamic" (default) or a fixed size',
    )
    p.add_argument(
        "--input-shape",
        type=_input_shape,
        default=None,
        help="ONNX: one example's shape, e.g. 1,8,8 (default: what the first layer tells)",
    )
    p.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default=None,
        help="the graph's element type (default: the model's, float64)",
    )
    p.add_argument(
        "--labels",
        action="store_true",
        help="ONNX of a classifier: also an output 'label', the predicted class's name",
    )
    p.add_argument(
        "--network-only",
        action="store_true",
        help="export the network alone, without the saved preprocessing",
    )
    p.set_defaults(func=export_command)
    return p


def _save_torch(model: Any, out: Path, dtype: str | None = None) -> Any:
    whole = hasattr(model, "preprocessing_")
    seq = estimator_to_torch(model, dtype=dtype or "float64") if whole else to_torch(model)
    torch = optional_import("torch", "torch", "minitorch-bp export --to torch")
    state = seq.state_dict()
    atomic_write(out, lambda handle: torch.save(state, handle))
    return seq


def export_command(args: argparse.Namespace) -> int:
    """Load ``args.model`` with ``minitorch_bp.io.load`` and write it as ``args.to``.

    Returns 0 on success and 1, with a message on stderr, when an optional package is
    missing or a file cannot be read or written; a bad model raises ``ValueError`` for
    the main CLI to print.
    """
    model_path: Path = args.model
    out: Path = args.out
    if not model_path.is_file():
        raise ValueError(f"export: model file {str(model_path)!r} does not exist")
    check_output_path(out, "export --out")
    if not out.parent.is_dir():
        raise ValueError(f"export: output folder {str(out.parent)!r} does not exist")
    dtype = getattr(args, "dtype", None)
    labels = getattr(args, "labels", False)
    try:
        model = _model(model_path, getattr(args, "network_only", False))
        whole = hasattr(model, "preprocessing_")
        if labels and not (whole and args.to == "onnx" and model._estimator_type == "classifier"):
            raise ValueError(
                "export --labels: only for the ONNX export of a classifier saved by train"
                " (with its preprocessing)"
            )
        if whole and getattr(args, "input_shape", None) is not None:
            raise ValueError(
                "export --input-shape: the rows of a model saved by train have a fixed width"
            )
        if args.to == "onnx" and whole:
            export_estimator_onnx(
                model,
                out,
                opset=args.opset,
                batch_dim=args.batch_dim,
                dtype=dtype or "float64",
                labels=labels,
            )
            what = "predict_proba" if model._estimator_type == "classifier" else "predict"
            names = "'output' and 'label'" if labels else "'output'"
            print(
                f"wrote ONNX (opset {args.opset}, {dtype or 'float64'}, raw rows in 'input', the"
                f" preprocessing, the network, {what} in {names}) to {out}"
            )
        elif args.to == "onnx":
            export_onnx(
                model,
                out,
                opset=args.opset,
                batch_dim=args.batch_dim,
                input_shape=getattr(args, "input_shape", None),
                dtype=dtype,
            )
            print(f"wrote ONNX (opset {args.opset}, input 'input', output 'output') to {out}")
        else:
            if dtype == "float32" and not whole:
                raise ValueError("export --to torch --dtype float32: needs a model saved by train")
            seq = _save_torch(model, out, dtype)
            print(f"wrote the state dict of this torch.nn.Sequential to {out}:\n{seq}")
    except ModuleNotFoundError as exc:
        print(f"minitorch-bp export: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"minitorch-bp export: error: {exc}", file=sys.stderr)
        return 1
    return 0
