"""Position-aware, error-recovering JSON parsing.

Invariant: :func:`parse_json` never raises. It returns a tree of :class:`JsonNode`
with exact code-point spans plus a list of syntax errors, whatever the input.

Two paths serve one tree. Valid subtrees are decoded by the C scanner of the
standard library (the speed of ``json.loads``) and expanded into positioned
children only when someone asks for them; the document's own members and the
items of its top-level arrays (a flow's nodes and connections) are positioned while
parsing, since every location and every incremental re-parse starts from them: the
items' offsets, in one array per top-level array, made into nodes only when asked
for (an open document keeps its parse: a node and two ints per item cost about as
much memory as the text itself). Where the C scanner
fails (missing comma, unclosed brace or string, trailing comma, duplicate key,
bare word, ...), a small recursive-descent parser walks that container token by
token, reports each problem at its exact place and recovers, and still uses the
fast path for every well-formed child inside it.
"""

from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, Literal

from nodeforge.analysis.text import Span, offsets_array

Kind = Literal["object", "array", "string", "number", "boolean", "null", "invalid"]

MAX_DEPTH = 64
#: Python converts decimal strings of at most this many digits to int (its default int
#: max str digits; ``json.loads`` raises ``ValueError`` beyond, and so would ``int``).
MAX_INT_DIGITS = 4300

_WS = re.compile(r"[ \t\n\r]*")
# A string token: closed by a quote, or (unterminated) running to the end of the line.
_STRING = re.compile(r'"(?:[^"\\\n\r]|\\.)*("?)')
_SCALAR = re.compile(r"[^\s{}\[\]:,\"]+")
# What follows an array item: a comma (group 1) and the next item's leading space, or `]`.
_SEPARATOR = re.compile(r"[ \t\n\r]*(?:(,)[ \t\n\r]*|\])")
# Between two objects that are items of one array: their `}`, the comma, the next `{`.
_BOUNDARY = re.compile(r"\}[ \t\n\r]*,[ \t\n\r]*\{")
# In an object the checked scanner accepted: a member up to its value (the key is group 1),
# what follows a value (`,` or `}`, group 1), and an object without members.
_MEMBER = re.compile(r'[ \t\n\r]*("(?:[^"\\\n\r]|\\.)*")[ \t\n\r]*:[ \t\n\r]*')
_MEMBER_END = re.compile(r"[ \t\n\r]*([,}])")
_EMPTY_OBJECT = re.compile(r"\{[ \t\n\r]*\}")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?\Z")


class _DuplicateKey(ValueError):
    """Raised inside the fast path so that the slow path can locate the duplicate."""


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Short ints by their text. An int above 256 is an object of its own (28 bytes) each
# time the scanner reads one, and a document repeats them: canvas positions on a grid
# (two per node), counts, timeouts. Bounded, like the other shared caches.
_INTS: dict[str, int] = {}


def _shared_int(text: str) -> int:
    value = _INTS.get(text)
    if value is None:
        value = int(text)
        if len(text) <= 6:
            if len(_INTS) >= 1024:
                _INTS.clear()
            _INTS[text] = value
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs_without_duplicates,
    parse_constant=_reject_constant,
    parse_int=_shared_int,
)
_scan_once = _DECODER.scan_once  # type: ignore[attr-defined]
# For re-scanning text the checked scanner already accepted (lazy expansion): only the
# offsets are needed there, and the plain scanner is about twice as fast.
_scan_trusted = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class JsonSyntaxError:
    span: Span
    message: str
    code: str = "syntax"


class Property:
    """One ``"key": value`` member of an object; ``value`` is None when missing."""

    __slots__ = ("key", "key_span", "value")

    def __init__(self, key: str, key_span: Span, value: JsonNode | None) -> None:
        self.key = key
        self.key_span = key_span
        self.value = value

    @property
    def span(self) -> Span:
        end = self.value.end if self.value is not None else self.key_span.end
        return Span(self.key_span.start, end)


class _Items:
    """The items of a top-level array (a flow's nodes, its connections), placed by the
    parse but not made into nodes until asked for: their offsets in one array (start,
    end: 8 bytes an item, where a :class:`JsonNode` and its two ints take ~150 that an
    open document would keep), and the few made so far (a location asked inside them,
    a diagnostic's) by index. :attr:`JsonNode.items` makes them all (and keeps them)."""

    __slots__ = ("made", "spans")

    def __init__(self, spans: array[int], made: dict[int, JsonNode]) -> None:
        self.spans = spans  # start and end of item i at 2 * i and 2 * i + 1
        self.made = made


class JsonNode:
    """A JSON value with its span; containers expand into children on demand."""

    __slots__ = ("_array", "_object", "_text", "end", "kind", "start", "value")

    def __init__(self, kind: Kind, start: int, end: int, value: Any, text: str) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.value = value
        self._text = text
        self._object: list[Property] | None = None
        self._array: list[JsonNode] | _Items | None = None

    def __repr__(self) -> str:
        return f"JsonNode({self.kind}, {self.start}..{self.end})"

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)

    @property
    def properties(self) -> list[Property]:
        """The members of an object in document order, duplicates included."""
        if self.kind != "object":
            return []
        if self._object is None:
            try:
                self._object = _trusted_members(self._text, self.start)
            except (ValueError, StopIteration, RecursionError):  # not what the scanner took
                parser = _Parser(self._text, [], trusted=True)
                self._object = parser.object_members(self.start, 0)[0]
            # Share the parent's value objects, so that values keep one identity.
            if isinstance(self.value, dict):
                for prop in self._object:
                    if prop.value is not None and prop.key in self.value:
                        prop.value.value = self.value[prop.key]
        return self._object

    @property
    def items(self) -> list[JsonNode]:
        if self.kind != "array":
            return []
        items = self._array
        if items is None:
            parser = _Parser(self._text, [], trusted=True)
            items = self._array = parser.array_items(self.start, 0)[0]
            if isinstance(self.value, list) and len(self.value) == len(items):
                for item, value in zip(items, self.value, strict=True):
                    item.value = value
        elif type(items) is _Items:
            made, spans, text, kind_of = items.made, items.spans, self._text, _KIND_OF_FIRST.get
            items = self._array = [
                made.get(i) or JsonNode(kind_of(text[start], "number"), start, end, value, text)
                for i, (start, end, value) in enumerate(
                    zip(spans[0::2], spans[1::2], self.value, strict=True)
                )
            ]
        return items  # type: ignore[return-value]

    def _make_item(self, lazy: _Items, index: int) -> JsonNode:
        """Item ``index`` of an array whose items are placed but not made (``lazy``)."""
        start, end = lazy.spans[2 * index], lazy.spans[2 * index + 1]
        text = self._text
        node = JsonNode(_KIND_OF_FIRST.get(text[start], "number"), start, end, None, text)
        node.value = self.value[index]
        return node

    def _item(self, index: int) -> JsonNode | None:
        """Item ``index``, made alone when the items are not made yet."""
        lazy = self._array
        if type(lazy) is not _Items:
            items = self.items
            return items[index] if 0 <= index < len(items) else None
        if not 0 <= index < len(self.value):
            return None
        node = lazy.made.get(index)
        if node is None:
            node = lazy.made[index] = self._make_item(lazy, index)
        return node

    def get(self, key: str) -> JsonNode | None:
        """The value of the last member named ``key`` (JSON's last-wins rule)."""
        for prop in reversed(self.properties):
            if prop.key == key:
                return prop.value
        return None

    def member(self, key: str) -> Property | None:
        for prop in reversed(self.properties):
            if prop.key == key:
                return prop
        return None

    def child(self, segment: str | int) -> JsonNode | None:
        if isinstance(segment, int):
            return self._item(segment) if self.kind == "array" else None
        return self.get(segment)

    def find(self, path: tuple[str | int, ...]) -> JsonNode | None:
        node: JsonNode | None = self
        for segment in path:
            if node is None:
                return None
            node = node.child(segment)
        return node

    def deepest(self, path: tuple[str | int, ...]) -> JsonNode:
        """The node at ``path``, or its deepest existing ancestor."""
        node = self
        for segment in path:
            nxt = node.child(segment)
            if nxt is None:
                return node
            node = nxt
        return node

    @property
    def raw(self) -> str:
        return self._text[self.start : self.end]


@dataclass(slots=True)
class ParsedJson:
    text: str
    root: JsonNode | None
    errors: list[JsonSyntaxError]


def parse_json(text: str) -> ParsedJson:
    """Parse ``text`` into a positioned tree plus syntax errors; never raises."""
    errors: list[JsonSyntaxError] = []
    parser = _Parser(text, errors)
    start = parser.skip_ws(0)
    if start >= len(text):
        errors.append(JsonSyntaxError(Span(start, start), "Empty document: expected a JSON object"))
        return ParsedJson(text, None, errors)
    if text[start] == "{":
        root, end = parser.root_object(start)
    else:
        root, end = parser.value(start, 0)
    end = parser.skip_ws(end)
    if end < len(text):
        errors.append(
            JsonSyntaxError(
                Span(end, len(text)), "Unexpected content after the end of the JSON document"
            )
        )
    return ParsedJson(text, root, errors)


def unparsed(text: str) -> ParsedJson:
    """``text`` with no tree: what an analysis reads when parsing it failed."""
    return ParsedJson(text, None, [])


_KIND_OF_FIRST: dict[str, Kind] = {
    "{": "object",
    "[": "array",
    '"': "string",
    "t": "boolean",
    "f": "boolean",
    "n": "null",
}


def _trusted_members(text: str, pos: int) -> list[Property]:
    """The members of the object at ``pos`` in text that the checked scanner accepted
    (valid JSON, no duplicate keys), as the token-by-token parse finds them, in about
    40% less time: one regex match per key and one C scan per value. It counts when a
    build asks for the location of every node's config. Raises ``ValueError`` where the
    text is not such an object (the caller then parses it token by token)."""
    props: list[Property] = []
    if _EMPTY_OBJECT.match(text, pos):
        return props
    member, member_end, scan, kind_of = (
        _MEMBER.match,
        _MEMBER_END.match,
        _scan_trusted,
        _KIND_OF_FIRST.get,
    )
    while True:
        m = member(text, pos + 1)  # after the `{` or `,` at pos
        if m is None:
            raise ValueError("not a member")
        raw = m.group(1)
        key = json.loads(raw) if "\\" in raw else raw[1:-1]
        start = m.end()
        value, end = scan(text, start)
        node = JsonNode(kind_of(text[start], "number"), start, end, value, text)
        props.append(Property(key, Span(m.start(1), m.end(1)), node))
        m = member_end(text, end)
        if m is None:
            raise ValueError("not a member's end")
        if m.group(1) == "}":
            return props
        pos = m.end() - 1


def _item_spans(text: str, start: int, end: int, values: list[Any]) -> array[int]:
    """Where each item of the well-formed array ``text[start:end]`` (decoded: ``values``)
    starts and ends: item i at 2 * i and 2 * i + 1. Items that are all objects are told
    apart by the `}`, `,`, `{` runs between them, found by one regex pass: every
    boundary between two items is such a run, so when there are exactly
    ``len(values) - 1`` runs (none inside a string or a nested array of objects) they
    are the boundaries. Else one C scan per item finds its end (the values are those
    of the whole scan, which checked the text)."""
    count = len(values)
    code = offsets_array(len(text))
    m = _WS.match(text, start + 1)
    at = m.end() if m is not None else start + 1
    if not count:
        return array(code)
    if all(type(v) is dict for v in values):
        cuts = [b.span() for b in _BOUNDARY.finditer(text, at, end)]
        if len(cuts) == count - 1:
            last = end - 1  # the closing `]`
            while text[last - 1] in " \t\n\r":
                last -= 1
            spans = array(code, bytes(2 * count * array(code).itemsize))
            spans[0::2] = array(code, [at, *(after - 1 for _before, after in cuts)])
            spans[1::2] = array(code, [*(before + 1 for before, _after in cuts), last])
            return spans
    flat: list[int] = []
    scan, separator = _scan_trusted, _SEPARATOR.match
    for _ in range(count):
        _value, item_end = scan(text, at)
        flat += (at, item_end)
        m = separator(text, item_end)
        at = m.end() if m is not None else item_end
    return array(code, flat)


class _Parser:
    def __init__(self, text: str, errors: list[JsonSyntaxError], trusted: bool = False) -> None:
        self.text = text
        self.errors = errors
        self.scan = _scan_trusted if trusted else _scan_once
        self.open: list[str] = []  # brackets of the containers being parsed, outermost first

    def error(self, start: int, end: int, message: str) -> None:
        self.errors.append(JsonSyntaxError(Span(start, max(end, start)), message))

    def skip_ws(self, pos: int) -> int:
        m = _WS.match(self.text, pos)
        return m.end() if m else pos

    # -- values ---------------------------------------------------------------

    def value(self, pos: int, depth: int) -> tuple[JsonNode, int]:
        """Parse the value starting at ``pos`` (not whitespace); return it and its end."""
        text = self.text
        try:
            value, end = self.scan(text, pos)
        except (ValueError, StopIteration, RecursionError):
            return self.slow_value(pos, depth)
        kind = _KIND_OF_FIRST.get(text[pos], "number")
        return JsonNode(kind, pos, end, value, text), end

    def slow_value(self, pos: int, depth: int) -> tuple[JsonNode, int]:
        text = self.text
        ch = text[pos] if pos < len(text) else ""
        if ch in "{[":
            if depth >= MAX_DEPTH:
                end = self.skip_balanced(pos)
                self.error(pos, pos + 1, f"Nesting deeper than {MAX_DEPTH} levels is not supported")
                return JsonNode("invalid", pos, end, None, text), end
            self.open.append(ch)
            try:
                if ch == "{":
                    props, end = self.object_members(pos, depth)
                    value = {p.key: _val(p.value) for p in props}
                    node = JsonNode("object", pos, end, value, text)
                    node._object = props
                    return node, end
                items, end = self.array_items(pos, depth)
            finally:
                self.open.pop()
            node = JsonNode("array", pos, end, [_val(i) for i in items], text)
            node._array = items
            return node, end
        if ch == '"':
            return self.string(pos)
        m = _SCALAR.match(text, pos)
        if m is None:
            self.error(pos, pos + 1, f"Unexpected {_show(ch)}: expected a value")
            return JsonNode("invalid", pos, pos, None, text), pos
        word, end = m.group(), m.end()
        if word in ("true", "false"):
            return JsonNode("boolean", pos, end, word == "true", text), end
        if word == "null":
            return JsonNode("null", pos, end, None, text), end
        if _NUMBER.match(word):
            if any(c in word for c in ".eE"):
                return JsonNode("number", pos, end, float(word), text), end
            digits = len(word) - word.startswith("-")
            if digits > MAX_INT_DIGITS:  # the C scanner failed on it for the same reason
                self.error(
                    pos,
                    end,
                    f"Integer too long: {digits:,} digits (at most {MAX_INT_DIGITS:,} digits "
                    "are supported)",
                )
                return JsonNode("invalid", pos, end, None, text), end
            return JsonNode("number", pos, end, int(word), text), end
        hint = ""
        if word in ("True", "False", "None", "undefined", "NaN", "Infinity", "-Infinity"):
            hint = " (JSON has only true, false and null)"
        elif word[0].isalpha() or word[0] == "_":
            hint = "; strings must be in double quotes"
        self.error(pos, end, f"Invalid value `{word[:40]}`{hint}")
        return JsonNode("invalid", pos, end, None, text), end

    def string(self, pos: int) -> tuple[JsonNode, int]:
        text = self.text
        m = _STRING.match(text, pos)
        assert m is not None  # text[pos] is a quote, which always matches
        end = m.end()
        raw = text[pos:end]
        if m.group(1) and "\\" not in raw:
            return JsonNode("string", pos, end, raw[1:-1], text), end
        if not m.group(1):
            self.error(pos, end, 'Unterminated string: add the closing `"`')
            raw = raw + '"'
        try:
            value = json.loads(raw)
        except ValueError as exc:
            self.error(pos, end, f"Invalid string: {_reason(exc)}")
            value = raw[1:-1]
        return JsonNode("string", pos, end, value, text), end

    # -- containers -----------------------------------------------------------

    def root_object(self, pos: int) -> tuple[JsonNode, int]:
        """The document's object (its ``{`` at ``pos``), with its members and the items
        of its array members (a flow's nodes and connections) positioned at once: every
        diagnostic's location and every incremental re-parse needs them, and one C scan
        per item costs less than scanning the document whole and again to expand it."""
        text = self.text
        self.open.append("{")
        try:
            props, end = self.object_members(pos, 0, split_arrays=True)
        finally:
            self.open.pop()
        node = JsonNode("object", pos, end, {p.key: _val(p.value) for p in props}, text)
        node._object = props
        return node, end

    def split_array(self, pos: int, depth: int) -> tuple[JsonNode, int]:
        """The array at ``pos`` with its items positioned: one C scan of the whole array
        (its values, checked), then the items' places (:func:`_item_spans`); the
        token-by-token parse (which reports the errors) when the scan fails."""
        text = self.text
        try:
            values, end = self.scan(text, pos)
        except (ValueError, StopIteration, RecursionError):
            return self.slow_value(pos, depth)
        node = JsonNode("array", pos, end, values, text)
        node._array = _Items(_item_spans(text, pos, end, values), {})
        return node, end

    def object_members(
        self, pos: int, depth: int, split_arrays: bool = False
    ) -> tuple[list[Property], int]:
        """Members of the object whose ``{`` is at ``pos``, and the offset after it;
        with ``split_arrays``, array values come with their items positioned."""
        text, n = self.text, len(self.text)
        props: list[Property] = []
        seen: dict[str, Span] = {}
        open_at = pos
        pos = self.skip_ws(pos + 1)
        expect_member = True  # True after `{` or `,`
        while True:
            if pos >= n:
                self.error(open_at, open_at + 1, "Unclosed `{`: add the closing `}`")
                return props, n
            ch = text[pos]
            if ch == "}":
                if props and expect_member:
                    self.error(pos - 1, pos, "Trailing comma before `}`")
                return props, pos + 1
            if ch == ",":
                if expect_member:
                    self.error(pos, pos + 1, "Unexpected `,`: expected a property")
                expect_member = True
                pos = self.skip_ws(pos + 1)
                continue
            if ch == "]":
                if "[" in self.open[:-1]:  # it closes an enclosing array: leave it to that one
                    self.error(open_at, open_at + 1, "Unclosed `{`: add the closing `}`")
                    return props, pos
                self.error(pos, pos + 1, "Unexpected `]`: expected `}` to close the object")
                return props, pos + 1
            if not expect_member:
                prev_end = props[-1].span.end if props else pos
                self.error(prev_end, prev_end, "Missing `,` between properties")
            key_start = pos
            if ch == '"':
                key_node, pos = self.string(pos)
                key = str(key_node.value)
            else:
                m = _SCALAR.match(text, pos)
                if m is None:  # `{`, `[` or `:` where a key should be
                    _skipped, pos = self.value_or_skip(pos, depth + 1)
                    self.error(key_start, pos, "Expected a property name in double quotes")
                    expect_member = False
                    continue
                key, pos = m.group(), m.end()
                self.error(key_start, pos, f'Property names must be in double quotes: `"{key}"`')
            key_span = Span(key_start, pos)
            if key in seen:
                self.error(key_span.start, key_span.end, f"Duplicate property `{key}`")
            seen[key] = key_span
            pos = self.skip_ws(pos)
            member_value: JsonNode | None = None
            if pos < n and text[pos] == ":":
                pos = self.skip_ws(pos + 1)
                if pos >= n or text[pos] in ",}]":
                    self.error(pos, pos, f"Missing value for `{key}`")
                elif split_arrays and text[pos] == "[":
                    member_value, pos = self.split_array(pos, depth + 1)
                else:
                    member_value, pos = self.value_or_skip(pos, depth + 1)
            else:
                self.error(key_span.end, key_span.end, f"Missing `:` after `{key}`")
                if pos < n and text[pos] not in ",}]":
                    member_value, pos = self.value_or_skip(pos, depth + 1)
            props.append(Property(key, key_span, member_value))
            expect_member = False
            pos = self.skip_ws(pos)

    def array_items(self, pos: int, depth: int) -> tuple[list[JsonNode], int]:
        text, n = self.text, len(self.text)
        items: list[JsonNode] = []
        open_at = pos
        pos = self.skip_ws(pos + 1)
        expect_item = True
        while True:
            if pos >= n:
                self.error(open_at, open_at + 1, "Unclosed `[`: add the closing `]`")
                return items, n
            ch = text[pos]
            if ch == "]":
                if items and expect_item:
                    self.error(pos - 1, pos, "Trailing comma before `]`")
                return items, pos + 1
            if ch == ",":
                if expect_item:
                    self.error(pos, pos + 1, "Unexpected `,`: expected a value")
                expect_item = True
                pos = self.skip_ws(pos + 1)
                continue
            if ch in "}:":
                if ch == "}" and "{" in self.open[:-1]:  # it closes an enclosing object
                    self.error(open_at, open_at + 1, "Unclosed `[`: add the closing `]`")
                    return items, pos
                self.error(pos, pos + 1, f"Unexpected `{ch}` in an array")
                if ch == "}":
                    return items, pos + 1
                pos = self.skip_ws(pos + 1)
                continue
            if not expect_item:
                prev_end = items[-1].end if items else pos
                self.error(prev_end, prev_end, "Missing `,` between array items")
            item, pos = self.value_or_skip(pos, depth + 1)
            items.append(item)
            expect_item = False
            pos = self.skip_ws(pos)

    def value_or_skip(self, pos: int, depth: int) -> tuple[JsonNode, int]:
        node, end = self.value(pos, depth)
        if end == pos:  # nothing consumed: skip one character so that parsing advances
            end = pos + 1
            node.end = end
        return node, end

    def skip_balanced(self, pos: int) -> int:
        """The offset after the bracketed region at ``pos``, ignoring its content."""
        text, n, level = self.text, len(self.text), 0
        while pos < n:
            ch = text[pos]
            if ch == '"':
                m = _STRING.match(text, pos)
                pos = m.end() if m else pos + 1
                continue
            if ch in "{[":
                level += 1
            elif ch in "}]":
                level -= 1
                if level == 0:
                    return pos + 1
            pos += 1
        return n


def _val(node: JsonNode | None) -> Any:
    return None if node is None else node.value


def _show(ch: str) -> str:
    return "end of file" if ch == "" else f"`{ch}`"


def _reason(exc: ValueError) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


def string_offsets(raw: str) -> list[int]:
    """Map each character of a JSON string token's decoded value to its offset in ``raw``.

    ``raw`` includes the quotes. The result has one entry per decoded character plus
    one for the end, so ``offsets[i]`` is where decoded character ``i`` starts. It lets
    an error inside an expression point at the exact character even after escapes.
    """
    offsets: list[int] = []
    i, n = 1, len(raw)
    end = n - 1 if n >= 2 and raw.endswith('"') else n
    while i < end:
        ch = raw[i]
        if ch != "\\":
            offsets.append(i)
            i += 1
            continue
        nxt = raw[i + 1] if i + 1 < end else ""
        if nxt == "u":
            code = raw[i + 2 : i + 6]
            width = 6
            # A surrogate pair written as two escapes decodes to one character.
            try:
                high = len(code) == 4 and 0xD800 <= int(code, 16) <= 0xDBFF
            except ValueError:
                high = False
            if high and raw[i + 6 : i + 8] == "\\u":
                width = 12
            offsets.append(i)
            i += width
        else:
            offsets.append(i)
            i += 2
    offsets.append(min(i, end))
    return offsets


_AFFIX_CHUNK = 8192


def _common_affixes(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common prefix and suffix (not overlapping): whole chunks compared
    first, then a binary search on slice equality inside the first chunk that differs
    (slices compare in C; a search over the whole text would copy it again and again)."""
    limit = min(len(old), len(new))
    chunk = _AFFIX_CHUNK
    base = 0
    while base + chunk <= limit and old[base : base + chunk] == new[base : base + chunk]:
        base += chunk
    lo, hi = base, min(base + chunk, limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[base:mid] == new[base:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    limit -= prefix
    end_old, end_new = len(old), len(new)
    base = 0
    while (
        base + chunk <= limit
        and old[end_old - base - chunk : end_old - base]
        == new[end_new - base - chunk : end_new - base]
    ):
        base += chunk
    lo, hi = base, min(base + chunk, limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[end_old - mid : end_old - base] == new[end_new - mid : end_new - base]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


def _shifted(node: JsonNode, delta: int, text: str) -> JsonNode:
    """The same value at a shifted place in a new text, with what was expanded of it."""
    moved = JsonNode(node.kind, node.start + delta, node.end + delta, node.value, text)
    items = node._array
    if type(items) is _Items:
        moved._array = _Items(
            _shifted_spans(items.spans, delta, len(text)),
            {i: _shifted(item, delta, text) for i, item in items.made.items()},
        )
    elif items is not None:
        moved._array = [_shifted(item, delta, text) for item in items]  # type: ignore[union-attr]
    if node._object is not None:
        moved._object = [
            Property(
                p.key,
                p.key_span.shifted(delta),
                None if p.value is None else _shifted(p.value, delta, text),
            )
            for p in node._object
        ]
    return moved


def reparse_json(old: ParsedJson, text: str) -> ParsedJson:
    """Parse ``text``, reusing ``old`` when the edit lies inside one element of a
    top-level array (a node or a connection) or inside one other member's value of the
    document's object (its ``name``, say): that value alone is parsed again, and every
    other value keeps its Python object, so per-value caches keyed by identity stay
    valid. An unchanged text (an editor may replace text by itself) gives ``old``
    back. Falls back to a full parse otherwise."""
    root = old.root
    if old.errors or root is None or root.kind != "object":
        return parse_json(text)
    if text == old.text:
        return old
    prefix, suffix = _common_affixes(old.text, text)
    edit_start, edit_end = prefix, len(old.text) - suffix
    delta = len(text) - len(old.text)
    props = root.properties  # positioned by the parse; later reparses inherit them
    for p_index, prop in enumerate(props):
        member = prop.value
        if member is None or not (member.start < edit_start and edit_end < member.end):
            continue
        if member.kind == "array":
            replaced = _reparse_item(member, edit_start, edit_end, delta, text)
        else:
            replaced = _rescanned(member, delta, text)
        if replaced is None:
            return parse_json(text)
        new_props = [
            *(Property(p.key, p.key_span, _same(p.value, text)) for p in props[:p_index]),
            Property(prop.key, prop.key_span, replaced),
            *(
                Property(p.key, p.key_span.shifted(delta), _moved(p.value, delta, text))
                for p in props[p_index + 1 :]
            ),
        ]
        root_value = dict(root.value)
        root_value[prop.key] = replaced.value
        new_root = JsonNode("object", root.start, root.end + delta, root_value, text)
        new_root._object = new_props
        return ParsedJson(text, new_root, [])
    return parse_json(text)


def _rescanned(node: JsonNode, delta: int, text: str) -> JsonNode | None:
    """``node`` scanned again in the new text, if it still ends where the edit moved
    its end (None: the edit reached beyond it, or broke it)."""
    try:
        value, end = _scan_once(text, node.start)
    except (ValueError, StopIteration, RecursionError):
        return None
    if end != node.end + delta:
        return None
    return JsonNode(node.kind, node.start, end, value, text)


def _reparse_item(
    array: JsonNode, edit_start: int, edit_end: int, delta: int, text: str
) -> JsonNode | None:
    """The top-level ``array`` with the one item holding the edit scanned again; the
    other items keep their values (None when the edit is not inside one item)."""
    if type(array._array) is _Items:
        return _reparse_placed(array, array._array, edit_start, edit_end, delta, text)
    items = array.items
    for i, item in enumerate(items):
        if not (item.start < edit_start and edit_end < item.end):
            continue
        if item.kind not in ("object", "array"):
            return None
        new_item = _rescanned(item, delta, text)
        if new_item is None:  # the edit reached past the item: items added or removed?
            return _reparse_between(array, edit_start, edit_end, delta, text)
        new_items = [
            *(_shifted_same(x, text) for x in items[:i]),
            new_item,
            *(_shifted(x, delta, text) for x in items[i + 1 :]),
        ]
        new_values = list(array.value)
        new_values[i] = new_item.value
        new_array = JsonNode("array", array.start, array.end + delta, new_values, text)
        new_array._array = new_items
        return new_array
    return _reparse_between(array, edit_start, edit_end, delta, text)


_CONTAINERS: dict[type, Kind] = {dict: "object", list: "array"}


def _reparse_between(
    array: JsonNode, edit_start: int, edit_end: int, delta: int, text: str
) -> JsonNode | None:
    """The top-level ``array`` after an edit that is not inside one item (items added,
    deleted, pasted over, white space between two): the items wholly before and after
    the edit keep their values (so a node keeps its identity, whatever its new index),
    and the text between them is scanned again, item by item. None when that text is
    not a well-formed run of objects or arrays separated by commas."""
    if type(array._array) is _Items:
        return _reparse_between_placed(array, array._array, edit_start, edit_end, delta, text)
    items = array.items
    before = [x for x in items if x.end <= edit_start]
    after = [x for x in items if x.start >= edit_end]
    touched = {
        x._text[x.start : x.end]: x.value for x in items[len(before) : len(items) - len(after)]
    }
    pos = before[-1].end if before else array.start + 1
    stop = after[0].start + delta if after else array.end - 1 + delta
    scanned = _scan_between(text, pos, stop, bool(before), bool(after), touched)
    if scanned is None:
        return None
    middle = [JsonNode(_CONTAINERS[type(v)], a, b, v, text) for a, b, v in scanned]
    new_items = [
        *(_shifted_same(x, text) for x in before),
        *middle,
        *(_shifted(x, delta, text) for x in after),
    ]
    new_array = JsonNode(
        "array", array.start, array.end + delta, [x.value for x in new_items], text
    )
    new_array._array = new_items
    return new_array


def _scan_between(
    text: str, pos: int, stop: int, before: bool, after: bool, touched: dict[str, Any]
) -> list[tuple[int, int, Any]] | None:
    """The items of a top-level array in ``text[pos:stop]``, between the items kept
    before the edit (``before``: there are some) and after it (``after``), as (start,
    end, value); None when that text is not a well-formed run of objects or arrays
    separated by commas. An item whose text is a key of ``touched`` keeps that value:
    the edit only seemed to touch it (similar neighbours share text, so the changed
    region's ends may fall inside them)."""
    found: list[tuple[int, int, Any]] = []
    expect_item = not before
    while True:
        m = _WS.match(text, pos)
        pos = m.end() if m is not None else pos
        if pos >= stop:
            if pos > stop:
                return None
            # Before the next kept item: a comma was the last thing (or nothing at all
            # came before it); before the closing bracket: no trailing comma.
            ok = expect_item if after else (not expect_item or not (before or found))
            return found if ok else None
        if expect_item:
            try:
                value, end = _scan_once(text, pos)
            except (ValueError, StopIteration, RecursionError):
                return None
            if type(value) not in _CONTAINERS or end > stop:
                return None
            found.append((pos, end, touched.get(text[pos:end], value)))
            pos, expect_item = end, False
        elif text[pos] == ",":
            pos, expect_item = pos + 1, True
        else:
            return None


def _shifted_same(node: JsonNode, text: str) -> JsonNode:
    """A node before the edit: the same object, reading the new text from now on, it
    and what was expanded of it. Its characters are the same at the same places in
    both texts, so the previous snapshot reads exactly what it read (the only change
    ever made to a shared node), and the previous text is not kept alive by the
    nodes every later snapshot shares (a document's memory stays near one text)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current._text is text:
            continue
        current._text = text
        items = current._array
        if type(items) is _Items:
            stack.extend(items.made.values())
        elif items is not None:
            stack.extend(items)  # type: ignore[arg-type]
        if current._object is not None:
            stack.extend(p.value for p in current._object if p.value is not None)
    return node


def _same(node: JsonNode | None, text: str) -> JsonNode | None:
    return None if node is None else _shifted_same(node, text)


def _moved(node: JsonNode | None, delta: int, text: str) -> JsonNode | None:
    return None if node is None else _shifted(node, delta, text)


def _shifted_spans(spans: array[int], delta: int, size: int) -> array[int]:
    """``spans`` moved by ``delta``, for a text of ``size`` code points."""
    return array(offsets_array(size), [s + delta for s in spans])


def _reparse_placed(
    array_node: JsonNode, lazy: _Items, edit_start: int, edit_end: int, delta: int, text: str
) -> JsonNode | None:
    """:func:`_reparse_item` of an array whose items are placed, not made: the same,
    on their offsets (the items made so far are kept, re-pointed or moved)."""
    spans = lazy.spans
    i = bisect_left(spans[0::2], edit_start) - 1  # the last item starting before the edit
    if i < 0 or not edit_end < spans[2 * i + 1]:
        return _reparse_between_placed(array_node, lazy, edit_start, edit_end, delta, text)
    start, end = spans[2 * i], spans[2 * i + 1]
    first = array_node._text[start]
    if first not in "{[":
        return None
    try:
        value, new_end = _scan_once(text, start)
    except (ValueError, StopIteration, RecursionError):
        new_end = -1
    if new_end != end + delta:  # the edit reached past the item: items added or removed?
        return _reparse_between_placed(array_node, lazy, edit_start, edit_end, delta, text)
    code = offsets_array(len(text))
    new_spans = spans[: 2 * i] if spans.typecode == code else array(code, spans[: 2 * i])
    new_spans.fromlist([start, new_end, *(s + delta for s in spans[2 * i + 2 :])])
    made: dict[int, JsonNode] = {}
    for j, node in lazy.made.items():
        if j < i:
            made[j] = _shifted_same(node, text)
        elif j > i:
            made[j] = _shifted(node, delta, text)
    new_values = list(array_node.value)
    new_values[i] = value
    new_array = JsonNode("array", array_node.start, array_node.end + delta, new_values, text)
    new_array._array = _Items(new_spans, made)
    return new_array


def _reparse_between_placed(
    array_node: JsonNode, lazy: _Items, edit_start: int, edit_end: int, delta: int, text: str
) -> JsonNode | None:
    """:func:`_reparse_between` of an array whose items are placed, not made."""
    spans, values, old_text = lazy.spans, array_node.value, array_node._text
    count = len(values)
    starts, ends = spans[0::2], spans[1::2]
    kept_before = bisect_right(ends, edit_start)  # the items wholly before the edit
    first_after = bisect_left(starts, edit_end)  # and the first one wholly after it
    touched = {old_text[starts[j] : ends[j]]: values[j] for j in range(kept_before, first_after)}
    pos = ends[kept_before - 1] if kept_before else array_node.start + 1
    after = first_after < count
    stop = starts[first_after] + delta if after else array_node.end - 1 + delta
    scanned = _scan_between(text, pos, stop, kept_before > 0, after, touched)
    if scanned is None:
        return None
    middle = [offset for a, b, _ in scanned for offset in (a, b)]
    middle_values = [v for _, _, v in scanned]
    code = offsets_array(len(text))
    head = spans[: 2 * kept_before]
    new_spans = head if head.typecode == code else array(code, head)
    new_spans.fromlist(middle)
    new_spans.fromlist([s + delta for s in spans[2 * first_after :]])
    moved_by = kept_before + len(middle_values) - first_after
    made: dict[int, JsonNode] = {}
    for j, node in lazy.made.items():
        if j < kept_before:
            made[j] = _shifted_same(node, text)
        elif j >= first_after:
            made[j + moved_by] = _shifted(node, delta, text)
    new_values = [*values[:kept_before], *middle_values, *values[first_after:]]
    new_array = JsonNode("array", array_node.start, array_node.end + delta, new_values, text)
    new_array._array = _Items(new_spans, made)
    return new_array
