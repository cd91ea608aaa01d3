"""Where a value inside a node sits in the flow file, found by scanning the node's text.

The generator writes a ``//line`` directive per node and per config value it uses
(about two per node). Asking the document's positioned tree for them expands each
node's object and its config into positioned children, which costs more than the
rest of the node's generation; here the node's text (known valid JSON: the flow had no
errors) is scanned once per call for the keys along the path, strings skipped whole.
The answer is the offset ``FlowDocument.span_of`` gives (the value's first character,
JSON's last-wins rule for repeated keys); ``None`` when the path is not all there, and
the caller asks the document (which answers with the deepest existing ancestor).
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

from nodeforge.analysis.text import PositionEncoding, units

__all__ = ["LineColumns", "object_item_starts", "root_array_items", "value_offset"]

# A string (escapes kept whole), or one of JSON's structural characters.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]')
_WS = re.compile(r"[ \t\n\r]*")
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]
_scan_once = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def value_offset(
    text: str, start: int, path: tuple[str | int, ...], *, unique_keys: bool = False
) -> int | None:
    """The offset of the value at ``path`` below the value starting at ``start``.
    ``unique_keys``: the caller knows no object repeats a key (a repeated key is an
    error, and the generator reads only error-free documents), so the first member of
    the name is the one, and the members after it are not scanned."""
    pos = start
    for segment in path:
        found = None
        if unique_keys and type(segment) is str and segment.isidentifier():
            found = _near_key(text, pos, segment)
        if found is None:
            found = _member(text, pos, segment, unique_keys)
            if found is None:
                return None
        pos = found
    return pos


_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")
_NEAR = 2048  # characters searched for a key before the whole rest of the text


def _near_key(text: str, pos: int, key: str) -> int | None:
    """The value of member ``key`` (an identifier) of the object at ``pos`` when the text
    between the ``{`` and the first ``"key"`` holds no bracket: then that string is at
    the object's own level, and a key if a colon follows (a string whose first quote is
    not escaped and is followed by a letter, a digit or ``_`` is a whole string token:
    a closing quote is never followed by one). ``None``: ask :func:`_member`."""
    if text[pos : pos + 1] != "{":
        return None
    quoted = f'"{key}"'
    # (a bounded search first: str.find over the rest of a large text costs more, even
    # when the key is near)
    at = text.find(quoted, pos + 1, pos + _NEAR)
    if at < 0:
        at = text.find(quoted, pos + 1)
    if at < 0 or text[at - 1] == "\\":
        return None
    between = text[pos + 1 : at]
    if "{" in between or "}" in between or "[" in between or "]" in between:
        return None
    after = at + len(key) + 2
    if text.startswith(": ", after) and text[after + 2 : after + 3] not in " \t\n\r":
        return after + 2  # json.dumps' separator, the commonest
    m = _COLON.match(text, after)
    return m.end() if m is not None else None


def _member(text: str, pos: int, segment: str | int, unique_keys: bool) -> int | None:
    opening = text[pos : pos + 1]
    if isinstance(segment, str):
        if opening != "{":
            return None
        return _key(text, pos + 1, segment, unique_keys)
    if opening != "[" or segment < 0:
        return None
    return _item(text, pos + 1, segment)


# The comma or brace after a value, with the white space around them: one match.
_AFTER = re.compile(r"[ \t\n\r]*(?:(,)[ \t\n\r]*|\})")
# One member of an object: its key (the raw text between the quotes, group 1), the
# colon, the value's start (group 2, empty), and when the value is a scalar (a string,
# a number, true, false, null) the value and the `,` or `}` after it (group 3): a node's
# id, type, version and most config values, each skipped in one match.
_MEMBER = re.compile(
    r'[ \t\n\r]*"([^"\\]*(?:\\.[^"\\]*)*)"[ \t\n\r]*:[ \t\n\r]*()'
    r'(?:(?:"[^"\\]*(?:\\.[^"\\]*)*"|[-+.0-9a-zA-Z]+)[ \t\n\r]*([,}])[ \t\n\r]*)?'
)


def _key(text: str, pos: int, key: str, unique_keys: bool = False) -> int | None:
    """The value of the last member ``key`` of the object whose members start at
    ``pos`` (the first, when ``unique_keys``): scalar members skipped by one regex match,
    other values by the standard library's C scanner."""
    found = None
    member, after = _MEMBER.match, _AFTER.match
    try:
        while True:
            m = member(text, pos)
            if m is None:
                return None  # `}` (no members), or not an object's member
            name = m.group(1)
            if "\\" in name:  # escapes: the key as JSON reads it
                name = _scanstring(text, m.start(1))[0]
            if name == key:
                if unique_keys:
                    return m.start(2)
                found = m.start(2)
            if m.group(3) is not None:  # a scalar, and the `,` or `}` after it
                if m.group(3) == "}":
                    return found  # the object's end: the last member of that name wins
                pos = m.end()
                continue
            _value, pos = _scan_once(text, m.start(2))
            a = after(text, pos)
            if a is None:
                return None
            if a.group(1) is None:
                return found
            pos = a.end()
    except (IndexError, ValueError, StopIteration):
        return None


def _item(text: str, pos: int, index: int) -> int | None:
    first = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if text[first : first + 1] == "]":
        return None  # an empty array
    if index == 0:
        return first
    depth = 0
    seen = 0
    for m in _TOKEN.finditer(text, pos):
        c = m.group()[0]
        if c in "{[":
            depth += 1
        elif c in "}]":
            if depth == 0:
                return None
            depth -= 1
        elif c == "," and depth == 0:
            seen += 1
            if seen == index:
                return _WS.match(text, m.end()).end()  # type: ignore[union-attr]
    return None


# Between two objects that are items of one array: the first's `}`, the comma, the
# second's `{` (how analysis.jsontree tells a flow's nodes apart).
_BOUNDARY = re.compile(r"\}[ \t\n\r]*,[ \t\n\r]*\{")


def object_item_starts(text: str, start: int, end: int, count: int) -> list[int] | None:
    """Where each item of the well-formed array ``text[start:end]`` starts, its ``count``
    items all objects, found by one regex pass (no item decoded): every boundary
    between two items is a run of `}`, `,` and `{`, so when there are exactly
    ``count - 1`` runs (none inside a string or a nested array of objects) they are
    the boundaries; ``None`` when there are more."""
    first = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    if not count or text[first : first + 1] != "{":
        return None
    cuts = [m.end() - 1 for m in _BOUNDARY.finditer(text, first, end)]
    return [first, *cuts] if len(cuts) == count - 1 else None


def root_array_items(text: str, key: str) -> tuple[list[int], list[object]] | None:
    """The start offsets and the values of the items of the array that the root object's
    member ``key`` holds (the last member of that name), in one scan of the text; ``None``
    when the text is not such an object (or not valid JSON there)."""
    ws = _WS.match
    found: tuple[list[int], list[object]] | None = None
    try:
        pos = ws(text, 0).end()  # type: ignore[union-attr]
        if text[pos] != "{":
            return None
        pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
        if text[pos] == "}":
            return None
        while True:
            if text[pos] != '"':
                return None
            name, pos = _scanstring(text, pos + 1)
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            if text[pos] != ":":
                return None
            pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
            if name == key:
                if text[pos] != "[":
                    found = None
                    _value, pos = _scan_once(text, pos)
                else:
                    found, pos = _items(text, pos + 1)
            else:
                _value, pos = _scan_once(text, pos)
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            c = text[pos]
            if c == "}":
                return found
            if c != ",":
                return None
            pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
    except (IndexError, ValueError, StopIteration):
        return None


def _items(text: str, pos: int) -> tuple[tuple[list[int], list[object]], int]:
    """The items of the array whose items start at ``pos``: (starts, values), and the
    offset past its ``]``."""
    ws = _WS.match
    starts: list[int] = []
    values: list[object] = []
    pos = ws(text, pos).end()  # type: ignore[union-attr]
    if text[pos] == "]":
        return (starts, values), pos + 1
    while True:
        starts.append(pos)
        value, pos = _scan_once(text, pos)
        values.append(value)
        pos = ws(text, pos).end()  # type: ignore[union-attr]
        c = text[pos]
        if c == "]":
            return (starts, values), pos + 1
        if c != ",":
            raise ValueError("not an array")
        pos = ws(text, pos + 1).end()  # type: ignore[union-attr]


class LineColumns:
    """``LineIndex.position`` (0-based line, UTF-16 column) of the offsets of a text's
    ``//line`` positions, which follow the nodes (mostly in document order): the lines
    are counted from the last offset asked for (``str.count`` in C over the text between
    the two), not looked up in a table of every line start, which costs more to build
    than all the counting. ``line_starts`` gives that table (``LineIndex.line_starts``):
    taken once the counting has scanned more than ``budget`` characters (a few times the
    text by default: offsets asked for far apart and out of order), and at once for a
    text with ``\r`` line breaks, which only the table knows."""

    __slots__ = ("_ascii", "_at", "_budget", "_line_starts", "_lines", "_scanned", "text")

    def __init__(
        self, text: str, line_starts: Callable[[], Sequence[int]], budget: int | None = None
    ) -> None:
        self.text = text
        self._line_starts = line_starts
        self._lines: list[int] | None = None
        self._at = (0, 0, 0)  # (offset, its line, the line's start)
        self._scanned = 0  # characters counting has scanned so far
        self._ascii = text.isascii()  # a column is then its offset from the line's start
        if "\r" in text:
            self._budget = -1
        else:
            self._budget = 4 * len(text) + 65536 if budget is None else budget

    def position(self, offset: int) -> tuple[int, int]:
        text = self.text
        lines = self._lines
        if lines is None and self._scanned > self._budget:
            # (a list: bisect in an array makes an int object of each item it compares)
            lines = self._lines = list(self._line_starts())
        if lines is None:
            at, line, first = self._at
            if offset >= at:
                crossed = text.count("\n", at, offset)
                if crossed:
                    line += crossed
                    first = text.rfind("\n", at, offset) + 1
                self._scanned += offset - at
            else:
                crossed = text.count("\n", offset, at)
                if crossed:
                    line -= crossed
                    first = text.rfind("\n", 0, offset) + 1
                    self._scanned += at - first
                else:
                    self._scanned += at - offset
            self._at = (offset, line, first)
        else:
            line = bisect_right(lines, offset) - 1
            first = lines[line]
        if self._ascii:
            return line, offset - first
        before = text[first:offset]
        return line, len(before) if before.isascii() else units(before, PositionEncoding.UTF16)
