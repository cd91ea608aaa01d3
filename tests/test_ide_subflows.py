"""Editor features on flow/subflow nodes: completion of the called flow and its
arguments, hover, and go-to-definition into the called flow's file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.flowindex import summarize
from nodeforge.analysis.ide import (
    code_actions,
    completion,
    definition,
    hover,
    snippet_plain_text,
)
from nodeforge.analysis.workspace import Workspace, load_workspace
from tests.test_ide_common import apply_edits, is_json, split_cursor

PRICE = {
    "nodeforge": "1",
    "id": "price",
    "name": "Price",
    "description": "The price of some units of a product.",
    "nodes": [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {
                "input_schema": {
                    "type": "object",
                    "required": ["product", "qty"],
                    "properties": {
                        "note": {"type": "string"},
                        "product": {"type": "string", "description": "Product code"},
                        "qty": {"type": "integer", "minimum": 1},
                    },
                }
            },
        }
    ],
    "connections": [],
}
HOOK = {
    "nodeforge": "1",
    "id": "hook",
    "nodes": [
        {
            "id": "req",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {"method": "GET", "path": "/h"},
        }
    ],
    "connections": [],
}


def caller(config: str) -> str:
    """A flow `quote` whose node `call` is a flow/subflow with ``config`` (may hold ``$0``)."""
    return (
        '{"nodeforge": "1", "id": "quote", "nodes": [\n'
        '  {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},\n'
        '  {"id": "call", "type": "flow/subflow", "version": "1.0.0", "config": ' + config + "}\n"
        '], "connections": [{"from": "start.out", "to": "call.in"}]}'
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "ide"\n')
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "price.flow.json").write_text(json.dumps(PRICE, indent=2))
    (tmp_path / "hook.flow.json").write_text(json.dumps(HOOK, indent=2))
    (tmp_path / "quote.flow.json").write_text(caller('{"flow": "price"}'))
    return load_workspace(tmp_path)


def analysis_of(text: str, workspace: Workspace) -> Analysis:
    return analyze(text, "file:///ws/quote.flow.json", 1, workspace)


def labels(text: str, workspace: Workspace) -> list[str]:
    source, offset = split_cursor(text)
    items = completion(analysis_of(source, workspace), offset).items
    return [i.label for i in sorted(items, key=lambda i: (i.sort_text or "", i.label))]


def accept(text: str, label: str, workspace: Workspace) -> str:
    source, offset = split_cursor(text)
    [chosen] = [
        i for i in completion(analysis_of(source, workspace), offset).items if i.label == label
    ]
    span = chosen.edit_span
    assert span is not None and span.start <= offset <= span.end
    insert = chosen.insert_text if chosen.insert_text is not None else chosen.label
    if chosen.is_snippet:
        insert = snippet_plain_text(insert)
    return source[: span.start] + insert + source[span.end :]


# -- completion -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    ['{"flow": "$0"}', '{"flow": "pr$0"}', '{"flow": $0}', '{"flow": "$0", "arguments": {}}'],
)
def test_flow_value_offers_the_workspace_flows(config: str, workspace: Workspace) -> None:
    # Callable flows first; the flow itself (`quote`) is not offered.
    assert labels(caller(config), workspace) == ["price", "hook"]


def test_flow_value_items_describe_the_flow(workspace: Workspace) -> None:
    source, offset = split_cursor(caller('{"flow": "$0"}'))
    items = {i.label: i for i in completion(analysis_of(source, workspace), offset).items}
    assert items["price"].kind == "flow" and items["price"].detail == "Price"
    docs = items["price"].documentation or ""
    assert "flows/price.flow.json" in docs and "- `qty`: `integer ≥ 1` (required)" in docs
    assert items["hook"].detail == "hook.flow.json (no manual trigger)"


def test_accepting_a_flow_gives_valid_json(workspace: Workspace) -> None:
    for config in ['{"flow": "p$0"}', '{"flow": $0 "arguments": {}}']:
        accepted = accept(caller(config), "price", workspace)
        assert is_json(accepted), accepted
        assert json.loads(accepted)["nodes"][1]["config"]["flow"] == "price"


def test_argument_names_come_from_the_called_flow(workspace: Workspace) -> None:
    text = caller('{"flow": "price", "arguments": {"qty": "1", $0}}')
    assert labels(text, workspace) == ["product", "note"]  # required first, `qty` is there
    accepted = accept(text, "product", workspace)
    assert is_json(accepted)
    assert json.loads(accepted)["nodes"][1]["config"]["arguments"] == {"qty": "1", "product": ""}
    # An unknown target, or a node that is not a subflow: nothing to propose.
    assert labels(caller('{"flow": "nope", "arguments": {$0}}'), workspace) == []


# -- hover and definition -------------------------------------------------------------------


def test_hover_on_the_called_flow(workspace: Workspace) -> None:
    source, offset = split_cursor(caller('{"flow": "pr$0ice"}'))
    found = hover(analysis_of(source, workspace), offset)
    assert found is not None
    assert found.markdown.startswith("**price** · Price")
    assert "The price of some units" in found.markdown
    assert source[found.span.start : found.span.end] == '"price"'
    # An unknown flow: the docs of the config key, as for any config value.
    source, offset = split_cursor(caller('{"flow": "no$0pe"}'))
    found = hover(analysis_of(source, workspace), offset)
    assert found is not None and found.markdown.startswith("**flow**: `string`")


def test_definition_goes_to_the_called_flow_file(workspace: Workspace) -> None:
    source, offset = split_cursor(caller('{"flow": "pr$0ice"}'))
    [location] = definition(analysis_of(source, workspace), offset)
    assert workspace.root is not None
    assert location.uri == (workspace.root / "flows" / "price.flow.json").as_uri()
    assert location.lines.text[location.span.start : location.span.end] == "price"
    assert location.lines.text == json.dumps(PRICE, indent=2)
    source, offset = split_cursor(caller('{"flow": "no$0pe"}'))
    assert definition(analysis_of(source, workspace), offset) == []


def test_definition_follows_the_open_document_of_the_called_flow(workspace: Workspace) -> None:
    assert workspace.root is not None
    path = workspace.root / "flows" / "price.flow.json"
    edited = '{\n\n\n  "nodeforge": "1", "id": "price", "nodes": []}'
    uri = "file:///editor/price.flow.json"
    workspace.flows.set_overlay(path, summarize(json.loads(edited), uri, path, edited))
    source, offset = split_cursor(caller('{"flow": "pr$0ice"}'))
    [location] = definition(analysis_of(source, workspace), offset)
    assert location.uri == uri
    assert location.lines.text is edited
    assert edited[location.span.start : location.span.end] == "price"


# -- quick fix ------------------------------------------------------------------------------


def test_unknown_flow_quick_fix_calls_the_suggested_flow(workspace: Workspace) -> None:
    text = caller('{"flow": "prise", "arguments": {"product": "input.x", "qty": "1"}}')
    analysis = analysis_of(text, workspace)
    [unknown] = [d for d in analysis.diagnostics if d.code == "NF026"]
    [action] = code_actions(analysis, unknown.span, [unknown])
    assert action.title == "Call flow `price`" and action.is_preferred
    fixed = apply_edits(text, action.edits)
    assert fixed == text.replace('"prise"', '"price"')
    assert not [d for d in analysis_of(fixed, workspace).diagnostics if d.code == "NF026"]
    # A flow calling itself has no such fix.
    mine = analysis_of(caller('{"flow": "quote"}'), workspace)
    [itself] = [d for d in mine.diagnostics if d.code == "NF026"]
    assert code_actions(mine, itself.span, [itself]) == []


# -- the called flow's answer ---------------------------------------------------------------

RATE = {
    "nodeforge": "1",
    "id": "rate",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "ok",
            "type": "http/respond",
            "version": "1.0.0",
            "config": {"body": '{"country": "FR", "percent": 20}'},
        },
    ],
    "connections": [{"from": "start.out", "to": "ok.in"}],
}


def rate_caller(body: str) -> str:
    """`quote`: its node `call` calls `rate`, whose answer goes to `done` (``body``)."""
    return (
        '{"nodeforge": "1", "id": "quote", "nodes": [\n'
        '  {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},\n'
        '  {"id": "call", "type": "flow/subflow", "version": "1.0.0", "config": {"flow": "rate"}},\n'
        '  {"id": "done", "type": "http/respond", "version": "1.0.0", "config": {"body": "'
        + body
        + '"}}\n], "connections": [{"from": "start.out", "to": "call.in"}, '
        '{"from": "call.out", "to": "done.in"}]}'
    )


def test_completion_after_input_offers_the_answer_fields(workspace: Workspace) -> None:
    assert workspace.root is not None
    (workspace.root / "rate.flow.json").write_text(json.dumps(RATE, indent=2))
    assert labels(rate_caller("input.$0"), workspace) == ["country", "percent"]
    assert labels(rate_caller("nodes.call.out.$0"), workspace) == ["country", "percent"]


def test_hover_shows_the_answer_type_of_the_out_port(workspace: Workspace) -> None:
    assert workspace.root is not None
    (workspace.root / "rate.flow.json").write_text(json.dumps(RATE, indent=2))
    # On the connection's source, and in the node's ports.
    source, offset = split_cursor(
        rate_caller("input").replace('"from": "call.out"', '"from": "call.o$0ut"')
    )
    found = hover(analysis_of(source, workspace), offset)
    assert found is not None
    assert "**from** `call.out`: `{country: string, percent: integer}`" in found.markdown
    source, offset = split_cursor(rate_caller("input").replace('"id": "call"', '"id": "ca$0ll"'))
    found = hover(analysis_of(source, workspace), offset)
    assert found is not None
    assert "- `out`: `{country: string, percent: integer}`" in found.markdown
