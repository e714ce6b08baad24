"""The course's one-vs-all network on the embedded digits: accuracy and confusion matrix.

Run: ``python examples/digits.py [--epochs N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, one_hot, train_test_split
from minitorch_bp.datasets import digits
from minitorch_bp.train import confusion_matrix, fit, format_confusion_matrix, predict

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=800)
args = parser.parse_args()

X, y = digits()
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, seed=0)
rng = np.random.default_rng(0)
model = nn.Sequential(
    nn.Linear(64, 25, rng=rng), nn.Sigmoid(), nn.Linear(25, 10, rng=rng), nn.Sigmoid()
)
opt = optim.SGD(model.parameters(), lr=4.0, l2=1.0)  # the notes' λ = 1, full batch
loader = DataLoader(X_train, one_hot(y_train, 10), len(X_train), shuffle=False)
history = fit(model, nn.BCELoss(), opt, loader, epochs=args.epochs, progress=False)
pred = predict(model, X_test)
print(f"J(Θ) = {history['loss'][-1]:.4f} after {args.epochs} epochs")
print(f"test accuracy: {np.mean(pred == y_test):.1%}")
print(format_confusion_matrix(confusion_matrix(y_test, pred, 10)))
