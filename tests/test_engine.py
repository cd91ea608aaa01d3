"""The analysis engine: never raises, isolates crashing checks, reuses work correctly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.genflow import generate_text
from nodeforge.analysis import engine
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.rules import checks
from nodeforge.analysis.types import describe
from nodeforge.analysis.workspace import load_workspace
from tests.conftest import EXAMPLES

EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.flow.json"))]
WORKSPACE = load_workspace(EXAMPLES)


def codes(text: str) -> list[str]:
    return [d.code for d in analyze(text, workspace=WORKSPACE).diagnostics]


def test_examples_are_clean() -> None:
    for text in EXAMPLE_TEXTS:
        assert codes(text) == []


@given(st.sampled_from(EXAMPLE_TEXTS), st.data())
@settings(max_examples=200)
def test_mutated_examples_never_raise(text: str, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 12))
        junk = data.draw(
            st.sampled_from(
                [
                    "",
                    ",",
                    "}",
                    "]",
                    "{",
                    '"',
                    ":",
                    "nodes.",
                    "{{",
                    "}}",
                    "\\u",
                    "\ud800",
                    "é",
                    "\x00",
                ]
            )
            | st.text(max_size=8)
        )
        text = text[:at] + junk + text[at + cut :]
    result = analyze(text, workspace=WORKSPACE)
    for diagnostic in result.diagnostics:
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert diagnostic.code != "NF000", diagnostic.message


hostile_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(["nodeforge", "id", "nodes", "connections", "tests", "x"]), hostile_values
    ),
    st.lists(
        st.dictionaries(
            st.sampled_from(["id", "type", "version", "config", "from", "to"]), hostile_values
        ),
        max_size=5,
    ),
)
@settings(max_examples=200)
def test_random_structures_never_raise(top: dict[str, object], nodes: list[object]) -> None:
    document = {**top, "nodes": nodes, "connections": nodes}
    result = analyze(json.dumps(document), workspace=WORKSPACE)
    assert all(d.code != "NF000" for d in result.diagnostics)


def test_hostile_strings_in_expressions_and_ids() -> None:
    hostile = [
        '"; rm -rf / #',
        "`$(id)`",
        "*/ panic() /*",
        "{{ {{ }} }}",
        "\u202e\u0000",
        "a" * 10000,
    ]
    for value in hostile:
        document = json.loads(EXAMPLE_TEXTS[0])
        document["nodes"][0]["id"] = value
        document["nodes"][1]["config"] = {"condition": value, "mapping": {value: value}}
        result = analyze(json.dumps(document), workspace=WORKSPACE)
        assert all(d.code != "NF000" for d in result.diagnostics)


def test_deep_nesting_and_huge_documents() -> None:
    deep = '{"nodeforge": "1", "id": "x", "nodes": [' + "[" * 50000 + "]" * 50000 + "]}"
    assert "NF001" in codes(deep)
    big = generate_text(5000)
    padding = " " * (10 * 1024 * 1024 - len(big))
    huge = big[:-2] + padding + big[-2:]
    assert len(huge) >= 10 * 1024 * 1024
    result = analyze(huge, workspace=WORKSPACE)
    assert all(d.code != "NF000" for d in result.diagnostics)


def test_a_crashing_check_becomes_one_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: engine.CheckContext) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(checks, "ALL_CHECKS", (checks.check_syntax, broken, checks.check_nodes))
    text = EXAMPLE_TEXTS[0].replace('"version": "1.0.0"', '"version": "9.9.9"', 1)
    found = codes(text)
    assert found.count("NF000") == 1
    assert "NF005" in found  # the checks after the crash still ran


def test_a_crashing_parser_becomes_one_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """``analyze`` never raises, even if parsing does: the document still gets its
    diagnostics (the language server would otherwise publish none for that version)."""

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("parser bug")

    monkeypatch.setattr(engine, "load_document", broken)
    result = analyze(EXAMPLE_TEXTS[0], uri="file:///x.flow.json", version=3, workspace=WORKSPACE)
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "NF000"
    assert "Internal error in parsing: ValueError: parser bug" in diagnostic.message
    assert (result.document.text, result.document.version) == (EXAMPLE_TEXTS[0], 3)


def test_incremental_analysis_matches_a_fresh_one() -> None:
    text = generate_text(300)
    previous = analyze(text, workspace=WORKSPACE)
    for k, (old, new) in enumerate(
        [
            ('"input.total * 2"', '"input.total * 3"'),
            ('"input.total * 2"', '"input.nope * 2"'),
            ('"input.total > 100"', '"input.total > \\"x\\""'),
            ('"flow/if"', '"flow/iff"'),
            ('"n5.in"', '"n7.in"'),
            ('"level": "info"', '"level": "loud"'),
        ]
    ):
        at = text.find(old, len(text) // (k + 2))
        text = text[:at] + new + text[at + len(old) :]
        current = analyze(text, workspace=WORKSPACE, previous=previous)
        fresh = analyze(text, workspace=WORKSPACE)
        assert [(d.code, d.span, d.message) for d in current.diagnostics] == [
            (d.code, d.span, d.message) for d in fresh.diagnostics
        ]
        assert {k: f.output_types for k, f in current.facts.items()} == {
            k: f.output_types for k, f in fresh.facts.items()
        }
        previous = current


def test_unchanged_text_and_edits_outside_the_arrays_reuse_the_nodes() -> None:
    text = generate_text(300)
    previous = analyze(text, workspace=WORKSPACE)
    same = analyze(text, workspace=WORKSPACE, previous=previous)  # a change to itself
    assert same.document.value["nodes"] is previous.document.value["nodes"]
    assert [(d.code, d.span) for d in same.diagnostics] == [
        (d.code, d.span) for d in previous.diagnostics
    ]
    for old, new in [
        ('"name": "Generated', '"name": "Renamed'),
        ('"id": "generated_300"', '"id": "g"'),
    ]:
        at = text.index(old)
        text = text[:at] + new + text[at + len(old) :]
        current = analyze(text, workspace=WORKSPACE, previous=previous)
        fresh = analyze(text, workspace=WORKSPACE)
        assert current.document.value["nodes"] is previous.document.value["nodes"]
        assert current.document.value == fresh.document.value
        assert [(d.code, d.span, d.message) for d in current.diagnostics] == [
            (d.code, d.span, d.message) for d in fresh.diagnostics
        ]
        previous = current


def test_custom_nodes_from_the_workspace_are_used(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "nodeforge.toml", tmp_path / "nodeforge.toml")
    node_dir = tmp_path / "nodes" / "acme" / "shout" / "1.0.0"
    node_dir.mkdir(parents=True)
    base = WORKSPACE.catalog.get("util/log", "1.0.0")
    assert base is not None
    custom = json.loads(base.path.read_text(encoding="utf-8"))
    custom.update({"type": "acme/shout", "category": "acme", "title": "Shout"})
    (node_dir / "node.json").write_text(json.dumps(custom), encoding="utf-8")
    workspace = load_workspace(tmp_path)
    flow = {
        "nodeforge": "1",
        "id": "custom",
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {"id": "yell", "type": "acme/shout", "version": "1.0.0", "config": {"message": "hi"}},
        ],
        "connections": [{"from": "start.out", "to": "yell.in"}],
    }
    assert analyze(json.dumps(flow), workspace=workspace).diagnostics == []
    assert "NF004" in [d.code for d in analyze(json.dumps(flow), workspace=WORKSPACE).diagnostics]


def test_long_chains_do_not_recurse() -> None:
    nodes: list[dict[str, object]] = [
        {
            "id": "t",
            "type": "http/trigger",
            "version": "1.1.0",
            "config": {"method": "GET", "path": "/x"},
        }
    ]
    connections, previous = [], "t.out"
    for i in range(3000):
        nodes.append(
            {"id": f"l{i}", "type": "util/log", "version": "1.0.0", "config": {"message": "m"}}
        )
        connections.append({"from": previous, "to": f"l{i}.in"})
        previous = f"l{i}.out"
    flow = {"nodeforge": "1", "id": "chain", "nodes": nodes, "connections": connections}
    found = [d.code for d in analyze(json.dumps(flow), workspace=WORKSPACE).diagnostics]
    assert found == ["NF014"]
    nodes.append({"id": "r", "type": "http/respond", "version": "1.0.0", "config": {}})
    connections.append({"from": previous, "to": "r.in"})
    assert analyze(json.dumps(flow), workspace=WORKSPACE).diagnostics == []


def test_an_unconnected_invalid_port_is_answered_by_the_trigger() -> None:
    # http/trigger 1.1.0 answers a request that breaks its schemas itself (400) unless
    # `invalid` is connected: the unconnected port is no path without a response.
    def flow(extra: list[dict[str, object]]) -> str:
        trigger = {"id": "t", "type": "http/trigger", "version": "1.1.0"}
        trigger["config"] = {"method": "GET", "path": "/x"}
        respond = {"id": "r", "type": "http/respond", "version": "1.0.0", "config": {}}
        return json.dumps(
            {
                "nodeforge": "1",
                "id": "f",
                "nodes": [trigger, respond, *extra],
                "connections": [{"from": "t.out", "to": "r.in"}]
                + [{"from": "t.invalid", "to": f"{n['id']}.in"} for n in extra],
            }
        )

    assert analyze(flow([]), workspace=WORKSPACE).diagnostics == []
    log = {"id": "l", "type": "util/log", "version": "1.0.0", "config": {"message": "m"}}
    found = analyze(flow([log]), workspace=WORKSPACE).diagnostics
    assert [(d.code, d.data) for d in found] == [("NF014", {"node": "l"})]


def test_analysis_never_writes_into_the_document() -> None:
    text = EXAMPLE_TEXTS[0]
    result = analyze(text, workspace=WORKSPACE)
    assert result.document.value == json.loads(text)  # no defaults filled in, nothing dropped


node_fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["a", "b_1", "Bad", "", 3]),
        "type": st.sampled_from(["util/log", "x", None]),
        "version": st.sampled_from(["1.0.0", "1.0", 1]),
        "title": st.sampled_from(["t", None, 1]),
        "position": st.sampled_from(
            [{"x": 1, "y": 2.5}, {"x": "1", "y": 2}, {"x": True, "y": 1}, {}]
        ),
        "config": st.sampled_from([{}, {"a": [1]}, [], None]),
        "extra": st.just(1),
    },
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "nodeforge": st.sampled_from(["1", "2", 1]),
            "id": st.sampled_from(["f", "F", None]),
            "$schema": st.sampled_from(["https://x", 5]),
            "name": st.sampled_from(["n", None, 2]),
            "nodes": st.lists(node_fields, max_size=3),
            "connections": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "from": st.sampled_from(["a.out", "a", "A.b", 1]),
                        "to": st.just("b.in"),
                    },
                ),
                max_size=2,
            ),
            "tests": st.lists(
                st.fixed_dictionaries(
                    {"name": st.just("t"), "trigger": st.sampled_from(["a", "A"])}
                ),
                max_size=1,
            ),
            "other": st.just(1),
        },
    )
)
@settings(max_examples=300)
def test_fast_structure_check_agrees_with_the_published_schema(document: dict[str, object]) -> None:
    import jsonschema

    from nodeforge.analysis.model import flow_json_schema

    expected = jsonschema.Draft202012Validator(flow_json_schema()).is_valid(document)
    assert checks.structure_is_valid(document) == expected


def _map_flow(config: dict[str, object], downstream: str) -> str:
    """A typed trigger, a data/map 1.1.0 with ``config``, a log reading its output."""
    person = {
        "type": "object",
        "required": ["name", "age"],
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "additionalProperties": False,
    }
    flow = {
        "nodeforge": "1",
        "id": "mapped",
        "nodes": [
            {
                "id": "start",
                "type": "trigger/manual",
                "version": "1.0.0",
                "config": {"input_schema": person},
            },
            {"id": "m", "type": "data/map", "version": "1.1.0", "config": config},
            {
                "id": "say",
                "type": "util/log",
                "version": "1.0.0",
                "config": {"message": downstream},
            },
        ],
        "connections": [{"from": "start.out", "to": "m.in"}, {"from": "m.out", "to": "say.in"}],
    }
    return json.dumps(flow)


LABEL = {"label": "upper(input.name)"}


@pytest.mark.parametrize(
    ("config", "out", "found"),
    [
        # keep_input: the input's fields, then the mapped ones (`$if` then `$merge`).
        ({"mapping": LABEL, "keep_input": True}, "{name: string, age: integer, label: string}", []),
        # Off, or absent (the config schema's default is false): only the mapped fields.
        ({"mapping": LABEL, "keep_input": False}, "{label: string}", ["no field `age`"]),
        ({"mapping": LABEL}, "{label: string}", ["no field `age`"]),
        # A mapped field wins over the kept one of the same name, keeping its place.
        (
            {"mapping": {**LABEL, "age": "string(input.age)"}, "keep_input": True},
            "{name: string, age: string, label: string}",
            ["cannot add string and integer"],
        ),
        # Not a boolean: NF006 says so, and the output is untyped (no follow-up errors).
        ({"mapping": LABEL, "keep_input": "yes"}, "any", ["`keep_input` must be a boolean"]),
    ],
)
def test_data_map_keep_input_types_the_kept_fields(
    config: dict[str, object], out: str, found: list[str]
) -> None:
    result = analyze(
        _map_flow(config, "{{ input.age + 1 }} {{ input.label }}"), workspace=WORKSPACE
    )
    assert describe(result.facts["m"].output_types["out"]) == out
    messages = [d.message for d in result.diagnostics]
    assert len(messages) == len(found), messages
    for message, expected in zip(messages, found, strict=True):
        assert expected in message


def test_data_map_keep_input_edit_retypes_downstream() -> None:
    """Turning keep_input off in an edit re-resolves the port (no stale cached type)."""
    on = _map_flow({"mapping": LABEL, "keep_input": True}, "{{ input.age }}")
    previous = analyze(on, workspace=WORKSPACE)
    assert previous.diagnostics == []
    off = on.replace('"keep_input": true', '"keep_input": false')
    current = analyze(off, workspace=WORKSPACE, previous=previous)
    assert [d.code for d in current.diagnostics] == ["NF018"]
    assert describe(current.facts["m"].output_types["out"]) == "{label: string}"


def test_a_null_node_after_an_edit_is_reported_as_afresh() -> None:
    """A `null` where a node should be, typed in an edit: the incremental analysis
    reports NF002 for it as a fresh one does (``Memo.get_all`` once took the absent
    entry of the key None for a mark of None: "sound", no structure check). Found by
    ``bench.fuzz`` (seed 23)."""
    text = json.dumps(
        {
            "nodeforge": "1",
            "id": "f",
            "nodes": [
                {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
                {"id": "log", "type": "util/log", "version": "1.0.0", "config": {}},
            ],
            "connections": [{"from": "start.out", "to": "log.in"}],
        },
        indent=2,
    )
    previous = analyze(text, workspace=WORKSPACE)
    edited = text.replace('"nodes": [', '"nodes": [\n    null,', 1)
    current = analyze(edited, workspace=WORKSPACE, previous=previous)
    fresh = analyze(edited, workspace=WORKSPACE)
    assert "NF002" in [d.code for d in fresh.diagnostics]
    assert [(d.code, d.span, d.message) for d in current.diagnostics] == [
        (d.code, d.span, d.message) for d in fresh.diagnostics
    ]
