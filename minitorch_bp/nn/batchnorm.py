r"""Batch normalisation: each channel standardised over the batch, then scaled and shifted.

In training the statistics are the batch's own, so every example's output depends on
every other example of the batch, and δ for the input has three terms (see
:class:`BatchNorm1d`); running averages of the statistics, kept as *buffers*, replace
them in evaluation.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import DTypeLike, NDArray

from minitorch_bp._validation import (
    as_grad,
    as_spatial,
    check_finite_number,
    check_float_dtype,
    check_input_dtype,
    check_positive,
    check_positive_int,
)
from minitorch_bp.nn.export import OnnxGraph, reduce_mean
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]


def standardised_input_grad(
    g_hat: Array, x_hat: Array, inv_std: Array, axes: tuple[int, ...]
) -> Array:
    r"""δ for the input of :math:`\hat x = (x - \mu)/\hat\sigma` with :math:`\mu, \sigma` over ``axes``.

    The three terms: :math:`\hat\delta` itself, minus its mean (:math:`\mu` moves with every
    :math:`x`), minus :math:`\hat x` times the mean of :math:`\hat\delta\hat x` (:math:`\sigma`
    moves with every :math:`x`), all over :math:`\hat\sigma`. Batch and layer normalisation
    differ only in ``axes``.
    """
    dx: Array = g_hat - np.mean(g_hat, axis=axes, keepdims=True)
    dx -= x_hat * np.mean(g_hat * x_hat, axis=axes, keepdims=True)
    dx *= inv_std
    return dx


class _BatchNorm(Module):
    """What :class:`BatchNorm1d` and :class:`BatchNorm2d` share; they differ in the shapes taken."""

    abstract = True
    layouts: ClassVar[tuple[str, ...]]
    config_keys = ("num_features", "eps", "momentum", "affine", "track_running_stats", "dtype")

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        self.num_features = check_positive_int(num_features, "num_features", who)
        self.eps = check_positive(eps, "eps", who)
        if momentum is not None:
            momentum = check_finite_number(momentum, "momentum", who)
            if not 0.0 <= momentum <= 1.0:
                raise ValueError(f"{who}: momentum={momentum!r} must be in [0, 1] (or None)")
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dt = check_float_dtype(dtype, who)
        self._dtype = dt
        c = self.num_features
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if self.affine:
            # γ and β scale and shift each channel; they are not the Θ between units that the
            # notes' λ penalises, so λ leaves them alone (as it leaves the biases).
            self.weight = Parameter(np.ones(c, dt), regularized=False)
            if bias:
                self.bias = Parameter(np.zeros(c, dt), regularized=False)
        self.running_mean: Array | None = None
        self.running_var: Array | None = None
        self.num_batches_tracked: Array | None = None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, dt))
            self.register_buffer("running_var", np.ones(c, dt))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        self._cache: tuple[Array, Array, bool] | None = None  # x̂, 1/σ̂ (broadcastable), batch stats?

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dtype

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch counted, as when built."""
        if self.track_running_stats:
            assert self.running_mean is not None and self.running_var is not None
            assert self.num_batches_tracked is not None
            self.running_mean.fill(0.0)
            self.running_var.fill(1.0)
            self.num_batches_tracked.fill(0)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        ok = any(layout.count(",") + 1 == len(input_shape) for layout in self.layouts)
        return tuple(input_shape) if ok and input_shape[1] == self.num_features else None

    def _check_input(self, value: Any) -> Array:
        x = value if isinstance(value, np.ndarray) else np.asarray(value)
        layout = next(
            (lay for lay in self.layouts if lay.count(",") + 1 == x.ndim), self.layouts[-1]
        )
        x = as_spatial(x, repr(self), layout)
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r} got input with {x.shape[1]} channels (shape {x.shape}); expected"
                f" num_features={self.num_features} on the axis after the examples"
            )
        check_input_dtype(x, self._dtype, repr(self))
        return x

    def _shape(self, x: Array) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        """The reduced axes, the per-channel broadcast shape, and n (values per channel)."""
        axes = (0, *range(2, x.ndim))
        return axes, (1, self.num_features) + (1,) * (x.ndim - 2), x.size // self.num_features

    def forward(self, x: Array) -> Array:
        r"""Standardise with the batch's statistics (training) or the running ones (evaluation)."""
        x = self._check_input(x)
        axes, per_channel, n = self._shape(x)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            if self.training and n == 1:
                raise ValueError(
                    f"{self!r}: expected more than 1 value per channel when training, got input"
                    f" of shape {x.shape} (the variance of one value is 0)"
                )
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(per_channel)
            var = np.mean(centred * centred, axis=axes)
            if self.training and self.track_running_stats:
                self._update_running(mean, var, n)
        else:
            assert self.running_mean is not None and self.running_var is not None
            var = self.running_var
            centred = x - self.running_mean.reshape(per_channel)
        inv_std = (1.0 / np.sqrt(var + self.eps)).reshape(per_channel)
        x_hat: Array = centred * inv_std
        self._cache = (x_hat, inv_std, use_batch)
        if self.weight is None:
            return x_hat
        out: Array = x_hat * self.weight.data.reshape(per_channel)
        if self.bias is not None:
            out += self.bias.data.reshape(per_channel)
        return out

    def _update_running(self, mean: Array, var: Array, n: int) -> None:
        assert self.running_mean is not None and self.running_var is not None
        assert self.num_batches_tracked is not None
        self.num_batches_tracked += 1
        # momentum=None: a cumulative average over the batches seen
        factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        # PyTorch's rule: the running variance averages the unbiased batch variance.
        self.running_mean *= 1.0 - factor
        self.running_mean += factor * mean
        self.running_var *= 1.0 - factor
        self.running_var += factor * var * (n / (n - 1))

    def backward(self, grad_output: Array) -> Array:
        r"""Add :math:`\partial J/\partial\gamma = \sum \delta\,\hat x`, :math:`\partial J/\partial\beta = \sum\delta`; return δ for the input.

        With the batch's statistics, the three-term formula of :class:`BatchNorm1d`; with
        the running ones, :math:`\gamma\,\delta/\hat\sigma`.
        """
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        x_hat, inv_std, use_batch = self._cache
        g = as_grad(grad_output, x_hat.shape, self).astype(self._dtype, copy=False)
        axes, per_channel, _n = self._shape(x_hat)
        if self.weight is not None:
            weight_grad = self.weight.grad
            weight_grad += np.sum(g * x_hat, axis=axes)
            if self.bias is not None:
                bias_grad = self.bias.grad
                bias_grad += np.sum(g, axis=axes)
            g_hat = g * self.weight.data.reshape(per_channel)  # ∂J/∂x̂
        else:
            g_hat = g
        if not use_batch:
            out: Array = g_hat * inv_std
            return out
        return standardised_input_grad(g_hat, x_hat, inv_std, axes)

    # ----------------------------------------------------------------- export
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            "dtype": str(self._dtype),
        }
        if self.affine and self.bias is None:  # PyTorch's newer argument, given only when used
            config["bias"] = False
        return config

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum},"
            f" affine={self.affine}, bias={self.bias is not None},"
            f" track_running_stats={self.track_running_stats}"
        )

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        """The arguments of the layer equivalent to the ``torch.nn`` batch norm ``module``."""
        tensor = module.weight if module.weight is not None else module.running_mean
        dtype = "float32" if tensor is None else str(tensor.dtype).replace("torch.", "")
        kwargs: dict[str, Any] = {
            "num_features": int(module.num_features),
            "eps": float(module.eps),
            "momentum": None if module.momentum is None else float(module.momentum),
            "affine": bool(module.affine),
            "track_running_stats": bool(module.track_running_stats),
            "dtype": dtype,
        }
        if module.affine and module.bias is None:
            kwargs["bias"] = False
        return kwargs

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """The evaluation-mode layer: ``BatchNormalization`` with the running statistics.

        Without running statistics (``track_running_stats=False``) evaluation uses the
        batch's, computed with ``ReduceMean``. In a float64 graph an ``eps`` that float32
        cannot hold (1e-5) makes ``BatchNormalization``'s 32-bit ``epsilon`` attribute
        inexact, so the same formula is written out with ``eps`` as a tensor.
        """
        c = self.num_features
        ones, zeros = np.ones(c), np.zeros(c)
        gamma = self.weight.data if self.weight is not None else ones
        beta = self.bias.data if self.bias is not None else zeros
        if (
            self.running_mean is not None
            and self.running_var is not None
            and graph.float_attribute_is_exact(self.eps)
        ):
            return graph.node(
                "BatchNormalization",
                [
                    x,
                    graph.constant(gamma, "weight"),
                    graph.constant(beta, "bias"),
                    graph.constant(self.running_mean, "running_mean"),
                    graph.constant(self.running_var, "running_var"),
                ],
                epsilon=self.eps,
            )
        shape = graph.shape(x)
        rank = 4 if shape is None else len(shape)
        per_channel = (c,) + (1,) * (rank - 2)
        axes = [0, *range(2, rank)]
        if self.running_mean is not None and self.running_var is not None:
            mean = graph.constant(self.running_mean.reshape(per_channel), "running_mean")
            var = graph.constant(self.running_var.reshape(per_channel), "running_var")
            centred = graph.node("Sub", [x, mean])
        else:
            centred = graph.node("Sub", [x, reduce_mean(graph, x, axes)])
            var = reduce_mean(graph, graph.node("Mul", [centred, centred]), axes)
        std = graph.node("Sqrt", [graph.node("Add", [var, graph.constant(self.eps)])])
        x_hat = graph.node("Div", [centred, std])
        scaled = graph.node("Mul", [x_hat, graph.constant(gamma.reshape(per_channel), "weight")])
        return graph.node("Add", [scaled, graph.constant(beta.reshape(per_channel), "bias")])


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation of ``(m, C)`` or ``(m, C, L)`` input, PyTorch's ``BatchNorm1d``.

    For each channel :math:`c`, over the :math:`n` values it has in the batch
    (:math:`n = m`, or :math:`mL`):

    .. math::
        \mu = \frac1n\sum x, \quad \sigma^2 = \frac1n\sum (x - \mu)^2, \quad
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad y = \gamma\hat x + \beta.

    δ for the input (training, batch statistics): with :math:`\hat\delta = \gamma\,\delta`
    (:math:`\partial J/\partial\hat x`) and :math:`\hat\sigma = \sqrt{\sigma^2 + \epsilon}`,
    the three-term formula

    .. math::
        \frac{\partial J}{\partial x} = \frac{1}{\hat\sigma}\Big(\hat\delta
        - \frac1n\sum\hat\delta - \hat x\,\frac1n\sum\hat\delta\,\hat x\Big),

    the first term the direct path, the second through :math:`\mu`, the third through
    :math:`\sigma`. In evaluation (running statistics) only the first remains,
    :math:`\gamma\,\delta/\hat\sigma`.

    Running statistics: each training forward updates the buffers
    :math:`\hat\mu \leftarrow (1 - \text{momentum})\hat\mu + \text{momentum}\,\mu` and
    :math:`\hat\sigma^2 \leftarrow (1 - \text{momentum})\hat\sigma^2 + \text{momentum}\,\frac{n}{n - 1}\sigma^2`
    (the unbiased variance, as PyTorch), and counts the batch in ``num_batches_tracked``;
    ``momentum=None`` averages every batch so far equally.

    Args:
        num_features: :math:`C`, the channels (the axis after the examples).
        eps: :math:`\epsilon`, added to the variance (default 1e-5).
        momentum: the running averages' weight of a new batch (default 0.1), or ``None``.
        affine: learn :math:`\gamma` (``weight``, starts at 1) and :math:`\beta` (``bias``,
            starts at 0); neither is regularised by λ. ``False``: :math:`y = \hat x`.
        bias: ``False`` (keyword only, as in PyTorch) learns :math:`\gamma` alone.
        track_running_stats: keep the running statistics (buffers ``running_mean``,
            ``running_var``, ``num_batches_tracked``) and use them in :meth:`eval` mode;
            ``False`` uses the batch's statistics in both modes.
        dtype: ``np.float64`` (default) or ``np.float32``; inputs must match.

    Shape:
        - Input: :math:`(m, C)` or :math:`(m, C, L)`. Output: the same.

    Caches:
        :math:`\hat x` and :math:`1/\hat\sigma`.

    Example:
        >>> bn = BatchNorm1d(2)
        >>> x = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 30.0]])
        >>> bn(x).round(4)                           # each column: mean 0, variance 1
        array([[-0.9258, -1.2247],
               [-0.4629,  0.    ],
               [ 1.3887,  1.2247]])
        >>> print(bn.running_mean, bn.running_var)   # 0.9·(0, 1) + 0.1·(μ, n/(n−1)·σ²)
        [0.3 2. ] [ 1.6 10.9]
        >>> bn.backward(np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 1.0]])).round(4)
        array([[ 0.1763,  0.    ],
               [-0.2204,  0.    ],
               [ 0.0441,  0.    ]])

        The second column's δ is the same for every example: the mean term takes all of
        it (moving every :math:`x` together moves :math:`\mu` and changes no :math:`\hat x`).
        In evaluation the running statistics are used:

        >>> bn.eval()(x).round(4)
        array([[0.5534, 2.4231],
               [1.344 , 5.452 ],
               [4.5062, 8.481 ]])
    """

    layouts = ("(m, C)", "(m, C, L)")
    torch_name = "BatchNorm1d"


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation of ``(m, C, H, W)`` input over :math:`(m, H, W)`, PyTorch's ``BatchNorm2d``.

    The maths of :class:`BatchNorm1d` with :math:`n = mHW` values per channel: each
    channel (feature map) has one :math:`\gamma`, one :math:`\beta` and one pair of running
    statistics, shared by all its pixels. δ for the input is the same three-term formula,
    :math:`\frac{1}{\hat\sigma}(\hat\delta - \overline{\hat\delta} - \hat x\,\overline{\hat\delta\hat x})`,
    the means over the channel's :math:`n` values.

    Args:
        num_features, eps, momentum, affine, track_running_stats, bias, dtype: as for
            :class:`BatchNorm1d`.

    Shape:
        - Input: :math:`(m, C, H, W)`. Output: the same.

    Caches:
        :math:`\hat x` and :math:`1/\hat\sigma`.

    Example:
        >>> bn = BatchNorm2d(1).eval()       # before any training: mean 0, variance 1
        >>> bn(np.full((1, 1, 1, 2), 2.0)).round(6)
        array([[[[1.99999, 1.99999]]]])
    """

    layouts = ("(m, C, H, W)",)
    torch_name = "BatchNorm2d"
