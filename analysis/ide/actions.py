"""Quick fixes built from the ``data`` that diagnostics carry (see rules/checks.py)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nodeforge.analysis.catalog import MigrationConflict, plan_migration
from nodeforge.analysis.diagnostics import Diagnostic
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.flow import parse_endpoint
from nodeforge.analysis.jsontree import JsonNode
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import ObjectType, non_null, propose_mapping

from .completion import unique_id
from .cursor import locate
from .edits import delete_element, insert_entry, line_indent, member_text, node_text, render
from .facts import dump, input_type, manifest_for, output_type
from .model import CodeAction, TextEdit

ADAPTER_TYPE = "data/map"


def code_actions(analysis: Analysis, span: Span, diagnostics: list[Diagnostic]) -> list[CodeAction]:
    """The quick fixes for ``diagnostics`` (those the client reports at ``span``)."""
    out: list[CodeAction] = []
    seen: set[tuple[str, tuple[TextEdit, ...]]] = set()
    for diagnostic in diagnostics:
        provider = _PROVIDERS.get(diagnostic.code)
        if provider is None:
            continue
        try:
            actions = provider(analysis, diagnostic)
        except (KeyError, ValueError, TypeError, IndexError):
            continue  # stale or foreign data: offer nothing rather than a wrong edit
        for action in actions:
            key = (action.title, tuple(action.edits))
            if key not in seen and (action.edits or action.disabled):
                seen.add(key)
                out.append(action)
    return out


def diagnostics_at(analysis: Analysis, span: Span) -> list[Diagnostic]:
    """The analysis's diagnostics that touch ``span``: for clients that send none."""
    return [
        d for d in analysis.diagnostics if d.span.start <= span.end and span.start <= d.span.end
    ]


def _fix(
    title: str, diagnostic: Diagnostic, edits: list[TextEdit], preferred: bool = False
) -> CodeAction:
    return CodeAction(title, "quickfix", edits, (diagnostic.code,), preferred)


def _node_index(analysis: Analysis, span: Span) -> int | None:
    doc = analysis.document
    for offset in (span.start + 1, span.start):
        path = locate(doc.root, doc.text, offset).path
        if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
            return path[1]
    return None


def _find(analysis: Analysis, path: tuple[str | int, ...]) -> JsonNode | None:
    root = analysis.document.root
    return root.find(path) if root is not None else None


# -- NF004, NF005, NF021: types and versions --------------------------------------------------


def _unknown_type(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    suggestion = diagnostic.data.get("suggestion")
    index = _node_index(analysis, diagnostic.span)
    if not isinstance(suggestion, str) or index is None:
        return []
    type_node = _find(analysis, ("nodes", index, "type"))
    if type_node is None:
        return []
    edits = [TextEdit(type_node.span, dump(suggestion))]
    catalog = analysis.workspace.catalog
    version_node = _find(analysis, ("nodes", index, "version"))
    versions = catalog.versions(suggestion)
    if version_node is not None and versions and version_node.value not in versions:
        edits.append(TextEdit(version_node.span, dump(versions[-1])))
    return [_fix(f"Change type to `{suggestion}`", diagnostic, edits, True)]


def _unknown_version(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    latest = diagnostic.data.get("latest")
    index = _node_index(analysis, diagnostic.span)
    if not isinstance(latest, str) or index is None:
        return []
    version_node = _find(analysis, ("nodes", index, "version"))
    if version_node is None:
        return []
    edit = TextEdit(version_node.span, dump(latest))
    return [_fix(f"Use version {latest} (the newest)", diagnostic, [edit], True)]


@dataclass(frozen=True, slots=True)
class NodeUpgrade:
    """The edit that moves one node to another version with its config migrated. With
    ``conflicts`` (values of the node's config the migration would replace) and not
    forced, ``edits`` is empty: a migration never silently overwrites what the user set."""

    title: str
    edits: list[TextEdit]
    config_migrated: bool
    conflicts: list[MigrationConflict]


def upgrade_node(
    analysis: Analysis, index: int, to: str, *, force: bool = False
) -> NodeUpgrade | None:
    """Node ``index`` upgraded to version ``to`` (the ``NF021`` quick fix and ``nodeforge
    upgrade`` share it). None when the node has no version to edit. Raises ``KeyError``
    for an unknown type or version, ``ValueError`` for a downgrade."""
    info = analysis.document.nodes[index]
    type_, old = str(info.type), str(info.version)
    version_node = _find(analysis, ("nodes", index, "version"))
    if version_node is None:
        return None
    text = analysis.document.text
    plan = plan_migration(analysis.workspace.catalog, type_, old, to, info.config)
    changed = plan.config != info.config
    title = f"Upgrade `{type_}` to {to}" + (" (migrates the config)" if changed else "")
    if plan.conflicts and not force:
        return NodeUpgrade(title, [], changed, plan.conflicts)
    edits = [TextEdit(version_node.span, dump(to))]
    if changed:
        config_node = _find(analysis, ("nodes", index, "config"))
        if config_node is not None and config_node.kind == "object":
            rendered = render(plan.config, line_indent(text, config_node.start))
            edits.append(TextEdit(config_node.span, rendered))
        else:
            node_obj = _find(analysis, ("nodes", index))
            if node_obj is None:
                return None
            edit = insert_entry(text, node_obj, member_text("config", plan.config))
            if edit is None:
                return None
            edits.append(edit)
    return NodeUpgrade(title, sorted(edits, key=lambda e: e.span.start), changed, plan.conflicts)


def _upgrade(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    index = _node_index(analysis, diagnostic.span)
    if index is None:
        return []
    upgrade = upgrade_node(analysis, index, str(diagnostic.data["to"]))
    if upgrade is None:
        return []
    if upgrade.conflicts:
        reason = "the migration would overwrite " + "; ".join(str(c) for c in upgrade.conflicts)
        reason += " (edit the config, or run `nodeforge upgrade --force`)"
        return [
            CodeAction(upgrade.title, "quickfix", [], (diagnostic.code,), False, disabled=reason)
        ]
    return [_fix(upgrade.title, diagnostic, upgrade.edits, True)]


# -- NF006: config ---------------------------------------------------------------------------


def _config(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    data = diagnostic.data
    index = _node_index(analysis, diagnostic.span)
    if index is None:
        return []
    text = analysis.document.text
    if isinstance(data.get("defaults"), dict):
        defaults: dict[str, Any] = data["defaults"]
        config_node = _find(analysis, ("nodes", index, "config"))
        if config_node is not None and config_node.kind == "object":
            present = {p.key for p in config_node.properties}
            missing = {k: v for k, v in defaults.items() if k not in present}
            if not missing:
                return []
            edit = _insert_members(text, config_node, missing)
        else:
            node_obj = _find(analysis, ("nodes", index))
            if node_obj is None or config_node is not None:
                return []
            missing = defaults
            edit = insert_entry(text, node_obj, member_text("config", defaults))
        if edit is None:
            return []
        keys = ", ".join(f"`{k}`" for k in missing)
        return [_fix(f"Add missing required config {keys}", diagnostic, [edit], True)]
    if data.get("validator") == "additionalProperties" and isinstance(data.get("suggestion"), str):
        suggestion = data["suggestion"]
        return [
            _fix(
                f"Rename `{data.get('key')}` to `{suggestion}`",
                diagnostic,
                [TextEdit(diagnostic.span, dump(suggestion))],
                True,
            )
        ]
    return []


def _insert_members(text: str, obj: JsonNode, members: dict[str, Any]) -> TextEdit | None:
    """One edit adding every member, each on its own line when the object is multi-line."""
    return insert_entry(text, obj, ",\n".join(member_text(k, v) for k, v in members.items()))


def _connector(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    """Point the node at one of the workspace's connectors of a fitting type."""
    fitting = diagnostic.data["connectors"]
    index = _node_index(analysis, diagnostic.span)
    if not isinstance(fitting, list) or index is None:
        return []
    value = _find(analysis, ("nodes", index, "config", "connector"))
    if value is None:
        return []
    current = value.value if isinstance(value.value, str) else ""
    ranked = difflib.get_close_matches(current, fitting, n=len(fitting), cutoff=0.0)
    return [
        _fix(f"Use connector `{name}`", diagnostic, [TextEdit(value.span, dump(name))], i == 0)
        for i, name in enumerate(ranked)
        if isinstance(name, str)
    ]


def _subflow_target(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    """Call the workspace's flow whose id is closest to the unknown one."""
    suggestion = diagnostic.data.get("suggestion")
    index = _node_index(analysis, diagnostic.span)
    if not isinstance(suggestion, str) or index is None:
        return []
    value = _find(analysis, ("nodes", index, "config", "flow"))
    if value is None:
        return []
    edits = [TextEdit(value.span, dump(suggestion))]
    return [_fix(f"Call flow `{suggestion}`", diagnostic, edits, True)]


# -- NF007, NF023: connections ---------------------------------------------------------------


def _remove_connection(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    index = diagnostic.data["index"]
    connections = _find(analysis, ("connections",))
    if connections is None or connections.kind != "array" or not isinstance(index, int):
        return []
    edit = delete_element(analysis.document.text, connections, index)
    if edit is None:
        return []
    duplicate = diagnostic.code == "NF023"
    title = "Remove the duplicate connection" if duplicate else "Remove the connection"
    actions = [_fix(title, diagnostic, [edit], duplicate)]
    if diagnostic.code == "NF007":
        actions = _retarget(analysis, diagnostic, index) + actions
    return actions


def _retarget(analysis: Analysis, diagnostic: Diagnostic, index: int) -> list[CodeAction]:
    """Did-you-mean fixes for an endpoint naming an unknown node or port."""
    key = diagnostic.data.get("key")
    if key not in ("from", "to"):
        return []
    value_node = _find(analysis, ("connections", index, key))
    endpoint = parse_endpoint(value_node.value if value_node is not None else None)
    if value_node is None or endpoint is None:
        return []
    doc = analysis.document
    ids = [n.id for n in doc.nodes if n.id is not None]
    candidates: list[str] = []
    if endpoint.node not in ids:
        for node in difflib.get_close_matches(endpoint.node, ids, n=3, cutoff=0.6):
            candidates.append(f"{node}.{endpoint.port}" if endpoint.port else node)
    else:
        info = doc.node_by_id(endpoint.node)
        manifest = manifest_for(analysis, info.type, info.version) if info else None
        if manifest is not None:
            ports = list(manifest.outputs if key == "from" else manifest.inputs)
            close = difflib.get_close_matches(endpoint.port or "", ports, n=3, cutoff=0.5)
            if endpoint.port is None or not close:
                close = ports if len(ports) <= 3 else close
            candidates += [f"{endpoint.node}.{p}" for p in close]
    return [
        _fix(f"Change to `{c}`", diagnostic, [TextEdit(value_node.span, dump(c))], i == 0)
        for i, c in enumerate(candidates)
    ]


def _swap(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    """A connection drawn backwards: exchange its ``from`` and ``to``."""
    index = diagnostic.data["index"]
    source = _find(analysis, ("connections", index, "from"))
    target = _find(analysis, ("connections", index, "to"))
    if source is None or target is None or source.kind != "string" or target.kind != "string":
        return []
    edits = [TextEdit(source.span, target.raw), TextEdit(target.span, source.raw)]
    edits.sort(key=lambda e: e.span.start)
    return [_fix("Swap `from` and `to`", diagnostic, edits, True)]


# -- NF009, NF010: the adapter ---------------------------------------------------------------


def _adapter(analysis: Analysis, diagnostic: Diagnostic) -> list[CodeAction]:
    ports = adapter_ports(analysis, diagnostic.data)
    if ports is None:
        return []
    mapping = propose_mapping(*ports)
    found = adapter_edits(analysis, diagnostic.data, mapping)
    if found is None:
        return []
    title, edits = found
    return [_fix(title, diagnostic, edits, True)]


def adapter_ports(analysis: Analysis, data: dict[str, Any]) -> tuple[ObjectType, ObjectType] | None:
    """The source and target object types of the connection an ``NF009``/``NF010``
    diagnostic's ``data`` names, or None when no ``data/map`` can adapt it (the target
    is not an object). A source that is not an object counts as an empty one."""
    source = parse_endpoint(data["from"])
    target = parse_endpoint(data["to"])
    if source is None or target is None or source.port is None or target.port is None:
        return None
    src = output_type(analysis, source.node, source.port)
    dst = input_type(analysis, target.node, target.port)
    if src is None or dst is None:
        return None
    dst_object = non_null(dst)
    if not isinstance(dst_object, ObjectType):
        return None
    src_object = non_null(src)
    if not isinstance(src_object, ObjectType):
        src_object = ObjectType((), None)
    return src_object, dst_object


def adapter_edits(
    analysis: Analysis, data: dict[str, Any], mapping: dict[str, str]
) -> tuple[str, list[TextEdit]] | None:
    """The title and edits inserting a ``data/map`` adapter with ``mapping`` (target
    field paths, dotted for nested fields, to expressions) into the connection that
    ``data`` (an ``NF009``/``NF010`` diagnostic's) names; None when it cannot."""
    index = data["index"]
    source = parse_endpoint(data["from"])
    target = parse_endpoint(data["to"])
    adapter = analysis.workspace.catalog.latest(ADAPTER_TYPE)
    if adapter is None or source is None or target is None:
        return None
    doc = analysis.document
    text = doc.text
    taken = {n.id for n in doc.nodes if n.id is not None}
    new_id = unique_id(f"map_{source.node}_to_{target.node}", taken)
    node: dict[str, Any] = {"id": new_id, "type": ADAPTER_TYPE, "version": adapter.version}
    position = _midpoint(analysis, source.node, target.node)
    if position is not None:
        node["position"] = position
    node["config"] = {"mapping": _nested_mapping(mapping)}
    nodes = _find(analysis, ("nodes",))
    connections = _find(analysis, ("connections",))
    to_node = _find(analysis, ("connections", index, "to"))
    if nodes is None or connections is None or to_node is None:
        return None
    node_edit = insert_entry(text, nodes, node_text(node))
    rewire = TextEdit(to_node.span, dump(f"{new_id}.in"))
    link = insert_entry(
        text,
        connections,
        f'{{"from": {dump(new_id + ".out")}, "to": {dump(data["to"])}}}',
        after=index,
    )
    if node_edit is None or link is None:
        return None
    edits = sorted([node_edit, rewire, link], key=lambda e: e.span.start)
    title = f"Insert a `{ADAPTER_TYPE}` adapter between `{data['from']}` and `{data['to']}`"
    return title, edits


def _nested_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """``{"a.b": e1, "a.c": e2}`` -> ``{"a": '{"b": e1, "c": e2}'}``: data/map's fields are flat."""
    tree: dict[str, Any] = {}
    for path, expression in mapping.items():
        parts = path.split(".")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = expression

    def literal(value: Any) -> str:
        if isinstance(value, str):
            return value
        return "{" + ", ".join(f"{dump(k)}: {literal(v)}" for k, v in value.items()) + "}"

    return {key: literal(value) for key, value in tree.items()}


def _midpoint(analysis: Analysis, a: str, b: str) -> dict[str, float | int] | None:
    points = []
    for node_id in (a, b):
        info = analysis.document.node_by_id(node_id)
        position = info.value.get("position") if info is not None else None
        if not isinstance(position, dict):
            return None
        x, y = position.get("x"), position.get("y")
        if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
            return None
        points.append((x, y))
    (x1, y1), (x2, y2) = points
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    return {"x": int(mx) if mx == int(mx) else mx, "y": int(my) if my == int(my) else my}


_PROVIDERS: dict[str, Callable[[Analysis, Diagnostic], list[CodeAction]]] = {
    "NF004": _unknown_type,
    "NF005": _unknown_version,
    "NF006": _config,
    "NF007": _remove_connection,
    "NF008": _swap,
    "NF009": _adapter,
    "NF010": _adapter,
    "NF020": _connector,
    "NF021": _upgrade,
    "NF023": _remove_connection,
    "NF026": _subflow_target,
}
