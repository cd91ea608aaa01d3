"""Regular expressions with the app's semantics: RE2, the syntax and matching of Go's
``regexp``, through the RE2 library's Python bindings (PyPI ``google-re2``).

Schema ``pattern``s and ``patternProperties``, and ``matches()`` in expressions, are
checked in the editor and run in the simulator with these, so a pattern the app cannot
compile is a located error before the build, and the simulator answers as the app
does (``$`` only at the end of the text, ``\\d`` and ``\\w`` ASCII, ...).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

__all__ = ["Pattern", "compile_pattern", "pattern_error"]


@cache
def _re2() -> tuple[Any, Any]:
    """The RE2 module and its options, imported when a pattern is first compiled (most
    flows have none: the import is a few milliseconds of every command's start)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # errors are returned, not printed
    return re2, options


# What C++ RE2 accepts and Go's regexp does not: `\C` (any byte).
_GO_ONLY = re.compile(r"(?<!\\)(?:\\\\)*\\C")


class Pattern:
    """A compiled RE2 pattern; :meth:`search` finds it anywhere in a string."""

    __slots__ = ("_re", "source")

    def __init__(self, source: str, compiled: Any) -> None:
        self.source = source
        self._re = compiled

    def search(self, text: str) -> bool:
        try:
            return self._re.search(text) is not None
        except UnicodeEncodeError:  # a lone surrogate: Go holds U+FFFD in its place
            fixed = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            return self._re.search(fixed) is not None


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> Pattern | str:
    if _GO_ONLY.search(pattern):
        return "invalid escape sequence: `\\C`"
    re2, options = _re2()
    try:
        return Pattern(pattern, re2.compile(pattern, options=options))
    except re2.error as exc:
        message = exc.args[0] if exc.args else str(exc)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return str(message)
    except UnicodeEncodeError:
        return "the pattern is not valid UTF-8 text"


def compile_pattern(pattern: str) -> Pattern | None:
    """The compiled pattern, or None when RE2 rejects it (see :func:`pattern_error`)."""
    got = _compile(pattern)
    return got if isinstance(got, Pattern) else None


def pattern_error(pattern: str) -> str | None:
    """Why RE2 (Go's ``regexp``) rejects ``pattern``, or None when it compiles."""
    got = _compile(pattern)
    return got if isinstance(got, str) else None
