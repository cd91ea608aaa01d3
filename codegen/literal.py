"""The one literal encoder: every value from a flow reaches Go source through here.

Config strings, SQL statements, URLs, labels, JSON Schemas, map keys: all become Go
literals via :func:`go_literal` (strings via :func:`go_string`, an equivalent of Go's
``strconv.Quote``), never by interpolating flow text into a template. Comments carry flow
titles and descriptions through :func:`go_comment`, which cannot end a comment or start
a line of code. A property test (tests/test_codegen_literals.py) feeds hostile strings
through configs and checks that the generated program compiles and round-trips them.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

__all__ = ["go_bool", "go_comment", "go_float", "go_int", "go_literal", "go_string", "json_text"]

# Characters that stand for themselves in a Go string literal: printable ASCII but `"`, `\`.
_PLAIN = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _printable(ch: str) -> bool:
    """Go's strconv.IsPrint, closely enough: letters, marks, numbers, punctuation,
    symbols and the ASCII space."""
    if ch == " ":
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "LMNPS"


_QUOTED: dict[str, str] = {}  # plain strings -> their literal, a bounded memo
_QUOTED_MAX = 1 << 16


def go_string(s: str) -> str:
    """A Go interpreted string literal whose value is ``s`` encoded as UTF-8.

    Like ``strconv.Quote``: printable characters stay as they are, everything else is
    escaped. A lone surrogate (which UTF-8 cannot encode) becomes U+FFFD, as Go's own
    conversions do.
    """
    hit = _QUOTED.get(s)  # node ids, types, versions, ports: quoted again and again
    if hit is not None:
        return hit
    if _PLAIN.fullmatch(s):  # the common case: printable ASCII without `"` or `\`
        quoted = f'"{s}"'
        if len(_QUOTED) < _QUOTED_MAX:
            _QUOTED[s] = quoted
        return quoted
    out = ['"']
    for ch in s:
        esc = _SIMPLE_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
            continue
        cp = ord(ch)
        if 0xD800 <= cp <= 0xDFFF:
            out.append("\\ufffd")
        elif cp < 0x80:
            out.append(ch if 0x20 <= cp < 0x7F else f"\\x{cp:02x}")
        elif _printable(ch):
            out.append(ch)
        elif cp <= 0xFFFF:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    out.append('"')
    return "".join(out)


def go_int(n: int) -> str:
    """A decimal integer literal (int64 range is the caller's concern)."""
    if isinstance(n, bool):  # bool is an int in Python; never print True as 1
        raise TypeError("go_int of a bool")
    return str(int(n))


def go_float(x: float) -> str:
    """A float64 value: a literal that reads back exactly, or math's NaN and infinities."""
    if math.isnan(x):
        return "math.NaN()"
    if math.isinf(x):
        return "math.Inf(1)" if x > 0 else "math.Inf(-1)"
    text = repr(float(x))
    if "e" in text or "E" in text:
        mant, _, exp = text.partition("e")
        if "." not in mant:
            mant += ".0"
        return f"{mant}e{exp}"
    return text


def go_bool(b: bool) -> str:
    return "true" if b else "false"


def go_literal(value: Any) -> str:
    """A Go literal for a scalar JSON value (strings, numbers, booleans, null)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return go_bool(value)
    if isinstance(value, int):
        return go_int(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_string(value)
    raise TypeError(f"no Go literal for {type(value).__name__}")


def json_text(value: Any) -> str:
    """A Go string literal holding ``value`` as compact JSON with sorted keys."""
    return go_string(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


_COMMENT_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ufeff\ud800-\udfff]")


def go_comment(text: str, width: int = 90) -> list[str]:
    """``//`` comment lines for flow text (titles, descriptions): control characters and
    line breaks cannot end the comment, so the text can never become code."""
    # (printable ASCII, the common case, holds nothing unsafe: no regex search for it)
    safe = text.isascii() and text.isprintable()
    if len(text) <= width and (safe or ("\x85" not in text and not _COMMENT_UNSAFE.search(text))):
        # One line that needs no wrapping (titles, most docs): what the loop below makes
        # of it, which drops the leading spaces and the trailing white space.
        one = text.rstrip().lstrip(" ")
        return [f"// {one}"] if one else []
    lines: list[str] = []
    for raw in text.splitlines() or [""]:
        clean = _COMMENT_UNSAFE.sub(" ", raw).rstrip()
        words = clean.split(" ")
        line = ""
        for w in words:
            if line and len(line) + 1 + len(w) > width:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}" if line else w
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return [f"// {line}".rstrip() for line in lines]
