"""The vanishing gradient, seen: ‖D^(l)‖ per layer of an 8-layer net, sigmoid against ReLU.

Trains the same 64-32-…-32-10 network (seven hidden layers) on the embedded digits twice,
with sigmoid and with ReLU hidden units, records train.Monitor's per-layer statistics
and prints, per layer, ‖D^(l)‖ after the first epoch: with sigmoids the first layers'
gradients are thousands of times smaller than the last layer's, with ReLUs they are not.
With matplotlib (the plots extra) it also draws both gradient flows side by side.

Run: ``python examples/vanishing_gradient.py [--epochs 30] [--out runs/vanishing_gradient.png]``.
"""

from __future__ import annotations

import argparse
import itertools
import warnings
from pathlib import Path

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, one_hot
from minitorch_bp.datasets import digits
from minitorch_bp.train import Monitor, VanishingGradientWarning, fit

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--out", default="runs/vanishing_gradient.png")
args = parser.parse_args()

X, y = digits()
X, Y = X / 16.0, one_hot(y, 10)
SIZES = [64, 32, 32, 32, 32, 32, 32, 32, 10]


def deep(act: type[nn.Module]) -> nn.Sequential:
    rng = np.random.default_rng(0)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(SIZES)):
        layers += [nn.Linear(a, b, rng=rng), nn.Sigmoid() if i == len(SIZES) - 2 else act()]
    return nn.Sequential(*layers)


runs = {}
for name, act in (("sigmoid", nn.Sigmoid), ("ReLU", nn.ReLU)):
    model = deep(act)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", VanishingGradientWarning)
        history = fit(
            model,
            nn.BCELoss(),
            optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
            DataLoader(X, Y, 64, seed=0),
            epochs=args.epochs,
            callbacks=[Monitor()],
            progress=False,
        )
    runs[name] = history
    first = {l: history[f"D_norm({l})"][0] for l in range(1, len(SIZES))}
    ratio = first[1] / first[len(SIZES) - 1]
    print(
        f"{name:>7}: ‖D^(1)‖ / ‖D^(8)‖ = {ratio:.1e} after epoch 1;"
        f" training accuracy {history['accuracy'][-1]:.1%} after {args.epochs} epochs;"
        f" {'warned' if caught else 'no warning'}"
    )

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is needed for the picture: pip install 'minitorch_bp[plots]'")
    raise SystemExit(0) from None

from minitorch_bp import plots  # noqa: E402

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, (name, history) in zip(axes, runs.items(), strict=True):
    plots.gradient_flow(history, ax=ax)
    ax.set_title(rf"$\Vert D^{{(l)}}\Vert$ per layer, {name} hidden units")
fig.tight_layout()
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
fig.savefig(args.out, dpi=100)
print(f"saved {args.out}")
