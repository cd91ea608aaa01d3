"""Markdown for node types, ports and versions, shared by completion and hover."""

from __future__ import annotations

from nodeforge.analysis.catalog import NodeManifest, PortSpec
from nodeforge.analysis.engine import NodeFacts, resolve_port_schema
from nodeforge.analysis.types import ANY, Type, describe


def port_type(
    spec: PortSpec,
    facts: NodeFacts | None,
    port: str,
    *,
    output: bool,
    manifest: NodeManifest | None = None,
) -> Type:
    """The type of a port: the engine's resolved type if known, else the manifest's schema
    (``manifest``, else the facts', gives the config defaults it may depend on)."""
    if facts is not None:
        known = facts.output_types if output else facts.declared_inputs
        if port in known:
            return known[port]
    config = facts.node.config if facts is not None else {}
    if manifest is None and facts is not None:
        manifest = facts.manifest
    defaults = manifest.config_defaults if manifest is not None else {}
    return resolve_port_schema(spec.schema_, config, {}, lambda _path: ANY, defaults)


def ports_markdown(manifest: NodeManifest, facts: NodeFacts | None) -> list[str]:
    lines: list[str] = []
    for title, ports, output in (
        ("Inputs", manifest.inputs, False),
        ("Outputs", manifest.outputs, True),
    ):
        if not ports:
            continue
        lines += ["", f"**{title}**", ""]
        for name, spec in ports.items():
            t = describe(port_type(spec, facts, name, output=output, manifest=manifest))
            optional = "" if spec.required or output else " (optional)"
            lines.append(f"- `{name}`{optional}: `{t}` — {spec.description}")
    return lines


def node_type_markdown(manifest: NodeManifest, facts: NodeFacts | None = None) -> str:
    lines = [f"### {manifest.title}", "", f"`{manifest.type}@{manifest.version}` · {manifest.kind}"]
    if manifest.deprecated:
        lines += ["", f"**Deprecated**: {manifest.deprecated}"]
    if manifest.description:
        lines += ["", manifest.description.strip()]
    lines += ports_markdown(manifest, facts)
    if manifest.connectors:
        lines += ["", f"**Connectors**: {', '.join(manifest.connectors)}"]
    return "\n".join(lines)


def version_markdown(manifest: NodeManifest, versions: list[str]) -> str:
    newest = versions[-1] if versions else manifest.version
    lines = [
        f"`{manifest.type}@{manifest.version}`"
        + (" (newest)" if newest == manifest.version else "")
    ]
    if manifest.deprecated:
        lines += ["", f"**Deprecated**: {manifest.deprecated}"]
    for migration in manifest.migrations:
        if migration.notes:
            lines += ["", f"From {migration.from_}: {migration.notes}"]
    if versions:
        lines += ["", "Versions: " + ", ".join(f"`{v}`" for v in reversed(versions))]
    return "\n".join(lines)
