"""The compact view of the catalog and the workspace that every assistant request carries.

It is paid on every request, so it is small: one block per node type (its latest
version, older versions named only), its config keys with their types (required keys
marked, enums and defaults shown, descriptions cut to their first sentence), its ports
and their types; then the workspace's connectors **by name and type** (read from
``nodeforge.toml``, which never holds settings), and the current flow when one is edited.

Never in it: connector settings (passwords, keys, URLs), the values of ``env`` or of
the process environment. The flow's own text is the user's document (flows name
connectors and ``env.NAME`` variables, they never hold their values).

Sizes are estimated in tokens as ``ceil(chars / 4)`` (:func:`estimate_tokens`), the usual
rule of thumb for English and JSON with the GPT and Claude tokenizers (measured figures
in ``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from nodeforge.analysis.catalog import NodeManifest, semver_key
from nodeforge.analysis.workspace import Workspace

#: A description is cut to its first sentence, and to this many characters.
MAX_DESCRIPTION = 110
#: Object types list at most this many fields before "...".
MAX_FIELDS = 12
MAX_DEPTH = 4


def estimate_tokens(text: str) -> int:
    """Tokens of ``text`` by the chars / 4 rule (rounded up)."""
    return math.ceil(len(text) / 4)


def first_sentence(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """The first sentence of a description, markdown markers dropped, at most ``limit``."""
    flat = " ".join(text.replace("**", "").split())
    m = re.match(r"(.+?[.!?])(\s|$)", flat)
    out = m.group(1) if m else flat
    return out if len(out) <= limit else out[: limit - 3].rstrip() + "..."


def schema_text(schema: Any, depth: int = 0) -> str:
    """A port or config schema in a compact type notation: ``{sku: string, qty?: integer}``,
    ``string[]``, ``"GET"|"POST"``; derivation operators as ``<...>``."""
    if not isinstance(schema, Mapping) or not schema:
        return "any"
    if depth > MAX_DEPTH:
        return "..."
    if "$config" in schema:
        return f"<schema in config.{schema['$config']}>"
    if "$input" in schema:
        return f"<type of input {schema['$input']}>"
    if "$expr" in schema:
        return f"<type of expression config.{schema['$expr']}>"
    if "$exprItems" in schema:
        return f"<element type of expression config.{schema['$exprItems']}>"
    if "$exprObject" in schema:
        return f"<object of config.{schema['$exprObject']}'s expressions>"
    if "$flowAnswer" in schema:
        return f"<answer of the flow named by config.{schema['$flowAnswer']}>"
    if "$merge" in schema:
        parts = schema["$merge"] if isinstance(schema["$merge"], list) else []
        return " & ".join(schema_text(p, depth + 1) for p in parts) or "object"
    if "$if" in schema:
        then = schema_text(schema.get("then"), depth + 1)
        other = schema_text(schema.get("else"), depth + 1)
        return f"(config.{schema['$if']} ? {then} : {other})"
    if "enum" in schema and isinstance(schema["enum"], list):
        return "|".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(schema_text({**schema, "type": k}, depth) for k in kind)
    if kind == "array":
        inner = schema_text(schema.get("items"), depth + 1)
        return f"({inner})[]" if "|" in inner else f"{inner}[]"
    if kind == "object" or "properties" in schema:
        props = schema.get("properties")
        if not isinstance(props, Mapping) or not props:
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping):
                return f"map<string, {schema_text(extra, depth + 1)}>"
            return "object"
        required = set(schema.get("required") or ())
        fields = []
        for i, (name, sub) in enumerate(props.items()):
            if i == MAX_FIELDS:
                fields.append("...")
                break
            mark = "" if name in required else "?"
            fields.append(f"{name}{mark}: {schema_text(sub, depth + 1)}")
        return "{" + ", ".join(fields) + "}"
    if isinstance(kind, str):
        fmt = schema.get("format")
        return f"{kind}({fmt})" if isinstance(fmt, str) else kind
    return "any"


ERROR_TYPE = "{message: string, code: string, retryable: boolean}"


def _port_text(schema: Any) -> str:
    text = schema_text(schema)
    return "Error" if text == ERROR_TYPE else text


def _config_text(manifest: NodeManifest) -> str:
    schema = manifest.config_schema
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(props, Mapping) or not props:
        return "{}"
    required = set(schema.get("required") or ())
    expressions = {p.split(".")[0].split("[")[0] for p in manifest.expressions}
    templates = {p.split(".")[0].split("[")[0] for p in manifest.templates}
    parts = []
    for name, sub in props.items():
        mark = "" if name in required else "?"
        text = schema_text(sub, 1)
        if name in expressions:
            text += " (expression)"
        elif name in templates:
            text += " (template)"
        if isinstance(sub, Mapping) and "default" in sub and name not in required:
            default = json.dumps(sub["default"], separators=(",", ":"))
            if len(default) <= 24:
                text += f" ={default}"
        parts.append(f"{name}{mark}: {text}")
    return "{" + "; ".join(parts) + "}"


def node_block(manifest: NodeManifest, older: Iterable[str] = ()) -> str:
    """One node type: a header line, its config, its ports."""
    versions = f" (older: {', '.join(older)})" if older else ""
    deprecated = " DEPRECATED" if manifest.deprecated else ""
    lines = [
        f"{manifest.type} {manifest.version} [{manifest.kind}]{deprecated}{versions}: "
        f"{first_sentence(manifest.description)}",
        f"  config {_config_text(manifest)}",
    ]
    if manifest.connectors:
        lines.append(f"  connector types: {', '.join(manifest.connectors)}")
    if manifest.inputs:
        ins = ", ".join(f"{n}: {schema_text(p.schema_)}" for n, p in manifest.inputs.items())
        lines.append(f"  in {ins}")
    if manifest.outputs:
        outs = ", ".join(f"{n}: {_port_text(p.schema_)}" for n, p in manifest.outputs.items())
        lines.append(f"  out {outs}")
    return "\n".join(lines)


def catalog_text(workspace: Workspace) -> str:
    """Every node type of the workspace's catalog (standard and custom), latest first."""
    catalog = workspace.catalog
    blocks = []
    for type_ in sorted(catalog.types()):
        versions = sorted(catalog.versions(type_), key=semver_key)
        latest = catalog.latest(type_)
        if latest is None:
            continue
        older = [v for v in versions if v != latest.version]
        blocks.append(node_block(latest, older))
    return "\n".join(blocks)


def connectors_text(workspace: Workspace) -> str:
    """The workspace's connectors by name and type (never their settings)."""
    if not workspace.connectors:
        return "(none: nodes that need one cannot be used until one is added)"
    return ", ".join(f"{name} ({kind})" for name, kind in sorted(workspace.connectors.items()))


RULES = """\
Flow file rules: {"nodeforge": "1", "id": "snake_case", "name": "...", "nodes": [...],
"connections": [{"from": "node.port", "to": "node.port"}]}. A node is {"id": "snake_case",
"type": "category/name", "version": "x.y.z", "config": {...}}. Use the exact versions
listed. Expressions are CEL-like: input.field, nodes.<id>.<port>.field, env.NAME,
size(x), has(x.f), string(x), int(x), double(x), a ? b : c, ==, &&, ||, in.
Templates use {{ expression }}. Connectors are named by config.connector (a name below,
of a matching type). HTTP triggers need an http/respond on every path. Error = {message: string,
code: string, retryable: boolean}: an unconnected error port fails the execution."""


def build_context(workspace: Workspace, *, flow_text: str | None = None) -> str:
    """The whole context of a request: rules, catalog, connectors, the current flow."""
    parts = [
        RULES,
        "Node types (type version [kind]: summary; config keys, `?` = optional; ports):",
        catalog_text(workspace),
        f"Workspace connectors: {connectors_text(workspace)}",
    ]
    if flow_text is not None:
        parts.append("The current flow:\n" + flow_text.strip())
    return "\n\n".join(parts)
