"""A tolerant view of a flow document: nodes and connections read from the JSON tree.

Nothing here requires the document to be valid: a node without an id or a
connection without ``to`` is still listed, with the missing parts as ``None``, so
that every rule can do its best on half-typed text. Locations are resolved lazily
from JSON paths: only the nodes and connections themselves are positioned up front.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis.jsontree import (
    JsonNode,
    ParsedJson,
    parse_json,
    reparse_json,
    string_offsets,
)
from nodeforge.analysis.text import LineIndex, Span

JsonPath = tuple[str | int, ...]

intern = sys.intern

# The ints 0..n-1, shared: a node's and a connection's index (ints above 256 are an
# object each, 32 bytes: two per item of every open document otherwise). Replaced,
# never extended in place, so that a reader on another thread sees a whole list.
_INDEXES: list[int] = list(range(1024))


def _indexes(count: int) -> list[int]:
    global _INDEXES
    shared = _INDEXES
    if len(shared) < count:
        shared = _INDEXES = list(range(max(count, 2 * len(shared))))
    return shared


@dataclass(slots=True)
class NodeInfo:
    index: int
    id: str | None
    type: str | None
    version: str | None
    config: dict[str, Any]
    value: dict[str, Any]

    @property
    def path(self) -> JsonPath:
        return ("nodes", self.index)


@dataclass(frozen=True, slots=True)
class Endpoint:
    node: str
    port: str | None  # None when the endpoint names only a node


_new_object = object.__new__
# The slots' own setters: an endpoint is made for each end of each connection, and a
# frozen dataclass' ``__init__`` sets its fields through ``object.__setattr__`` (slower).
_set_node = Endpoint.__dict__["node"].__set__
_set_port = Endpoint.__dict__["port"].__set__


def parse_endpoint(text: Any) -> Endpoint | None:
    if not isinstance(text, str) or not text:
        return None
    node, port = _end(text)
    return _make_endpoint(node, port)


def _make_endpoint(node: str, port: str | None) -> Endpoint:
    endpoint = _new_object(Endpoint)
    _set_node(endpoint, node)
    _set_port(endpoint, port)
    return endpoint


def _end(text: str) -> tuple[str, str | None]:
    """The node id and port (None without a dot) of a connection's non-empty end."""
    node, dot, port = text.partition(".")
    # Interned: a node id is named by each connection of the node, a port name by
    # thousands of them; one string each (an open document's memory).
    return intern(node), intern(port) if dot else None


@dataclass(slots=True)
class ConnectionInfo:
    """One connection. Its ends are kept as the node id and port that ``from`` and ``to``
    name (interned strings; the node None where the end is missing or not a string),
    not as two ``Endpoint`` objects: 80 bytes less per connection of an open document.
    ``source`` and ``target`` make the endpoints when asked."""

    index: int
    value: dict[str, Any]
    source_node: str | None = None
    source_port: str | None = None  # None when the end names only a node
    target_node: str | None = None
    target_port: str | None = None

    @property
    def source(self) -> Endpoint | None:
        node = self.source_node
        return None if node is None else _make_endpoint(node, self.source_port)

    @property
    def target(self) -> Endpoint | None:
        node = self.target_node
        return None if node is None else _make_endpoint(node, self.target_port)

    @property
    def path(self) -> JsonPath:
        return ("connections", self.index)


@dataclass(slots=True)
class FlowDocument:
    """One immutable snapshot of a flow file's text, parsed."""

    uri: str
    text: str
    version: int | None
    parsed: ParsedJson
    nodes: list[NodeInfo] = field(default_factory=list)
    lines: LineIndex = field(init=False)
    _connections: list[ConnectionInfo] | None = field(default=None, init=False)
    # The previous snapshot's connections (when it read them): unchanged ones are reused.
    _old_connections: list[ConnectionInfo] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.text)

    @property
    def connections(self) -> list[ConnectionInfo]:
        """The connections, read on first use (an unchanged graph does not need them)."""
        if self._connections is None:
            old, self._old_connections = self._old_connections, None
            self._connections = _read_connections(self.value.get("connections"), old or ())
        return self._connections

    @property
    def root(self) -> JsonNode | None:
        return self.parsed.root

    @property
    def value(self) -> dict[str, Any]:
        root = self.parsed.root
        return root.value if root is not None and isinstance(root.value, dict) else {}

    def node_by_id(self, node_id: str) -> NodeInfo | None:
        for node in self.nodes:
            if node.id == node_id:
                return node
        return None

    # -- locations --------------------------------------------------------------

    def span_of(self, path: JsonPath) -> Span:
        """The span of the value at ``path``, or of its deepest existing ancestor."""
        if self.root is None:
            return Span(0, 0)
        return self.root.deepest(path).span

    def key_span(self, path: JsonPath) -> Span:
        """The span of the key of the member at ``path`` (falls back to the value)."""
        if self.root is None or not path or isinstance(path[-1], int):
            return self.span_of(path)
        parent = self.root.find(path[:-1])
        member = parent.member(path[-1]) if parent is not None else None
        return member.key_span if member is not None else self.span_of(path)

    def string_span(self, path: JsonPath, start: int, end: int) -> Span:
        """The document span of characters ``start..end`` of the decoded string at ``path``."""
        node = self.root.find(path) if self.root is not None else None
        if node is None or node.kind != "string":
            return self.span_of(path)
        offsets = string_offsets(node.raw)
        last = len(offsets) - 1
        s = offsets[max(0, min(start, last))]
        e = offsets[max(0, min(end, last))]
        return Span(node.start + s, node.start + max(e, s))


def load_document(
    text: str, uri: str = "", version: int | None = None, previous: FlowDocument | None = None
) -> FlowDocument:
    """Parse ``text``; with the ``previous`` parse of the same document, reuse it."""
    parsed = reparse_json(previous.parsed, text) if previous is not None else parse_json(text)
    doc = FlowDocument(uri=uri, text=text, version=version, parsed=parsed)
    if previous is not None:
        doc._old_connections = previous._connections or previous._old_connections
    value = doc.value
    raw_nodes = value.get("nodes")
    old_nodes = previous.nodes if previous is not None else []
    if isinstance(raw_nodes, list):
        nodes, kept = doc.nodes, len(old_nodes)
        append = nodes.append
        for index, raw in zip(_indexes(len(raw_nodes)), raw_nodes, strict=False):
            if index < kept and old_nodes[index].value is raw:
                append(old_nodes[index])  # the same object: nothing to re-read
                continue
            if type(raw) is not dict:
                raw = raw if isinstance(raw, dict) else {}
            # Positional, and the strings tested inline: this runs for every node.
            node_id, node_type, node_version, config = (
                raw.get("id"),
                raw.get("type"),
                raw.get("version"),
                raw.get("config"),
            )
            # Interned, in the value too (an equal string: the JSON is the same): a type
            # and a version are one string for every node of that type, and an id is the
            # very string the connections' endpoints and the graph name the node by.
            if type(node_id) is str:
                node_id = raw["id"] = intern(node_id)
            if type(node_type) is str:
                node_type = raw["type"] = intern(node_type)
            if type(node_version) is str:
                node_version = raw["version"] = intern(node_version)
            append(
                NodeInfo(
                    index,
                    node_id if type(node_id) is str else _str(node_id),
                    node_type if type(node_type) is str else _str(node_type),
                    node_version if type(node_version) is str else _str(node_version),
                    config if isinstance(config, dict) else {},
                    raw,
                )
            )
    return doc


def _read_connections(
    raw_connections: Any, old: Sequence[ConnectionInfo] = ()
) -> list[ConnectionInfo]:
    """The connections; one whose value object and index are those of an ``old`` one
    is that one (item-level re-parses keep untouched items' values)."""
    if not isinstance(raw_connections, list):
        return []
    connections: list[ConnectionInfo] = []
    append = connections.append
    kept = len(old)
    # ``_end`` inline, and each connection made with all its fields: this loop runs over
    # every connection of a document read afresh.
    for index, raw in zip(_indexes(len(raw_connections)), raw_connections, strict=False):
        if index < kept and old[index].value is raw:
            append(old[index])
            continue
        if type(raw) is not dict:
            raw = raw if isinstance(raw, dict) else {}
        source, target = raw.get("from"), raw.get("to")
        source_node: str | None
        source_port: str | None
        target_node: str | None
        target_port: str | None
        if type(source) is str and source:
            source_node, dot, source_port = source.partition(".")
            source_node = intern(source_node)
            source_port = intern(source_port) if dot else None
        else:
            source_node = source_port = None
        if type(target) is str and target:
            target_node, dot, target_port = target.partition(".")
            target_node = intern(target_node)
            target_port = intern(target_port) if dot else None
        else:
            target_node = target_port = None
        append(ConnectionInfo(index, raw, source_node, source_port, target_node, target_port))
    return connections


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def decode_source(data: bytes) -> tuple[str, Span | None]:
    """Decode UTF-8 (BOM allowed); invalid bytes become U+FFFD and their span is returned."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        start = len(data[: exc.start].decode("utf-8", errors="replace"))
        return text, Span(start, start + 1)
