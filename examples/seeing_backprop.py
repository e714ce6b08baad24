"""The figures of the "Seeing backprop" page: training curves, hidden units, the boundary...

Trains the notes' 64-25-10 sigmoid network on the embedded digits (full batch, λ = 1, with
train.Monitor) and a 2-6-1 tanh network on two moons, then draws every figure of
minitorch_bp.plots into --out-dir: history, gradient flow, hidden units, confusion
matrix, decision boundary with one panel per hidden unit, the network diagram of the
notes' 2-3-1 regression, and the learning-rate finder. Needs the plots extra.

Run: ``python examples/seeing_backprop.py [--out-dir runs/seeing-backprop]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, one_hot, train_test_split
from minitorch_bp.datasets import digits, study_sleep, two_moons
from minitorch_bp.train import Monitor, fit, lr_find, predict

parser = argparse.ArgumentParser()
parser.add_argument("--out-dir", default="runs/seeing-backprop")
parser.add_argument("--epochs", type=int, default=800)
args = parser.parse_args()
out = Path(args.out_dir)
out.mkdir(parents=True, exist_ok=True)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is needed for the figures: pip install 'minitorch_bp[plots]'")
    raise SystemExit(0) from None

from minitorch_bp import plots  # noqa: E402

# the notes' digits network
X_all, y_all = digits()
X, X_val, y, y_val = train_test_split(X_all / 16.0, y_all, test_size=0.25, seed=0)
Y, Y_val = one_hot(y, 10), one_hot(y_val, 10)
net = nn.Sequential(nn.Linear(64, 25, rng=0), nn.Sigmoid(), nn.Linear(25, 10, rng=1), nn.Sigmoid())
history = fit(
    net,
    nn.BCELoss(),
    optim.SGD(net.parameters(), lr=4.0, l2=1.0),
    DataLoader(X, Y, len(X), shuffle=False),
    epochs=args.epochs,
    val_data=(X_val, Y_val),
    callbacks=[Monitor()],
    progress=False,
)
print(f"digits: validation accuracy {history['val_accuracy'][-1]:.1%}")


def save(fig: object, name: str) -> None:
    fig.savefig(out / name, dpi=90)  # type: ignore[attr-defined]
    plt.close("all")
    print(f"saved {out / name}")


save(plots.history(history), "history.png")
save(plots.gradient_flow(history), "gradient_flow.png")
save(plots.gradient_flow(history, "saturated"), "saturated.png")
save(plots.hidden_units(net), "hidden_units.png")
save(plots.confusion_matrix(y_val, predict(net, X_val), num_classes=10), "confusion_matrix.png")

# two moons: the boundary and what each hidden unit contributes
Xm, ym = two_moons(300, noise=0.15, seed=0)
moons = nn.Sequential(nn.Linear(2, 6, rng=0), nn.Tanh(), nn.Linear(6, 1, rng=1), nn.Sigmoid())
fit(
    moons,
    nn.BCELoss(),
    optim.SGD(moons.parameters(), lr=1.0, momentum=0.9),
    DataLoader(Xm, ym.reshape(-1, 1).astype(float), 32, seed=0),
    epochs=60,
    progress=False,
)
print(f"moons: training accuracy {np.mean(predict(moons, Xm) == ym):.1%}")
save(
    plots.decision_boundary(moons, Xm, ym, hidden_units=True, resolution=120),
    "decision_boundary.png",
)

# the notes' 2-3-1 regression: weights and gradients after one backward
Xr, yr = study_sleep()
reg = nn.Sequential(
    nn.Linear(2, 3, bias=False, rng=0),
    nn.Sigmoid(),
    nn.Linear(3, 1, bias=False, rng=1),
    nn.Sigmoid(),
)
mse = nn.MSELoss(reduction="sum")
mse(reg(Xr), yr)
reg.backward(mse.backward())
save(plots.network(reg), "network.png")

# the learning-rate finder on digits with ReLU units and softmax cross-entropy
relu = nn.Sequential(nn.Linear(64, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=1))
result = lr_find(
    relu, nn.CrossEntropyLoss(), optim.SGD(relu.parameters(), lr=0.1), DataLoader(X, y, 32, seed=0)
)
print(f"lr_find: suggestion {result.suggestion:.3g}")
save(result.plot(), "lr_find.png")
