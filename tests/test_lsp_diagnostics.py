"""Diagnostics end to end over stdio: push (debounced, versioned) and pull."""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_lsp
from lsprotocol import types as lsp

from nodeforge.report import rule_url
from tests.conftest import assert_golden
from tests.lsp.harness import (
    BROKEN,
    EXAMPLES,
    WORKSPACE,
    Client,
    change_document,
    config,
    diagnostics_for,
    doc_id,
    initialize,
    open_document,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=config())
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    lsp_client.init_result = await initialize(lsp_client, folders=[WORKSPACE, EXAMPLES, BROKEN])
    yield
    await lsp_client.shutdown_session()


async def test_capabilities_snapshot(client: Client) -> None:
    result = client.init_result  # type: ignore[attr-defined]
    data = client.protocol._converter.unstructure(result)
    data["serverInfo"]["version"] = "<version>"
    golden = BROKEN.parent.parent / "lsp" / "capabilities.json"
    assert_golden(golden, json.dumps(data, indent=2, sort_keys=True) + "\n")


async def test_examples_are_clean(client: Client) -> None:
    for path in sorted(EXAMPLES.glob("*.flow.json")):
        uri = open_document(client, path)
        assert await diagnostics_for(client, uri, 1) == [], path.name


async def test_codes_links_related_and_data(client: Client) -> None:
    uri = open_document(client, BROKEN / "type_mismatch.flow.json")
    diagnostics = await diagnostics_for(client, uri, 1)
    by_code = {d.code: d for d in diagnostics}
    assert set(by_code) == {"NF009", "NF010"}
    error = by_code["NF009"]
    assert error.severity == lsp.DiagnosticSeverity.Error
    assert error.source == "nodeforge"
    assert error.code_description is not None
    assert error.code_description.href == rule_url("NF009")
    assert error.range.start == lsp.Position(line=14, character=4)
    assert by_code["NF010"].severity == lsp.DiagnosticSeverity.Warning


async def test_related_information_and_tags(client: Client) -> None:
    uri = open_document(client, BROKEN / "duplicate_ids.flow.json")
    diagnostics = await diagnostics_for(client, uri, 1)
    dup = next(d for d in diagnostics if d.code == "NF003")
    assert dup.related_information
    assert dup.related_information[0].location.uri == uri
    assert "first defined here" in dup.related_information[0].message

    uri = open_document(client, BROKEN / "outdated.flow.json")
    diagnostics = await diagnostics_for(client, uri, 1)
    deprecated = next(d for d in diagnostics if d.code == "NF022")
    assert list(deprecated.tags or []) == [lsp.DiagnosticTag.Deprecated]
    upgrade = next(d for d in diagnostics if d.code == "NF021")
    assert upgrade.severity == lsp.DiagnosticSeverity.Hint
    assert upgrade.data  # what the upgrade quick fix reads


async def test_diagnostics_follow_edits_with_versions(client: Client) -> None:
    path = WORKSPACE / "flows" / "pinger.flow.json"
    text = path.read_text()
    uri = open_document(client, path, text)
    assert await diagnostics_for(client, uri, 1) == []
    # Five quick edits: only the newest version may be published.
    broken = text.replace('"util/log"', '"util/lgo"')
    for version in range(2, 7):
        change_document(client, uri, version, broken if version % 2 == 0 else text)
    change_document(client, uri, 7, broken)
    diagnostics = await diagnostics_for(client, uri, 7)
    assert [d.code for d in diagnostics] == ["NF004"]
    assert "util/log" in diagnostics[0].message  # did you mean
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == [1, 7], "stale versions must never be published"


async def test_incremental_change(client: Client) -> None:
    path = WORKSPACE / "flows" / "second.flow.json"
    text = path.read_text()
    uri = open_document(client, path, text)
    await diagnostics_for(client, uri, 1)
    line = text.splitlines().index(next(s for s in text.splitlines() if '"announce"' in s))
    col = text.splitlines()[line].index('"util/log"') + 1
    at = lsp.Range(
        start=lsp.Position(line=line, character=col + 5),
        end=lsp.Position(line=line, character=col + 8),
    )
    change_document(client, uri, 2, "xxx", at)  # util/log -> util/xxx
    diagnostics = await diagnostics_for(client, uri, 2)
    assert [d.code for d in diagnostics] == ["NF004"]
    assert diagnostics[0].range.start.line == line


async def test_pull_diagnostics(client: Client) -> None:
    uri = open_document(client, BROKEN / "unknown_type.flow.json")
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=doc_id(uri))
    )
    assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in report.items] == ["NF004"]
    assert report.result_id
    again = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=doc_id(uri), previous_result_id=report.result_id)
    )
    assert isinstance(again, lsp.RelatedUnchangedDocumentDiagnosticReport)
    assert again.result_id == report.result_id


async def test_close_clears_diagnostics(client: Client) -> None:
    uri = open_document(client, BROKEN / "no_trigger.flow.json")
    assert await diagnostics_for(client, uri, 1)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc_id(uri)))
    for _ in range(500):
        last = client.published[-1]
        if last.uri == uri and not last.diagnostics:
            break
        await asyncio.sleep(0.01)
    assert last.uri == uri and not last.diagnostics and last.version is None


async def test_syntax_errors_still_analysed(client: Client) -> None:
    uri = open_document(client, BROKEN / "syntax_errors.flow.json")
    diagnostics = await diagnostics_for(client, uri, 1)
    assert "NF001" in {d.code for d in diagnostics}
