"""The assistant's LSP commands through a real language-server session (JSON-RPC over the
in-process transport), with the real LLM client talking to the fake provider:
nodeforge.assist (new flow, edit), the "Generate adapter with the model" quick fix and
nodeforge.generateAdapter, nodeforge.customizeNode refusals; progress; secrets."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.ide.format import format_document
from nodeforge.server.lsp import create_server
from nodeforge.server.transport import serve_session
from tests import llm_fake
from tests.lsp.inprocess import MemoryClient
from tests.test_llm_assist import (
    GOOD_FLOW,
    assert_no_secrets,
    broken_flow,
    fake,  # noqa: F401 (fixture)
    mismatch_flow,
    ws,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.asyncio

CAPABILITIES = {
    "window": {"workDoneProgress": True},
    "workspace": {"workspaceEdit": {"documentChanges": True}, "applyEdit": False},
}


async def start(root: Path) -> MemoryClient:
    client = MemoryClient()
    client.task = asyncio.create_task(
        serve_session(
            client.inbox.get, client, framed=False, redact_errors=True, server=create_server()
        )
    )
    await client.request(
        "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": CAPABILITIES}
    )
    client.notify("initialized", {})
    return client


async def command(client: MemoryClient, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return await client.request(
        "workspace/executeCommand", {"command": name, "arguments": [args]}, timeout=120
    )


def progress_kinds(client: MemoryClient) -> list[str]:
    return [
        n["params"]["value"]["kind"] for n in client.notifications if n["method"] == "$/progress"
    ]


async def test_assist_new_flow_is_a_workspace_edit_creating_the_file(
    ws: Path,  # noqa: F811
    fake: llm_fake.FakeLLMServer,  # noqa: F811
) -> None:
    fake.add(llm_fake.structured(broken_flow()), llm_fake.structured(GOOD_FLOW))
    client = await start(ws)
    answer = await command(client, "nodeforge.assist", {"description": "POST /orders inserts"})
    result = answer["result"]
    assert result["ok"] is True and result["rounds"] == 2
    target = (ws / "flows" / "orders.flow.json").as_uri()
    assert result["uri"] == target
    create, text_edit = result["edit"]["documentChanges"]
    assert create == {"kind": "create", "uri": target, "options": {"overwrite": False}}
    assert json.loads(text_edit["edits"][0]["newText"])["id"] == "orders"
    assert not (ws / "flows" / "orders.flow.json").exists()  # offered, not written
    kinds = progress_kinds(client)
    assert kinds[0] == "begin" and kinds.count("report") == 2 and kinds[-1] == "end"
    assert_no_secrets(fake)
    await client.stop()


async def test_assist_edit_is_minimal_edits_and_a_diff(
    ws: Path,  # noqa: F811
    fake: llm_fake.FakeLLMServer,  # noqa: F811
) -> None:
    path = ws / "flows" / "orders.flow.json"
    original = format_document(json.dumps(GOOD_FLOW))
    assert original is not None
    path.write_text(original)
    edited = copy.deepcopy(GOOD_FLOW)
    edited["nodes"][2]["config"]["status"] = 202
    fake.add(llm_fake.structured(edited))
    client = await start(ws)
    uri = client.open(path)
    answer = await command(client, "nodeforge.assist", {"uri": uri, "description": "answer 202"})
    result = answer["result"]
    assert result["ok"] and result["rounds"] == 1
    (change,) = result["edit"]["documentChanges"]
    assert change["textDocument"] == {"uri": uri, "version": 1}
    (text_edit,) = change["edits"]
    assert '"status": 202' in text_edit["newText"] and len(text_edit["newText"].splitlines()) == 1
    assert "+" in result["diff"] and "202" in result["diff"]
    await client.stop()


async def test_assist_never_clean_offers_nothing(
    ws: Path,  # noqa: F811
    fake: llm_fake.FakeLLMServer,  # noqa: F811
) -> None:
    fake.add(llm_fake.structured(broken_flow()))
    client = await start(ws)
    answer = await command(client, "nodeforge.assist", {"description": "x", "maxRounds": 1})
    result = answer["result"]
    assert result["ok"] is False and "edit" not in result
    assert "after 1 round(s)" in result["message"]
    refused = await command(client, "nodeforge.assist", {"description": "x", "maxRounds": 99})
    assert "maxRounds" in refused["error"]["message"]
    await client.stop()


async def test_adapter_quick_fix_runs_the_model_and_type_checks(
    ws: Path,  # noqa: F811
    fake: llm_fake.FakeLLMServer,  # noqa: F811
) -> None:
    path = mismatch_flow(ws)
    fake.add(
        llm_fake.structured({"mapping": {"email": "input.n", "count": "input.n"}}),
        llm_fake.structured({"mapping": {"email": "input.mail", "count": "string(input.n)"}}),
    )
    client = await start(ws)
    uri = client.open(path)
    await client.published(uri)
    text = path.read_text()
    line = text[: text.index('"from": "start.out"')].count("\n")
    actions = await client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {
                "start": {"line": line, "character": 0},
                "end": {"line": line, "character": 5},
            },
            "context": {"diagnostics": []},
        },
    )
    titles = [a["title"] for a in actions["result"]]
    assert titles[-1] == "Generate adapter with the model"
    cmd = actions["result"][-1]["command"]
    answer = await command(client, cmd["command"], cmd["arguments"][0])
    result = answer["result"]
    assert result["ok"] and result["rounds"] == 2 and result["asked_model"]
    assert result["unmatched"] == ["count"]
    assert result["mapping"] == {"email": "input.mail", "count": "string(input.n)"}
    (change,) = result["edit"]["documentChanges"]
    assert any("data/map" in e["newText"] for e in change["edits"])
    assert_no_secrets(fake)
    await client.stop()


async def test_customize_node_refusals(ws: Path) -> None:  # noqa: F811
    path = ws / "flows" / "orders.flow.json"
    path.write_text(json.dumps(GOOD_FLOW, indent=2))
    client = await start(ws)
    uri = client.open(path)
    answer = await command(
        client, "nodeforge.customizeNode", {"uri": uri, "node": "insert", "description": "x"}
    )
    assert "fork it first (nodeforge fork sql/exec@1.0.0" in answer["error"]["message"]
    answer = await command(
        client, "nodeforge.customizeNode", {"uri": uri, "node": "nope", "description": "x"}
    )
    assert "no node `nope`" in answer["error"]["message"]
    await client.stop()


async def test_customize_a_fork_over_lsp_offers_an_edit_of_the_kit_files(
    ws: Path,  # noqa: F811
    fake: Any,  # noqa: F811
) -> None:
    """nodeforge.customizeNode on a forked node: the kit's Go is tested in the sandbox and
    offered as one WorkspaceEdit (the executor replaced whole, the model's test created)."""
    from tests.test_llm_assist import _forked, _kit_answer, _sandbox_or_skip

    _sandbox_or_skip()
    flow, folder, name, package = _forked(ws)
    source = (folder / name).read_text()
    fake.add(llm_fake.structured(_kit_answer(source, name, package, 'return "acme-fetch/1"')))
    client = await start(ws)
    uri = client.open(flow)
    answer = await command(
        client,
        "nodeforge.customizeNode",
        {"uri": uri, "node": "call", "description": "add a user agent"},
    )
    result = answer["result"]
    assert result["ok"] and result["rounds"] == 1, result
    assert result["kit"] == "nodes/fetch" and "TestUserAgent" in result["tests"]
    changes = result["edit"]["documentChanges"]
    created = [c for c in changes if c.get("kind") == "create"]
    assert [c["uri"] for c in created] == [(folder / "useragent_test.go").as_uri()]
    edited = {c["textDocument"]["uri"]: c["edits"] for c in changes if "textDocument" in c}
    whole = edited[(folder / name).as_uri()][0]
    assert whole["range"]["start"] == {"line": 0, "character": 0}
    assert 'return "acme-fetch/1"' in whole["newText"]
    assert source == (folder / name).read_text()  # offered, not written
    assert_no_secrets(fake)
    await client.stop()
