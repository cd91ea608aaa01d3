"""``nodeforge/graph`` and ``nodeforge/graphChanged`` through the real protocol (the
server over stdio, driven by the tests' LSP client): the examples, a broken flow
with its diagnostics on the right node and connection, live updates after edits,
positions in the client's encoding, and refusals."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig

from nodeforge.server.lsp import create_server
from tests.lsp.harness import (
    BROKEN,
    EXAMPLES,
    SERVER,
    Client,
    capabilities,
    change_document,
    make_client,
    offset_of,
    open_document,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

GRAPH = "nodeforge/graph"
GRAPH_CHANGED = "nodeforge/graphChanged"


class GraphClient(Client):
    graph_changes: list[dict[str, Any]]


def make_graph_client() -> GraphClient:
    client: Any = make_client()
    client.graph_changes = []

    @client.feature(GRAPH_CHANGED)
    def graph_changed(params: Any) -> None:
        client.graph_changes.append({"uri": params.uri, "version": params.version})

    return client  # type: ignore[no-any-return]


async def start(client: GraphClient, *, pull: bool, options: Any = None) -> None:
    caps = capabilities(pull=pull)
    caps.experimental = {"nodeforgeGraph": True}
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=caps,
            root_uri=EXAMPLES.as_uri(),
            workspace_folders=[
                lsp.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in (EXAMPLES, BROKEN)
            ],
            initialization_options=options,
        )
    )


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=SERVER, client_factory=make_graph_client),
)
async def client(lsp_client: GraphClient):  # type: ignore[no-untyped-def]
    await start(lsp_client, pull=True)  # as vscode-languageclient: no diagnostics pushed
    yield
    await lsp_client.shutdown_session()


async def graph(client: Client, uri: str, **extra: Any) -> Any:
    return await client.protocol.send_request_async(GRAPH, {"textDocument": {"uri": uri}, **extra})


def plain(value: Any) -> Any:
    """pygls hands custom results over as namedtuples: back to JSON values."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def graph_changed(client: GraphClient, uri: str, version: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if {"uri": uri, "version": version} in client.graph_changes:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no {GRAPH_CHANGED} for {uri} version {version}")


def text_at(text: str, rng: dict[str, Any]) -> str:
    start = offset_of(text, lsp.Position(**rng["start"]))
    end = offset_of(text, lsp.Position(**rng["end"]))
    return text[start:end]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.flow.json")))
async def test_examples(client: GraphClient, name: str) -> None:
    path = EXAMPLES / name
    text = path.read_text()
    data = json.loads(text)
    uri = open_document(client, path, version=4)
    view = plain(await graph(client, uri))
    assert view["uri"] == uri and view["version"] == 4
    assert view["flow"] == {"id": data["id"], "name": data.get("name")}
    assert [n["id"] for n in view["nodes"]] == [n["id"] for n in data["nodes"]]
    assert view["diagnostics"] == []
    for node, raw in zip(view["nodes"], data["nodes"], strict=True):
        assert node["position"] == raw["position"] and node["positioned"] is True
        assert node["type"] == raw["type"] and node["version"] == raw["version"]
        assert node["label"] == raw.get("title", raw["id"]) and node["diagnostics"] == []
        assert node["size"]["width"] > 0 and node["size"]["height"] > 0
        assert node["category"] == raw["type"].split("/")[0] or node["category"]
        assert node["icon"] and node["kind"] in ("trigger", "action", "control")
        assert json.loads(text_at(text, node["range"])) == raw
        assert text_at(text, node["selectionRange"]) == json.dumps(raw["id"])
        for port in (*node["inputs"], *node["outputs"]):
            assert port["type"] and isinstance(port["required"], bool)
    keys = {n["key"]: n for n in view["nodes"]}
    assert len(view["connections"]) == len(data["connections"])
    for conn in view["connections"]:
        source, target = keys[conn["source"]["node"]], keys[conn["target"]["node"]]
        assert conn["source"]["port"] in [p["name"] for p in source["outputs"]]
        assert conn["target"]["port"] in [p["name"] for p in target["inputs"]]
        assert conn["type"] == next(
            p["type"] for p in source["outputs"] if p["name"] == conn["source"]["port"]
        )
        assert json.loads(text_at(text, conn["range"])) == data["connections"][conn["index"]]


async def test_broken_flow_puts_diagnostics_on_the_right_node(client: GraphClient) -> None:
    path = BROKEN / "unknown_type.flow.json"
    text = path.read_text()
    uri = open_document(client, path)
    view = plain(await graph(client, uri))
    marked = {n["key"]: [d["code"] for d in n["diagnostics"]] for n in view["nodes"]}
    bad = next(n for n in view["nodes"] if n["type"] == "http/reqest")
    assert marked[bad["key"]] == ["NF004"]
    assert all(not codes for key, codes in marked.items() if key != bad["key"])
    diagnostic = bad["diagnostics"][0]
    assert diagnostic["severity"] == 1 and "http/request" in diagnostic["message"]
    assert text_at(text, diagnostic["range"]) == '"http/reqest"'
    # The same diagnostics as textDocument/diagnostic reports, nothing more or less.
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in report.items] == ["NF004"]


async def test_connection_marks(client: GraphClient) -> None:
    uri = open_document(client, BROKEN / "type_mismatch.flow.json")
    view = plain(await graph(client, uri))
    marks = [[(d["code"], d["severity"]) for d in c["diagnostics"]] for c in view["connections"]]
    assert marks == [[("NF009", 1)], [("NF010", 2)]]
    assert all(n["diagnostics"] == [] for n in view["nodes"])


async def test_graph_follows_edits_and_says_so(client: GraphClient) -> None:
    path = EXAMPLES / "live.flow.json"
    text = json.dumps(
        {
            "nodeforge": "1",
            "id": "live",
            "nodes": [
                {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
                {"id": "log", "type": "util/log", "version": "1.0.0", "config": {"message": "hi"}},
            ],
            "connections": [{"from": "start.out", "to": "log.in"}],
        },
        indent=2,
    )
    uri = open_document(client, path, text, version=1)
    await graph_changed(client, uri, 1)
    first = plain(await graph(client, uri))
    assert [n["positioned"] for n in first["nodes"]] == [False, False]  # laid out for us
    assert first["nodes"][1]["position"]["x"] > first["nodes"][0]["position"]["x"]

    broken = text.replace('"util/log"', '"util/lgo"')
    change_document(client, uri, 2, broken)
    await graph_changed(client, uri, 2)
    second = plain(await graph(client, uri))
    assert second["version"] == 2
    assert [d["code"] for d in second["nodes"][1]["diagnostics"]] == ["NF004"]

    moved = broken.replace('"id": "log",', '"id": "log", "position": {"x": 7, "y": 9},')
    change_document(client, uri, 3, moved)
    await graph_changed(client, uri, 3)
    third = plain(await graph(client, uri))
    assert third["nodes"][1]["position"] == {"x": 7, "y": 9} and third["nodes"][1]["positioned"]


async def test_answers_relative_to_the_one_the_client_shows(client: GraphClient) -> None:
    """``since``: the tag of the answer the client shows; unchanged nodes come back as
    their keys, unchanged connections as their indices; an unknown tag gets it whole."""
    path = EXAMPLES / "relative.flow.json"
    text = (EXAMPLES / "orders_api.flow.json").read_text()
    uri = open_document(client, path, text, version=1)
    first = plain(await graph(client, uri))
    assert isinstance(first["tag"], str) and "base" not in first
    assert all(isinstance(n, dict) for n in first["nodes"])

    same = plain(await graph(client, uri, since=first["tag"]))
    assert same["base"] == first["tag"] and same["tag"] != first["tag"]
    assert same["nodes"] == [n["key"] for n in first["nodes"]]
    assert same["connections"] == [c["index"] for c in first["connections"]]

    node = next(n for n in first["nodes"] if n["label"] != n["id"])  # one with a title
    title = f'"title": {json.dumps(node["label"])}'
    assert text.count(title) == 1
    change_document(client, uri, 2, text.replace(title, '"title": "Renamed"'))
    await graph_changed(client, uri, 2)
    second = plain(await graph(client, uri, since=same["tag"]))
    assert second["version"] == 2 and second["base"] == same["tag"]
    changed = [n for n in second["nodes"] if isinstance(n, dict)]
    assert [n["key"] for n in changed] == [node["key"]] and changed[0]["label"] == "Renamed"
    whole = plain(await graph(client, uri, since="no such answer"))
    assert "base" not in whole and all(isinstance(n, dict) for n in whole["nodes"])
    assert whole["nodes"][node["index"]] == changed[0]


async def test_custom_answers_are_encoded_as_they_are() -> None:
    """A custom request's plain JSON result is written without the converter's copy;
    lsprotocol objects inside it, and typed LSP results, still go through it."""
    server = create_server()
    written: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            written.append(data)

        def close(self) -> None:
            pass

    server.protocol.set_writer(Writer(), include_headers=False)
    result = {"nodes": [{"key": "a", "at": lsp.Position(line=1, character=2)}], "n": None}
    server.protocol._send_response(7, result)
    assert json.loads(written[-1]) == {
        "jsonrpc": "2.0",
        "id": 7,
        "result": {"nodes": [{"key": "a", "at": {"line": 1, "character": 2}}], "n": None},
    }
    server.protocol._send_response(8, None)
    assert json.loads(written[-1]) == {"jsonrpc": "2.0", "id": 8, "result": None}


async def test_unknown_documents_and_bad_params(client: GraphClient) -> None:
    assert await graph(client, (EXAMPLES / "never_opened.flow.json").as_uri()) is None
    for params in ({}, {"textDocument": {}}, {"textDocument": {"uri": 7}}, [], None):
        with pytest.raises(JsonRpcInvalidParams) as caught:
            await client.protocol.send_request_async(GRAPH, params)
        assert "textDocument" in str(caught.value)
    uri = (EXAMPLES / "tax_rate.flow.json").as_uri()
    with pytest.raises(JsonRpcInvalidParams) as caught:
        await client.protocol.send_request_async(GRAPH, {"textDocument": {"uri": uri}, "since": 3})
    assert "since" in str(caught.value)


async def test_position_encoding_of_ranges() -> None:
    """Ranges come in the negotiated encoding: UTF-8 columns differ from UTF-16 after
    non-ASCII text, and the node's range still covers exactly its object."""
    config = ClientServerConfig(server_command=SERVER, client_factory=make_graph_client)
    client: Any = await config.start()
    try:
        caps = capabilities(encodings=["utf-8"])
        await client.initialize_session(
            lsp.InitializeParams(capabilities=caps, root_uri=EXAMPLES.as_uri())
        )
        text = (
            '{"nodeforge": "1", "id": "enc", "name": "Größe ✓", "nodes": ['
            '{"id": "start", "type": "trigger/manual", "version": "1.0.0", "title": "Déjà"}]}'
        )
        uri = open_document(client, EXAMPLES / "enc.flow.json", text)
        view = plain(await graph(client, uri))
        node = view["nodes"][0]
        assert node["label"] == "Déjà"
        start = node["range"]["start"]
        line_utf8 = text.encode("utf-8")
        assert start["line"] == 0
        assert line_utf8[start["character"] : start["character"] + 1] == b"{"
        assert start["character"] == len(text[: text.index('{"id"')].encode("utf-8"))
    finally:
        await client.shutdown_session()


async def test_push_clients_get_graph_changes_too_and_severities_apply() -> None:
    config = ClientServerConfig(server_command=SERVER, client_factory=make_graph_client)
    client: Any = await config.start()
    try:
        await start(client, pull=False, options={"rules": {"NF010": "off", "NF009": "warning"}})
        uri = open_document(client, BROKEN / "type_mismatch.flow.json", version=5)
        await graph_changed(client, uri, 5)
        view = plain(await graph(client, uri))
        marks = [
            [(d["code"], d["severity"]) for d in c["diagnostics"]] for c in view["connections"]
        ]
        assert marks == [[("NF009", 2)], []]
    finally:
        await client.shutdown_session()


async def test_no_graph_changes_for_clients_that_did_not_ask() -> None:
    config = ClientServerConfig(server_command=SERVER, client_factory=make_graph_client)
    client: Any = await config.start()
    try:
        await client.initialize_session(
            lsp.InitializeParams(capabilities=capabilities(pull=False), root_uri=EXAMPLES.as_uri())
        )
        uri = open_document(client, EXAMPLES / "tax_rate.flow.json", version=2)
        deadline = time.monotonic() + 20
        while not any(p.uri == uri for p in client.published) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert any(p.uri == uri for p in client.published)
        view = plain(await graph(client, uri))  # the request itself is always there
        assert view["version"] == 2
        assert client.graph_changes == []
    finally:
        await client.shutdown_session()
