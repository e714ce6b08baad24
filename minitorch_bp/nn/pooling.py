r"""Pooling: the maximum or the mean of each window, and δ routed back through it."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp._validation import as_grad, as_spatial
from minitorch_bp.nn import windows as win
from minitorch_bp.nn.export import OnnxGraph, pad_nodes, reduce_mean, window_slices
from minitorch_bp.nn.module import Module

Array = NDArray[Any]
LAYOUT = "(m, C, H, W)"


def _plain(value: Any) -> Any:
    """An int stays an int; a list or tuple becomes a tuple (of what it holds)."""
    if isinstance(value, (list, tuple)):
        return tuple(
            int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v
            for v in value
        )
    return int(value) if isinstance(value, np.integer) else value


class _Pool2d(Module):
    """What max and average pooling share: the window geometry and its checks."""

    abstract = True

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None,
        padding: int | tuple[int, int],
        dilation: int | tuple[int, int],
        ceil_mode: bool,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        # As given (an int or a pair), as PyTorch keeps them; the pairs are for the maths.
        self.kernel_size = _plain(kernel_size)
        self.stride = self.kernel_size if stride is None else _plain(stride)
        self.padding = _plain(padding)
        self.dilation = _plain(dilation)
        self._kernel = win.as_tuple(kernel_size, 2, "kernel_size", who, 1)
        self._stride = self._kernel if stride is None else win.as_tuple(stride, 2, "stride", who, 1)
        self._padding = win.as_tuple(padding, 2, "padding", who, 0)
        self._dilation = win.as_tuple(dilation, 2, "dilation", who, 1)
        self.ceil_mode = bool(ceil_mode)
        for p, k, d in zip(self._padding, self._kernel, self._dilation, strict=True):
            if 2 * p > d * (k - 1) + 1:
                raise ValueError(
                    f"{who}: padding={padding!r} must be at most half the kernel's extent"
                    f" (kernel_size={kernel_size!r}, dilation={dilation!r}), as in PyTorch,"
                    " so that every window holds an input value"
                )
        self._input_shape: tuple[int, ...] | None = None

    def _out(self, spatial: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(
            win.out_size(n, k, s, (p, p), d, self.ceil_mode)
            for n, k, s, p, d in zip(
                spatial, self._kernel, self._stride, self._padding, self._dilation, strict=True
            )
        )

    def _pads(self, spatial: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        """``(before, after)`` per axis: the padding, and after it what ``ceil_mode``'s last window needs."""
        out = self._out(spatial)
        pads = []
        for n, o, k, s, p, d in zip(
            spatial, out, self._kernel, self._stride, self._padding, self._dilation, strict=True
        ):
            needed = (o - 1) * s + d * (k - 1) + 1  # the padded length the windows read
            pads.append((p, max(p, needed - n - p)))
        return tuple(pads)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        if len(input_shape) != 4:
            return None
        out = self._out(tuple(input_shape[2:]))
        return None if min(out) < 1 else (input_shape[0], input_shape[1], *out)

    def _check_input(self, value: Any) -> Array:
        x = as_spatial(value, repr(self), LAYOUT)
        if min(self._out(x.shape[2:])) < 1:
            raise ValueError(
                f"{self!r}: the input's spatial size {x.shape[2:]} is smaller than the window"
            )
        return x

    def _grad(self, grad_output: Any) -> tuple[tuple[int, ...], Array]:
        shape = self._input_shape
        if shape is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        out_shape = (shape[0], shape[1], *self._out(shape[2:]))
        return shape, as_grad(grad_output, out_shape, type(self).__name__)

    def _crop(self, dxp: Array, shape: tuple[int, ...]) -> Array:
        """The input's part of a padded, channel-major gradient, as ``(m, C, H, W)``."""
        (ph, _), (pw, _) = self._pads(shape[2:])
        cropped: Array = win.channel_major(dxp[:, :, ph : ph + shape[2], pw : pw + shape[3]])
        return cropped

    def _onnx_pads(self, graph: OnnxGraph, x: str) -> tuple[tuple[int, int], ...]:
        """The padding to export. ONNX's ``ceil_mode`` keeps windows that start in the right
        padding, PyTorch's does not; so ``ceil_mode`` is exported as the explicit extra
        padding of :meth:`_pads`, which needs the input's height and width."""
        if not self.ceil_mode:
            return tuple((p, p) for p in self._padding)
        shape = graph.shape(x)
        if shape is None or len(shape) != 4 or shape[2] is None or shape[3] is None:
            raise ValueError(
                f"export_onnx: {self!r} with ceil_mode=True needs the input's height and"
                " width; export with input_shape=(C, H, W)"
            )
        return self._pads((int(shape[2]), int(shape[3])))

    def _onnx_attributes(self, pads: tuple[tuple[int, int], ...]) -> dict[str, Any]:
        return {
            "kernel_shape": list(self._kernel),
            "strides": list(self._stride),
            "pads": [lo for lo, _ in pads] + [hi for _, hi in pads],
        }


class MaxPool2d(_Pool2d):
    r"""The maximum of each window, :math:`a_{t,c,i,j} = \max_{(u,v)} x_{t,c,\,i s_h + u d_h,\, j s_w + v d_w}`, PyTorch's ``MaxPool2d``.

    δ for the input: pooling has no weights, so :math:`(\Theta^{(l)})^\top\delta` becomes
    *routing*: each window's :math:`\delta` goes entirely to the input that was its
    maximum (the arg-max, cached by forward), and nothing to the others,

    .. math::
        \frac{\partial J}{\partial x_{t,c,h,w}} = \sum_{(i,j):\ \arg\max(i,j) = (h,w)}
        \delta_{t,c,i,j},

    summed where overlapping windows share a maximum. Ties go to the first maximum in
    the window's row-major order, as PyTorch's CPU kernel does (a window holding NaN
    outputs NaN, as there; with several NaN, δ goes to the first one, PyTorch's to the
    last).

    Args:
        kernel_size: :math:`(k_h, k_w)` or one int.
        stride: default ``kernel_size`` (windows side by side).
        padding: :math:`-\infty` added on each side, at most half the kernel.
        dilation: spacing of the window's taps (default 1).
        ceil_mode: ``True`` keeps a last, partial window at the end of each axis (one
            that starts inside the input or the left padding), as PyTorch does.

    Shape:
        - Input: :math:`(m, C, H, W)`. Output: :math:`(m, C, H_\text{out}, W_\text{out})`,
          :math:`H_\text{out} = \lfloor (H + 2p_h - d_h(k_h - 1) - 1)/s_h \rfloor + 1`
          (rounded up with ``ceil_mode``).

    Caches:
        Which kernel offset was each window's arg-max.

    Example:
        >>> pool = MaxPool2d(2)
        >>> x = np.array([[[[1.0, 2.0, 5.0, 5.0], [4.0, 3.0, 0.0, 1.0]]]])
        >>> pool(x)
        array([[[[4., 5.]]]])
        >>> pool.backward(np.array([[[[10.0, 20.0]]]]))   # to the arg-max; the tie to the first 5
        array([[[[ 0.,  0., 20.,  0.],
                 [10.,  0.,  0.,  0.]]]])
    """

    config_keys = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    torch_name = "MaxPool2d"

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        if return_indices:
            raise ValueError(
                "MaxPool2d: return_indices=True is not supported (a layer returns one array)"
            )
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)
        self._argmax: Array | None = None

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        """``torch.nn.MaxPool2d``'s arguments (``return_indices=True`` is refused)."""
        return {**super().from_torch_kwargs(module), "return_indices": module.return_indices}

    def forward(self, x: Array) -> Array:
        x = self._check_input(x)
        pads = self._pads(x.shape[2:])
        xp = win.channel_major(x)
        if any(lo or hi for lo, hi in pads):
            xp = win.pad(xp, pads, value=-np.inf)
        out_size = self._out(x.shape[2:])
        # The windows' values offset by offset, (k_h·k_w, C, m, H_out, W_out): the arg-max
        # over the first axis is the first maximum in PyTorch's scan order.
        stacked = np.stack(self._parts(xp, out_size))
        argmax = stacked.argmax(axis=0)
        best = stacked.max(axis=0)
        self._argmax, self._input_shape = argmax, x.shape
        result: Array = win.channel_major(best)
        return result

    def _parts(self, xp: Array, out_size: tuple[int, ...]) -> list[Array]:
        """For each kernel offset, the strided view of the inputs every window reads there."""
        return [xp[i] for i in win.offsets(self._kernel, self._stride, self._dilation, out_size)]

    def backward(self, grad_output: Array) -> Array:
        shape, g = self._grad(grad_output)
        assert self._argmax is not None
        pads = self._pads(shape[2:])
        padded = (shape[1], shape[0], shape[2] + sum(pads[0]), shape[3] + sum(pads[1]))
        dxp = np.zeros(padded, dtype=g.dtype)
        g_cm = win.channel_major(g)
        # Each window's δ goes to its arg-max; added offset by offset into the input, so
        # that windows which overlap and share a maximum add up.
        share = np.empty(g_cm.shape, dtype=g.dtype)
        for k, part in enumerate(self._parts(dxp, g_cm.shape[2:])):
            np.multiply(g_cm, self._argmax == k, out=share)
            part += share
        return self._crop(dxp, shape)

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``MaxPool`` (float32 and float64 alike)."""
        attributes = self._onnx_attributes(self._onnx_pads(graph, x))
        return graph.node("MaxPool", [x], dilations=list(self._dilation), **attributes)


class AvgPool2d(_Pool2d):
    r"""The mean of each window, :math:`a_{t,c,i,j} = \frac{1}{n_{ij}}\sum_{(u,v)} x_{t,c,\,i s_h + u,\, j s_w + v}`, PyTorch's ``AvgPool2d``.

    :math:`n_{ij}` is the window's size :math:`k_h k_w` (with ``count_include_pad``, the
    default, zeros of the padding count), the number of input values in it otherwise,
    or ``divisor_override``.

    δ for the input: each window's :math:`\delta` is shared equally by the inputs it
    averaged,

    .. math::
        \frac{\partial J}{\partial x_{t,c,h,w}} = \sum_{(i,j) \ni (h,w)} \frac{\delta_{t,c,i,j}}{n_{ij}}.

    Args:
        kernel_size: :math:`(k_h, k_w)` or one int.
        stride: default ``kernel_size``.
        padding: zeros added on each side, at most half the kernel.
        ceil_mode: keep a last, partial window (PyTorch's rule; the part beyond the
            padding is never counted in :math:`n_{ij}`).
        count_include_pad: count the padding's zeros in :math:`n_{ij}` (default ``True``).
        divisor_override: divide every window by this number instead.

    Shape:
        - Input: :math:`(m, C, H, W)`. Output: :math:`(m, C, H_\text{out}, W_\text{out})`.

    Caches:
        The input's shape (the divisors depend on it alone).

    Example:
        >>> pool = AvgPool2d(2)
        >>> pool(np.array([[[[1.0, 3.0, 5.0, 7.0], [1.0, 3.0, 5.0, 7.0]]]]))
        array([[[[2., 6.]]]])
        >>> pool.backward(np.array([[[[4.0, 8.0]]]]))   # shared by the 4 inputs of each window
        array([[[[1., 1., 2., 2.],
                 [1., 1., 2., 2.]]]])
    """

    config_keys = (
        "kernel_size",
        "stride",
        "padding",
        "ceil_mode",
        "count_include_pad",
        "divisor_override",
    )
    torch_name = "AvgPool2d"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size!r}, stride={self.stride!r}, padding={self.padding!r}"

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        if divisor_override is not None and (
            isinstance(divisor_override, bool)
            or not isinstance(divisor_override, (int, np.integer))
            or divisor_override < 1
        ):
            raise ValueError(
                f"AvgPool2d: divisor_override={divisor_override!r} must be None or a positive integer"
            )
        self.divisor_override = None if divisor_override is None else int(divisor_override)

    def divisors(self, spatial: tuple[int, ...], dtype: Any = np.float64) -> Array:
        """:math:`n_{ij}` for each output position, shape ``(H_out, W_out)``."""
        out = self._out(spatial)
        if self.divisor_override is not None:
            return np.full(out, float(self.divisor_override), dtype=dtype)
        pads = self._pads(spatial)
        p = self._padding if self.count_include_pad else (0, 0)
        counted = np.zeros(
            (1, 1, *tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads, strict=True))), dtype
        )
        counted[
            :,
            :,
            pads[0][0] - p[0] : pads[0][0] + spatial[0] + p[0],
            pads[1][0] - p[1] : pads[1][0] + spatial[1] + p[1],
        ] = 1.0
        divisors: Array = win.window_sum(counted, self._kernel, self._stride, out)[0, 0]
        return divisors

    def forward(self, x: Array) -> Array:
        x = self._check_input(x)
        spatial = x.shape[2:]
        xp = win.pad(win.channel_major(x), self._pads(spatial))
        total = win.window_sum(xp, self._kernel, self._stride, self._out(spatial))
        total /= self.divisors(spatial, x.dtype)
        self._input_shape = x.shape
        result: Array = win.channel_major(total)
        return result

    def backward(self, grad_output: Array) -> Array:
        shape, g = self._grad(grad_output)
        pads = self._pads(shape[2:])
        share = win.channel_major(g) / self.divisors(shape[2:], g.dtype)
        size = tuple(n + lo + hi for n, (lo, hi) in zip(shape[2:], pads, strict=True))
        return self._crop(win.window_scatter(share, self._kernel, self._stride, size), shape)

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``AveragePool`` in float32; otherwise (ONNX Runtime has no float64 kernel, ONNX no
        ``divisor_override`` and another ``ceil_mode``) ``Pad``, one ``Slice`` per kernel
        offset, ``Sum`` and a division by the divisors."""
        pads = self._onnx_pads(graph, x)
        if graph.dtype == np.float32 and self.divisor_override is None and not self.ceil_mode:
            return graph.node(
                "AveragePool",
                [x],
                count_include_pad=int(self.count_include_pad),
                **self._onnx_attributes(pads),
            )
        divisor: str
        if self.ceil_mode:  # the divisors of the last windows depend on the input's size
            shape = graph.shape(x)
            assert shape is not None
            spatial = (int(shape[2]), int(shape[3]))  # type: ignore[arg-type]
            divisor = graph.constant(self.divisors(spatial, graph.dtype), "divisors")
        elif self.divisor_override is not None or self.count_include_pad:
            divisor = graph.constant(float(self.divisor_override or np.prod(self._kernel)))
        else:  # count the input's values in each window: the same sums over a mask of ones
            ones = graph.node("Expand", [graph.constant(1.0), graph.node("Shape", [x])])
            mask = window_slices(
                graph, pad_nodes(graph, ones, pads), self._kernel, self._stride, self._dilation
            )
            divisor = graph.node("Sum", mask) if len(mask) > 1 else mask[0]
        xp = pad_nodes(graph, x, pads)
        parts = window_slices(graph, xp, self._kernel, self._stride, self._dilation)
        total = graph.node("Sum", parts) if len(parts) > 1 else parts[0]
        return graph.node("Div", [total, divisor])


class AdaptiveAvgPool2d(Module):
    r"""The mean over a grid of ``output_size`` windows that tile the input, PyTorch's ``AdaptiveAvgPool2d``.

    Output cell :math:`i` of an axis of length :math:`n` averages the inputs
    :math:`\lfloor i n / o \rfloor, \dots, \lceil (i + 1) n / o \rceil - 1` (PyTorch's
    windows); ``AdaptiveAvgPool2d(1)`` is the global average pool,
    :math:`a_{t,c} = \frac{1}{HW}\sum_{h,w} x_{t,c,h,w}`. Each axis is a product with an
    averaging matrix :math:`A` (:math:`A_{ih} = 1/|\text{window}_i|` inside window
    :math:`i`): :math:`a = A_h\, x\, A_w^\top`, exact for every output size.

    δ for the input: the transposed products,
    :math:`\partial J/\partial x = A_h^\top\, \delta\, A_w` (for the global pool, each
    input gets :math:`\delta_{t,c}/(HW)`).

    Args:
        output_size: :math:`(o_h, o_w)` or one int; ``None`` in a place keeps that axis.

    Shape:
        - Input: :math:`(m, C, H, W)`. Output: :math:`(m, C, o_h, o_w)`.

    Caches:
        The two averaging matrices.

    Example:
        >>> gap = AdaptiveAvgPool2d(1)
        >>> gap(np.arange(8.0).reshape(1, 2, 2, 2))
        array([[[[1.5]],
        <BLANKLINE>
                [[5.5]]]])
        >>> gap.backward(np.array([[[[4.0]], [[8.0]]]]))[0, 1]
        array([[2., 2.],
               [2., 2.]])
    """

    config_keys = ("output_size",)
    torch_name = "AdaptiveAvgPool2d"

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        items = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
        if len(items) != 2 or not all(
            v is None or (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1)
            for v in items
        ):
            raise ValueError(
                f"AdaptiveAvgPool2d: output_size={output_size!r} must be a positive integer,"
                " or a pair of them (None keeps that axis)"
            )
        self.output_size: int | tuple[int | None, int | None] = (
            int(output_size) if isinstance(output_size, (int, np.integer)) else (items[0], items[1])
        )
        self._sizes = tuple(None if v is None else int(v) for v in items)
        self._matrices: tuple[Array, Array] | None = None
        self._input_shape: tuple[int, ...] | None = None

    def _out(self, spatial: tuple[int, ...]) -> tuple[int, int]:
        h, w = (n if o is None else o for n, o in zip(spatial, self._sizes, strict=True))
        return h, w

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        if len(input_shape) != 4:
            return None
        return (input_shape[0], input_shape[1], *self._out(tuple(input_shape[2:])))

    @staticmethod
    def averaging(n: int, o: int, dtype: Any = np.float64) -> Array:
        """The :math:`(o, n)` matrix whose row :math:`i` averages PyTorch's window :math:`i`."""
        i = np.arange(o)
        start = (i * n) // o
        end = -((-(i + 1) * n) // o)
        inside = (np.arange(n) >= start[:, None]) & (np.arange(n) < end[:, None])
        matrix: Array = (inside / (end - start)[:, None]).astype(dtype)
        return matrix

    def forward(self, x: Array) -> Array:
        x = as_spatial(x, repr(self), LAYOUT)
        oh, ow = self._out(x.shape[2:])
        a_h, a_w = self.averaging(x.shape[2], oh, x.dtype), self.averaging(x.shape[3], ow, x.dtype)
        self._matrices, self._input_shape = (a_h, a_w), x.shape
        out: Array = np.matmul(np.matmul(a_h, x), a_w.T)
        return out

    def backward(self, grad_output: Array) -> Array:
        if self._matrices is None or self._input_shape is None:
            raise RuntimeError("AdaptiveAvgPool2d: backward called before forward")
        a_h, a_w = self._matrices
        shape = self._input_shape
        g = as_grad(
            grad_output, (shape[0], shape[1], a_h.shape[0], a_w.shape[0]), "AdaptiveAvgPool2d"
        )
        dx: Array = np.matmul(np.matmul(a_h.T, g), a_w)
        return dx

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``GlobalAveragePool`` for output 1 (``ReduceMean`` in float64); otherwise two
        ``MatMul`` with the averaging matrices, which need the input's height and width."""
        if self._sizes == (1, 1):
            if graph.dtype == np.float32:
                return graph.node("GlobalAveragePool", [x])
            return reduce_mean(graph, x, [2, 3])
        shape = graph.shape(x)
        if shape is None or len(shape) != 4 or shape[2] is None or shape[3] is None:
            raise ValueError(
                f"export_onnx: {self!r} needs the input's height and width; export with"
                " input_shape=(C, H, W)"
            )
        h, w = int(shape[2]), int(shape[3])
        oh, ow = self._out((h, w))
        a_h = graph.constant(self.averaging(h, oh), "rows")
        a_wT = graph.constant(self.averaging(w, ow).T, "columns")
        return graph.node("MatMul", [graph.node("MatMul", [a_h, x]), a_wT])

    def extra_repr(self) -> str:
        return f"output_size={self.output_size!r}"
