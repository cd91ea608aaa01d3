"""The server's settings as VS Code ``contributes.configuration`` properties.

One source: the :class:`~nodeforge.server.settings.Settings` dataclass (field types,
defaults, attribute docstrings) and the parser's tables (camelCase keys, integer
ranges, rule levels). ``python -m nodeforge.server.settings_schema`` prints the
properties; ``--write vscode-extension/package.json`` replaces the server's entries in
the extension's manifest and keeps the client's own (``nodeforge.path``,
``nodeforge.trace.server``, ...). ``tests/test_vscode_extension.py`` fails when the
manifest and this output drift apart.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import sys
import typing
from pathlib import Path
from typing import Any

from nodeforge.server import settings as server_settings
from nodeforge.server.settings import (
    DEFAULT_LIMITS,
    LIMITS,
    RULE_LEVELS,
    SECTION,
    Settings,
)


def field_docs() -> dict[str, str]:
    """Each field's attribute docstring (the string literal right after it)."""
    tree = ast.parse(inspect.getsource(Settings))
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef)
    docs: dict[str, str] = {}
    for stmt, after in itertools.pairwise(cls.body):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            # reST literals (``x``) as Markdown code (`x`): VS Code renders Markdown.
            docs[stmt.target.id] = " ".join(after.value.value.split()).replace("``", "`")
    return docs


def _schema_of(name: str, annotation: Any) -> dict[str, Any]:
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        low, high = LIMITS.get(name, DEFAULT_LIMITS)
        return {"type": "integer", "minimum": low, "maximum": high}
    if annotation is str:
        return {"type": "string"}
    if typing.get_origin(annotation) is typing.Literal:
        return {"type": "string", "enum": list(typing.get_args(annotation))}
    if typing.get_origin(annotation) is dict:
        values: dict[str, Any] = {"type": "string"}
        if name == "rules":
            values["enum"] = list(RULE_LEVELS)
        return {"type": "object", "additionalProperties": values}
    raise TypeError(f"setting `{name}`: no VS Code schema for {annotation!r}")


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise TypeError(f"setting `{field.name}` has no default")


def vscode_properties() -> dict[str, dict[str, Any]]:
    """``contributes.configuration.properties`` entries for every server setting."""
    hints = typing.get_type_hints(Settings)
    docs = field_docs()
    camel = {name: key for key, name in server_settings._KEYS.items()}
    out: dict[str, dict[str, Any]] = {}
    for field in dataclasses.fields(Settings):
        key = camel.get(field.name)
        if key is None:
            raise KeyError(f"setting `{field.name}` has no camelCase key in settings._KEYS")
        doc = docs.get(field.name)
        if not doc:
            raise ValueError(f"setting `{field.name}` has no docstring to describe it")
        entry = _schema_of(field.name, hints[field.name])
        entry["default"] = _default(field)
        entry["markdownDescription"] = doc
        entry["scope"] = "window"
        out[f"{SECTION}.{key}"] = entry
    return out


def merged_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` (a package.json) with the server's settings replaced by the current
    ones; the client's own settings (any other ``nodeforge.*`` key) are kept first."""
    contributes = manifest.setdefault("contributes", {})
    configuration = contributes.setdefault("configuration", {"title": "Nodeforge"})
    properties: dict[str, Any] = configuration.get("properties", {})
    server = vscode_properties()
    server_keys = {f"{SECTION}.{key}" for key in server_settings._KEYS}
    kept = {k: v for k, v in properties.items() if k not in server_keys}
    configuration["properties"] = {**kept, **server}
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nodeforge.server.settings_schema",
        description="Print the server's settings as VS Code configuration properties.",
    )
    parser.add_argument(
        "--write",
        metavar="PACKAGE_JSON",
        type=Path,
        help="replace the server settings in this package.json instead of printing",
    )
    args = parser.parse_args(argv)
    if args.write is None:
        json.dump(vscode_properties(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    path: Path = args.write
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    path.write_text(json.dumps(merged_manifest(manifest), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
