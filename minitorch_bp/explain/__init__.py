r"""``explain``: one training step for one example, equation by equation, in the notes' notation.

>>> from minitorch_bp import explain, nn
>>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid())
>>> e = explain(model, nn.BCELoss(), np.array([[0.3, 1.0], [0.5, 0.2]]), np.array([[1.0], [0.0]]))
>>> e.deltas[3], e.D[2].shape            # δ^(3) = a^(3) − y of example 0; D^(2) is (1, 4)
(array([-0.35669705]), (1, 4))

See :func:`explain` and :mod:`minitorch_bp.explain.trace` (what a layer must provide).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from minitorch_bp._atomic import atomic_write
from minitorch_bp.explain.render import to_html, to_markdown, to_text_report
from minitorch_bp.explain.trace import Trace, trace
from minitorch_bp.nn.loss import Loss
from minitorch_bp.nn.module import Module
from minitorch_bp.optim.optimizer import Optimizer

Array = NDArray[Any]
#: The forms an :class:`Explanation` renders to.
FORMATS = ("text", "markdown", "html")

__all__ = ["FORMATS", "Explanation", "explain"]


class Explanation:
    r"""What :func:`explain` returns: the trace, printable as text, Markdown or HTML.

    ``print(e)`` gives the terminal text; :meth:`to_markdown` and :meth:`to_html` the
    other forms (the HTML is one self-contained file: MathJax inlined, nothing fetched);
    :meth:`save` writes one of them. In Jupyter the Markdown form is shown.

    Attributes:
        equations: the :class:`~minitorch_bp.explain.trace.Equation` list, in the notes' order.
        example, m, l2, J: the example shown, the batch size, :math:`\lambda` and
            :math:`J(\Theta)` of the batch.
        deltas: ``{l: δ^(l)}`` of the example, the notes' per-example vectors (the loss's
            scale removed), at each ``Linear``'s output.
        increments: ``{l: δ^(l+1)(a^(l))ᵀ}`` of the example, in the Θ layout.
        Delta: ``{l: Δ^(l)}`` accumulated over the batch by the notes' loop.
        D: ``{l: D^(l)}`` from :math:`\Delta` and the λ rule; ``D_applied`` what the
            optimizer applies (``opt.gradient``), in the same layout.
        max_difference: the largest difference between a per-example value and its row
            of the vectorised step, or between ``D`` and ``D_applied``.
    """

    def __init__(self, tr: Trace, *, precision: int = 4, max_rows: int = 6, max_cols: int = 8):
        self.trace = tr
        self.precision, self.max_rows, self.max_cols = precision, max_rows, max_cols
        self.equations = tr.equations
        self.example, self.m, self.l2, self.J = tr.example, tr.m, tr.l2, tr.J
        self.deltas, self.increments, self.Delta = tr.deltas, tr.increments, tr.Delta
        self.D, self.D_applied = tr.D, tr.D_applied
        self.max_difference = tr.max_difference

    def _limits(self) -> tuple[int, int, int]:
        return self.precision, self.max_rows, self.max_cols

    def to_text(self) -> str:
        """The trace as terminal text (also ``str(e)``)."""
        return to_text_report(self.trace, *self._limits())

    def to_markdown(self) -> str:
        """The trace as Markdown, formulas in ``$…$``."""
        return to_markdown(self.trace, *self._limits())

    def to_html(self) -> str:
        """The trace as one self-contained HTML page."""
        return to_html(self.trace, *self._limits())

    def render(self, format: str = "text") -> str:
        """One of :data:`FORMATS`: ``"text"``, ``"markdown"`` or ``"html"``."""
        if format not in FORMATS:
            raise ValueError(f"explain: format={format!r} must be one of {FORMATS}")
        return {"text": self.to_text, "markdown": self.to_markdown, "html": self.to_html}[format]()

    def save(self, path: str | Path, format: str | None = None) -> Path:
        """Write the trace to ``path`` (atomically); the format defaults from the suffix.

        ``.html``/``.htm`` → HTML, ``.md`` → Markdown, anything else → text.
        """
        path = Path(path)
        if format is None:
            suffix = path.suffix.lower()
            format = (
                "html" if suffix in (".html", ".htm") else "markdown" if suffix == ".md" else "text"
            )
        text = self.render(format)
        return atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (
            f"Explanation(example={self.example}, m={self.m}, l2={self.l2:g},"
            f" equations={len(self.equations)}, max_difference={self.max_difference:.1e})"
        )


def explain(
    model: Module,
    criterion: Loss,
    x: Any,
    y: Any,
    l2: float | None = None,
    *,
    example: int = 0,
    optimizer: Optimizer | None = None,
    precision: int = 4,
    max_rows: int = 6,
    max_cols: int = 8,
) -> Explanation:
    r"""Trace one training step for one example, with the notes' equations and the numbers.

    The batch ``(x, y)`` (or one example, a 1-D ``x``) goes through the plain layers once,
    vectorised; then the notes' per-example algorithm runs for every example (steps 1–5:
    :math:`a^{(1)} := x^{(t)}`, forward propagation, :math:`\delta^{(L)}`, the δ chain,
    :math:`\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)}(a^{(l)})^\top`) and
    :math:`D^{(l)} = \frac{1}{m}(\Delta^{(l)} + \lambda\Theta^{(l)})` follows, the bias
    column unregularised. The equations of example ``example`` are kept with their
    values, each next to its row of the vectorised step, and :math:`D` next to what the
    optimizer applies. The model's parameters and gradients are left as they were
    (``Dropout`` in training mode draws a mask, as a step would: call ``model.eval()``
    first for a trace without it).

    Args:
        model: the network (any modules; see :mod:`minitorch_bp.explain.trace` for what a
            layer must provide).
        criterion: the loss.
        x: the batch, shape :math:`(m, s_1)`, or one example, shape :math:`(s_1,)`.
        y: the targets.
        l2: the notes' :math:`\lambda` (default 0, or the optimizer's).
        example: the row :math:`t` to show.
        optimizer: the optimizer whose :math:`D` (``opt.gradient``) to compare with;
            default: the λ rule of :mod:`~minitorch_bp.nn.regularization` with ``l2``.
        precision: significant digits printed.
        max_rows, max_cols: larger arrays are elided to these many rows and columns.

    Returns:
        An :class:`Explanation`: ``print`` it, or ``.to_markdown()``, ``.to_html()``,
        ``.save(path)``.
    """
    tr = trace(model, criterion, x, y, l2=l2, example=example, optimizer=optimizer)
    return Explanation(tr, precision=precision, max_rows=max_rows, max_cols=max_cols)
