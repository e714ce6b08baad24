"""The course's checkNNGradients: backprop against central differences on a 3-5-3 network.

Run: ``python examples/gradient_check.py``.
"""

from __future__ import annotations

import numpy as np

from minitorch_bp import nn
from minitorch_bp.gradcheck import gradcheck_report

rng = np.random.default_rng(0)
model = nn.Sequential(
    nn.Linear(3, 5, rng=rng), nn.Sigmoid(), nn.Linear(5, 3, rng=rng), nn.Sigmoid()
)
X = rng.normal(size=(5, 3))
Y = np.eye(3)[[0, 1, 2, 0, 1]]
report = gradcheck_report(model, nn.BCELoss(), X, Y, l2=3.0)
print(f"{'analytic':>14} {'numerical':>14}")
for a, n in zip(report.analytic[:8], report.numerical[:8], strict=True):
    print(f"{a:>14.10f} {n:>14.10f}")
for name, rel in report.per_parameter.items():
    print(f"{name:<10} relative difference {rel:.1e}")
print(f"relative difference: {report.relative_difference:.1e} (backprop is right if < 1e-9)")
