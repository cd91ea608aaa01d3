"""Generate ``docs/catalog.md``, the reference of the standard node catalog.

Usage::

    python -m nodeforge.gendocs_catalog            # rewrite docs/catalog.md
    python -m nodeforge.gendocs_catalog --check    # exit 1 if docs/catalog.md is stale
    python -m nodeforge.gendocs_catalog -o FILE    # write elsewhere

The output depends only on the manifests, so it is deterministic (a test checks that the
committed file is up to date).
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

HEADER = """\
<!--
  GENERATED FILE: do not edit by hand.
  Source: catalog/<category>/<name>/<version>/node.json
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


def _version_section(m: NodeManifest, latest: bool) -> list[str]:
    suffix = " (latest)" if latest else ""
    lines = [f"### {m.type} {m.version}{suffix}", ""]
    if m.deprecated:
        lines += [f"> **Deprecated**: {m.deprecated}", ""]
    lines += [m.description.strip(), ""]
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
    lines += [f"- {f}" for f in facts] + [""]
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


def render_catalog_markdown(catalog: Catalog) -> str:
    """The whole reference page, as markdown."""
    out = [HEADER, "# Node catalog reference", ""]
    out += [
        "Every standard node type, with each of its versions. A flow pins each node's "
        "`type` and exact `version`; older versions keep working, and the editor offers "
        "to upgrade them using the migrations listed here.",
        "",
        "In config tables, *expression* values are expressions (`input`, "
        "`nodes.<id>.<port>` and `env.NAME` in scope) and *template* values are text with "
        "`{{ expression }}` holes. Port schemas may derive from the config: "
        '`{"$config": "key"}` is the JSON Schema held in that key, `{"$input": "port"}` '
        'the type of the data arriving at that port, `{"$expr": "key"}` the type of an '
        'expression, `{"$exprItems": "key"}` the element type of a list expression, '
        '`{"$exprObject": "key"}` an object typed field by field from the expressions in '
        'that key, `{"$merge": [a, b]}` an object with the fields of both, and '
        '`{"$if": "key", "then": a, "else": b}` the schema `a` when the boolean config key '
        "is true and `b` when it is false (an absent key takes its default), and "
        '`{"$flowAnswer": "key"}` the answer type of the workspace flow whose id that '
        "config key holds: the union of the bodies of its `http/respond` nodes with a "
        "status below 400 (any when the flow can end without answering, is unknown, "
        "cannot be called or the calls go round).",
        "",
        "## Writing a custom node",
        "",
        "Custom and forked nodes live anywhere under the workspace's `nodes/` folder, one "
        "`node.json` per version, in the same format as the standard nodes "
        "(`catalog/<category>/<name>/<version>/node.json`): `type` (`category/name`), "
        "`version` (semver), `title`, `description` (markdown), `category`, `icon` (a "
        "codicon name), `kind` (`trigger`, `action` or `control`), `config_schema` (a JSON "
        "Schema object; give every property a `description`, and a `default` or `examples`), "
        "`inputs` and `outputs` (port name to `{description, schema, required}`), "
        "`expressions` and `templates` (config path patterns: `.` separates keys, `*` is "
        "every key of an object, `[]` every item of a list, e.g. `cases[].when`), "
        "`connectors`, `responds`, `deprecated` and `migrations` (`{from, notes, rename, "
        "set, remove}`, upgrading a config from an older version to this one). A custom "
        "node may add a version to a standard type (a fork) but may not redefine an "
        "existing type and version. `nodeforge check` reports every manifest problem with "
        "its file.",
        "",
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
