"""Range formatting: the canonical layout (:mod:`.format`) for the parts of a flow a
range touches.

The range is widened to whole elements: each node and each connection it touches,
or a top-level member (``"tests": [...]``, ``"name": ...``) when it touches one;
each is laid out exactly as ``format_document`` lays it out in a whole file (the
element is formatted on its own, wrapped in a one-member document), and only the
characters that differ are replaced, so nothing outside the touched elements
changes. An element that is not valid JSON is left alone; the others are still
formatted. A range covering the whole document formats the document.
"""

from __future__ import annotations

from nodeforge.analysis.flow import FlowDocument
from nodeforge.analysis.jsontree import JsonNode, Property
from nodeforge.analysis.text import Span

from .format import format_document, format_edits
from .inlay import overlapping_items
from .model import TextEdit

_ELEMENT_INDENT = "    "  # nodes and connections, two levels deep
_MEMBER_INDENT = "  "


def format_range(document: FlowDocument, span: Span) -> list[TextEdit]:
    """Edits giving the elements ``span`` touches the canonical layout."""
    text = document.text
    root = document.root
    if root is None or root.kind != "object":
        return []
    if span.start <= root.start and span.end >= root.end:
        return format_edits(text)
    edits: list[TextEdit] = []
    for prop in root.properties:
        value = prop.value
        if value is None or prop.span.end < span.start or prop.span.start > span.end:
            continue
        if prop.key in ("nodes", "connections") and value.kind == "array":
            for _index, item in overlapping_items(value.items, span):
                edits += _element_edit(text, prop.key, item)
        else:
            edits += _member_edit(text, prop)
    return edits


def _element_edit(text: str, key: str, item: JsonNode) -> list[TextEdit]:
    formatted = _formatted(f'{{"{key}": [{item.raw}]}}', _ELEMENT_INDENT, "[")
    return _diff(text, item.span, formatted)


def _member_edit(text: str, prop: Property) -> list[TextEdit]:
    assert prop.value is not None
    member = text[prop.key_span.start : prop.value.end]
    formatted = _formatted("{" + member + "}", _MEMBER_INDENT, "{")
    return _diff(text, Span(prop.key_span.start, prop.value.end), formatted)


def _formatted(wrapper: str, indent: str, opener: str) -> str | None:
    """The one element of ``wrapper`` (a one-member document) as ``format_document``
    lays it out, without its first line's indentation; None when it is not JSON."""
    whole = format_document(wrapper)
    if whole is None:
        return None
    lines = whole.split("\n")
    # {, ("nodes": [,) element lines..., (],) }, ""
    body = lines[2:-3] if opener == "[" else lines[1:-2]
    if not body or not body[0].startswith(indent):
        return None
    body[0] = body[0][len(indent) :]
    return "\n".join(body)


def _diff(text: str, span: Span, formatted: str | None) -> list[TextEdit]:
    """One edit replacing only the characters of ``span`` that differ."""
    if formatted is None:
        return []
    old = text[span.start : span.end]
    if old == formatted:
        return []
    prefix = 0
    limit = min(len(old), len(formatted))
    while prefix < limit and old[prefix] == formatted[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and old[len(old) - 1 - suffix] == formatted[len(formatted) - 1 - suffix]
    ):
        suffix += 1
    return [
        TextEdit(
            Span(span.start + prefix, span.end - suffix),
            formatted[prefix : len(formatted) - suffix],
        )
    ]
