"""The canonical, diff-friendly layout of a flow file (docs/flow-format.md).

Two-space indentation; top-level keys ``nodeforge, id, name, description, nodes,
connections, tests`` first; node keys ``id, type, version, title, description,
position, config`` first; each connection and each ``position`` on one line;
other keys keep their order; numbers keep their spelling; strings are written
without ASCII escaping; a trailing newline. Formatting never drops content:
duplicate keys are kept as they are.
"""

from __future__ import annotations

import json
import re
from typing import Any

from nodeforge.analysis.text import Span

from .facts import NODE_KEYS, TOP_LEVEL_KEYS
from .model import TextEdit

CONNECTION_ORDER = ("from", "to")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _Object:
    """An object's members in document order, duplicates included."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def get(self, key: str) -> Any:
        for k, v in reversed(self.pairs):
            if k == key:
                return v
        return None


class _Number:
    """A number as written in the source."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def format_document(text: str) -> str | None:
    """The canonical layout of ``text``, or None when it is not valid JSON."""
    source = text[1:] if text.startswith("\ufeff") else text
    try:
        value = json.loads(
            source,
            object_pairs_hook=_Object,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=_reject,
        )
    except (ValueError, RecursionError):
        return None
    if isinstance(value, _Object):
        value = _ordered(value, TOP_LEVEL_KEYS)
        out = _root(value)
    else:
        out = _block(value, "")
    return out + "\n"


def format_edits(text: str) -> list[TextEdit]:
    """One whole-document edit to the canonical layout, or none."""
    formatted = format_document(text)
    if formatted is None or formatted == text:
        return []
    return [TextEdit(Span(0, len(text)), formatted)]


def _ordered(obj: _Object, order: tuple[str, ...]) -> _Object:
    rank = {k: i for i, k in enumerate(order)}
    pairs = sorted(enumerate(obj.pairs), key=lambda p: (rank.get(p[1][0], len(order)), p[0]))
    return _Object([pair for _i, pair in pairs])


def _root(obj: _Object) -> str:
    if not obj.pairs:
        return "{}"
    lines = []
    for key, value in obj.pairs:
        if key == "nodes" and isinstance(value, list):
            rendered = _list(value, "  ", _node)
        elif key == "connections" and isinstance(value, list):
            rendered = _list(value, "  ", _connection)
        else:
            rendered = _block(value, "  ")
        lines.append(f"  {_string(key)}: {rendered}")
    return "{\n" + ",\n".join(lines) + "\n}"


def _list(items: list[Any], indent: str, render: Any) -> str:
    if not items:
        return "[]"
    inner = indent + "  "
    return "[\n" + ",\n".join(inner + render(item, inner) for item in items) + f"\n{indent}]"


def _node(value: Any, indent: str) -> str:
    if not isinstance(value, _Object):
        return _block(value, indent)
    obj = _ordered(value, NODE_KEYS)
    if not obj.pairs:
        return "{}"
    inner = indent + "  "
    lines = []
    for key, member in obj.pairs:
        rendered = _inline(member) if key == "position" else _block(member, inner)
        lines.append(f"{inner}{_string(key)}: {rendered}")
    return "{\n" + ",\n".join(lines) + f"\n{indent}}}"


def _connection(value: Any, indent: str) -> str:
    if isinstance(value, _Object):
        return _inline(_ordered(value, CONNECTION_ORDER))
    return _inline(value)


def _block(value: Any, indent: str) -> str:
    """``value`` with two-space indentation, its first line already placed."""
    if isinstance(value, _Object):
        if not value.pairs:
            return "{}"
        inner = indent + "  "
        body = ",\n".join(f"{inner}{_string(k)}: {_block(v, inner)}" for k, v in value.pairs)
        return "{\n" + body + f"\n{indent}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + _block(v, inner) for v in value) + f"\n{indent}]"
    return _scalar(value)


def _inline(value: Any) -> str:
    if isinstance(value, _Object):
        return "{" + ", ".join(f"{_string(k)}: {_inline(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, _Number):
        return value.text
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value)


def _string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    # Lone surrogates cannot be written as UTF-8: keep them escaped.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
