"""Resume in a fresh Python process: N epochs, save, load elsewhere, M more == N+M at once.

The first part runs here with ``ModelCheckpoint``; a new interpreter (nothing shared but
the file) loads the checkpoint, calls ``resume`` and trains M more epochs with a shuffling
``DataLoader`` built with a different seed (the loader state must come from the file),
then saves the weights. They must equal an uninterrupted N+M-epoch run bit for bit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import io, nn
from minitorch_bp.data import DataLoader
from minitorch_bp.train import ModelCheckpoint, fit

ROOT = Path(__file__).resolve().parents[2]
N, M = 3, 4
OPTIMIZERS = {
    "momentum": "optim.SGD(ps, lr=0.5, l2=0.3, momentum=0.9)",
    "nesterov": "optim.SGD(ps, lr=0.5, l2=0.3, momentum=0.9, nesterov=True)",
    "adam": "optim.Adam(ps, lr=0.02, l2=0.3)",
}
COMMON = """
import numpy as np
from minitorch_bp import io, nn, optim
from minitorch_bp.data import DataLoader
from minitorch_bp.train import fit, resume

def data():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(37, 3))
    Y = np.stack([X[:, 0] * X[:, 1] > 0, X[:, 2] > 0], axis=1).astype(float)
    return X, Y

def make_opt(ps):
    return {expr}
"""
CHILD = """
import sys
ckpt = io.load_checkpoint(sys.argv[1])
X, Y = data()
model = ckpt.model
opt = make_opt(model.parameters())
loader = DataLoader(X, Y, 8, seed=999)  # a different seed: resume must restore it
start = resume(ckpt, opt, loader)
fit(model, nn.BCELoss(), opt, loader, epochs=start + {m}, initial_epoch=start, progress=False)
io.save(model, sys.argv[2])
"""


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 6, rng=1), nn.Tanh(), nn.Linear(6, 2, rng=2), nn.Sigmoid())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resume_in_a_fresh_process_is_bit_for_bit(tmp_path: Path, name: str) -> None:
    ns: dict[str, object] = {}
    common = COMMON.format(expr=OPTIMIZERS[name])
    exec(common, ns)
    X, Y = ns["data"]()  # type: ignore[operator]
    make_opt = ns["make_opt"]

    straight = _net()
    opt = make_opt(straight.parameters())  # type: ignore[operator]
    fit(straight, nn.BCELoss(), opt, DataLoader(X, Y, 8, seed=7), epochs=N + M, progress=False)

    first = _net()
    opt1 = make_opt(first.parameters())  # type: ignore[operator]
    cb = ModelCheckpoint(tmp_path / "ep{epoch}.npz", every=N)
    fit(
        first,
        nn.BCELoss(),
        opt1,
        DataLoader(X, Y, 8, seed=7),
        epochs=N,
        callbacks=[cb],
        progress=False,
    )
    assert cb.saved == [str(tmp_path / f"ep{N}.npz")]

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    script = common + CHILD.format(m=M)
    out = tmp_path / "resumed.npz"
    done = subprocess.run(
        [sys.executable, "-c", script, cb.saved[0], str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    resumed = io.load(out)
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value)
    # Not trivially equal: the first N epochs alone give other weights.
    assert not np.array_equal(first.state_dict()["0.weight"], straight.state_dict()["0.weight"])
