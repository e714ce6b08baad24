"""Train the notes' 64-25-10 network on the digits, then run it in PyTorch and ONNX Runtime.

    python examples/export_to_torch_and_onnx.py [OUT_DIR] [--epochs N]

Writes ``digits.pt`` (a PyTorch state dict) and ``digits.onnx`` to OUT_DIR (default: a
temporary folder) and prints how far apart the three runtimes' outputs are on the
held-out digits. Needs ``pip install 'minitorch_bp[torch,onnx]'``; without them it says
so and exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import one_hot, train_test_split
from minitorch_bp.datasets import digits
from minitorch_bp.interop import export_onnx, from_torch, to_torch


def train(epochs: int) -> tuple[nn.Sequential, np.ndarray]:
    """Full-batch SGD (lr 4, λ 1) on 75% of the digits; returns the model and the test set."""
    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, seed=0)
    Y_train = one_hot(y_train, 10)
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(64, 25, rng=rng), nn.Sigmoid(), nn.Linear(25, 10, rng=rng), nn.Sigmoid()
    )
    criterion = nn.BCELoss()
    opt = optim.SGD(model.parameters(), lr=4.0, l2=1.0)
    for _ in range(epochs):
        criterion(model(X_train), Y_train)
        opt.zero_grad()
        model.backward(criterion.backward())
        opt.step(m=len(X_train))
    accuracy = float(np.mean(model(X_test).argmax(axis=1) == y_test))
    print(f"trained {epochs} epochs: test accuracy {accuracy:.1%} on {len(y_test)} digits")
    return model, X_test


def differences(name: str, theirs: np.ndarray, ours: np.ndarray) -> float:
    abs_diff = float(np.abs(theirs - ours).max())
    rel_diff = abs_diff / float(np.abs(ours).max())
    print(f"  {name:<22} max abs diff {abs_diff:.2e}   max rel diff {rel_diff:.2e}")
    return rel_diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", type=Path, help="where to write (default: temp)")
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args(argv)
    missing = [m for m in ("torch", "onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        print(
            f"this example needs {', '.join(missing)}: pip install 'minitorch_bp[torch,onnx]'"
            " (nothing was run)"
        )
        return 0
    import onnxruntime as ort
    import torch

    model, X_test = train(args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.out_dir or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)

        net = to_torch(model).eval()
        torch.save(net.state_dict(), out_dir / "digits.pt")
        export_onnx(model, out_dir / "digits.onnx")
        print(f"wrote {out_dir / 'digits.pt'} and {out_dir / 'digits.onnx'}")

        # Read both files back, as a user of them would.
        reloaded = to_torch(model)
        reloaded.load_state_dict(torch.load(out_dir / "digits.pt"))
        session = ort.InferenceSession(
            str(out_dir / "digits.onnx"), providers=["CPUExecutionProvider"]
        )
        ours = model(X_test)
        with torch.no_grad():
            torch_out = reloaded(torch.from_numpy(X_test)).numpy()
        onnx_out = session.run(["output"], {"input": X_test})[0]
        back = from_torch(reloaded)(X_test)

    print(f"outputs on the {len(X_test)} test digits (float64), against minitorch_bp:")
    worst = max(
        differences("PyTorch", torch_out, ours),
        differences("ONNX Runtime", onnx_out, ours),
        differences("PyTorch -> minitorch", back, ours),
    )
    same = all((o.argmax(axis=1) == ours.argmax(axis=1)).all() for o in (torch_out, onnx_out))
    agree = worst < 1e-12 and same
    print(f"the three runtimes {'agree' if agree else 'DISAGREE'} (worst rel diff {worst:.1e})")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
