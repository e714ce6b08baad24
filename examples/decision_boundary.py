"""Two moons (or spirals): train a small network and draw its decision boundary and loss curve.

Needs the ``plots`` extra (``pip install minitorch_bp[plots]``, i.e. matplotlib) for the PNG;
without it the script trains, prints the accuracy and says what is missing.
Run: ``python examples/decision_boundary.py [--dataset spirals] [--out boundary.png]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, one_hot
from minitorch_bp.datasets import spirals, two_moons
from minitorch_bp.train import fit, predict

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", choices=["moons", "spirals"], default="moons")
parser.add_argument("--epochs", type=int, default=1000)
parser.add_argument("--out", default="runs/decision_boundary.png")
args = parser.parse_args()

if args.dataset == "moons":
    X, y = two_moons(300, noise=0.15, seed=0)
else:
    X, y = spirals(300, classes=3, seed=0)
k = int(y.max()) + 1
Y = y.reshape(-1, 1).astype(float) if k == 2 else one_hot(y, k)
rng = np.random.default_rng(0)
model = nn.Sequential(
    nn.Linear(2, 20, rng=rng), nn.Sigmoid(), nn.Linear(20, Y.shape[1], rng=rng), nn.Sigmoid()
)
opt = optim.SGD(model.parameters(), lr=5.0)
history = fit(
    model,
    nn.BCELoss(),
    opt,
    DataLoader(X, Y, len(X), shuffle=False),
    epochs=args.epochs,
    progress=False,
)
print(
    f"{args.dataset}: training accuracy {np.mean(predict(model, X) == y):.1%}, "
    f"J = {history['loss'][-1]:.4f}"
)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is needed for the picture: pip install 'minitorch_bp[plots]'")
    raise SystemExit(0) from None

xx, yy = np.meshgrid(
    np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 200),
    np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 200),
)
zz = predict(model, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.contourf(xx, yy, zz, alpha=0.3)
ax1.scatter(X[:, 0], X[:, 1], c=y, s=10)
ax1.set_title("decision boundary")
ax2.plot(history.epochs, history["loss"])
ax2.set(title="J(Θ) per epoch", xlabel="epoch", yscale="log")
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
fig.savefig(args.out, dpi=100)
print(f"saved {args.out}")
