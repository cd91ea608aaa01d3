"""The canonical, diff-friendly layout of a flow file (docs/flow-format.md).

Two-space indentation; top-level keys ``nodeforge, id, name, description, nodes,
connections, tests`` first; node keys ``id, type, version, title, description,
position, config`` first; each connection and each ``position`` on one line;
other keys keep their order; numbers keep their spelling; strings are written
without ASCII escaping; a trailing newline. Formatting never drops content:
duplicate keys are kept as they are.

Nesting is bounded, not recursive: the layout is written with an explicit stack, a
container nested deeper than ``MAX_LAYOUT_DEPTH`` levels is written on one line (so
the output stays linear in the input), and JSON nested deeper than the standard
library's decoder goes (about 1,000 levels) is decoded by an iterative one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from nodeforge.analysis.text import Span

from .facts import NODE_KEYS, TOP_LEVEL_KEYS
from .model import TextEdit

CONNECTION_ORDER = ("from", "to")
#: Containers nested deeper than this are written on one line.
MAX_LAYOUT_DEPTH = 100
_MAX_INDENT = 2 * MAX_LAYOUT_DEPTH
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
        value = _load(source)
    except ValueError:
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
    """``value`` with two-space indentation, its first line already placed.

    Written with an explicit stack of values and literal pieces (a value is a
    one-element tuple), so that any depth works; past ``MAX_LAYOUT_DEPTH`` levels
    the rest goes on one line."""
    out: list[str] = []
    stack: list[tuple[Any, str] | str] = [(value, indent)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        current, here = item
        if len(here) > _MAX_INDENT:
            out.append(_inline(current))
        elif isinstance(current, _Object) and current.pairs:
            inner = here + "  "
            stack.append(f"\n{here}}}")
            for i in range(len(current.pairs) - 1, -1, -1):
                key, member = current.pairs[i]
                stack.append((member, inner))
                stack.append(("{\n" if i == 0 else ",\n") + f"{inner}{_string(key)}: ")
        elif isinstance(current, list) and current:
            inner = here + "  "
            stack.append(f"\n{here}]")
            for i in range(len(current) - 1, -1, -1):
                stack.append((current[i], inner))
                stack.append(("[\n" if i == 0 else ",\n") + inner)
        else:
            out.append(_leaf(current))
    return "".join(out)


def _inline(value: Any) -> str:
    """``value`` on one line (iteratively, like :func:`_block`)."""
    out: list[str] = []
    stack: list[tuple[Any] | str] = [(value,)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        current = item[0]
        if isinstance(current, _Object) and current.pairs:
            stack.append("}")
            for i in range(len(current.pairs) - 1, -1, -1):
                key, member = current.pairs[i]
                stack.append((member,))
                stack.append(("{" if i == 0 else ", ") + f"{_string(key)}: ")
        elif isinstance(current, list) and current:
            stack.append("]")
            for i in range(len(current) - 1, -1, -1):
                stack.append((current[i],))
                stack.append("[" if i == 0 else ", ")
        else:
            out.append(_leaf(current))
    return "".join(out)


def _leaf(value: Any) -> str:
    """An empty container or a scalar."""
    if isinstance(value, _Object):
        return "{}"
    if isinstance(value, list):
        return "[]"
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


# -- decoding ---------------------------------------------------------------------------


def _load(source: str) -> Any:
    """``source`` decoded with members in order, duplicates kept and numbers as
    written; ``ValueError`` when it is not JSON. The standard library's C decoder
    recurses (about 1,000 levels at most): deeper documents take the iterative one."""
    try:
        return json.loads(
            source,
            object_pairs_hook=_Object,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=_reject,
        )
    except RecursionError:
        return _load_iteratively(source)


# One token after optional whitespace: punctuation (group 1), a string (2), a number (3)
# or a literal (4), exactly as JSON (RFC 8259) spells them.
_TOKEN = re.compile(
    r"[ \t\n\r]*(?:([\[\]{}:,])"
    r'|("(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")'
    r"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
    r"|(true|false|null))"
)
_WHITESPACE = re.compile(r"[ \t\n\r]*\Z")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
# What the decoder expects next.
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _COMMA_OR_CLOSE, _END = range(7)


def _load_iteratively(source: str) -> Any:
    """What :func:`_load` gives, with an explicit stack of open containers."""
    open_: list[tuple[list[Any], bool]] = []  # members of each open container, is object
    keys: list[str] = []  # the key awaiting its value, per open object
    state, pos, root = _VALUE, 0, None
    while True:
        m = _TOKEN.match(source, pos)
        if m is None:
            if state == _END and _WHITESPACE.match(source, pos):
                return root
            raise ValueError(f"not JSON at offset {pos}")
        pos = m.end()
        punct, string, number, word = m.groups()
        value: Any
        if state == _END:
            raise ValueError(f"extra data at offset {m.start()}")
        if state in (_KEY, _KEY_OR_CLOSE) and string is not None:
            keys.append(json.loads(string))
            state = _COLON
            continue
        if punct == ":":
            if state != _COLON:
                raise ValueError(f"unexpected `:` at offset {m.start()}")
            state = _VALUE
            continue
        if punct == ",":
            if state != _COMMA_OR_CLOSE:
                raise ValueError(f"unexpected `,` at offset {m.start()}")
            state = _KEY if open_[-1][1] else _VALUE
            continue
        if punct in ("}", "]"):
            is_object = punct == "}"
            if not open_ or open_[-1][1] != is_object:
                raise ValueError(f"unexpected `{punct}` at offset {m.start()}")
            if state not in (_COMMA_OR_CLOSE, _KEY_OR_CLOSE if is_object else _VALUE_OR_CLOSE):
                raise ValueError(f"unexpected `{punct}` at offset {m.start()}")
            members, _ = open_.pop()
            value = _Object(members) if is_object else members
        elif state not in (_VALUE, _VALUE_OR_CLOSE):
            raise ValueError(f"unexpected value at offset {m.start()}")
        elif punct in ("{", "["):
            open_.append(([], punct == "{"))
            state = _KEY_OR_CLOSE if punct == "{" else _VALUE_OR_CLOSE
            continue
        elif string is not None:
            value = json.loads(string)
        elif number is not None:
            value = _Number(number)
        else:
            value = _LITERALS[word]
        if not open_:
            root, state = value, _END
            continue
        members, is_object = open_[-1]
        members.append((keys.pop(), value) if is_object else value)
        state = _COMMA_OR_CLOSE
