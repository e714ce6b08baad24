"""The one contract, checked over every registered module and every loss of the package.

The cases come from the registry of layer types (``nn.registry``): a new layer is in
these tests the moment its class exists. A class whose constructor needs arguments gets
them from ``ARGS`` below (with the input it takes, when that is not a ``(5, 4)`` batch);
a class missing there fails ``test_every_layer_type_has_a_case``. Each case runs the
same checks: central differences on the input and every parameter, float32 kept, the
plain-array contract, and (with torch installed) values and gradients equal to
PyTorch's autograd in float64. The convolutions and pools get random geometries
(kernel, stride, padding, dilation, batch size 1 included), drawn from a seeded
generator so that every run checks the same ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn
from minitorch_bp.gradcheck import numerical_gradient, relative_difference
from minitorch_bp.interop import to_torch


class _FixedMaskDropout(nn.Dropout):
    """Dropout in training mode whose every forward draws the same mask (seed 0).

    Central differences call forward many times; re-seeding makes each call the same
    function of x, so the check covers the training path: backward = g ⊙ mask/(1 − p).
    """

    def forward(self, x: Any) -> Any:
        self.rng = np.random.default_rng(0)
        return super().forward(x)


Factory = Callable[[Any], nn.Module]
Inputs = Callable[[np.random.Generator], Any]


def _batch(*shape: int) -> Inputs:
    return lambda rng: rng.normal(size=shape)


def _indices(*shape: int, high: int = 6) -> Inputs:
    return lambda rng: rng.integers(0, high, size=shape)


def _bn(cls: type, channels: int) -> Factory:
    """A batch norm in evaluation mode whose running statistics are not the defaults."""

    def make(dt: Any) -> nn.Module:
        bn = cls(channels, dtype=dt)
        rng = np.random.default_rng(11)
        bn.running_mean = rng.normal(size=channels)  # assignment copies into the buffers
        bn.running_var = rng.uniform(0.5, 2.0, size=channels)
        bn.weight.data = rng.normal(size=channels)
        return bn.eval()

    return make


def _geometry_cases(cls: type, count: int, seed: int) -> list[tuple[str, Factory, Inputs]]:
    """``count`` cases of ``cls`` with random kernel, stride, padding, dilation and batch."""
    rng = np.random.default_rng(seed)
    cases: list[tuple[str, Factory, Inputs]] = []
    conv = issubclass(cls, (nn.Conv1d, nn.Conv2d))
    n = 1 if cls is nn.Conv1d else 2
    while len(cases) < count:
        k = tuple(int(v) for v in rng.integers(1, 4, n))
        s = tuple(int(v) for v in rng.integers(1, 3, n))
        d = tuple(int(v) for v in rng.integers(1, 3, n)) if cls is not nn.AvgPool2d else (1,) * n
        extent = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
        p = tuple(int(rng.integers(0, e // 2 + 1)) for e in extent)
        m = int(rng.choice([1, 2, 3]))
        size = tuple(e + int(rng.integers(0, 4)) for e in extent)
        name = f"{cls.__name__}-k{k}-s{s}-p{p}-d{d}-m{m}".replace(" ", "")
        if conv:
            c_in, c_out = (int(v) for v in rng.integers(1, 4, 2))
            factory: Factory = lambda dt, a=(c_in, c_out, k, s, p, d): cls(  # noqa: E731
                a[0], a[1], a[2], a[3], a[4], a[5], dtype=dt, rng=3
            )
            shape = (m, c_in, *size)
        else:
            ceil = bool(rng.integers(0, 2))
            name += "-ceil" if ceil else ""
            if cls is nn.MaxPool2d:
                factory = lambda dt, a=(k, s, p, d, ceil): cls(  # noqa: E731
                    a[0], a[1], a[2], a[3], ceil_mode=a[4]
                )
            else:
                include = bool(rng.integers(0, 2))
                name += "" if include else "-exclude-pad"
                factory = lambda dt, a=(k, s, p, ceil, include): cls(  # noqa: E731
                    a[0], a[1], a[2], ceil_mode=a[3], count_include_pad=a[4]
                )
            shape = (m, 2, *size)
        cases.append((name, factory, _batch(*shape)))
    return cases


# The constructor arguments of each class that needs (or has interesting) ones, with the
# input each takes when it is not a (5, 4) batch; every other registered class is built
# as cls(). Values away from the defaults.
ARGS: dict[type, list[tuple[str, Factory] | tuple[str, Factory, Inputs]]] = {
    nn.Linear: [("Linear", lambda dt: nn.Linear(4, 3, dtype=dt, rng=0))],
    nn.LeakyReLU: [("LeakyReLU", lambda dt: nn.LeakyReLU(0.1))],
    nn.Softplus: [("Softplus", lambda dt: nn.Softplus(beta=2.0, threshold=3.0))],
    nn.ELU: [("ELU", lambda dt: nn.ELU(alpha=0.7))],
    nn.GELU: [
        ("GELU", lambda dt: nn.GELU()),
        ("GELU-tanh", lambda dt: nn.GELU(approximate="tanh")),
    ],
    nn.Softmax: [("Softmax", lambda dt: nn.Softmax()), ("Softmax-dim0", lambda dt: nn.Softmax(0))],
    nn.Dropout: [("Dropout-train", lambda dt: _FixedMaskDropout(0.4))],
    nn.Sequential: [
        (
            "Sequential",
            lambda dt: nn.Sequential(
                nn.Linear(4, 5, dtype=dt, rng=1), nn.Sigmoid(), nn.Linear(5, 2, dtype=dt, rng=2)
            ),
        ),
        (
            "Sequential-nested",
            lambda dt: nn.Sequential(
                nn.Sequential(nn.Linear(4, 5, dtype=dt, rng=1), nn.Tanh()),
                nn.Sequential(nn.Linear(5, 2, dtype=dt, rng=2), nn.GELU()),
            ),
        ),
    ],
    nn.Conv2d: [
        (
            "Conv2d-same",
            lambda dt: nn.Conv2d(2, 3, (2, 3), padding="same", dtype=dt, rng=1),
            _batch(2, 2, 5, 4),
        ),
        (
            "Conv2d-nobias",
            lambda dt: nn.Conv2d(3, 2, 2, bias=False, dtype=dt, rng=2),
            _batch(2, 3, 4, 5),
        ),
        *_geometry_cases(nn.Conv2d, 6, seed=1),
    ],
    nn.Conv1d: [
        ("Conv1d", lambda dt: nn.Conv1d(3, 2, 3, padding=1, dtype=dt, rng=1), _batch(4, 3, 6)),
        *_geometry_cases(nn.Conv1d, 4, seed=2),
    ],
    nn.MaxPool2d: _geometry_cases(nn.MaxPool2d, 6, seed=3),
    nn.AvgPool2d: [
        (
            "AvgPool2d-divisor",
            lambda dt: nn.AvgPool2d(3, 2, 1, divisor_override=4),
            _batch(2, 2, 5, 6),
        ),
        *_geometry_cases(nn.AvgPool2d, 6, seed=4),
    ],
    nn.AdaptiveAvgPool2d: [
        ("AdaptiveAvgPool2d-1", lambda dt: nn.AdaptiveAvgPool2d(1), _batch(3, 2, 4, 5)),
        ("AdaptiveAvgPool2d-2x3", lambda dt: nn.AdaptiveAvgPool2d((2, 3)), _batch(2, 2, 5, 7)),
        ("AdaptiveAvgPool2d-None", lambda dt: nn.AdaptiveAvgPool2d((None, 4)), _batch(1, 3, 3, 6)),
    ],
    nn.Flatten: [
        ("Flatten", lambda dt: nn.Flatten(), _batch(5, 2, 3)),
        ("Flatten-2..3", lambda dt: nn.Flatten(2, 3), _batch(3, 2, 2, 3)),
    ],
    nn.Unflatten: [("Unflatten", lambda dt: nn.Unflatten(1, (2, -1)), _batch(5, 4))],
    nn.BatchNorm1d: [
        ("BatchNorm1d-train", lambda dt: nn.BatchNorm1d(4, momentum=0.3, dtype=dt)),
        ("BatchNorm1d-eval", _bn(nn.BatchNorm1d, 4)),
        ("BatchNorm1d-3d-train", lambda dt: nn.BatchNorm1d(3, dtype=dt), _batch(4, 3, 5)),
        ("BatchNorm1d-noaffine", lambda dt: nn.BatchNorm1d(4, affine=False, dtype=dt)),
        (
            "BatchNorm1d-untracked-eval",
            lambda dt: nn.BatchNorm1d(4, track_running_stats=False, dtype=dt).eval(),
        ),
    ],
    nn.BatchNorm2d: [
        (
            "BatchNorm2d-train",
            lambda dt: nn.BatchNorm2d(3, momentum=None, dtype=dt),
            _batch(2, 3, 3, 4),
        ),
        ("BatchNorm2d-eval", _bn(nn.BatchNorm2d, 3), _batch(1, 3, 3, 4)),
    ],
    nn.LayerNorm: [
        ("LayerNorm", lambda dt: nn.LayerNorm(4, dtype=dt)),
        ("LayerNorm-2d", lambda dt: nn.LayerNorm((3, 4), eps=1e-3, dtype=dt), _batch(2, 5, 3, 4)),
        ("LayerNorm-nobias", lambda dt: nn.LayerNorm(4, bias=False, dtype=dt)),
        ("LayerNorm-noaffine", lambda dt: nn.LayerNorm(4, elementwise_affine=False, dtype=dt)),
    ],
    nn.Embedding: [
        ("Embedding", lambda dt: nn.Embedding(6, 3, dtype=dt, rng=0), _indices(5)),
        (
            "Embedding-2d-padding",
            lambda dt: nn.Embedding(6, 2, padding_idx=1, dtype=dt, rng=0),
            _indices(3, 4),
        ),
    ],
    nn.Residual: [
        (
            "Residual",
            lambda dt: nn.Residual(nn.Sequential(nn.Linear(4, 4, dtype=dt, rng=1), nn.Tanh())),
        ),
        (
            "Residual-conv",
            lambda dt: nn.Residual(
                nn.Sequential(
                    nn.Conv2d(2, 2, 3, padding=1, bias=False, dtype=dt, rng=2),
                    nn.BatchNorm2d(2, dtype=dt),
                    nn.ReLU(),
                )
            ),
            _batch(2, 2, 4, 4),
        ),
    ],
}


def _cases() -> list[tuple[str, Factory, Inputs]]:
    cases: list[tuple[str, Factory, Inputs]] = []
    for cls in nn.registry.classes():
        for case in ARGS.get(cls, [(cls.__name__, lambda dt, cls=cls: cls())]):
            cases.append(case if len(case) == 3 else (case[0], case[1], _batch(5, 4)))  # type: ignore[misc]
    return cases


CASES = _cases()
IDS = [name for name, _, _ in CASES]
#: Modules whose input is integer indices: no gradient with respect to it.
INDEXED = (nn.Embedding,)


DEFAULT_INPUT = _batch(5, 4)


def _inputs(make: Inputs = DEFAULT_INPUT) -> tuple[np.random.Generator, Any]:
    rng = np.random.default_rng(7)
    return rng, make(rng)


def _probs(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.uniform(0.05, 0.95, size=shape)


def _normal(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.normal(size=shape)


def _distributions(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    """Rows of probabilities summing to 1 (soft targets; labels are checked elsewhere)."""
    return rng.dirichlet(np.ones(shape[1]), size=shape[0])


def _labels(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    """Class labels 0..K-1, every class present."""
    m, k = shape
    return rng.permutation(np.arange(m) % k)


def _labels_some_ignored(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    labels = _labels(rng, shape)
    labels[[1, 4]] = -1  # left out by ignore_index=-1
    return labels


def _log_probs(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    z = rng.normal(size=shape)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _counts(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.poisson(2.0, size=shape).astype(float)


def _rates(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.uniform(0.5, 3.0, size=shape)


W4 = [0.5, 2.0, 1.0, 1.5]  # a weight per class (or output): the batches have 4 columns


@dataclass
class LossCase:
    """A loss with its options, the samplers of its inputs, and PyTorch's same loss.

    ``torch_fn(torch, pred, target, reduction)`` computes PyTorch's value for PyTorch's
    ``reduction`` ("sum", "mean" or "none"); ``labels`` marks a loss of class labels,
    whose ``batchmean`` is PyTorch's (weighted) ``mean`` (one loss per example).
    """

    factory: Callable[..., nn.Loss]
    pred: Any
    target: Any
    torch_fn: Callable[[Any, Any, Any, str], Any]
    labels: bool = False


def _F(torch: Any) -> Any:
    return torch.nn.functional


def _w(torch: Any, values: list[float], k: int) -> Any:
    return torch.tensor(values[:k], dtype=torch.float64)


LOSS_CASES: dict[str, LossCase] = {
    "MSELoss": LossCase(
        nn.MSELoss, _normal, _normal, lambda t, p, y, r: 0.5 * _F(t).mse_loss(p, y, reduction=r)
    ),
    "L1Loss": LossCase(
        nn.L1Loss, _normal, _normal, lambda t, p, y, r: _F(t).l1_loss(p, y, reduction=r)
    ),
    "HuberLoss": LossCase(
        lambda **kw: nn.HuberLoss(delta=0.7, **kw),
        _normal,
        _normal,
        lambda t, p, y, r: _F(t).huber_loss(p, y, reduction=r, delta=0.7),
    ),
    "SmoothL1Loss": LossCase(
        lambda **kw: nn.SmoothL1Loss(beta=0.6, **kw),
        _normal,
        _normal,
        lambda t, p, y, r: _F(t).smooth_l1_loss(p, y, reduction=r, beta=0.6),
    ),
    "SmoothL1Loss-beta0": LossCase(
        lambda **kw: nn.SmoothL1Loss(beta=0.0, **kw),
        _normal,
        _normal,
        lambda t, p, y, r: _F(t).smooth_l1_loss(p, y, reduction=r, beta=0.0),
    ),
    "BCELoss": LossCase(
        nn.BCELoss, _probs, _probs, lambda t, p, y, r: _F(t).binary_cross_entropy(p, y, reduction=r)
    ),
    "BCELoss-weight": LossCase(
        lambda **kw: nn.BCELoss(weight=W4, **kw),
        _probs,
        _probs,
        lambda t, p, y, r: _F(t).binary_cross_entropy(
            p, y, weight=_w(t, W4, p.shape[1]), reduction=r
        ),
    ),
    "BCEWithLogitsLoss": LossCase(
        nn.BCEWithLogitsLoss,
        _normal,
        _probs,
        lambda t, p, y, r: _F(t).binary_cross_entropy_with_logits(p, y, reduction=r),
    ),
    "BCEWithLogitsLoss-weight-pos_weight": LossCase(
        lambda **kw: nn.BCEWithLogitsLoss(weight=W4, pos_weight=W4[::-1], **kw),
        _normal,
        _probs,
        lambda t, p, y, r: _F(t).binary_cross_entropy_with_logits(
            p,
            y,
            weight=_w(t, W4, p.shape[1]),
            pos_weight=_w(t, W4[::-1], p.shape[1]),
            reduction=r,
        ),
    ),
    "CrossEntropyLoss": LossCase(
        nn.CrossEntropyLoss,
        _normal,
        _distributions,
        lambda t, p, y, r: _F(t).cross_entropy(p, y, reduction=r),
    ),
    "CrossEntropyLoss-labels": LossCase(
        nn.CrossEntropyLoss,
        _normal,
        _labels,
        lambda t, p, y, r: _F(t).cross_entropy(p, y, reduction=r),
        labels=True,
    ),
    "CrossEntropyLoss-weight-labels": LossCase(
        lambda **kw: nn.CrossEntropyLoss(weight=W4, **kw),
        _normal,
        _labels,
        lambda t, p, y, r: _F(t).cross_entropy(p, y, weight=_w(t, W4, p.shape[1]), reduction=r),
        labels=True,
    ),
    "CrossEntropyLoss-ignore_index": LossCase(
        lambda **kw: nn.CrossEntropyLoss(ignore_index=-1, **kw),
        _normal,
        _labels_some_ignored,
        lambda t, p, y, r: _F(t).cross_entropy(p, y, ignore_index=-1, reduction=r),
        labels=True,
    ),
    "CrossEntropyLoss-smoothing-weight-ignore": LossCase(
        lambda **kw: nn.CrossEntropyLoss(weight=W4, ignore_index=-1, label_smoothing=0.2, **kw),
        _normal,
        _labels_some_ignored,
        lambda t, p, y, r: _F(t).cross_entropy(
            p, y, weight=_w(t, W4, p.shape[1]), ignore_index=-1, label_smoothing=0.2, reduction=r
        ),
        labels=True,
    ),
    "CrossEntropyLoss-smoothing-weight-probabilities": LossCase(
        lambda **kw: nn.CrossEntropyLoss(weight=W4, label_smoothing=0.3, **kw),
        _normal,
        _distributions,
        lambda t, p, y, r: _F(t).cross_entropy(
            p, y, weight=_w(t, W4, p.shape[1]), label_smoothing=0.3, reduction=r
        ),
    ),
    "NLLLoss": LossCase(
        nn.NLLLoss,
        _log_probs,
        _labels,
        lambda t, p, y, r: _F(t).nll_loss(p, y, reduction=r),
        labels=True,
    ),
    "NLLLoss-weight-ignore": LossCase(
        lambda **kw: nn.NLLLoss(weight=W4, ignore_index=-1, **kw),
        _log_probs,
        _labels_some_ignored,
        lambda t, p, y, r: _F(t).nll_loss(
            p, y, weight=_w(t, W4, p.shape[1]), ignore_index=-1, reduction=r
        ),
        labels=True,
    ),
    "KLDivLoss": LossCase(
        nn.KLDivLoss,
        _log_probs,
        _distributions,
        lambda t, p, y, r: _F(t).kl_div(p, y, reduction=r),
    ),
    "KLDivLoss-log_target": LossCase(
        lambda **kw: nn.KLDivLoss(log_target=True, **kw),
        _log_probs,
        _log_probs,
        lambda t, p, y, r: _F(t).kl_div(p, y, reduction=r, log_target=True),
    ),
    "PoissonNLLLoss": LossCase(
        nn.PoissonNLLLoss,
        _normal,
        _counts,
        lambda t, p, y, r: _F(t).poisson_nll_loss(p, y, reduction=r),
    ),
    "PoissonNLLLoss-rates-full": LossCase(
        lambda **kw: nn.PoissonNLLLoss(log_input=False, full=True, **kw),
        _rates,
        _counts,
        lambda t, p, y, r: _F(t).poisson_nll_loss(p, y, log_input=False, full=True, reduction=r),
    ),
}
LOSS_IDS = list(LOSS_CASES)
# The cases with the prediction's own shape as target, for the shape checks.
SAME_SHAPE = [n for n, c in LOSS_CASES.items() if not c.labels]

REDUCTIONS = ["batchmean", "sum", "mean", "none"]


def _exported_losses() -> set[type]:
    return {
        obj
        for name in nn.__all__
        if inspect.isclass(obj := getattr(nn, name))
        and issubclass(obj, nn.Loss)
        and obj is not nn.Loss
    }


def test_every_layer_type_has_a_case() -> None:
    built = {type(factory(np.float64)) for _, factory, _ in CASES}
    built |= {nn.Dropout}  # checked through its fixed-mask subclass
    assert set(nn.registry.classes()) <= built
    covered = {type(case.factory()) for case in LOSS_CASES.values()}
    assert _exported_losses() <= covered, _exported_losses() - covered
    exported = {getattr(nn, n) for n in nn.__all__ if inspect.isclass(getattr(nn, n))}
    layers = {c for c in exported if issubclass(c, nn.Module) and not c.abstract}
    assert layers == set(nn.registry.classes())  # exported layers are exactly the registry


def test_generic_inputs_avoid_the_kinks() -> None:
    _, x = _inputs()
    assert np.abs(x).min() > 1e-3  # ReLU's kink, ≫ the central-difference step 1e-6
    assert np.abs(2.0 * x - 3.0).min() > 1e-3  # Softplus(beta=2, threshold=3) turns linear


def test_fixed_mask_dropout_really_drops() -> None:
    _, x = _inputs()
    y = _FixedMaskDropout(0.4)(x)
    assert 0 < np.count_nonzero(y == 0) < y.size
    np.testing.assert_allclose(y[y != 0], x[y != 0] / 0.6, rtol=1e-15)


def _grad_input(module: nn.Module, g: Any) -> Any:
    """∂J/∂x, or for an index input (Embedding) the parameters' gradients only (``None``)."""
    if isinstance(module, INDEXED):
        module.backward_params(g)
        return None
    return module.backward_input(g)


@pytest.mark.parametrize(("name", "factory", "inputs"), CASES, ids=IDS)
def test_module_backward_matches_central_differences(
    name: str, factory: Factory, inputs: Inputs
) -> None:
    module = factory(np.float64)
    rng, x = _inputs(inputs)
    out = module(x)
    upstream = rng.normal(size=out.shape)  # J = Σ upstream ⊙ y, so ∂J/∂y = upstream

    def J() -> float:
        return float(np.sum(upstream * module(x)))

    module.zero_grad()
    module(x)
    grad_input = _grad_input(module, upstream.copy())
    analytic = {n: p.grad.copy() for n, p in module.named_parameters()}

    if grad_input is not None:
        assert type(grad_input) is np.ndarray and grad_input.shape == x.shape
        assert relative_difference(grad_input, numerical_gradient(J, x, eps=1e-6)) < 1e-8
    for pname, p in module.named_parameters():
        numeric = numerical_gradient(J, p.data, eps=1e-6)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            numeric[module.padding_idx] = 0.0  # PyTorch's rule: that row gets no gradient
        assert relative_difference(analytic[pname], numeric) < 1e-8, pname


@pytest.mark.parametrize(("name", "factory", "inputs"), CASES, ids=IDS)
def test_module_is_pure(name: str, factory: Factory, inputs: Inputs) -> None:
    """New arrays each call, computed from the gradient's values only."""
    module = factory(np.float64)
    rng, x = _inputs(inputs)
    out = module(x)
    assert type(out) is np.ndarray and not np.shares_memory(out, x)
    saved = out.copy()
    module(x * 0.5 if x.dtype.kind == "f" else x[::-1].copy())
    np.testing.assert_array_equal(out, saved)
    module(x)
    g = rng.normal(size=out.shape)
    module.zero_grad()
    dx = _grad_input(module, g.copy())
    full = [p.grad.copy() for p in module.parameters()]
    module(x)
    module.zero_grad()
    half = _grad_input(module, 0.5 * g)
    for p, value in zip(module.parameters(), full):
        np.testing.assert_allclose(p.grad, 0.5 * value, rtol=1e-12, atol=1e-300)
    if dx is not None:
        np.testing.assert_allclose(half, 0.5 * dx, rtol=1e-12, atol=1e-300)
        assert not np.shares_memory(half, dx)


@pytest.mark.parametrize(("name", "factory", "inputs"), CASES, ids=IDS)
def test_module_inference_is_thread_safe(name: str, factory: Factory, inputs: Inputs) -> None:
    """Forward in eval mode from several threads at once gives the one-thread results.

    The documented contract (docs/reliability.md): inference only reads the parameters
    and buffers, and what forward caches for backward never feeds its own output.
    """
    module = factory(np.float64).eval()
    xs = [inputs(np.random.default_rng(seed)) for seed in range(300)]
    want = [module(x) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(module, xs))
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("name", "factory", "inputs"), CASES, ids=IDS)
def test_module_backward_before_forward_is_refused(
    name: str, factory: Factory, inputs: Inputs
) -> None:
    with pytest.raises(RuntimeError, match="before forward"):
        factory(np.float64).backward_input(np.ones((2, 3)))


@pytest.mark.parametrize(("name", "factory", "inputs"), CASES, ids=IDS)
def test_module_refuses_1d_input(name: str, factory: Factory, inputs: Inputs) -> None:
    module = factory(np.float64)
    if isinstance(module, INDEXED):  # (m,) indices are a batch; floats are refused
        with pytest.raises(ValueError, match="expects integer indices"):
            module(np.ones(4))
        return
    with pytest.raises(ValueError, match="one example per row"):
        module(np.ones(4))


@pytest.mark.parametrize(("name", "factory", "inputs"), CASES, ids=IDS)
def test_module_keeps_float32(name: str, factory: Factory, inputs: Inputs) -> None:
    module = factory(np.float32)
    x = inputs(np.random.default_rng(1))
    if x.dtype.kind == "f":
        x = x.astype(np.float32)
    out = module(x)
    assert out.dtype == np.float32
    dx = _grad_input(module, np.ones_like(out))
    assert dx is None or dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in module.parameters())


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize(("name", "factory", "inputs"), CASES, ids=IDS)
def test_module_equals_pytorch_autograd_in_float64(
    name: str, factory: Factory, inputs: Inputs
) -> None:
    torch = pytest.importorskip("torch")
    module = factory(np.float64)
    if isinstance(module, _FixedMaskDropout):  # torch's mask differs: compare the identity
        module = nn.Dropout(0.4).eval()
    rng, x = _inputs(inputs)
    theirs = to_torch(module)
    indexed = isinstance(module, INDEXED)
    xt = torch.tensor(x) if indexed else torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    g = rng.normal(size=tuple(yt.shape))
    yt.backward(torch.from_numpy(g))
    ours = module(x)
    np.testing.assert_allclose(ours, yt.detach().numpy(), rtol=1e-12, atol=1e-15)
    module.zero_grad()
    dx = _grad_input(module, g)
    if not indexed:
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-15)
    prefix = "0." if not isinstance(module, nn.Sequential) else ""
    grads = {n: p.grad for n, p in theirs.named_parameters()}
    for pname, p in module.named_parameters():
        np.testing.assert_allclose(p.grad, grads[prefix + pname].numpy(), rtol=1e-10, atol=1e-15)
    buffers = dict(theirs.named_buffers())
    for bname, b in module.named_buffers():  # BatchNorm's running statistics, after the step
        np.testing.assert_allclose(b, buffers[prefix + bname].numpy(), rtol=1e-12, atol=1e-15)


def _batch(case: LossCase, seed: int, shape: tuple[int, int] = (6, 4)) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    return case.pred(rng, shape), case.target(rng, shape)


def _value_and_grad(loss: nn.Loss, pred: Any, target: Any, upstream: Any) -> tuple[float, Any]:
    """J (Σ upstream ⊙ ℓ for reduction "none") and ∂J/∂pred by backward."""
    value = loss(pred, target)
    if loss.reduction == "none":
        return float(np.sum(upstream * value)), loss.backward(upstream)
    return float(value), loss.backward()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSS_IDS)
def test_loss_backward_matches_central_differences(name: str, reduction: str) -> None:
    case = LOSS_CASES[name]
    loss = case.factory(reduction=reduction)
    pred, target = _batch(case, 3)
    upstream = np.random.default_rng(9).normal(
        size=pred.shape[:1] if loss.per_example else pred.shape
    )
    value, grad = _value_and_grad(loss, pred, target, upstream)
    assert isinstance(value, float)
    assert type(grad) is np.ndarray and grad.shape == pred.shape

    def J() -> float:
        return _value_and_grad(loss, pred, target, upstream)[0]

    numeric = numerical_gradient(J, pred, eps=1e-6)
    assert relative_difference(grad, numeric) < 1e-8


def _torch_value(torch: Any, case: LossCase, pt: Any, yt: Any, reduction: str) -> Any:
    """PyTorch's loss for our ``reduction`` (see the reduction table of ``nn.loss_base``)."""
    m, k = pt.shape
    if reduction in ("sum", "none"):
        return case.torch_fn(torch, pt, yt, reduction)
    if case.labels:  # one loss per example: batchmean is PyTorch's (weighted) mean
        mean = case.torch_fn(torch, pt, yt, "mean")
        return mean if reduction == "batchmean" else mean / k
    total = case.torch_fn(torch, pt, yt, "sum")
    return total / m if reduction == "batchmean" else total / (m * k)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSS_IDS)
def test_loss_equals_pytorch_in_float64(name: str, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    case = LOSS_CASES[name]
    pred, target = _batch(case, 8)
    pt = torch.tensor(pred, requires_grad=True)
    yt = torch.from_numpy(target)
    theirs = _torch_value(torch, case, pt, yt, reduction)
    upstream = np.random.default_rng(2).normal(size=tuple(theirs.shape))
    theirs.backward(torch.from_numpy(upstream) if reduction == "none" else None)
    loss = case.factory(reduction=reduction)
    ours = loss(pred, target)
    if reduction == "none":
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-13, atol=1e-15)
        grad = loss.backward(upstream)
    else:
        assert ours == pytest.approx(theirs.item(), rel=1e-13, abs=1e-15)
        grad = loss.backward()
    np.testing.assert_allclose(grad, pt.grad.numpy(), rtol=1e-11, atol=1e-16)


@pytest.mark.parametrize("name", LOSS_IDS)
def test_loss_reductions_are_related_by_the_batch_weight_and_k(name: str) -> None:
    case = LOSS_CASES[name]
    pred, target = _batch(case, 4)
    total = case.factory(reduction="sum")(pred, target)
    per_element = case.factory(reduction="none")(pred, target)
    assert float(np.sum(per_element)) == pytest.approx(total, rel=1e-13)
    loss = case.factory(reduction="batchmean")
    W = loss.total_weight(np.asarray(target), None)  # m, unless class weights or ignored labels
    if not case.labels or (name.endswith("labels") and "weight" not in name):
        assert W == 6
    assert loss(pred, target) == pytest.approx(total / W, rel=1e-14)
    assert case.factory(reduction="mean")(pred, target) == pytest.approx(total / (4 * W), rel=1e-14)


@pytest.mark.parametrize("name", LOSS_IDS)
def test_sample_weights_weight_each_example(name: str) -> None:
    """s_i ℓ_i summed; batchmean divides by Σ s_i ω_i; a weight of 2 is the example twice."""
    case = LOSS_CASES[name]
    pred, target = _batch(case, 5)
    s = np.array([1.0, 2.0, 0.0, 0.5, 1.0, 3.0])
    per_example = case.factory(reduction="none")(pred, target)
    per_example = per_example if per_example.ndim == 1 else per_example.sum(axis=1)
    weighted = case.factory(reduction="sum")
    assert weighted(pred, target, sample_weight=s) == pytest.approx(
        float(s @ per_example), rel=1e-13
    )
    g = weighted.backward()
    numeric = numerical_gradient(lambda: weighted(pred, target, sample_weight=s), pred, eps=1e-6)
    assert relative_difference(g, numeric) < 1e-8
    # Integer weights are repeats: batchmean with s equals batchmean over the repeated rows.
    counts = np.array([1, 2, 0, 1, 1, 3])
    rows = np.repeat(np.arange(6), counts)
    loss = case.factory()
    assert loss(pred, target, sample_weight=counts) == pytest.approx(
        case.factory()(pred[rows], np.asarray(target)[rows]), rel=1e-13
    )


@pytest.mark.parametrize("name", [*SAME_SHAPE, "CrossEntropyLoss-labels"])
def test_loss_refuses_shape_mismatch_early_backward_and_empty_batches(name: str) -> None:
    case = LOSS_CASES[name]
    rng = np.random.default_rng(5)
    factory = case.factory
    cls_name = type(factory()).__name__
    with pytest.raises(RuntimeError, match="before"):
        factory().backward()
    if not case.labels:
        with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\).*reshape"):
            factory()(case.pred(rng, (4, 1)), case.target(rng, (4, 1)).ravel())
    with pytest.raises(ValueError, match=f"{cls_name}: the batch has 0 rows"):
        factory()(np.empty((0, 3)), np.empty((0, 3)))


@pytest.mark.parametrize("name", LOSS_IDS)
def test_loss_refuses_bad_sample_weights_and_upstream(name: str) -> None:
    case = LOSS_CASES[name]
    pred, target = _batch(case, 6)
    who = type(case.factory()).__name__
    with pytest.raises(ValueError, match=rf"{who}: sample_weight has shape \(5,\).*expected 6"):
        case.factory()(pred, target, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match=rf"{who}: sample_weight must be >= 0; got min -1.0"):
        case.factory()(pred, target, sample_weight=-np.ones(6))
    with pytest.raises(ValueError, match=f"{who}: the batch's total weight is 0.0"):
        case.factory()(pred, target, sample_weight=np.zeros(6))
    none = case.factory(reduction="none")
    none(pred, target)
    with pytest.raises(ValueError, match="reduction='none' returns one loss per element"):
        none.backward()
    with pytest.raises(ValueError, match="grad_output has shape"):
        none.backward(np.ones((2, 2)))
    scalar = case.factory()
    scalar(pred, target)
    with pytest.raises(ValueError, match="grad_output must be a scalar"):
        scalar.backward(np.ones(3))
    np.testing.assert_allclose(scalar.backward(2.0), 2.0 * scalar.backward(), rtol=1e-15)


@pytest.mark.parametrize("name", LOSS_IDS)
def test_loss_keeps_float32(name: str) -> None:
    case = LOSS_CASES[name]
    pred, target = _batch(case, 6)
    loss = case.factory()
    loss(pred.astype(np.float32), target)
    assert loss.backward().dtype == np.float32
