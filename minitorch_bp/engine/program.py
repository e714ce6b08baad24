"""A straight-line numpy program: the lines of one training step, compiled once.

The engine writes each step as Python source, one numpy call per line with a comment
in the notes' notation, binds every array it names (parameters, gradients, buffers)
and compiles it with ``compile``. The result runs as fast as a hand-written step (no
loop, no dispatch) and :attr:`Program.source` shows exactly what runs. The source is
built from this package's own templates and generated names only (``z1``, ``W0``...),
never from user text.
"""

from __future__ import annotations

import linecache
import re
from collections.abc import Callable
from itertools import count
from typing import Any

_PROGRAMS = count()


class Program:
    """Lines of Python source with the objects they name.

    ``name(obj, prefix)`` binds an object (the same object always gets the same name),
    ``emit(code, comment)`` adds a line, ``compile(arguments)`` returns the function.
    """

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self._names: dict[int, str] = {}
        self._counts: dict[str, int] = {}
        self._lines: list[str] = []
        self._indent = 1

    def name(self, obj: Any, prefix: str) -> str:
        """Return the name bound to ``obj`` in the program, binding it on first use."""
        key = id(obj)
        if key in self._names:
            return self._names[key]
        n = self._counts.get(prefix, 0)
        self._counts[prefix] = n + 1
        name = f"{prefix}_{n}" if n else prefix
        while name in self.namespace:
            n += 1
            name = f"{prefix}_{n}"
        self.namespace[name] = obj
        self._names[key] = name
        return name

    def emit(self, code: str, comment: str = "") -> None:
        """Add one line (``code``), with ``# comment`` after it when given."""
        line = "    " * self._indent + code
        if comment:
            line = f"{line:<60} # {comment}"
        self._lines.append(line)

    def mark(self) -> int:
        """The position after the last line so far (for :meth:`insert`)."""
        return len(self._lines)

    def insert(self, at: int, code: str, comment: str = "") -> None:
        """Insert one line at position ``at`` (from :meth:`mark`), at the current indentation."""
        line = "    " * self._indent + code
        self._lines.insert(at, f"{line:<60} # {comment}" if comment else line)

    def reads(self, name: str, after: int) -> bool:
        """Whether a line from position ``after`` on mentions the name ``name``."""
        return any(self._mentions(name, line) for line in self._lines[after:])

    def last_read(self, name: str, before: int) -> int:
        """The position of the last line before ``before`` that mentions ``name``."""
        return max(i for i, line in enumerate(self._lines[:before]) if self._mentions(name, line))

    @staticmethod
    def _mentions(name: str, line: str) -> bool:
        return re.search(rf"\b{re.escape(name)}\b", line.split("#", 1)[0]) is not None

    def indent(self, by: int) -> None:
        """Change the indentation of the following lines (for ``if`` blocks)."""
        self._indent += by

    @property
    def source(self) -> str:
        return "\n".join(self._lines)

    def compile(self, signature: str, result: str) -> Callable[..., Any]:
        """Return ``def step(signature): <lines>; return result`` as a function."""
        text = f"def step({signature}):\n{self.source}\n    return {result}\n"
        filename = f"<minitorch_bp.engine step {next(_PROGRAMS)}>"
        # Registered so that a traceback through the step shows the generated line.
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        scope = dict(self.namespace)
        exec(compile(text, filename, "exec"), scope)
        fn: Callable[..., Any] = scope["step"]
        self.text = text
        return fn
