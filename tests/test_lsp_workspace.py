"""Workspace behaviour over stdio: position encodings, settings, watched files, folders."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp

from tests.lsp.harness import (
    BROKEN,
    EXAMPLES,
    WORKSPACE,
    Client,
    config,
    diagnostics_for,
    doc_id,
    initialize,
    open_document,
)

UNICODE_FLOW = (
    '{\n  "nodeforge": "1",\n  "id": "unicode",\n  "nodes": [\n'
    '    {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},\n'
    '    {"id": "call", "title": "café 😀", "type": "http/reqest", "version": "1.0.0", '
    '"config": {"url": "https://example.com"}}\n  ],\n'
    '  "connections": [{"from": "start.out", "to": "call.in"}]\n}\n'
)


@pytest_lsp.fixture(config=config())
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def until(check: Callable[[], bool], timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


def latest(client: Client, uri: str) -> list[lsp.Diagnostic] | None:
    for params in reversed(client.published):
        if params.uri == uri:
            return list(params.diagnostics)
    return None


# -- position encodings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offered", "expected"),
    [(None, "utf-16"), (["utf-8", "utf-16"], "utf-8"), (["utf-16", "utf-8"], "utf-16")],
)
async def test_position_encoding_negotiated(
    client: Client, offered: list[str] | None, expected: str
) -> None:
    result = await initialize(client, folders=[BROKEN], encodings=offered)
    assert result.capabilities.position_encoding == expected
    uri = open_document(client, BROKEN / "unicode.flow.json", UNICODE_FLOW)
    diagnostics = await diagnostics_for(client, uri, 1)
    unknown = next(d for d in diagnostics if d.code == "NF004")
    line = UNICODE_FLOW.splitlines()[unknown.range.start.line]
    prefix = line[: line.index('"http/reqest"')]
    units = len(prefix.encode("utf-8" if expected == "utf-8" else "utf-16-le"))
    assert unknown.range.start.character == (units if expected == "utf-8" else units // 2)
    # Requests speak the same encoding.
    at = lsp.Position(line=unknown.range.start.line, character=unknown.range.start.character + 2)
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc_id(uri), position=at)
    )
    assert hover is None or hover.range is None or hover.range.start.line == at.line


# -- settings -----------------------------------------------------------------------------


async def test_settings_from_workspace_configuration(client: Client) -> None:
    client.set_configuration({"rules": {"NF010": "off", "NF009": "warning"}}, section="nodeforge")
    await initialize(client, folders=[BROKEN])
    uri = open_document(client, BROKEN / "type_mismatch.flow.json")
    diagnostics = await diagnostics_for(client, uri, 1)
    assert [(d.code, d.severity) for d in diagnostics] == [
        ("NF009", lsp.DiagnosticSeverity.Warning)
    ]
    # A configuration change is pulled again and applied to open documents.
    client.set_configuration({"rules": {}}, section="nodeforge")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await until(lambda: len(latest(client, uri) or []) == 2)
    registered = {r.method for r in client.registrations}
    assert lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES in registered


async def test_initialization_options(client: Client) -> None:
    await initialize(client, folders=[BROKEN], options={"diagnostics": False, "codeLens": False})
    uri = open_document(client, BROKEN / "type_mismatch.flow.json")
    assert await diagnostics_for(client, uri, 1) == []
    lenses = await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=doc_id(uri))
    )
    assert not lenses


async def test_invalid_settings_reported(client: Client) -> None:
    client.set_configuration({"debounceMs": -5, "maxDiagnostics": "many"}, section="nodeforge")
    await initialize(client, folders=[BROKEN])
    uri = open_document(client, BROKEN / "type_mismatch.flow.json")
    assert len(await diagnostics_for(client, uri, 1)) == 2  # defaults kept
    text = " ".join(m.message for m in client.messages)
    assert "debounceMs" in text and "maxDiagnostics" in text


# -- watched files: custom nodes and nodeforge.toml ------------------------------------------


@pytest.fixture
def workspace_copy(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    return root


async def test_custom_nodes_reload_on_change(client: Client, workspace_copy: Path) -> None:
    manifest = workspace_copy / "nodes" / "acme" / "ping" / "node.json"
    saved = manifest.read_text()
    manifest.unlink()
    await initialize(client, folders=[workspace_copy])
    uri = open_document(client, workspace_copy / "flows" / "pinger.flow.json")
    assert "NF004" in {d.code for d in await diagnostics_for(client, uri, 1)}
    published = len(client.published)

    manifest.write_text(saved)
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=manifest.as_uri(), type=lsp.FileChangeType.Created)]
        )
    )
    await until(lambda: len(client.published) > published and latest(client, uri) == [])
    assert client.diagnostic_refresh_count >= 1  # pull clients are told to ask again


async def test_connectors_reload_on_config_change(client: Client, workspace_copy: Path) -> None:
    flow = workspace_copy / "flows" / "db.flow.json"
    flow.write_text(
        '{"nodeforge": "1", "id": "db", "nodes": [\n'
        '  {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},\n'
        '  {"id": "q", "type": "sql/query", "version": "1.0.0",\n'
        '   "config": {"connector": "orders", "query": "SELECT 1"}}\n'
        '], "connections": [{"from": "start.out", "to": "q.in"}]}\n'
    )
    await initialize(client, folders=[workspace_copy])
    uri = open_document(client, flow)
    before = {d.code for d in await diagnostics_for(client, uri, 1)}
    assert before, "connector `orders` is not declared yet"
    toml = workspace_copy / "nodeforge.toml"
    toml.write_text(toml.read_text() + '\n[connectors.orders]\ntype = "sqlite"\n')
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=toml.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    await until(lambda: {d.code for d in latest(client, uri) or []} != before)


async def test_broken_custom_node_is_reported_not_fatal(
    client: Client, workspace_copy: Path
) -> None:
    (workspace_copy / "nodes" / "acme" / "ping" / "node.json").write_text("{ not json")
    await initialize(client, folders=[workspace_copy])
    uri = open_document(client, workspace_copy / "flows" / "second.flow.json")
    assert await diagnostics_for(client, uri, 1) == []  # standard catalog still works
    await until(lambda: any("catalog" in m.message.lower() for m in client.messages))


# -- folders ---------------------------------------------------------------------------------


async def test_workspace_folders_change(client: Client) -> None:
    await initialize(client, folders=[WORKSPACE])
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="create_order"))
    assert not found
    client.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(
                added=[lsp.WorkspaceFolder(uri=EXAMPLES.as_uri(), name="examples")], removed=[]
            )
        )
    )
    await asyncio.sleep(0.1)
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="create_order"))
    assert found and found[0].location.uri.endswith("orders_api.flow.json")  # type: ignore[union-attr]
