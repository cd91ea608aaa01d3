"""Shared helpers of the editor-feature tests (``test_ide_*.py``).

Tests are data-driven, like rust-analyzer's: a flow text with the cursor written
as ``$0`` (or a selection as ``$0...$0``) goes through one ``check_*`` helper
per feature. ``flow(...)`` wraps a few nodes and connections in a full document
so that one-line cases stay short.
"""

from __future__ import annotations

import itertools
import json
from functools import lru_cache

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide import TextEdit
from nodeforge.analysis.text import Span
from nodeforge.analysis.workspace import Workspace, load_workspace
from tests.conftest import EXAMPLES

CURSOR = "$0"
URI = "file:///work/flows/orders.flow.json"

#: Nodes that most cases refer to: a trigger, a condition, a request, a response.
NODES = (
    '{"id": "start", "type": "http/trigger", "version": "1.1.0", "config": {"method": "POST", '
    '"path": "/orders", "body_schema": {"type": "object", "required": ["sku"], '
    '"properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}}}, '
    '{"id": "check", "type": "flow/if", "version": "1.0.0", "config": {"condition": "input.body.qty > 1"}}, '
    '{"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}}'
)
CONNECTIONS = '{"from": "start.out", "to": "check.in"}, {"from": "check.true", "to": "reply.in"}'


def flow(nodes: str = NODES, connections: str = CONNECTIONS, extra: str = "") -> str:
    """A flow document around ``nodes`` and ``connections`` (JSON fragments, may hold ``$0``)."""
    return (
        '{"nodeforge": "1", "id": "orders", "nodes": ['
        + nodes
        + '], "connections": ['
        + connections
        + "]"
        + extra
        + "}"
    )


def with_node(node: str) -> str:
    """The standard flow plus one more node (a JSON fragment, may hold ``$0``)."""
    return flow(NODES + ", " + node)


@lru_cache(maxsize=1)
def workspace() -> Workspace:
    return load_workspace(EXAMPLES)


def split_cursor(text: str) -> tuple[str, int]:
    offset = text.index(CURSOR)
    return text.replace(CURSOR, "", 1), offset


def split_selection(text: str) -> tuple[str, Span]:
    start = text.index(CURSOR)
    end = text.index(CURSOR, start + len(CURSOR)) - len(CURSOR)
    return text.replace(CURSOR, ""), Span(start, end)


def analysis_of(text: str, uri: str = URI) -> Analysis:
    return analyze(text, uri, 1, workspace())


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (asserting they do not overlap)."""
    ordered = sorted(edits, key=lambda e: (e.span.start, e.span.end))
    for a, b in itertools.pairwise(ordered):
        assert a.span.end <= b.span.start, f"overlapping edits {a} and {b}"
    for edit in reversed(ordered):
        text = text[: edit.span.start] + edit.new_text + text[edit.span.end :]
    return text


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
