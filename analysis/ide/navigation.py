"""Go to definition, find references, rename, symbols and code lenses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.flow import FlowDocument, NodeInfo, parse_endpoint
from nodeforge.analysis.jsontree import JsonNode, parse_json
from nodeforge.analysis.text import LineIndex, Span

from .cursor import locate
from .facts import manifest_for, manifest_of_node
from .mentions import NOT_A_NODE, Mention, mention_at, mentions_of
from .model import Lens, Location, Symbol, TextEdit, WorkspaceSymbol
from .subflows import called_flow, flow_location, is_subflow_node

NODE_ID = re.compile(r"[a-z][a-z0-9_]*")


# -- definition -------------------------------------------------------------------------


def definition(analysis: Analysis, offset: int) -> list[Location]:
    """Where the thing under the cursor is defined.

    A node mention leads to the node's ``"id"``; a node's ``type`` or ``version``
    to its manifest; a config key to its schema in the manifest; the port of a
    connection endpoint to the port in the manifest; a ``flow/subflow`` node's
    ``flow`` to the ``"id"`` of the flow it calls, in that flow's file.
    """
    doc = analysis.document
    manifest_target = _manifest_target(analysis, offset)
    if manifest_target is not None:
        return manifest_target
    found = mention_at(analysis, offset)
    if not isinstance(found, Mention):
        return []
    node = doc.node_by_id(found.node_id)
    if node is None:
        return []
    span = doc.string_span((*node.path, "id"), 0, len(found.node_id))
    return [Location(doc.uri, span, doc.lines)]


def _manifest_target(analysis: Analysis, offset: int) -> list[Location] | None:
    doc = analysis.document
    cursor = locate(doc.root, doc.text, offset)
    path = cursor.path
    if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
        index = path[1]
        if len(path) == 2 and cursor.role == "value" and cursor.key in ("type", "version"):
            manifest = manifest_of_node(analysis, index)
            return _manifest_location(manifest, (cursor.key,)) if manifest else []
        if len(path) == 3 and path[2] == "config" and cursor.role == "key" and cursor.key:
            manifest = manifest_of_node(analysis, index)
            if manifest is None:
                return []
            where = ("config_schema", "properties", cursor.key)
            return _manifest_location(manifest, where, key=True)
        on_flow = len(path) == 3 and path[2] == "config" and cursor.key == "flow"
        if on_flow and cursor.role == "value" and is_subflow_node(analysis, index):
            called = called_flow(analysis, index)  # to the called flow's file
            return flow_location(called) if called is not None else []
    if (
        len(path) == 2
        and path[0] == "connections"
        and cursor.role == "value"
        and cursor.key in ("from", "to")
        and cursor.token is not None
    ):
        dot = "." in cursor.prefix
        endpoint = parse_endpoint(cursor.token.value)
        if not dot or endpoint is None or endpoint.port is None:
            return None  # on the node part: a node mention
        info = doc.node_by_id(endpoint.node)
        if info is None:
            return []
        manifest = manifest_for(analysis, info.type, info.version)
        if manifest is None:
            return []
        direction = "outputs" if cursor.key == "from" else "inputs"
        return _manifest_location(manifest, (direction, endpoint.port), key=True)
    return None


@dataclass(slots=True)
class _ManifestFile:
    mtime_ns: int
    text: str
    root: JsonNode | None
    lines: LineIndex


_MANIFESTS: dict[Path, _ManifestFile] = {}


def _read_manifest(path: Path) -> _ManifestFile | None:
    """The manifest's text and tree; the one read from disk in this package, cached."""
    try:
        mtime = path.stat().st_mtime_ns
        cached = _MANIFESTS.get(path)
        if cached is not None and cached.mtime_ns == mtime:
            return cached
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    entry = _ManifestFile(mtime, text, parse_json(text).root, LineIndex(text))
    if len(_MANIFESTS) > 256:
        _MANIFESTS.clear()
    _MANIFESTS[path] = entry
    return entry


def _manifest_location(
    manifest: NodeManifest, where: tuple[str, ...], *, key: bool = False
) -> list[Location]:
    """The place ``where`` (a JSON path) in the manifest's file; none for in-memory ones."""
    if manifest.path == Path():
        return []
    path = manifest.path.resolve()
    entry = _read_manifest(path)
    if entry is None:
        return []
    span = Span(0, 0)
    node = entry.root.find(where) if entry.root is not None else None
    if node is not None:
        span = node.span
        if key and entry.root is not None:
            parent = entry.root.find(where[:-1])
            member = parent.member(where[-1]) if parent is not None else None
            if member is not None:
                span = member.key_span
    return [Location(path.as_uri(), span, entry.lines)]


# -- references and rename ------------------------------------------------------------------


def references(analysis: Analysis, offset: int, include_declaration: bool) -> list[Location]:
    found = mention_at(analysis, offset)
    if not isinstance(found, Mention):
        return []
    doc = analysis.document
    return [
        Location(doc.uri, m.span, doc.lines)
        for m in mentions_of(analysis, found.node_id)
        if include_declaration or m.kind != "definition"
    ]


def prepare_rename(analysis: Analysis, offset: int) -> Span | str:
    """The span of the node id to rename, or the reason renaming is refused."""
    found = mention_at(analysis, offset)
    if found is None:
        return NOT_A_NODE
    if isinstance(found, str):
        return found
    if analysis.document.node_by_id(found.node_id) is None:
        return f"No node has the id `{found.node_id}`"
    return found.span


def rename(analysis: Analysis, offset: int, new_name: str) -> list[TextEdit] | str:
    """The edits renaming the node id at ``offset``, or the reason it is refused."""
    found = prepare_rename(analysis, offset)
    if isinstance(found, str):
        return found
    mention = mention_at(analysis, offset)
    assert isinstance(mention, Mention)
    old = mention.node_id
    if not NODE_ID.fullmatch(new_name):
        return f"`{new_name}` is not a valid node id: use lowercase letters, digits and `_`, starting with a letter"
    if new_name == old:
        return []
    doc = analysis.document
    if doc.node_by_id(new_name) is not None:
        return f"A node with the id `{new_name}` already exists"
    mentions = mentions_of(analysis, old)
    definitions = [m for m in mentions if m.kind == "definition"]
    if mention.kind == "definition" and len(definitions) > 1 and mention != definitions[0]:
        # A later duplicate: references resolve to the first node, so rename only this one.
        return [TextEdit(mention.span, new_name)]
    return [TextEdit(m.span, new_name) for m in mentions]


# -- symbols ---------------------------------------------------------------------------------


def document_symbols(analysis: Analysis) -> list[Symbol]:
    """Nodes (triggers first), then the connections and the tests as groups."""
    doc = analysis.document
    root = doc.root
    if root is None or root.kind != "object":
        return []
    triggers: list[Symbol] = []
    others: list[Symbol] = []
    for info in doc.nodes:
        manifest = manifest_for(analysis, info.type, info.version)
        is_trigger = manifest is not None and manifest.kind == "trigger"
        span = doc.span_of(info.path)
        selection = _id_span(doc, info, span) if info.id is not None else span
        detail = info.type
        title = info.value.get("title")
        if isinstance(title, str) and title:
            detail = f"{info.type or '?'} · {title}"
        symbol = Symbol(
            info.id or f"(node {info.index})",
            detail,
            "trigger" if is_trigger else "node",
            span,
            selection,
        )
        (triggers if is_trigger else others).append(symbol)
    out = triggers + others
    connections = root.member("connections")
    if connections is not None and connections.value is not None:
        children = []
        for conn in doc.connections:
            span = doc.span_of(conn.path)
            name = f"{conn.value.get('from', '?')} → {conn.value.get('to', '?')}"
            children.append(Symbol(name, None, "connection", span, span))
        group_span = Span(connections.key_span.start, connections.value.end)
        out.append(
            Symbol(
                "connections",
                f"{len(children)}",
                "connection",
                group_span,
                connections.key_span,
                children,
            )
        )
    tests = root.member("tests")
    if tests is not None and tests.value is not None:
        children = []
        for i, item in enumerate(tests.value.items):
            value = item.value if isinstance(item.value, dict) else {}
            test_name: Any = value.get("name")
            trigger: Any = value.get("trigger")
            children.append(
                Symbol(
                    test_name if isinstance(test_name, str) and test_name else f"(test {i})",
                    f"fires {trigger}" if isinstance(trigger, str) else None,
                    "test",
                    item.span,
                    doc.span_of(("tests", i, "name")) if "name" in value else item.span,
                )
            )
        group_span = Span(tests.key_span.start, tests.value.end)
        out.append(
            Symbol("tests", f"{len(children)}", "test", group_span, tests.key_span, children)
        )
    return out


_FIRST_ID = re.compile(r'\{\s*"id"\s*:\s*("(?:[^"\\\n]|\\.)*")')


def _id_span(doc: FlowDocument, info: NodeInfo, node_span: Span) -> Span:
    """The span of a node's ``"id"`` value.

    When ``id`` is the node's first member (the canonical layout) a regular expression
    finds it without expanding the node's members, which keeps an outline of 1,000
    nodes cheap on every edit; otherwise the tree answers.
    """
    m = _FIRST_ID.match(doc.text, node_span.start, node_span.end)
    if m is not None:
        return Span(m.start(1), m.end(1))
    return doc.span_of((*info.path, "id"))


def workspace_symbols(analyses: Iterable[Analysis], query: str) -> list[WorkspaceSymbol]:
    """Flows and nodes across documents whose name fuzzily matches ``query``."""
    scored: list[tuple[int, str, WorkspaceSymbol]] = []
    needle = query.lower()
    for analysis in analyses:
        doc = analysis.document
        flow_id = doc.value.get("id")
        if isinstance(flow_id, str):
            score = _match(needle, flow_id.lower())
            if score is not None:
                name = doc.value.get("name")
                location = Location(doc.uri, doc.span_of(("id",)), doc.lines)
                detail = name if isinstance(name, str) else None
                scored.append((score, flow_id, WorkspaceSymbol(flow_id, detail, "flow", location)))
        for info in doc.nodes:
            if info.id is None:
                continue
            score = _match(needle, info.id.lower())
            if score is None:
                continue
            manifest = manifest_for(analysis, info.type, info.version)
            kind = "trigger" if manifest is not None and manifest.kind == "trigger" else "node"
            id_span = _id_span(doc, info, doc.span_of(info.path))
            location = Location(doc.uri, id_span, doc.lines)
            symbol = WorkspaceSymbol(info.id, info.type, kind, location)
            scored.append((score, info.id, symbol))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [s[2] for s in scored]


def _match(needle: str, name: str) -> int | None:
    """Lower is better: 0 exact, 1 prefix, 2 substring, 3 subsequence; None: no match."""
    if not needle:
        return 3
    if name == needle:
        return 0
    if name.startswith(needle):
        return 1
    if needle in name:
        return 2
    it = iter(name)
    return 3 if all(ch in it for ch in needle) else None


# -- code lenses -----------------------------------------------------------------------------


def code_lenses(analysis: Analysis) -> list[Lens]:
    """ "Build" above the flow, "▶ Run" above each trigger and "Test node" above each node."""
    doc = analysis.document
    root = doc.root
    if root is None or root.kind != "object":
        return []
    first = root.properties[0].key_span if root.properties else root.span
    lenses = [Lens(Span(first.start, first.start), "Build", "nodeforge.build", [doc.uri])]
    for info in doc.nodes:
        if info.id is None:
            continue
        span = doc.span_of(info.path)
        at = Span(span.start, span.start)
        manifest = manifest_for(analysis, info.type, info.version)
        if manifest is not None and manifest.kind == "trigger":
            lenses.append(Lens(at, "▶ Run", "nodeforge.run", [doc.uri, info.id]))
        lenses.append(Lens(at, "Test node", "nodeforge.testNode", [doc.uri, info.id]))
    return lenses
