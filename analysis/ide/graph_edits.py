"""Canvas gestures as text edits: the commands of the web editor's canvas.

The flow file's text is the only model (issue 13): a canvas never changes a flow
itself, it asks the server for an edit, and the server answers with the smallest
text change that does it, in the layout the document already has (new nodes in the
canonical layout of ``format.py``, members and elements inserted the way their
container writes them, removals taking their separating comma). Every function
here is pure: an :class:`Analysis` and the gesture's parameters in, a
:class:`GraphEdit` out, or :class:`GraphEditError` with a message for the user
(unknown node or port, stale version, a document too broken to edit safely).

| command | parameters | what it writes |
| --- | --- | --- |
| ``addNode`` | ``type``, ``typeVersion?``, ``position``, ``config?``, ``id?``, ``title?`` | a node with a fresh id from the type's name, its config (default: the type's required config) |
| ``deleteNodes`` | ``ids`` (node ids or graph keys ``#<index>``) | removes the nodes and every connection to or from them |
| ``moveNodes`` | ``moves: [{id, x, y}]`` | each node's ``position`` (whole canvas units) |
| ``connect`` | ``from: {node, port?}``, ``to: {node, port?}`` | a connection ``{"from": "a.out", "to": "b.in"}`` |
| ``disconnect`` | ``index``, or ``from`` and ``to`` | removes the connection(s) |
| ``setConfig`` | ``id``, ``path`` (JSON pointer in ``config``), ``value?`` | sets the value; ``null`` or no value removes it |
| ``renameNode`` | ``id``, ``newId`` | the rename feature: connections, expressions and tests follow |
| ``pasteNodes`` | ``nodes``, ``connections?``, ``offset?`` | the nodes (fresh ids where they clash, their connections and expressions following), moved by ``offset`` |
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.flow import NodeInfo, parse_endpoint
from nodeforge.analysis.jsontree import JsonNode
from nodeforge.analysis.text import Span

from .completion import unique_id
from .edits import (
    closed,
    delete_entries,
    insert_entry,
    line_indent,
    member_text,
    node_text,
    render,
)
from .facts import NODE_KEYS, manifest_for
from .model import TextEdit
from .navigation import NODE_ID, rename

JSON = Any


class GraphEditError(ValueError):
    """A gesture that cannot become an edit; the message is for the user."""


@dataclass(frozen=True, slots=True)
class GraphEdit:
    """The edits (sorted, non-overlapping, in code points of the analysed text) and
    what the client may want to know (the new node's id, the ids pasted nodes got)."""

    edits: list[TextEdit]
    result: dict[str, JSON] = field(default_factory=dict)


# -- entry point --------------------------------------------------------------------------


def graph_edit(analysis: Analysis, command: str, params: dict[str, JSON]) -> GraphEdit:
    """Run the gesture ``command`` (``addNode``, ...) on ``analysis``' document.

    ``params["version"]``, when given, must be the version of the analysed document
    (the version the client saw): an edit computed for another text would land in
    the wrong place, so it is refused."""
    handler = COMMANDS.get(command)
    if handler is None:
        raise GraphEditError(f"unknown graph command `{command}`")
    check_version(analysis, params.get("version"))
    _root(analysis)  # refuse a document that is not an object at all, for every command
    found = handler(analysis, params)
    return GraphEdit(_normalized(found.edits, analysis.document.text), found.result)


def check_version(analysis: Analysis, version: JSON) -> None:
    """Refuse an edit made on another version of the text than the analysed one."""
    if version is None:
        return
    if not isinstance(version, int) or isinstance(version, bool):
        raise GraphEditError("`version` must be the document version the client saw")
    current = analysis.document.version
    if current is not None and version != current:
        raise GraphEditError(
            f"stale edit: it was made on version {version} of the document, which is now "
            f"at version {current}; request the graph again"
        )


# -- addNode ---------------------------------------------------------------------------


def add_node(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    type_ = _string(params, "type")
    catalog = analysis.workspace.catalog
    wanted = params.get("typeVersion")
    manifest: NodeManifest | None
    if wanted is None:
        manifest = catalog.latest(type_)
        if manifest is None:
            raise GraphEditError(_unknown_type(analysis, type_))
    else:
        if not isinstance(wanted, str):
            raise GraphEditError("`typeVersion` must be a version string")
        manifest = catalog.get(type_, wanted)
        if manifest is None:
            if type_ not in catalog:
                raise GraphEditError(_unknown_type(analysis, type_))
            known = ", ".join(catalog.versions(type_))
            raise GraphEditError(f"`{type_}` has no version {wanted} (known: {known})")
    taken = _ids(analysis)
    requested = params.get("id")
    if requested is not None:
        if not isinstance(requested, str) or not NODE_ID.fullmatch(requested):
            raise GraphEditError(
                "`id` must be a node id: lowercase letters, digits and `_`, starting with a letter"
            )
        if requested in taken:
            raise GraphEditError(f"a node with the id `{requested}` already exists")
        node_id = requested
    else:
        node_id = unique_id(manifest.name, taken)
    config = params.get("config")
    if config is None:
        config = manifest.default_config()
    elif not isinstance(config, dict):
        raise GraphEditError("`config` must be a JSON object")
    node: dict[str, JSON] = {"id": node_id, "type": type_, "version": manifest.version}
    title = params.get("title")
    if isinstance(title, str) and title:
        node["title"] = title
    node["position"] = _point(params.get("position"), "position")
    node["config"] = config
    edit = _append(analysis, "nodes", [node_text(node)])
    return GraphEdit([edit], {"id": node_id})


# -- deleteNodes -------------------------------------------------------------------------


def delete_nodes(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    keys = params.get("ids")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise GraphEditError("`ids` must be a list of node ids")
    doc = analysis.document
    chosen = [_node(analysis, key) for key in keys]
    indices = {info.index for info in chosen}
    # Connections name a node by id and resolve to its first node with that id.
    gone = {info.id for info in chosen if info.id is not None and _first(analysis, info)}
    doomed = [
        conn.index
        for conn in doc.connections
        if (conn.source is not None and conn.source.node in gone)
        or (conn.target is not None and conn.target.node in gone)
    ]
    edits = delete_entries(doc.text, _array(analysis, "nodes"), indices)
    if doomed:
        edits += delete_entries(doc.text, _array(analysis, "connections"), doomed)
    return GraphEdit(edits, {"deleted": sorted(keys), "connections": len(doomed)})


# -- moveNodes ---------------------------------------------------------------------------


def move_nodes(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    moves = params.get("moves")
    if not isinstance(moves, list) or not moves:
        raise GraphEditError("`moves` must be a list of {id, x, y}")
    text = analysis.document.text
    edits: list[TextEdit] = []
    seen: set[int] = set()
    for move in moves:
        if not isinstance(move, dict):
            raise GraphEditError("each move must be an object {id, x, y}")
        key = move.get("id")
        if not isinstance(key, str):
            raise GraphEditError("each move needs the node's `id`")
        info = _node(analysis, key)
        if info.index in seen:
            raise GraphEditError(f"node `{key}` is moved twice")
        seen.add(info.index)
        point = _point(move, f"the move of `{key}`")
        obj = _node_object(analysis, info)
        current = obj.get("position")
        rendered = json.dumps(point, separators=(", ", ": "))
        if current is not None:
            edits.append(TextEdit(current.span, rendered))
            continue
        # Canonical place: after id, type, version, title and description.
        before = NODE_KEYS[: NODE_KEYS.index("position")]
        after = max((i for i, p in enumerate(obj.properties) if p.key in before), default=None)
        edit = insert_entry(text, obj, f'"position": {rendered}', after=after)
        if edit is None:
            raise GraphEditError(f"node `{key}` is not a complete JSON object; fix the text first")
        if after is None and obj.properties:  # no canonical predecessor: put it first
            edit = _insert_first(text, obj, f'"position": {rendered}')
        edits.append(edit)
    return GraphEdit(edits, {})


# -- connect / disconnect -----------------------------------------------------------------


def connect(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    source = _endpoint(analysis, params.get("from"), "from", output=True)
    target = _endpoint(analysis, params.get("to"), "to", output=False)
    for conn in analysis.document.connections:
        if _resolved(analysis, conn.value.get("from"), True) == source and (
            _resolved(analysis, conn.value.get("to"), False) == target
        ):
            raise GraphEditError(
                f"`{source[0]}.{source[1]}` is already connected to `{target[0]}.{target[1]}`"
            )
    entry = json.dumps(
        {"from": f"{source[0]}.{source[1]}", "to": f"{target[0]}.{target[1]}"},
        separators=(", ", ": "),
        ensure_ascii=False,
    )
    edit = _append(analysis, "connections", [entry])
    return GraphEdit([edit], {"index": len(analysis.document.connections)})


def disconnect(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    doc = analysis.document
    index = params.get("index")
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool):
            raise GraphEditError("`index` must be the connection's index")
        if not 0 <= index < len(doc.connections):
            raise GraphEditError(f"there is no connection {index}")
        doomed = [index]
    else:
        source = _endpoint(analysis, params.get("from"), "from", output=True, check=False)
        target = _endpoint(analysis, params.get("to"), "to", output=False, check=False)
        doomed = [
            conn.index
            for conn in doc.connections
            if _resolved(analysis, conn.value.get("from"), True) == source
            and _resolved(analysis, conn.value.get("to"), False) == target
        ]
        if not doomed:
            raise GraphEditError(
                f"no connection from `{source[0]}.{source[1]}` to `{target[0]}.{target[1]}`"
            )
    edits = delete_entries(doc.text, _array(analysis, "connections"), doomed)
    return GraphEdit(edits, {"removed": doomed})


# -- setConfig ---------------------------------------------------------------------------


def set_config(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    key = _string(params, "id")
    info = _node(analysis, key)
    path = params.get("path", "")
    if not isinstance(path, str):
        raise GraphEditError("`path` must be a JSON pointer inside the config, such as /method")
    tokens = parse_pointer(path)
    value = params.get("value")
    text = analysis.document.text
    obj = _node_object(analysis, info)
    config = obj.get("config")
    if config is None:  # no config yet: write it whole
        if value is None:
            return GraphEdit([], {})
        edit = insert_entry(text, obj, member_text("config", _nest(tokens, value)))
        return GraphEdit([_complete(edit, key)], {})
    node = config
    for depth, token in enumerate(tokens):
        last = depth == len(tokens) - 1
        if node.kind == "object":
            member = node.member(token)
            if member is None or member.value is None:
                if value is None:
                    return GraphEdit([], {})  # nothing to remove
                entry = member_text(token, _nest(tokens[depth + 1 :], value))
                return GraphEdit([_complete(insert_entry(text, node, entry), key)], {})
            if last:
                if value is None:
                    index = node.properties.index(member)
                    return GraphEdit(delete_entries(text, node, [index]), {})
                return GraphEdit([_replace(text, member.value, value)], {})
            node = member.value
        elif node.kind == "array":
            items = node.items
            if token == "-" or token == str(len(items)):
                if value is None:
                    return GraphEdit([], {})
                entry = json.dumps(_nest(tokens[depth + 1 :], value), indent=2, ensure_ascii=False)
                return GraphEdit([_complete(insert_entry(text, node, entry), key)], {})
            if not re.fullmatch(r"0|[1-9][0-9]*", token) or int(token) >= len(items):
                where = "/" + "/".join(_escape(t) for t in tokens[: depth + 1])
                raise GraphEditError(f"`{where}` is not an element of the config of `{key}`")
            if last:
                if value is None:
                    return GraphEdit(delete_entries(text, node, [int(token)]), {})
                return GraphEdit([_replace(text, items[int(token)], value)], {})
            node = items[int(token)]
        else:
            where = "/" + "/".join(_escape(t) for t in tokens[:depth])
            raise GraphEditError(f"`{where or '/'}` in the config of `{key}` is not an object")
    if value is None:  # the whole config
        index = next(i for i, p in enumerate(obj.properties) if p.value is config)
        return GraphEdit(delete_entries(text, obj, [index]), {})
    if not isinstance(value, dict):
        raise GraphEditError("the config must be a JSON object")
    return GraphEdit([_replace(text, config, value)], {})


def parse_pointer(pointer: str) -> list[str]:
    """RFC 6901: ``""`` is the whole value, ``/a/0/b~1c`` is ``["a", "0", "b/c"]``."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise GraphEditError(f"`{pointer}` is not a JSON pointer: it must start with `/`")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _nest(tokens: list[str], value: JSON) -> JSON:
    """``value`` under the keys ``tokens`` (``-`` or a number makes a list)."""
    for token in reversed(tokens):
        value = [value] if token == "-" or token == "0" else {token: value}
    return value


def _replace(text: str, node: JsonNode, value: JSON) -> TextEdit:
    return TextEdit(node.span, render(value, line_indent(text, node.start)))


# -- renameNode --------------------------------------------------------------------------


def rename_node(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    info = _node(analysis, _string(params, "id"))
    new_id = _string(params, "newId")
    if info.id is None:
        raise GraphEditError("this node has no id to rename")
    doc = analysis.document
    at = doc.string_span((*info.path, "id"), 0, len(info.id))
    found = rename(analysis, at.start, new_id)
    if isinstance(found, str):
        raise GraphEditError(found)
    return GraphEdit(found, {"id": new_id})


# -- pasteNodes --------------------------------------------------------------------------


def paste_nodes(analysis: Analysis, params: dict[str, JSON]) -> GraphEdit:
    nodes = params.get("nodes")
    connections = params.get("connections", [])
    if not isinstance(nodes, list) or not nodes or not all(isinstance(n, dict) for n in nodes):
        raise GraphEditError("`nodes` must be a non-empty list of node objects")
    if not isinstance(connections, list) or not all(isinstance(c, dict) for c in connections):
        raise GraphEditError("`connections` must be a list of connection objects")
    dx, dy = _offset(params.get("offset"))
    taken = _ids(analysis)
    pasted_ids: list[JSON] = [n.get("id") for n in nodes]
    mapping: dict[str, str] = {}
    reserved = taken | {i for i in pasted_ids if isinstance(i, str)}
    renames: list[tuple[str, str]] = []
    for i, node_id in enumerate(pasted_ids):
        valid = isinstance(node_id, str) and NODE_ID.fullmatch(node_id) is not None
        if valid and node_id not in taken and node_id not in mapping:
            mapping[node_id] = node_id
            continue
        base = node_id if isinstance(node_id, str) and node_id else _type_name(nodes[i])
        fresh = unique_id(base, reserved)
        reserved.add(fresh)
        if valid and node_id not in mapping:
            mapping[node_id] = fresh
            renames.append((node_id, fresh))
        else:  # no usable id (or a second node with it): a new one, nothing refers to it
            nodes[i] = {**nodes[i], "id": fresh}
    nodes, connections = _renamed(analysis, nodes, connections, renames)
    known = taken | set(mapping.values())
    kept_connections = []
    for conn in connections:
        ends = [parse_endpoint(conn.get("from")), parse_endpoint(conn.get("to"))]
        if all(end is not None and end.node in known for end in ends):
            kept_connections.append(conn)
    entries = []
    for node in nodes:
        moved = dict(node)
        position = node.get("position")
        point = _position_or_none(position)
        if point is not None:
            moved["position"] = {"x": _whole(point[0] + dx), "y": _whole(point[1] + dy)}
        elif "position" in moved or dx or dy:
            moved["position"] = {"x": _whole(dx), "y": _whole(dy)}
        entries.append(node_text(_canonical_node(moved)))
    edits = [_append(analysis, "nodes", entries)]
    if kept_connections:
        conn_entries = [
            json.dumps(c, separators=(", ", ": "), ensure_ascii=False) for c in kept_connections
        ]
        edits.append(_append(analysis, "connections", conn_entries))
    return GraphEdit(edits, {"ids": mapping, "connections": len(kept_connections)})


def _renamed(
    analysis: Analysis,
    nodes: list[dict[str, JSON]],
    connections: list[dict[str, JSON]],
    renames: list[tuple[str, str]],
) -> tuple[list[dict[str, JSON]], list[dict[str, JSON]]]:
    """The pasted nodes and connections with ``renames`` done by the rename feature on
    a scratch flow holding only them, so that connections, expressions and templates
    follow exactly as they would in the editor."""
    if not renames:
        return nodes, connections
    flow = {"nodeforge": "1", "id": "pasted", "nodes": nodes, "connections": connections}
    text = json.dumps(flow, indent=2, ensure_ascii=False)
    for old, new in renames:
        scratch = analyze(text, "inmemory:///pasted.flow.json", None, analysis.workspace)
        info = scratch.document.node_by_id(old)
        if info is None:
            continue
        at = scratch.document.string_span((*info.path, "id"), 0, len(old))
        found = rename(scratch, at.start, new)
        if isinstance(found, str):
            raise GraphEditError(f"cannot paste `{old}` as `{new}`: {found}")
        text = _applied(text, found)
    value = json.loads(text)
    return list(value["nodes"]), list(value["connections"])


def _applied(text: str, edits: Iterable[TextEdit]) -> str:
    for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
        text = text[: edit.span.start] + edit.new_text + text[edit.span.end :]
    return text


def _canonical_node(node: dict[str, JSON]) -> dict[str, JSON]:
    order = {k: i for i, k in enumerate(NODE_KEYS)}
    return dict(sorted(node.items(), key=lambda kv: order.get(kv[0], len(order))))


def _type_name(node: dict[str, JSON]) -> str:
    type_ = node.get("type")
    return type_.rsplit("/", 1)[-1] if isinstance(type_, str) and type_ else "node"


def _offset(value: JSON) -> tuple[float, float]:
    if value is None:
        return 0.0, 0.0
    x, y = _point(value, "offset").values()
    return float(x), float(y)


def _position_or_none(value: JSON) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    x, y = value.get("x"), value.get("y")
    if isinstance(x, int | float) and isinstance(y, int | float) and _finite(x) and _finite(y):
        return float(x), float(y)
    return None


# -- shared helpers ----------------------------------------------------------------------


def _string(params: dict[str, JSON], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise GraphEditError(f"`{key}` is required (a string)")
    return value


def _finite(value: JSON) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: float) -> int:
    return round(value)


def _point(value: JSON, what: str) -> dict[str, int]:
    """``{x, y}`` as whole canvas units (positions are written rounded)."""
    if not isinstance(value, dict) or not _finite(value.get("x")) or not _finite(value.get("y")):
        raise GraphEditError(f"{what} needs finite numbers `x` and `y`")
    x, y = float(value["x"]), float(value["y"])
    if max(abs(x), abs(y)) > 1e9:
        raise GraphEditError(f"{what} is too far out (more than 1e9 units)")
    return {"x": _whole(x), "y": _whole(y)}


def _ids(analysis: Analysis) -> set[str]:
    return {n.id for n in analysis.document.nodes if n.id is not None}


def _root(analysis: Analysis) -> JsonNode:
    root = analysis.document.root
    if root is None or root.kind != "object" or not closed(analysis.document.text, root):
        raise GraphEditError("the document is not a complete JSON object; fix the text first")
    return root


def _node(analysis: Analysis, key: str) -> NodeInfo:
    """The node a client names: its id (the first node with it, as connections resolve
    ids), or the graph view's key ``#<index>``."""
    nodes = analysis.document.nodes
    if key.startswith("#") and key[1:].isdigit():
        index = int(key[1:])
        if index < len(nodes):
            return nodes[index]
    else:
        found = analysis.document.node_by_id(key)
        if found is not None:
            return found
    raise GraphEditError(f"there is no node `{key}` in this flow")


def _first(analysis: Analysis, info: NodeInfo) -> bool:
    return info.id is not None and analysis.document.node_by_id(info.id) is info


def _node_object(analysis: Analysis, info: NodeInfo) -> JsonNode:
    found = _root(analysis).find(info.path)
    if found is None or found.kind != "object" or not closed(analysis.document.text, found):
        raise GraphEditError(
            f"node `{info.id or info.index}` is not a complete JSON object; fix the text first"
        )
    return found


def _array(analysis: Analysis, member: str) -> JsonNode:
    found = _root(analysis).get(member)
    if found is None or found.kind != "array" or not closed(analysis.document.text, found):
        raise GraphEditError(f"`{member}` is not a complete JSON array; fix the text first")
    return found


def _append(analysis: Analysis, member: str, entries: list[str]) -> TextEdit:
    """Append ``entries`` (each relative to column 0) to the array ``member`` of the
    document, creating the member when the document has none."""
    root = _root(analysis)
    text = analysis.document.text
    if root.member(member) is None:
        inner = ",\n".join("  " + e.replace("\n", "\n  ") for e in entries)
        edit = insert_entry(text, root, f'"{member}": [\n{inner}\n]')
    else:
        array = _array(analysis, member)
        edit = insert_entry(text, array, ",\n".join(entries))
    if edit is None:
        raise GraphEditError(f"`{member}` is not complete JSON; fix the text first")
    return edit


def _insert_first(text: str, obj: JsonNode, entry: str) -> TextEdit:
    """``entry`` as the first member of ``obj`` (which has members)."""
    first = obj.properties[0].span
    if text[obj.start + 1 : first.start].strip() == "" and "\n" in text[obj.start : first.start]:
        indent = line_indent(text, first.start)
        return TextEdit(Span(first.start, first.start), f"{entry},\n{indent}")
    return TextEdit(Span(first.start, first.start), f"{entry}, ")


def _complete(edit: TextEdit | None, key: str) -> TextEdit:
    if edit is None:
        raise GraphEditError(f"the config of `{key}` is not complete JSON; fix the text first")
    return edit


def _unknown_type(analysis: Analysis, type_: str) -> str:
    suggestion = analysis.workspace.catalog.suggest(type_)
    hint = f" (did you mean `{suggestion}`?)" if suggestion else ""
    return f"unknown node type `{type_}`{hint}"


def _ports(manifest: NodeManifest, output: bool) -> dict[str, Any]:
    return dict(manifest.outputs if output else manifest.inputs)


def _endpoint(
    analysis: Analysis, value: JSON, what: str, *, output: bool, check: bool = True
) -> tuple[str, str]:
    """``{node, port?}`` as ``(node id, port)``; the port defaults to the node's only one.
    With ``check``, the port must be one the node's type has in that direction."""
    if not isinstance(value, dict) or not isinstance(value.get("node"), str):
        raise GraphEditError(f"`{what}` must be {{node, port}}")
    info = _node(analysis, value["node"])
    if info.id is None:
        raise GraphEditError(f"node `{value['node']}` has no id to connect to")
    port = value.get("port")
    if port is not None and (not isinstance(port, str) or not port):
        raise GraphEditError(f"the port of `{what}` must be a string")
    manifest = manifest_for(analysis, info.type, info.version)
    direction = "output" if output else "input"
    if manifest is None:
        if port is None:
            raise GraphEditError(f"name the {direction} port of `{info.id}` (its type is unknown)")
        return info.id, port
    ports = _ports(manifest, output)
    if port is None:
        if len(ports) != 1:
            names = ", ".join(ports) or "none"
            raise GraphEditError(f"name the {direction} port of `{info.id}` ({names})")
        return info.id, next(iter(ports))
    if check and port not in ports:
        names = ", ".join(f"`{p}`" for p in ports) or "none"
        raise GraphEditError(
            f"`{info.id}` ({info.type}) has no {direction} port `{port}` (its {direction}s: {names})"
        )
    return info.id, port


def _resolved(analysis: Analysis, raw: JSON, output: bool) -> tuple[str, str] | None:
    """A connection end as written, as ``(node, port)`` (short form resolved)."""
    end = parse_endpoint(raw)
    if end is None:
        return None
    if end.port is not None:
        return end.node, end.port
    info = analysis.document.node_by_id(end.node)
    manifest = manifest_for(analysis, info.type, info.version) if info is not None else None
    ports = _ports(manifest, output) if manifest is not None else {}
    return (end.node, next(iter(ports))) if len(ports) == 1 else None


def _normalized(edits: list[TextEdit], text: str) -> list[TextEdit]:
    """Sorted; inserts at one place merged in order; overlaps are a bug, refused."""
    ordered = sorted(enumerate(edits), key=lambda p: (p[1].span.start, p[1].span.end, p[0]))
    out: list[TextEdit] = []
    for _, edit in ordered:
        if out and out[-1].span.end > edit.span.start:
            raise GraphEditError("internal error: overlapping edits")
        if out and out[-1].span == edit.span and edit.span.start == edit.span.end:
            out[-1] = TextEdit(edit.span, out[-1].new_text + edit.new_text)
            continue
        out.append(edit)
    return out


COMMANDS: dict[str, Callable[[Analysis, dict[str, JSON]], GraphEdit]] = {
    "addNode": add_node,
    "deleteNodes": delete_nodes,
    "moveNodes": move_nodes,
    "connect": connect,
    "disconnect": disconnect,
    "setConfig": set_config,
    "renameNode": rename_node,
    "pasteNodes": paste_nodes,
}
