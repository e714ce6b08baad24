r"""Rendering a trace: terminal text, Markdown and a self-contained HTML page.

Wide arrays are elided with their shapes: at most ``max_rows`` rows and ``max_cols``
columns are printed (the first ones, ``…``/``⋮``, the last two), and every value is
followed by its shape. Text renders TeX as terminal text (:func:`~minitorch_bp.explain.formulas.to_text`);
Markdown and HTML keep it for MathJax (``$…$`` in Markdown, ``\(…\)`` in HTML).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp import _html
from minitorch_bp.explain.formulas import Formula, to_text
from minitorch_bp.explain.trace import STEPS, Quantity, Trace

Array = NDArray[Any]
_ELLIPSIS = {"col": "…", "row": "⋮", "both": "⋱"}
_TEX_ELLIPSIS = {"…": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots"}


def _number(v: float, precision: int) -> str:
    text = f"{v:.{precision}g}"
    return "0" if text in ("-0", "0") else text


def _keep(n: int, limit: int) -> list[int | None]:
    if n <= limit:
        return list(range(n))
    head = limit - 3
    return [*range(head), None, n - 2, n - 1]


def cells(value: Array, precision: int, max_rows: int, max_cols: int) -> list[list[str]]:
    """The printed grid of ``value`` (a scalar, vector or matrix), elided to the limits."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return [[_number(float(a), precision)]]
    grid = a.reshape(1, -1) if a.ndim == 1 else a.reshape(a.shape[0], -1)
    rows = _keep(grid.shape[0], max_rows)
    cols = _keep(grid.shape[1], max_cols)
    out = []
    for r in rows:
        line = []
        for c in cols:
            if r is None and c is None:
                line.append(_ELLIPSIS["both"])
            elif r is None:
                line.append(_ELLIPSIS["row"])
            elif c is None:
                line.append(_ELLIPSIS["col"])
            else:
                line.append(_number(float(grid[r, c]), precision))
        out.append(line)
    return out


def _shape(value: Array) -> str:
    shape = np.shape(value)
    return "scalar" if shape == () else str(shape)


def _dollar_segments(text: str) -> Formula:
    """Split ``"row 0 of $Z^{(2)}$"`` into text and math segments."""
    parts = re.split(r"\$([^$]*)\$", text)
    return [("math" if i % 2 else "text", p) for i, p in enumerate(parts) if p]


def _plain(formula: Formula) -> str:
    return "".join(to_text(t) if k == "math" else t for k, t in formula)


def _walk(tr: Trace) -> Iterator[tuple[str, Any]]:
    """The trace in reading order: ``("step", heading)`` when a step of the notes begins,
    then per equation ``("where", layer)`` (if any), ``("formula", …)`` and each
    ``("quantity", …)``. Every renderer reads this one sequence."""
    step = None
    for eq in tr.equations:
        if eq.step != step:
            step = eq.step
            yield "step", STEPS[step]
        if eq.where:
            yield "where", eq.where
        yield "formula", eq.formula
        for q in eq.quantities:
            yield "quantity", q


# --------------------------------------------------------------------- text
def _text_value(q: Quantity, precision: int, rows: int, cols: int) -> list[str]:
    grid = cells(q.value, precision, rows, cols)
    name = to_text(q.symbol)
    shape = _shape(q.value)
    if np.ndim(q.value) <= 1:
        body = "  ".join(grid[0])
        line = f"  {name} = [{body}]" if np.ndim(q.value) == 1 else f"  {name} = {body}"
        lines = [f"{line}   {shape}"]
    else:
        widths = [max(len(r[c]) for r in grid) for c in range(len(grid[0]))]
        lines = [f"  {name} = {shape}"]
        lines += [
            "    [ " + "  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) + " ]"
            for r in grid
        ]
    if q.check and q.difference is not None:
        lines.append(
            f"      = {_plain(_dollar_segments(q.check))}: max |difference| {q.difference:.1e}"
        )
    elif q.check:
        lines.append(f"      ({_plain(_dollar_segments(q.check))})")
    return lines


def to_text_report(tr: Trace, precision: int = 4, max_rows: int = 6, max_cols: int = 8) -> str:
    """The trace as terminal text."""
    lines = [
        f"explain: example {tr.example} of a batch of m = {tr.m}, {tr.criterion}, λ = {tr.l2:g}",
        f"model: {tr.model}",
        "every per-example value equals its row of the vectorised step, and D what the",
        f"optimizer applies: max |difference| {tr.max_difference:.1e}",
    ]
    for kind, item in _walk(tr):
        if kind == "step":
            lines += ["", _plain(_dollar_segments(item))]
        elif kind == "where":
            lines.append(f" {item}")
        elif kind == "formula":
            lines.append(f"  {_plain(item)}")
        else:
            lines += _text_value(item, precision, max_rows, max_cols)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------- TeX
def _tex_number(text: str) -> str:
    if text in _TEX_ELLIPSIS:
        return _TEX_ELLIPSIS[text]
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}\\times 10^{{{int(exponent)}}}"
    return text


def tex_value(value: Array, precision: int, max_rows: int, max_cols: int) -> str:
    """``value`` as a TeX ``bmatrix`` (a vector as a transposed row), elided."""
    grid = cells(value, precision, max_rows, max_cols)
    if np.ndim(value) == 0:
        return _tex_number(grid[0][0])
    body = r" \\ ".join(" & ".join(_tex_number(v) for v in row) for row in grid)
    matrix = f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}"
    return matrix + "^\\top" if np.ndim(value) == 1 else matrix


def _check_line(q: Quantity) -> tuple[str, bool]:
    if q.difference is None:
        return f"({q.check})", True
    ok = q.difference <= 1e-10 * max(1.0, float(np.max(np.abs(q.value))))
    return f"= {q.check}: max \\|difference\\| {q.difference:.1e}", ok


# --------------------------------------------------------------------- Markdown
def _md(formula: Formula) -> str:
    return "".join(f"${t}$" if k == "math" else t for k, t in formula)


def to_markdown(tr: Trace, precision: int = 4, max_rows: int = 6, max_cols: int = 8) -> str:
    """The trace as Markdown: ``$…$`` and ``$$…$$`` math (GitHub, Jupyter, MyST)."""
    out = [
        f"# Backpropagation, one example: $t = {tr.example}$ of $m = {tr.m}$",
        "",
        f"Model: {tr.model}; loss: `{tr.criterion}`; $\\lambda = {tr.l2:g}$. Every per-example"
        " value below equals its row of the vectorised step, and $D$ what the optimizer"
        f" applies (max \\|difference\\| {tr.max_difference:.1e}).",
    ]
    for kind, item in _walk(tr):
        if kind == "step":
            out += ["", f"## {item}"]
        elif kind == "where":
            head, _, rest = item.partition(": ")
            out += ["", f"**{head}**: `{rest}`"]
        elif kind == "formula":
            out += ["", _md(item)]
        else:
            q = item
            out += ["", f"$${q.symbol} = {tex_value(q.value, precision, max_rows, max_cols)}$$"]
            shape = f"shape {_shape(q.value)}"
            out.append(f"{shape}; {_check_line(q)[0]}" if q.check else shape)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------- HTML
def _h(formula: Formula) -> str:
    return "".join(
        f"\\({_html.escape(t)}\\)" if k == "math" else _html.escape(t) for k, t in formula
    )


def to_html(tr: Trace, precision: int = 4, max_rows: int = 6, max_cols: int = 8) -> str:
    """The trace as one self-contained HTML page (MathJax inlined when installed)."""
    body = [
        f"<h1>Backpropagation, one example: \\(t = {tr.example}\\) of \\(m = {tr.m}\\)</h1>",
        f"<p>Model: {_html.escape(tr.model)}; loss: <code>{_html.escape(tr.criterion)}</code>;"
        f" \\(\\lambda = {tr.l2:g}\\). Every per-example value below equals its row of the"
        " vectorised step, and \\(D\\) what the optimizer applies (max |difference|"
        f" {tr.max_difference:.1e}).</p>",
    ]
    for kind, item in _walk(tr):
        if kind == "step":
            body.append(f"<h2>{_h(_dollar_segments(item))}</h2>")
        elif kind == "where":
            head, _, rest = item.partition(": ")
            body.append(f"<h3>{_html.escape(head)}: <code>{_html.escape(rest)}</code></h3>")
        elif kind == "formula":
            body.append(f'<p class="eq">{_h(item)}</p>')
        else:
            q = item
            tex = f"{q.symbol} = {tex_value(q.value, precision, max_rows, max_cols)}"
            body.append(f"\\[{_html.escape(tex)}\\]")
            shape = f'<span class="shape">shape {_shape(q.value)}</span>'
            if q.check:
                check, ok = _check_line(q)
                text = _h(_dollar_segments(check.replace("\\|", "|")))
                body.append(f'<p class="check{"" if ok else " bad"}">{shape} {text}</p>')
            else:
                body.append(f'<p class="check">{shape}</p>')
    return _html.page(f"explain: example {tr.example}", "\n".join(body))
