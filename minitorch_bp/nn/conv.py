r"""Convolution: a ``Linear`` applied to every window of the input, as one matrix product.

The layers copy the windows into a matrix (im2col, :func:`~minitorch_bp.nn.windows.im2col`)
whose columns are the windows; then forward, the weight gradient and the input gradient
are each one matrix product, with no Python loop over examples or pixels.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import DTypeLike, NDArray

from minitorch_bp._validation import (
    as_grad,
    as_spatial,
    check_float_dtype,
    check_input_dtype,
    check_positive_int,
    diagnose_non_finite,
    finite_sum_of_squares,
)
from minitorch_bp.nn import init
from minitorch_bp.nn import windows as win
from minitorch_bp.nn.export import OnnxGraph, pad_nodes, window_slices
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]
Seed = int | np.random.Generator | None


class _ConvNd(Module):
    r"""The convolution of :attr:`spatial` dimensions; :class:`Conv1d` and :class:`Conv2d` name them.

    See :class:`Conv2d` for the maths, written for two dimensions.
    """

    abstract = True
    spatial: ClassVar[int]
    layout: ClassVar[str]
    config_keys = (
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "bias",
        "dtype",
    )

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        dtype: DTypeLike = np.float64,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        who, n = type(self).__name__, self.spatial
        self.in_channels = check_positive_int(in_channels, "in_channels", who)
        self.out_channels = check_positive_int(out_channels, "out_channels", who)
        self.kernel_size = win.as_tuple(kernel_size, n, "kernel_size", who, 1)
        self.stride = win.as_tuple(stride, n, "stride", who, 1)
        self.dilation = win.as_tuple(dilation, n, "dilation", who, 1)
        self.padding: tuple[int, ...] | str
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{who}: padding={padding!r} must be 'valid', 'same' or integers")
            if padding == "same" and self.stride != (1,) * n:
                raise ValueError(f"{who}: padding='same' needs stride=1; got stride={stride!r}")
            self.padding = padding
        else:
            self.padding = win.as_tuple(padding, n, "padding", who, 0)
        if groups != 1 or isinstance(groups, bool):
            raise ValueError(f"{who}: groups={groups!r} is not supported (only groups=1)")
        if padding_mode != "zeros":
            raise ValueError(
                f"{who}: padding_mode={padding_mode!r} is not supported (only 'zeros')"
            )
        dt = check_float_dtype(dtype, who)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dt))
        self.bias: Parameter | None = None
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dt), regularized=False)
        # The course's ε for the Linear this is on each window: s_l = C·k, s_(l+1) = O.
        init.uniform_epsilon_(
            self.weight.data.reshape(self.out_channels, -1),
            self.bias.data if self.bias is not None else np.empty(self.out_channels),
            rng=rng,
        )
        self._cols: Array | None = None
        self._input_shape: tuple[int, ...] = ()

    # ----------------------------------------------------------------- geometry
    def pads(self) -> tuple[tuple[int, int], ...]:
        """The padding ``(before, after)`` of each spatial axis ('same': PyTorch's split)."""
        if self.padding == "valid":
            return ((0, 0),) * self.spatial
        if self.padding == "same":
            total = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation, strict=True)]
            return tuple((t // 2, t - t // 2) for t in total)
        assert isinstance(self.padding, tuple)
        return tuple((p, p) for p in self.padding)

    def _out(self, spatial: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(
            win.out_size(n, k, s, p, d)
            for n, k, s, p, d in zip(
                spatial, self.kernel_size, self.stride, self.pads(), self.dilation, strict=True
            )
        )

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        if len(input_shape) != 2 + self.spatial or input_shape[1] != self.in_channels:
            return None
        out = self._out(tuple(input_shape[2:]))
        return None if min(out) < 1 else (input_shape[0], self.out_channels, *out)

    # ----------------------------------------------------------------- forward
    def _check_input(self, value: Any) -> Array:
        x = as_spatial(value, repr(self), self.layout)
        w = self.weight.data
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self!r} got input with {x.shape[1]} channels (shape {x.shape}); expected"
                f" {self.in_channels}, the axis after the examples: {self.layout}"
            )
        check_input_dtype(x, w.dtype, repr(self))
        if min(self._out(x.shape[2:])) < 1:
            extent = tuple(
                d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation, strict=True)
            )
            raise ValueError(
                f"{self!r}: the input's spatial size {x.shape[2:]} (padded by {self.pads()})"
                f" is smaller than the kernel's extent {extent}"
            )
        return x

    def forward(self, x: Array) -> Array:
        r"""Return :math:`z = W \star a + b` (a new array) and cache the im2col matrix of :math:`a`."""
        x = self._check_input(x)
        xp = win.channel_major(x)
        if any(lo or hi for lo, hi in self.pads()):
            xp = win.pad(xp, self.pads())
        cols = win.im2col(win.windows(xp, self.kernel_size, self.stride, self.dilation))
        w = self.weight.data
        z = np.dot(w.reshape(self.out_channels, -1), cols)  # (O, m·positions)
        if self.bias is not None:
            z += self.bias.data[:, None]
        if not finite_sum_of_squares(z):
            diagnose_non_finite(repr(self), x, self._parameters, z)
        self._cols, self._input_shape = cols, x.shape
        out = self._out(x.shape[2:])
        result: Array = win.channel_major(z.reshape(self.out_channels, x.shape[0], *out))
        return result

    # ----------------------------------------------------------------- backward
    def _grad(self, grad_output: Any) -> tuple[Array, Array]:
        cols = self._cols
        if cols is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        m = self._input_shape[0]
        shape = (m, self.out_channels, *self._out(self._input_shape[2:]))
        g = as_grad(grad_output, shape, self).astype(self.weight.dtype, copy=False)
        return cols, g

    def backward_params(self, grad_output: Array) -> None:
        r"""Add :math:`\partial J/\partial W = \sum_{t,i} \delta_{t,i}\, a_{t,\text{window } i}^\top` and :math:`\partial J/\partial b = \sum_{t,i} \delta_{t,i}`.

        Step 5 of the notes with every window of every example as one "example" of the
        Linear: :math:`\Delta := \Delta + \delta\, \text{cols}^\top`, one matrix product.
        """
        cols, g = self._grad(grad_output)
        g_mat = win.channel_major(g).reshape(self.out_channels, -1)  # (O, m·positions)
        weight_grad = self.weight.grad
        weight_grad += np.dot(g_mat, cols.T).reshape(weight_grad.shape)
        if self.bias is not None:
            bias_grad = self.bias.grad
            bias_grad += g_mat.sum(axis=1)

    def backward(self, grad_output: Array) -> Array:
        r"""Add the parameter gradients; return :math:`\delta` for the input: :math:`\delta^{(l+1)}` fully correlated with the flipped kernel.

        :math:`\delta^{(l+1)}` is dilated by the stride and padded by
        :math:`d(k - 1) - p` (cropped where that is negative); every window of it, times
        the kernel flipped along its spatial axes with the channel axes swapped, gives
        :math:`\partial J/\partial a^{(l)}`: one im2col copy and one matrix product.
        """
        self.backward_params(grad_output)
        _, g = self._grad(grad_output)
        spatial = self._input_shape[2:]
        extent = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation, strict=True)]
        offset = [e - lo for e, (lo, _) in zip(extent, self.pads(), strict=True)]
        size = [n + e for n, e in zip(spatial, extent, strict=True)]
        spread = win.spread(win.channel_major(g), self.stride, offset, size, self.weight.dtype)
        g_cols = win.im2col(
            win.windows(spread, self.kernel_size, (1,) * self.spatial, self.dilation)
        )
        flip = (slice(None), slice(None)) + (slice(None, None, -1),) * self.spatial
        w_flip = self.weight.data[flip].swapaxes(0, 1).reshape(self.in_channels, -1)
        dx = np.dot(w_flip, g_cols)  # (C, m·pixels)
        result: Array = win.channel_major(
            dx.reshape(self.in_channels, self._input_shape[0], *spatial)
        )
        return result

    # ----------------------------------------------------------------- export
    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "bias": self.bias is not None,
            "dtype": str(self.weight.dtype),
        }

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ("valid", (0,) * self.spatial):
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        """The arguments of the layer equivalent to the ``torch.nn`` convolution ``module``."""
        return {
            "in_channels": int(module.in_channels),
            "out_channels": int(module.out_channels),
            "kernel_size": tuple(module.kernel_size),
            "stride": tuple(module.stride),
            "padding": module.padding if isinstance(module.padding, str) else tuple(module.padding),
            "dilation": tuple(module.dilation),
            "groups": int(module.groups),
            "bias": module.bias is not None,
            "padding_mode": str(module.padding_mode),
            "dtype": str(module.weight.dtype).replace("torch.", ""),
        }

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``Conv`` in float32; in float64 (ONNX Runtime has no double ``Conv``) ``Pad``, one
        ``Slice`` per kernel offset and one ``Einsum``: the same windows, the same sum."""
        pads = self.pads()
        if graph.dtype == np.float32:
            inputs = [x, graph.constant(self.weight.data, "weight")]
            if self.bias is not None:
                inputs.append(graph.constant(self.bias.data, "bias"))
            return graph.node(
                "Conv",
                inputs,
                kernel_shape=list(self.kernel_size),
                strides=list(self.stride),
                dilations=list(self.dilation),
                pads=[lo for lo, _ in pads] + [hi for _, hi in pads],
            )
        xp = pad_nodes(graph, x, pads)
        parts = window_slices(graph, xp, self.kernel_size, self.stride, self.dilation)
        axis = graph.int_constant([2])
        stacked = graph.node("Concat", [graph.node("Unsqueeze", [p, axis]) for p in parts], axis=2)
        kernel = graph.constant(
            self.weight.data.reshape(self.out_channels, self.in_channels, -1), "weight_windows"
        )
        dims = "hw"[: self.spatial]
        z = graph.node("Einsum", [stacked, kernel], equation=f"nck{dims},ock->no{dims}")
        if self.bias is None:
            return z
        b = graph.constant(self.bias.data.reshape(-1, *(1,) * self.spatial), "bias")
        return graph.node("Add", [z, b])


class Conv2d(_ConvNd):
    r"""Applies :math:`z = W \star a + b` over an ``(m, C_in, H, W)`` batch, PyTorch's ``Conv2d``.

    Each output pixel is the notes' :math:`z = \Theta a` for the window of input pixels
    under the kernel: with :math:`a_{t,c,\,i s_h + u d_h,\, j s_w + v d_w}` the input of
    example :math:`t` (zero-padded by :math:`p`),

    .. math::
        z_{t,o,i,j} = b_o + \sum_{c,u,v} W_{o,c,u,v}\; a_{t,c,\,i s_h + u d_h,\, j s_w + v d_w}.

    So the layer is a ``Linear(C_in·k_h·k_w, C_out)`` applied to every window: im2col
    copies the windows into the columns of a matrix and one matrix product computes all
    of them.

    δ for the input (the notes' :math:`(\Theta^{(l)})^\top\delta^{(l+1)}`): every input
    pixel collects :math:`\delta` from each window it took part in, weighted by the kernel
    entry it met there. That is the *full correlation of δ with the flipped kernel*,

    .. math::
        \frac{\partial J}{\partial a_{t,c,h,w}} = \sum_{o,u,v}
        \tilde W_{c,o,u,v}\; \tilde\delta_{t,o,\,h + u d_h,\, w + v d_w},
        \qquad \tilde W_{c,o,u,v} = W_{o,c,k_h - 1 - u,\,k_w - 1 - v},

    where :math:`\tilde\delta` is :math:`\delta^{(l+1)}` with :math:`s - 1` zeros between
    its entries (the stride) and :math:`d(k - 1) - p` zeros around (the padding):
    one more im2col and one matrix product. The weight gradient is step 5 of the notes
    over every window: :math:`\partial J/\partial W = \sum_{t,i,j}
    \delta_{t,:,i,j}\, a_{t,\text{window}(i,j)}^\top`.

    Args:
        in_channels: :math:`C_\text{in}`, the channels of the input.
        out_channels: :math:`C_\text{out}`, the channels (filters) of the output.
        kernel_size: :math:`(k_h, k_w)`, or one int for both.
        stride: :math:`(s_h, s_w)` (default 1).
        padding: zeros added on each side, :math:`(p_h, p_w)`; ``"valid"`` (none) or
            ``"same"`` (the output keeps the input's size; needs stride 1).
        dilation: :math:`(d_h, d_w)`, the spacing of the kernel's taps (default 1).
        groups: 1 only (PyTorch's grouped convolution is not supported).
        bias: ``False`` leaves out :math:`b`.
        padding_mode: ``"zeros"`` only.
        dtype: ``np.float64`` (default) or ``np.float32``; inputs must match.
        rng: a seed or ``np.random.Generator`` for the initialisation.

    Shape:
        - Input: :math:`(m, C_\text{in}, H, W)`, one example per row (the first axis).
        - Output: :math:`(m, C_\text{out}, H_\text{out}, W_\text{out})` with
          :math:`H_\text{out} = \lfloor (H + 2p_h - d_h(k_h - 1) - 1)/s_h \rfloor + 1`
          (and the same for :math:`W`). The array is channel-major in memory (its
          ``swapaxes(0, 1)`` is contiguous), which the next layer's im2col reads fastest.

    Attributes:
        weight: shape :math:`(C_\text{out}, C_\text{in}, k_h, k_w)`, PyTorch's layout.
        bias: shape :math:`(C_\text{out},)`; not regularised.

    Initialisation:
        The course's, for the ``Linear`` on each window: every entry of
        :math:`\Theta = [b \mid W]` reshaped to :math:`(C_\text{out}, C_\text{in} k_h k_w + 1)`
        from :math:`U(-\epsilon, \epsilon)`,
        :math:`\epsilon = \sqrt 6/\sqrt{C_\text{in} k_h k_w + C_\text{out}}`
        (:func:`~minitorch_bp.nn.init.uniform_epsilon_`). PyTorch draws from
        :math:`U(-1/\sqrt{C_\text{in} k_h k_w}, \cdot)` instead; copy its weights in to match it.

    Caches:
        The im2col matrix of the input, :math:`(C_\text{in} k_h k_w, m H_\text{out} W_\text{out})`:
        the weight gradient is one product with it.

    Checks:
        The input must be 4-D with ``in_channels`` channels and the layer's dtype; an
        output with NaN or inf names the first bad value of the input or a parameter.

    Example:
        >>> conv = Conv2d(1, 1, kernel_size=2, bias=False)
        >>> conv.weight.data = [[[[1.0, 0.0], [0.0, -1.0]]]]   # a_(i,j) − a_(i+1,j+1)
        >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
        >>> conv(x)
        array([[[[-4., -4.],
                 [-4., -4.]]]])
        >>> conv.backward(np.ones((1, 1, 2, 2)))   # δ spread back through the flipped kernel
        array([[[[ 1.,  1.,  0.],
                 [ 1.,  0., -1.],
                 [ 0., -1., -1.]]]])
    """

    spatial = 2
    layout = "(m, C_in, H, W)"
    torch_name = "Conv2d"


class Conv1d(_ConvNd):
    r"""Applies :math:`z = W \star a + b` over an ``(m, C_in, L)`` batch, PyTorch's ``Conv1d``.

    :class:`Conv2d` with one spatial axis:
    :math:`z_{t,o,i} = b_o + \sum_{c,u} W_{o,c,u}\, a_{t,c,\,i s + u d}`, a ``Linear(C_in·k,
    C_out)`` on every window; δ for the input is δ (dilated by the stride, padded by
    :math:`d(k - 1) - p`) fully correlated with the flipped kernel,
    :math:`\partial J/\partial a_{t,c,h} = \sum_{o,u} W_{o,c,k-1-u}\,\tilde\delta_{t,o,h + u d}`.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation: as for
            :class:`Conv2d`, with one value for the one spatial axis.
        groups, bias, padding_mode, dtype, rng: as for :class:`Conv2d`.

    Shape:
        - Input: :math:`(m, C_\text{in}, L)`, one example per row (the first axis).
        - Output: :math:`(m, C_\text{out}, L_\text{out})`,
          :math:`L_\text{out} = \lfloor (L + 2p - d(k - 1) - 1)/s \rfloor + 1`.

    Attributes:
        weight: shape :math:`(C_\text{out}, C_\text{in}, k)`. bias: :math:`(C_\text{out},)`.

    Initialisation:
        The course's :math:`U(-\epsilon, \epsilon)` with
        :math:`\epsilon = \sqrt 6/\sqrt{C_\text{in} k + C_\text{out}}`, as :class:`Conv2d`.

    Caches:
        The im2col matrix of the input, :math:`(C_\text{in} k, m L_\text{out})`.

    Example:
        >>> conv = Conv1d(1, 1, kernel_size=2, padding=1, bias=False)
        >>> conv.weight.data = [[[1.0, -1.0]]]                 # a_i − a_(i+1)
        >>> conv(np.array([[[1.0, 4.0, 9.0]]]))
        array([[[-1., -3., -5.,  9.]]])
        >>> conv.backward(np.ones((1, 1, 4)))
        array([[[0., 0., 0.]]])
    """

    spatial = 1
    layout = "(m, C_in, L)"
    torch_name = "Conv1d"
