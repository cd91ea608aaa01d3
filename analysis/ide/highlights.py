"""Document highlights: a node id's definition and every mention of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.text import Span

from .mentions import Mention, mention_at, mentions_of

HighlightKind = Literal["write", "read"]


@dataclass(frozen=True, slots=True)
class Highlight:
    """``write`` marks the node's ``"id"`` (its definition), ``read`` each reference:
    a connection endpoint, ``nodes.<id>`` in an expression or template, a test's
    ``trigger`` or ``fixtures`` key."""

    span: Span
    kind: HighlightKind


def document_highlights(analysis: Analysis, offset: int) -> list[Highlight]:
    """Every mention of the node id under the cursor, in document order; none when
    the cursor is not on a node mention."""
    found = mention_at(analysis, offset)
    if not isinstance(found, Mention) or not found.node_id:
        return []
    return [
        Highlight(m.span, "write" if m.kind == "definition" else "read")
        for m in mentions_of(analysis, found.node_id)
    ]
