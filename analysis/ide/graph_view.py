"""The graph view of a flow: what a canvas draws, derived from the newest analysis.

The flow file's text is the model (issue 13): a canvas never keeps its own copy of
the flow. It renders this view, which the server rebuilds from each analysis, and
turns gestures into text edits. The view holds, per node, its type, titles, category
and icon hint, its input and output ports with the types the analysis resolved, its
place on the canvas and the diagnostics inside it; per connection, its two ends, the
type of the data it carries and its diagnostics. Everything is in code-point spans
of the document; ``server/convert.py`` turns the view into the protocol's JSON.

Positions come from the optional ``position`` member of each node
(``{"x": number, "y": number}``, see ``docs/flow-format.md``). Nodes without one are
placed by :func:`auto_layout`, a deterministic Sugiyama-style layered layout
(longest-path layers, barycenter ordering), so that old files and hand-written ones
draw readably, and the same text always draws the same way in every host.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.engine import Analysis, NodeFacts
from nodeforge.analysis.flow import Endpoint, FlowDocument
from nodeforge.analysis.ide.docs import port_type
from nodeforge.analysis.ide.facts import manifest_for
from nodeforge.analysis.ide.navigation import _id_span
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import Type, describe

# The box a canvas draws for a node, in canvas units: the automatic layout spaces
# nodes by it, and the canvas (web/graph) draws with the same numbers.
NODE_WIDTH = 220.0
NODE_HEADER = 46.0
PORT_ROW = 22.0
NODE_PADDING = 10.0
LAYER_GAP = 90.0  # between the columns of two layers
ROW_GAP = 40.0  # between two nodes of one layer
COMPONENT_GAP = 80.0  # between two unconnected parts of the flow
BARYCENTER_SWEEPS = 4

SeverityOf = Callable[[str, Severity], Severity | None]


@dataclass(frozen=True, slots=True)
class GraphDiagnostic:
    severity: Severity
    code: str
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class GraphPort:
    """One port; ``type`` is the resolved type in its compact form (``describe``),
    None for a port that only a connection names (unknown to the node's manifest)."""

    name: str
    type: str | None
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node of the view. ``key`` is unique in the view: the node's id, or ``#<index>``
    for a node without an id and for later duplicates of an id (connections and
    expressions resolve an id to its first node)."""

    key: str
    index: int
    id: str | None
    type: str | None
    version: str | None
    label: str  # the node's title, else its id
    type_title: str | None  # the manifest's title
    category: str | None
    icon: str | None  # a codicon name from the manifest
    kind: str | None  # trigger, action or control
    deprecated: bool
    position: Point
    positioned: bool  # True: from the file; False: placed by the automatic layout
    width: float
    height: float
    span: Span  # the node's object in the text
    selection_span: Span  # its id (or the object's start), where a reveal puts the cursor
    inputs: tuple[GraphPort, ...]
    outputs: tuple[GraphPort, ...]
    diagnostics: tuple[GraphDiagnostic, ...]


@dataclass(frozen=True, slots=True)
class GraphEndpoint:
    """One end of a connection: ``node`` is a node key of the view, or None when the
    text names no existing node (then the connection is listed but not drawn)."""

    node: str | None
    port: str | None
    text: str | None  # the endpoint as written


@dataclass(frozen=True, slots=True)
class GraphConnection:
    index: int
    source: GraphEndpoint
    target: GraphEndpoint
    type: str | None  # the data it carries: the source port's resolved type
    span: Span
    diagnostics: tuple[GraphDiagnostic, ...]


@dataclass(frozen=True, slots=True)
class GraphView:
    uri: str
    version: int | None
    flow_id: str | None
    name: str | None
    nodes: tuple[GraphNode, ...]
    connections: tuple[GraphConnection, ...]
    diagnostics: tuple[GraphDiagnostic, ...]  # those on neither a node nor a connection


class GraphMemo:
    """What the last view of one document was built from, for the next one.

    An incremental analysis keeps every untouched node's value object and hands on its
    typed ports (``NodeFacts.output_types`` and ``declared_inputs``) as the very same
    objects, so a view of the next version can reuse, per node, the ports it described
    last time while the node's manifest, value and those two mappings are the same
    objects and the connections name the same extra ports; and the automatic layout
    while the boxes and links are equal. A one-node edit then describes one node's
    ports instead of every node's. One memo per document, used by one thread at a
    time (a server computes one document's features one at a time); entries of nodes
    that are gone are dropped with each view.
    """

    __slots__ = ("_layout", "_ports", "hits")

    def __init__(self) -> None:
        self._ports: dict[str, _PortsEntry] = {}
        self._layout: tuple[list[Box], list[tuple[str, str]], dict[str, Point]] | None = None
        self.hits = 0  # nodes whose ports the last view reused (for tests and benchmarks)


@dataclass(frozen=True, slots=True)
class _PortsEntry:
    manifest: NodeManifest | None
    value: object
    outputs_of: object
    declared: object
    named: tuple[tuple[str, ...], tuple[str, ...]]
    ports: tuple[tuple[GraphPort, ...], tuple[GraphPort, ...]]

    def fits(
        self,
        manifest: NodeManifest | None,
        value: object,
        facts: NodeFacts | None,
        named: tuple[tuple[str, ...], tuple[str, ...]],
    ) -> bool:
        return (
            self.manifest is manifest
            and self.value is value
            and self.outputs_of is (facts.output_types if facts is not None else None)
            and self.declared is (facts.declared_inputs if facts is not None else None)
            and self.named == named
        )


def graph_view(
    analysis: Analysis,
    diagnostics: Iterable[Diagnostic] | None = None,
    severity_of: SeverityOf | None = None,
    memo: GraphMemo | None = None,
) -> GraphView:
    """The view of ``analysis``' document.

    ``diagnostics`` defaults to the analysis' own (a server passes them with build
    problems added); ``severity_of(code, severity)`` gives the severity to show, or
    None to hide one (the user's per-rule settings). ``memo`` (one per document)
    carries what the previous view of the document was built from: the view is the
    same with or without it, only cheaper after a small edit.
    """
    doc = analysis.document
    found = analysis.diagnostics if diagnostics is None else diagnostics
    shown = _shown(found, severity_of)
    show = _Describe()
    old_ports = memo._ports if memo is not None else {}
    new_ports: dict[str, _PortsEntry] = {}
    hits = 0

    keys: list[str] = []
    first_of: dict[str, int] = {}  # node id -> index of its first node
    for info in doc.nodes:
        if info.id is not None and info.id not in first_of:
            first_of[info.id] = info.index
            keys.append(info.id)
        else:
            keys.append(f"#{info.index}")

    manifests = [manifest_for(analysis, info.type, info.version) for info in doc.nodes]
    edges = {edge.index: edge for edges in analysis.graph.successors.values() for edge in edges}

    connections: list[GraphConnection] = []
    named_ports: dict[tuple[int, bool], list[str]] = {}  # ports only connections name
    conn_spans = _element_spans(doc, "connections", len(doc.connections))
    conn_diags = _attribute(shown, conn_spans)
    for conn, span, diags in zip(doc.connections, conn_spans, conn_diags, strict=True):
        edge = edges.get(conn.index)
        if edge is not None:
            source = GraphEndpoint(edge.source, edge.source_port, _text(conn.value.get("from")))
            target = GraphEndpoint(edge.target, edge.target_port, _text(conn.value.get("to")))
        else:
            source = _endpoint(conn.source, conn.value.get("from"), first_of, manifests, True)
            target = _endpoint(conn.target, conn.value.get("to"), first_of, manifests, False)
        for end, output in ((source, True), (target, False)):
            if end.node is not None and end.port is not None:
                named_ports.setdefault((first_of[end.node], output), []).append(end.port)
        carried = None
        if source.node is not None and source.port is not None:
            facts = analysis.facts.get(source.node)
            t = facts.output_types.get(source.port) if facts is not None else None
            carried = show(t) if t is not None else None
        connections.append(GraphConnection(conn.index, source, target, carried, span, diags))

    node_spans = _element_spans(doc, "nodes", len(doc.nodes))
    node_diags = _attribute(shown, node_spans)
    ports: list[tuple[tuple[GraphPort, ...], tuple[GraphPort, ...]]] = []
    boxes: list[Box] = []
    for info, key, manifest in zip(doc.nodes, keys, manifests, strict=True):
        facts = analysis.facts.get(info.id) if info.id is not None else None
        if facts is not None and facts.node.index != info.index:
            facts = None  # a later duplicate: the facts are its first namesake's
        named = (
            tuple(named_ports.get((info.index, False), ())),
            tuple(named_ports.get((info.index, True), ())),
        )
        entry = old_ports.get(key)
        if entry is not None and entry.fits(manifest, info.value, facts, named):
            hits += 1
        else:
            entry = _PortsEntry(
                manifest,
                info.value,
                facts.output_types if facts is not None else None,
                facts.declared_inputs if facts is not None else None,
                named,
                (
                    _ports(manifest, facts, False, named[0], show),
                    _ports(manifest, facts, True, named[1], show),
                ),
            )
        new_ports[key] = entry
        inputs, outputs = entry.ports
        ports.append((inputs, outputs))
        height = node_height(len(inputs), len(outputs))
        boxes.append(Box(key, height, _file_position(info.value.get("position"))))
    ends = [(c.source.node, c.target.node) for c in connections]
    links = [(s, t) for s, t in ends if s is not None and t is not None]
    last = memo._layout if memo is not None else None
    if last is not None and last[0] == boxes and last[1] == links:
        placed = last[2]
    else:
        placed = auto_layout(boxes, links)
    if memo is not None:
        memo._ports = new_ports
        memo._layout = (boxes, links, placed)
        memo.hits = hits

    nodes: list[GraphNode] = []
    for info, box, manifest, (inputs, outputs), span, diags in zip(
        doc.nodes, boxes, manifests, ports, node_spans, node_diags, strict=True
    ):
        raw_title = info.value.get("title")
        title = raw_title if isinstance(raw_title, str) and raw_title.strip() else None
        nodes.append(
            GraphNode(
                key=box.key,
                index=info.index,
                id=info.id,
                type=info.type,
                version=info.version,
                label=title or info.id or f"node {info.index + 1}",
                type_title=manifest.title if manifest is not None else None,
                category=manifest.category if manifest is not None else _category(info.type),
                icon=manifest.icon if manifest is not None else None,
                kind=manifest.kind if manifest is not None else None,
                deprecated=bool(manifest is not None and manifest.deprecated),
                position=box.position if box.position is not None else placed[box.key],
                positioned=box.position is not None,
                width=NODE_WIDTH,
                height=box.height,
                span=span,
                selection_span=_id_span(doc, info, span) if info.id is not None else span,
                inputs=inputs,
                outputs=outputs,
                diagnostics=diags,
            )
        )

    all_spans = sorted([*node_spans, *conn_spans], key=lambda s: (s.start, s.end))
    rest = tuple(d for d in shown if not _inside(d, all_spans))
    root = doc.value
    return GraphView(
        uri=doc.uri,
        version=doc.version,
        flow_id=_text(root.get("id")),
        name=_text(root.get("name")),
        nodes=tuple(nodes),
        connections=tuple(connections),
        diagnostics=rest,
    )


def node_height(inputs: int, outputs: int) -> float:
    return NODE_HEADER + PORT_ROW * max(inputs, outputs, 1) + NODE_PADDING


def _element_spans(doc: FlowDocument, member: str, count: int) -> list[Span]:
    """The spans of the elements of a top-level array (positioned by the parse)."""
    array = doc.root.find((member,)) if doc.root is not None else None
    items = array.items if array is not None else []
    if len(items) == count:
        return [item.span for item in items]
    return [doc.span_of((member, i)) for i in range(count)]


# -- diagnostics --------------------------------------------------------------------------


def _shown(found: Iterable[Diagnostic], severity_of: SeverityOf | None) -> list[GraphDiagnostic]:
    out = []
    for d in found:
        severity = severity_of(d.code, d.severity) if severity_of is not None else d.severity
        if severity is not None:
            out.append(GraphDiagnostic(severity, d.code, d.message, d.span))
    out.sort(key=lambda g: (g.span.start, g.span.end, g.code))
    return out


def _attribute(
    found: Sequence[GraphDiagnostic], spans: Sequence[Span]
) -> list[tuple[GraphDiagnostic, ...]]:
    """Per span (array elements: in order, not overlapping), the diagnostics inside it."""
    per: list[list[GraphDiagnostic]] = [[] for _ in spans]
    starts = [s.start for s in spans]
    for d in found:
        i = bisect.bisect_right(starts, d.span.start) - 1
        if i >= 0 and spans[i].start <= d.span.start and d.span.end <= spans[i].end:
            per[i].append(d)
    return [tuple(p) for p in per]


def _inside(d: GraphDiagnostic, spans: Sequence[Span]) -> bool:
    """Whether ``d`` lies in one of ``spans`` (sorted, not overlapping)."""
    i = bisect.bisect_right(spans, d.span.start, key=lambda s: s.start) - 1
    return i >= 0 and spans[i].start <= d.span.start and d.span.end <= spans[i].end


# -- nodes and ports ----------------------------------------------------------------------


class _Describe:
    """``describe`` with a memo per type object: the analysis hands the same type
    objects down a chain of nodes, so a flow has far fewer types than ports."""

    def __init__(self) -> None:
        self._types: dict[int, Type] = {}
        self._texts: dict[int, str] = {}

    def __call__(self, t: Type) -> str:
        key = id(t)
        if self._types.get(key) is t:
            return self._texts[key]
        text = describe(t)
        self._types[key] = t
        self._texts[key] = text
        return text


def _ports(
    manifest: NodeManifest | None,
    facts: NodeFacts | None,
    output: bool,
    named: Sequence[str],
    show: _Describe,
) -> tuple[GraphPort, ...]:
    specs = (manifest.outputs if output else manifest.inputs) if manifest is not None else {}
    ports = [
        GraphPort(
            name,
            show(port_type(spec, facts, name, output=output, manifest=manifest)),
            spec.required or output,
            spec.description,
        )
        for name, spec in specs.items()
    ]
    # A port the manifest lacks but a connection names (a typo, an unknown node type)
    # is drawn untyped, so the connection and its diagnostic have somewhere to go; a
    # port of the other direction (`from` naming an input) is not invented.
    others = (manifest.inputs if output else manifest.outputs) if manifest is not None else {}
    for name in dict.fromkeys(named):
        if name not in specs and name not in others:
            ports.append(GraphPort(name, None, False, ""))
    return tuple(ports)


def _endpoint(
    parsed: Endpoint | None,
    raw: object,
    first_of: dict[str, int],
    manifests: list[NodeManifest | None],
    output: bool,
) -> GraphEndpoint:
    """An end the analysis could not resolve (unknown port, duplicate connection, ...)."""
    if parsed is None or parsed.node not in first_of:
        return GraphEndpoint(None, parsed.port if parsed is not None else None, _text(raw))
    port = parsed.port
    manifest = manifests[first_of[parsed.node]]
    if port is None and manifest is not None:
        ports = manifest.outputs if output else manifest.inputs
        if len(ports) == 1:
            port = next(iter(ports))
    return GraphEndpoint(parsed.node, port, _text(raw))


def _file_position(value: object) -> Point | None:
    if not isinstance(value, dict):
        return None
    x, y = value.get("x"), value.get("y")
    if not _number(x) or not _number(y):
        return None
    return Point(float(x), float(y))  # type: ignore[arg-type]


def _number(value: object) -> bool:
    """A finite number a float can hold (an integer of 309 digits or more cannot)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _category(type_: str | None) -> str | None:
    if type_ is None or "/" not in type_:
        return None
    return type_.split("/", 1)[0] or None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# -- automatic layout ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Box:
    """A node as the layout sees it; ``position`` is its place in the file, if any."""

    key: str
    height: float
    position: Point | None


def auto_layout(boxes: Sequence[Box], links: Iterable[tuple[str, str]]) -> dict[str, Point]:
    """Positions for the boxes without one, from the ``(source, target)`` links.

    A Sugiyama-style layered layout, deterministic for a given text: each weakly
    connected part of the flow is laid out on its own (parts stacked top to bottom in
    document order); cycles are broken at the edges a depth-first walk from the
    part's sources (in document order) finds going back; every node goes to the layer
    after its furthest predecessor (longest path), so data flows left to right; the
    order inside each layer starts in document order and is improved by a few
    barycenter sweeps (down, then up) to cut crossings. Boxes placed by the file
    keep their place; the others are laid out among themselves, below them.
    """
    free = [b for b in boxes if b.position is None]
    if not free:
        return {}
    free_keys = {b.key for b in free}
    height = {b.key: b.height for b in free}
    order = {b.key: i for i, b in enumerate(free)}
    succ: dict[str, list[str]] = {k: [] for k in free_keys}
    pred: dict[str, list[str]] = {k: [] for k in free_keys}
    for s, t in links:
        if s == t or s not in free_keys or t not in free_keys or t in succ[s]:
            continue
        succ[s].append(t)
        pred[t].append(s)

    fixed = [(b.position, b.height) for b in boxes if b.position is not None]
    top = max((p.y + h for p, h in fixed), default=-COMPONENT_GAP) + COMPONENT_GAP
    left = min((p.x for p, _ in fixed), default=0.0)

    placed: dict[str, Point] = {}
    for part in _components([b.key for b in free], succ, pred):
        layers = _layers(part, succ, order)
        rows = _order_layers(layers, succ, pred, order)
        bottom = top
        for column, keys in enumerate(rows):
            x = left + column * (NODE_WIDTH + LAYER_GAP)
            y = top
            for key in keys:
                placed[key] = Point(x, y)
                y += height[key] + ROW_GAP
            bottom = max(bottom, y - ROW_GAP)
        top = bottom + COMPONENT_GAP
    return placed


def _components(
    keys: list[str], succ: dict[str, list[str]], pred: dict[str, list[str]]
) -> list[list[str]]:
    seen: set[str] = set()
    parts: list[list[str]] = []
    for start in keys:
        if start in seen:
            continue
        seen.add(start)
        part, stack = [], [start]
        while stack:
            key = stack.pop()
            part.append(key)
            for nxt in (*succ[key], *pred[key]):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        parts.append(part)
    return parts


def _layers(part: list[str], succ: dict[str, list[str]], order: dict[str, int]) -> dict[str, int]:
    """Longest-path layering of one part, with the back edges of a DFS left out."""
    members = set(part)
    ranked = sorted(part, key=order.__getitem__)
    indegree = {k: 0 for k in part}
    for k in part:
        for t in succ[k]:
            indegree[t] += 1
    starts = [k for k in ranked if indegree[k] == 0] or ranked[:1]
    # Iterative DFS: an edge to a node still on the walk's stack closes a cycle.
    forward: dict[str, list[str]] = {k: [] for k in part}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    for root in [*starts, *ranked]:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            key, i = stack[-1]
            nexts = succ[key]
            if i == len(nexts):
                state[key] = 2
                stack.pop()
                continue
            stack[-1] = (key, i + 1)
            t = nexts[i]
            if t not in members:
                continue
            seen = state.get(t)
            if seen == 1:
                continue  # a back edge: left out of the layering
            forward[key].append(t)
            if seen is None:
                state[t] = 1
                stack.append((t, 0))
    # Kahn's order over the forward edges, then longest paths.
    indeg = {k: 0 for k in part}
    for k in part:
        for t in forward[k]:
            indeg[t] += 1
    queue = [k for k in ranked if indeg[k] == 0]
    layer = {k: 0 for k in part}
    head = 0
    while head < len(queue):
        key = queue[head]
        head += 1
        for t in forward[key]:
            layer[t] = max(layer[t], layer[key] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                queue.append(t)
    return layer


def _order_layers(
    layer: dict[str, int],
    succ: dict[str, list[str]],
    pred: dict[str, list[str]],
    order: dict[str, int],
) -> list[list[str]]:
    count = max(layer.values()) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for key in sorted(layer, key=order.__getitem__):
        rows[layer[key]].append(key)
    for sweep in range(BARYCENTER_SWEEPS):
        down = sweep % 2 == 0
        for i in range(1, count) if down else range(count - 2, -1, -1):
            ref = {k: p for p, k in enumerate(rows[i - 1] if down else rows[i + 1])}
            near = pred if down else succ
            keys: dict[str, tuple[float, int]] = {}
            for p, key in enumerate(rows[i]):
                places = [ref[k] for k in near[key] if k in ref]
                # A node with no neighbour in the reference layer keeps its place.
                keys[key] = (sum(places) / len(places) if places else float(p), order[key])
            rows[i].sort(key=keys.__getitem__)
    return rows
