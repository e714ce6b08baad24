"""The one contract, checked over every registered module and every loss of the package.

The cases come from the registry of layer types (``nn.registry``): a new layer is in
these tests the moment its class exists. A class whose constructor needs arguments gets
them from ``ARGS`` below; a class missing there fails ``test_every_layer_type_has_a_case``.
Each case runs the same checks: central differences on the input and every parameter,
float32 kept, the plain-array contract, and (with torch installed) values and gradients
equal to PyTorch's autograd in float64.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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

# The constructor arguments of each class that needs (or has interesting) ones; every
# other registered class is built as cls(). Values away from the defaults.
ARGS: dict[type, list[tuple[str, Factory]]] = {
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
}


def _cases() -> list[tuple[str, Factory]]:
    cases: list[tuple[str, Factory]] = []
    for cls in nn.registry.classes():
        cases += ARGS.get(cls, [(cls.__name__, lambda dt, cls=cls: cls())])
    return cases


CASES = _cases()
IDS = [name for name, _ in CASES]


def _inputs(n_in: int = 4) -> tuple[np.random.Generator, Any]:
    rng = np.random.default_rng(7)
    return rng, rng.normal(size=(5, n_in))


def _probs(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.uniform(0.05, 0.95, size=shape)


def _normal(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    return rng.normal(size=shape)


def _distributions(rng: np.random.Generator, shape: tuple[int, int]) -> Any:
    """Rows of probabilities summing to 1 (soft targets; labels are checked elsewhere)."""
    return rng.dirichlet(np.ones(shape[1]), size=shape[0])


# factory, prediction sampler, target sampler
LOSSES: dict[type, tuple[Callable[..., nn.Loss], Any, Any]] = {
    nn.MSELoss: (nn.MSELoss, _normal, _normal),
    nn.BCELoss: (nn.BCELoss, _probs, _probs),
    nn.BCEWithLogitsLoss: (nn.BCEWithLogitsLoss, _normal, _probs),
    nn.CrossEntropyLoss: (nn.CrossEntropyLoss, _normal, _distributions),
}

REDUCTIONS = ["batchmean", "sum", "mean"]


def _exported_losses() -> set[type]:
    return {
        obj
        for name in nn.__all__
        if inspect.isclass(obj := getattr(nn, name))
        and issubclass(obj, nn.Loss)
        and obj is not nn.Loss
    }


def test_every_layer_type_has_a_case() -> None:
    built = {type(factory(np.float64)) for _, factory in CASES}
    built |= {nn.Dropout}  # checked through its fixed-mask subclass
    assert set(nn.registry.classes()) <= built
    assert _exported_losses() <= set(LOSSES), _exported_losses() - set(LOSSES)
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


@pytest.mark.parametrize(("name", "factory"), CASES, ids=IDS)
def test_module_backward_matches_central_differences(name: str, factory: Factory) -> None:
    module = factory(np.float64)
    rng, x = _inputs()
    out = module(x)
    upstream = rng.normal(size=out.shape)  # J = Σ upstream ⊙ y, so ∂J/∂y = upstream

    def J() -> float:
        return float(np.sum(upstream * module(x)))

    module.zero_grad()
    module(x)
    grad_input = module.backward_input(upstream.copy())
    analytic = {n: p.grad.copy() for n, p in module.named_parameters()}

    assert type(grad_input) is np.ndarray and grad_input.shape == x.shape
    assert relative_difference(grad_input, numerical_gradient(J, x, eps=1e-6)) < 1e-8
    for pname, p in module.named_parameters():
        numeric = numerical_gradient(J, p.data, eps=1e-6)
        assert relative_difference(analytic[pname], numeric) < 1e-8, pname


@pytest.mark.parametrize(("name", "factory"), CASES, ids=IDS)
def test_module_is_pure(name: str, factory: Factory) -> None:
    """New arrays each call, computed from the gradient's values only."""
    module = factory(np.float64)
    rng, x = _inputs()
    out = module(x)
    assert type(out) is np.ndarray and not np.shares_memory(out, x)
    saved = out.copy()
    module(x * 0.5)
    np.testing.assert_array_equal(out, saved)
    module(x)
    g = rng.normal(size=out.shape)
    dx = module.backward_input(g.copy())
    module(x)
    half = module.backward_input(0.5 * g)
    np.testing.assert_allclose(half, 0.5 * dx, rtol=1e-12, atol=1e-300)
    assert not np.shares_memory(half, dx)


@pytest.mark.parametrize(("name", "factory"), CASES, ids=IDS)
def test_module_inference_is_thread_safe(name: str, factory: Factory) -> None:
    """Forward in eval mode from several threads at once gives the one-thread results.

    The documented contract (docs/reliability.md): inference only reads the parameters,
    and what forward caches for backward never feeds its own output. (The first core
    gave 30 wrong outputs of 300 from two threads: layers wrote into shared buffers.)
    """
    module = factory(np.float64).eval()
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(int(rng.integers(1, 40)), 4)) for _ in range(400)]
    want = [module(x) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(module, xs))
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("name", "factory"), CASES, ids=IDS)
def test_module_backward_before_forward_is_refused(name: str, factory: Factory) -> None:
    with pytest.raises(RuntimeError, match="before forward"):
        factory(np.float64).backward_input(np.ones((2, 3)))


@pytest.mark.parametrize(("name", "factory"), CASES, ids=IDS)
def test_module_refuses_1d_input(name: str, factory: Factory) -> None:
    with pytest.raises(ValueError, match="one example per row"):
        factory(np.float64)(np.ones(4))


@pytest.mark.parametrize(("name", "factory"), CASES, ids=IDS)
def test_module_keeps_float32(name: str, factory: Factory) -> None:
    module = factory(np.float32)
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    out = module(x)
    assert out.dtype == np.float32
    assert module.backward_input(np.ones_like(out)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in module.parameters())


@pytest.mark.parametrize(("name", "factory"), CASES, ids=IDS)
def test_module_equals_pytorch_autograd_in_float64(name: str, factory: Factory) -> None:
    torch = pytest.importorskip("torch")
    module = factory(np.float64)
    if isinstance(module, _FixedMaskDropout):  # torch's mask differs: compare the identity
        module = nn.Dropout(0.4).eval()
    rng, x = _inputs()
    theirs = to_torch(module)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    g = rng.normal(size=tuple(yt.shape))
    yt.backward(torch.from_numpy(g))
    ours = module(x)
    np.testing.assert_allclose(ours, yt.detach().numpy(), rtol=1e-12, atol=1e-15)
    module.zero_grad()
    dx = module.backward_input(g)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-15)
    prefix = "0." if not isinstance(module, nn.Sequential) else ""
    grads = {n: p.grad for n, p in theirs.named_parameters()}
    for pname, p in module.named_parameters():
        np.testing.assert_allclose(p.grad, grads[prefix + pname].numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_backward_matches_central_differences(cls: type, reduction: str) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    loss = factory(reduction=reduction)
    rng = np.random.default_rng(3)
    pred, target = pred_of(rng, (4, 3)), target_of(rng, (4, 3))
    value = loss(pred, target)
    assert isinstance(value, float)
    grad = loss.backward()
    assert type(grad) is np.ndarray
    numeric = numerical_gradient(lambda: loss(pred, target), pred, eps=1e-6)
    assert relative_difference(grad, numeric) < 1e-8


def _torch_total(torch: Any, cls: type, pred: Any, target: Any) -> Any:
    """Σℓ by PyTorch for our loss ``cls`` (our MSE has the notes' ½)."""
    F = torch.nn.functional
    if cls is nn.MSELoss:
        return 0.5 * F.mse_loss(pred, target, reduction="sum")
    if cls is nn.BCELoss:
        return F.binary_cross_entropy(pred, target, reduction="sum")
    if cls is nn.BCEWithLogitsLoss:
        return F.binary_cross_entropy_with_logits(pred, target, reduction="sum")
    return F.cross_entropy(pred, target, reduction="sum")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_equals_pytorch_in_float64(cls: type, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    factory, pred_of, target_of = LOSSES[cls]
    rng = np.random.default_rng(8)
    pred, target = pred_of(rng, (6, 4)), target_of(rng, (6, 4))
    scale = {"batchmean": 1 / 6, "sum": 1.0, "mean": 1 / 24}[reduction]
    pt = torch.tensor(pred, requires_grad=True)
    J_torch = scale * _torch_total(torch, cls, pt, torch.from_numpy(target))
    J_torch.backward()
    loss = factory(reduction=reduction)
    assert loss(pred, target) == pytest.approx(J_torch.item(), rel=1e-13)
    np.testing.assert_allclose(loss.backward(), pt.grad.numpy(), rtol=1e-11, atol=1e-16)


@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_reductions_are_related_by_m_and_k(cls: type) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    rng = np.random.default_rng(4)
    pred, target = pred_of(rng, (6, 4)), target_of(rng, (6, 4))
    total = factory(reduction="sum")(pred, target)
    assert factory(reduction="batchmean")(pred, target) == pytest.approx(total / 6, rel=1e-14)
    assert factory(reduction="mean")(pred, target) == pytest.approx(total / 24, rel=1e-14)


@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_refuses_shape_mismatch_early_backward_and_empty_batches(cls: type) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    rng = np.random.default_rng(5)
    with pytest.raises(RuntimeError, match="before"):
        factory().backward()
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\).*reshape"):
        factory()(pred_of(rng, (4, 1)), target_of(rng, (4, 1)).ravel())
    with pytest.raises(ValueError, match=f"{cls.__name__}: the batch has 0 rows"):
        factory()(np.empty((0, 3)), np.empty((0, 3)))


@pytest.mark.parametrize("cls", list(LOSSES), ids=lambda c: c.__name__)
def test_loss_keeps_float32(cls: type) -> None:
    factory, pred_of, target_of = LOSSES[cls]
    rng = np.random.default_rng(6)
    pred = pred_of(rng, (3, 2)).astype(np.float32)
    loss = factory()
    loss(pred, target_of(rng, (3, 2)))
    assert loss.backward().dtype == np.float32
