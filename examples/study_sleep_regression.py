"""The notes' regression example: a 2-3-1 sigmoid network, no bias units, J = ½Σ(y − ŷ)².

Prints ∂J/∂Θ^(1) and ∂J/∂Θ^(2) from backward next to ``reference.regression_gradients``,
then the cost falling under gradient descent. Run: ``python examples/study_sleep_regression.py``.
"""

from __future__ import annotations

import argparse

import numpy as np

from minitorch_bp import nn, optim, reference
from minitorch_bp.datasets import study_sleep

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=1000)
args = parser.parse_args()

X, y = study_sleep()  # scaled as in the notes
model = nn.Sequential(
    nn.Linear(2, 3, bias=False, rng=0),
    nn.Sigmoid(),
    nn.Linear(3, 1, bias=False, rng=1),
    nn.Sigmoid(),
)
criterion = nn.MSELoss(reduction="sum")  # the notes' ½Σ(y − ŷ)²
# The notes write z2 = X W1 with W1 of shape (2, 3): that is our weight transposed.
W1, W2 = model[0].weight.data.T.copy(), model[2].weight.data.T.copy()

J = criterion(model(X), y)
model.zero_grad()
model.backward(criterion.backward())
J_ref, ref_grad1, ref_grad2 = reference.regression_gradients(W1, W2, X, y)
print(f"J = {J:.6f} (notes: {J_ref:.6f})")
with np.printoptions(precision=6, suppress=True):  # not set_printoptions: tests run this in-process
    print("dJ/dW1 =", model[0].weight.grad.T, sep="\n")
    print("dJ/dW2 =", model[2].weight.grad.T, sep="\n")
diff = max(
    np.abs(model[0].weight.grad.T - ref_grad1).max(),
    np.abs(model[2].weight.grad.T - ref_grad2).max(),
)
print(f"max difference from reference.regression_gradients: {diff:.1e}")

opt = optim.SGD(model.parameters(), lr=2.0)
for step in range(args.steps + 1):
    J = criterion(model(X), y)
    if step % max(1, args.steps // 4) == 0:
        print(f"step {step:4d}  J = {J:.6f}")
    opt.zero_grad()
    model.backward(criterion.backward())
    opt.step()  # λ = 0: no m needed
print("predicted scores:", np.round(model(X).ravel() * 100, 1), "true:", (y.ravel() * 100))
