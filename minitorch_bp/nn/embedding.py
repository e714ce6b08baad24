r"""``Embedding``: a lookup table, the notes' Θ times a one-hot input without the product."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from minitorch_bp._validation import as_grad, check_float_dtype, check_positive_int
from minitorch_bp.nn.export import OnnxGraph
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter

Array = NDArray[Any]
Seed = int | np.random.Generator | None


class Embedding(Module):
    r"""Row :math:`i` of the table ``weight`` for each index :math:`i` of the input, PyTorch's ``Embedding``.

    ``Embedding(V, D)`` is ``Linear(V, D, bias=False)`` on one-hot inputs: with
    :math:`x = e_i` (the one-hot row of index :math:`i`), :math:`z = x\,W = W_{i,:}`, so the
    layer looks the row up instead of multiplying by zeros.

    Gradient: the notes' step 5, :math:`\Delta = \sum_t x^{(t)\top}\delta^{(t)}`, with one-hot
    :math:`x^{(t)}` adds :math:`\delta^{(t)}` into row :math:`i_t` of
    :math:`\partial J/\partial W`; an index used several times collects every one of its
    rows' δ (a scatter-add, ``np.add.at``). The indices themselves have no gradient: an
    ``Embedding`` is the first layer of a model, whose backward asks it for the
    parameters' gradients only (:meth:`backward_params`).

    Args:
        num_embeddings: :math:`V`, the number of rows (indices ``0 … V − 1``).
        embedding_dim: :math:`D`, the length of each row.
        padding_idx: an index whose row stays as it is: initialised to zeros and never
            given a gradient (negative counts from :math:`V`).
        dtype: the table's dtype, ``np.float64`` (default) or ``np.float32``.
        rng: a seed or ``np.random.Generator`` for the initialisation.

    Shape:
        - Input: integer indices of any shape :math:`(m, *)`, one example per row.
        - Output: :math:`(m, *, D)`.

    Attributes:
        weight: the table, shape :math:`(V, D)`; regularised by λ like any weight.

    Initialisation:
        :math:`N(0, 1)`, PyTorch's (the ``padding_idx`` row zero).

    Caches:
        The indices.

    Example:
        >>> emb = Embedding(4, 2)
        >>> emb.weight.data = np.arange(8.0).reshape(4, 2)
        >>> emb(np.array([[3, 0], [1, 3]]))[1]
        array([[2., 3.],
               [6., 7.]])
        >>> emb.backward_params(np.ones((2, 2, 2)))   # index 3 was used twice
        >>> emb.weight.grad
        array([[1., 1.],
               [1., 1.],
               [0., 0.],
               [2., 2.]])
    """

    config_keys = ("num_embeddings", "embedding_dim", "padding_idx", "dtype")
    torch_name = "Embedding"

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        dtype: DTypeLike = np.float64,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = check_positive_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim", "Embedding")
        if padding_idx is not None:
            if (
                isinstance(padding_idx, bool)
                or not isinstance(padding_idx, (int, np.integer))
                or not -self.num_embeddings <= padding_idx < self.num_embeddings
            ):
                raise ValueError(
                    f"Embedding: padding_idx={padding_idx!r} must be None or an index in"
                    f" [-{self.num_embeddings}, {self.num_embeddings})"
                )
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        dt = check_float_dtype(dtype, "Embedding")
        table = np.random.default_rng(rng).standard_normal(
            (self.num_embeddings, self.embedding_dim)
        )
        if padding_idx is not None:
            table[padding_idx] = 0.0
        self.weight = Parameter(table.astype(dt))
        self._indices: Array | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*tuple(input_shape), self.embedding_dim)

    def _check_input(self, value: Any) -> Array:
        idx = value if isinstance(value, np.ndarray) else np.asarray(value)
        if idx.dtype.kind not in "iu":
            hint = (
                " If they are whole numbers, convert them: x.astype(np.int64)."
                if idx.dtype.kind == "f"
                else ""
            )
            raise ValueError(
                f"{self!r} expects integer indices (e.g. int64); got dtype {idx.dtype}.{hint}"
            )
        if idx.ndim < 1:
            raise ValueError(
                f"{self!r} expects indices of shape (m, *), one example per row; got shape"
                f" {idx.shape}"
            )
        if idx.size:
            low, high = int(idx.min()), int(idx.max())
            if low < 0 or high >= self.num_embeddings:
                bad = low if low < 0 else high
                where = tuple(int(i) for i in np.argwhere(idx == bad)[0])
                raise ValueError(
                    f"{self!r}: index {bad} at position {where} is out of range; the table"
                    f" has rows 0 to {self.num_embeddings - 1}"
                )
        return idx

    def forward(self, x: Array) -> Array:
        idx = self._check_input(x)
        self._indices = idx
        out: Array = self.weight.data[idx]  # fancy indexing: a new array
        return out

    def backward_params(self, grad_output: Array) -> None:
        r"""Scatter-add :math:`\delta` into the rows of :math:`\partial J/\partial W` that were looked up."""
        idx = self._indices
        if idx is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        g = as_grad(grad_output, (*idx.shape, self.embedding_dim), self)
        rows, values = idx.reshape(-1), g.reshape(-1, self.embedding_dim)
        if self.padding_idx is not None:
            keep = rows != self.padding_idx
            rows, values = rows[keep], values[keep]
        np.add.at(self.weight.grad, rows, values)

    def backward(self, grad_output: Array) -> None:
        """Add the table's gradient (:meth:`backward_params`); the indices have none, so ``None``."""
        self.backward_params(grad_output)

    def backward_input(self, grad_output: Array) -> Array:
        """Refused: indices have no gradient (an ``Embedding`` goes first in a model)."""
        if self._indices is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        raise TypeError(
            f"{self!r}: its input is integer indices, which have no gradient; an Embedding is"
            " the first layer of a model (whose backward calls backward_params on it)"
        )

    def config(self) -> dict[str, Any]:
        return {
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "padding_idx": self.padding_idx,
            "dtype": str(self.weight.dtype),
        }

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"

    @classmethod
    def from_torch_kwargs(cls, module: Any) -> dict[str, Any]:
        """The arguments of the ``Embedding`` equivalent to ``torch.nn.Embedding`` ``module``."""
        for name, default in (("max_norm", None), ("scale_grad_by_freq", False), ("sparse", False)):
            if getattr(module, name) != default:
                raise ValueError(
                    f"from_torch: Embedding with {name}={getattr(module, name)!r} has no"
                    " equivalent here (only the defaults)"
                )
        return {
            "num_embeddings": int(module.num_embeddings),
            "embedding_dim": int(module.embedding_dim),
            "padding_idx": module.padding_idx,
            "dtype": str(module.weight.dtype).replace("torch.", ""),
        }

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """``Gather(weight, indices)`` along the rows."""
        return graph.node("Gather", [graph.constant(self.weight.data, "weight"), x], axis=0)
