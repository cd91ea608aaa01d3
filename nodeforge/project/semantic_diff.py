"""What changed between two versions of a flow, in the flow's own terms.

Nodes are matched by id: added, removed, or changed (type, version, title, position and
each config value that differs, by config path). Connections are compared as a set of
``from -> to`` pairs, tests by name, and the top-level fields (name, description, ...)
one by one. A unified diff of the canonical texts comes with it.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

_NODE_FIELDS = ("type", "version", "title", "description", "position")


@dataclass(frozen=True, slots=True)
class ValueChange:
    path: str  # e.g. "config.headers.Authorization"
    before: Any  # None when ``kind`` is "added"
    after: Any  # None when ``kind`` is "removed"
    kind: str = "changed"  # "added", "removed" or "changed"


@dataclass(slots=True)
class NodeChange:
    id: str
    changes: list[ValueChange] = field(default_factory=list)


@dataclass(slots=True)
class FlowDiff:
    a_label: str
    b_label: str
    nodes_added: list[dict[str, Any]] = field(default_factory=list)  # {id, type, version}
    nodes_removed: list[dict[str, Any]] = field(default_factory=list)
    nodes_changed: list[NodeChange] = field(default_factory=list)
    connections_added: list[str] = field(default_factory=list)
    connections_removed: list[str] = field(default_factory=list)
    flow_changes: list[ValueChange] = field(default_factory=list)  # top-level fields
    tests_added: list[str] = field(default_factory=list)
    tests_removed: list[str] = field(default_factory=list)
    tests_changed: list[str] = field(default_factory=list)
    text_diff: str = ""
    parse_errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.text_diff

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        parts = []
        for n, word in (
            (len(self.nodes_added), "node(s) added"),
            (len(self.nodes_removed), "node(s) removed"),
            (len(self.nodes_changed), "node(s) changed"),
            (len(self.connections_added), "connection(s) added"),
            (len(self.connections_removed), "connection(s) removed"),
        ):
            if n:
                parts.append(f"{n} {word}")
        return ", ".join(parts) if parts else "no flow changes"

    def render(self, *, text: bool = True) -> str:
        """A human-readable report (the CLI's text format)."""
        out = [f"--- {self.a_label}", f"+++ {self.b_label}", f"summary: {self.summary()}"]
        out.extend(f"! {e}" for e in self.parse_errors)
        for c in self.flow_changes:
            out.append(f"~ flow {c.path}: {_short(c.before)} -> {_short(c.after)}")
        for n in self.nodes_added:
            out.append(f"+ node {n['id']} ({n.get('type')}@{n.get('version')})")
        for n in self.nodes_removed:
            out.append(f"- node {n['id']} ({n.get('type')}@{n.get('version')})")
        for nc in self.nodes_changed:
            out.append(f"~ node {nc.id}")
            for c in nc.changes:
                if c.kind == "added":
                    out.append(f"    + {c.path} = {_short(c.after)}")
                elif c.kind == "removed":
                    out.append(f"    - {c.path} (was {_short(c.before)})")
                else:
                    out.append(f"    ~ {c.path}: {_short(c.before)} -> {_short(c.after)}")
        out.extend(f"+ connection {c}" for c in self.connections_added)
        out.extend(f"- connection {c}" for c in self.connections_removed)
        out.extend(f"+ test {t}" for t in self.tests_added)
        out.extend(f"- test {t}" for t in self.tests_removed)
        out.extend(f"~ test {t}" for t in self.tests_changed)
        if text and self.text_diff:
            out.append("")
            out.append(self.text_diff.rstrip("\n"))
        return "\n".join(out) + "\n"


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _load(text: str, label: str, errors: list[str]) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.append(f"{label} is not valid JSON ({exc.msg} at line {exc.lineno})")
        return {}
    if not isinstance(data, dict):
        errors.append(f"{label} is not a JSON object")
        return {}
    return data


def _by_id(items: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            key = item.get("id")
            out[str(key) if isinstance(key, str) else f"#{i}"] = item
    return out


def _value_changes(before: Any, after: Any, prefix: str) -> list[ValueChange]:
    """Leaf-level differences between two JSON values (objects are walked key by key)."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[ValueChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in after:
                out.append(ValueChange(path, before[key], None, "removed"))
            elif key not in before:
                out.append(ValueChange(path, None, after[key], "added"))
            else:
                out.extend(_value_changes(before[key], after[key], path))
        return out
    return [ValueChange(prefix, before, after)]


def _field_changes(a: dict[str, Any], b: dict[str, Any], key: str) -> list[ValueChange]:
    if key not in b:
        return [ValueChange(key, a[key], None, "removed")]
    if key not in a:
        return [ValueChange(key, None, b[key], "added")]
    return _value_changes(a[key], b[key], key)


def _connections(data: dict[str, Any]) -> list[str]:
    out = []
    for c in data.get("connections", []) if isinstance(data.get("connections"), list) else []:
        if isinstance(c, dict):
            out.append(f"{c.get('from')} -> {c.get('to')}")
    return out


def diff_flows(a_text: str, b_text: str, a_label: str = "a", b_label: str = "b") -> FlowDiff:
    """The semantic and textual difference from ``a_text`` to ``b_text``."""
    from nodeforge.analysis.ide import format_document

    result = FlowDiff(a_label, b_label)
    a_canon = format_document(a_text) or a_text
    b_canon = format_document(b_text) or b_text
    result.text_diff = "".join(
        difflib.unified_diff(
            a_canon.splitlines(keepends=True),
            b_canon.splitlines(keepends=True),
            fromfile=a_label,
            tofile=b_label,
        )
    )
    a = _load(a_text, a_label, result.parse_errors)
    b = _load(b_text, b_label, result.parse_errors)
    for key in list(a) + [k for k in b if k not in a]:
        if key in ("nodes", "connections", "tests"):
            continue
        result.flow_changes.extend(_field_changes(a, b, str(key)))
    a_nodes, b_nodes = _by_id(a.get("nodes")), _by_id(b.get("nodes"))
    for node_id, node in b_nodes.items():
        if node_id not in a_nodes:
            result.nodes_added.append(
                {"id": node_id, "type": node.get("type"), "version": node.get("version")}
            )
    for node_id, node in a_nodes.items():
        if node_id not in b_nodes:
            result.nodes_removed.append(
                {"id": node_id, "type": node.get("type"), "version": node.get("version")}
            )
            continue
        other = b_nodes[node_id]
        change = NodeChange(node_id)
        keys = list(node) + [k for k in other if k not in node]
        for key in keys:
            if key == "id":
                continue
            if key in _NODE_FIELDS and key in node and key in other:
                if node[key] != other[key]:
                    change.changes.append(ValueChange(key, node[key], other[key]))
            else:
                change.changes.extend(_field_changes(node, other, key))
        if change.changes:
            result.nodes_changed.append(change)
    a_conn, b_conn = _connections(a), _connections(b)
    result.connections_added = [c for c in b_conn if c not in a_conn]
    result.connections_removed = [c for c in a_conn if c not in b_conn]
    a_tests = {str(t.get("name")): t for t in a.get("tests", []) or [] if isinstance(t, dict)}
    b_tests = {str(t.get("name")): t for t in b.get("tests", []) or [] if isinstance(t, dict)}
    result.tests_added = [t for t in b_tests if t not in a_tests]
    result.tests_removed = [t for t in a_tests if t not in b_tests]
    result.tests_changed = [t for t in a_tests if t in b_tests and a_tests[t] != b_tests[t]]
    return result
