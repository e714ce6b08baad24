"""The convolutional workloads: a LeNet step on 8×8 digits and one 3×3 convolution layer.

Each ``make_*`` returns a zero-argument function that runs one training step, like the
MLP contenders of :mod:`benchmarks.contenders`:

- ``floor``: the matrix products of the im2col formulation, into preallocated outputs,
  with the im2col matrices already built: per convolution the forward
  :math:`W \\cdot \\text{cols}`, the weight gradient :math:`\\delta\\,\\text{cols}^\\top` and
  (except for the first layer) the input gradient's product, and the ``Linear`` layers'
  products. What im2col cannot go below; the gap to it is the copies, pooling and
  normalisation around the products.
- ``five_line`` and ``compile_step``: minitorch_bp, the README's loop and the engine;
- ``torch``: the same network (``interop.to_torch`` of ours, so the same weights),
  ``torch.optim.SGD`` and the same loss, at the same number of threads.

The LeNet is ``examples/lenet_digits.py``'s own (loaded from the file), on seeded 8×8
images in [0, 1] and labels; the convolution layer is ``Conv2d(16, 16, 3, padding=1)``
on a batch of 32 images of 16 channels, 32×32, with the notes' ½Σ(y − ŷ)² against a
seeded target.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from minitorch_bp import nn

Array = NDArray[Any]
Step = Callable[[], object]
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "lenet_digits.py"


@dataclass(frozen=True)
class ConvWorkload:
    """A convolutional training problem: its network, batch and loss."""

    name: str
    batch: int
    lr: float
    description: str

    def data(self, dtype: Any, seed: int = 0) -> tuple[Array, Array]:
        rng = np.random.default_rng(seed)
        if self.name == "lenet":
            return rng.random((self.batch, 1, 8, 8)).astype(dtype), rng.integers(0, 10, self.batch)
        X = rng.random((self.batch, 16, 32, 32)).astype(dtype)
        return X, rng.random((self.batch, 16 * 32 * 32)).astype(dtype)

    def model(self, dtype: Any) -> nn.Sequential:
        from minitorch_bp import nn

        if self.name == "lenet":
            return _example().lenet(0, dtype=dtype)  # type: ignore[no-any-return]
        return nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, dtype=dtype, rng=0), nn.Flatten())

    def criterion(self) -> nn.Loss:
        from minitorch_bp import nn

        return nn.CrossEntropyLoss() if self.name == "lenet" else nn.MSELoss(reduction="sum")


CONV_WORKLOADS: tuple[ConvWorkload, ...] = (
    ConvWorkload(
        "lenet", 64, 0.05, "examples/lenet_digits.py's LeNet, 8x8 digits, batch 64, cross-entropy"
    ),
    ConvWorkload(
        "conv3x3", 32, 1e-7, "Conv2d(16, 16, 3, padding=1) on 32x32x16 images, batch 32, MSE (sum)"
    ),
)


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("lenet_digits", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_five_line(w: ConvWorkload, dtype: Any) -> Step:
    """The README's loop on the conv network."""
    from benchmarks.contenders import five_line
    from minitorch_bp import optim

    X, Y = w.data(dtype)
    model = w.model(dtype)
    return five_line(model, w.criterion(), optim.SGD(model.parameters(), lr=w.lr), X, Y)


def make_compile_step(w: ConvWorkload, dtype: Any) -> Step:
    """``train.compile_step`` built once; each call is ``step(X, Y)``."""
    from minitorch_bp import optim, train

    X, Y = w.data(dtype)
    model = w.model(dtype)
    compiled = train.compile_step(model, w.criterion(), optim.SGD(model.parameters(), lr=w.lr))
    return lambda: compiled(X, Y)


def make_torch(w: ConvWorkload, dtype: Any) -> Step:
    """The same network in PyTorch (our weights, through ``to_torch``), autograd and SGD."""
    import torch

    from benchmarks.peers import torch_step
    from minitorch_bp.interop import to_torch

    X_np, Y_np = w.data(dtype)
    model = to_torch(w.model(dtype))
    X, Y = torch.from_numpy(X_np), torch.from_numpy(Y_np)
    opt = torch.optim.SGD(model.parameters(), lr=w.lr)
    if w.name == "lenet":
        crit, scale = torch.nn.CrossEntropyLoss(), 1.0  # the mean over the batch: our batchmean
    else:
        crit, scale = torch.nn.MSELoss(reduction="sum"), 0.5  # the notes' ½Σ(y − ŷ)²
    return torch_step(model, crit, scale, opt, X, Y)


def make_floor(w: ConvWorkload, dtype: Any) -> Step:
    """The products of the im2col formulation only, every operand prepared beforehand."""
    from minitorch_bp import nn
    from minitorch_bp.engine.plan import leaves

    X, _ = w.data(dtype)
    rng = np.random.default_rng(2)
    products: list[tuple[Array, Array, Array]] = []
    shape: tuple[int, ...] = X.shape
    first = True
    for layer in leaves(w.model(dtype)):
        out = layer.output_shape(shape)
        assert out is not None
        if isinstance(layer, nn.Conv2d):
            k = int(np.prod(layer.kernel_size))
            positions = int(np.prod(out[2:])) * shape[0]
            pixels = int(np.prod(shape[2:])) * shape[0]
            W = layer.weight.data.reshape(layer.out_channels, -1)
            cols = rng.random((layer.in_channels * k, positions)).astype(dtype)
            g = rng.random((layer.out_channels, positions)).astype(dtype)
            products += [
                (W, cols, np.empty((layer.out_channels, positions), dtype)),
                (g, cols.T, np.empty(W.shape, dtype)),
            ]
            if not first:
                g_cols = rng.random((layer.out_channels * k, pixels)).astype(dtype)
                w_flip = rng.random((layer.in_channels, layer.out_channels * k)).astype(dtype)
                products.append((w_flip, g_cols, np.empty((layer.in_channels, pixels), dtype)))
            first = False
        elif isinstance(layer, nn.Linear):
            a = rng.random(shape).astype(dtype)
            d = rng.random(out).astype(dtype)
            products += [
                (a, layer.weight.data.T, np.empty(out, dtype)),
                (d.T, a, np.empty(layer.weight.shape, dtype)),
            ]
            if not first:
                products.append((d, layer.weight.data, np.empty(shape, dtype)))
            first = False
        shape = out
    dot = np.dot

    def step() -> None:
        for a, b, c in products:
            dot(a, b, c)

    return step


CONV_CONTENDERS: dict[str, Callable[[ConvWorkload, Any], Step]] = {
    "floor": make_floor,
    "five_line": make_five_line,
    "compile_step": make_compile_step,
    "torch": make_torch,
}
