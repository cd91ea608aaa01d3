"""Completion: what may be typed at the cursor, from the flow format, catalog and types.

The cursor's JSON context (:mod:`.cursor`) picks the provider; each provider
returns items whose ``edit_span`` covers the whole token under the cursor
(quotes included), so that an item inserts well-formed JSON whether the user has
typed ``"ht``, ``ht`` or nothing yet. Multi-line inserts are indented for the
cursor's line already: the server should send them with ``insertTextMode: asIs``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.expressions import completions_at, parse_template
from nodeforge.analysis.flow import parse_endpoint
from nodeforge.analysis.jsontree import string_offsets
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import Type, check_assignable, describe

from .cursor import Cursor, decode_string, decoded_index, is_terminated_span, locate
from .docs import node_type_markdown, port_type
from .facts import (
    CONNECTION_KEYS,
    NODE_DOCS,
    NODE_KEYS,
    TEST_DOCS,
    TEST_KEYS,
    TOP_LEVEL_DOCS,
    TOP_LEVEL_KEYS,
    SiteKind,
    dump,
    expression_kind,
    facts_of_node,
    manifest_for,
    manifest_of_node,
    node_index_by_id,
    node_info,
    property_markdown,
    schema_at,
    schema_label,
    schema_types,
)
from .model import CompletionItem, CompletionList
from .subflows import called_flow, flow_markdown, input_properties, is_subflow_node, where

#: Rank compatible ports first only below this many candidates (each costs a type check).
MAX_RANKED_ENDPOINTS = 300
#: At most this many `node.port` items when no node is typed yet; more mark the list incomplete.
MAX_ENDPOINT_ITEMS = 300

_WORD = re.compile(r"[A-Za-z0-9_]")
_VERSION_KEY = re.compile(r'"version"\s*:')
_ID_CHARS = re.compile(r"[^a-z0-9_]+")


def completion(analysis: Analysis, offset: int) -> CompletionList:
    """The completions at ``offset``; works inside half-typed, broken JSON."""
    doc = analysis.document
    cursor = locate(doc.root, doc.text, offset)
    try:
        provided = _provide(analysis, cursor)
        incomplete = isinstance(provided, _Truncated)
        return CompletionList(_ranked(list(provided)), is_incomplete=incomplete)
    finally:
        _slot.cache_clear()  # keep no snapshot alive between requests


class _Truncated(list[CompletionItem]):
    """Items cut at a limit: the client must ask again as the user types."""


def _ranked(items: list[CompletionItem]) -> list[CompletionItem]:
    """Fill in ``sort_text`` from the providers' order where they left it unset."""
    out = []
    for i, item in enumerate(items):
        if item.sort_text is None:
            item = _replace(item, sort_text=f"5{i:05d}")
        out.append(item)
    return out


def _replace(item: CompletionItem, **changes: Any) -> CompletionItem:
    return dataclasses.replace(item, **changes)


# -- dispatch -------------------------------------------------------------------------


def _provide(analysis: Analysis, cursor: Cursor) -> Iterable[CompletionItem]:
    doc = analysis.document
    if cursor.role == "none":
        if doc.root is None:
            return [_flow_skeleton(analysis, cursor)]
        return []
    if cursor.role in ("value", "item") and cursor.in_string and cursor.token is not None:
        site = expression_kind(analysis, cursor.value_path)
        if site is not None:
            expression_items = _expression_items(cursor, site)
            if expression_items is not None:
                return expression_items
    path = cursor.path
    depth = len(path)
    if depth == 0:
        return _top_level(analysis, cursor)
    head = path[0]
    if head == "nodes":
        if depth == 1 and cursor.role == "item":
            return _node_skeletons(analysis, cursor, replace=None)
        if depth >= 2 and isinstance(path[1], int):
            index = path[1]
            if depth == 2:
                return _node_member(analysis, cursor, index)
            if depth == 3 and path[2] == "position" and cursor.role == "key":
                existing = _existing_keys(cursor)
                return [_key_item(cursor, k, "${1:0}") for k in ("x", "y") if k not in existing]
            if path[2] == "config":
                return _config(analysis, cursor, index, path[3:])
        return []
    if head == "connections":
        if depth == 1 and cursor.role == "item":
            return [_connection_skeleton(cursor)]
        if depth == 2:
            return _connection_member(analysis, cursor)
        return []
    if head == "tests":
        if depth == 1 and cursor.role == "item":
            return [_test_skeleton(analysis, cursor)]
        if depth == 2:
            return _test_member(analysis, cursor)
        if depth == 3 and path[2] == "fixtures" and cursor.role == "key":
            return _fixture_keys(analysis, cursor)
        return []
    return []


# -- building items -------------------------------------------------------------------


class _Slot(NamedTuple):
    """Where an item's text goes: the span it replaces, whether a comma must follow, and
    whether the span starts with a quote (then the filter text is the quoted value)."""

    span: Span
    comma: bool
    quoted: bool


@lru_cache(maxsize=8)
def _slot(cursor: Cursor) -> _Slot:
    """Computed once per request, however many items share it."""
    span = _edit_span(cursor)
    text = cursor.text
    return _Slot(span, _needs_comma_after(text, span), text[span.start : span.start + 1] == '"')


def _edit_span(cursor: Cursor) -> Span:
    """What an item replaces: the token at the cursor, on the cursor's line (LSP wants
    one line; a value recovered from broken JSON may run over several)."""
    token = cursor.token
    if cursor.role == "key" and cursor.member is not None and token is None:
        span = cursor.span
        if cursor.in_string and not is_terminated_span(cursor.text, span):
            span = Span(span.start, max(cursor.offset, span.start))
    elif token is None:
        span = cursor.span
    elif token.kind == "string" and not is_terminated_span(cursor.text, token.span):
        span = Span(token.start, max(cursor.offset, token.start))
    else:
        span = token.span
    return _on_cursor_line(cursor.text, span, cursor.offset)


def _on_cursor_line(text: str, span: Span, offset: int) -> Span:
    """``span`` cut to the line holding ``offset``, and widened to reach ``offset``."""
    line_start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    breaks = [i for i in (text.find("\n", offset), text.find("\r", offset)) if i >= 0]
    line_end = min(breaks) if breaks else len(text)
    start = min(max(span.start, line_start), offset)
    return Span(start, max(min(span.end, line_end), offset))


def _text(cursor: Cursor) -> str:
    return cursor.text


def _needs_comma_after(text: str, span: Span) -> bool:
    """Whether another member or element follows the edit without a comma."""
    i = span.end
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i < len(text) and text[i] in '"{['


def _value_item(
    cursor: Cursor,
    label: str,
    json_text: str,
    kind: str,
    *,
    detail: str | None = None,
    documentation: str | None = None,
    snippet: str | None = None,
    insert_text: str | None = None,
    sort_text: str | None = None,
    deprecated: bool = False,
) -> CompletionItem:
    """An item that puts the JSON value ``json_text`` at the cursor (or ``insert_text``,
    or a snippet, when more than the value is typed)."""
    span, comma, quoted = _slot(cursor)
    insert = snippet if snippet is not None else insert_text or json_text
    if comma:
        insert += ","
    return CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=documentation,
        insert_text=insert,
        is_snippet=snippet is not None,
        edit_span=span,
        sort_text=sort_text,
        filter_text=json_text if quoted else label,
        deprecated=deprecated,
    )


def _key_item(
    cursor: Cursor,
    key: str,
    value_snippet: str,
    *,
    detail: str | None = None,
    documentation: str | None = None,
    sort_text: str | None = None,
    deprecated: bool = False,
) -> CompletionItem:
    """An item that types the member name ``key`` and, if there is none yet, its value."""
    span, comma, quoted = _slot(cursor)
    text = _text(cursor)
    # The text decides, not the tree: recovery may have taken the next line's key for
    # this half-typed key's value.
    has_value = cursor.member is not None and _colon_follows(text, cursor.member.key_span.end)
    quoted_key = dump(key)
    if has_value:
        insert, is_snippet = quoted_key, False
    else:
        insert, is_snippet = f"{_snippet_escape(quoted_key)}: {value_snippet}", True
        if comma:
            insert += ","
    return CompletionItem(
        label=key,
        kind="property",
        detail=detail,
        documentation=documentation,
        insert_text=insert,
        is_snippet=is_snippet,
        edit_span=span,
        sort_text=sort_text,
        filter_text=quoted_key if quoted else key,
        deprecated=deprecated,
    )


def _colon_follows(text: str, end: int) -> bool:
    i = end
    while i < len(text) and text[i] in " \t":
        i += 1
    return i < len(text) and text[i] == ":"


def _snippet_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _choice_escape(text: str) -> str:
    return _snippet_escape(text).replace(",", "\\,").replace("|", "\\|")


def _existing_keys(cursor: Cursor) -> set[str]:
    container = cursor.container
    if container is None or container.kind != "object":
        return set()
    return {p.key for p in container.properties if p is not cursor.member}


def _line_indent(cursor: Cursor) -> str:
    text = _text(cursor)
    start = text.rfind("\n", 0, cursor.offset) + 1
    line = text[start:]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indented(json_text: str, indent: str) -> str:
    return json_text.replace("\n", "\n" + indent)


def value_snippet(schema: dict[str, Any] | None, tab: int = 1) -> str:
    """A snippet for a value of ``schema``: a choice for enums and booleans, else a placeholder."""
    schema = schema or {}
    enum = schema.get("enum")
    types = schema_types(schema)
    if isinstance(enum, list) and enum:
        if all(isinstance(v, str) for v in enum):
            return f'"${{{tab}|{",".join(_choice_escape(v) for v in enum)}|}}"'
        return f"${{{tab}|{','.join(_choice_escape(dump(v)) for v in enum)}|}}"
    if "default" in schema:
        default = schema["default"]
        if isinstance(default, str):
            return f'"${{{tab}:{_snippet_escape(default)}}}"'
        return f"${{{tab}:{_snippet_escape(dump(default))}}}"
    first = types[0] if types else None
    if first == "boolean":
        return f"${{{tab}|false,true|}}"
    if first == "string":
        return f'"${tab}"'
    if first in ("integer", "number"):
        return f"${{{tab}:0}}"
    if first == "object":
        return f"{{${tab}}}"
    if first == "array":
        return f"[${tab}]"
    if first == "null":
        return "null"
    return f"${tab}"


# -- top level ------------------------------------------------------------------------


def _top_level(analysis: Analysis, cursor: Cursor) -> list[CompletionItem]:
    if cursor.role == "key":
        existing = _existing_keys(cursor)
        snippets = {
            "nodeforge": '"${1:1}"',
            "id": f'"${{1:{_flow_id(analysis)}}}"',
            "name": '"$1"',
            "description": '"$1"',
            "nodes": "[$1]",
            "connections": "[$1]",
            "tests": "[$1]",
        }
        return [
            _key_item(
                cursor,
                key,
                snippets[key],
                documentation=TOP_LEVEL_DOCS[key],
                sort_text=f"{0 if key in ('nodeforge', 'id') else 1}{i:03d}",
            )
            for i, key in enumerate(TOP_LEVEL_KEYS)
            if key not in existing
        ]
    if cursor.role == "value":
        if cursor.key == "nodeforge":
            return [_value_item(cursor, "1", '"1"', "value", detail="format version")]
        if cursor.key == "id":
            flow_id = _flow_id(analysis)
            return [_value_item(cursor, flow_id, dump(flow_id), "value", detail="flow id")]
        if cursor.key in ("nodes", "connections", "tests") and cursor.token is None:
            return [_value_item(cursor, "[]", "[]", "value", snippet="[$1]")]
    return []


def _flow_id(analysis: Analysis) -> str:
    uri = analysis.document.uri
    stem = uri.rsplit("/", 1)[-1].split(".", 1)[0].lower()
    ident = _ID_CHARS.sub("_", stem).strip("_")
    if not ident or not ident[0].isalpha():
        ident = "flow" + (f"_{ident}" if ident else "")
    return ident


def _flow_skeleton(analysis: Analysis, cursor: Cursor) -> CompletionItem:
    snippet = (
        "{\n"
        '  "nodeforge": "1",\n'
        f'  "id": "${{1:{_flow_id(analysis)}}}",\n'
        '  "name": "$2",\n'
        '  "nodes": [\n    $0\n  ],\n'
        '  "connections": []\n'
        "}\n"
    )
    return CompletionItem(
        label="flow",
        kind="snippet",
        detail="A new flow",
        documentation="A flow skeleton: format version, id, nodes and connections.",
        insert_text=snippet,
        is_snippet=True,
        edit_span=Span(cursor.offset, cursor.offset),
        sort_text="0",
    )


# -- nodes ----------------------------------------------------------------------------


def _node_skeletons(
    analysis: Analysis, cursor: Cursor, replace: Span | None
) -> list[CompletionItem]:
    """One snippet per node type inserting a whole node with its required config."""
    catalog = analysis.workspace.catalog
    taken = {n.id for n in analysis.document.nodes if n.id is not None}
    indent = _line_indent(cursor)
    span = replace if replace is not None else _slot(cursor).span
    comma = "," if _needs_comma_after(cursor.text, span) else ""
    items = []
    for i, type_ in enumerate(catalog.types()):
        manifest = catalog.latest(type_)
        if manifest is None:
            continue
        node_id = unique_id(manifest.name, taken)
        config = _indented(_json_block(manifest.default_config()), indent + "  ")
        snippet = (
            "{\n"
            f'{indent}  "id": "${{1:{node_id}}}",\n'
            f'{indent}  "type": {dump(type_)},\n'
            f'{indent}  "version": {dump(manifest.version)},\n'
            f'{indent}  "config": {_snippet_escape(config)}\n'
            f"{indent}}}$0{comma}"
        )
        items.append(
            CompletionItem(
                label=type_,
                kind="node-type",
                detail=f"{manifest.title} (new node)",
                documentation=node_type_markdown(manifest),
                insert_text=snippet,
                is_snippet=True,
                edit_span=span,
                sort_text=f"1{i:04d}",
                filter_text=type_,
                deprecated=bool(manifest.deprecated),
            )
        )
    return items


def _json_block(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def unique_id(base: str, taken: set[str]) -> str:
    """``base`` made a valid node id, with ``_2``, ``_3``... appended until unused."""
    ident = _ID_CHARS.sub("_", base.lower()).strip("_") or "node"
    if not ident[0].isalpha():
        ident = "n_" + ident
    if ident not in taken:
        return ident
    n = 2
    while f"{ident}_{n}" in taken:
        n += 1
    return f"{ident}_{n}"


def _node_member(analysis: Analysis, cursor: Cursor, index: int) -> list[CompletionItem]:
    container = cursor.container
    if cursor.role == "key":
        items: list[CompletionItem] = []
        existing = _existing_keys(cursor)
        if (
            container is not None
            and not existing
            and cursor.member is None
            and _on_cursor_line(cursor.text, container.span, cursor.offset) == container.span
        ):  # an empty node on the cursor's line: a whole node replaces it
            items += _node_skeletons(analysis, cursor, replace=container.span)
        manifest = manifest_of_node(analysis, index)
        snippets = {
            "id": f'"${{1:{_suggest_node_id(analysis, index)}}}"',
            "type": '"$1"',
            "version": f'"${{1:{manifest.version if manifest else "1.0.0"}}}"',
            "title": '"$1"',
            "description": '"$1"',
            "position": '{"x": ${1:0}, "y": ${2:0}}',
            "config": "{$1}",
        }
        items += [
            _key_item(
                cursor,
                key,
                snippets[key],
                documentation=NODE_DOCS[key],
                sort_text=f"{0 if key in ('id', 'type', 'version') else 2}{i:03d}",
            )
            for i, key in enumerate(NODE_KEYS)
            if key not in existing
        ]
        return items
    if cursor.role != "value":
        return []
    if cursor.key == "type":
        return _type_items(analysis, cursor)
    if cursor.key == "version":
        return _version_items(analysis, cursor, index)
    if cursor.key == "id":
        node_id = _suggest_node_id(analysis, index)
        return [_value_item(cursor, node_id, dump(node_id), "value", detail="unused node id")]
    if cursor.key == "position" and cursor.token is None:
        return [
            _value_item(
                cursor,
                '{"x": 0, "y": 0}',
                '{"x": 0, "y": 0}',
                "value",
                snippet='{"x": ${1:0}, "y": ${2:0}}',
            )
        ]
    if cursor.key == "config" and cursor.token is None:
        manifest = manifest_of_node(analysis, index)
        config = manifest.default_config() if manifest is not None else {}
        block = _indented(_json_block(config), _line_indent(cursor))
        return [
            _value_item(
                cursor,
                "{…}",
                block,
                "value",
                detail="required config with defaults",
                snippet=_snippet_escape(block) if config else "{$1}",
            )
        ]
    return []


def _suggest_node_id(analysis: Analysis, index: int) -> str:
    info = node_info(analysis, index)
    taken = {n.id for n in analysis.document.nodes if n.id is not None and n.index != index}
    base = "node"
    if info is not None and info.type:
        base = info.type.rsplit("/", 1)[-1]
    return unique_id(base, taken)


def _type_items(analysis: Analysis, cursor: Cursor) -> list[CompletionItem]:
    """Every node type; a node without a ``version`` gets the newest pinned too."""
    catalog = analysis.workspace.catalog
    container = cursor.container
    raw = cursor.text[container.start : container.end] if container is not None else ""
    # The text too: a half-typed member may have swallowed `"version": ...` as its value.
    pin_version = "version" not in _existing_keys(cursor) and not _VERSION_KEY.search(raw)
    items = []
    for i, type_ in enumerate(catalog.types()):
        manifest = catalog.latest(type_)
        if manifest is None:
            continue
        pinned = f'{dump(type_)}, "version": {dump(manifest.version)}' if pin_version else None
        items.append(
            _value_item(
                cursor,
                type_,
                dump(type_),
                "node-type",
                detail=manifest.title,
                documentation=node_type_markdown(manifest),
                insert_text=pinned,
                sort_text=f"1{i:04d}",
                deprecated=bool(manifest.deprecated),
            )
        )
    return items


def _version_items(analysis: Analysis, cursor: Cursor, index: int) -> list[CompletionItem]:
    info = node_info(analysis, index)
    if info is None or info.type is None:
        return []
    catalog = analysis.workspace.catalog
    versions = list(reversed(catalog.versions(info.type)))
    items = []
    for i, version in enumerate(versions):
        manifest = catalog.get(info.type, version)
        notes = [m.notes for m in manifest.migrations if m.notes] if manifest else []
        detail = "newest" if i == 0 else None
        if manifest is not None and manifest.deprecated:
            detail = "deprecated"
        items.append(
            _value_item(
                cursor,
                version,
                dump(version),
                "version",
                detail=detail,
                documentation="\n\n".join(notes) or None,
                sort_text=f"0{i:04d}",
                deprecated=bool(manifest and manifest.deprecated),
            )
        )
    return items


# -- config ---------------------------------------------------------------------------


def _config(
    analysis: Analysis, cursor: Cursor, index: int, config_path: tuple[str | int, ...]
) -> list[CompletionItem]:
    manifest = manifest_of_node(analysis, index)
    if manifest is None:
        return []
    if cursor.role == "key":
        if config_path == ("arguments",) and is_subflow_node(analysis, index):
            return _argument_keys(analysis, cursor, index)
        schema = schema_at(manifest.config_schema, config_path)
        return _config_keys(cursor, schema)
    if cursor.role == "value" and cursor.key is not None:
        if not config_path and cursor.key == "connector" and manifest.connectors:
            return _connector_items(analysis, cursor, manifest)
        if not config_path and cursor.key == "flow" and is_subflow_node(analysis, index):
            return _flow_items(analysis, cursor)
        schema = schema_at(manifest.config_schema, (*config_path, cursor.key))
    elif cursor.role == "item":
        schema = schema_at(manifest.config_schema, (*config_path, cursor.index))
    else:
        return []
    return _schema_values(cursor, schema)


def _config_keys(cursor: Cursor, schema: dict[str, Any] | None) -> list[CompletionItem]:
    if schema is None:
        return []
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    required_list = schema.get("required")
    required = set(required_list) if isinstance(required_list, list) else set()
    existing = _existing_keys(cursor)
    items = []
    for i, (key, sub) in enumerate(props.items()):
        if key in existing or not isinstance(sub, dict):
            continue
        is_required = key in required
        items.append(
            _key_item(
                cursor,
                key,
                value_snippet(sub),
                detail=schema_label(sub) + (" (required)" if is_required else ""),
                documentation=property_markdown(key, sub, is_required),
                sort_text=f"{0 if is_required else 1}{i:04d}",
                deprecated=sub.get("deprecated") is True,
            )
        )
    return items


def _schema_values(cursor: Cursor, schema: dict[str, Any] | None) -> list[CompletionItem]:
    if schema is None:
        return []
    items: list[CompletionItem] = []
    seen: set[str] = set()
    description = schema.get("description") if isinstance(schema.get("description"), str) else None

    def add(value: Any, detail: str | None, rank: int) -> None:
        text = dump(value)
        if text in seen:
            return
        seen.add(text)
        label = value if isinstance(value, str) else text
        items.append(
            _value_item(
                cursor,
                label,
                text,
                "value",
                detail=detail,
                documentation=description,
                sort_text=f"{rank}{len(items):04d}",
            )
        )

    default = schema.get("default", _MISSING)
    if default is not _MISSING:
        add(default, "default", 0)
    enum = schema.get("enum")
    if isinstance(enum, list):
        for value in enum:
            add(value, None, 1)
    if "const" in schema:
        add(schema["const"], None, 1)
    types = schema_types(schema)
    if "boolean" in types:
        add(True, None, 1)
        add(False, None, 1)
    examples = schema.get("examples")
    if isinstance(examples, list):
        for value in examples:
            if isinstance(value, (dict, list)):
                continue
            add(value, "example", 2)
    if cursor.token is None or cursor.token.kind not in ("string", "number", "boolean"):
        if "object" in types and "{}" not in seen:
            seen.add("{}")
            items.append(_value_item(cursor, "{}", "{}", "value", snippet="{$1}", sort_text="3"))
        if "array" in types and "[]" not in seen:
            seen.add("[]")
            items.append(_value_item(cursor, "[]", "[]", "value", snippet="[$1]", sort_text="3"))
    if "null" in types:
        add(None, None, 4)
    return items


_MISSING = object()


def _connector_items(
    analysis: Analysis, cursor: Cursor, manifest: NodeManifest
) -> list[CompletionItem]:
    items = []
    for name, kind in sorted(analysis.workspace.connectors.items()):
        if kind not in manifest.connectors:
            continue
        items.append(
            _value_item(
                cursor,
                name,
                dump(name),
                "connector",
                detail=f"{kind} connector",
                documentation=f"Connector `{name}` ({kind}) from `nodeforge.toml`.",
            )
        )
    return items


def _flow_items(analysis: Analysis, cursor: Cursor) -> list[CompletionItem]:
    """The workspace's flows a ``flow/subflow`` node can call (not this flow itself);
    those without a manual trigger last."""
    own = analysis.document.value.get("id")
    items: list[CompletionItem] = []
    for flow_id, summary in sorted(analysis.workspace.flows.flows().items()):
        if flow_id == own:
            continue
        callable_ = bool(summary.manual_triggers)
        detail = summary.name or where(analysis, summary)
        items.append(
            _value_item(
                cursor,
                flow_id,
                dump(flow_id),
                "flow",
                detail=detail if callable_ else f"{detail} (no manual trigger)",
                documentation=flow_markdown(analysis, summary),
                sort_text=f"{0 if callable_ else 1}{len(items):05d}",
            )
        )
    return items


def _argument_keys(analysis: Analysis, cursor: Cursor, index: int) -> list[CompletionItem]:
    """The called flow's inputs (its input_schema), required first; values are expressions."""
    called = called_flow(analysis, index)
    if called is None:
        return []
    props, required = input_properties(called)
    existing = _existing_keys(cursor)
    items = []
    for i, (key, sub) in enumerate(props.items()):
        if key in existing:
            continue
        is_required = key in required
        items.append(
            _key_item(
                cursor,
                key,
                '"$1"',
                detail=schema_label(sub) + (" (required)" if is_required else ""),
                documentation=property_markdown(key, sub, is_required),
                sort_text=f"{0 if is_required else 1}{i:04d}",
            )
        )
    return items


# -- connections ----------------------------------------------------------------------


def _connection_skeleton(cursor: Cursor) -> CompletionItem:
    span, needs_comma, _quoted = _slot(cursor)
    comma = "," if needs_comma else ""
    return CompletionItem(
        label="connection",
        kind="snippet",
        detail='{"from": …, "to": …}',
        documentation="A connection from an output port to an input port.",
        insert_text='{"from": "$1", "to": "$2"}$0' + comma,
        is_snippet=True,
        edit_span=span,
        sort_text="0",
    )


def _connection_member(analysis: Analysis, cursor: Cursor) -> list[CompletionItem]:
    if cursor.role == "key":
        existing = _existing_keys(cursor)
        docs = {
            "from": "`node.output_port`: where the data comes from.",
            "to": "`node.input_port`: where it goes.",
        }
        return [
            _key_item(cursor, key, '"$1"', documentation=docs[key], sort_text=f"0{i}")
            for i, key in enumerate(CONNECTION_KEYS)
            if key not in existing
        ]
    if cursor.role == "value" and cursor.key in ("from", "to"):
        return _endpoint_items(analysis, cursor, output=cursor.key == "from")
    return []


def _endpoint_items(analysis: Analysis, cursor: Cursor, *, output: bool) -> list[CompletionItem]:
    prefix = cursor.prefix if cursor.token is not None else ""
    other_type = _other_end_type(analysis, cursor, output=output)
    if "." in prefix:
        node_id = prefix.split(".", 1)[0]
        index = node_index_by_id(analysis, node_id)
        if index is None:
            return []
        return _port_items(analysis, cursor, index, node_id, output, other_type, rank=True)
    items: list[CompletionItem] = []
    nodes = analysis.document.nodes
    rank = other_type is not None and len(nodes) <= MAX_RANKED_ENDPOINTS
    for info in nodes:
        if info.id is None or (prefix and prefix not in info.id):
            continue
        items += _port_items(analysis, cursor, info.index, info.id, output, other_type, rank=rank)
        if len(items) >= MAX_ENDPOINT_ITEMS:
            return _Truncated(items)
    return items


def _port_items(
    analysis: Analysis,
    cursor: Cursor,
    index: int,
    node_id: str,
    output: bool,
    other_type: Type | None,
    *,
    rank: bool,
) -> list[CompletionItem]:
    info = node_info(analysis, index)
    if info is None:
        return []
    manifest = manifest_for(analysis, info.type, info.version)
    if manifest is None:
        return []
    ports = manifest.outputs if output else manifest.inputs
    facts = facts_of_node(analysis, index)
    items = []
    for i, (port, spec) in enumerate(ports.items()):
        endpoint = f"{node_id}.{port}"
        detail = None
        score = 1
        if rank:
            t = port_type(spec, facts, port, output=output)
            detail = describe(t)
            if other_type is not None:
                src, dst = (t, other_type) if output else (other_type, t)
                mismatches = check_assignable(src, dst)
                if not mismatches:
                    score = 0
                elif any(m.severity == "error" for m in mismatches):
                    score, detail = 2, f"{detail} (incompatible)"
                else:
                    detail = f"{detail} (may not fit)"
        label = port if "." in cursor.prefix and cursor.token is not None else endpoint
        item = _value_item(
            cursor,
            label,
            dump(endpoint),
            "port",
            detail=detail or manifest.type,
            documentation=spec.description,
            sort_text=f"{score}{index:05d}{i:02d}",
        )
        if label != endpoint:
            item = _replace(
                item, filter_text=item.filter_text if item.filter_text != label else endpoint
            )
        items.append(item)
    return items


def _other_end_type(analysis: Analysis, cursor: Cursor, *, output: bool) -> Type | None:
    """The type at the connection's other end, if it names a typed port."""
    container = cursor.container
    if container is None or not isinstance(container.value, dict):
        return None
    other = parse_endpoint(container.value.get("to" if output else "from"))
    if other is None:
        return None
    facts = analysis.facts.get(other.node)
    if facts is None or facts.manifest is None:
        return None
    ports = facts.manifest.inputs if output else facts.manifest.outputs
    port = other.port
    if port is None and len(ports) == 1:
        port = next(iter(ports))
    if port is None or port not in ports:
        return None
    return port_type(ports[port], facts, port, output=not output)


# -- tests ----------------------------------------------------------------------------


def _test_skeleton(analysis: Analysis, cursor: Cursor) -> CompletionItem:
    span, needs_comma, _quoted = _slot(cursor)
    comma = "," if needs_comma else ""
    triggers = _trigger_ids(analysis)
    trigger = f"${{2|{','.join(_choice_escape(t) for t in triggers)}|}}" if triggers else "$2"
    return CompletionItem(
        label="test",
        kind="snippet",
        detail='{"name": …, "trigger": …, "input": …, "expect": …}',
        documentation="A flow test: fire `trigger` with `input` and compare with `expect`.",
        insert_text=f'{{"name": "$1", "trigger": "{trigger}", "input": {{$3}}, "expect": {{$4}}}}$0'
        + comma,
        is_snippet=True,
        edit_span=span,
        sort_text="0",
    )


def _trigger_ids(analysis: Analysis) -> list[str]:
    out = []
    for info in analysis.document.nodes:
        if info.id is None:
            continue
        manifest = manifest_for(analysis, info.type, info.version)
        if manifest is not None and manifest.kind == "trigger":
            out.append(info.id)
    return out


def _test_member(analysis: Analysis, cursor: Cursor) -> list[CompletionItem]:
    if cursor.role == "key":
        existing = _existing_keys(cursor)
        snippets = {
            "name": '"$1"',
            "trigger": '"$1"',
            "input": "{$1}",
            "expect": "{$1}",
            "fixtures": "{$1}",
        }
        return [
            _key_item(cursor, key, snippets[key], documentation=TEST_DOCS[key], sort_text=f"0{i}")
            for i, key in enumerate(TEST_KEYS)
            if key not in existing
        ]
    if cursor.role == "value" and cursor.key == "trigger":
        return [
            _value_item(cursor, nid, dump(nid), "node", detail="trigger")
            for nid in _trigger_ids(analysis)
        ]
    return []


def _fixture_keys(analysis: Analysis, cursor: Cursor) -> list[CompletionItem]:
    existing = _existing_keys(cursor)
    items = []
    for info in analysis.document.nodes:
        if info.id is None or info.id in existing:
            continue
        items.append(_key_item(cursor, info.id, "{$1}", detail=info.type or "node"))
    return items


# -- expressions ----------------------------------------------------------------------


def _expression_items(cursor: Cursor, site: SiteKind) -> list[CompletionItem] | None:
    """Completions inside an expression or a template hole; None outside any hole."""
    token = cursor.token
    assert token is not None
    raw = token.raw
    offsets = string_offsets(raw)
    at = cursor.offset - token.start
    index = decoded_index(offsets, at)
    if 0 < index < len(offsets) and offsets[index] != at:
        return []  # inside an escape sequence (`\n`, `\"`, `\u00e9`): nothing fits there
    source = decode_string(raw)
    index = min(index, len(source))
    local_source, local_index = source, index
    if site.is_template:
        for hole in parse_template(source).holes:
            if hole.offset <= index <= hole.offset + len(hole.source):
                local_source, local_index = hole.source, index - hole.offset
                break
        else:
            return None
    proposals = completions_at(local_source, local_index, site.env)
    start = index
    while start > 0 and _WORD.match(source[start - 1]):
        start -= 1
    end = index
    while end < len(source) and _WORD.match(source[end]):
        end += 1
    last = len(offsets) - 1
    span = Span(token.start + offsets[min(start, last)], token.start + offsets[min(end, last)])
    items = []
    for i, proposal in enumerate(proposals):
        insert = proposal.insert_text if proposal.insert_text is not None else proposal.label
        items.append(
            CompletionItem(
                label=proposal.label,
                kind=proposal.kind,
                detail=proposal.detail,
                documentation=proposal.documentation,
                insert_text=dump(insert)[1:-1],
                is_snippet=proposal.snippet,  # a list macro's `map(${1:x}, ${2:x})`
                edit_span=span,
                sort_text=f"{_KIND_RANK.get(proposal.kind, 5)}{i:04d}",
                filter_text=proposal.label,
            )
        )
    return items


_KIND_RANK = {"field": 0, "port": 0, "node": 0, "variable": 1, "function": 2, "keyword": 3}
