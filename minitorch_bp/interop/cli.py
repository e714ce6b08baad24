"""``minitorch-bp export MODEL.npz --to {onnx,torch} --out PATH``.

``--to onnx`` writes the graph of :func:`~minitorch_bp.interop.export_onnx`.
``--to torch`` writes ``torch.save(to_torch(model).state_dict(), PATH)``: a state dict
of plain tensors, which ``torch.load(PATH)`` reads with its default ``weights_only=True``
(a pickled module would not load that way). The command prints the PyTorch
architecture the state dict belongs to.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from minitorch_bp._atomic import atomic_write
from minitorch_bp.interop._layers import optional_import
from minitorch_bp.interop.onnx_export import DEFAULT_OPSET, export_onnx
from minitorch_bp.interop.torch_convert import to_torch
from minitorch_bp.io import load


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
    p.set_defaults(func=export_command)
    return p


def _save_torch(model: Any, out: Path) -> Any:
    seq = to_torch(model)
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
    if not out.parent.is_dir():
        raise ValueError(f"export: output folder {str(out.parent)!r} does not exist")
    try:
        model = load(model_path)
        if args.to == "onnx":
            export_onnx(
                model,
                out,
                opset=args.opset,
                batch_dim=args.batch_dim,
                input_shape=getattr(args, "input_shape", None),
            )
            print(f"wrote ONNX (opset {args.opset}, input 'input', output 'output') to {out}")
        else:
            seq = _save_torch(model, out)
            print(f"wrote the state dict of this torch.nn.Sequential to {out}:\n{seq}")
    except ModuleNotFoundError as exc:
        print(f"minitorch-bp export: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"minitorch-bp export: error: {exc}", file=sys.stderr)
        return 1
    return 0
