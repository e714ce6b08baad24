"""The notes' per-example loop and the vectorised layers give the same D, at very different speeds.

Run: ``python examples/per_example_vs_vectorized.py [--m N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from minitorch_bp import nn, optim, reference
from minitorch_bp.data import one_hot
from minitorch_bp.datasets import digits

parser = argparse.ArgumentParser()
parser.add_argument("--m", type=int, default=500, help="number of examples")
args = parser.parse_args()

X, y = digits()
X, Y = X[: args.m] / 16.0, one_hot(y[: args.m], 10)
lam = 1.0
model = nn.Sequential(
    nn.Linear(64, 25, rng=0), nn.Sigmoid(), nn.Linear(25, 10, rng=1), nn.Sigmoid()
)
thetas = [model[0].theta, model[2].theta]

start = time.perf_counter()
J_loop, D_loop = reference.backprop_loop(thetas, X, Y, lam)
t_loop = time.perf_counter() - start

opt = optim.SGD(model.parameters(), lr=1.0, l2=lam)
criterion = nn.BCELoss()
start = time.perf_counter()
J_vec = criterion(model(X), Y) + nn.l2_penalty(model, lam, len(X))
model.zero_grad()
model.backward(criterion.backward())
D_vec = [
    np.column_stack([opt.gradient(lin.bias, len(X)), opt.gradient(lin.weight, len(X))])
    for lin in (model[0], model[2])
]
t_vec = time.perf_counter() - start

print(f"m = {len(X)} examples, λ = {lam}")
print(f"J: loop {J_loop:.10f}, vectorised {J_vec:.10f}")
for l, (a, b) in enumerate(zip(D_loop, D_vec, strict=True), start=1):
    print(f"D^({l}) shape {a.shape}: max |loop - vectorised| = {np.abs(a - b).max():.1e}")
print(f"time: loop {t_loop * 1e3:.1f} ms, vectorised {t_vec * 1e3:.2f} ms ({t_loop / t_vec:.0f}x)")
