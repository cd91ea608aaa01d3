"""Inlay hints: the data type on each connection and on each node's output ports.

Types come from the analysis (the port types it propagated); only the nodes and
connections inside the requested span are looked at, so a client asking for the
visible lines of a 5,000-node flow gets an answer in well under a millisecond per
line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.graph import Edge
from nodeforge.analysis.jsontree import JsonNode
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import Type, describe

MAX_LABEL = 40  # characters of a type shown inline; the tooltip has the rest


@dataclass(frozen=True, slots=True)
class InlayHint:
    """``label`` shown at ``offset``; ``tooltip`` (markdown) is the full type."""

    offset: int
    label: str
    tooltip: str


def short_type(t: Type, limit: int = MAX_LABEL) -> str:
    """A type in at most ``limit`` characters: three fields and two levels deep, then
    cut at a field boundary where possible, with an ellipsis."""
    text = describe(t, max_fields=3, max_depth=2)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    comma = cut.rfind(", ")
    if comma > limit // 2:
        cut = cut[:comma] + ", "
    return cut + "…"


def _tooltip(where: str, t: Type) -> str:
    return f"{where}\n\n```\n{describe(t, max_fields=12, max_depth=4)}\n```"


def inlay_hints(analysis: Analysis, span: Span | None = None) -> list[InlayHint]:
    """Hints for the nodes and connections overlapping ``span`` (all without one)."""
    doc = analysis.document
    root = doc.root
    if root is None or root.kind != "object":
        return []
    want = span if span is not None else Span(0, len(doc.text))
    out: list[InlayHint] = []
    nodes = root.get("nodes")
    if nodes is not None and nodes.kind == "array":
        for index, item in overlapping_items(nodes.items, want):
            out += _node_hints(analysis, index, item)
    connections = root.get("connections")
    if connections is not None and connections.kind == "array":
        overlapping = overlapping_items(connections.items, want)
        if overlapping:
            edges = _edges_by_index(analysis)
            for index, item in overlapping:
                edge = edges.get(index)
                if edge is not None:
                    out += _connection_hint(analysis, edge, item)
    out.sort(key=lambda h: h.offset)
    return out


def overlapping_items(items: list[JsonNode], want: Span) -> list[tuple[int, JsonNode]]:
    """The items of an array (of nodes, of connections) overlapping ``want``, with
    their indexes: a binary search, so a visible range costs what it shows."""
    ends = [item.end for item in items]
    first = bisect.bisect_left(ends, want.start)
    out = []
    for i in range(first, len(items)):
        if items[i].start > want.end:
            break
        out.append((i, items[i]))
    return out


def _node_hints(analysis: Analysis, index: int, item: JsonNode) -> list[InlayHint]:
    info = analysis.document.nodes[index] if index < len(analysis.document.nodes) else None
    if info is None or info.id is None or item.kind != "object":
        return []
    facts = analysis.facts.get(info.id)
    if facts is None or facts.node.index != index or not facts.output_types:
        return []
    at = _value_end(analysis.document.text, item, _TYPE_AFTER_ID, "type")
    if at is None:
        return []
    return [
        InlayHint(at, f"→ {port}: {short_type(t)}", _tooltip(f"`{info.id}.{port}`", t))
        for port, t in facts.output_types.items()
    ]


# A node that starts with its id then its type, a connection that starts with `from`
# (the canonical layout): the value's end without expanding the object's members.
_STRING = r'"(?:[^"\\\n]|\\.)*"'
_TYPE_AFTER_ID = re.compile(
    r'\{\s*"id"\s*:\s*' + _STRING + r'\s*,\s*"type"\s*:\s*(' + _STRING + ")"
)
_FROM_FIRST = re.compile(r'\{\s*"from"\s*:\s*(' + _STRING + ")")


def _value_end(text: str, item: JsonNode, shortcut: re.Pattern[str], key: str) -> int | None:
    """The end offset of member ``key``'s value in the object ``item``."""
    m = shortcut.match(text, item.start, item.end)
    if m is not None:
        return m.end(1)
    member = item.member(key)
    return member.value.end if member is not None and member.value is not None else None


def _edges_by_index(analysis: Analysis) -> dict[int, Edge]:
    return {e.index: e for edges in analysis.graph.successors.values() for e in edges}


def _connection_hint(analysis: Analysis, edge: Edge, item: JsonNode) -> list[InlayHint]:
    facts = analysis.facts.get(edge.source)
    t = facts.output_types.get(edge.source_port) if facts is not None else None
    if t is None or item.kind != "object":
        return []
    at = _value_end(analysis.document.text, item, _FROM_FIRST, "from")
    if at is None:
        at = item.end
    where = f"`{edge.source}.{edge.source_port}` → `{edge.target}.{edge.target_port}`"
    return [InlayHint(at, f": {short_type(t)}", _tooltip(where, t))]
