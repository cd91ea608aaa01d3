"""The checks behind the rules of :mod:`registry`, in the order the engine runs them.

Each check reads the context, reports diagnostics and may leave facts for the
checks after it (the graph, the typed ports). Messages say what to do, and
``data`` carries what a quick fix needs.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter, is_, itemgetter
from typing import TYPE_CHECKING, Any

from nodeforge.analysis.answers import node_answers
from nodeforge.analysis.catalog import Catalog, NodeManifest, config_strings
from nodeforge.analysis.diagnostics import Related, Severity, Tag
from nodeforge.analysis.engine import (
    MISSING,
    Check,
    CheckContext,
    ExpressionSite,
    NodeFacts,
    check_string,
    fixed_port_type,
    flow_answer_keys,
    passed_input,
    path_without_response,
    resolve_port_schema,
    shared_config_paths,
    union_of,
)
from nodeforge.analysis.expressions import CheckResult, ExprError, TypeEnv, parse, parse_template
from nodeforge.analysis.expressions.macros import MACROS
from nodeforge.analysis.expressions.tree import Call, Ident, Select, children
from nodeforge.analysis.fixtures import all_problems as all_fixture_problems
from nodeforge.analysis.flow import (
    ConnectionInfo,
    Endpoint,
    FlowDocument,
    JsonPath,
    NodeInfo,
)
from nodeforge.analysis.flowshape import flow_valid, nodes_valid
from nodeforge.analysis.graph import Edge, FlowGraph, new_edge
from nodeforge.analysis.loops import (
    COLLECT,
    collect_env,
    collects,
    is_collect_site,
    loop_around,
    runs_for_every_item,
)
from nodeforge.analysis.rules.runtime import check_runtime
from nodeforge.analysis.schemas import lint_schema
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import (
    ANY,
    AnyType,
    Field,
    ObjectType,
    StringType,
    Type,
    UnionType,
    check_assignable,
    describe,
    union,
)

if TYPE_CHECKING:
    from jsonschema import ValidationError as ValidationErrorJS

# -- NF001 syntax ------------------------------------------------------------------


def check_syntax(ctx: CheckContext) -> None:
    for error in ctx.doc.parsed.errors:
        ctx.report("NF001", error.message, error.span)


# -- NF002 file structure ------------------------------------------------------------


def structure_is_valid(value: Any) -> bool:
    """Whether a whole document matches the file format (the models' strict verdict,
    asked only when :mod:`~nodeforge.analysis.flowshape` is not sure). The same models
    generate the published JSON Schema, whose validator then explains what is wrong (a
    test checks that the two agree)."""
    return flow_valid(value)


#: The memo's mark of a node value of valid structure and without problems.
_SOUND = "sound-node"


def _structure_is_valid(ctx: CheckContext, value: dict[str, Any]) -> bool:
    """The fast path: nodes not seen before (remembered per node object), then the rest."""
    nodes = value.get("nodes")
    if not isinstance(nodes, list):
        return structure_is_valid(value)
    # A node marked sound by the nodes check (``check_nodes``) has a valid structure.
    seen = ctx.memo.get_all(_SOUND, nodes)
    fresh = [node for node, valid in zip(nodes, seen, strict=True) if valid is not True]
    if fresh and len(fresh) < len(nodes):
        valid = ctx.memo.get_all("structure", fresh)
        fresh = [node for node, ok in zip(fresh, valid, strict=True) if ok is not True]
    elif fresh:
        # The first analysis, or no node is sound: the structure marks of every node.
        seen = ctx.memo.get_all("structure", nodes)
        fresh = [node for node, valid in zip(nodes, seen, strict=True) if valid is not True]
    if fresh:
        if not nodes_valid(fresh):
            return False
        ctx.memo.mark_all("structure", fresh)
    connections = value.get("connections")
    shell = {**value, "nodes": []}
    if isinstance(connections, list) and ctx.memo.get("structure", connections) is True:
        shell["connections"] = []
    if not structure_is_valid(shell):
        return False
    if isinstance(connections, list):
        ctx.memo.put("structure", connections, None, True)
    return True


def check_structure(ctx: CheckContext) -> None:
    root = ctx.doc.root
    if root is None:
        return
    if root.kind != "object":
        ctx.report("NF002", "A flow file must be a JSON object", root.span)
        return
    if _structure_is_valid(ctx, root.value):
        return
    from jsonschema import Draft202012Validator  # only for invalid files: ~60 ms to import

    from nodeforge.analysis.model import flow_json_schema

    validator = Draft202012Validator(flow_json_schema())
    for error in validator.iter_errors(root.value):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed:
                    hint = _did_you_mean(key, allowed)
                    ctx.report(
                        "NF002",
                        f"Unknown field `{key}`{hint}",
                        ctx.doc.key_span((*path, key)),
                        data={"key": key},
                    )
            continue
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [k for k in error.validator_value if k not in error.instance]
            span = ctx.doc.key_span(path) if path else ctx.doc.span_of(path)
            for key in missing:
                ctx.report("NF002", f"Missing required field `{key}`", span, data={"key": key})
            continue
        where = "/".join(str(p) for p in path) or "document"
        ctx.report("NF002", f"`{where}`: {_schema_message(error)}", ctx.doc.span_of(path))


def _schema_message(error: ValidationErrorJS) -> str:
    if error.validator == "pattern":
        return f"{error.instance!r} does not match `{error.validator_value}`"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__}"
    return error.message


class _NamesByLength:
    """Names bucketed by length: only names of a similar length can pass difflib's
    cutoff, so a did-you-mean among thousands of node ids looks at a few buckets."""

    def __init__(self, names: Iterable[str]) -> None:
        self.buckets: dict[int, list[str]] = {}
        for name in names:
            self.buckets.setdefault(len(name), []).append(name)

    def near(self, word: str) -> list[str]:
        slack = max(2, len(word) // 2)
        return [
            name
            for size in range(max(0, len(word) - slack), len(word) + slack + 1)
            for name in self.buckets.get(size, ())
        ]


def _did_you_mean(word: str, options: set[str] | list[str] | _NamesByLength) -> str:
    if isinstance(options, _NamesByLength):
        near = options.near(word)
    else:
        near = [o for o in options if abs(len(o) - len(word)) <= max(2, len(word) // 2)]
    close = difflib.get_close_matches(word, near, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


# -- NF003-NF006, NF020-NF022 nodes ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Problem:
    """A diagnostic located by JSON path, so that it can be replayed on a later
    snapshot where the same path sits at another offset."""

    code: str
    message: str
    path: JsonPath
    data: dict[str, Any]
    tags: tuple[Tag, ...] = ()
    related: tuple[tuple[JsonPath, str], ...] = ()
    at_key: bool = False  # locate the member's key rather than its value

    def report(self, ctx: CheckContext) -> None:
        doc = ctx.doc
        ctx.report(
            self.code,
            self.message,
            doc.key_span(self.path) if self.at_key else doc.span_of(self.path),
            tags=self.tags,
            related=tuple(Related(doc.span_of(p), m) for p, m in self.related),
            data=self.data,
        )


def check_nodes(ctx: CheckContext) -> None:
    doc = ctx.doc
    first_of: dict[str, NodeInfo] = {}
    nodes = doc.nodes
    # A node's own problems depend on its value alone (and the fixed workspace),
    # and are located by path: an unchanged node replays them at its new place.
    memo = ctx.memo
    known = memo.get_all(_SOUND, [n.value for n in nodes])
    rest = [i for i, hit in enumerate(known) if hit is not True]
    if rest:
        found = memo.get_all(
            "node-problems", [nodes[i].value for i in rest], [nodes[i].index for i in rest]
        )
        for i, hit in zip(rest, found, strict=True):
            known[i] = hit
        missing = [nodes[i] for i, hit in zip(rest, found, strict=True) if hit is MISSING]
        if missing:
            # Most nodes have no problems: a mark, which holds at any index; one mark
            # for that and a valid structure (one memo entry per node of a document).
            valid = memo.get_all("structure", [node.value for node in missing])
            kinds: dict[tuple[str, str], _KindFacts] = {}
            # (manifest alive in kinds: ids unique, members) -> its validation
            validated: dict[tuple[int, tuple[tuple[str, str], ...]], list[Any]] = {}
            sound: list[dict[str, Any]] = []
            for node, ok in zip(missing, valid, strict=True):
                problems = _node_problems(ctx, node, kinds, validated)
                if problems:
                    memo.put("node-problems", node.value, node.index, problems)
                elif ok is True:
                    sound.append(node.value)
                else:
                    memo.put("node-problems", node.value, None, True)
                known[node.index] = problems or True
            memo.mark_all(_SOUND, sound)
            memo.discard_all("structure", sound)  # the sound mark says it too
    for node, problems in zip(nodes, known, strict=True):
        if node.id is not None:
            if node.id in first_of:
                other = first_of[node.id]
                ctx.report(
                    "NF003",
                    f"Duplicate node id `{node.id}`: ids must be unique",
                    doc.span_of((*node.path, "id")),
                    related=(Related(doc.span_of((*other.path, "id")), "first defined here"),),
                )
            else:
                first_of[node.id] = node
        if problems is not True:
            for problem in problems:
                problem.report(ctx)


#: What a node's problems read of its type and version alone (the same for every node of
#: that type and version; found once per check): its manifest, whether its config holds
#: schemas or names a connector, and the problems of the type's version (deprecated, an
#: outdated fork, an upgrade): code, message, the node's field, data, tags.
_KindFacts = tuple[
    NodeManifest, bool, bool, list[tuple[str, str, str, dict[str, Any], tuple[Tag, ...]]]
]


def _node_problems(
    ctx: CheckContext,
    node: NodeInfo,
    kinds: dict[tuple[str, str], _KindFacts] | None = None,
    validated: dict[tuple[int, tuple[tuple[str, str], ...]], list[Any]] | None = None,
) -> list[_Problem]:
    """The node's own problems; ``kinds`` keeps what they read of the node's type and
    version for the other nodes of that type and version, ``validated`` validations of
    configs (see ``_config_problems``)."""
    problems: list[_Problem] = []
    node_type, version = node.type, node.version
    if node_type is None:
        return problems
    if version is not None and kinds is not None:
        kind = kinds.get((node_type, version))
        if kind is None:
            found = _kind_facts(ctx, node_type, version)
            if found is None:
                return _unknown_kind_problems(ctx, node)
            kind = kinds[(node_type, version)] = found
    else:
        kind = _kind_facts(ctx, node_type, version) if version is not None else None
        if kind is None:
            return _unknown_kind_problems(ctx, node)
    manifest, schemas, connectors, of_kind = kind
    problems += _config_problems(ctx, node, manifest, validated)
    if schemas:
        problems += _schema_problems(node, manifest)
    if connectors:
        problems += _connector_problems(ctx, node, manifest)
    for code, message, key, data, tags in of_kind:
        problems.append(_Problem(code, message, (*node.path, key), dict(data), tags=tags))
    return problems


def _kind_facts(ctx: CheckContext, node_type: str, version: str) -> _KindFacts | None:
    """What the problems of a node of this type and version read of them alone; None
    when the catalog does not know that version."""
    catalog = ctx.workspace.catalog
    manifest = catalog.get(node_type, version)
    if manifest is None:
        return None
    of_kind: list[tuple[str, str, str, dict[str, Any], tuple[Tag, ...]]] = []
    latest = catalog.latest_version(node_type) or version  # known: it has this one
    if manifest.deprecated:
        message = f"`{node_type}@{version}` is deprecated: {manifest.deprecated}"
        of_kind.append(("NF022", message, "type", {}, (Tag.DEPRECATED,)))
    fork = ctx.workspace.forks.get((node_type, version))
    if fork is not None:
        base_versions = catalog.versions(fork[0])
        if base_versions and base_versions[-1] != fork[1]:
            message = (
                f"`{node_type}` is a fork of `{fork[0]}@{fork[1]}`; the base is now at "
                f"{base_versions[-1]} (see `nodeforge fork --status`)"
            )
            data = {"base": fork[0], "from": fork[1], "to": base_versions[-1]}
            of_kind.append(("NF025", message, "type", data, ()))
    if latest != version:
        message = f"`{node_type}` {version} can be upgraded to {latest}"
        data = {"type": node_type, "from": version, "to": latest}
        of_kind.append(("NF021", message, "version", data, ()))
    return manifest, bool(schema_config_keys(manifest)), bool(manifest.connectors), of_kind


def _unknown_kind_problems(ctx: CheckContext, node: NodeInfo) -> list[_Problem]:
    """The problems of a node (of a type) without a version, or of a type or version
    the catalog does not know."""
    catalog = ctx.workspace.catalog
    assert node.type is not None
    versions = catalog.versions(node.type)
    if not versions:
        suggestion = catalog.suggest(node.type)
        hint = f"; did you mean `{suggestion}`?" if suggestion else ""
        data = {"suggestion": suggestion} if suggestion else {}
        message = f"Unknown node type `{node.type}`{hint}"
        return [_Problem("NF004", message, (*node.path, "type"), data)]
    if node.version is None:
        return []
    message = (
        f"`{node.type}` has no version `{node.version}`; known versions: {', '.join(versions)}"
    )
    known: dict[str, Any] = {"versions": versions, "latest": versions[-1]}
    return [_Problem("NF005", message, (*node.path, "version"), known)]


def _config_problems(
    ctx: CheckContext,
    node: NodeInfo,
    manifest: Any,
    validated: dict[tuple[int, tuple[tuple[str, str], ...]], list[Any]] | None = None,
) -> list[_Problem]:
    """NF006; ``validated`` keeps the validation of configs of plain strings (``flow/if``
    with its condition, `util/log` with its level and message: many nodes alike) by
    manifest and members, for the other nodes of the same check."""
    raw_config = node.value.get("config")
    if raw_config is not None and not isinstance(raw_config, dict):
        return []  # NF002 already says that config must be an object
    problems = []
    config = node.config
    strings = validated is not None
    if strings:
        for member in config.values():  # a loop, not all(): this runs for every node
            if type(member) is not str:
                strings = False
                break
    if strings:
        assert validated is not None
        # Equal members (strings: no `1 == True`), equal validation (by path).
        key = (id(manifest), tuple(config.items()))
        errors = validated.get(key)
        if errors is None:
            errors = validated[key] = list(manifest.validate_config(config))
    else:
        errors = manifest.validate_config(config)
    for error in errors:
        path = (*node.path, "config", *error.path)
        data: dict[str, Any] = {"validator": error.validator}
        at_key = False
        if error.validator == "additionalProperties" and error.key is not None:
            at_key = True  # the path ends at the unknown key itself
            data["key"] = error.key
            if error.suggestion:
                data["suggestion"] = error.suggestion
        elif error.validator == "required":
            if raw_config is not None:
                at_key = True
            else:
                path = node.path
            if not error.path:
                data["defaults"] = manifest.default_config()
        problems.append(_Problem("NF006", error.message, path, data, at_key=at_key))
    return problems


_SCHEMA_KEYS: dict[int, tuple[Any, tuple[str, ...]]] = {}


def schema_config_keys(manifest: Any) -> tuple[str, ...]:
    """The config keys whose values are JSON Schemas: those a port schema of the
    manifest types from (``{"$config": key}``); cached per manifest."""
    hit = _SCHEMA_KEYS.get(id(manifest))
    if hit is not None and hit[0] is manifest:
        return hit[1]
    keys: list[str] = []
    stack: list[Any] = [p.schema_ for p in (*manifest.inputs.values(), *manifest.outputs.values())]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            key = value.get("$config")
            if isinstance(key, str) and key not in keys:
                keys.append(key)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    _SCHEMA_KEYS[id(manifest)] = (manifest, tuple(sorted(keys)))
    return _SCHEMA_KEYS[id(manifest)][1]


def _schema_problems(node: NodeInfo, manifest: Any) -> list[_Problem]:
    """NF028-NF030: the user's JSON Schemas in the config, keyword by keyword."""
    config = node.value.get("config")
    if not isinstance(config, dict):
        return []
    problems = []
    for key in schema_config_keys(manifest):
        schema = config.get(key)
        if not isinstance(schema, dict | bool):
            continue  # absent, or NF006 reports the wrong type
        for issue in lint_schema(schema):
            path = (*node.path, "config", key, *issue.path)
            problems.append(
                _Problem(issue.code, issue.message, path, {"key": key}, at_key=issue.at_key)
            )
    return problems


def _connector_problems(ctx: CheckContext, node: NodeInfo, manifest: Any) -> list[_Problem]:
    name = node.config.get("connector")
    if not manifest.connectors or not isinstance(name, str):
        return []
    connectors = ctx.workspace.connectors
    path = (*node.path, "config", "connector")
    fitting = sorted(n for n, kind in connectors.items() if kind in manifest.connectors)
    if name not in connectors:
        hint = _did_you_mean(name, fitting)
        if not hint and fitting:
            hint = f"; defined: {', '.join(fitting)}"
        message = (
            f"Unknown connector `{name}`{hint}. "
            f"Add it with `nodeforge connector add {name} --type {manifest.connectors[0]}`"
        )
        return [_Problem("NF020", message, path, {"connectors": fitting})]
    if connectors[name] not in manifest.connectors:
        message = (
            f"Connector `{name}` is of type {connectors[name]}; `{manifest.type}` needs "
            f"{' or '.join(manifest.connectors)}"
        )
        return [_Problem("NF020", message, path, {"connectors": fitting})]
    return []


# -- NF007, NF008, NF023 connections and the graph ---------------------------------------------


def check_connections(ctx: CheckContext) -> None:
    """Resolve every connection to an edge between existing ports; build the graph.

    The result depends only on the connections and on each node's id, type and
    version, so it is reused while those are unchanged (edits inside a config)."""
    doc = ctx.doc
    # One flat tuple (not a tuple per node): it stays in the memo as long as the graph.
    signature = tuple(chain.from_iterable(map(_ID_TYPE_VERSION, doc.nodes)))
    connections = doc.value.get("connections")
    cached = ctx.memo.get("connections", connections, signature)
    if cached is MISSING:
        cached = _resolve_connections(ctx)
        if connections is not None:
            ctx.memo.put("connections", connections, signature, cached)
    else:
        ctx.memo.get("connection-tables", _LAST_FACTS)  # kept for the next change
    problems, ctx.graph, ctx.manifests = cached
    for problem in problems:
        problem.report(ctx)


_ID_TYPE_VERSION = attrgetter("id", "type", "version")
_MISMATCHES = itemgetter(3)  # of an edge's comparison (``_edge_types``)


def _resolve_connections(
    ctx: CheckContext,
) -> tuple[list[_Problem], FlowGraph, dict[str, NodeManifest | None]]:
    """After a change of the ids, types or connections: each connection that resolved
    to an edge before, between nodes of the same types, is that edge again (per
    connection, by its value object), so adding or removing a node or a connection
    costs little per other connection."""
    doc = ctx.doc
    # The previous resolution's tables: its document's nodes (the very list), the ids
    # named by more than one of them, node id -> manifest (of its first node), node
    # id -> kind (of the nodes that have one), the ids bucketed for did-you-mean, the
    # last resolution of the connections (``_Run``). Plain lists and dicts read inline:
    # these loops run over every node and connection after each such change.
    last = ctx.memo.get("connection-tables", _LAST_FACTS)
    old_list, old_twice, old_manifests, old_kinds, old_names, old_run = (
        ([], (), {}, {}, [], None) if last is MISSING else last
    )
    kept = len(old_list)
    catalog = ctx.workspace.catalog
    nodes: dict[str, NodeInfo] = {}
    manifests: dict[str, NodeManifest | None] = {}
    kinds: dict[str, str] = {}
    triggers: list[str] = []
    joins: list[str] = []
    # Ids that are new, or whose manifest or kind changed: what a connection touching
    # them resolves to may differ.
    touched: list[str] = []
    twice: list[str] = []
    # (type, version) -> manifest and kind: found once per type and version of the nodes
    by_kind: dict[tuple[str | None, str | None], tuple[NodeManifest | None, str | None]] = {}
    for index, node in enumerate(doc.nodes):
        nid = node.id
        if nid is None:
            continue
        if nid in nodes:
            twice.append(nid)
            continue
        nodes[nid] = node
        # The same NodeInfo at the same place is the same node; it was the first of its
        # id last time too, unless that id was given twice then.
        if index < kept and old_list[index] is node and nid not in old_twice:
            manifest, kind = old_manifests[nid], old_kinds.get(nid)
        else:
            found = by_kind.get((node.type, node.version))
            if found is None:
                manifest = ctx.manifest(node)
                kind = _kind_of(manifest) if manifest is not None else None
                if manifest is None and node.type:
                    # A trigger with a wrong version is still a trigger: judged by the type.
                    latest = catalog.latest(node.type)
                    kind = "trigger" if latest is not None and latest.kind == "trigger" else None
                found = by_kind[(node.type, node.version)] = (manifest, kind)
            manifest, kind = found
            if (
                nid not in old_manifests
                or old_manifests[nid] is not manifest
                or old_kinds.get(nid) != kind
            ):
                touched.append(nid)
        manifests[nid] = manifest
        if kind is not None:
            kinds[nid] = kind
            if kind == "trigger":
                triggers.append(nid)
            elif kind == "join":
                joins.append(nid)
    # The ids bucketed for did-you-mean: built on the first unknown node only, and
    # taken over while the ids are the same
    names: list[_NamesByLength] = old_names if old_manifests.keys() == nodes.keys() else []

    def names_of() -> _NamesByLength:
        if not names:
            names.append(_NamesByLength(nodes))
        return names[0]

    connections = doc.value.get("connections")
    removed = old_manifests.keys() - nodes.keys() if old_run is not None else set()
    # The very same connections: when none of them names a node added, removed or of
    # another manifest, they resolve to the same edges and problems (but for the
    # did-you-mean of an unknown node, which depends on every id), and the graph is the
    # last one with those nodes added or removed (a palette drop, a deletion).
    if (
        old_run is not None
        and old_run[0] is connections
        and not _names_any(old_run, touched)
        and not _names_any(old_run, removed)
    ):
        added = [nid for nid in touched if nid not in old_manifests]
        replayed: list[_Problem] = old_run[2]
        if old_run[5] and (added or removed):
            replayed = replayed[:]
            by_index = {conn.index: conn for conn in doc.connections}
            for at, index, key in old_run[5]:
                conn = by_index[index]
                end = conn.source if key == "from" else conn.target
                assert end is not None  # it named an unknown node
                replayed[at] = _unknown_node(conn, key, end.node, names_of)
        graph = FlowGraph.with_nodes(
            old_run[4], old_run[3], list(nodes), triggers, joins, added, removed, touched
        )
        reused: _Run = (connections, old_run[1], replayed, old_run[3], graph, old_run[5])
        ctx.memo.put(
            "connection-tables",
            _LAST_FACTS,
            None,
            (doc.nodes, frozenset(twice), manifests, kinds, names, reused),
        )
        return replayed, graph, manifests
    problems: list[_Problem] = []
    edges: list[Edge] = []
    # key of an edge -> the index of the connection that first listed it
    seen: dict[tuple[str, str, str, str], int] = {}
    # The connections that are no edge (but duplicates): (index, source, target node).
    loose: list[tuple[int, str | None, str | None]] = []
    todo = doc.connections
    # Connections appended to the last ones, or the last ones removed (a wire drawn or
    # deleted), the nodes unchanged: the others resolve as before, in the same places.
    base: FlowGraph | None = None  # whose edges are listed before the new connections
    if (
        old_run is not None
        and not touched
        and not removed
        and isinstance(connections, list)
        and isinstance(old_run[0], list)
    ):
        before, count = old_run[0], len(connections)
        if len(before) < count and connections[: len(before)] == before:
            base, todo = old_run[4], todo[len(before) :]
            problems, edges = old_run[2][:], old_run[3][:]
            loose = list(old_run[1])
        elif count < len(before) and before[:count] == connections:
            kept_edges = [e for e in old_run[3] if e.index < count]
            kept_problems = [p for p in old_run[2] if p.path[1] < count]  # ("connections", i)
            gone = old_run[3][len(kept_edges) :]  # in the connections' order: the last ones
            graph = FlowGraph.with_edges(
                old_run[4], list(nodes), kept_edges, triggers, joins, gone, []
            )
            cut: _Run = (
                connections,
                tuple(loose for loose in old_run[1] if loose[0] < count),
                kept_problems,
                kept_edges,
                graph,
                _unknown_nodes(kept_problems),
            )
            ctx.memo.put(
                "connection-tables",
                _LAST_FACTS,
                None,
                (doc.nodes, frozenset(twice), manifests, kinds, names, cut),
            )
            return kept_problems, graph, manifests
    get = manifests.get
    # The last resolution's edges by their connection's value object (alive in its
    # list, so ids are unique), made here rather than kept (one entry per connection
    # of an open document): a connection is the same edge again while neither end is
    # a node added, removed or of another manifest since (``changed``).
    reusable: dict[int, Edge] = {}
    if old_run is not None and base is None and old_run[3]:
        values = old_run[0]
        reusable = {id(values[e.index]): e for e in old_run[3]}
    changed = {*touched, *(old_manifests.keys() - nodes.keys())} if reusable else set()
    for conn in todo:
        # The ends read as strings (no Endpoint made but for a problem): this loop runs
        # over every connection of a document analysed afresh.
        source, source_port = conn.source_node, conn.source_port
        target, target_port = conn.target_node, conn.target_port
        value = conn.value
        edge = reusable.get(id(value)) if reusable else None
        if (
            edge is not None
            and source is not None
            and target is not None
            and (not changed or (source not in changed and target not in changed))
        ):
            key = (edge.source, edge.source_port, edge.target, edge.target_port)
            if edge.index != conn.index:
                edge = new_edge(
                    edge.source, edge.source_port, edge.target, edge.target_port, conn.index
                )
        else:
            # The common case inline (a named port of a known node): no call per end.
            if not (
                source_port is not None
                and (source_manifest := get(source)) is not None  # type: ignore[arg-type]
                and source_port in source_manifest.outputs
            ):
                end = _endpoint(
                    problems, conn, "from", conn.source, nodes, names_of, manifests, output=True
                )
                source, source_port = (end.node, end.port) if end is not None else (None, None)
            if not (
                target_port is not None
                and (target_manifest := get(target)) is not None  # type: ignore[arg-type]
                and target_port in target_manifest.inputs
            ):
                end = _endpoint(
                    problems, conn, "to", conn.target, nodes, names_of, manifests, output=False
                )
                target, target_port = (end.node, end.port) if end is not None else (None, None)
            if source is None or target is None:
                loose.append((conn.index, conn.source_node, conn.target_node))
                continue
            edge = new_edge(source, source_port or "", target, target_port or "", conn.index)
            key = (edge.source, edge.source_port, edge.target, edge.target_port)
        listed = seen.get(key)
        first: JsonPath | None = ("connections", listed) if listed is not None else None
        if first is None and base is not None:
            first = _listed_before(base, key)
        if first is not None:
            problems.append(
                _Problem(
                    "NF023",
                    f"Duplicate connection `{value.get('from')}` -> `{value.get('to')}`",
                    conn.path,
                    {"index": conn.index},
                    tags=(Tag.UNNECESSARY,),
                    related=((first, "first listed here"),),
                )
            )
            continue
        seen[key] = conn.index
        edges.append(edge)
    if base is not None:
        assert old_run is not None  # base is its graph
        new = edges[len(old_run[3]) :]
        graph = FlowGraph.with_edges(base, list(nodes), edges, triggers, joins, [], new)
    else:
        graph = FlowGraph(nodes, edges, triggers, joins)
    run: _Run | None = None
    if connections is not None:
        run = (connections, tuple(loose), problems, edges, graph, _unknown_nodes(problems))
    ctx.memo.put(
        "connection-tables",
        _LAST_FACTS,
        None,
        (doc.nodes, frozenset(twice), manifests, kinds, names, run),
    )
    return problems, graph, manifests


def _names_any(run: _Run, ids: Iterable[str]) -> bool:
    """Whether a connection of ``run`` names one of the node ids ``ids``: an edge of its
    graph touches it (a duplicate connection is its first one's edge), or a connection
    that is no edge names it."""
    graph, loose = run[4], run[1]
    successors, predecessors = graph.successors, graph.predecessors
    named = {name for _index, *ends in loose for name in ends} if loose else ()
    return any(successors.get(n) or predecessors.get(n) or n in named for n in ids)


def _listed_before(graph: FlowGraph, key: tuple[str, str, str, str]) -> JsonPath | None:
    """The path of the connection of ``graph`` that is the edge ``key``, if any."""
    source, source_port, target, target_port = key
    for edge in graph.predecessors.get(target, ()):
        if (
            edge.source == source
            and edge.source_port == source_port
            and edge.target_port == target_port
        ):
            return ("connections", edge.index)
    return None


def _unknown_nodes(problems: list[_Problem]) -> list[tuple[int, Any, Any]]:
    """Where the problems of endpoints naming no node are: (at, connection index, key)."""
    return [
        (at, p.path[1], p.path[2])
        for at, p in enumerate(problems)
        if p.code == "NF007" and p.message.startswith("Unknown node `")
    ]


#: The last resolution of a connections list, for the next change of the nodes alone:
#: the list's value, the connections that are no edge (index, source and target node:
#: with the graph's edges, what node ids the connections name, see ``_names_any``), its
#: problems (and where those of unknown nodes are: at, connection index, key), its
#: edges, the graph.
_Run = tuple[
    Any,
    tuple[tuple[int, str | None, str | None], ...],
    list[_Problem],
    list[Edge],
    FlowGraph,
    list[tuple[int, Any, Any]],
]


_REQUIRED: dict[int, tuple[NodeManifest, tuple[str, ...]]] = {}


def _required_inputs(manifest: NodeManifest) -> tuple[str, ...]:
    """The required input ports of a manifest, in order; cached (manifests never change)."""
    hit = _REQUIRED.get(id(manifest))
    if hit is not None and hit[0] is manifest:
        return hit[1]
    ports = tuple(port for port, spec in manifest.inputs.items() if spec.required)
    if len(_REQUIRED) > 4096:
        _REQUIRED.clear()
    _REQUIRED[id(manifest)] = (manifest, ports)  # keeps the manifest: ids stay unique
    return ports


_KINDS: dict[int, tuple[NodeManifest, str | None]] = {}


def _kind_of(manifest: NodeManifest) -> str | None:
    """``trigger``, ``join`` (waits for several required inputs) or None; cached per
    manifest (manifests never change)."""
    hit = _KINDS.get(id(manifest))
    if hit is not None and hit[0] is manifest:
        return hit[1]
    kind: str | None = None
    if manifest.kind == "trigger":
        kind = "trigger"
    elif sum(1 for p in manifest.inputs.values() if p.required) > 1:
        kind = "join"
    if len(_KINDS) > 4096:
        _KINDS.clear()
    _KINDS[id(manifest)] = (manifest, kind)  # keeps the manifest: ids stay unique
    return kind


def _where(conn: ConnectionInfo, key: str) -> dict[str, Any]:
    return {"index": conn.index, "key": key}


def _unknown_node(
    conn: ConnectionInfo, key: str, name: str, names: Callable[[], _NamesByLength]
) -> _Problem:
    """NF007 for an endpoint naming no node: the one connection problem that depends on
    which other ids exist (its did-you-mean)."""
    hint = _did_you_mean(name, names())
    return _Problem("NF007", f"Unknown node `{name}`{hint}", (*conn.path, key), _where(conn, key))


def _endpoint(
    problems: list[_Problem],
    conn: ConnectionInfo,
    key: str,
    endpoint: Endpoint | None,
    nodes: dict[str, NodeInfo],
    names: Callable[[], _NamesByLength],
    manifests: dict[str, Any],
    *,
    output: bool,
) -> Endpoint | None:
    """The endpoint if it names an existing port of the right direction, else a problem."""
    if endpoint is None:
        return None  # missing or not a string: NF002 reports it
    if endpoint.node not in nodes:
        problems.append(_unknown_node(conn, key, endpoint.node, names))
        return None
    manifest = manifests[endpoint.node]
    if manifest is None:
        return endpoint  # unknown type: NF004 reports it; keep the edge for the graph
    ports = manifest.outputs if output else manifest.inputs
    if endpoint.port in ports:
        return endpoint
    path, data = (*conn.path, key), _where(conn, key)
    other = manifest.inputs if output else manifest.outputs
    direction = "output" if output else "input"
    port_names = ", ".join(ports) or "none"
    if endpoint.port is None:
        if len(ports) == 1:
            return Endpoint(endpoint.node, next(iter(ports)))
        message = (
            f"Name the {direction} port: `{endpoint.node}.<port>` ({direction}s: {port_names})"
        )
        problems.append(_Problem("NF007", message, path, data))
        return None
    if endpoint.port in other:
        message = (
            f"`{endpoint.node}.{endpoint.port}` is an {'input' if output else 'output'} port; "
            f"`{key}` needs an {direction} port ({port_names})"
        )
        problems.append(_Problem("NF008", message, path, data))
        return None
    hint = _did_you_mean(endpoint.port, list(ports))
    message = f"`{manifest.type}` has no {direction} port `{endpoint.port}`{hint} ({direction}s: {port_names})"
    problems.append(_Problem("NF007", message, path, data))
    return None


# -- NF011-NF013, NF016 graph shape ----------------------------------------------------------


def check_graph(ctx: CheckContext) -> None:
    doc, graph = ctx.doc, ctx.graph
    if doc.root is not None and doc.root.kind == "object" and not graph.triggers:
        span = doc.key_span(("nodes",)) if "nodes" in doc.value else doc.span_of(())
        ctx.report(
            "NF013",
            "The flow has no trigger: add `http/trigger`, `trigger/schedule` or `trigger/manual`",
            span if span.end - span.start < 200 else Span(span.start, span.start + 1),
        )
    problems = ctx.memo.get("graph-problems", graph)
    if problems is MISSING:
        nodes = {n.id: n for n in reversed(doc.nodes) if n.id is not None}
        problems = _graph_problems(ctx, nodes)
        ctx.memo.put("graph-problems", graph, None, problems)
    else:
        ctx.memo.get("graph-facts", _LAST_FACTS)  # kept for the next change
    for problem in problems:
        problem.report(ctx)


def _graph_problems(ctx: CheckContext, nodes: dict[str, NodeInfo]) -> list[_Problem]:
    """Cycles, unreachable nodes and open inputs: facts of the graph alone, so they are
    computed once per graph and replayed while no id, type or connection changes. For a
    graph derived from the last one (``FlowGraph.with_nodes``: nodes added or removed
    that no connection names; ``with_edges``: connections appended or the last ones
    removed), the last one's open inputs (and with isolated nodes changed only, its
    unreachable nodes) are taken over but for the nodes touched or removed."""
    graph = ctx.graph
    problems: list[_Problem] = []
    loops = {nid for nid, node in nodes.items() if node.type == "flow/foreach"}
    for cycle in graph.cycles():
        if loops.intersection(cycle):
            continue
        problems.append(
            _Problem(
                "NF011",
                f"Cycle without a loop node: {' -> '.join([*cycle, cycle[0]])}",
                (*nodes[cycle[0]].path, "id"),
                {},
                related=tuple(
                    ((*nodes[n].path, "id"), f"`{n}` is on the cycle") for n in cycle[1:]
                ),
            )
        )
    last = ctx.memo.get("graph-facts", _LAST_FACTS)
    derived = graph.derived
    base = derived[0]() if derived is not None else None
    unreachable: list[str] | None
    open_inputs: dict[str, list[str]]
    if (
        base is not None
        and last is not MISSING
        and last[0] is base
        and not problems  # no cycle: the graph is acyclic
        and (last[1] is None) == (not graph.triggers)
    ):
        assert derived is not None
        touched, removed, isolated = derived[1], derived[2], derived[3]
        unreachable = None
        if graph.triggers:
            reachable = graph.reachable()
            if isolated:  # only the nodes touched can have been reached or not anew
                unreachable = [n for n in last[1] if n not in removed and n not in touched]
                unreachable += [n for n in touched if n not in reachable]
            else:
                unreachable = [nid for nid in graph.nodes if nid not in reachable]
        open_inputs = dict(last[2])
        for nid in (*removed, *touched):
            open_inputs.pop(nid, None)
        for nid in touched:
            _open_inputs(open_inputs, nid, graph.predecessors[nid], ctx.manifests[nid])
    else:
        unreachable = None
        if graph.triggers:
            reachable = graph.reachable()
            unreachable = [nid for nid in graph.nodes if nid not in reachable]
        open_inputs = {}
        manifests = ctx.manifests
        for nid, predecessors in graph.predecessors.items():
            _open_inputs(open_inputs, nid, predecessors, manifests[nid])
    ctx.memo.put("graph-facts", _LAST_FACTS, None, (graph, unreachable, open_inputs))
    for nid in unreachable or ():
        problems.append(
            _Problem(
                "NF012",
                f"Node `{nid}` is not reachable from any trigger",
                (*nodes[nid].path, "id"),
                {},
                tags=(Tag.UNNECESSARY,),
            )
        )
    for nid, ports in open_inputs.items():
        for port in ports:
            problems.append(
                _Problem(
                    "NF016",
                    f"Input `{nid}.{port}` is not connected: connect an output to it",
                    (*nodes[nid].path, "id"),
                    {"node": nid, "port": port},
                )
            )
    return problems


def _open_inputs(
    found: dict[str, list[str]],
    nid: str,
    predecessors: Sequence[Edge],
    manifest: NodeManifest | None,
) -> None:
    """The node's required input ports that no edge reaches, into ``found`` (if any)."""
    required = _required_inputs(manifest) if manifest is not None else ()
    if not required:
        return
    if len(required) == 1 and predecessors and predecessors[0].target_port == required[0]:
        return  # the common case: its one required input is connected
    connected = {e.target_port for e in predecessors}
    ports = [port for port in required if port not in connected]
    if ports:
        found[nid] = ports


# -- NF009, NF010, NF017-NF019 types and expressions ---------------------------------------------


def check_types(ctx: CheckContext) -> None:
    """Propagate port types in topological order and type-check every expression."""
    doc, graph = ctx.doc, ctx.graph
    nodes = {n.id: n for n in reversed(doc.nodes) if n.id is not None}
    known = frozenset(nodes)
    # The facts of the previous analysis: a node whose NodeInfo (hence value object) is
    # unchanged and whose reads (the outputs of its inputs' sources and of the nodes it
    # names) are the same objects is the same node; its facts are shared. After a
    # change of the graph (a node or a connection added or removed), also the edges
    # into it must be the same, and the ids that exist, unless its expressions name no
    # node: so only the nodes downstream of the change are typed again.
    last = ctx.memo.get("facts-last", _LAST_FACTS, None)
    previous: dict[str, NodeFacts]
    if last is MISSING:
        previous, old_graph, old_known = {}, graph, known
    else:
        old_graph, previous, old_known = last
    same_graph = old_graph is graph
    same_known = same_graph or old_known == known
    # Every node starts untyped (any on each output port), as in a fresh analysis: a
    # node typed later in the order (on a cycle, or named by an expression before it
    # runs) is seen so by the nodes before it, whatever the previous analysis found.
    outputs: dict[str, dict[str, Type]] = {}
    manifests = ctx.manifests  # the connections check's, unless it failed
    if manifests.keys() != nodes.keys():
        manifests = {nid: ctx.manifest(node) for nid, node in nodes.items()}
    # Per manifest (alive here: ids unique): its untyped outputs, whether it may collect.
    untyped: dict[int, tuple[dict[str, Type], bool]] = {}
    # Loops with `collect` (flow/foreach 1.1.0): typed once in order (their `item`), and
    # again once their body is (`collect` reads it; `done` is its type): `order` holds a
    # mark for that, before the nodes after `done`.
    loops: list[str] = []
    for nid, node in nodes.items():
        manifest = manifests[nid]
        hit = untyped.get(id(manifest))
        if hit is None:
            may_collect = manifest is not None and _ports(manifest).collects
            hit = untyped[id(manifest)] = (_any_ports(manifest), may_collect)
        outputs[nid] = hit[0]
        if hit[1] and collects(manifest, node.config):
            loops.append(nid)
    collecting = frozenset(loops)
    facts: dict[str, NodeFacts] = {}
    ctx.facts, ctx.outputs, ctx.known_nodes = facts, outputs, known
    # Nodes receiving the same input type see the same environment (one object), and
    # an expression that does not read `nodes` has one result per source and
    # environment: both are shared within this analysis (results are never mutated).
    envs: dict[int, TypeEnv] = {}

    def env_for(input_type: Type) -> TypeEnv:
        env = envs.get(id(input_type))
        if env is None or env.input is not input_type:
            env = envs[id(input_type)] = TypeEnv(
                input=input_type,
                nodes=outputs,
                visible_nodes=None,
                env_names=None,
                known_nodes=known,
            )
        return env

    checked: _Checked = {}
    projected: _Projected = {}
    # Port -> type mappings made in this analysis, by their ports and the ids of their
    # types (which they keep alive): nodes receiving or producing the very same types
    # share one dict (never mutated), instead of one per node.
    ports_of: dict[tuple[Any, ...], dict[str, Type]] = {}
    askers = _flow_askers(ctx, nodes)
    ports_by_manifest: dict[int, _Ports] = {}
    share_path = shared_config_paths()  # one table for the whole pass
    output_of, previous_of = outputs.get, previous.get
    all_predecessors, old_predecessors = graph.predecessors, old_graph.predecessors
    order = _order_with_collects(graph, collecting) if collecting else graph.topological_order()
    retyped: list[str] = []  # the nodes with new facts (not the previous analysis')
    for nid in order:
        if collecting and nid.startswith(_AGAIN):
            _type_loop_again(ctx, nid[len(_AGAIN) :], env_for, checked, known, outputs)
            continue
        node = nodes[nid]
        before = previous_of(nid)
        predecessors = all_predecessors[nid]
        if (
            before is not None
            and before.node is node
            and (
                output_of(read) is before.read_types  # the one node read (most nodes)
                if type(read := before.read_nodes) is str
                else all(map(is_, map(output_of, read), before.read_types))  # type: ignore[arg-type]
            )
            and (not askers or nid not in askers)  # the called flow's answer may differ
            and (
                same_graph
                or (
                    (
                        predecessors == (old := old_predecessors.get(nid))  # the same Edges
                        or _same_edges(predecessors, old)
                    )
                    and (same_known or not before.names_nodes)
                )
            )
        ):
            # The same node reading the same types: its facts, shared as they are
            # (they hold no environment: ``Analysis.env_of`` binds one per analysis).
            facts[nid] = before
            outputs[nid] = before.output_types
            if not before.quiet and nid not in collecting:
                _report_expressions(ctx, before, known)
            continue
        manifest = manifests[nid]
        retyped.append(nid)
        if manifest is None:
            fact = facts[nid] = NodeFacts(node, manifest)
            outputs[nid] = fact.output_types  # none; the object a reuse hands on too
            continue
        ports = ports_by_manifest.get(id(manifest))  # alive in ``manifests``: ids unique
        if ports is None:
            ports = ports_by_manifest[id(manifest)] = _ports(manifest)
        port = ports.only_input
        input_types: dict[str, Type]
        if port is not None:  # most nodes: what arrives at their one port is their input
            if len(predecessors) == 1 and (edge := predecessors[0]).target_port == port:
                input_type = output_of(edge.source, _NO_PORTS).get(edge.source_port, ANY)
                if isinstance(input_type, _UNION_OR_STRING):  # else union's own
                    input_type = union(input_type)
            else:
                input_type = union_of(
                    [
                        output_of(edge.source, _NO_PORTS).get(edge.source_port, ANY)
                        for edge in predecessors
                        if edge.target_port == port
                    ]
                )
            key = (port, id(input_type))
            input_types = ports_of.get(key)  # type: ignore[assignment]
            if input_types is None:
                input_types = ports_of[key] = {port: input_type}
        else:
            arriving: dict[str, list[Type]] = {}
            for edge in predecessors:
                source_type = output_of(edge.source, _NO_PORTS).get(edge.source_port, ANY)
                arriving.setdefault(edge.target_port, []).append(source_type)
            input_types = {port: union_of(arriving.get(port, [])) for port in manifest.inputs}
            input_type = ObjectType(tuple(_field(p, t) for p, t in input_types.items()), None)
        # Made with every field it keeps but those set just below (the typing's or the
        # previous facts'): no empty dicts made to be replaced.
        fact = facts[nid] = NodeFacts(
            node, manifest, input_types, _NO_PORTS, _NO_PORTS, (), input_type
        )
        # A node whose value object and incoming types are unchanged keeps its types,
        # unless its expressions read other nodes (whose types may have changed): those
        # of its previous facts (moved, or its edges changed), or for a node asking a
        # flow's answer, of the memo (with the answers). Not a loop that may collect: its
        # previous facts are those of its second typing.
        cached: Any = MISSING
        inputs_key: Any = None
        if nid in askers:
            answers = node_answers(ctx, node, manifest)
            inputs_key = (manifest, tuple(fact.input_types.values()), answers)
            cached = ctx.memo.get("facts", fact.node.value, inputs_key)
        else:
            answers = _NO_ANSWERS
            if (
                before is not None
                and before.node.value is node.value
                and before.manifest is manifest
                and not before.names_nodes
                and before.input_types == fact.input_types
                and not ports.collects
            ):
                cached = (before.expressions, before.declared_inputs, before.output_types)
        if cached is not MISSING:
            fact.expressions, fact.declared_inputs, fact.output_types = cached
            if fact.expressions and fact.expressions[0].index != node.index:
                fact.expressions = _moved(fact.expressions, node.index)  # the path differs
            _note_sites(fact, predecessors, outputs)
        else:
            env = envs.get(id(input_type))
            if env is None or env.input is not input_type:
                env = env_for(input_type)
            plain = _type_node(
                fact, manifest, env, checked, answers, ports_of, projected, ports, share_path
            )
            if ports.passes is None:  # else the table's mapping already
                fact.output_types = _shared_ports(ports_of, fact.output_types)
            if plain and len(predecessors) == 1:
                # What ``_note_sites`` finds of such a node: quiet (as made), naming no
                # node, reading the one source of its one edge.
                fact.read_nodes = read = predecessors[0].source
                fact.read_types = output_of(read)
            else:
                _note_sites(fact, predecessors, outputs)
            if inputs_key is not None and not fact.names_nodes:
                ctx.memo.put(
                    "facts",
                    fact.node.value,
                    inputs_key,
                    (fact.expressions, fact.declared_inputs, fact.output_types),
                )
        if not fact.quiet and nid not in collecting:  # a collecting loop: on its 2nd typing
            _report_expressions(ctx, fact, known)
        if before is not None and before.output_types == fact.output_types:
            fact.output_types = before.output_types  # equal: keep identity for downstream
        outputs[nid] = fact.output_types
    ctx.memo.put("facts-last", _LAST_FACTS, None, (graph, facts, known))
    _check_connection_types(ctx, outputs, previous, [*retyped, *collecting])


#: The key of the previous analysis' facts in the memo (one entry per document).
_LAST_FACTS = object()

#: The prefix of a mark in the types check's order: type that loop again (its `collect`).
_AGAIN = "\x00again:"


def _order_with_collects(graph: FlowGraph, loops: frozenset[str]) -> list[str]:
    """Kahn's order of the graph where each loop of ``loops`` also has a mark (``_AGAIN``
    + its id) after every node of its body and before the targets of its ``done``; nodes
    left on cycles follow in document order, marks last."""
    successors: dict[str, list[str]] = {n: [] for n in graph.nodes}
    indegree = dict.fromkeys(graph.nodes, 0)
    for nid in graph.nodes:
        for e in graph.successors[nid]:
            source = _AGAIN + nid if nid in loops and e.source_port == "done" else nid
            successors.setdefault(source, []).append(e.target)
            indegree[e.target] += 1
    for loop in loops:
        mark = _AGAIN + loop
        starts = [e.target for e in graph.successors[loop] if e.source_port == "item"]
        inside = graph.reachable_from(starts, blocked=loop) if starts else set()
        for member in [loop, *inside]:
            successors[member].append(mark)
        indegree[mark] = 1 + len(inside)
        successors.setdefault(mark, [])
    ready = deque(n for n in graph.nodes if indegree[n] == 0)
    order: list[str] = []
    placed: set[str] = set()
    while ready:
        n = ready.popleft()
        order.append(n)
        placed.add(n)
        for t in successors[n]:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    order.extend(n for n in graph.nodes if n not in placed)
    order.extend(_AGAIN + loop for loop in sorted(loops) if _AGAIN + loop not in placed)
    return order


def _type_loop_again(
    ctx: CheckContext,
    loop: str,
    env_for: Callable[[Type], TypeEnv],
    checked: _Checked,
    known: frozenset[str],
    outputs: dict[str, dict[str, Type]],
) -> None:
    """Type a collecting loop again, its body typed: its `collect` sees the body nodes'
    types, and `done` carries the list of them. New facts: the first may be shared."""
    first = ctx.facts.get(loop)
    if first is None or first.manifest is None or first.input is None:
        return
    fact = NodeFacts(first.node, first.manifest, dict(first.input_types), input=first.input)
    _type_node(fact, first.manifest, env_for(first.input), checked, _NO_ANSWERS)
    _note_sites(fact, ctx.graph.predecessors[loop], outputs)
    if not fact.quiet:
        _report_expressions(ctx, fact, known)
    if fact.output_types == first.output_types:
        fact.output_types = first.output_types
    ctx.facts[loop] = fact
    outputs[loop] = fact.output_types


def _same_edges(new: Sequence[Edge], old: Sequence[Edge] | None) -> bool:
    """The same edges into a node (the connections' indexes aside)."""
    if old is None or len(new) != len(old):
        return False
    if new == old:  # mostly the very same Edge objects: compared by identity in C
        return True
    return all(
        a.source == b.source and a.source_port == b.source_port and a.target_port == b.target_port
        for a, b in zip(new, old, strict=True)
    )


_ANY_PORTS: dict[int, tuple[Any, dict[str, Type]]] = {}


def _any_ports(manifest: Any) -> dict[str, Type]:
    """``{port: ANY}`` for a manifest's outputs: the type of a node not typed yet.
    Shared per manifest; never mutated (entries of ``outputs`` are replaced)."""
    if manifest is None:
        return {}
    hit = _ANY_PORTS.get(id(manifest))
    if hit is None or hit[0] is not manifest:
        hit = _ANY_PORTS[id(manifest)] = (manifest, {p: ANY for p in manifest.outputs})
    return hit[1]


def _note_sites(
    fact: NodeFacts, edges: Sequence[Edge], outputs: dict[str, dict[str, Type]]
) -> None:
    """What a node just typed leaves for the next analysis, in one pass over its sites:
    ``quiet`` (no expression errors, no node references to re-check), ``names_nodes``
    and ``read``: its inputs' sources and the nodes its expressions name
    (``nodes.<id>``), with the objects found in ``outputs``."""
    quiet, names_nodes = True, False
    named: list[str] = []
    for site in fact.expressions:
        if "nodes" in site.source:
            names_nodes = True
        result = site.result
        if result is None:
            quiet = False
            continue
        if site.syntax_errors or result.errors:
            quiet = False
        if result.references:
            quiet = False
            named += [ref.node_id for ref in result.references]
    fact.quiet, fact.names_nodes = quiet, names_nodes
    if not named and len(edges) == 1:  # most nodes: the node and its types alone, no tuples
        fact.read_nodes = read = edges[0].source
        fact.read_types = outputs.get(read)
        return
    names = {edge.source: None for edge in edges}
    names.update(dict.fromkeys(named))
    if len(names) == 1:
        fact.read_nodes = read = next(iter(names))
        fact.read_types = outputs.get(read)
    else:
        fact.read_nodes = tuple(names)
        fact.read_types = tuple(map(outputs.get, fact.read_nodes))


def _moved(sites: tuple[ExpressionSite, ...], index: int) -> tuple[ExpressionSite, ...]:
    """The sites of a node moved to ``index`` (same value: the same checks)."""
    return tuple(
        ExpressionSite(
            s.node_id, index, s.config_path, s.source, s.is_template, s.result, s.syntax_errors
        )
        for s in sites
    )


def _shared_ports(
    table: dict[tuple[Any, ...], dict[str, Type]], ports: dict[str, Type]
) -> dict[str, Type]:
    """``ports``, or the equal mapping of the same port names to the very same type
    objects already in ``table`` (see ``check_types``)."""
    key = (*ports, *map(id, ports.values()))
    return table.setdefault(key, ports)


_NO_PORTS: dict[str, Type] = {}
_UNION_OR_STRING = (UnionType, StringType)
# (source, is template, id of the environment) -> the environment (which keeps that id
# unique) and the check of the source in it
# and the check of the source in it, and whether that has errors or node references
_Checked = dict[tuple[str, bool, int], tuple[TypeEnv, CheckResult, Sequence[ExprError], bool]]


# (source, is template, the ids of the types of the input fields it reads) -> those types
# (which keep the ids unique) and the check of the source (``_check_projected``)
_Projected = dict[tuple[Any, ...], tuple[list[Type], CheckResult, Sequence[ExprError]]]


def _check_projected(
    source: str, is_template: bool, env: TypeEnv, projected: _Projected | None
) -> tuple[CheckResult, Sequence[ExprError]]:
    """``check_string(source, is_template, env)``, shared between environments whose
    input has the very same types at the fields the source reads (``input.<field>``,
    :func:`_input_fields`): nodes along a chain (each adding a field to its input) see
    different input types, and check ``input.total > 100`` alike. The checker reads the
    environment only through ``input`` (the type of each field read: ``ObjectType.field``,
    found there), ``nodes`` (a source naming it is never shared) and ``env`` (no names
    in the types check: every environment alike), so the checks are the same; their
    offsets are the source's own, not the document's. An input not an object, or
    without one of the fields (its message names the others): the check of its own."""
    names = _input_fields(source, is_template) if projected is not None else None
    input_type = env.input
    if names is None or type(input_type) is not ObjectType or env.vars or env.env_names is not None:
        return check_string(source, is_template, env)
    types: list[Type] = []
    for name in names:
        found = input_type.field(name)
        if found is None:
            return check_string(source, is_template, env)
        types.append(found.type)
    key = (source, is_template, *map(id, types))
    hit = projected.get(key)  # type: ignore[union-attr]
    if hit is not None and all(map(is_, hit[0], types)):
        return hit[1], hit[2]
    result, syntax = check_string(source, is_template, env)
    projected[key] = (types, result, syntax)  # type: ignore[index]
    return result, syntax


# (source, is template) -> the input fields it reads, or None (see ``_input_fields``);
# as many as the parser's cache holds (``parse``): a flow whose expressions all differ
# reads each one's fields once, not again on every analysis.
_INPUT_FIELDS: dict[tuple[str, bool], tuple[str, ...] | None] = {}
_INPUT_FIELDS_SIZE = 16384
_UNSEEN = object()


def _input_fields(source: str, is_template: bool) -> tuple[str, ...] | None:
    """The fields ``f`` of every ``input.f`` in the source (or in the template's holes),
    once each in order of appearance, when each ``input`` is selected so and the source
    calls no list macro (whose variables may shadow ``input``); else None."""
    key = (source, is_template)
    hit = _INPUT_FIELDS.get(key, _UNSEEN)
    if hit is not _UNSEEN:
        return hit  # type: ignore[return-value]
    if is_template:
        trees = [hole.result.expr for hole in parse_template(source).holes]
    else:
        trees = [parse(source).expr]
    names: dict[str, None] | None = {}
    for tree in trees:
        if tree is not None and names is not None:
            names = _fields_of_input(tree, names)
    found = tuple(names) if names is not None else None
    if len(_INPUT_FIELDS) > _INPUT_FIELDS_SIZE:
        _INPUT_FIELDS.clear()
    _INPUT_FIELDS[key] = found
    return found


def _fields_of_input(tree: Any, names: dict[str, None]) -> dict[str, None] | None:
    """``names`` plus the fields of each ``input.f`` of ``tree`` (in the order of a
    pre-order walk, as ``walk`` lists the nodes), or None when ``input`` stands alone
    or a list macro is called."""
    stack = [tree]
    pop, push = stack.pop, stack.extend
    while stack:
        e = pop()
        kind = type(e)
        if kind is Select:
            operand = e.operand
            if type(operand) is Ident:  # its one child: `input`, selected, or another name
                if operand.name == "input":
                    names[e.field] = None
                continue
            stack.append(operand)
        elif kind is Ident:
            if e.name == "input":
                return None
        elif kind is Call and e.fn in MACROS:
            return None
        else:
            push(reversed(children(e)))
    return names


def _flow_askers(ctx: CheckContext, nodes: dict[str, NodeInfo]) -> frozenset[str]:
    """Nodes whose port types depend on other flows (``$flowAnswer``: flow/subflow);
    per graph (ids, types, versions), and empty without any: no flow index then."""
    askers: frozenset[str] = ctx.memo.get("flow-askers", ctx.graph)
    if askers is MISSING:
        asking = _asking_types(ctx.workspace.catalog)
        askers = frozenset(
            nid
            for nid, node in nodes.items()
            if node.type in asking and (m := ctx.manifest(node)) is not None and flow_answer_keys(m)
        )
        ctx.memo.put("flow-askers", ctx.graph, None, askers)
    return askers


_ASKING_TYPES: dict[int, tuple[Catalog, frozenset[str]]] = {}


def _asking_types(catalog: Catalog) -> frozenset[str]:
    """Node types with a version whose ports use ``$flowAnswer``; per catalog."""
    hit = _ASKING_TYPES.get(id(catalog))
    if hit is None or hit[0] is not catalog:
        found = frozenset(
            t
            for t in catalog.types()
            if any((m := catalog.get(t, v)) and flow_answer_keys(m) for v in catalog.versions(t))
        )
        if len(_ASKING_TYPES) > 64:
            _ASKING_TYPES.clear()
        hit = _ASKING_TYPES[id(catalog)] = (catalog, found)  # keeps the catalog: ids unique
    return hit[1]


_NO_ANSWERS: dict[str, Type] = {}


def _type_node(
    fact: NodeFacts,
    manifest: Any,
    env: TypeEnv,
    checked: _Checked,
    answers: dict[str, Type],
    ports_of: dict[tuple[Any, ...], dict[str, Type]] | None = None,
    projected: _Projected | None = None,
    ports: _Ports | None = None,
    share_path: Callable[[tuple[str | int, ...], tuple[str | int, ...]], tuple[str | int, ...]]
    | None = None,
) -> bool:
    """Check the node's expressions in ``env`` and resolve its port types; with
    ``ports_of``, the output types are the table's mapping (see ``_shared_ports``), with
    ``projected``, checks are shared by the input fields they read (``_check_projected``).
    True when no expression has errors or node references or names ``nodes`` (the node
    is ``quiet`` and reads only its inputs' sources: see ``_note_sites``). ``ports``:
    ``_ports(manifest)``, when the caller has it; ``share_path``: ``shared_config_paths()``,
    when the caller has it."""
    if ports is None:
        ports = _ports(manifest)
    # The node's expression sites (``collect_expression_sites``), each made with its check.
    node = fact.node
    node_id, index, collecting = node.id or "", node.index, ports.collects
    if share_path is None:
        share_path = shared_config_paths()
    sites: list[ExpressionSite] = []
    types_by_path: dict[tuple[str | int, ...], Type] = {}
    late: list[ExpressionSite] = []
    plain = True
    for config_path, source, is_template in config_strings(manifest, node.config):
        config_path = share_path(config_path, config_path)
        if collecting and is_collect_site(manifest, config_path):
            # its input is the element: checked once `item` is typed
            site = ExpressionSite(node_id, index, config_path, source, is_template)
            late.append(site)
            sites.append(site)
            plain = False
            continue
        if "nodes" in source:  # its result depends on other nodes' types: check it here
            result, syntax = check_string(source, is_template, env)
            plain = False
        else:
            key = (source, is_template, id(env))
            hit = checked.get(key)
            if hit is None or hit[0] is not env:
                result, syntax = _check_projected(source, is_template, env, projected)
                loud = bool(syntax or result.errors or result.references)
                hit = checked[key] = (env, result, syntax, loud)
            _env, result, syntax, loud = hit
            if loud:
                plain = False
        sites.append(
            ExpressionSite(node_id, index, config_path, source, is_template, result, syntax)
        )
        types_by_path[config_path] = result.type
    fact.expressions = tuple(sites)

    passes = ports.passes
    if passes is not None:
        # Every output port is what arrives at the one input port (``{"$input": port}``,
        # as ``resolve_port_schema`` resolves it); the accepted types are fixed.
        fact.declared_inputs = ports.fixed_inputs  # type: ignore[assignment]
        passed = fact.input_types.get(ports.only_input, ANY)  # type: ignore[arg-type]
        if ports_of is None:
            fact.output_types = dict.fromkeys(passes, passed)
        else:
            shared_key = (*passes, *(id(passed),) * len(passes))  # ``_shared_ports``' key
            shared = ports_of.get(shared_key)
            if shared is None:
                shared = ports_of[shared_key] = dict.fromkeys(passes, passed)
            fact.output_types = shared
        return plain

    def expression_type(path: tuple[str | int, ...]) -> Type:
        return types_by_path.get(path, ANY)

    config, defaults = fact.node.config, ports.defaults
    if late:
        item_spec = manifest.outputs.get("item")
        item = (
            resolve_port_schema(item_spec.schema_, config, fact.input_types, expression_type)
            if item_spec is not None
            else ANY
        )
        for site in late:
            site.result, site.syntax_errors = check_string(
                site.source, site.is_template, collect_env(env, item)
            )
            types_by_path[site.config_path] = site.result.type
    fact.declared_inputs = (
        ports.fixed_inputs
        if ports.fixed_inputs is not None
        else {
            port: resolve_port_schema(schema, config, {}, expression_type, defaults)
            for port, schema in ports.inputs
        }
    )
    inputs = fact.input_types
    fact.output_types = {
        port: resolve_port_schema(schema, config, inputs, expression_type, defaults, answers)
        for port, schema in ports.outputs
    }
    return plain


@dataclass(frozen=True, slots=True)
class _Ports:
    """What typing a node reads of its manifest, found once per manifest (manifests
    never change): its ports as tuples, and what follows from them."""

    manifest: NodeManifest  # kept: ids of the table's keys stay unique
    inputs: tuple[tuple[str, Any], ...]  # (port, schema), in order
    outputs: tuple[tuple[str, Any], ...]
    only_input: str | None  # the port of a manifest with exactly one input port
    # The types the input ports accept when none of their schemas has an operator
    # (every node of the manifest then accepts the same: one dict, shared, never mutated)
    fixed_inputs: dict[str, Type] | None
    defaults: dict[str, Any]  # the config's top-level defaults
    collects: bool  # a loop that may have a `collect` expression (``is_collect_site``)
    # The output ports, when each is the type of what arrives at the one input port
    # (``{"$input": port}``: `flow/if`, `util/log`...), the accepted types fixed and no
    # `collect`: typed without resolving schemas
    passes: tuple[str, ...] | None


_PORTS: dict[int, _Ports] = {}


def _ports(manifest: NodeManifest) -> _Ports:
    hit = _PORTS.get(id(manifest))
    if hit is not None and hit.manifest is manifest:
        return hit
    inputs = tuple((port, spec.schema_) for port, spec in manifest.inputs.items())
    accepted = {port: fixed_port_type(schema) for port, schema in inputs}
    outputs = tuple((port, spec.schema_) for port, spec in manifest.outputs.items())
    only_input = inputs[0][0] if len(inputs) == 1 else None
    fixed = None if None in accepted.values() else accepted
    collects = is_collect_site(manifest, COLLECT)
    passing = (
        only_input is not None
        and fixed is not None
        and not collects
        and outputs
        and all(passed_input(schema) == only_input for _port, schema in outputs)
    )
    hit = _Ports(
        manifest,
        inputs,
        outputs,
        only_input,
        fixed,  # type: ignore[arg-type]
        manifest.config_defaults,
        collects,
        tuple(port for port, _schema in outputs) if passing else None,
    )
    if len(_PORTS) > 4096:
        _PORTS.clear()
    _PORTS[id(manifest)] = hit
    return hit


def _report_expressions(ctx: CheckContext, fact: NodeFacts, known: frozenset[str]) -> None:
    doc, nid = ctx.doc, fact.node.id or ""
    for site in fact.expressions:
        if (
            not site.syntax_errors
            and site.result is not None
            and not (site.result.errors or site.result.references)
        ):
            continue
        for err in site.syntax_errors:
            ctx.report("NF017", err.message, doc.string_span(site.path, err.start, err.end))
        if site.result is None:
            continue
        for err in site.result.errors:
            ctx.report(
                "NF019" if err.code == "not-dominated" else "NF018",
                err.message,
                doc.string_span(site.path, err.start, err.end),
                severity=Severity.WARNING if err.severity == "warning" else None,
            )
        collect = is_collect_site(fact.manifest, site.config_path)
        for ref in site.result.references:
            if collect:
                message = _collect_reference_problem(ctx, nid, ref.node_id, ref.port, known)
                if message is not None:
                    ctx.report(
                        "NF019",
                        message,
                        doc.string_span(site.path, ref.start, ref.end),
                        data={"node": ref.node_id},
                    )
                continue
            if ref.node_id in known and not ctx.graph.surely_runs_before(ref.node_id, nid):
                ctx.report(
                    "NF019",
                    f"`nodes.{ref.node_id}` may not have run on every path to `{nid}`: "
                    "read it through `input`, or merge the paths first"
                    + _loop_hint(ctx, nid, ref.node_id),
                    doc.string_span(site.path, ref.start, ref.end),
                    data={"node": ref.node_id},
                )
            elif (
                ref.node_id in known
                and ref.port in (None, "out")
                and nid in _after_invalid(ctx, ref.node_id)
            ):
                ctx.report(
                    "NF019",
                    f"`nodes.{ref.node_id}.out` is not set on the path from "
                    f"`{ref.node_id}.invalid` (the request was rejected): read the problem "
                    "through `input`",
                    doc.string_span(site.path, ref.start, ref.end),
                    data={"node": ref.node_id},
                )


def _collect_reference_problem(
    ctx: CheckContext, loop: str, node_id: str, port: str | None, known: frozenset[str]
) -> str | None:
    """What is wrong with ``nodes.<node_id>`` in loop ``loop``'s ``collect``, or None: it
    may read the nodes before the loop, the loop's element and the body nodes that run for
    every element."""
    graph = ctx.graph
    if node_id not in known:
        return None  # unknown nodes are reported by the expression check
    if node_id == loop:
        if port == "done":
            return (
                f"`nodes.{loop}.done` is not set while `collect` runs: read the element as `input`"
            )
        return None
    if graph.surely_runs_before(node_id, loop):
        return None
    per_loop: dict[str, set[str]] = ctx.memo.get("runs-for-every-item", graph)
    if per_loop is MISSING:
        per_loop = {}
        ctx.memo.put("runs-for-every-item", graph, None, per_loop)
    sure = per_loop.get(loop)
    if sure is None:
        sure = per_loop[loop] = runs_for_every_item(graph, loop, _manifest_of(ctx))
    if node_id in sure:
        return None
    return (
        f"`nodes.{node_id}` may not have run for every element of `{loop}` when `collect` "
        "runs (it is not in the loop body, or it is after a choice or a node's `error` "
        "port): make the choice in the expression, or merge the branches first"
    )


def _loop_hint(ctx: CheckContext, nid: str, node_id: str) -> str:
    """For a read of a loop body's node from outside the loop: say that `collect` (of
    flow/foreach 1.1.0) is the way to its values."""
    loop = loop_around(ctx.graph, node_id, _manifest_of(ctx))
    if loop is None or loop_around(ctx.graph, nid, _manifest_of(ctx)) == loop:
        return ""
    return (
        f"; `{node_id}` runs once per element of the loop `{loop}`: keep what you need of it "
        f"with the loop's `collect` (flow/foreach 1.1.0) and read it from `done` "
        f"(`results`)"
    )


def _manifest_of(ctx: CheckContext) -> Callable[[str], Any]:
    def manifest_of(nid: str) -> Any:
        node = ctx.doc.node_by_id(nid)
        return ctx.manifest(node) if node is not None else None

    return manifest_of


def _after_invalid(ctx: CheckContext, trigger: str) -> set[str]:
    """The nodes a run from an HTTP trigger's ``invalid`` port (http/trigger 1.1.0) can
    reach: there the trigger ran but its ``out`` (the request) was never set."""
    targets = [
        e.target for e in ctx.graph.successors.get(trigger, []) if e.source_port == "invalid"
    ]
    return ctx.graph.reachable_from(targets) if targets else set()


def _field(name: str, t: Type) -> Field:
    return Field(name, t, True, None)


def _check_connection_types(
    ctx: CheckContext,
    outputs: dict[str, dict[str, Type]],
    last_facts: dict[str, NodeFacts],
    retyped: list[str],
) -> None:
    """``retyped``: the nodes whose facts are not those of ``last_facts``, the previous
    analysis' (every other node kept its facts, hence its incoming edges: see
    ``check_types``)."""
    doc, graph, facts = ctx.doc, ctx.graph, ctx.facts
    # Last time: the output types, per target node with a mismatch on an edge into it
    # its facts, incoming edges and the types compared (``_Mismatched``), and the facts
    # of every node. A node without an entry was clean with its facts then (most nodes:
    # nothing is kept for them). A node whose facts (hence accepted types and, but for
    # indexes, incoming edges) are the very same objects, and none of whose sources has
    # new output types, has the same results: after a gesture only the nodes around
    # the change compare again.
    last = ctx.memo.get("edge-types", _LAST_FACTS, None)
    old_outputs: dict[str, dict[str, Type]]
    previous: dict[str, _Mismatched]
    old_facts: dict[str, NodeFacts]
    old_outputs, previous, old_facts = ({}, {}, {}) if last is MISSING else last
    mismatched: dict[str, _Mismatched]
    if old_facts is not last_facts:  # not the same previous analysis: every node
        mismatched, todo = {}, graph.nodes
    else:
        mismatched = {nid: e for nid, e in previous.items() if nid in graph.successors}
        # Only the nodes typed again can have other output types: the nodes they lead
        # to compare again, with themselves.
        todo = [*retyped, *(e.target for nid in retyped for e in graph.successors.get(nid, ()))]
    dirty: set[str] | None = None  # every node (none of the previous results is taken)
    if old_facts is last_facts:
        changed = [nid for nid in todo if old_outputs.get(nid) is not outputs.get(nid)]
        dirty = {edge.target for nid in changed for edge in graph.successors.get(nid, ())}
    # Per accepted types (a dict per manifest mostly, alive in the facts: ids unique):
    # whether each is any, which fits anything (`flow/if`, `util/log`): no mismatch.
    fits_all: dict[int, bool] = {}
    for nid in todo:
        target = facts[nid]
        if target.manifest is None:
            mismatched.pop(nid, None)
            continue
        if dirty is not None and nid not in dirty:
            entry = previous.get(nid)
            if entry is None and old_facts.get(nid) is target:
                continue  # clean with these facts: clean again
            if entry is not None and entry[0] is target:
                mismatched[nid] = entry
                continue
        declared = target.declared_inputs
        loose = fits_all.get(id(declared))
        if loose is None:
            loose = fits_all[id(declared)] = all(isinstance(t, AnyType) for t in declared.values())
        if loose:  # as ``_edge_types`` finds: no mismatch on any edge
            mismatched.pop(nid, None)
            continue
        predecessors = graph.predecessors[nid]
        compared = _edge_types(ctx, target, predecessors, outputs)
        if any(map(_MISMATCHES, compared)):
            mismatched[nid] = (target, predecessors, compared)
        else:
            mismatched.pop(nid, None)
    for nid, entry in mismatched.items():
        predecessors = graph.predecessors[nid]
        if entry[1] != predecessors:  # the same edges, at other indexes: located anew
            compared = _edge_types(ctx, entry[0], predecessors, outputs)
            entry = mismatched[nid] = (entry[0], predecessors, compared)
        for edge, src, _dst, mismatches in entry[2]:
            if mismatches:
                _report_mismatches(ctx, doc, facts, nid, edge, src, mismatches)
    ctx.memo.put("edge-types", _LAST_FACTS, None, (outputs, mismatched, facts))


#: A target node with a type mismatch on an edge into it: its facts, its incoming edges,
#: per edge (that has a declared input type) the edge, the source's type, the accepted
#: type, the mismatches.
_Mismatched = tuple[NodeFacts, Sequence[Edge], list[tuple[Edge, Type, Type, Sequence[Any]]]]


def _edge_types(
    ctx: CheckContext,
    target: NodeFacts,
    edges: Sequence[Edge],
    outputs: dict[str, dict[str, Type]],
) -> list[tuple[Edge, Type, Type, Sequence[Any]]]:
    compared: list[tuple[Edge, Type, Type, Sequence[Any]]] = []
    for edge in edges:
        dst = target.declared_inputs.get(edge.target_port)
        if dst is None:
            continue
        src = outputs.get(edge.source, _NO_PORTS).get(edge.source_port, ANY)
        if isinstance(src, AnyType) or isinstance(dst, AnyType):
            mismatches: Sequence[Any] = ()  # any fits anything, both ways
        else:
            mismatches = ctx.memo.get("assignable", src, dst)
            if mismatches is MISSING:
                mismatches = check_assignable(src, dst)
                ctx.memo.put("assignable", src, dst, mismatches)
        compared.append((edge, src, dst, mismatches))
    return compared


def _report_mismatches(
    ctx: CheckContext,
    doc: FlowDocument,
    facts: dict[str, NodeFacts],
    nid: str,
    edge: Edge,
    src: Type,
    mismatches: Sequence[Any],
) -> None:
    worst = min(mismatches, key=lambda m: 0 if m.severity == "error" else 1)
    code = "NF009" if worst.severity == "error" else "NF010"
    details = "; ".join(m.message for m in mismatches[:3])
    more = f" (+{len(mismatches) - 3} more)" if len(mismatches) > 3 else ""
    source_node = facts.get(edge.source)
    related: tuple[Related, ...] = ()
    if source_node is not None:
        related = (
            Related(
                doc.span_of((*source_node.node.path, "id")),
                f"`{edge.source}.{edge.source_port}` produces {describe(src)}",
            ),
        )
    ctx.report(
        code,
        f"`{edge.source}.{edge.source_port}` -> `{nid}.{edge.target_port}`: {details}{more}",
        doc.span_of(("connections", edge.index)),
        related=related,
        data={
            "index": edge.index,
            "from": f"{edge.source}.{edge.source_port}",
            "to": f"{nid}.{edge.target_port}",
        },
    )


# -- NF014, NF015 HTTP ------------------------------------------------------------------------

_PARAM = re.compile(r"\{[^/}]*\}")


def check_http(ctx: CheckContext) -> None:
    doc, graph, facts = ctx.doc, ctx.graph, ctx.facts
    routes: dict[tuple[str, str], str] = {}
    for nid in graph.triggers:
        fact = facts.get(nid)
        if fact is None or fact.manifest is None or fact.manifest.type != "http/trigger":
            continue
        node = fact.node
        method = str(node.config.get("method", "GET")).upper()
        path = node.config.get("path")
        if isinstance(path, str):
            route = (method, _PARAM.sub("{}", path.rstrip("/") or "/"))
            if route in routes:
                other = facts[routes[route]].node
                ctx.report(
                    "NF015",
                    f"`{method} {path}` is already served by `{routes[route]}`",
                    doc.span_of((*node.path, "config", "path")),
                    related=(Related(doc.span_of((*other.path, "config", "path")), "first route"),),
                )
            else:
                routes[route] = nid
        end = path_without_response(graph, facts, nid)
        if end is not None:
            ctx.report(
                "NF014",
                f"A request to `{nid}` can end at `{end}` without an `http/respond` node "
                "(the client then gets 204 No Content)",
                doc.span_of((*node.path, "id")),
                related=(Related(doc.span_of((*facts[end].node.path, "id")), "path ends here"),),
                data={"node": end},
            )


def check_tests(ctx: CheckContext) -> None:
    tests = ctx.doc.value.get("tests")
    if not isinstance(tests, list):
        return
    triggers = set(ctx.graph.triggers)
    for index, test in enumerate(tests):
        fixtures = test.get("fixtures") if isinstance(test, dict) else None
        if isinstance(fixtures, dict):
            _check_test_fixtures(ctx, index, fixtures)
        trigger = test.get("trigger") if isinstance(test, dict) else None
        if not isinstance(trigger, str) or trigger in triggers:
            continue
        known = ", ".join(f"`{t}`" for t in ctx.graph.triggers) or "none"
        what = "is not a trigger" if trigger in ctx.graph.successors else "is not a node"
        ctx.report(
            "NF024",
            f"Test trigger `{trigger}` {what} of this flow{_did_you_mean(trigger, triggers)} "
            f"(triggers: {known})",
            ctx.doc.span_of(("tests", index, "trigger")),
            data={"triggers": list(ctx.graph.triggers)},
        )


def _check_test_fixtures(ctx: CheckContext, index: int, fixtures: dict[str, Any]) -> None:
    """A test's fixtures pin nodes of this flow, and their ``$sequence``s are lists of
    responses (``analysis.fixtures``): else the test cannot run as written."""
    ids = set(ctx.graph.successors)
    where: JsonPath = ("tests", index, "fixtures")
    for node in fixtures:
        if node not in ids:
            ctx.report(
                "NF024",
                f"Fixture for `{node}`, which is not a node of this flow{_did_you_mean(node, ids)}",
                ctx.doc.key_span((*where, node)),
            )
    for path, message in all_fixture_problems(fixtures):
        ctx.report("NF024", message[0].upper() + message[1:], ctx.doc.span_of((*where, *path)))


# -- NF026, NF027 flow/subflow calls ------------------------------------------------------------


def check_subflows(ctx: CheckContext) -> None:
    from nodeforge.analysis.rules import subflows  # it imports this module's helpers

    subflows.check_subflows(ctx)


ALL_CHECKS: tuple[Check, ...] = (
    check_syntax,
    check_structure,
    check_nodes,
    check_connections,
    check_graph,
    check_types,
    check_runtime,
    check_http,
    check_tests,
    check_subflows,
)
