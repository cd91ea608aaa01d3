"""Every place a flow names a node: its ``id``, connection endpoints, ``nodes.<id>`` in
expressions and templates, tests' ``trigger`` and ``fixtures`` keys.

Spans cover exactly the characters of the id inside the JSON string (escapes
respected), which is what rename replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nodeforge.analysis.catalog import iter_config_strings
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.expressions import NodeRef, parse, parse_template, references
from nodeforge.analysis.flow import FlowDocument
from nodeforge.analysis.jsontree import string_offsets
from nodeforge.analysis.text import Span

from .cursor import Cursor, decode_string, decoded_index, locate, string_token_span
from .facts import expression_kind, manifest_for

MentionKind = Literal["definition", "endpoint", "expression", "trigger", "fixture"]


@dataclass(frozen=True, slots=True)
class Mention:
    node_id: str
    span: Span
    kind: MentionKind


NOT_A_NODE = (
    "Only node ids can be renamed: put the cursor on a node's `id`, a connection "
    "endpoint, a test's `trigger` or `nodes.<id>` in an expression"
)


def mention_at(analysis: Analysis, offset: int) -> Mention | str | None:
    """The node mention under the cursor; a string says why what is there is not one."""
    doc = analysis.document
    cursor = locate(doc.root, doc.text, offset)
    found = _mention_in(analysis, cursor)
    if found is None and offset < len(doc.text):
        # On the opening quote itself: look one character further in.
        cursor = locate(doc.root, doc.text, offset + 1)
        if cursor.token is not None and cursor.token.start == offset:
            found = _mention_in(analysis, cursor)
    return found


def _mention_in(analysis: Analysis, cursor: Cursor) -> Mention | str | None:
    path, token = cursor.path, cursor.token
    if cursor.role == "key" and len(path) == 3 and path[0] == "tests" and path[2] == "fixtures":
        member = cursor.member
        if member is None:
            return None
        raw = cursor.text[member.key_span.start : member.key_span.end]
        return Mention(
            member.key, _inner_span(raw, member.key_span.start, len(member.key)), "fixture"
        )
    if cursor.role != "value" or token is None or token.kind != "string":
        return None
    value = token.value if isinstance(token.value, str) else ""
    text = cursor.text
    if len(path) == 2 and path[0] == "nodes" and cursor.key == "id":
        return Mention(value, string_token_span(token, text, 0, len(value)), "definition")
    if len(path) == 2 and path[0] == "tests" and cursor.key == "trigger":
        return Mention(value, string_token_span(token, text, 0, len(value)), "trigger")
    if len(path) == 2 and path[0] == "connections" and cursor.key in ("from", "to"):
        node, _dot, port = value.partition(".")
        index = decoded_index(string_offsets(token.raw), cursor.offset - token.start)
        if index > len(node) and _dot:
            return f"`{port}` is a port of `{node}`; only node ids can be renamed"
        return Mention(node, string_token_span(token, text, 0, len(node)), "endpoint")
    site = expression_kind(analysis, (*path, cursor.key or ""))
    if site is None:
        return None
    source = decode_string(token.raw)
    index = decoded_index(string_offsets(token.raw), cursor.offset - token.start)
    for ref in node_refs(source, site.is_template):
        if ref.start <= index <= ref.end:
            return Mention(
                ref.node_id, string_token_span(token, text, ref.start, ref.end), "expression"
            )
    return None


def _inner_span(raw: str, start: int, length: int) -> Span:
    offsets = string_offsets(raw) if raw.startswith('"') else list(range(len(raw) + 1))
    last = len(offsets) - 1
    return Span(start + offsets[0], start + offsets[min(length, last)])


def node_refs(source: str, is_template: bool) -> list[NodeRef]:
    """Every ``nodes.<id>`` in an expression or template, in source offsets."""
    if not is_template:
        expr = parse(source).expr
        return references(expr) if expr is not None else []
    out: list[NodeRef] = []
    for hole in parse_template(source).holes:
        if hole.result.expr is None:
            continue
        off = hole.offset
        out += [
            NodeRef(r.node_id, r.port, r.start + off, r.end + off)
            for r in references(hole.result.expr)
        ]
    return out


def mentions_of(analysis: Analysis, node_id: str) -> list[Mention]:
    """Every mention of ``node_id`` in the document, in document order."""
    doc = analysis.document
    out: list[Mention] = []
    for info in doc.nodes:
        if info.id == node_id:
            out.append(
                Mention(node_id, doc.string_span((*info.path, "id"), 0, len(node_id)), "definition")
            )
    for conn in doc.connections:
        for key, endpoint in (("from", conn.source), ("to", conn.target)):
            if endpoint is not None and endpoint.node == node_id:
                span = doc.string_span((*conn.path, key), 0, len(node_id))
                out.append(Mention(node_id, span, "endpoint"))
    for info in doc.nodes:
        manifest = manifest_for(analysis, info.type, info.version)
        if manifest is None or not (manifest.expressions or manifest.templates):
            continue
        for config_path, source, is_template in iter_config_strings(manifest, info.config):
            if node_id not in source:
                continue
            path = (*info.path, "config", *config_path)
            for ref in node_refs(source, is_template):
                if ref.node_id == node_id:
                    span = doc.string_span(path, ref.start, ref.end)
                    out.append(Mention(node_id, span, "expression"))
    out += _test_mentions(doc, node_id)
    out.sort(key=lambda m: m.span.start)
    return out


def _test_mentions(doc: FlowDocument, node_id: str) -> list[Mention]:
    out: list[Mention] = []
    tests = doc.value.get("tests")
    if not isinstance(tests, list):
        return out
    root = doc.root
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            continue
        if test.get("trigger") == node_id:
            span = doc.string_span(("tests", i, "trigger"), 0, len(node_id))
            out.append(Mention(node_id, span, "trigger"))
        fixtures = test.get("fixtures")
        if isinstance(fixtures, dict) and node_id in fixtures and root is not None:
            obj = root.find(("tests", i, "fixtures"))
            member = obj.member(node_id) if obj is not None else None
            if member is not None:
                raw = doc.text[member.key_span.start : member.key_span.end]
                span = _inner_span(raw, member.key_span.start, len(node_id))
                out.append(Mention(node_id, span, "fixture"))
    return out
