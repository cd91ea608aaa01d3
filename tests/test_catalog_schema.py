"""``nodeforge schema --catalog``: the flow schema that also checks every node's config by
its type and version (analysis/catalog_schema.py)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from nodeforge.analysis.catalog import Catalog
from nodeforge.analysis.catalog_schema import STYLES, Style, flow_schema_with_catalog
from nodeforge.analysis.workspace import installed_catalog

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.flow.json"))


def _validator(style: Style, catalog: Catalog | None = None) -> Draft202012Validator:
    schema = flow_schema_with_catalog((catalog or installed_catalog()).all(), style=style)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, doc: Any) -> list[tuple[list[Any], str]]:
    return [(list(e.absolute_path), e.message) for e in validator.iter_errors(doc)]


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / name).read_text())
    return data


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(style: Style, path: Path) -> None:
    assert _errors(_validator(style), json.loads(path.read_text())) == []


@pytest.mark.parametrize("style", STYLES)
def test_a_config_error_is_found(style: Style) -> None:
    doc = _example("orders_api.flow.json")
    node = next(n for n in doc["nodes"] if n["type"] == "sql/exec")
    node["config"]["bogus"] = 1
    errors = _errors(_validator(style), doc)
    assert errors
    index = doc["nodes"].index(node)
    if style == "if-then":  # located on the config itself
        assert ([*["nodes", index, "config"]], errors[0][1]) == (errors[0][0], errors[0][1])
        assert "bogus" in errors[0][1]
    else:
        assert errors[0][0] == ["nodes", index]


@pytest.mark.parametrize("style", STYLES)
def test_unknown_types_and_versions_fail(style: Style) -> None:
    validator = _validator(style)
    for field, value in (("type", "data/nothing"), ("version", "9.9.9")):
        doc = _example("tax_rate.flow.json")
        doc["nodes"][1][field] = value
        assert _errors(validator, doc), (field, value)


@pytest.mark.parametrize("style", STYLES)
def test_a_missing_required_config_fails(style: Style) -> None:
    catalog = installed_catalog()
    manifest = next(m for m in catalog.all() if m.required_keys)
    doc = {
        "nodeforge": "1",
        "id": "f",
        "nodes": [{"id": "n", "type": manifest.type, "version": manifest.version}],
    }
    assert _errors(_validator(style), doc)
    doc["nodes"][0]["config"] = manifest.default_config()
    assert _errors(_validator(style), doc) == []


def test_local_refs_in_a_config_schema_are_relocated(tmp_path: Path) -> None:
    src = Catalog.standard_dir() / "util" / "log" / "1.0.0" / "node.json"
    data = json.loads(src.read_text())
    data["config_schema"] = {
        "type": "object",
        "$defs": {"level": {"enum": ["info", "warn"]}},
        "properties": {"level": {"$ref": "#/$defs/level"}, "again": {"$ref": "#"}},
        "additionalProperties": False,
    }
    for key in ("simulation", "examples", "expressions", "templates"):
        data.pop(key, None)
    folder = tmp_path / "util" / "log" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "node.json").write_text(json.dumps(data))
    catalog = Catalog.load([tmp_path], check_layout=True)
    for style in STYLES:
        validator = _validator(style, catalog)
        doc = {
            "nodeforge": "1",
            "id": "f",
            "nodes": [
                {"id": "n", "type": "util/log", "version": "1.0.0", "config": {"level": "info"}}
            ],
        }
        assert _errors(validator, doc) == []
        bad = copy.deepcopy(doc)
        bad["nodes"][0]["config"] = {"level": "loud"}
        assert _errors(validator, bad)
        nested = copy.deepcopy(doc)
        nested["nodes"][0]["config"] = {"again": {"level": "loud"}}
        assert _errors(validator, nested)


def test_the_command_prints_it() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nodeforge", "schema", "--catalog"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    schema = json.loads(out)
    assert len(schema["$defs"]["Node"]["oneOf"]) == len(installed_catalog())
    plain = json.loads(
        subprocess.run(
            [sys.executable, "-m", "nodeforge", "schema"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert "oneOf" not in plain["$defs"]["Node"]
