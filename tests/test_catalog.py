"""Tests for the standard node catalog and its loader (nodeforge.analysis.catalog)."""

from __future__ import annotations

import copy
import json
import pickle
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from nodeforge.analysis import manifest_model
from nodeforge.analysis.catalog import (
    REQUIRED,
    Catalog,
    CatalogError,
    KitExample,
    MigrationConflicts,
    NodeManifest,
    PortSpec,
    format_config_path,
    iter_config_strings,
    migrate_config,
    parse_path_pattern,
    plan_migration,
    semver_key,
)
from nodeforge.analysis.engine import flow_answer_keys
from nodeforge.gendocs_catalog import DEFAULT_OUTPUT, render_catalog_markdown


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load_standard()


def _manifest(cat: Catalog, type_: str, version: str | None = None) -> NodeManifest:
    m = cat.get(type_, version) if version else cat.latest(type_)
    assert m is not None, (type_, version)
    return m


# ------------------------------------------------------------------ standard catalog

REQUIRED_TYPES = [
    "http/trigger",
    "trigger/schedule",
    "trigger/manual",
    "flow/if",
    "flow/switch",
    "flow/foreach",
    "flow/merge",
    "flow/subflow",
    "data/map",
    "data/validate",
    "data/template",
    "data/set",
    "http/request",
    "http/respond",
    "sql/query",
    "sql/exec",
    "email/send",
    "whatsapp/send",
    "llm/generate",
    "llm/classify",
    "llm/extract",
    "code/go",
    "util/log",
]


def test_standard_catalog_loads(catalog: Catalog) -> None:
    assert len(catalog.types()) >= 18
    assert set(REQUIRED_TYPES) <= set(catalog.types())
    multi = [t for t in catalog.types() if len(catalog.versions(t)) >= 2]
    assert len(multi) >= 3
    assert catalog.versions("data/map") == ["1.0.0", "1.1.0"]
    assert catalog.versions("http/request") == ["1.0.0", "1.1.0", "1.2.0"]
    assert catalog.versions("whatsapp/send") == ["1.0.0", "2.0.0"]
    assert _manifest(catalog, "whatsapp/send").version == "2.0.0"
    assert catalog.get("nope/nope", "1.0.0") is None
    assert catalog.latest("nope/nope") is None
    assert catalog.versions("nope/nope") == []
    assert len(catalog.all()) == len(catalog)


@pytest.mark.parametrize("type_", REQUIRED_TYPES)
def test_manifest_quality(catalog: Catalog, type_: str) -> None:
    for version in catalog.versions(type_):
        m = _manifest(catalog, type_, version)
        assert m.path.name == "node.json"
        assert m.description.strip() and m.title
        schema = m.config_schema
        assert schema["additionalProperties"] is False
        for key, prop in m.properties.items():
            assert prop.get("description"), f"{type_}@{version}: {key} lacks a description"
        if m.kind == "trigger":
            assert m.inputs == {}
        # every expression/template pattern parses
        for p in (*m.expression_paths, *m.template_paths):
            parse_path_pattern(p)


def test_every_default_config_validates(catalog: Catalog) -> None:
    for m in catalog.all():
        cfg = m.default_config()
        # Required keys, plus the parameter list an example statement's placeholders need.
        companions = {m.properties[k].get("x-sql-params") for k in m.required_keys} - {None}
        assert set(m.required_keys) <= set(cfg) <= set(m.required_keys) | companions
        assert m.validate_config(cfg) == [], (m.type, m.version, cfg)
        assert m.validate_config(m.full_default_config()) == []


def test_responds_only_http_respond(catalog: Catalog) -> None:
    assert [m.type for m in catalog.all() if m.responds] == ["http/respond"]


def test_connectors(catalog: Catalog) -> None:
    assert _manifest(catalog, "sql/query").connectors == ["postgres", "sqlite"]
    assert _manifest(catalog, "email/send").connectors == ["smtp"]
    assert _manifest(catalog, "llm/generate").connectors == ["llm"]
    assert _manifest(catalog, "flow/if").connectors == []


def test_port_schemas_and_operators(catalog: Catalog) -> None:
    trig = _manifest(catalog, "http/trigger")
    body = trig.outputs["out"].schema_["properties"]["body"]
    assert body == {"$config": "body_schema", "default": {"type": "object"}}
    assert _manifest(catalog, "flow/if").outputs["true"].schema_ == {"$input": "in"}
    assert _manifest(catalog, "flow/foreach").outputs["item"].schema_ == {"$exprItems": "list"}
    assert _manifest(catalog, "data/map", "1.0.0").outputs["out"].schema_ == {
        "$exprObject": "mapping"
    }
    merge = _manifest(catalog, "data/set").outputs["out"].schema_
    assert merge == {"$merge": [{"$input": "in"}, {"$exprObject": "values"}]}
    assert _manifest(catalog, "data/map", "1.1.0").outputs["out"].schema_ == {
        "$if": "keep_input",
        "then": {"$merge": [{"$input": "in"}, {"$exprObject": "mapping"}]},
        "else": {"$exprObject": "mapping"},
    }
    assert _manifest(catalog, "data/map", "1.1.0").config_defaults == {"keep_input": False}
    switch = _manifest(catalog, "flow/switch")
    assert list(switch.outputs) == ["case1", "case2", "case3", "case4", "default"]


def test_suggest(catalog: Catalog) -> None:
    assert catalog.suggest("http/reqest") == "http/request"
    assert catalog.suggest("request") == "http/request"
    assert catalog.suggest("flow/for_each") == "flow/foreach"
    assert catalog.suggest("zzzzzz/qqqq") is None


def test_semver_sorting() -> None:
    versions = ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9", "2.0.0"]
    assert sorted(versions, key=semver_key) == ["0.9.9", "1.2.0-rc.1", "1.2.0", "1.10.0", "2.0.0"]
    with pytest.raises(ValueError):
        semver_key("1.0")


# ------------------------------------------------------------------ validate_config


def test_validate_config_valid_is_empty(catalog: Catalog) -> None:
    m = _manifest(catalog, "http/trigger")
    cfg = {"method": "POST", "path": "/orders/{id}", "body_schema": {"type": "object"}}
    assert m.validate_config(cfg) == []


def test_validate_config_enum(catalog: Catalog) -> None:
    m = _manifest(catalog, "http/trigger")
    [err] = m.validate_config({"method": "FETCH", "path": "/x"})
    assert err.validator == "enum"
    assert err.path == ("method",)
    assert err.expected == ("GET", "POST", "PUT", "PATCH", "DELETE")
    assert err.message == '`method` must be one of GET, POST, PUT, PATCH, DELETE; got "FETCH"'
    [err] = m.validate_config({"method": "post", "path": "/x"})
    assert err.suggestion == "POST"


def test_validate_config_required(catalog: Catalog) -> None:
    m = _manifest(catalog, "http/trigger")
    [err] = m.validate_config({"method": "GET"})
    assert err.validator == "required"
    assert err.path == ()
    assert err.key == "path"
    assert err.expected == ("path",)
    assert err.message == "missing required key `path`"


def test_validate_config_additional_properties_did_you_mean(catalog: Catalog) -> None:
    m = _manifest(catalog, "http/request", "1.1.0")
    errs = m.validate_config({"method": "GET", "url": "https://x", "timeout": 5, "zzz": 1})
    by_key = {e.key: e for e in errs}
    assert set(by_key) == {"timeout", "zzz"}
    err = by_key["timeout"]
    assert err.validator == "additionalProperties"
    assert err.path == ("timeout",)
    assert err.suggestion == "timeout_ms"
    assert err.message == "unknown key `timeout`; did you mean `timeout_ms`?"
    assert by_key["zzz"].suggestion is None
    assert "expected one of" in by_key["zzz"].message


def test_validate_config_nested_errors(catalog: Catalog) -> None:
    m = _manifest(catalog, "flow/switch")
    cfg = {"cases": [{"when": "input.a > 1"}, {"when": 3, "lable": "x"}]}
    errs = m.validate_config(cfg)
    paths = {(e.path, e.validator) for e in errs}
    assert ((("cases", 1, "when"), "type")) in paths
    assert ((("cases", 1, "lable"), "additionalProperties")) in paths
    typ = next(e for e in errs if e.validator == "type")
    assert typ.message == "`cases[1].when` must be a string; got integer 3"
    extra = next(e for e in errs if e.validator == "additionalProperties")
    assert extra.suggestion == "label"
    assert "in `cases[1]`" in extra.message

    log = _manifest(catalog, "util/log")
    [err] = log.validate_config({"message": "hi", "fields": {"total": 1}})
    assert err.path == ("fields", "total")


def test_validate_config_multiple_and_bounds(catalog: Catalog) -> None:
    m = _manifest(catalog, "llm/generate")
    errs = m.validate_config({"connector": "openai", "prompt": "", "temperature": 3})
    assert [(e.path, e.validator) for e in errs] == [
        (("prompt",), "minLength"),
        (("temperature",), "maximum"),
    ]
    assert errs[0].message == "`prompt` must not be empty"
    assert errs[1].message == "`temperature` must be at most 2; got 3"


def test_validate_config_not_an_object(catalog: Catalog) -> None:
    m = _manifest(catalog, "flow/if")
    [err] = m.validate_config(["x"])
    assert err.path == () and err.validator == "type"


def test_format_config_path() -> None:
    assert format_config_path(()) == "config"
    assert format_config_path(("cases", 0, "when")) == "cases[0].when"


# ------------------------------------------------------------------ config strings


def test_iter_config_strings(catalog: Catalog) -> None:
    m = _manifest(catalog, "http/request", "1.1.0")
    cfg = {
        "url": "https://x/{{ input.id }}",
        "headers": {"A": "x {{ env.T }}", "B": 3},
        "body": "input.body",
    }
    got = list(iter_config_strings(m, cfg))
    assert got == [
        (("body",), "input.body", False),
        (("url",), "https://x/{{ input.id }}", True),
        (("headers", "A"), "x {{ env.T }}", True),
    ]
    sw = _manifest(catalog, "flow/switch")
    cases = {"cases": [{"when": "a"}, {"when": "b", "label": "not an expr"}]}
    assert [p for p, _, _ in iter_config_strings(sw, cases)] == [
        ("cases", 0, "when"),
        ("cases", 1, "when"),
    ]
    sql = _manifest(catalog, "sql/query")
    assert [p for p, _, _ in iter_config_strings(sql, {"params": ["a", "b"]})] == [
        ("params", 0),
        ("params", 1),
    ]


def test_parse_path_pattern() -> None:
    assert parse_path_pattern("cases[].when") == ("cases", "[]", "when")
    assert parse_path_pattern("headers.*") == ("headers", "*")
    assert parse_path_pattern("params[]") == ("params", "[]")
    with pytest.raises(ValueError):
        parse_path_pattern("a..b")


# ------------------------------------------------------------------ migrations


def test_migrate_data_map(catalog: Catalog) -> None:
    cfg = {"mapping": {"id": "input.id"}}
    out = migrate_config(catalog, "data/map", "1.0.0", "1.1.0", cfg)
    assert out == {"mapping": {"id": "input.id"}, "keep_input": False}
    assert cfg == {"mapping": {"id": "input.id"}}  # not mutated
    assert _manifest(catalog, "data/map", "1.1.0").validate_config(out) == []


def test_migrate_http_request(catalog: Catalog) -> None:
    cfg = {"method": "POST", "url": "https://x", "body": "input"}
    out = migrate_config(catalog, "http/request", "1.0.0", "1.1.0", cfg)
    assert out == {**cfg, "timeout_ms": 30000, "retries": 0}
    assert _manifest(catalog, "http/request", "1.1.0").validate_config(out) == []


def test_migrate_whatsapp_rename(catalog: Catalog) -> None:
    cfg = {"connector": "wa", "to": "{{ input.phone }}", "text": "hi {{ input.name }}"}
    old = _manifest(catalog, "whatsapp/send", "1.0.0")
    assert old.validate_config(cfg) == []
    assert old.deprecated
    out = migrate_config(catalog, "whatsapp/send", "1.0.0", "2.0.0", cfg)
    assert out == {
        "connector": "wa",
        "to": "{{ input.phone }}",
        "body": "hi {{ input.name }}",
        "preview_url": False,
    }
    assert _manifest(catalog, "whatsapp/send", "2.0.0").validate_config(out) == []


def test_migration_never_silently_overwrites_a_user_value(catalog: Catalog) -> None:
    # whatsapp: `text` renamed `body`, but the user also set a `body`
    cfg = {"connector": "wa", "to": "x", "text": "from text", "body": "from body"}
    plan = plan_migration(catalog, "whatsapp/send", "1.0.0", "2.0.0", cfg)
    assert [(c.key, c.flow_value, c.migration_value, c.version) for c in plan.conflicts] == [
        ("body", "from body", "from text", "2.0.0")
    ]
    assert "from body" in str(plan.conflicts[0]) and "from text" in str(plan.conflicts[0])
    with pytest.raises(MigrationConflicts, match="from body"):
        migrate_config(catalog, "whatsapp/send", "1.0.0", "2.0.0", cfg)
    forced = migrate_config(catalog, "whatsapp/send", "1.0.0", "2.0.0", cfg, force=True)
    assert forced["body"] == "from text" and "text" not in forced
    # http/request: `timeout_ms` and `retries` set by the user
    cfg = {"method": "GET", "url": "https://x", "timeout_ms": 5000, "retries": 3}
    plan = plan_migration(catalog, "http/request", "1.0.0", "1.1.0", cfg)
    assert {(c.key, c.flow_value, c.migration_value) for c in plan.conflicts} == {
        ("timeout_ms", 5000, 30000),
        ("retries", 3, 0),
    }
    # data/map: `keep_input` set by the user
    cfg = {"mapping": {"id": "input.id"}, "keep_input": True}
    plan = plan_migration(catalog, "data/map", "1.0.0", "1.1.0", cfg)
    assert [(c.key, c.flow_value, c.migration_value) for c in plan.conflicts] == [
        ("keep_input", True, False)
    ]
    # the same value is no conflict
    cfg = {"method": "GET", "url": "https://x", "timeout_ms": 30000}
    assert plan_migration(catalog, "http/request", "1.0.0", "1.1.0", cfg).conflicts == []
    cfg = {"connector": "wa", "to": "x", "text": "same", "body": "same"}
    assert plan_migration(catalog, "whatsapp/send", "1.0.0", "2.0.0", cfg).conflicts == []


def test_migrate_same_version_and_errors(catalog: Catalog) -> None:
    cfg = {"condition": "true"}
    assert migrate_config(catalog, "flow/if", "1.0.0", "1.0.0", cfg) == cfg
    with pytest.raises(ValueError):
        migrate_config(catalog, "data/map", "1.1.0", "1.0.0", {})
    with pytest.raises(KeyError):
        migrate_config(catalog, "data/map", "1.0.0", "9.0.0", {})


# ------------------------------------------------------------------ broken manifests


def _good_manifest() -> dict[str, Any]:
    return {
        "type": "acme/ping",
        "version": "1.0.0",
        "title": "Ping",
        "description": "Pings.",
        "category": "acme",
        "icon": "radio-tower",
        "kind": "action",
        "config_schema": {
            "type": "object",
            "properties": {
                "host": {"type": "string", "description": "Host."},
                "count": {"type": "integer", "description": "Count.", "default": 3},
                "schema": {"type": "object", "description": "Out.", "default": {}},
                "when": {"type": "string", "description": "Expr."},
            },
            "required": ["host"],
            "additionalProperties": False,
        },
        "inputs": {"in": {"description": "In.", "schema": {}}},
        "outputs": {
            "out": {"description": "Out.", "schema": {"$config": "schema"}},
            "same": {"description": "Pass.", "schema": {"$input": "in"}},
            "val": {"description": "Expr type.", "schema": {"$expr": "when"}},
        },
        "expressions": ["when"],
        "templates": ["host"],
    }


def _write(root: Path, data: dict[str, Any] | str, rel: str | None = None) -> Path:
    if rel is None:
        assert isinstance(data, dict)
        cat, name = data["type"].split("/")
        rel = f"{cat}/{name}/{data['version']}/node.json"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def _load_error(root: Path) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        Catalog.load([root])
    return info.value


def test_good_temp_manifest_loads(tmp_path: Path) -> None:
    _write(tmp_path, _good_manifest())
    cat = Catalog.load([tmp_path])
    assert cat.types() == ["acme/ping"]
    assert _manifest(cat, "acme/ping").default_config() == {"host": ""}


def test_bad_json(tmp_path: Path) -> None:
    path = _write(
        tmp_path, '{\n  "type": "acme/ping",\n  "version": \n}', "acme/ping/1.0.0/node.json"
    )
    err = _load_error(tmp_path)
    assert err.path == path
    [prob] = err.problems
    assert prob.line == 4 and prob.column == 1
    assert "invalid JSON" in prob.message
    assert f"{path}:4:1" in str(err)


def test_missing_field(tmp_path: Path) -> None:
    data = _good_manifest()
    del data["title"]
    data["inputs"]["in"].pop("description")
    path = _write(tmp_path, data)
    err = _load_error(tmp_path)
    assert err.path == path
    wheres = {p.where for p in err.problems}
    assert {"title", "inputs.in.description"} <= wheres
    assert "Field required" in str(err)


def test_bad_config_schema(tmp_path: Path) -> None:
    data = _good_manifest()
    data["config_schema"]["properties"]["count"]["type"] = "int"
    path = _write(tmp_path, data)
    err = _load_error(tmp_path)
    assert err.path == path
    assert "invalid JSON Schema" in str(err)
    assert any("config_schema.properties.count.type" in p.where for p in err.problems)


def test_bad_default(tmp_path: Path) -> None:
    data = _good_manifest()
    data["config_schema"]["properties"]["count"]["default"] = "three"
    _write(tmp_path, data)
    err = _load_error(tmp_path)
    [prob] = err.problems
    assert prob.where == "config_schema.properties.count.default"


def test_operator_naming_missing_key(tmp_path: Path) -> None:
    data = _good_manifest()
    data["outputs"]["out"]["schema"] = {"$config": "shema"}
    data["outputs"]["same"]["schema"] = {"$input": "input"}
    data["outputs"]["val"]["schema"] = {"$expr": "host"}  # not an expression
    path = _write(tmp_path, data)
    err = _load_error(tmp_path)
    assert err.path == path
    text = str(err)
    assert "$config names 'shema', which is not a config key; did you mean 'schema'?" in text
    assert "$input names 'input', which is not an input port" in text
    assert "'host' is not listed in `expressions`" in text
    assert len(err.problems) == 3


def test_if_operator_loads(tmp_path: Path) -> None:
    data = _good_manifest()
    data["config_schema"]["properties"]["loud"] = {
        "type": "boolean",
        "description": "Shout.",
        "default": False,
    }
    data["outputs"]["out"]["schema"] = {
        "$if": "loud",
        "then": {"$merge": [{"$input": "in"}, {"type": "object"}]},
        "else": {"$config": "schema"},
    }
    _write(tmp_path, data)
    cat = Catalog.load([tmp_path])
    assert _manifest(cat, "acme/ping").config_defaults == {"count": 3, "schema": {}, "loud": False}


def test_if_operator_problems(tmp_path: Path) -> None:
    data = _good_manifest()
    props = data["config_schema"]["properties"]
    props["loud"] = {"type": "boolean", "description": "Shout."}  # no default, not required
    data["outputs"]["out"]["schema"] = {"$if": "count", "then": {}, "else": {}}
    data["outputs"]["same"]["schema"] = {"$if": "loud", "then": {"$input": "inn"}, "extra": 1}
    data["outputs"]["val"]["schema"] = {"$if": "lound", "then": {}, "else": {}}
    _write(tmp_path, data)
    err = _load_error(tmp_path)
    problems = {(p.where, p.message) for p in err.problems}
    assert problems == {
        ("outputs.out.schema.$if", "$if names 'count', which is not a boolean config key"),
        (
            "outputs.same.schema",
            "$if takes no sibling keys besides ['description', 'else', 'then']; found ['extra']",
        ),
        (
            "outputs.same.schema.$if",
            "$if names 'loud', which may be absent: give it a default or require it",
        ),
        (
            "outputs.same.schema.then.$input",
            "$input names 'inn', which is not an input port; did you mean 'in'?",
        ),
        ("outputs.same.schema", "$if takes both `then` and `else`; `else` is missing"),
        (
            "outputs.val.schema.$if",
            "$if names 'lound', which is not a config key; did you mean 'loud'?",
        ),
    }


def test_flow_answer_operator(tmp_path: Path) -> None:
    data = _good_manifest()
    data["outputs"]["out"]["schema"] = {"$flowAnswer": "host", "description": "Answer."}
    _write(tmp_path, data)
    cat = Catalog.load([tmp_path])
    assert flow_answer_keys(_manifest(cat, "acme/ping")) == ("host",)
    # It names a string config key.
    data["outputs"]["out"]["schema"] = {"$flowAnswer": "count"}
    data["outputs"]["same"]["schema"] = {"$flowAnswer": "hots"}
    data["outputs"]["val"]["schema"] = {"$flowAnswer": "host", "default": {}}
    _write(tmp_path, data)
    err = _load_error(tmp_path)
    assert {(p.where, p.message) for p in err.problems} == {
        (
            "outputs.out.schema.$flowAnswer",
            "$flowAnswer names 'count', which is not a string config key",
        ),
        (
            "outputs.same.schema.$flowAnswer",
            "$flowAnswer names 'hots', which is not a config key; did you mean 'host'?",
        ),
        (
            "outputs.val.schema",
            "$flowAnswer takes no sibling keys besides ['description']; found ['default']",
        ),
    }


def test_bad_expression_path(tmp_path: Path) -> None:
    data = _good_manifest()
    data["expressions"] = ["when", "nope", "count"]
    _write(tmp_path, data)
    err = _load_error(tmp_path)
    msgs = [p.message for p in err.problems]
    assert "'nope' does not point at a config property" in msgs
    assert any("'count' points at a 'integer' property" in m for m in msgs)


def test_folder_version_mismatch(tmp_path: Path) -> None:
    path = _write(tmp_path, _good_manifest(), "acme/ping/1.0.1/node.json")
    err = _load_error(tmp_path)
    assert err.path == path
    assert "acme/ping/1.0.0/node.json" in str(err)


def test_all_problems_across_files(tmp_path: Path) -> None:
    bad1 = _write(tmp_path, "{", "acme/a/1.0.0/node.json")
    data = _good_manifest()
    data["kind"] = "sensor"
    bad2 = _write(tmp_path, data)
    good = _good_manifest()
    good["type"] = "acme/pong"
    _write(tmp_path, good)
    err = _load_error(tmp_path)
    assert set(err.paths) == {bad1, bad2}
    assert str(bad1) in str(err) and str(bad2) in str(err)


# ------------------------------------------------------------------ custom nodes


def test_custom_nodes(tmp_path: Path, catalog: Catalog) -> None:
    nodes = tmp_path / "nodes"
    _write(nodes, _good_manifest(), "team/pinger/node.json")
    fork = copy.deepcopy(_manifest(catalog, "data/map", "1.1.0").to_json())
    fork["version"] = "1.2.0"
    fork["description"] = "Our fork."
    _write(nodes, fork, "forks/map-1.2/node.json")
    cat = catalog.with_custom(nodes)
    assert "acme/ping" in cat.types()
    assert cat.versions("data/map") == ["1.0.0", "1.1.0", "1.2.0"]
    assert _manifest(cat, "data/map").description == "Our fork."
    # the standard catalog is untouched
    assert "acme/ping" not in catalog.types()
    assert catalog.versions("data/map") == ["1.0.0", "1.1.0"]
    # a missing nodes/ folder is fine
    assert catalog.with_custom(tmp_path / "missing").types() == catalog.types()


def test_custom_node_cannot_shadow_standard(tmp_path: Path, catalog: Catalog) -> None:
    nodes = tmp_path / "nodes"
    dup = _manifest(catalog, "flow/if").to_json()
    path = _write(nodes, dup, "mine/if/node.json")
    with pytest.raises(CatalogError) as info:
        catalog.with_custom(nodes)
    assert info.value.path == path
    assert "flow/if@1.0.0 is already defined" in str(info.value)


def test_to_json_round_trips(catalog: Catalog) -> None:
    for m in catalog.all():
        data = m.to_json(exclude_unset=True)
        assert "path" not in data
        on_disk = json.loads(m.path.read_text())
        assert data == on_disk
        Draft202012Validator.check_schema(m.config_schema)


# ------------------------------------------------------------------ plain classes and models

_PLAIN_AND_MODELS = [(manifest_model.MODELS[m], m) for m in manifest_model.MODELS]


@pytest.mark.parametrize(("plain", "model"), _PLAIN_AND_MODELS, ids=lambda c: c.__name__)
def test_plain_classes_agree_with_the_file_format(plain: type[Any], model: type[Any]) -> None:
    """The run-time classes state each field's name, key in the file and default once
    more: they must say what the pydantic models (the format) say."""
    assert plain.__name__ == model.__name__  # pydantic's messages name the model
    expected = {}
    for name, info in model.model_fields.items():
        key = None if info.exclude else (info.alias or name)
        default = REQUIRED if info.is_required() else info.get_default(call_default_factory=True)
        expected[name] = (key, default)
    assert list(plain.FIELDS) == list(expected)  # the same fields, in the same order
    assert expected == plain.FIELDS
    assert set(plain.__slots__) >= set(plain.FIELDS)
    # and the same types (a model's nested models are the plain classes of its name)
    hints = typing.get_type_hints(plain)
    for name, info in model.model_fields.items():
        assert _type_name(hints[name]) == _type_name(info.annotation), name


def _type_name(annotation: Any) -> str:
    name = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = name or repr(annotation)
    for module in ("nodeforge.analysis.catalog.", "nodeforge.analysis.manifest_model."):
        text = text.replace(module, "")
    return text.replace("typing.", "")


def test_plain_manifests_dump_as_the_models_do(catalog: Catalog) -> None:
    for m in catalog.all():
        data = json.loads(m.path.read_text())
        model = manifest_model.NodeManifest.model_validate({**data, "path": m.path})
        assert m == manifest_model.to_plain(model)
        for unset in (False, True):
            assert m.to_json(exclude_unset=unset) == model.model_dump(
                by_alias=True, exclude_unset=unset
            )


def test_plain_objects_are_built_by_keyword_and_immutable(catalog: Catalog) -> None:
    ex = KitExample(name="default config", config={"a": 1})
    assert (ex.name, ex.config, ex.input, ex.outputs) == ("default config", {"a": 1}, None, {})
    assert ex.to_json() == {
        "name": "default config",
        "config": {"a": 1},
        "input": None,
        "outputs": {},
    }
    assert ex.to_json(exclude_unset=True) == {"name": "default config", "config": {"a": 1}}
    assert ex == KitExample(config={"a": 1}, name="default config")
    assert ex != KitExample(name="other")
    assert KitExample(name="x").outputs is not KitExample(name="x").outputs  # fresh defaults
    assert repr(PortSpec(description="d", schema_={})) == (
        "PortSpec(description='d', schema_={}, required=True)"
    )
    with pytest.raises(AttributeError, match="immutable"):
        ex.name = "renamed"  # type: ignore[misc]
    with pytest.raises(TypeError, match="'name'"):
        KitExample()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'nmae'"):
        KitExample(name="x", nmae="y")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        hash(ex)
    m = _manifest(catalog, "flow/if")
    assert m.to_json()["inputs"]["in"]["schema"] == m.inputs["in"].schema_
    assert m.to_json()["inputs"] is not m.inputs  # a copy


def test_pickled_manifests_leave_their_validators_out(catalog: Catalog) -> None:
    m = _manifest(catalog, "http/request")
    assert m.validate_config(m.default_config()) == []  # compiles the fast validator
    assert m.validate_config({}) != []  # and the slow one
    assert m._fast is not None and m._slow is not None
    copy_ = pickle.loads(pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy_ == m and copy_ is not m
    assert (copy_._fast, copy_._slow, copy_._defaults) == (None, None, None)
    assert copy_.fields_set == m.fields_set
    assert copy_.config_defaults == m.config_defaults
    assert copy_.validate_config(copy_.default_config()) == []
    assert copy_.to_json(exclude_unset=True) == m.to_json(exclude_unset=True)


# ------------------------------------------------------------------ docs


def test_docs_up_to_date(catalog: Catalog) -> None:
    expected = render_catalog_markdown(catalog)
    assert DEFAULT_OUTPUT.read_text(encoding="utf-8") == expected, (
        "docs/catalog.md is stale: run `python -m nodeforge.gendocs_catalog`"
    )
    assert expected.startswith("<!--\n  GENERATED FILE")
    for t in catalog.types():
        assert f"## {t}\n" in expected


# ------------------------------------------------------------------ fast/slow path agreement

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(-3, 3, allow_nan=False),
    st.sampled_from(["", "GET", "post", "/x", "input.a", "main_db", "a b"]),
)
_json_value = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["type", "when", "x", "label"]), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_and_slow_validators_agree(catalog: Catalog, data: st.DataObject) -> None:
    m = data.draw(st.sampled_from(catalog.all()))
    keys = [*m.properties, "extra"]
    cfg = data.draw(st.dictionaries(st.sampled_from(keys), _json_value, max_size=5))
    cfg = {**m.default_config(), **cfg} if data.draw(st.booleans()) else cfg
    errors = m.validate_config(cfg)
    assert (errors == []) == Draft202012Validator(m.config_schema).is_valid(cfg)
    assert all(e.validator != "unknown" for e in errors)
    assert all(e.message for e in errors)
