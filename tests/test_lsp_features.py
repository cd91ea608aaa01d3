"""Every editor feature end to end over stdio, on the examples, the broken flows and
half-typed documents."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types as lsp

from nodeforge.analysis.ide import format_document
from tests.lsp.harness import (
    BROKEN,
    EXAMPLES,
    WORKSPACE,
    Client,
    apply_edits,
    config,
    diagnostics_for,
    doc_id,
    initialize,
    open_document,
    position_of,
    workspace_edits,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PINGER = WORKSPACE / "flows" / "pinger.flow.json"
HALF_TYPED = (
    '{\n  "nodeforge": "1",\n  "id": "half",\n  "nodes": [\n'
    '    {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},\n'
    '    {"id": "p", "type": "acme/'
)


@pytest_lsp.fixture(scope="module", config=config())
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    await initialize(lsp_client, folders=[WORKSPACE, EXAMPLES, BROKEN])
    yield
    await lsp_client.shutdown_session()


def labels(result: lsp.CompletionList | list[lsp.CompletionItem] | None) -> list[str]:
    items = result.items if isinstance(result, lsp.CompletionList) else result or []
    return [item.label for item in items]


async def complete(client: Client, uri: str, position: lsp.Position) -> lsp.CompletionList:
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=doc_id(uri), position=position)
    )
    assert isinstance(result, lsp.CompletionList)
    return result


# -- completion -------------------------------------------------------------------------


async def test_completion_node_types_in_half_typed_document(client: Client) -> None:
    uri = open_document(client, WORKSPACE / "flows" / "half.flow.json", HALF_TYPED)
    end = position_of(HALF_TYPED, '"acme/', len('"acme/'))
    result = await complete(client, uri, end)
    assert "acme/ping" in labels(result)  # the workspace's custom node
    assert "trigger/manual" in labels(result)
    item = next(i for i in result.items if i.label == "acme/ping")
    assert item.kind == lsp.CompletionItemKind.Class
    assert isinstance(item.documentation, lsp.MarkupContent)
    assert "Pings a host" in item.documentation.value


async def test_completion_of_expression_fields(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    result = await complete(client, uri, position_of(text, "{{ input.", len("{{ input.")))
    assert labels(result) == ["ms"]  # the upstream port's schema


async def test_completion_of_config_keys_and_ports(client: Client) -> None:
    text = PINGER.read_text().replace('{"host": "example.com"}', '{"host": "example.com", ""}')
    uri = open_document(client, WORKSPACE / "flows" / "keys.flow.json", text)
    result = await complete(client, uri, position_of(text, '""}', 1))
    assert "count" in labels(result) and "host" not in labels(result)
    ports = await complete(client, uri, position_of(text, '"ping.in"', len('"ping.')))
    assert "in" in labels(ports)


async def test_snippet_for_a_whole_node(client: Client) -> None:
    text = HALF_TYPED.rsplit("{", 1)[0] + "\n"
    uri = open_document(client, WORKSPACE / "flows" / "snippet.flow.json", text)
    result = await complete(client, uri, position_of(text, "}},\n", 4))
    snippets = [i for i in result.items if i.insert_text_format == lsp.InsertTextFormat.Snippet]
    assert snippets, labels(result)


# -- hover, navigation ------------------------------------------------------------------


async def test_hover_node_type_and_config_key(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc_id(uri), position=position_of(text, "acme/ping", 2))
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.kind == lsp.MarkupKind.Markdown
    assert "acme/ping@1.0.0" in hover.contents.value and "`in`" in hover.contents.value
    assert hover.range is not None
    key = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc_id(uri), position=position_of(text, '"host"', 2))
    )
    assert key is not None and "Host to ping" in str(key.contents)


async def test_hover_connection_endpoint(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc_id(uri), position=position_of(text, '"ping.out"', 3))
    )
    assert hover is not None and "ms" in str(hover.contents)


async def test_definition_of_endpoint_and_node_type(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc_id(uri), position=position_of(text, '"ping.in"', 2))
    )
    assert isinstance(found, list) and len(found) == 1
    assert found[0].uri == uri
    assert found[0].range.start == position_of(text, '"id": "ping"', len('"id": "'))
    manifest = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc_id(uri), position=position_of(text, "acme/ping", 2))
    )
    assert isinstance(manifest, list)
    assert manifest[0].uri == (WORKSPACE / "nodes" / "acme" / "ping" / "node.json").as_uri()


async def test_references_of_a_node(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc_id(uri),
            position=position_of(text, '"id": "ping"', 8),
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None and len(refs) == 3  # the id and both connection endpoints
    without = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc_id(uri),
            position=position_of(text, '"id": "ping"', 8),
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    assert without is not None and len(without) == 2


async def test_document_symbols(client: Client) -> None:
    uri = open_document(client, EXAMPLES / "orders_api.flow.json")
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc_id(uri))
    )
    assert symbols and all(isinstance(s, lsp.DocumentSymbol) for s in symbols)
    names = [s.name for s in symbols]
    assert names[0] == "create_order"  # triggers first
    first = symbols[0]
    assert isinstance(first, lsp.DocumentSymbol)
    assert first.kind == lsp.SymbolKind.Event and (first.detail or "").startswith("http/trigger")


async def test_workspace_symbols_across_files(client: Client) -> None:
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="kickoff"))
    assert found, "closed flow files on disk are searched too"
    hit = found[0]
    assert hit.name == "kickoff"
    assert isinstance(hit.location, lsp.Location)
    assert hit.location.uri.endswith("second.flow.json")
    everything = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query=""))
    assert everything is not None
    files = {s.location.uri for s in everything if isinstance(s.location, lsp.Location)}
    assert len(files) >= 6


# -- rename -----------------------------------------------------------------------------


async def test_prepare_rename_and_rename(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    at = position_of(text, '"id": "ping"', 8)
    prepared = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(text_document=doc_id(uri), position=at)
    )
    assert isinstance(prepared, lsp.PrepareRenamePlaceholder)
    assert prepared.placeholder == "ping"
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=doc_id(uri), position=at, new_name="pong")
    )
    assert edit is not None and edit.document_changes  # versioned: stale edits are refused
    change = edit.document_changes[0]
    assert isinstance(change, lsp.TextDocumentEdit) and change.text_document.version == 1
    renamed = apply_edits(text, workspace_edits(edit)[uri])
    assert '"id": "pong"' in renamed and '"pong.in"' in renamed and '"pong.out"' in renamed
    assert '"ping.' not in renamed and '"id": "ping"' not in renamed


async def test_rename_refused_with_a_reason(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    with pytest.raises(Exception, match="Only node ids can be renamed"):
        await client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(
                text_document=doc_id(uri), position=position_of(text, '"name"', 2)
            )
        )


# -- code actions, formatting, lenses, commands -------------------------------------------


async def code_actions(
    client: Client, uri: str, diagnostic: lsp.Diagnostic
) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc_id(uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


async def test_quick_fix_inserts_adapter(client: Client) -> None:
    path = BROKEN / "type_mismatch.flow.json"
    text = path.read_text()
    uri = open_document(client, path, text)
    mismatch = next(d for d in await diagnostics_for(client, uri, 1) if d.code == "NF009")
    actions = await code_actions(client, uri, mismatch)
    adapter = next(a for a in actions if "data/map" in a.title)
    assert adapter.kind == lsp.CodeActionKind.QuickFix
    assert adapter.diagnostics and adapter.diagnostics[0].code == "NF009"
    fixed = apply_edits(text, workspace_edits(adapter.edit)[uri])
    assert '"data/map"' in fixed
    # The fixed document no longer has the mismatch.
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    assert "NF009" not in {d.code for d in await diagnostics_for(client, uri, 2)}


async def test_quick_fix_did_you_mean(client: Client) -> None:
    path = BROKEN / "unknown_type.flow.json"
    text = path.read_text()
    uri = open_document(client, path, text)
    unknown = next(d for d in await diagnostics_for(client, uri, 1) if d.code == "NF004")
    actions = await code_actions(client, uri, unknown)
    assert any("http/request" in a.title for a in actions), [a.title for a in actions]
    fix = next(a for a in actions if "http/request" in a.title)
    assert '"http/request"' in apply_edits(text, workspace_edits(fix.edit)[uri])


async def test_code_actions_without_client_diagnostics(client: Client) -> None:
    path = BROKEN / "unknown_type.flow.json"
    text = path.read_text()
    uri = open_document(client, path, text)
    await diagnostics_for(client, uri, 1)
    at = position_of(text, "http/reqest", 2)
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc_id(uri),
            range=lsp.Range(start=at, end=at),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    assert result and any("http/request" in a.title for a in result)


async def test_formatting(client: Client) -> None:
    path = WORKSPACE / "flows" / "ugly.flow.json"
    text = (
        '{"nodeforge":"1","id":"ugly","nodes":[{"config":{},"id":"start",'
        '"type":"trigger/manual","version":"1.0.0"}],"connections":[]}'
    )
    uri = open_document(client, path, text)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=doc_id(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert edits
    assert apply_edits(text, list(edits)) == format_document(text)


async def test_code_lenses_and_commands(client: Client) -> None:
    uri = open_document(client, PINGER)
    lenses = await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=doc_id(uri))
    )
    assert lenses
    commands = {lens.command.command for lens in lenses if lens.command}
    assert commands == {"nodeforge.build", "nodeforge.run", "nodeforge.testNode"}
    run = next(
        lens.command for lens in lenses if lens.command and lens.command.command == "nodeforge.run"
    )
    before = len(client.messages)
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=run.command, arguments=run.arguments)
    )
    # The pinger flow's custom node has no Go code: run builds first, and says why it stops.
    assert result["running"] is False
    assert result["build"]["state"] == "failed"
    for _ in range(200):
        if len(client.messages) > before:
            break
        await asyncio.sleep(0.01)
    assert "Build failed" in client.messages[-1].message


async def test_other_json_is_not_analysed_as_a_flow(client: Client) -> None:
    manifest = WORKSPACE / "nodes" / "acme" / "ping" / "node.json"
    manifest_uri = open_document(client, manifest)  # as go-to-definition opens it
    flow_uri = open_document(client, WORKSPACE / "flows" / "second.flow.json")
    await diagnostics_for(client, flow_uri, 1)
    # A kit manifest is checked as a manifest (NF901, docs/writing-nodes.md), never as a flow.
    codes = {d.code for p in client.published if p.uri == manifest_uri for d in p.diagnostics}
    assert codes <= {"NF901"}, codes
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=doc_id(manifest_uri), position=lsp.Position(line=1, character=5)
        )
    )
    assert hover is None


@pytest.mark.parametrize(
    ("flow", "code", "title"),
    [
        ("outdated", "NF021", "Upgrade `http/request` to 1.2.0"),
        ("bad_connections", "NF007", "Remove the connection"),
        ("bad_connections", "NF023", "Remove the duplicate connection"),
        ("bad_config", "NF006", "Add missing required config `method`"),
        ("unknown_version", "NF005", "Use version 1.2.0"),
        ("connector_problems", "NF020", "Use connector `shopdb`"),
    ],
)
async def test_quick_fixes_remove_their_diagnostic(
    client: Client, flow: str, code: str, title: str
) -> None:
    text = (BROKEN / f"{flow}.flow.json").read_text()
    uri = open_document(client, BROKEN / f"{flow}_{code}.flow.json", text)  # a fresh document
    diagnostics = await diagnostics_for(client, uri, 1)
    for diagnostic in (d for d in diagnostics if d.code == code):
        actions = await code_actions(client, uri, diagnostic)
        fix = next((a for a in actions if a.title.startswith(title)), None)
        if fix is not None:
            break
    assert fix is not None, [a.title for a in actions]
    fixed = apply_edits(text, workspace_edits(fix.edit)[uri])
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    after = await diagnostics_for(client, uri, 2)
    before_count = sum(1 for d in diagnostics if d.code == code)
    assert sum(1 for d in after if d.code == code) == before_count - 1, [d.message for d in after]


async def test_rename_updates_connections_expressions_and_tests(client: Client) -> None:
    text = (EXAMPLES / "orders_api.flow.json").read_text()
    assert '"trigger": "create_order"' in text and "nodes.create_order." in text
    uri = open_document(client, EXAMPLES / "renamed_orders.flow.json", text)
    assert await diagnostics_for(client, uri, 1) == []
    edit = await client.text_document_rename_async(
        lsp.RenameParams(
            text_document=doc_id(uri),
            position=position_of(text, '"id": "create_order"', 8),
            new_name="new_order",
        )
    )
    renamed = apply_edits(text, workspace_edits(edit)[uri])
    assert "create_order" not in renamed
    assert '"trigger": "new_order"' in renamed and "nodes.new_order." in renamed
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=renamed)],
        )
    )
    assert await diagnostics_for(client, uri, 2) == []
