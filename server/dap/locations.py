"""Nodes <-> lines of a flow file: where a breakpoint line lands, where a frame points.

Positions are zero-based here (line, and column in UTF-16 code units as editors count
them); the adapter converts to the client's ``linesStartAt1``/``columnsStartAt1``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nodeforge.analysis.flow import FlowDocument
from nodeforge.analysis.text import Position


@dataclass(frozen=True, slots=True)
class NodeSpan:
    """Where one node's object is in the text (``end`` is just past its ``}``)."""

    node: str
    type: str
    start: Position
    end: Position


def node_spans(document: FlowDocument) -> list[NodeSpan]:
    """Every node with an id, in the order of the file."""
    spans = []
    for node in document.nodes:
        if node.id is None:
            continue
        where = document.lines.range(document.span_of(node.path))
        spans.append(NodeSpan(node.id, node.type or "", where.start, where.end))
    return spans


def node_at_line(spans: list[NodeSpan], line: int) -> NodeSpan | None:
    """The node whose object spans ``line`` (zero-based); on a line where one node ends
    and the next begins (``}, {``), the one that begins."""
    containing = None
    for span in spans:
        if span.start.line == line:
            return span
        if containing is None and span.start.line <= line <= span.end.line:
            containing = span
    return containing
