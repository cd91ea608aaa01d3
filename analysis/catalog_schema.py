"""The flow file JSON Schema with every node's config schema in it
(``nodeforge schema --catalog``).

The published schema (:func:`model.flow_json_schema`) checks a flow's structure; this
one also checks each node's ``config`` against the config schema of its type and
version, so that any JSON-Schema-aware editor validates flows without the extension
(it knows nothing of types flowing between nodes, expressions or the graph).

Each manifest's config schema is moved under ``$defs`` (its own ``$defs`` and local
``$ref``s rewritten to point there), and the node schema gains one branch per type and
version, in one of two styles:

- ``oneOf`` (default): a node must match exactly one branch (type and version as
  ``const``, ``config`` against its schema); an unknown type or version matches none;
- ``if-then``: an ``allOf`` of ``if`` (type and version) / ``then`` (config) per branch,
  plus an ``enum`` of the known type and version pairs: errors are reported on the
  config itself, at the cost of trying every ``if``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any, Literal

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.model import flow_json_schema

Style = Literal["oneOf", "if-then"]
STYLES: tuple[Style, ...] = ("oneOf", "if-then")

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def def_name(manifest: NodeManifest) -> str:
    """The ``$defs`` key of a manifest's config schema: ``config:http/request@1.0.0``
    made safe for a JSON pointer (``config.http.request.1.0.0``)."""
    return "config." + _UNSAFE.sub(".", f"{manifest.type}.{manifest.version}")


def _relocate(schema: Any, base: str) -> Any:
    """A copy of ``schema`` whose local references (``#``, ``#/...``) point inside
    ``#/$defs/<base>``, where the schema is placed."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str) and value.startswith("#"):
                pointer = value[1:]
                out[key] = (
                    f"#/$defs/{base}{pointer}" if pointer.startswith("/") or not pointer else value
                )
            elif key in ("$schema", "$id") and isinstance(value, str):
                continue  # one document: its dialect and base are the flow schema's
            else:
                out[key] = _relocate(value, base)
        return out
    if isinstance(schema, list):
        return [_relocate(item, base) for item in schema]
    return schema


def _requires_keys(config_schema: Any) -> bool:
    required = config_schema.get("required") if isinstance(config_schema, dict) else None
    return isinstance(required, list) and bool(required)


def _node_def(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs", {})
    node = defs.get("Node")
    if not isinstance(node, dict):
        raise ValueError("the flow schema has no $defs/Node")
    return node


def flow_schema_with_catalog(
    manifests: Iterable[NodeManifest], *, style: Style = "oneOf"
) -> dict[str, Any]:
    """The flow file schema whose nodes' configs are checked against ``manifests``."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r} (one of {', '.join(STYLES)})")
    schema = copy.deepcopy(flow_json_schema())
    schema["$id"] = "https://nodeforge.dev/schemas/flow-catalog.schema.json"
    schema["title"] = "Nodeforge flow file (with the catalog's node configs)"
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    node = _node_def(schema)
    branches: list[dict[str, Any]] = []
    known: list[dict[str, str]] = []
    for manifest in manifests:
        name = def_name(manifest)
        defs[name] = _relocate(manifest.config_schema, name)
        ident = {
            "type": {"const": manifest.type},
            "version": {"const": manifest.version},
        }
        known.append({"type": manifest.type, "version": manifest.version})
        config_ref = {"$ref": f"#/$defs/{name}"}
        required = ["type", "version"]
        if _requires_keys(manifest.config_schema):
            required.append("config")
        if style == "oneOf":
            branches.append({"properties": {**ident, "config": config_ref}, "required": required})
        else:
            then: dict[str, Any] = {"properties": {"config": config_ref}}
            if "config" in required:
                then["required"] = ["config"]
            branches.append(
                {"if": {"properties": ident, "required": ["type", "version"]}, "then": then}
            )
    if style == "oneOf":
        node["oneOf"] = branches
    else:
        pairs = [
            {"properties": {"type": {"const": k["type"]}, "version": {"const": k["version"]}}}
            for k in known
        ]
        node["allOf"] = [*branches, {"anyOf": pairs}]
    return schema


def flow_schema_with_catalog_text(
    manifests: Iterable[NodeManifest], *, style: Style = "oneOf"
) -> str:
    return (
        json.dumps(flow_schema_with_catalog(manifests, style=style), indent=2, sort_keys=True)
        + "\n"
    )
