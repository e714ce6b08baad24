"""Sphinx configuration: MyST pages, the API reference from docstrings, offline MathJax.

Build with ``python3 tasks.py docs`` (warnings are errors). Nothing here reaches the
network: MathJax 3 comes from the ``django-static-mathjax`` wheel of the ``docs`` extra
and is copied into ``_build/html/_static/mathjax`` at build time.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import minitorch_bp  # noqa: E402

project = "minitorch_bp"
author = "minitorch_bp developers"
copyright = "minitorch_bp developers, MIT licence"
release = version = minitorch_bp.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md"]
suppress_warnings = ["myst.header"]

# ------------------------------------------------------------------- MyST
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# ``[text](../CHANGELOG.md)`` style links outside docs/ are not documents.
myst_url_schemes = ["http", "https", "mailto"]

# ------------------------------------------------------------------- API reference
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "signature"
autodoc_inherit_docstrings = True
autodoc_type_aliases = {
    "Array": "numpy.ndarray",
    "Seed": "int | numpy.random.Generator | None",
    "Reduction": "Reduction",
    "DTypeLike": "numpy.typing.DTypeLike",
    "ArrayLike": "numpy.typing.ArrayLike",
}
# Show defaults as written (``dtype=np.float64``), not as their repr.
autodoc_preserve_defaults = True
autodoc_member_order = "bysource"
add_module_names = False
python_use_unqualified_type_names = True

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True
# The sections the docstrings use beyond Google's standard ones (see contributing.md).
napoleon_custom_sections = [
    "Shape",
    "Caches",
    "Initialisation",
    "Numerics",
    "Gradient",
    "Closures",
    "Equivalent PyTorch",
]

#: Modules of the API reference that other parts of the project add. Each one that
#: imports gets its own section in ``api/extras``; a missing one is left out, so the
#: build passes before it exists. Extend this list when a new public module lands.
OPTIONAL_API_MODULES = [
    "minitorch_bp.train",
    "minitorch_bp.io",
    "minitorch_bp.interop",
    "minitorch_bp.distributed",
]

#: Public names a module re-exports from another documented module, mapped to that
#: module: they are documented once, where they are defined (a class documented twice
#: is a duplicate-object error), and the other module's section links there.
REEXPORTED: dict[str, dict[str, str]] = {
    "minitorch_bp.train": {"Step": "minitorch_bp.engine", "compile_step": "minitorch_bp.engine"},
}

# ------------------------------------------------------------------- HTML
html_theme = "alabaster"
html_title = f"minitorch_bp {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "description": "The backpropagation notes as a PyTorch-style framework on numpy.",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "searchbox.html", "navigation.html", "relations.html"]}
html_show_sourcelink = False

# ------------------------------------------------------------------- offline math
MATHJAX_DIR = "_static/mathjax"
mathjax_path = "mathjax/tex-chtml.js"
# The docstrings use only TeX; no need for the assistive-MathML menu's extra loads.
mathjax3_config = {"options": {"enableMenu": False}}


def _mathjax_source() -> Path:
    """The MathJax 3 ``es5`` folder shipped by the ``django-static-mathjax`` wheel."""
    spec = importlib.util.find_spec("mathjax")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        es5 = Path(loc) / "static" / "mathjax" / "es5"
        if (es5 / "tex-chtml.js").is_file():
            return es5
    raise RuntimeError(
        "MathJax 3 is not installed: the docs serve it from the built site, never from a"
        " CDN. Install the docs extra (pip install -e '.[docs]'), which brings"
        " django-static-mathjax, or run python3 tasks.py docs."
    )


def _copy_mathjax(app: Any, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / MATHJAX_DIR
    if (target / "tex-chtml.js").is_file():
        return
    # Only what tex-chtml needs at run time: the entry script, the TeX extensions it
    # may autoload (\color, \bbox, ...) and the CHTML fonts.
    source = _mathjax_source()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "tex-chtml.js", target / "tex-chtml.js")
    for sub in ("input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y", "adaptors"):
        if (source / sub).is_dir():
            shutil.copytree(source / sub, target / sub, dirs_exist_ok=True)


# ------------------------------------------------------------------- pages of other parts
#: Pages that other parts of the project write. A toctree line naming one of them is
#: kept when the page exists and dropped otherwise; a page mapped to another page (a
#: short tutorial that links to it) is built only when that other page exists. A page
#: that exists but is in no toctree is a build error, so a new page must be listed.
OPTIONAL_PAGES: dict[str, str] = {
    "data": "data",
    "training": "training",
    "checkpoints": "checkpoints",
    "cli": "cli",
    "layers": "layers",
    "optimizers": "optimizers",
    "performance": "performance",
    "interop": "interop",
    "reliability": "reliability",
    "tutorials/training-loop": "training",
    "tutorials/saving-and-loading": "checkpoints",
    "tutorials/optimizers-compared": "optimizers",
    "tutorials/command-line": "cli",
}
DOCS = Path(__file__).resolve().parent


def _page_exists(docname: str) -> bool:
    return any((DOCS / f"{docname}{suffix}").is_file() for suffix in (".md", ".rst"))


def _page_wanted(docname: str) -> bool:
    return _page_exists(docname) and _page_exists(OPTIONAL_PAGES.get(docname, docname))


exclude_patterns += [
    f"{name}.md" for name in OPTIONAL_PAGES if _page_exists(name) and not _page_wanted(name)
]


def _drop_missing_toctree_entries(app: Any, docname: str, source: list[str]) -> None:
    if "{toctree}" not in source[0]:
        return
    base = docname.rpartition("/")[0]
    kept = []
    for line in source[0].splitlines(keepends=True):
        entry = line.strip()
        full = f"{base}/{entry}" if base else entry
        if full in OPTIONAL_PAGES and not _page_wanted(full):
            continue
        kept.append(line)
    source[0] = "".join(kept)


# ------------------------------------------------------------------- generated API pages
def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _extras_page(app: Any, docname: str, source: list[str]) -> None:
    if docname != "api/extras":
        return
    present = [name for name in OPTIONAL_API_MODULES if _importable(name)]
    parts = [source[0].rstrip(), ""]
    for name in present:
        parts += [f"## `{name}`", "", "```{eval-rst}", f".. automodule:: {name}"]
        moved = REEXPORTED.get(name, {})
        # Re-exported constants lose their ``#:`` comment in automodule (see datasets.md):
        # each gets an autodata of its own, which _fill_data_docstring completes.
        constants = _constants(name)
        if moved or constants:
            parts.append(f"   :exclude-members: {', '.join(sorted({*moved, *constants}))}")
        parts += ["", *(f".. autodata:: {name}.{c}" for c in constants), "```", ""]
        for attr, home in sorted(moved.items()):
            obj = getattr(importlib.import_module(home), attr)
            role = "class" if inspect.isclass(obj) else "func"
            parts.append(
                f"- `{name}.{attr}` is {{{role}}}`{home}.{attr} <{home}.{attr}>`, documented there."
            )
        if moved:
            parts.append("")
    if not present:
        parts.append("No training, checkpoint or interoperability module is installed.")
    source[0] = "\n".join(parts) + "\n"


def _constants(modname: str) -> list[str]:
    """The names in ``modname.__all__`` that are data: neither classes, functions nor modules."""
    module = importlib.import_module(modname)
    return [
        n
        for n in getattr(module, "__all__", [])
        if not (callable(getattr(module, n, None)) or inspect.ismodule(getattr(module, n, None)))
    ]


def _public_names() -> dict[str, list[str]]:
    documented = ["minitorch_bp", *API_MODULES]
    documented += [n for n in OPTIONAL_API_MODULES if _importable(n)]
    names: dict[str, list[str]] = {}
    for modname in documented:
        module = importlib.import_module(modname)
        public = getattr(module, "__all__", None)
        if public is None:
            # What autodoc documents without __all__: the module's own classes and functions.
            public = [
                n
                for n, obj in vars(module).items()
                if not n.startswith("_")
                and (inspect.isclass(obj) or inspect.isfunction(obj))
                and obj.__module__ == modname
            ]
        names[modname] = [
            n
            for n in public
            if not inspect.ismodule(getattr(module, n, None)) and n != "__version__"
        ]
    return names


def _data_comment(modname: str, attr: str) -> list[str] | None:
    """The ``#:`` comment of ``attr`` in the package ``modname`` or its sub-modules.

    autodoc reads doc comments only from the module it documents, so a constant defined
    in ``datasets/digits.py`` and re-exported by ``datasets/__init__.py`` would lose its.
    """
    from sphinx.pycode import ModuleAnalyzer

    module = importlib.import_module(modname)
    candidates = [modname]
    if hasattr(module, "__path__"):
        candidates += [
            info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{modname}.")
        ]
    for candidate in candidates:
        try:
            docs = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        except Exception:  # a module without source: nothing to read
            continue
        if ("", attr) in docs:
            return list(docs[("", attr)])
    return None


def _fill_data_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what != "data" or any(line.strip() for line in lines):
        return
    modname, _, attr = name.rpartition(".")
    documented = (*API_MODULES, *OPTIONAL_API_MODULES)
    comment = _data_comment(modname, attr) if modname in documented else None
    if comment:
        lines[:] = comment


#: The modules whose pages live in docs/api/; each must document all its ``__all__``.
API_MODULES = [
    "minitorch_bp.nn",
    "minitorch_bp.nn.functional",
    "minitorch_bp.nn.registry",
    "minitorch_bp.nn.export",
    "minitorch_bp.nn.init",
    "minitorch_bp.optim",
    "minitorch_bp.engine",
    "minitorch_bp.data",
    "minitorch_bp.estimators",
    "minitorch_bp.datasets",
    "minitorch_bp.gradcheck",
    "minitorch_bp.diagnosis",
    "minitorch_bp.explain",
    "minitorch_bp.explain.formulas",
    "minitorch_bp.explain.trace",
    "minitorch_bp.plots",
    "minitorch_bp.reference",
    "minitorch_bp.utils",
]


def _check_api_complete(app: Any, env: Any) -> None:
    """Warn (an error under -W) for every public name missing from the API reference."""
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    objects = env.get_domain("py").objects
    for modname, names in _public_names().items():
        if modname == "minitorch_bp":
            continue
        for name in names:
            home = REEXPORTED.get(modname, {}).get(name, modname)
            if f"{home}.{name}" not in objects:
                logger.warning(
                    f"API reference: {modname}.{name} is public (in __all__) but not documented;"
                    " give it a docstring (autodoc skips undocumented names)"
                )


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", lambda app: _mathjax_source())
    app.connect("source-read", _drop_missing_toctree_entries)
    app.connect("source-read", _extras_page)
    app.connect("autodoc-process-docstring", _fill_data_docstring)
    app.connect("env-check-consistency", _check_api_complete)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True}
