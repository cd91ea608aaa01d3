"""Hover: what the thing under the cursor is, as markdown."""

from __future__ import annotations

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.expressions import hover_at, parse_template
from nodeforge.analysis.flow import parse_endpoint
from nodeforge.analysis.jsontree import string_offsets
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import Type, check_assignable, describe

from .cursor import Cursor, decode_string, decoded_index, locate, string_token_span
from .docs import node_type_markdown, port_type, ports_markdown, version_markdown
from .facts import (
    CONNECTION_KEYS,
    NODE_DOCS,
    TEST_DOCS,
    TOP_LEVEL_DOCS,
    SiteKind,
    expression_kind,
    facts_of_node,
    manifest_for,
    manifest_of_node,
    node_index_by_id,
    node_info,
    property_markdown,
    schema_at,
)
from .model import HoverResult
from .subflows import called_flow, flow_markdown


def hover(analysis: Analysis, offset: int) -> HoverResult | None:
    """Docs or the type of what is under the cursor (the character after ``offset``)."""
    doc = analysis.document
    cursor = locate(doc.root, doc.text, offset)
    result = _hover(analysis, cursor)
    if result is None and offset < len(doc.text):
        nxt = locate(doc.root, doc.text, offset + 1)
        token_start = nxt.token.start if nxt.token is not None else nxt.span.start
        if token_start == offset:  # on an opening quote
            result = _hover(analysis, nxt)
    return result


def _hover(analysis: Analysis, cursor: Cursor) -> HoverResult | None:
    path = cursor.path
    if cursor.role == "key" and cursor.member is not None:
        return _key_hover(analysis, cursor)
    if cursor.role not in ("value", "item") or cursor.token is None:
        return None
    token = cursor.token
    if token.kind == "string":
        site = expression_kind(analysis, cursor.value_path)
        if site is not None:
            return _expression_hover(cursor, site)
    if len(path) == 2 and path[0] == "nodes" and isinstance(path[1], int):
        return _node_value_hover(analysis, cursor, path[1])
    if len(path) >= 3 and path[0] == "nodes" and path[2] == "config" and isinstance(path[1], int):
        if cursor.role == "value" and cursor.key == "flow" and len(path) == 3:
            called = called_flow(analysis, path[1])
            if called is not None:
                return HoverResult(flow_markdown(analysis, called), token.span)
        if cursor.role == "value" and cursor.key is not None:
            manifest = manifest_of_node(analysis, path[1])
            schema = (
                schema_at(manifest.config_schema, (*path[3:], cursor.key)) if manifest else None
            )
            if schema is not None:
                return HoverResult(property_markdown(cursor.key, schema, False), token.span)
        return None
    if len(path) == 2 and path[0] == "connections" and cursor.key in CONNECTION_KEYS:
        return _endpoint_hover(analysis, cursor)
    if len(path) == 2 and path[0] == "tests" and cursor.key == "trigger":
        index = node_index_by_id(analysis, str(token.value))
        if index is not None:
            return _node_hover(analysis, index, token.span)
    return None


def _key_hover(analysis: Analysis, cursor: Cursor) -> HoverResult | None:
    path, key = cursor.path, cursor.key or ""
    span = cursor.span
    if not path:
        doc = TOP_LEVEL_DOCS.get(key)
        return HoverResult(doc, span) if doc else None
    if len(path) == 2 and path[0] == "nodes":
        doc = NODE_DOCS.get(key)
        return HoverResult(doc, span) if doc else None
    if len(path) == 2 and path[0] == "tests":
        doc = TEST_DOCS.get(key)
        return HoverResult(doc, span) if doc else None
    if len(path) >= 3 and path[0] == "nodes" and path[2] == "config" and isinstance(path[1], int):
        manifest = manifest_of_node(analysis, path[1])
        if manifest is None:
            return None
        parent = schema_at(manifest.config_schema, path[3:])
        schema = schema_at(manifest.config_schema, (*path[3:], key))
        if schema is None or parent is None:
            return None
        required = key in (parent.get("required") or [])
        return HoverResult(property_markdown(key, schema, required), span)
    if len(path) == 3 and path[0] == "tests" and path[2] == "fixtures":
        index = node_index_by_id(analysis, key)
        if index is not None:
            return _node_hover(analysis, index, span)
    return None


def _node_value_hover(analysis: Analysis, cursor: Cursor, index: int) -> HoverResult | None:
    token = cursor.token
    assert token is not None
    if cursor.key == "type":
        manifest = manifest_of_node(analysis, index)
        if manifest is None:
            return None
        return HoverResult(node_type_markdown(manifest, facts_of_node(analysis, index)), token.span)
    if cursor.key == "version":
        manifest = manifest_of_node(analysis, index)
        if manifest is None:
            return None
        versions = analysis.workspace.catalog.versions(manifest.type)
        return HoverResult(version_markdown(manifest, versions), token.span)
    if cursor.key == "id":
        return _node_hover(analysis, index, token.span)
    return None


def _node_hover(analysis: Analysis, index: int, span: Span) -> HoverResult | None:
    markdown = _node_markdown(analysis, index)
    return HoverResult(markdown, span) if markdown is not None else None


def _node_markdown(analysis: Analysis, index: int) -> str | None:
    """None when there is no such node: the cursor may be in a `nodes` member that
    a later duplicate overrides (JSON's last-wins rule)."""
    info = node_info(analysis, index)
    if info is None:
        return None
    manifest = manifest_for(analysis, info.type, info.version)
    head = f"**{info.id}**: `{info.type}@{info.version}`"
    if manifest is None:
        return head
    lines = [head, "", manifest.title]
    lines += ports_markdown(manifest, facts_of_node(analysis, index))
    return "\n".join(lines)


def _endpoint_hover(analysis: Analysis, cursor: Cursor) -> HoverResult | None:
    token = cursor.token
    container = cursor.container
    if token is None or container is None or not isinstance(container.value, dict):
        return None
    value = container.value
    source = _port(analysis, value.get("from"), output=True)
    target = _port(analysis, value.get("to"), output=False)
    lines = []
    if source is not None:
        lines.append(f"**from** `{source[0]}`: `{describe(source[1])}`")
    if target is not None:
        lines.append(f"**to** `{target[0]}`: `{describe(target[1])}`")
    if source is not None and target is not None:
        mismatches = check_assignable(source[1], target[1])
        if not mismatches:
            lines.append("The source fits the target.")
        for m in mismatches[:5]:
            lines.append(f"- {m.severity}: {m.message}")
    if not lines:
        return None
    return HoverResult("\n\n".join(lines), token.span)


def _port(analysis: Analysis, text: object, *, output: bool) -> tuple[str, Type] | None:
    endpoint = parse_endpoint(text)
    if endpoint is None:
        return None
    facts = analysis.facts.get(endpoint.node)
    if facts is None or facts.manifest is None:
        return None
    ports = facts.manifest.outputs if output else facts.manifest.inputs
    port = endpoint.port
    if port is None and len(ports) == 1:
        port = next(iter(ports))
    if port is None or port not in ports:
        return None
    return f"{endpoint.node}.{port}", port_type(ports[port], facts, port, output=output)


def _expression_hover(cursor: Cursor, site: SiteKind) -> HoverResult | None:
    token = cursor.token
    assert token is not None
    raw = token.raw
    offsets = string_offsets(raw)
    source = decode_string(raw)
    index = min(decoded_index(offsets, cursor.offset - token.start), len(source))
    local, base = source, 0
    if site.is_template:
        for hole in parse_template(source).holes:
            if hole.offset <= index <= hole.offset + len(hole.source):
                local, base = hole.source, hole.offset
                break
        else:
            return None
    found = hover_at(local, index - base, site.env)
    if found is None:
        return None
    start, end = found.start, found.end
    text = local[start:end]
    span: Span = string_token_span(token, cursor.text, start + base, end + base)
    shown = text if len(text) <= 80 else text[:77] + "…"
    markdown = f"```\n{shown}: {describe(found.type)}\n```"
    if found.doc is not None:  # a list macro's name or variable
        markdown += f"\n\n{found.doc}"
    return HoverResult(markdown, span)
