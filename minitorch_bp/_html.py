r"""Self-contained HTML pages: one file, no network, formulas typeset offline.

The formulas are typeset by MathJax 3, whose files the ``math`` extra (and the ``docs``
extra, for the site) installs with the ``django-static-mathjax`` wheel, the same files
``docs/conf.py`` copies into the built site. A page inlines ``tex-svg-full.js``: the SVG
output needs no font files and the ``-full`` build holds every TeX extension (``\color``,
``\bbox``...), so nothing is fetched, from the network or from disk. Without the package
the page shows the TeX source and says how to get it typeset.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path

_MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]]},
  svg: {fontCache: "global"},
  options: {enableMenu: false},
  startup: {typeset: true}
};"""

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 62rem;
       margin: 2rem auto; padding: 0 1.5rem; color: #1d1d1f; line-height: 1.5; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #d0d7de; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #e5e7eb; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 .3rem; color: #374151; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .86rem; }
pre { background: #f6f8fa; padding: .6rem .8rem; border-radius: 6px; overflow-x: auto; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: right; }
th { background: #f6f8fa; }
td.name, th.name { text-align: left; }
.eq { margin: .3rem 0 .1rem; }
.check { color: #1a7f37; font-size: .85rem; margin: 0 0 .6rem 1.2rem; }
.check.bad { color: #cf222e; }
.shape { color: #6b7280; font-size: .85rem; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem .8rem;
        border-radius: 6px; font-size: .9rem; }
figure { margin: 1rem 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr)); gap: 0 1.2rem; }
figure img { max-width: 100%; border: 1px solid #e5e7eb; }
figcaption { font-size: .88rem; color: #4b5563; }
mjx-container[display="true"] { overflow-x: auto; overflow-y: hidden; }
"""


def mathjax_file() -> Path | None:
    """``tex-svg-full.js`` of the installed MathJax 3 (``django-static-mathjax``), or ``None``."""
    spec = importlib.util.find_spec("mathjax")
    for loc in list(spec.submodule_search_locations or []) if spec else []:
        path = Path(loc) / "static" / "mathjax" / "es5" / "tex-svg-full.js"
        if path.is_file():
            return path
    return None


def escape(text: str) -> str:
    """HTML-escape ``text`` (quotes included)."""
    return html.escape(text, quote=True)


def page(title: str, body: str, *, math: bool = True) -> str:
    r"""A whole HTML document: ``body`` (HTML, formulas as ``\(...\)`` and ``\[...\]``) and the styles.

    With ``math`` and MathJax installed, MathJax is inlined in the page; without it, a
    note at the top says the formulas are shown as TeX.
    """
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style>",
    ]
    note = ""
    if math:
        found = mathjax_file()
        if found is not None:
            script = found.read_text(encoding="utf-8").replace("</script", "<\\/script")
            head.append(f"<script>{_MATHJAX_CONFIG}</script>")
            head.append(f"<script>{script}</script>")
        else:
            note = (
                '<p class="note">The formulas are shown as TeX: install the <code>math</code>'
                " extra (<code>pip install 'minitorch_bp[math]'</code>, which brings MathJax)"
                " to have them typeset in this file, offline.</p>"
            )
    head += ["</head>", "<body>"]
    return "\n".join([*head, note, body, "</body>", "</html>", ""])
