"""A LeNet-style convolutional network on the embedded 8×8 digits, held-out accuracy ≥ 98.5 %.

Run: ``python examples/lenet_digits.py [--epochs N] [--seed S]``.

The notes' 64-25-10 sigmoid network reaches 97.1 % on the same 450 held-out digits
(``examples/digits.py``). Here each digit stays an image, ``(m, 1, 8, 8)``: two 3×3
convolutions with batch normalisation, ReLU and 2×2 max pooling, then two ``Linear``
layers, trained with Adam on mini-batches of the training images and their one-pixel
shifts. A few seconds on two cores.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from minitorch_bp import nn, optim
from minitorch_bp.data import DataLoader, train_test_split
from minitorch_bp.datasets import digits
from minitorch_bp.train import confusion_matrix, fit, format_confusion_matrix, predict


def lenet(seed: int = 0, dtype: Any = np.float64) -> nn.Sequential:
    """Conv(1→16) → BN → ReLU → pool → Conv(16→32) → BN → ReLU → pool → 128 → 64 → 10."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, dtype=dtype, rng=rng),  # (m, 16, 8, 8)
        nn.BatchNorm2d(16, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (m, 16, 4, 4)
        nn.Conv2d(16, 32, 3, padding=1, dtype=dtype, rng=rng),  # (m, 32, 4, 4)
        nn.BatchNorm2d(32, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (m, 32, 2, 2)
        nn.Flatten(),  # (m, 128)
        nn.Dropout(0.25, rng=seed),
        nn.Linear(128, 64, dtype=dtype, rng=rng),
        nn.ReLU(),
        nn.Linear(64, 10, dtype=dtype, rng=rng),  # the logits of the 10 classes
    )


def with_shifts(X: np.ndarray) -> np.ndarray:
    """The images and their copies moved by one pixel up, down, left and right (5× the data)."""
    copies = [X]
    for axis, step in ((2, 1), (2, -1), (3, 1), (3, -1)):
        moved = np.roll(X, step, axis=axis)
        edge = [slice(None)] * 4
        edge[axis] = slice(0, 1) if step == 1 else slice(-1, None)
        moved[tuple(edge)] = 0.0  # the row or column that wrapped around is blank
        copies.append(moved)
    return np.concatenate(copies)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, seed=0)
    X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    model = lenet(args.seed)
    print(model.summary(input_shape=(1, 8, 8)))

    opt = optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(with_shifts(X_train), np.tile(y_train, 5), batch_size=32, seed=args.seed)
    fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        loader,
        epochs=args.epochs,
        val_data=(X_test, y_test),
        scheduler=optim.ExponentialLR(opt, gamma=0.6),
    )
    model.eval()  # BatchNorm on its running statistics, Dropout off
    pred = predict(model, X_test)
    accuracy = float(np.mean(pred == y_test))
    print(f"test accuracy: {accuracy:.1%} on {len(y_test)} held-out examples")
    print(format_confusion_matrix(confusion_matrix(y_test, pred, 10)))
    return accuracy


if __name__ == "__main__":
    main()
