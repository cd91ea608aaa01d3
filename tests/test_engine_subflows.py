"""flow/subflow calls in analysis: the workspace's flow index, NF026 and NF027."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis import flowindex
from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.flowindex import FlowIndex, summarize
from nodeforge.analysis.workspace import Workspace, load_workspace

PRICE_SCHEMA = {
    "type": "object",
    "required": ["product", "qty"],
    "properties": {
        "product": {"type": "string"},
        "qty": {"type": "integer"},
        "note": {"type": "string"},
    },
    "additionalProperties": False,
}


def node(node_id: str, type_: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "version": "1.0.0", "config": config}


def price_flow(schema: dict[str, Any] | None = None, flow_id: str = "price") -> dict[str, Any]:
    """A flow started by hand with ``schema`` as its input schema."""
    config = {"input_schema": schema if schema is not None else PRICE_SCHEMA}
    return {
        "nodeforge": "1",
        "id": flow_id,
        "nodes": [node("start", "trigger/manual", config)],
        "connections": [],
    }


def caller(
    target: str, arguments: dict[str, str] | None = None, flow_id: str = "quote"
) -> dict[str, Any]:
    """A flow whose node `call` calls ``target`` with ``arguments``; its input has
    `item` (string), `n` (integer) and `weight` (number)."""
    config: dict[str, Any] = {"flow": target}
    if arguments is not None:
        config["arguments"] = arguments
    schema = {
        "type": "object",
        "required": ["item", "n", "weight"],
        "properties": {
            "item": {"type": "string"},
            "n": {"type": "integer"},
            "weight": {"type": "number"},
        },
    }
    return {
        "nodeforge": "1",
        "id": flow_id,
        "nodes": [
            node("start", "trigger/manual", {"input_schema": schema}),
            node("call", "flow/subflow", config),
        ],
        "connections": [{"from": "start.out", "to": "call.in"}],
    }


def write(root: Path, name: str, flow: dict[str, Any] | str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(flow if isinstance(flow, str) else json.dumps(flow, indent=2))
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "subflows"\n')
    write(tmp_path, "price.flow.json", price_flow())
    return tmp_path


def check(flow: dict[str, Any], workspace: Workspace) -> tuple[str, list[Diagnostic]]:
    text = json.dumps(flow, indent=2)
    found = analyze(text, "file:///ws/quote.flow.json", 1, workspace).diagnostics
    return text, [d for d in found if d.code in ("NF026", "NF027")]


def at(text: str, d: Diagnostic) -> str:
    return text[d.span.start : d.span.end]


# -- NF026 -------------------------------------------------------------------------------------


def test_a_known_target_with_fitting_arguments_is_clean(root: Path) -> None:
    flow = caller("price", {"product": "input.item", "qty": "input.n"})
    assert check(flow, load_workspace(root))[1] == []


def test_unknown_target_suggests_a_close_flow_id(root: Path) -> None:
    text, [d] = check(caller("prices"), load_workspace(root))
    assert d.code == "NF026" and d.severity == Severity.ERROR
    assert d.message == (
        "`call` calls flow `prices`, which is not in the workspace; did you mean `price`?"
    )
    assert at(text, d) == '"prices"'
    assert d.data == {"flow": "prices", "suggestion": "price"}


def test_target_without_manual_trigger(root: Path) -> None:
    hooked = {
        "nodeforge": "1",
        "id": "hooked",
        "nodes": [node("req", "http/trigger", {"method": "GET", "path": "/h"})],
        "connections": [],
    }
    write(root, "sub/hooked.flow.json", hooked)
    text, [d] = check(caller("hooked"), load_workspace(root))
    assert "which has no `trigger/manual` node to start it" in d.message
    assert at(text, d) == '"hooked"'


def test_a_flow_calling_itself(root: Path) -> None:
    text, [d] = check(caller("quote"), load_workspace(root))
    assert d.message == "`call` calls this flow, `quote`, itself: a flow cannot call itself"
    assert at(text, d) == '"quote"'


def test_calls_that_come_back_through_other_flows(root: Path) -> None:
    back = caller("quote", flow_id="middle")
    back["nodes"][0]["config"]["input_schema"] = {"type": "object"}
    write(root, "middle.flow.json", back)
    _, [d] = check(caller("middle"), load_workspace(root))
    assert d.message == "flow/subflow calls go round in a cycle: quote -> middle -> quote"


def test_broken_json_files_are_not_flows(root: Path) -> None:
    write(root, "broken.flow.json", '{"nodeforge": "1", "id": "broken", "nodes": [')
    _, [d] = check(caller("broken"), load_workspace(root))
    assert "which is not in the workspace" in d.message


def test_a_lone_file_does_not_report_unknown_targets() -> None:
    lone = load_workspace(None)
    assert check(caller("anything"), lone)[1] == []
    # What it can know, it still says: a flow calling itself.
    assert [d.code for d in check(caller("quote"), lone)[1]] == ["NF026"]
    # A flow it was told about (an open document) is checked.
    lone.flows.set_overlay("inmemory://price", summarize(price_flow(), "inmemory://price"))
    _, [d] = check(caller("price", {"product": "input.item"}), lone)
    assert d.code == "NF027" and "`qty`" in d.message


# -- NF027 -------------------------------------------------------------------------------------


def test_missing_required_arguments_are_located_on_arguments(root: Path) -> None:
    text, [d] = check(caller("price", {"note": "input.item"}), load_workspace(root))
    assert d.code == "NF027"
    assert d.message == (
        "Missing arguments `product`, `qty`: flow `price` requires them (its `input_schema`)"
    )
    assert at(text, d) == '"arguments"'
    assert d.data["missing"] == ["product", "qty"]
    # Without any arguments object, on the called flow's id.
    text, [d] = check(caller("price"), load_workspace(root))
    assert at(text, d) == '"price"' and "Missing arguments" in d.message


def test_unknown_argument_when_the_schema_is_closed(root: Path) -> None:
    args = {"product": "input.item", "qty": "input.n", "notes": "input.item"}
    text, [d] = check(caller("price", args), load_workspace(root))
    assert d.message == (
        "Flow `price` takes no argument `notes`; did you mean `note`? "
        "(its arguments: `product`, `qty`, `note`)"
    )
    assert at(text, d) == '"notes"'
    # An open schema takes any extra argument.
    write(root, "price.flow.json", price_flow({**PRICE_SCHEMA, "additionalProperties": True}))
    assert check(caller("price", args), load_workspace(root))[1] == []


def test_argument_types_against_the_schema(root: Path) -> None:
    args = {"product": "input.n", "qty": "input.weight"}
    text, found = check(caller("price", args), load_workspace(root))
    by_key = {d.data["key"]: d for d in found}
    assert by_key["product"].message == (
        "Argument `product` of flow `price`: string expected, got integer"
    )
    assert by_key["product"].severity == Severity.ERROR
    assert at(text, by_key["product"]) == '"input.n"'
    # A number for an integer may have a fraction: a warning.
    assert by_key["qty"].severity == Severity.WARNING
    assert "integer expected, got number" in by_key["qty"].message


def test_argument_with_an_expression_error_is_left_to_nf018(root: Path) -> None:
    flow = caller("price", {"product": "input.nope", "qty": "input.n"})
    text = json.dumps(flow)
    codes = [d.code for d in analyze(text, "", 1, load_workspace(root)).diagnostics]
    assert "NF018" in codes and "NF027" not in codes


def test_an_edit_of_the_arguments_is_rechecked_incrementally(root: Path) -> None:
    workspace = load_workspace(root)
    good = json.dumps(caller("price", {"product": "input.item", "qty": "input.n"}), indent=2)
    first = analyze(good, "", 1, workspace)
    bad = good.replace('"qty": "input.n"', '"qty": "input.item"')
    second = analyze(bad, "", 2, workspace, previous=first)
    assert [d.code for d in second.diagnostics] == ["NF027"]
    again = analyze(good, "", 3, workspace, previous=second)
    assert again.diagnostics == []


# -- the index ----------------------------------------------------------------------------------


def test_the_index_reads_files_only_for_documents_that_call_flows(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Path] = []
    real = flowindex.read_flow_file

    def counting(path: Path) -> Any:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(flowindex, "read_flow_file", counting)
    workspace = load_workspace(root)
    analyze(json.dumps(price_flow()), "", 1, workspace)
    assert reads == []
    analyze(json.dumps(caller("price")), "", 1, workspace)
    assert reads == [root / "price.flow.json"]
    analyze(json.dumps(caller("nope")), "", 1, workspace)
    assert len(reads) == 1  # cached


def test_index_skips_tool_folders_and_the_first_path_wins(root: Path) -> None:
    write(root, ".nodeforge/gen/price.flow.json", price_flow({"type": "object"}))
    write(root, "z/price.flow.json", price_flow({"type": "object"}))
    write(root, "a/other.flow.json", price_flow(flow_id="other"))
    index = FlowIndex(root)
    assert sorted(index.flows()) == ["other", "price"]
    found = index.get("price")
    assert found is not None and found.path == root / "price.flow.json"
    assert found.manual_triggers == ("start",) and found.input_schema == PRICE_SCHEMA
    assert found.uri == (root / "price.flow.json").as_uri()


def test_summary_of_a_flow() -> None:
    flow = caller("price")
    flow["nodes"].append(node("second", "trigger/manual", {}))
    flow["name"] = "Quote"
    summary = summarize(flow)
    assert summary is not None
    assert summary.manual_triggers == ("start", "second")
    assert summary.input_schema == flow["nodes"][0]["config"]["input_schema"]
    assert summary.calls == ("price",) and summary.name == "Quote"
    # A manual trigger without input_schema takes any object.
    assert summarize(price_flow() | {"nodes": [node("s", "trigger/manual", {})]}) is not None
    plain = summarize({"id": "p", "nodes": [node("s", "trigger/manual", {})]})
    assert plain is not None and plain.input_schema == {"type": "object"}
    assert summarize({"nodes": []}) is None and summarize([]) is None


def test_reload_follows_changed_created_and_deleted_files(root: Path) -> None:
    index = FlowIndex(root)
    assert index.reload([root / "price.flow.json"]) is False  # never read: nothing to say
    assert set(index.flows()) == {"price"}
    revision = index.revision
    # Saved again with the same bytes: nothing changed.
    write(root, "price.flow.json", price_flow())
    assert index.reload([root / "price.flow.json"]) is False
    # Other bytes (here only reformatted): what callers get from it, its answer type, may
    # have changed, and the index cannot tell without analysing it: a change.
    write(root, "price.flow.json", json.dumps(price_flow()))
    assert index.reload([root / "price.flow.json"]) is True
    # Created.
    created = write(root, "extra.flow.json", price_flow(flow_id="extra"))
    assert index.reload([created]) is True and set(index.flows()) == {"price", "extra"}
    # Changed: another input schema.
    write(root, "extra.flow.json", price_flow({"type": "object"}, flow_id="extra"))
    assert index.reload([created]) is True
    assert index.get("extra") is not None
    assert index.get("extra").input_schema == {"type": "object"}  # type: ignore[union-attr]
    # Deleted, and a deleted folder.
    created.unlink()
    assert index.reload([created]) is True and set(index.flows()) == {"price"}
    nested = write(root, "deep/one.flow.json", price_flow(flow_id="one"))
    assert index.reload([nested.parent]) is True and "one" in index.flows()
    nested.unlink()
    nested.parent.rmdir()
    assert index.reload([nested.parent]) is True and "one" not in index.flows()
    # Outside the root, or in a tool folder: ignored.
    assert index.reload([root.parent / "elsewhere.flow.json"]) is False
    assert index.revision > revision


def test_open_documents_win_over_their_files(root: Path) -> None:
    index = FlowIndex(root)
    path = root / "price.flow.json"
    assert index.get("price") is not None
    open_text = json.dumps(price_flow({"type": "object"}))
    summary = summarize(json.loads(open_text), path.as_uri(), path, open_text)
    assert index.set_overlay(path, summary) is True
    got = index.get("price")
    assert got is not None and got.input_schema == {"type": "object"} and got.text == open_text
    assert index.set_overlay(path, summary) is False  # the same again
    # Renamed in the editor: the old id is gone until the document is closed.
    renamed = summarize(price_flow(flow_id="cost"), path.as_uri(), path)
    assert index.set_overlay(path, renamed) is True
    assert set(index.flows()) == {"cost"}
    assert index.drop_overlay(path) is True and set(index.flows()) == {"price"}
    # A document without a file sits beside the files.
    assert index.set_overlay("inmemory://1", summarize(price_flow(flow_id="memo"))) is True
    assert set(index.flows()) == {"price", "memo"}
    # Changes the disk makes under an open document are hidden by it.
    index.set_overlay(path, summary)
    write(root, "price.flow.json", price_flow({"type": "object", "required": ["x"]}))
    assert index.reload([path]) is False
