r"""Formulas for the trace: read from each class's docstring, written as TeX or terminal text.

A layer's or a loss's formula has one home, its docstring (the one the API reference
shows); :func:`activation_formulas` and :func:`loss_formulas` read it from there:

- an activation (:class:`~minitorch_bp.nn.Elementwise`): :math:`a = g(z)` from the
  summary line (its first ``:math:`` segment holding ``a =``, to the end of the
  sentence's last formula), and :math:`g'(z)` from the sentence that holds the first
  ``:math:`` segment with ``g'`` ("Backward multiplies by :math:`g'(z) = …`"), up to
  the end of that sentence;
- a loss: :math:`\ell` from the first formula holding ``\ell_{ik} =``, and the gradient
  from the first formula of its ``Gradient:`` section (else the first one with
  ``\delta^{(L)}`` or ``\partial J``).

A formula is a list of :data:`Segment` ``(kind, text)`` pairs, ``kind`` being ``"math"``
(TeX) or ``"text"``; :func:`to_text` turns TeX into terminal text (``\Theta^{(1)}`` →
``Θ^(1)``).
"""

from __future__ import annotations

import inspect
import re

Segment = tuple[str, str]
Formula = list[Segment]

_MATH = re.compile(r":math:`([^`]*)`")
_DISPLAY = re.compile(r"\.\. math::\s*\n((?:[ \t]+\S.*\n?)+)")

_SYMBOLS = {
    r"\Theta": "Θ",
    r"\theta": "θ",
    r"\delta": "δ",
    r"\Delta": "Δ",
    r"\lambda": "λ",
    r"\alpha": "α",
    r"\beta": "β",
    r"\sigma": "σ",
    r"\Phi": "Φ",
    r"\varphi": "φ",
    r"\phi": "φ",
    r"\pi": "π",
    r"\ell": "ℓ",
    r"\partial": "∂",
    r"\odot": "⊙",
    r"\cdot": "·",
    r"\times": "×",
    r"\top": "ᵀ",
    r"\le": "≤",
    r"\ge": "≥",
    r"\ne": "≠",
    r"\neq": "≠",
    r"\sum": "Σ",
    r"\infty": "∞",
    r"\approx": "≈",
    r"\mathbf{1}": "1",
    r"\mathbb{1}": "1",
    r"\in": "∈",
    r"\to": "→",
    r"\lVert": "‖",
    r"\rVert": "‖",
    r"\ldots": "…",
    r"\dots": "…",
    r"\cdots": "⋯",
    r"\vdots": "⋮",
    r"\ddots": "⋱",
    r"\quad": "   ",
    r"\qquad": "    ",
    r"\,": " ",
    r"\;": " ",
    r"\!": "",
    r"\ ": " ",
}
_FUNCTIONS = ("tanh", "log", "exp", "max", "min", "sqrt", "erf", "erfc")
_SUPERSCRIPTS = str.maketrans("0123456789+-=()T", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵀ")


def _group(tex: str, start: int) -> tuple[str, int]:
    """The ``{...}`` group at ``start`` (or the single character there), and the index after it."""
    while start < len(tex) and tex[start] == " ":
        start += 1
    if start >= len(tex):
        return "", start
    if tex[start] != "{":
        if tex[start] == "\\":
            m = re.match(r"\\[A-Za-z]+", tex[start:])
            if m:
                return m.group(0), start + len(m.group(0))
        return tex[start], start + 1
    depth = 0
    for i in range(start, len(tex)):
        if tex[i] == "{":
            depth += 1
        elif tex[i] == "}":
            depth -= 1
            if depth == 0:
                return tex[start + 1 : i], i + 1
    return tex[start + 1 :], len(tex)


def to_text(tex: str) -> str:
    r"""Terminal text for a TeX formula: ``\delta^{(l)} = (\Theta^{(l)})^\top\delta^{(l+1)}`` → ``δ^(l) = (Θ^(l))ᵀδ^(l+1)``.

    Example:
        >>> to_text(r"D^{(l)} = \frac{1}{m}\left(\Delta^{(l)} + \lambda\Theta^{(l)}\right)")
        'D^(l) = (1/m)(Δ^(l) + λΘ^(l))'
        >>> to_text(r"g'(z) = 1 - \tanh^2 z = 1 - a^2")
        "g'(z) = 1 - tanh² z = 1 - a²"
    """
    out: list[str] = []
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            word = m.group(0) if m else "\\"
            name = word[1:]
            if name == "frac":
                num, j = _group(tex, i + len(word))
                den, j = _group(tex, j)
                n, d = to_text(num), to_text(den)
                n = n if len(n) == 1 or n.isalnum() else f"({n})"
                d = d if len(d) == 1 or d.isalnum() else f"({d})"
                after = tex[j : j + 1]
                before = "".join(out)[-1:]
                alone = (not after or after in " )=+-,}") and not (
                    before.isalnum() or before == ")"
                )
                out.append(f"{n}/{d}" if alone else f"({n}/{d})")
                i = j
                continue
            if name == "sqrt":
                arg, j = _group(tex, i + len(word))
                text = to_text(arg)
                out.append(f"√{text}" if len(text) == 1 else f"√({text})")
                i = j
                continue
            if name in ("text", "operatorname", "mathrm", "mathbf", "boldsymbol", "mathit"):
                arg, j = _group(tex, i + len(word))
                out.append(to_text(arg) if name != "text" else arg)
                i = j
                continue
            if name in (
                "left",
                "right",
                "big",
                "Big",
                "bigl",
                "bigr",
                "Bigl",
                "Bigr",
                "displaystyle",
            ):
                i += len(word)
                continue
            if name == "hat":
                arg, j = _group(tex, i + len(word))
                out.append("ŷ" if arg == "y" else to_text(arg) + "\u0302")
                i = j
                continue
            previous = "".join(out)[-1:]
            if word in _SYMBOLS:
                out.append(_SYMBOLS[word])
                glued = _SYMBOLS[word].isalpha() or name == "partial"
                if name.isalpha() and glued and tex[i + len(word) : i + len(word) + 1] == " ":
                    i += 1  # the space that ends a TeX command is not text
            elif name in _FUNCTIONS:
                out.append((" " if previous.isalnum() else "") + name)
            elif name in ("{", "}", "|", "%", "_", "&"):
                out.append(name)
            else:
                out.append(name)
            i += len(word)
            continue
        if c in "^_":
            arg, j = _group(tex, i + 1)
            text = to_text(arg)
            if c == "^" and text in ("ᵀ", "T"):
                out.append("ᵀ")
            elif c == "^" and len(text) <= 2 and all(ch in "0123456789+-" for ch in text):
                out.append(text.translate(_SUPERSCRIPTS))
            elif len(text) == 1 or (text.startswith("(") and text.endswith(")")):
                out.append(c + text)
            else:
                out.append(f"{c}({text})" if c == "^" else f"_{text}")
            i = j
            continue
        if c in "{}":
            i += 1
            continue
        out.append(c)
        i += 1
    text = "".join(out)
    return re.sub(r"  +", " ", text).strip() if "   " not in text else text.strip()


def _paragraphs(doc: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", doc) if p.strip()]


def _segments(text: str) -> Formula:
    """Split docstring text into math and text segments (``:math:`` roles become math)."""
    out: Formula = []
    pos = 0
    for m in _MATH.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos : m.start()]))
        out.append(("math", m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


def _clean(text: str) -> str:
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)
    return re.sub(r"\s+", " ", text)


def _sentence(segments: Formula, start: int, *, stop_after_math: bool) -> Formula:
    """From segment ``start`` to the end of its sentence (text ``.``, ``:``, ``;`` or ``, from``)."""
    out: Formula = []
    for kind, text in segments[start:]:
        if kind == "math":
            if stop_after_math and out and "g'" in text:
                break  # the forward formula ends where the derivative's begins
            out.append((kind, text))
            continue
        text = _clean(text)
        cut = re.search(r"[.:;](\s|$)|, from\b|, with values\b|, a \w+ \w+\b", text)
        if cut:
            tail = text[: cut.start()]
            if tail:
                out.append(("text", tail))
            break
        out.append(("text", text))
    if stop_after_math:  # the forward formula: drop trailing prose after its last formula
        while out and out[-1][0] == "text" and out[-1][1].strip() not in ("otherwise",):
            out.pop()
    # parentheticals that name sources or code, not maths
    cleaned: Formula = []
    for kind, text in out:
        if kind == "text":
            text = re.sub(r"\s*\((?:PyTorch|[A-Z][a-z]+ (?:&|et al)|[^)]*\d{4})[^)]*\)", "", text)
            text = re.sub(r",\s*PyTorch's \w+\s*$", "", text)
        cleaned.append((kind, text))
    while cleaned and cleaned[-1][0] == "text" and not cleaned[-1][1].strip():
        cleaned.pop()
    return cleaned


def _first(doc: str, test: str) -> tuple[Formula, int] | None:
    for para in _paragraphs(doc):
        segs = _segments(para)
        for i, (kind, text) in enumerate(segs):
            if kind == "math" and test in text:
                return segs, i
    return None


def activation_formulas(cls: type) -> tuple[Formula | None, Formula | None]:
    """``(g, g')`` of an element-wise activation class, read from its docstring (``None``: not found).

    Example:
        >>> from minitorch_bp import nn
        >>> g, gp = activation_formulas(nn.Sigmoid)
        >>> to_text(g[0][1]), [to_text(t) if k == "math" else t for k, t in gp]
        ('a = g(z) = 1/(1 + e^(-z))', ["g'(z) = g(z)(1 - g(z)) = a(1 - a)"])
    """
    doc = inspect.getdoc(cls) or ""
    summary = _paragraphs(doc)[0] if doc else ""
    forward = None
    segs = _segments(summary)
    for i, (kind, text) in enumerate(segs):
        if kind == "math" and re.match(r"\s*a\s*=", text):
            forward = _sentence(segs, i, stop_after_math=True)
            break
    backward = None
    found = _first(doc, "g'")
    if found:
        segs, i = found
        backward = _sentence(segs, i, stop_after_math=False)
    return forward, backward


def loss_formulas(cls: type) -> tuple[Formula | None, Formula | None]:
    r"""``(ℓ, gradient)`` of a loss class, read from its docstring (``None``: not found).

    Example:
        >>> from minitorch_bp import nn
        >>> ell, grad = loss_formulas(nn.MSELoss)
        >>> to_text(ell[0][1]), to_text(grad[0][1])
        ('ℓ_ik = (1/2)(y_ik - ŷ_ik)²', '∂J / ∂ŷ = scale (ŷ - y) = -scale (y - ŷ)')
    """
    doc = inspect.getdoc(cls) or ""
    ell: Formula | None = None
    for para in _paragraphs(doc):
        display = _DISPLAY.search(para + "\n")
        if display and r"\ell_{ik} =" in display.group(1):
            ell = [("math", " ".join(display.group(1).split()))]
            break
        segs = _segments(para)
        hit = [t for k, t in segs if k == "math" and r"\ell_{ik} =" in t]
        if hit:
            ell = [("math", hit[0])]
            break
    grad: Formula | None = None
    section = re.search(r"^Gradient:\s*\n((?:[ \t]+.*\n?)+)", doc, re.M)
    if section:
        hit = [t for k, t in _segments(section.group(1)) if k == "math"]
        grad = [("math", hit[0])] if hit else None
    if grad is None:
        for test in (r"\delta^{(L)}", r"\partial J"):
            found = _first(doc, test)
            if found:
                grad = [("math", found[0][found[1]][1])]
                break
    return ell, grad
