"""A Module subclass with only ``forward`` gets its backward by replaying the chain of calls.

The recording is the module's own: a new tape per forward call, on the module itself;
the children are never touched. A break of the chain is refused at backward, naming
the call and saying what to do instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim, train
from minitorch_bp.gradcheck import gradcheck, numerical_gradient, relative_difference


class Net(nn.Module):
    """The PyTorch way: layers in __init__, a forward that calls them one after the other."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 5, rng=seed)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(5, 2, rng=seed + 1)

    def forward(self, x: Any) -> Any:
        h = self.act(self.fc1(x))
        return self.fc2(h)


class Outer(nn.Module):
    """Custom modules nested in custom modules, and a Sequential iterated by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = Net(seed=3)
        self.body = nn.Sequential(nn.Sigmoid(), nn.Linear(2, 4, rng=5), nn.ReLU())
        self.head = nn.Linear(4, 1, rng=6)

    def forward(self, x: Any) -> Any:
        x = self.inner(x)
        for layer in self.body:
            x = layer(x)
        return self.head(x)


def _input_grad_error(net: nn.Module, X: Any, g: Any) -> float:
    """backward_input against central differences of J = Σ g ⊙ net(X)."""

    def J() -> float:
        return float(np.sum(g * net(X)))

    net(X)
    return relative_difference(net.backward_input(g), numerical_gradient(J, X, eps=1e-6))


def _data(m: int = 6) -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(m, 3)), rng.normal(size=(m, 2))


def test_forward_only_module_backward_equals_the_sequential_it_spells() -> None:
    X, _ = _data()
    net = Net()
    seq = nn.Sequential(nn.Linear(3, 5, rng=0), nn.Tanh(), nn.Linear(5, 2, rng=1))
    g = np.random.default_rng(1).normal(size=(6, 2))
    np.testing.assert_array_equal(net(X), seq(X))
    dx_net = net.backward_input(g)
    dx_seq = seq.backward(g, input_grad=True)
    np.testing.assert_array_equal(dx_net, dx_seq)
    for p, q in zip(net.parameters(), seq.parameters(), strict=True):
        np.testing.assert_array_equal(p.grad, q.grad)


def test_backward_matches_central_differences_for_the_input_and_every_parameter() -> None:
    X, Y = _data()
    net = Outer()
    mse = nn.MSELoss()
    assert gradcheck(net, mse, X, Y[:, :1], l2=0.5) < 1e-9
    assert _input_grad_error(net, X, np.random.default_rng(2).normal(size=(6, 1))) < 1e-8


def test_at_the_top_backward_returns_none_like_sequential_and_skips_dx() -> None:
    X, Y = _data()
    net, mse = Net(), nn.MSELoss()
    mse(net(X), Y)
    assert net.backward(mse.backward()) is None
    grads = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    mse(net(X), Y)
    net.backward_params(mse.backward())
    for p, value in zip(net.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, value)


def test_a_custom_module_inside_a_sequential_and_in_the_engine() -> None:
    X, Y = _data(8)

    def trained(engine: bool) -> list[Any]:
        model = nn.Sequential(Net(seed=2), nn.Sigmoid())
        step = train.compile_step(
            model, nn.BCELoss(), optim.Adam(model.parameters(), lr=0.05, l2=1.0), engine=engine
        )
        for _ in range(20):
            step(X, 1 / (1 + np.exp(-Y)))
        return [p.data.copy() for p in model.parameters()]

    for a, b in zip(trained(True), trained(False), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_eval_mode_records_as_train_mode_does() -> None:
    class Regularised(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 4, rng=0)
            self.norm = nn.BatchNorm1d(4)
            self.drop = nn.Dropout(0.5, rng=0)

        def forward(self, x: Any) -> Any:
            return self.drop(self.norm(self.fc(x)))

    X, _ = _data()
    net = Regularised()
    net(X)
    net.eval()
    assert _input_grad_error(net, X, np.ones((6, 4))) < 1e-8


def test_the_children_are_not_touched_and_each_forward_has_its_own_tape() -> None:
    X, _ = _data()
    net = Net()
    before = {name: set(vars(child)) for name, child in net.named_children()}
    net(X)
    tape = net.__dict__["_tape"]
    net(2 * X)
    assert net.__dict__["_tape"] is not tape  # a new recording per forward call
    assert {name: set(vars(child)) for name, child in net.named_children()} == before
    assert net.fc1 is net._modules["fc1"]  # outside forward, the child itself
    assert [c.path for c in net.__dict__["_tape"].calls] == ["self.fc1", "self.act", "self.fc2"]


def test_inside_forward_the_children_look_like_themselves() -> None:
    seen: list[bool] = []

    class Probe(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 2, rng=0)

        def forward(self, x: Any) -> Any:
            seen.append(isinstance(self.fc, nn.Linear) and self.fc.out_features == 2)
            return self.fc(x)

    Probe()(np.ones((1, 3)))
    assert seen == [True]


def _module(forward: Any, **children: nn.Module) -> nn.Module:
    cls = type("Custom", (nn.Module,), {"forward": forward})
    module = cls()
    for name, child in children.items():
        setattr(module, name, child)
    return module


def _fc(i: int = 0) -> nn.Linear:
    return nn.Linear(3, 3, rng=i)


@pytest.mark.parametrize(
    ("forward", "message"),
    [
        # a skip connection written by hand
        (lambda self, x: self.b(self.a(x)) + x, r"returned an array computed outside a module"),
        # arithmetic between two calls
        (
            lambda self, x: self.b(2 * self.a(x)),
            r"call 2, self\.b \(Linear\), got an array computed outside a module",
        ),
        # two branches from the same input
        (
            lambda self, x: self.b(self.a(x)) * 0 + self.c(self.a2(x)),
            r"call 3, self\.a2 \(Linear\), got the forward's input a second time",
        ),
        (lambda self, x: x * 2, r"made no call of a sub-module"),
    ],
)
def test_a_broken_chain_is_refused_at_backward_naming_the_call(forward: Any, message: str) -> None:
    module = _module(forward, a=_fc(0), b=_fc(1), c=_fc(2), a2=_fc(3))
    x = np.ones((2, 3))
    module(x)  # forward itself works: only backward needs the chain
    with pytest.raises(RuntimeError, match=message) as info:
        module.backward_input(np.ones((2, 3)))
    text = str(info.value)
    assert "write Custom.backward by hand" in text.replace("Write", "write")
    assert "nn.Residual" in text


def test_an_output_used_twice_is_named() -> None:
    module = _module(
        lambda self, x: self.c(self.b(self.a(x)) + 0 * self.a(x)), a=_fc(0), b=_fc(1), c=_fc(2)
    )
    module(np.ones((2, 3)))
    with pytest.raises(
        RuntimeError, match=r"calls self\.a twice \(call 1, self\.a \(Linear\) and call 3\)"
    ):
        module.backward_input(np.ones((2, 3)))


def test_the_output_of_an_earlier_call_used_again_is_named() -> None:
    def forward(self: Any, x: Any) -> Any:
        h = self.a(x)
        self.b(h)
        return self.c(h)

    module = _module(forward, a=_fc(0), b=_fc(1), c=_fc(2))
    module(np.ones((2, 3)))
    with pytest.raises(
        RuntimeError,
        match=r"call 3, self\.c \(Linear\), got the output of call 1, self\.a \(Linear\) a second time, not the output of call 2",
    ):
        module.backward_input(np.ones((2, 3)))


def test_modules_in_a_list_are_not_sub_modules_and_the_message_says_so() -> None:
    class Listed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = [nn.Linear(3, 3, rng=0)]

        def forward(self, x: Any) -> Any:
            return self.layers[0](x)

    module = Listed()
    module(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match="kept in a list or dict are not sub-modules"):
        module.backward(np.ones((1, 3)))


def test_backward_before_forward_and_after_a_failed_forward_are_refused() -> None:
    net = Net()
    with pytest.raises(RuntimeError, match="Net: backward called before forward"):
        net.backward_input(np.ones((2, 2)))
    net(np.ones((2, 3)))
    with pytest.raises(ValueError, match="4 columns"):
        net(np.ones((2, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        net.backward_input(np.ones((2, 2)))
    net.forward(np.ones((2, 3)))  # forward called directly records nothing
    with pytest.raises(RuntimeError, match="before forward"):
        net.backward(np.ones((2, 2)))


def test_a_hand_written_backward_keeps_working_and_records_nothing() -> None:
    class Double(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3, rng=0)

        def forward(self, x: Any) -> Any:
            return 2 * self.fc(x)

        def backward(self, grad_output: Any) -> Any:
            return self.fc.backward(2 * grad_output)

    layer = Double()
    assert not Double.auto_chain and Net.auto_chain and not nn.Linear.auto_chain
    x = np.ones((2, 3))
    layer(x)
    assert "_tape" not in vars(layer)
    np.testing.assert_allclose(
        layer.backward_input(np.ones((2, 3))), 2 * np.ones((2, 3)) @ layer.fc.weight.data
    )


def test_errors_of_a_child_name_the_call() -> None:
    net = Net()
    net(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Net call 3, self\.fc2 \(Linear\): .*expected \(2, 2\)"):
        net.backward_input(np.ones((2, 5)))
