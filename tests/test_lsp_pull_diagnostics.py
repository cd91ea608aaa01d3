"""Diagnostics reach a client one way only (issue 19).

vscode-languageclient (the VS Code extension's client, and monaco-languageclient's)
declares pull support, pulls on open and on every edit, and keeps what it pulled
in a collection apart from what is pushed: a server that also pushes shows every
problem twice. These tests drive the server with the capabilities that client
sends (``tests/lsp/vscode_languageclient_capabilities.json``) and its behaviour
(pull on open, on change, and again for every open document on
``workspace/diagnostic/refresh``), and count what a user would see: the pushed
set plus the pulled set of each document.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from nodeforge.analysis.engine import analyze
from nodeforge.analysis.workspace import load_workspace
from tests.lsp.harness import (
    BROKEN,
    SERVER,
    Client,
    _record_publish,
    _register_capability,
    change_document,
    doc_id,
    open_document,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

CAPABILITIES = Path(__file__).parent / "lsp" / "vscode_languageclient_capabilities.json"
FLOW = BROKEN / "bad_expressions.flow.json"


def vscode_capabilities() -> lsp.ClientCapabilities:
    data = json.loads(CAPABILITIES.read_text())["capabilities"]
    return default_converter().structure(data, lsp.ClientCapabilities)


class Seen:
    """What a vscode-languageclient user sees: pushed and pulled collections."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.pulled: dict[str, list[lsp.Diagnostic]] = {}
        self.result_ids: dict[str, str] = {}
        self.open: list[str] = []
        self.refreshes = 0
        self.tasks: set[asyncio.Future[None]] = set()
        self.configuration: dict[str, Any] = {}

    async def pull(self, uri: str) -> None:
        report = await self.client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(
                text_document=doc_id(uri),
                identifier="nodeforge",
                previous_result_id=self.result_ids.get(uri),
            )
        )
        if isinstance(report, lsp.RelatedFullDocumentDiagnosticReport):
            self.pulled[uri] = list(report.items)
        if report.result_id is not None:
            self.result_ids[uri] = report.result_id

    def visible(self, uri: str) -> list[lsp.Diagnostic]:
        return [*self.client.diagnostics.get(uri, []), *self.pulled.get(uri, [])]

    def pushed(self, uri: str) -> list[lsp.PublishDiagnosticsParams]:
        return [p for p in self.client.published if p.uri == uri]


def make_vscode_client() -> Client:
    """The harness's client, answering refresh and configuration as VS Code does."""
    client = Client(converter_factory=default_converter)
    client.published, client.registrations = [], []
    seen = Seen(client)
    client.seen = seen  # type: ignore[attr-defined]

    def refresh(client: Client, params: None) -> None:
        seen.refreshes += 1  # answered at once; the pulls follow
        for uri in list(seen.open):
            seen.tasks.add(asyncio.ensure_future(seen.pull(uri)))

    def configuration(client: Client, params: lsp.ConfigurationParams) -> list[Any]:
        return [seen.configuration for _ in params.items]

    features: dict[str, Any] = dict(DEFAULT_CLIENT_FEATURES)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    features[lsp.CLIENT_REGISTER_CAPABILITY] = _register_capability
    features[lsp.WORKSPACE_DIAGNOSTIC_REFRESH] = refresh
    features[lsp.WORKSPACE_CONFIGURATION] = configuration
    register_lsp_features(client, features)
    return client


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=SERVER, client_factory=make_vscode_client),
)
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=vscode_capabilities(),
            root_uri=BROKEN.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=BROKEN.as_uri(), name="broken")],
            initialization_options={"debounceMs": 0},
        )
    )
    yield
    await lsp_client.shutdown_session()


def seen_by(client: Client) -> Seen:
    seen: Seen = client.seen  # type: ignore[attr-defined]
    return seen


def problems(text: str) -> list[str]:
    analysis = analyze(text, FLOW.as_uri(), 1, load_workspace(BROKEN))
    return sorted(f"{d.code}:{d.span.start}" for d in analysis.diagnostics)


async def settle(client: Client, uri: str) -> None:
    """Give a push the time it would take (debounce 0): a few rounds of requests
    that each wait for the newest analysis of ``uri``."""
    for _ in range(5):
        await client.text_document_hover_async(
            lsp.HoverParams(text_document=doc_id(uri), position=lsp.Position(line=0, character=1))
        )
        await asyncio.sleep(0.1)


async def test_each_problem_is_seen_once(client: Client) -> None:
    seen = seen_by(client)
    text = FLOW.read_text()
    expected = problems(text)
    assert len(expected) >= 3  # a flow with several problems
    uri = open_document(client, FLOW, text)
    seen.open.append(uri)
    await seen.pull(uri)  # vscode-languageclient pulls on open
    await settle(client, uri)
    assert len(seen.visible(uri)) == len(expected)
    assert seen.pushed(uri) == []

    # An edit that adds a problem: pulled again (onChange), still never pushed.
    edited = text.replace('"nodeforge": "1"', '"nodeforge": "1", "bogus": 1', 1)
    change_document(client, uri, 2, edited)
    await seen.pull(uri)
    await settle(client, uri)
    visible = seen.visible(uri)
    assert len(visible) == len(problems(edited)) == len(expected) + 1
    assert seen.pushed(uri) == []

    # Closing: nothing pushed either (the client forgets what it pulled itself).
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc_id(uri)))
    seen.open.remove(uri)
    await asyncio.sleep(0.2)
    assert seen.pushed(uri) == []


async def test_settings_change_reaches_a_pull_client_through_refresh(client: Client) -> None:
    seen = seen_by(client)
    text = FLOW.read_text()
    uri = open_document(client, FLOW, text, version=10)
    seen.open.append(uri)
    await seen.pull(uri)
    before = {d.code for d in seen.pulled[uri]}
    code = sorted(before)[0]
    refreshes = seen.refreshes
    seen.configuration = {"rules": {code: "off"}}
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while code in {d.code for d in seen.pulled[uri]}:
        assert loop.time() < deadline, "the server never asked the client to pull again"
        await asyncio.sleep(0.02)
    assert seen.refreshes > refreshes
    assert {d.code for d in seen.pulled[uri]} == before - {code}
    assert seen.pushed(uri) == []
    seen.configuration = {}
