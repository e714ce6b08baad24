#!/usr/bin/env python3
"""Check that the built site renders its math in a browser with the network off.

Usage (after ``python3 tasks.py docs``)::

    python3 docs/check_offline_math.py [--site docs/_build/html] [--page notes-to-code.html]
                                       [--screenshot notes-to-code.png]

1. Every page of the site must load its scripts and styles from the site itself: any
   ``<script src>`` or ``<link href>`` that names another host fails the check.
2. Headless Chromium opens the page from ``file://`` with networking cut off (inside
   ``unshare -n`` when available, and always with a proxy that goes nowhere and a host
   resolver that resolves nothing), lets MathJax run, and dumps the rendered DOM. The
   page passes when MathJax produced ``<mjx-container>`` elements, none of them holds a
   TeX error (``<mjx-merror>``), and no TeX source ``\\(`` is left unrendered.
3. With ``--screenshot`` it also saves a PNG of the page, to look at.

Needs ``chromium`` (Debian: ``apt-get install chromium``); exits 2 when it is missing,
so CI runs it only where a browser is installed. Standard library only.
"""

from __future__ import annotations

import argparse
import html.parser
import re
import shutil
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--proxy-server=127.0.0.1:9",  # the discard port: nothing answers
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--allow-file-access-from-files",
]


class _Assets(html.parser.HTMLParser):
    """Collect the URLs of scripts and style sheets a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        if tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "preload"):
            self.urls.append(a["href"] or "")


def external_assets(site: Path) -> list[str]:
    """Every script or style sheet of the site that is not served by the site."""
    bad = []
    for page in sorted(site.rglob("*.html")):
        parser = _Assets()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            if re.match(r"^(https?:)?//", url):
                bad.append(f"{page.relative_to(site)}: {url}")
    return bad


def browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def offline(cmd: list[str]) -> list[str]:
    """Run ``cmd`` in a network namespace of its own when the system allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n", *cmd]
    return cmd


def render(
    chrome: str, url: str, extra: list[str], timeout: float
) -> subprocess.CompletedProcess[str]:
    cmd = offline([chrome, *OFFLINE_FLAGS, "--virtual-time-budget=15000", *extra, url])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def check_dom(dom: str) -> list[str]:
    problems = []
    rendered = dom.count("<mjx-container")
    if rendered == 0:
        problems.append("MathJax rendered nothing (no <mjx-container> in the page)")
    errors = dom.count("<mjx-merror")
    if errors:
        problems.append(f"{errors} formulas failed to typeset (<mjx-merror>)")
    # Sphinx writes inline math as \( ... \) inside <span class="math">; MathJax
    # replaces the whole span's text, so any left over was not rendered.
    left = re.findall(r'<span class="math[^"]*">\\\(', dom)
    if left:
        problems.append(f"{len(left)} inline formulas left as TeX source")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=DOCS / "_build" / "html")
    parser.add_argument("--page", default="notes-to-code.html")
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    site = args.site.resolve()
    page = site / args.page
    if not page.is_file():
        print(
            f"check_offline_math: {page} does not exist; run python3 tasks.py docs", file=sys.stderr
        )
        return 1
    for asset in ("tex-chtml.js", "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff"):
        if not (site / "_static" / "mathjax" / asset).is_file():
            print(f"check_offline_math: _static/mathjax/{asset} is missing", file=sys.stderr)
            return 1
    bad = external_assets(site)
    if bad:
        print(
            "check_offline_math: assets loaded from other hosts:", *bad, sep="\n  ", file=sys.stderr
        )
        return 1
    chrome = browser()
    if chrome is None:
        print(
            "check_offline_math: no chromium found (apt-get install chromium); skipped",
            file=sys.stderr,
        )
        return 2

    source = page.read_text(encoding="utf-8")
    if 'class="math' not in source:
        print(f"{args.page}: no math on this page; nothing to render")
        return 0
    url = page.as_uri()
    result = render(chrome, url, ["--dump-dom"], args.timeout)
    problems = check_dom(result.stdout)
    if problems:
        print(f"check_offline_math: {args.page}:", *problems, sep="\n  ", file=sys.stderr)
        if not result.stdout:
            print(result.stderr[-2000:], file=sys.stderr)
        return 1
    count = result.stdout.count("<mjx-container")
    print(f"{args.page}: {count} formulas rendered offline by the site's own MathJax")
    if args.screenshot is not None:
        shot = args.screenshot.resolve()
        render(chrome, url, [f"--screenshot={shot}", "--window-size=1280,2000"], args.timeout)
        if not shot.is_file():
            print(f"check_offline_math: no screenshot written to {shot}", file=sys.stderr)
            return 1
        print(f"screenshot: {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
