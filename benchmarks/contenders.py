"""The numpy-side contenders: the matrix-product floor, minitorch_bp twice, a hand-written step.

Each ``make_*`` returns a zero-argument function running one training step on the
workload's batch. minitorch_bp is measured two ways, on the same weights and data:

- ``five_line``: the README's loop on the public API (pure layers: every call allocates
  its result), what a user writes first;
- ``compile_step``: ``train.compile_step(model, criterion, opt)`` built once, then
  ``step(X, Y)`` per call (the engine: buffers planned once, nothing allocated).

``floor`` and ``numpy`` allocate nothing per step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.workloads import Workload

if TYPE_CHECKING:
    from minitorch_bp import nn, optim

Array = NDArray[Any]
Step = Callable[[], object]


def make_floor(w: Workload, dtype: Any) -> Step:
    """Only the products a step cannot avoid, into preallocated outputs.

    Per Linear: the forward ``a W^T``, the weight gradient ``delta^T a`` and, except for
    the first layer, the input gradient ``delta W``.

    The products are ``np.dot(a, b, out)``, not ``np.matmul(a, b, out=out)``: measured on
    this machine (1 thread), ``np.dot`` costs about 1.0 µs a call on the tiny workload's
    3×2 and 3×3 matrices against 1.7 µs for ``np.matmul`` (matmul is a generalised ufunc,
    with the broadcasting machinery's overhead), and the same (within noise) from 64×400×25
    up, where both call the same BLAS ``gemm``. The floor is the fastest way to do the
    unavoidable products, so it uses ``np.dot``. Every argument (the transposed views
    included) is bound once, outside the timed call.
    """
    X, _ = w.data(dtype)
    rng = np.random.default_rng(2)
    m = w.batch
    Ws = [W for W, _ in w.thetas(dtype)]
    acts = [X] + [rng.random((m, s)).astype(dtype) for s in w.sizes[1:-1]]
    Z = [np.empty((m, s), dtype) for s in w.sizes[1:]]
    D = [(rng.random((m, s)) - 0.5).astype(dtype) for s in w.sizes[1:]]
    GW = [np.empty_like(W) for W in Ws]
    GA = [np.empty((m, s), dtype) for s in w.sizes[:-1]]
    n = len(Ws)
    products: list[tuple[Array, Array, Array]] = [(acts[i], Ws[i].T, Z[i]) for i in range(n)]
    for i in range(n - 1, -1, -1):
        products.append((D[i].T, acts[i], GW[i]))
        if i:
            products.append((D[i], Ws[i], GA[i]))
    dot = np.dot

    def step() -> None:
        for a, b, out in products:
            dot(a, b, out)

    return step


def build_model(w: Workload, dtype: Any) -> tuple[nn.Sequential, nn.Loss, optim.SGD]:
    """The workload's network on the public API, with the shared initial weights."""
    from minitorch_bp import nn, optim

    layers: list[nn.Module] = []
    for (W, b), s_in, s_out in zip(w.thetas(dtype), w.sizes[:-1], w.sizes[1:], strict=True):
        lin = nn.Linear(s_in, s_out, bias=w.bias, dtype=dtype, rng=0)
        lin.weight.data = W  # assignment copies into the layer's own array
        if lin.bias is not None:
            lin.bias.data = b
        layers += [lin, nn.Sigmoid()]
    model = nn.Sequential(*layers)
    criterion: nn.Loss = nn.BCELoss() if w.loss == "bce" else nn.MSELoss(reduction="sum")
    opt = optim.SGD(model.parameters(), lr=w.lr, l2=w.l2)
    return model, criterion, opt


def make_five_line(w: Workload, dtype: Any) -> Step:
    """The README's loop, exactly as a user writes it with the public API.

    ``J`` is the criterion's value only, as the hand-written ``numpy`` step and the old
    ``minitorch_bp`` contender compute it: the README adds ``nn.l2_penalty`` for the
    *logged* J, which is not part of forward, backward and the update.
    """
    X, Y = w.data(dtype)
    return five_line(*build_model(w, dtype), X, Y)


def five_line(
    model: nn.Module, criterion: nn.Loss, opt: optim.Optimizer, X: Array, Y: Array
) -> Step:
    """The README's five lines as one step function."""

    def step() -> float:
        out = model(X)
        J = criterion(out, Y)
        opt.zero_grad()
        model.backward(criterion.backward())
        opt.step(m=len(X))
        return J

    return step


def make_compile_step(w: Workload, dtype: Any) -> Step:
    """``train.compile_step`` built once; each call is ``step(X, Y)``.

    ``step(X, Y)`` also returns J with the λ term (``nn.l2_penalty``), one ``vdot`` per
    weight matrix more than ``five_line`` does: that is part of what the API gives.
    """
    from minitorch_bp import train

    X, Y = w.data(dtype)
    model, criterion, opt = build_model(w, dtype)
    compiled = train.compile_step(model, criterion, opt)

    def step() -> float:
        return compiled(X, Y)

    return step


def make_numpy(w: Workload, dtype: Any) -> Step:
    """A hand-written, allocation-free numpy step computing the same loss and update."""
    X, Y = w.data(dtype)
    m = w.batch
    thetas = w.thetas(dtype)
    sizes = w.sizes
    n = len(thetas)
    # Parameters and gradients packed flat, so SGD is two ops.
    total = sum(W.size + (b.size if w.bias else 0) for W, b in thetas)
    data = np.empty(total, dtype)
    grad = np.empty(total, dtype)
    scratch = np.empty(total, dtype)
    Ws, Bs, GWs, GBs = [], [], [], []
    pos = 0
    for W, b in thetas:
        Ws.append(data[pos : pos + W.size].reshape(W.shape))
        GWs.append(grad[pos : pos + W.size].reshape(W.shape))
        Ws[-1][...] = W
        pos += W.size
        if w.bias:
            Bs.append(data[pos : pos + b.size])
            GBs.append(grad[pos : pos + b.size])
            Bs[-1][...] = b
            pos += b.size
    A = [X] + [np.empty((m, s), dtype) for s in sizes[1:]]
    Dl = [np.empty((m, s), dtype) for s in sizes]
    T = [np.empty((m, s), dtype) for s in sizes]
    one_minus_y = (1.0 - Y).astype(dtype)
    floor = np.exp(-100.0).astype(dtype)
    decay = 1.0 - w.lr * w.l2 / m
    lr, inv_m = w.lr, 1.0 / m

    def step() -> float:
        for i in range(n):
            z = A[i + 1]
            np.matmul(A[i], Ws[i].T, out=z)
            if w.bias:
                z += Bs[i]
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1.0
            np.reciprocal(z, out=z)
        a, t, d = A[n], T[n], Dl[n]
        if w.loss == "bce":
            np.maximum(a, floor, out=t)
            np.log(t, out=t)
            J = float(np.vdot(Y, t))
            np.subtract(1.0, a, out=t)
            np.maximum(t, floor, out=t)
            np.log(t, out=t)
            J = -(J + float(np.vdot(one_minus_y, t))) * inv_m
            np.subtract(a, Y, out=d)
            d *= inv_m
        else:
            np.subtract(a, Y, out=d)
            J = 0.5 * float(np.vdot(d, d))
            np.subtract(1.0, a, out=t)
            t *= a
            d *= t
        for i in range(n - 1, -1, -1):
            d = Dl[i + 1]
            np.matmul(d.T, A[i], out=GWs[i])
            if w.bias:
                np.add.reduce(d, axis=0, out=GBs[i])
            if i:
                dp, t, a = Dl[i], T[i], A[i]
                np.matmul(d, Ws[i], out=dp)
                np.subtract(1.0, a, out=t)
                t *= a
                dp *= t
        if decay != 1.0:
            for W in Ws:
                W *= decay
        np.multiply(grad, lr, out=scratch)
        np.subtract(data, scratch, out=data)
        return J

    return step


NUMPY_CONTENDERS: dict[str, Callable[[Workload, Any], Step]] = {
    "floor": make_floor,
    "five_line": make_five_line,
    "compile_step": make_compile_step,
    "numpy": make_numpy,
}
