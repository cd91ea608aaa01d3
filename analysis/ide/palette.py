"""The palette of a visual editor: a workspace's node types and connectors as plain data.

What a canvas needs to offer nodes to drop (``nodeforge/catalog``): categories with
their types, each type's versions (title, description, icon, kind, ports with their
types, config JSON Schema and required config, deprecation, where it comes from:
the standard catalog, a custom node of the workspace or a fork), and the workspace's
connectors by name and type. Connector secrets never appear: the workspace only
knows names and types (``nodeforge.toml``); secrets stay encrypted under
``.nodeforge/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import Catalog, NodeManifest, semver_key
from nodeforge.analysis.types import describe
from nodeforge.analysis.workspace import Workspace

from .docs import port_type


def palette(workspace: Workspace) -> dict[str, Any]:
    """``{categories: [{name, types}], types: [...], connectors: [{name, type}]}``."""
    catalog = workspace.catalog
    standard = Catalog.standard_dir().resolve()
    types: list[dict[str, Any]] = []
    categories: dict[str, list[str]] = {}
    for type_ in catalog.types():
        versions = catalog.versions(type_)
        manifests = [m for m in (catalog.get(type_, v) for v in versions) if m is not None]
        latest = catalog.latest(type_)
        if latest is None or not manifests:
            continue
        categories.setdefault(latest.category, []).append(type_)
        types.append(
            {
                "type": type_,
                "category": latest.category,
                "latest": latest.version,
                "versions": [
                    _version(m, workspace, standard)
                    for m in sorted(manifests, key=lambda m: semver_key(m.version), reverse=True)
                ],
            }
        )
    return {
        "categories": [{"name": name, "types": categories[name]} for name in sorted(categories)],
        "types": types,
        "connectors": [
            {"name": name, "type": kind} for name, kind in sorted(workspace.connectors.items())
        ],
    }


def _version(manifest: NodeManifest, workspace: Workspace, standard: Path) -> dict[str, Any]:
    fork = workspace.forks.get((manifest.type, manifest.version))
    origin = "standard"
    if fork is not None:
        origin = "fork"
    elif manifest.path != Path() and not _under(manifest.path, standard):
        origin = "custom"
    return {
        "version": manifest.version,
        "title": manifest.title,
        "description": manifest.description,
        "icon": manifest.icon,
        "kind": manifest.kind,
        "deprecated": manifest.deprecated,
        "origin": origin,
        "forkedFrom": {"type": fork[0], "version": fork[1]} if fork is not None else None,
        "inputs": _ports(manifest, output=False),
        "outputs": _ports(manifest, output=True),
        "configSchema": manifest.config_schema,
        "defaultConfig": manifest.default_config(),
        "required": manifest.required_keys,
        "connectorTypes": list(manifest.connectors),
        "expressions": list(manifest.expressions),
        "templates": list(manifest.templates),
    }


def _ports(manifest: NodeManifest, *, output: bool) -> list[dict[str, Any]]:
    specs = manifest.outputs if output else manifest.inputs
    return [
        {
            "name": name,
            "type": describe(port_type(spec, None, name, output=output, manifest=manifest)),
            "required": spec.required or output,
            "description": spec.description,
            "schema": spec.schema_,
        }
        for name, spec in specs.items()
    ]


def _under(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder)
    except OSError:
        return False
