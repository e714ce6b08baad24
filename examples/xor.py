"""XOR, the classic problem one layer cannot solve: a 2-3-1 sigmoid network learns it.

Run: ``python examples/xor.py [--epochs N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.datasets import xor
from minitorch_bp.train import fit, predict

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2000)
args = parser.parse_args()

X, Y = xor()
rng = np.random.default_rng(0)
model = nn.Sequential(
    nn.Linear(2, 3, rng=rng), nn.Sigmoid(), nn.Linear(3, 1, rng=rng), nn.Sigmoid()
)
opt = optim.SGD(model.parameters(), lr=5.0)
history = fit(
    model, nn.BCELoss(), opt, DataLoader(X, Y, 4, shuffle=False), epochs=args.epochs, progress=False
)
print(f"final J = {history['loss'][-1]:.4f}")
for x, out, label in zip(X, model(X).ravel(), predict(model, X), strict=True):
    print(f"{x[0]:.0f} XOR {x[1]:.0f} -> {out:.3f} (class {label})")
