"""Lookups the editor features share: a node's manifest, config sub-schemas, sites.

Everything here answers from one node or one path, never by walking the whole
document, so that completion and hover stay within their budgets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nodeforge.analysis.catalog import (
    NodeManifest,
    json_type,
    match_config_path,
    parse_path_pattern,
)
from nodeforge.analysis.engine import Analysis, NodeFacts
from nodeforge.analysis.expressions import TypeEnv
from nodeforge.analysis.flow import JsonPath, NodeInfo
from nodeforge.analysis.jsontree import JsonNode
from nodeforge.analysis.loops import collect_env, is_collect_site
from nodeforge.analysis.types import Type

TOP_LEVEL_KEYS = ("nodeforge", "id", "name", "description", "nodes", "connections", "tests")
NODE_KEYS = ("id", "type", "version", "title", "description", "position", "config")
CONNECTION_KEYS = ("from", "to")
TEST_KEYS = ("name", "trigger", "input", "expect", "fixtures")

TOP_LEVEL_DOCS = {
    "nodeforge": 'Format version of the flow file; always `"1"`.',
    "id": "Flow identifier, `[a-z][a-z0-9_]*`; sub-flow calls use it.",
    "name": "Display name of the flow.",
    "description": "Notes for readers of the flow.",
    "nodes": "The nodes of the flow: typed, versioned steps.",
    "connections": 'Directed edges `{"from": "node.output", "to": "node.input"}`.',
    "tests": "Flow-level tests run by `nodeforge test`.",
}
NODE_DOCS = {
    "id": "Identifier used by connections and expressions, `[a-z][a-z0-9_]*`, unique in the flow.",
    "type": "Node type, `category/name`, from the catalog or the workspace's `nodes/`.",
    "version": "Exact version of the node type (`MAJOR.MINOR.PATCH`).",
    "title": "Display name; analysis ignores it.",
    "description": "Notes for readers of the flow; analysis ignores it.",
    "position": '`{"x": number, "y": number}` for the visual editor.',
    "config": "The node's configuration, checked against its config schema.",
}
TEST_DOCS = {
    "name": "What the test checks.",
    "trigger": "The trigger node to fire.",
    "input": "The trigger's output data for this test.",
    "expect": "Expected result (for HTTP flows: `status` and `body`).",
    "fixtures": "Pinned output per node id, instead of real I/O.",
}


def node_object(analysis: Analysis, index: int) -> JsonNode | None:
    root = analysis.document.root
    if root is None:
        return None
    node = root.find(("nodes", index))
    return node if node is not None and node.kind == "object" else None


def node_info(analysis: Analysis, index: int) -> NodeInfo | None:
    nodes = analysis.document.nodes
    return nodes[index] if 0 <= index < len(nodes) else None


def manifest_for(analysis: Analysis, type_: Any, version: Any) -> NodeManifest | None:
    """The manifest of ``type_@version``, or the newest of ``type_`` when the version is unknown."""
    if not isinstance(type_, str):
        return None
    catalog = analysis.workspace.catalog
    if isinstance(version, str):
        exact = catalog.get(type_, version)
        if exact is not None:
            return exact
    return catalog.latest(type_, include_prerelease=True)


def manifest_of_node(analysis: Analysis, index: int) -> NodeManifest | None:
    info = node_info(analysis, index)
    if info is None:
        return None
    return manifest_for(analysis, info.type, info.version)


def facts_of_node(analysis: Analysis, index: int) -> NodeFacts | None:
    """The engine's facts for the node at ``index`` (None for nodes it did not type)."""
    info = node_info(analysis, index)
    if info is None or info.id is None:
        return None
    facts = analysis.facts.get(info.id)
    return facts if facts is not None and facts.node.index == index else None


def node_index_by_id(analysis: Analysis, node_id: str) -> int | None:
    facts = analysis.facts.get(node_id)
    if facts is not None:
        return facts.node.index
    node = analysis.document.node_by_id(node_id)
    return node.index if node is not None else None


def output_type(analysis: Analysis, node_id: str, port: str) -> Type | None:
    facts = analysis.facts.get(node_id)
    return facts.output_types.get(port) if facts is not None else None


def input_type(analysis: Analysis, node_id: str, port: str) -> Type | None:
    facts = analysis.facts.get(node_id)
    return facts.declared_inputs.get(port) if facts is not None else None


# -- config schemas ---------------------------------------------------------------


def schema_at(schema: Any, path: tuple[str | int, ...]) -> dict[str, Any] | None:
    """The sub-schema that describes the config value at ``path``."""
    node: Any = schema
    for segment in path:
        if not isinstance(node, dict):
            return None
        node = _merged(node)
        if isinstance(segment, int):
            node = node.get("items")
            continue
        props = node.get("properties")
        if isinstance(props, dict) and segment in props:
            node = props[segment]
            continue
        extra = node.get("additionalProperties")
        node = extra if isinstance(extra, dict) else ({} if extra in (True, None) else None)
    return _merged(node) if isinstance(node, dict) else None


def _merged(schema: dict[str, Any]) -> dict[str, Any]:
    """``allOf`` parts folded in; ``anyOf``/``oneOf`` contribute their properties."""
    if not any(k in schema for k in ("allOf", "anyOf", "oneOf")):
        return schema
    out = dict(schema)
    props: dict[str, Any] = dict(schema.get("properties") or {})
    for combinator in ("allOf", "anyOf", "oneOf"):
        parts = schema.get(combinator)
        if not isinstance(parts, list):
            continue
        for part in parts:
            if isinstance(part, dict):
                for key, sub in (part.get("properties") or {}).items():
                    props.setdefault(key, sub)
                if "type" in part and "type" not in out:
                    out["type"] = part["type"]
    if props:
        out["properties"] = props
    return out


def schema_types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    if "enum" in schema:
        return sorted({json_type(v) for v in schema["enum"]})
    if "properties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return []


def schema_label(schema: dict[str, Any]) -> str:
    """A short type label: ``string``, ``"GET" | "POST"``, ``list<string>``, ``integer >= 1``."""
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        shown = [dump(v) for v in enum[:8]]
        return " | ".join(shown + (["…"] if len(enum) > 8 else []))
    if "const" in schema:
        return dump(schema["const"])
    types = schema_types(schema)
    parts = []
    for t in types or ["any"]:
        if t == "array" and isinstance(schema.get("items"), dict):
            item_types = schema_types(schema["items"])
            parts.append(f"list<{' | '.join(item_types) or 'any'}>")
        elif t == "array":
            parts.append("list")
        else:
            parts.append(t)
    label = " | ".join(parts)
    if "minimum" in schema:
        label += f" ≥ {schema['minimum']}"
    if "maximum" in schema:
        label += f" ≤ {schema['maximum']}"
    return label


def property_markdown(key: str, schema: dict[str, Any], required: bool) -> str:
    lines = [f"**{key}**: `{schema_label(schema)}`" + (" (required)" if required else "")]
    description = schema.get("description")
    if isinstance(description, str) and description:
        lines += ["", description]
    if "default" in schema:
        lines += ["", f"Default: `{dump(schema['default'])}`"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        lines += ["", f"Example: `{dump(examples[0])}`"]
    return "\n".join(lines)


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- expression sites ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteKind:
    """Whether the config string at a path is an expression or a template, and its scope."""

    is_template: bool
    env: TypeEnv


def expression_kind(analysis: Analysis, path: JsonPath) -> SiteKind | None:
    """The site kind of the string at document ``path``, or None for a plain string."""
    if len(path) < 4 or path[0] != "nodes" or path[2] != "config":
        return None
    index = path[1]
    if not isinstance(index, int):
        return None
    manifest = manifest_of_node(analysis, index)
    if manifest is None:
        return None
    config_path = path[3:]
    is_template: bool | None = None
    for pattern in manifest.expressions:
        if match_config_path(parse_path_pattern(pattern), config_path):
            is_template = False
            break
    else:
        for pattern in manifest.templates:
            if match_config_path(parse_path_pattern(pattern), config_path):
                is_template = True
                break
    if is_template is None:
        return None
    facts = facts_of_node(analysis, index)
    env = analysis.env_of(facts) if facts is not None else None
    if env is None:
        known = frozenset(n.id for n in analysis.document.nodes if n.id is not None)
        env = TypeEnv(known_nodes=known)
    elif facts is not None and is_collect_site(manifest, config_path):
        env = collect_env(env, facts.output_types.get("item"))  # `input` is the element
    return SiteKind(is_template, env)
