"""Generate ``docs/catalog.md``, the reference of the standard node catalog.

Usage::

    python -m nodeforge.gendocs_catalog            # rewrite docs/catalog.md
    python -m nodeforge.gendocs_catalog --check    # exit 1 if docs/catalog.md is stale
    python -m nodeforge.gendocs_catalog -o FILE    # write elsewhere

The page is assembled from the node kits (``analysis/kits.py``): the pack's introduction
(``catalog/doc.md``), then per type and version the manifest's data (title, description,
config table, ports, expressions, connectors, simulation, examples, migrations) around
the prose of the kit's own documentation page source (``doc.md`` in its folder). The
output depends only on those files, so it is deterministic (a test checks that the
committed file is up to date, and that every standard kit has its ``doc.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import (
    Catalog,
    NodeManifest,
    match_config_path,
    parse_path_pattern,
)
from nodeforge.analysis.kits import DOC_FILE

HEADER = """\
<!--
  GENERATED FILE: do not edit by hand.
  Source: catalog/doc.md, and per node kit catalog/<category>/<name>/<version>/node.json
  and doc.md
  Regenerate: python -m nodeforge.gendocs_catalog
-->
"""

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "catalog.md"


def _cell(text: str) -> str:
    """Markdown table cell: one line, pipes escaped."""
    text = text.strip().replace("|", "\\|")
    return "<br>".join(p.replace("\n", " ") for p in text.split("\n\n"))


def _code(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return "`` " + text + " ``" if "`" in text else f"`{text}`"


def _slug(type_: str) -> str:
    return type_.replace("/", "")


def _schema_type(schema: dict[str, Any]) -> str:
    t = schema.get("type")
    if isinstance(t, list):
        base = " \\| ".join(str(x) for x in t)
    elif t == "array":
        items = schema.get("items")
        inner = _schema_type(items) if isinstance(items, dict) else "any"
        base = f"list of {inner}"
    elif t == "object" and isinstance(schema.get("additionalProperties"), dict):
        base = f"object of {_schema_type(schema['additionalProperties'])}"
    elif isinstance(t, str):
        base = t
    else:
        base = "any"
    if "enum" in schema:
        base += ": " + ", ".join(_code(v) for v in schema["enum"])
    return base


def _kind_of(manifest: NodeManifest, key: str) -> str:
    """`expression`, `template` or '' for the values under one top-level config key."""
    for attr, label in (("expressions", "expression"), ("templates", "template")):
        for pat in getattr(manifest, attr):
            parsed = parse_path_pattern(pat)
            if parsed[0] != key:
                continue
            if len(parsed) == 1 or match_config_path(parsed, (key,)):
                return label
            return f"{label}s inside"
    return ""


def _config_table(m: NodeManifest) -> list[str]:
    props = m.properties
    if not props:
        return ["This node has no configuration.", ""]
    required = set(m.required_keys)
    lines = [
        "| key | type | default | required | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, sub in props.items():
        sub = sub if isinstance(sub, dict) else {}
        typ = _schema_type(sub)
        kind = _kind_of(m, key)
        if kind:
            typ += f" ({kind})"
        default = _code(sub["default"]) if "default" in sub else ""
        desc = str(sub.get("description", ""))
        bounds = [
            f"{label} {sub[k]}"
            for k, label in (
                ("minimum", "min"),
                ("maximum", "max"),
                ("minItems", "min items"),
                ("maxItems", "max items"),
            )
            if k in sub
        ]
        if bounds:
            desc += f" ({', '.join(bounds)})"
        if "examples" in sub and "default" not in sub:
            desc += "\n\nExample: " + _code(sub["examples"][0])
        req = "yes" if key in required else ""
        lines.append(f"| `{key}` | {_cell(typ)} | {_cell(default)} | {req} | {_cell(desc)} |")
    lines.append("")
    return lines


def _ports(title: str, ports: dict[str, Any], optional_flag: bool) -> list[str]:
    lines = [f"**{title}**", ""]
    if not ports:
        lines += ["None.", ""]
        return lines
    for name, spec in ports.items():
        note = " (optional)" if optional_flag and not spec.required else ""
        lines.append(f"- `{name}`{note}: {spec.description}")
        lines.append("")
        lines.append("  ```json")
        body = json.dumps(spec.schema_, indent=2, ensure_ascii=False)
        lines += [f"  {line}" for line in body.splitlines()]
        lines.append("  ```")
        lines.append("")
    return lines


def kit_doc(m: NodeManifest) -> str:
    """The prose of a kit's documentation page source (``doc.md`` beside its manifest),
    with its headings moved below the page's (``#`` becomes ``####``); empty when the
    kit has none."""
    path = m.path.parent / DOC_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    out, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        out.append("###" + line if not fenced and line.startswith("#") else line)
    return "\n".join(out)


def _simulation(m: NodeManifest) -> str:
    spec = m.simulation
    if m.structural:
        return "Simulation: by the simulator's core (structural node)"
    if spec is None:
        return "Simulation: none (treated like an I/O node)"
    if spec.kind == "io":
        return f"Simulation: not simulated: {spec.reason} (fixtures, or a value of its type)"
    if spec.kind == "declared":
        errors = ", ".join(f"`{e.code}`" for e in spec.errors)
        return "Simulation: declared" + (f" (errors {errors})" if errors else "")
    return "Simulation: the kit's `simulation.py`"


def _examples(m: NodeManifest) -> list[str]:
    if not m.examples:
        return []
    lines = ["**Examples** (checked by `nodeforge node test`)", ""]
    for ex in m.examples:
        lines.append(f"- {ex.name}: config {_code(ex.config)}, input {_code(ex.input)}")
        lines += [f"  gives `{port}` = {_code(value)}" for port, value in ex.outputs.items()]
    lines.append("")
    return lines


def _version_section(m: NodeManifest, latest: bool) -> list[str]:
    suffix = " (latest)" if latest else ""
    lines = [f"### {m.type} {m.version}{suffix}", ""]
    if m.deprecated:
        lines += [f"> **Deprecated**: {m.deprecated}", ""]
    lines += [m.description.strip(), ""]
    doc = kit_doc(m)
    if doc:
        lines += [doc, ""]
    lines += ["**Config**", ""]
    lines += _config_table(m)
    lines += _ports("Inputs", dict(m.inputs), True)
    lines += _ports("Outputs", dict(m.outputs), False)
    facts = []
    if m.expressions:
        facts.append("Expressions: " + ", ".join(f"`{p}`" for p in m.expressions))
    if m.templates:
        facts.append("Templates: " + ", ".join(f"`{p}`" for p in m.templates))
    facts.append(
        "Connectors: " + (", ".join(f"`{c}`" for c in m.connectors) if m.connectors else "none")
    )
    if m.responds:
        facts.append("Responds: ends the HTTP request that started the execution")
    facts.append(_simulation(m))
    lines += [f"- {f}" for f in facts] + [""]
    lines += _examples(m)
    if m.migrations:
        lines += ["**Migrations**", ""]
        for mig in m.migrations:
            steps = []
            steps += [f"rename `{a}` to `{b}`" for a, b in mig.rename.items()]
            steps += [f"remove `{k}`" for k in mig.remove]
            steps += [f"set `{k}` = {_code(v)}" for k, v in mig.set_.items()]
            how = "; ".join(steps) if steps else "no config change"
            lines.append(f"- from {mig.from_}: {mig.notes.strip()} ({how})")
        lines.append("")
    return lines


def pack_intro() -> str:
    """The pack's introduction: ``doc.md`` at the root of the standard catalog."""
    return (Catalog.standard_dir() / DOC_FILE).read_text(encoding="utf-8").strip()


def render_catalog_markdown(catalog: Catalog) -> str:
    """The whole reference page, as markdown (see the module's docstring)."""
    out = [HEADER, "# Node catalog reference", "", pack_intro(), ""]
    out += [
        "## Index",
        "",
        "| type | versions | kind | title |",
        "| --- | --- | --- | --- |",
    ]
    for t in catalog.types():
        latest = catalog.latest(t)
        assert latest is not None
        versions = ", ".join(catalog.versions(t))
        link = f"[`{t}`](#{_slug(t)})"
        out.append(f"| {link} | {versions} | {latest.kind} | {_cell(latest.title)} |")
    out.append("")
    for t in catalog.types():
        latest = catalog.latest(t)
        assert latest is not None
        out += [f"## {t}", ""]
        out += [
            f"{latest.title}. Category `{latest.category}`, kind `{latest.kind}`, "
            f"icon `{latest.icon}`. Versions: {', '.join(catalog.versions(t))}.",
            "",
        ]
        for v in reversed(catalog.versions(t)):
            m = catalog.get(t, v)
            assert m is not None
            out += _version_section(m, m is latest)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render_catalog_markdown(Catalog.load_standard())
    out: Path = args.output
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is out of date; run: python -m nodeforge.gendocs_catalog")
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
