"""Where is the cursor? The JSON context of an offset, in half-typed documents too.

The recovering tree of :mod:`nodeforge.analysis.jsontree` gives the structure; a
short backwards scan of the text settles what the tree cannot say, such as the
cursor sitting after ``"method": `` with no value typed yet. Descending costs one
binary search per level, so a 1,000-node document is answered without walking
its nodes.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, replace
from typing import Literal

from nodeforge.analysis.flow import JsonPath
from nodeforge.analysis.jsontree import JsonNode, Property, string_offsets
from nodeforge.analysis.text import Span

Role = Literal["key", "value", "item", "none"]


@dataclass(frozen=True, slots=True)
class Cursor:
    """The cursor's place in the JSON document.

    ``role`` says what the cursor is on or where it would type:

    - ``"key"``: a property name of the object at ``path`` (typed or to be typed);
    - ``"value"``: the value of member ``key`` of the object at ``path``;
    - ``"item"``: an element of the array at ``path``;
    - ``"none"``: outside the document's root value.

    ``token`` is the scalar token under the cursor (a string, number, word), or
    None in whitespace; ``span`` is what a completion replaces (the token, or an
    empty span at the offset) and ``prefix`` the decoded text typed before the
    cursor inside it. ``member`` is the property whose key or value holds the cursor.
    """

    offset: int
    role: Role
    path: JsonPath
    container: JsonNode | None
    key: str | None
    member: Property | None
    token: JsonNode | None
    span: Span
    prefix: str
    in_string: bool
    index: int = 0  # for "item": the index the element has or would get
    text: str = ""  # the document's text

    @property
    def value_path(self) -> JsonPath:
        """The path of the value the cursor is on (or would type)."""
        if self.role == "value" and self.key is not None:
            return (*self.path, self.key)
        if self.role == "item":
            return (*self.path, self.index)
        return self.path


def locate(root: JsonNode | None, text: str, offset: int) -> Cursor:
    """The context of ``offset`` in ``text`` whose parsed tree is ``root``."""
    return replace(_locate(root, text, offset), text=text)


def _locate(root: JsonNode | None, text: str, offset: int) -> Cursor:
    offset = max(0, min(offset, len(text)))
    empty = Span(offset, offset)
    if root is None or not _inside(root, text, offset, container_strict=True):
        if (
            root is not None
            and root.kind not in ("object", "array")
            and _token_has(root, text, offset)
        ):
            return _scalar(offset, "none", (), None, None, None, root, text)
        return Cursor(offset, "none", (), None, None, None, None, empty, "", False)
    node = root
    path: list[str | int] = []
    while True:
        if node.kind == "object":
            props = node.properties
            prop = _property_at(props, text, offset)
            if prop is None:
                return _object_gap(node, tuple(path), props, text, offset)
            if _in_key(prop, text, offset):
                token_span = prop.key_span
                prefix = _decoded_prefix(text, token_span, offset)
                return Cursor(
                    offset,
                    "key",
                    tuple(path),
                    node,
                    prop.key,
                    prop,
                    None,
                    token_span,
                    prefix,
                    text[token_span.start] == '"',
                )
            value = prop.value
            assert value is not None  # _property_at only returns members holding the offset
            if value.kind in ("object", "array"):
                path.append(prop.key)
                node = value
                continue
            return _scalar(offset, "value", tuple(path), node, prop.key, prop, value, text)
        if node.kind == "array":
            items = node.items
            starts = [item.start for item in items]
            i = bisect.bisect_right(starts, offset) - 1
            if i >= 0 and _inside(items[i], text, offset, container_strict=True):
                item = items[i]
                if item.kind in ("object", "array"):
                    path.append(i)
                    node = item
                    continue
                cursor = _scalar(offset, "item", tuple(path), node, None, None, item, text)
                return _with_index(cursor, i)
            # Between items: the new element goes after those that end before the cursor.
            index = bisect.bisect_right([item.end for item in items], offset)
            cursor = Cursor(offset, "item", tuple(path), node, None, None, None, empty, "", False)
            return _with_index(cursor, index)
        return Cursor(offset, "none", tuple(path), node, None, None, None, empty, "", False)


def _with_index(cursor: Cursor, index: int) -> Cursor:
    return replace(cursor, index=index)


def _scalar(
    offset: int,
    role: Role,
    path: JsonPath,
    container: JsonNode | None,
    key: str | None,
    member: Property | None,
    token: JsonNode,
    text: str,
) -> Cursor:
    span = token.span
    in_string = token.kind == "string"
    prefix = _decoded_prefix(text, span, offset) if in_string else text[span.start : offset]
    return Cursor(offset, role, path, container, key, member, token, span, prefix, in_string)


def _object_gap(
    node: JsonNode, path: JsonPath, props: list[Property], text: str, offset: int
) -> Cursor:
    """The cursor is in an object but on no member: after a colon, or where a key goes."""
    empty = Span(offset, offset)
    before = _previous_char(text, offset, node.start)
    if before is not None and text[before] == ":":
        key_ends = [p.key_span.end for p in props]
        i = bisect.bisect_right(key_ends, before) - 1
        if i >= 0:
            prop = props[i]
            return Cursor(offset, "value", path, node, prop.key, prop, None, empty, "", False)
    return Cursor(offset, "key", path, node, None, None, None, empty, "", False)


def _previous_char(text: str, offset: int, floor: int) -> int | None:
    """The index of the last non-whitespace character before ``offset`` (not before ``floor``)."""
    i = offset - 1
    while i >= floor and text[i] in " \t\r\n":
        i -= 1
    return i if i >= floor else None


def _property_at(props: list[Property], text: str, offset: int) -> Property | None:
    starts = [p.key_span.start for p in props]
    i = bisect.bisect_right(starts, offset) - 1
    # A key starting exactly at the offset holds the cursor only once inside it.
    while i >= 0:
        prop = props[i]
        if _in_key(prop, text, offset):
            return prop
        value = prop.value
        if value is not None and _inside(value, text, offset, container_strict=True):
            return prop
        if prop.key_span.start < offset:
            return None
        i -= 1
    return None


def _in_key(prop: Property, text: str, offset: int) -> bool:
    span = prop.key_span
    if text[span.start : span.start + 1] != '"':  # an unquoted key: the word itself
        return span.start <= offset <= span.end
    return _in_string_token(text, span, offset)


def _inside(node: JsonNode, text: str, offset: int, *, container_strict: bool) -> bool:
    """Whether ``offset`` is within the node as far as typing goes.

    Inside a container means between its brackets (or after an unclosed opener);
    inside a string means after its opening quote and before its closing one.
    """
    if node.kind in ("object", "array"):
        closer = "}" if node.kind == "object" else "]"
        closed = node.end - node.start >= 2 and text[node.end - 1] == closer
        if closed:
            return node.start < offset < node.end
        return node.start < offset <= node.end
    return _token_has(node, text, offset)


def _token_has(node: JsonNode, text: str, offset: int) -> bool:
    if node.kind == "string":
        return _in_string_token(text, node.span, offset)
    return node.start <= offset <= node.end and node.end > node.start


def _in_string_token(text: str, span: Span, offset: int) -> bool:
    if offset <= span.start:
        return False
    if _terminated(text, span):
        return offset < span.end
    return offset <= span.end


def _terminated(text: str, span: Span) -> bool:
    raw = text[span.start : span.end]
    if len(raw) < 2 or not raw.endswith('"'):
        return False
    # An odd run of backslashes before the last quote escapes it.
    run = len(raw) - 1 - len(raw[:-1].rstrip("\\"))
    return run % 2 == 0


def _decoded_prefix(text: str, span: Span, offset: int) -> str:
    """The decoded characters of the string token at ``span`` before ``offset``."""
    raw = text[span.start : span.end]
    if not raw.startswith('"'):
        return raw[: offset - span.start]
    decoded = decode_string(raw)
    offsets = string_offsets(raw)
    return decoded[: decoded_index(offsets, offset - span.start)]


def decode_string(raw: str) -> str:
    """The value of a (possibly unterminated or badly escaped) JSON string token."""
    body = raw if _terminated(raw, Span(0, len(raw))) else raw + '"'
    try:
        value = json.loads(body)
    except ValueError:
        return raw[1:-1] if raw.endswith('"') and len(raw) >= 2 else raw[1:]
    return value if isinstance(value, str) else ""


def decoded_index(offsets: list[int], raw_index: int) -> int:
    """The index of the decoded character at (or right after) raw index ``raw_index``."""
    return bisect.bisect_left(offsets, raw_index)


def string_token_span(token: JsonNode, text: str, start: int, end: int) -> Span:
    """The document span of decoded characters ``start..end`` of a string token."""
    offsets = string_offsets(token.raw)
    last = len(offsets) - 1
    s = offsets[max(0, min(start, last))]
    e = offsets[max(0, min(end, last))]
    return Span(token.start + s, token.start + max(e, s))


def is_terminated_span(text: str, span: Span) -> bool:
    """Whether the string token at ``span`` has its closing quote."""
    return _terminated(text, span)
