"""Folding, selection ranges, highlights, links, inlay hints, semantic tokens, range
formatting and workspace diagnostics, end to end over stdio (issue 19)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp

from nodeforge.analysis.ide import TOKEN_MODIFIERS, TOKEN_TYPES
from tests.lsp.harness import (
    BROKEN,
    EXAMPLES,
    WORKSPACE,
    Client,
    apply_edits,
    config,
    doc_id,
    initialize,
    offset_of,
    open_document,
    position_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PINGER = WORKSPACE / "flows" / "pinger.flow.json"
FULL = lsp.Range(
    start=lsp.Position(line=0, character=0), end=lsp.Position(line=10_000, character=0)
)
BROKEN_TEXT = '{\n  "nodeforge": "1",\n  "nodes": [\n    {"id": "a", "type": "util/log", "config": {"message": "{{ nodes.'


@pytest_lsp.fixture(scope="module", config=config())
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    lsp_client.init_result = await initialize(lsp_client, folders=[WORKSPACE, EXAMPLES, BROKEN])
    yield
    await lsp_client.shutdown_session()


def text_at(text: str, r: lsp.Range) -> str:
    return text[offset_of(text, r.start) : offset_of(text, r.end)]


async def test_capabilities_declared(client: Client) -> None:
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    assert caps.folding_range_provider and caps.selection_range_provider
    assert caps.document_highlight_provider and caps.document_range_formatting_provider
    assert caps.document_link_provider is not None and caps.inlay_hint_provider is not None
    tokens = caps.semantic_tokens_provider
    assert tokens is not None and tokens.full and tokens.range
    assert list(tokens.legend.token_types) == list(TOKEN_TYPES)
    assert list(tokens.legend.token_modifiers) == list(TOKEN_MODIFIERS)
    assert caps.diagnostic_provider is not None and caps.diagnostic_provider.workspace_diagnostics


async def test_folding_ranges(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    folds = await client.text_document_folding_range_async(
        lsp.FoldingRangeParams(text_document=doc_id(uri))
    )
    lines = text.splitlines()
    nodes = next(i for i, line in enumerate(lines) if '"nodes": [' in line)
    closing = next(i for i in range(nodes, len(lines)) if lines[i].strip() == "],")
    got = {(f.start_line, f.end_line) for f in folds or []}
    assert (0, len(lines) - 2) in got  # the document, its `}` left visible
    assert (nodes, closing - 1) in got  # the nodes array


async def test_selection_range_expands_from_an_expression_token(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    result = await client.text_document_selection_range_async(
        lsp.SelectionRangeParams(
            text_document=doc_id(uri), positions=[position_of(text, "input.ms", 7)]
        )
    )
    assert result is not None and len(result) == 1
    chain = []
    node: lsp.SelectionRange | None = result[0]
    while node is not None:
        chain.append(text_at(text, node.range))
        node = node.parent
    assert chain[:7] == [
        "ms",
        "input.ms",
        " input.ms ",
        "{{ input.ms }}",
        "took {{ input.ms }} ms",
        '"took {{ input.ms }} ms"',
        '"message": "took {{ input.ms }} ms"',
    ]
    assert chain[-1] == text


async def test_document_highlight_of_a_node_id(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    found = await client.text_document_document_highlight_async(
        lsp.DocumentHighlightParams(
            text_document=doc_id(uri), position=position_of(text, '"ping.out"', 2)
        )
    )
    assert found is not None
    assert [text_at(text, h.range) for h in found] == ["ping", "ping", "ping"]
    assert [h.kind for h in found] == [
        lsp.DocumentHighlightKind.Write,
        lsp.DocumentHighlightKind.Read,
        lsp.DocumentHighlightKind.Read,
    ]


async def test_document_links_to_a_called_flow_and_a_custom_node(client: Client) -> None:
    quote = EXAMPLES / "quote_api.flow.json"
    text = quote.read_text()
    uri = open_document(client, quote, text)
    links = await client.text_document_document_link_async(
        lsp.DocumentLinkParams(text_document=doc_id(uri))
    )
    assert links is not None
    by_text = {text_at(text, link.range): link for link in links}
    assert by_text["tax_rate"].target == (EXAMPLES / "tax_rate.flow.json").as_uri()
    pinger = PINGER.read_text()
    uri = open_document(client, PINGER, pinger)
    links = await client.text_document_document_link_async(
        lsp.DocumentLinkParams(text_document=doc_id(uri))
    )
    assert links is not None
    manifest = WORKSPACE / "nodes" / "acme" / "ping" / "node.json"
    assert [(text_at(pinger, k.range), k.target) for k in links] == [
        ("acme/ping", manifest.as_uri())
    ]


async def test_inlay_hints_show_connection_and_port_types(client: Client) -> None:
    text = PINGER.read_text()
    uri = open_document(client, PINGER, text)
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(text_document=doc_id(uri), range=FULL)
    )
    assert hints is not None
    at = {(h.position.line, h.position.character): h.label for h in hints}
    after_from = position_of(text, '"ping.out"', len('"ping.out"'))
    assert at[(after_from.line, after_from.character)] == ": {ms?: number}"
    after_type = position_of(text, '"acme/ping"', len('"acme/ping"'))
    assert at[(after_type.line, after_type.character)] == "→ out: {ms?: number}"
    # Only what the range covers: the connections' lines give no node hints.
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if '"connections"' in line)
    some = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=doc_id(uri),
            range=lsp.Range(
                start=lsp.Position(line=first, character=0),
                end=lsp.Position(line=len(lines), character=0),
            ),
        )
    )
    assert some is not None and {h.label[0] for h in some} == {":"}


def decode(text: str, data: list[int]) -> list[tuple[str, str, list[str]]]:
    """(token text, type, modifiers) from the protocol's relative UTF-16 encoding."""
    lines = text.split("\n")
    out = []
    line = col = 0
    for i in range(0, len(data), 5):
        d_line, d_col, length, kind, mods = data[i : i + 5]
        col = col + d_col if d_line == 0 else d_col
        line += d_line
        units = lines[line].encode("utf-16-le")
        token = units[2 * col : 2 * (col + length)].decode("utf-16-le")
        names = [m for b, m in enumerate(TOKEN_MODIFIERS) if mods & (1 << b)]
        out.append((token, TOKEN_TYPES[kind], names))
    return out


async def test_semantic_tokens_in_expressions_and_templates(client: Client) -> None:
    text = PINGER.read_text().replace(
        '"took {{ input.ms }} ms"',
        '"😀 é {{ size(nodes.ping.out) >= 2 && input.ms != null }} \\"q\\" {{ \\"s\\" }}"',
    )
    uri = open_document(client, WORKSPACE / "flows" / "tokens.flow.json", text)
    full = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=doc_id(uri))
    )
    assert full is not None
    assert decode(text, full.data) == [
        ("{{", "macro", []),
        ("size", "function", ["defaultLibrary"]),
        ("nodes", "variable", ["defaultLibrary"]),
        ("ping", "class", []),
        ("out", "property", []),
        (">=", "operator", []),
        ("2", "number", []),
        ("&&", "operator", []),
        ("input", "variable", ["defaultLibrary"]),
        ("ms", "property", []),
        ("!=", "operator", []),
        ("null", "keyword", []),
        ("}}", "macro", []),
        ("{{", "macro", []),
        ('\\"s\\"', "string", []),
        ("}}", "macro", []),
    ]
    line = position_of(text, "😀").line
    ranged = await client.text_document_semantic_tokens_range_async(
        lsp.SemanticTokensRangeParams(
            text_document=doc_id(uri),
            range=lsp.Range(
                start=lsp.Position(line=line, character=0),
                end=lsp.Position(line=line + 1, character=0),
            ),
        )
    )
    assert ranged is not None and decode(text, ranged.data) == decode(text, full.data)
    elsewhere = await client.text_document_semantic_tokens_range_async(
        lsp.SemanticTokensRangeParams(
            text_document=doc_id(uri),
            range=lsp.Range(
                start=lsp.Position(line=0, character=0), end=lsp.Position(line=2, character=0)
            ),
        )
    )
    assert elsewhere is not None and list(elsewhere.data) == []


async def test_range_formatting_formats_only_the_touched_node(client: Client) -> None:
    text = PINGER.read_text().replace(
        '{"id": "ping", "type": "acme/ping", "version": "1.0.0", "config": {"host": "example.com"}}',
        '{"config": {"host":"example.com"}, "id": "ping",\n "type": "acme/ping", "version": "1.0.0"}',
    )
    uri = open_document(client, WORKSPACE / "flows" / "messy.flow.json", text)
    at = position_of(text, '"id": "ping"')
    edits = await client.text_document_range_formatting_async(
        lsp.DocumentRangeFormattingParams(
            text_document=doc_id(uri),
            range=lsp.Range(start=at, end=at),
            options=lsp.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert edits
    formatted = apply_edits(text, edits)
    node = (
        '    {\n      "id": "ping",\n      "type": "acme/ping",\n      "version": "1.0.0",\n'
        '      "config": {\n        "host": "example.com"\n      }\n    },\n'
    )
    assert node in formatted
    start = text.index('{"config"')
    end = text.index('"version": "1.0.0"}', start) + len('"version": "1.0.0"}')
    # Everything outside that node is as it was.
    assert formatted.startswith(text[:start]) and formatted.endswith(text[end:])


async def test_broken_documents_answer_empty(client: Client) -> None:
    uri = open_document(client, WORKSPACE / "flows" / "broken.flow.json", BROKEN_TEXT)
    end = position_of(BROKEN_TEXT, "nodes.", len("nodes."))
    ident = doc_id(uri)
    highlights = await client.text_document_document_highlight_async(
        lsp.DocumentHighlightParams(text_document=ident, position=end)
    )
    assert highlights is not None and list(highlights) == []
    links = await client.text_document_document_link_async(
        lsp.DocumentLinkParams(text_document=ident)
    )
    assert links is not None and list(links) == []
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(text_document=ident, range=FULL)
    )
    assert hints is not None
    tokens = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=ident)
    )
    assert tokens is not None
    folds = await client.text_document_folding_range_async(
        lsp.FoldingRangeParams(text_document=ident)
    )
    assert folds is not None
    chains = await client.text_document_selection_range_async(
        lsp.SelectionRangeParams(text_document=ident, positions=[end])
    )
    assert chains is not None and len(chains) == 1
    edits = await client.text_document_range_formatting_async(
        lsp.DocumentRangeFormattingParams(
            text_document=ident,
            range=FULL,
            options=lsp.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert edits is not None and list(edits) == []


# -- workspace diagnostics ---------------------------------------------------------------


@pytest_lsp.fixture(config=config())
async def fresh(lsp_client: Client, tmp_path: Path):  # type: ignore[no-untyped-def]
    for name in ("nodeforge.toml", "unknown_type.flow.json", "no_trigger.flow.json"):
        shutil.copy(BROKEN / name, tmp_path / name)
    shutil.copy(EXAMPLES / "tax_rate.flow.json", tmp_path / "tax_rate.flow.json")
    await initialize(lsp_client, folders=[tmp_path], pull=True)
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def pull_workspace(
    client: Client, previous: dict[str, str]
) -> dict[str, lsp.WorkspaceDocumentDiagnosticReport]:
    report = await client.workspace_diagnostic_async(
        lsp.WorkspaceDiagnosticParams(
            previous_result_ids=[lsp.PreviousResultId(uri=u, value=v) for u, v in previous.items()]
        )
    )
    return {item.uri: item for item in report.items}


@pytest.mark.asyncio(loop_scope="function")
async def test_workspace_diagnostics_without_opening_files(fresh: Client) -> None:
    client = fresh
    root: Path = client.root  # type: ignore[attr-defined]
    unknown = (root / "unknown_type.flow.json").as_uri()
    clean = (root / "tax_rate.flow.json").as_uri()
    first = await pull_workspace(client, {})
    assert set(first) == {unknown, (root / "no_trigger.flow.json").as_uri(), clean}
    full = first[unknown]
    assert isinstance(full, lsp.WorkspaceFullDocumentDiagnosticReport)
    assert [d.code for d in full.items] == ["NF004"] and full.version is None
    assert isinstance(first[clean], lsp.WorkspaceFullDocumentDiagnosticReport)
    assert list(first[clean].items) == []
    assert list(client.published) == []  # nothing opened, nothing pushed

    ids = {uri: item.result_id for uri, item in first.items() if item.result_id}
    again = await pull_workspace(client, ids)
    assert all(
        isinstance(item, lsp.WorkspaceUnchangedDocumentDiagnosticReport) for item in again.values()
    )

    # A file changed on disk is reported again, the others stay unchanged.
    path = root / "tax_rate.flow.json"
    path.write_text(path.read_text().replace('"trigger/manual"', '"trigger/nope"'))
    changed = await pull_workspace(client, ids)
    assert isinstance(changed[clean], lsp.WorkspaceFullDocumentDiagnosticReport)
    assert "NF004" in {d.code for d in changed[clean].items}
    assert isinstance(changed[unknown], lsp.WorkspaceUnchangedDocumentDiagnosticReport)

    # An open document is reported at its version, from its text.
    text = (root / "no_trigger.flow.json").read_text()
    uri = open_document(client, root / "no_trigger.flow.json", text, version=3)
    opened = await pull_workspace(client, ids)
    assert opened[uri].version == 3
