"""flow/subflow over a real LSP client (stdio): diagnostics that follow the called flow
as it is edited, saved, created and deleted; completion and definition of the target."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp

from tests.lsp.harness import (
    Client,
    change_document,
    config,
    diagnostics_for,
    doc_id,
    initialize,
    open_document,
    position_of,
)

SCHEMA = {
    "type": "object",
    "required": ["product", "qty"],
    "properties": {"product": {"type": "string"}, "qty": {"type": "integer"}},
}


def price_flow(schema: dict[str, Any], flow_id: str = "price") -> str:
    trigger = {
        "id": "start",
        "type": "trigger/manual",
        "version": "1.0.0",
        "config": {"input_schema": schema},
    }
    flow = {"nodeforge": "1", "id": flow_id, "nodes": [trigger], "connections": []}
    return json.dumps(flow, indent=2) + "\n"


def quote_flow(target: str) -> str:
    return (
        '{\n  "nodeforge": "1",\n  "id": "quote",\n  "nodes": [\n'
        '    {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": '
        '{"input_schema": {"type": "object", "required": ["item"], '
        '"properties": {"item": {"type": "string"}}}}},\n'
        '    {"id": "call", "type": "flow/subflow", "version": "1.0.0", "config": '
        f'{{"flow": "{target}", "arguments": {{"product": "input.item", "qty": "1"}}}}}}\n'
        '  ],\n  "connections": [{"from": "start.out", "to": "call.in"}]\n}\n'
    )


@pytest_lsp.fixture(config=config())
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "calls"\n')
    (tmp_path / "price.flow.json").write_text(price_flow(SCHEMA))
    (tmp_path / "quote.flow.json").write_text(quote_flow("price"))
    return tmp_path


async def until(check: Callable[[], bool], timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


def messages(client: Client, uri: str) -> list[str] | None:
    """The messages of the newest diagnostics published for ``uri``."""
    for params in reversed(client.published):
        if params.uri == uri:
            return [f"{d.code} {d.message}" for d in params.diagnostics]
    return None


def watched(client: Client, path: Path, kind: lsp.FileChangeType) -> None:
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=path.as_uri(), type=kind)])
    )


async def test_callers_follow_the_open_called_flow(client: Client, root: Path) -> None:
    await initialize(client, folders=[root])
    quote = open_document(client, root / "quote.flow.json")
    assert await diagnostics_for(client, quote, 1) == []
    # The called flow, opened and edited (not saved): its new input schema counts.
    price = open_document(client, root / "price.flow.json")
    assert await diagnostics_for(client, price, 1) == []
    wider = {**SCHEMA, "required": ["product", "qty", "currency"]}
    wider["properties"] = {**SCHEMA["properties"], "currency": {"type": "string"}}
    change_document(client, price, 2, price_flow(wider))
    expected = ["NF027 Missing argument `currency`: flow `price` requires it (its `input_schema`)"]
    await until(lambda: messages(client, quote) == expected)
    # Half-typed JSON in the called flow keeps its last good summary.
    change_document(client, price, 3, price_flow(wider)[:-20])
    await diagnostics_for(client, price, 3)
    assert messages(client, quote) == expected
    # Renamed in the editor: the caller now calls a flow that does not exist.
    change_document(client, price, 4, price_flow(wider, flow_id="prices"))
    await until(lambda: any("not in the workspace" in m for m in messages(client, quote) or []))
    assert "did you mean `prices`?" in (messages(client, quote) or [""])[0]
    # Closed without saving: the file on disk speaks again.
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc_id(price)))
    await until(lambda: messages(client, quote) == [])


async def test_callers_follow_flow_files_on_disk(client: Client, root: Path) -> None:
    await initialize(client, folders=[root])
    quote_path = root / "quote.flow.json"
    quote = open_document(client, quote_path, quote_flow("tax"))
    [unknown] = await diagnostics_for(client, quote, 1)
    assert unknown.code == "NF026"
    assert unknown.message.startswith("`call` calls flow `tax`, which is not in the workspace")
    # Created.
    tax = root / "billing" / "tax.flow.json"
    tax.parent.mkdir()
    tax.write_text(price_flow(SCHEMA, flow_id="tax"))
    watched(client, tax, lsp.FileChangeType.Created)
    await until(lambda: messages(client, quote) == [])
    # Changed: its trigger is gone.
    tax.write_text(price_flow(SCHEMA, flow_id="tax").replace("trigger/manual", "util/log"))
    watched(client, tax, lsp.FileChangeType.Changed)
    await until(lambda: any("no `trigger/manual`" in m for m in messages(client, quote) or []))
    # Deleted.
    tax.unlink()
    watched(client, tax, lsp.FileChangeType.Deleted)
    await until(lambda: any("not in the workspace" in m for m in messages(client, quote) or []))


async def test_completion_and_definition_of_the_called_flow(client: Client, root: Path) -> None:
    await initialize(client, folders=[root])
    (root / "other.flow.json").write_text(price_flow({"type": "object"}, flow_id="other"))
    text = quote_flow("price")
    quote = open_document(client, root / "quote.flow.json", text)
    await diagnostics_for(client, quote, 1)
    at = position_of(text, '"price"', 2)
    completion = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=doc_id(quote), position=at)
    )
    assert completion is not None
    items = completion.items if isinstance(completion, lsp.CompletionList) else completion
    flows = [i for i in items if i.kind == lsp.CompletionItemKind.File]
    assert sorted(i.label for i in flows) == ["other", "price"]
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc_id(quote), position=at)
    )
    assert isinstance(found, list) and len(found) == 1
    location = found[0]
    assert isinstance(location, lsp.Location)
    assert location.uri == (root / "price.flow.json").as_uri()
    line = price_flow(SCHEMA).splitlines()[location.range.start.line]
    assert line[location.range.start.character : location.range.end.character] == "price"


def answering_flow(body: str) -> str:
    """`rate`: a manual trigger answered with ``body``."""
    nodes = [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {"id": "ok", "type": "http/respond", "version": "1.0.0", "config": {"body": body}},
    ]
    flow = {
        "nodeforge": "1",
        "id": "rate",
        "nodes": nodes,
        "connections": [{"from": "start.out", "to": "ok.in"}],
    }
    return json.dumps(flow, indent=2) + "\n"


def using_rate(expression: str) -> str:
    """`bill`: calls `rate` and answers ``expression`` over its answer."""
    nodes = [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {"id": "call", "type": "flow/subflow", "version": "1.0.0", "config": {"flow": "rate"}},
        {"id": "done", "type": "http/respond", "version": "1.0.0", "config": {"body": expression}},
    ]
    edges = [{"from": "start.out", "to": "call.in"}, {"from": "call.out", "to": "done.in"}]
    flow = {"nodeforge": "1", "id": "bill", "nodes": nodes, "connections": edges}
    return json.dumps(flow, indent=2) + "\n"


async def test_callers_follow_the_answer_of_the_open_called_flow(
    client: Client, root: Path
) -> None:
    await initialize(client, folders=[root])
    (root / "rate.flow.json").write_text(answering_flow('{"percent": 20}'))
    bill = open_document(client, root / "bill.flow.json", using_rate("input.percent * 2"))
    assert await diagnostics_for(client, bill, 1) == []
    rate = open_document(client, root / "rate.flow.json")
    assert await diagnostics_for(client, rate, 1) == []
    # Another answer type: the caller's expression no longer fits.
    change_document(client, rate, 2, answering_flow('{"rate": 20}'))
    await until(lambda: any("percent" in m for m in messages(client, bill) or []))
    assert [m.split()[0] for m in messages(client, bill) or []] == ["NF018"]
    # An edit that keeps the answer type leaves the caller as it is (the index says
    # nothing changed: tests/test_engine_subflow_answers.py); one that changes it back
    # clears the caller's error.
    change_document(client, rate, 3, answering_flow('{"rate": 21}'))
    await diagnostics_for(client, rate, 3)
    change_document(client, rate, 4, answering_flow('{"percent": 21}'))
    await until(lambda: messages(client, bill) == [])
    # Closed without saving: the file's answer counts again.
    change_document(client, rate, 5, answering_flow('{"rate": 5}'))
    await until(lambda: [m.split()[0] for m in messages(client, bill) or []] == ["NF018"])
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc_id(rate)))
    await until(lambda: messages(client, bill) == [])
