"""Every path or file URI a client hands the server is confined to the session's
roots: the gateway's base directory over the network, the client's workspace folders
over stdio. Each command is tried with a target outside (directly, through a
relative ``..`` path and through a symbolic link) over the real WebSocket gateway,
and nothing outside may change."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.project.commands import run_command
from nodeforge.project.workspace_init import init_workspace
from nodeforge.server.gateway import Gateway, GatewayConfig
from tests.lsp.inprocess import MemoryClient
from tests.lsp.wsclient import WsClient

TOKEN = "confinement-test-token"
FLOW = "flows/hello.flow.json"
REFUSED = -32803  # RequestFailed


@pytest.fixture(autouse=True)
def keys(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEFORGE_KEY_DIR", str(tmp_path_factory.mktemp("keys")))
    monkeypatch.delenv("NODEFORGE_SECRET_KEY", raising=False)


class Layout:
    """``base/ws`` (served), ``outside`` (a workspace next to the base, the target),
    ``base/link`` -> ``outside`` and ``base/ws/flows/evil.flow.json`` -> its flow."""

    def __init__(self, tmp: Path) -> None:
        self.base = tmp / "base"
        self.ws = self.base / "ws"
        self.outside = tmp / "outside"
        init_workspace(self.ws, example=True)
        init_workspace(self.outside, example=True)
        # a history to read, diff and restore from, were the commands let through
        run_command(self.outside, "history.save", {"flow": FLOW, "message": "outside"})
        self.link = self.base / "link"
        self.link.symlink_to(self.outside, target_is_directory=True)
        self.evil = self.ws / "flows" / "evil.flow.json"
        self.evil.symlink_to(self.outside / FLOW)

    def fill(self, args: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(args)
        for key, value in {
            "{out_flow_uri}": (self.outside / FLOW).as_uri(),
            "{out_flow}": str(self.outside / FLOW),
            "{out}": str(self.outside),
            "{link}": str(self.link),
            "{evil}": str(self.evil),
        }.items():
            text = text.replace(key, value)
        filled: dict[str, Any] = json.loads(text)
        return filled


def tree(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (not following links) with a digest of its bytes."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink() or path.is_dir():
                found[rel] = "dir-or-link"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path)


@pytest.fixture
async def gateway(layout: Layout) -> AsyncIterator[Gateway]:
    gw = Gateway(GatewayConfig(port=0, ping_interval=None, token=TOKEN, base=layout.base))
    await gw.start()
    yield gw
    assert gw.server is not None
    gw.server.close()
    await gw.server.wait_closed()


async def ws_client(gw: Gateway, folder: Path) -> WsClient:
    client = await WsClient.connect(f"ws://127.0.0.1:{gw.port}/?token={TOKEN}")
    await client.initialize(folder.as_uri())
    return client


async def command(client: MemoryClient, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return await client.request(
        "workspace/executeCommand", {"command": name, "arguments": [args]}, timeout=60
    )


def shown(client: MemoryClient) -> list[str]:
    return [
        str(m["params"]["message"])
        for m in client.notifications
        if m["method"] == "window/showMessage"
    ]


# Every command that takes a path, with a target outside the base.
OUTSIDE_CASES = [
    ("nodeforge.build", {"root": "{out}"}),
    ("nodeforge.build", {"uri": "{out_flow_uri}"}),
    ("nodeforge.build", {"flow": "{link}/flows/hello.flow.json"}),
    ("nodeforge.generate", {"uri": "{out_flow_uri}"}),
    ("nodeforge.run", {"root": "{out}"}),
    ("nodeforge.project.init", {"path": "{out}/new"}),
    ("nodeforge.project.init", {"path": "../outside/new"}),
    ("nodeforge.project.info", {"root": "{out}"}),
    ("nodeforge.project.set", {"root": "{out}", "name": "pwned"}),
    ("nodeforge.project.set", {"root": "{link}", "name": "pwned"}),
    ("nodeforge.history.save", {"flow": "{out_flow_uri}"}),
    ("nodeforge.history.save", {"flow": "../../outside/flows/hello.flow.json"}),
    ("nodeforge.history.save", {"flow": "{evil}"}),
    ("nodeforge.history.save", {"flow": "flows/evil.flow.json"}),
    ("nodeforge.history.list", {"flow": "{out_flow}"}),
    ("nodeforge.history.list", {"root": "{out}"}),
    ("nodeforge.history.read", {"flow": "{out_flow}", "rev": "@0"}),
    ("nodeforge.history.diff", {"flow": "{out_flow}"}),
    ("nodeforge.history.restore", {"flow": "{out_flow}", "rev": "@0"}),
    ("nodeforge.history.recover", {"root": "{out}"}),
    ("nodeforge.connector.types", {"root": "{out}"}),
    ("nodeforge.connector.list", {"root": "{out}"}),
    ("nodeforge.connector.show", {"root": "{out}", "name": "db"}),
    (
        "nodeforge.connector.add",
        {"root": "{out}", "name": "db", "type": "postgres", "settings": {"host": "x"}},
    ),
    ("nodeforge.connector.test", {"root": "{out}", "name": "db"}),
    ("nodeforge.connector.remove", {"root": "{out}", "name": "db"}),
    ("nodeforge.upgrade.plan", {"flow": "{out_flow}"}),
    ("nodeforge.upgrade.apply", {"flow": "{out_flow}"}),
    ("nodeforge.fork.create", {"root": "{out}", "node": "util/log", "as": "mylog"}),
    ("nodeforge.fork.create", {"root": "{link}", "node": "util/log", "as": "mylog"}),
    ("nodeforge.fork.status", {"root": "{out}"}),
]


@pytest.mark.parametrize(("name", "args"), OUTSIDE_CASES)
async def test_gateway_command_outside_the_base_is_refused(
    layout: Layout, gateway: Gateway, name: str, args: dict[str, Any]
) -> None:
    before = tree(layout.outside)
    client = await ws_client(gateway, layout.ws)
    try:
        answer = await command(client, name, layout.fill(args))
        assert "error" in answer, answer
        assert answer["error"]["code"] == REFUSED
        assert "outside" in answer["error"]["message"], answer
    finally:
        await client.stop()
    assert tree(layout.outside) == before, "nothing outside the base changed"


async def test_gateway_commands_inside_the_base_still_work(
    layout: Layout, gateway: Gateway
) -> None:
    client = await ws_client(gateway, layout.ws)
    try:
        flow_uri = (layout.ws / FLOW).as_uri()
        saved = await command(client, "nodeforge.history.save", {"flow": flow_uri})
        assert saved["result"]["created"], saved
        listed = await command(client, "nodeforge.history.list", {"flow": FLOW})
        assert [r["commit"] for r in listed["result"]] == [saved["result"]["commit"]]
        named = await command(client, "nodeforge.project.set", {"name": "mine"})
        assert named["result"]["name"] == "mine"
        new = await command(client, "nodeforge.project.init", {"path": str(layout.base / "new")})
        assert "error" not in new, new
        assert (layout.base / "new" / "nodeforge.toml").is_file()
    finally:
        await client.stop()


async def test_gateway_refuses_documents_outside_the_base(layout: Layout, gateway: Gateway) -> None:
    client = await ws_client(gateway, layout.ws)
    try:
        for path in (layout.outside / FLOW, layout.evil, layout.link / FLOW):
            uri = client.open(path, (layout.outside / FLOW).read_text())
            answer = await command(client, "nodeforge.simulate", {"uri": uri})
            assert answer["error"]["code"] == REFUSED
            assert "not an open flow document" in answer["error"]["message"]
            answer = await command(client, "nodeforge.testNode", {"uri": uri, "node": "hello"})
            assert "not an open flow document" in answer["error"]["message"]
            symbols = await client.request(
                "textDocument/documentSymbol", {"textDocument": {"uri": uri}}
            )
            assert symbols["result"] is None
        refusals = [m for m in shown(client) if "not opening" in m]
        assert len(refusals) == 3 and all("outside" in m for m in refusals), shown(client)
        assert not any(
            m["params"]["uri"] != (layout.ws / FLOW).as_uri()
            for m in client.notifications
            if m["method"] == "textDocument/publishDiagnostics"
        )
        inside = client.open(layout.ws / FLOW)
        assert await client.published(inside) == []
        # A model with no file behind it (a web editor's) is not a path: accepted.
        memory = "inmemory://model/1"
        client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": memory,
                    "languageId": "nodeforge",
                    "version": 1,
                    "text": (layout.ws / FLOW).read_text(),
                }
            },
        )
        assert await client.published(memory) == []
    finally:
        await client.stop()


async def test_gateway_base_under_a_workspace_does_not_reach_above(tmp_path: Path) -> None:
    """Started in a folder inside a workspace, the workspace's own files (above the
    base) are out of reach: commands find no workspace there rather than climbing."""
    init_workspace(tmp_path / "ws", example=True)
    base = tmp_path / "ws" / "flows"
    gw = Gateway(GatewayConfig(port=0, ping_interval=None, token=TOKEN, base=base))
    await gw.start()
    client = await ws_client(gw, base)
    try:
        answer = await command(
            client, "nodeforge.history.save", {"flow": str(base / "hello.flow.json")}
        )
        assert answer["error"]["code"] == REFUSED
        assert "outside" in answer["error"]["message"]
        assert not (tmp_path / "ws" / ".nodeforge" / "history.git").exists()
    finally:
        await client.stop()
        assert gw.server is not None
        gw.server.close()


# -- stdio (and any session without a base): the client's workspace folders ----------------


async def stdio_session(folder: Path) -> MemoryClient:
    from nodeforge.server.lsp import create_server

    client = MemoryClient()
    await client.start(folder, server=create_server())
    return client


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("nodeforge.history.save", {"flow": "{out_flow_uri}"}),
        ("nodeforge.history.save", {"flow": "../../outside/flows/hello.flow.json"}),
        ("nodeforge.project.init", {"path": "{out}/new"}),
        ("nodeforge.project.set", {"root": "{link}", "name": "pwned"}),
        ("nodeforge.build", {"root": "{out}"}),
        ("nodeforge.fork.create", {"root": "{out}", "node": "util/log", "as": "mylog"}),
    ],
)
async def test_stdio_commands_stay_in_the_workspace_folders(
    layout: Layout, name: str, args: dict[str, Any]
) -> None:
    before = tree(layout.outside)
    client = await stdio_session(layout.ws)
    try:
        answer = await command(client, name, layout.fill(args))
        assert answer["error"]["code"] == REFUSED, answer
        assert "outside the client's workspace folders" in answer["error"]["message"]
    finally:
        await client.stop()
    assert tree(layout.outside) == before


async def test_stdio_document_outside_the_folders_is_analysed_but_not_commanded(
    layout: Layout,
) -> None:
    """The editor may open any file its user can (a flow next to the project, a manifest
    through go-to-definition): it gets diagnostics; commands stay in the folders."""
    client = await stdio_session(layout.ws)
    try:
        uri = client.open(layout.outside / FLOW)
        assert await client.published(uri) == []
        answer = await command(client, "nodeforge.simulate", {"uri": uri})
        assert answer["error"]["code"] == REFUSED
        assert "outside the client's workspace folders" in answer["error"]["message"]
        inside = client.open(layout.ws / FLOW)
        await client.published(inside)
        ok = await command(client, "nodeforge.simulate", {"uri": inside, "input": {}})
        assert "result" in ok, ok
    finally:
        await client.stop()


def test_confine_resolves_links_and_dots(layout: Layout) -> None:
    from nodeforge.server.confine import PathRefused, confine

    roots = [layout.base.resolve()]
    assert confine(str(layout.ws / FLOW), roots, where="the base") == (layout.ws / FLOW).resolve()
    assert (
        confine("ws/flows", roots, relative_to=layout.base, where="the base")
        == (layout.ws / "flows").resolve()
    )
    assert (
        confine((layout.ws / "new" / "x").as_uri(), roots, where="the base")
        == (layout.ws / "new" / "x").resolve()
    )  # need not exist yet
    for bad in (
        str(layout.outside),
        str(layout.link),
        str(layout.evil),
        str(layout.ws / ".." / ".." / "outside"),
        (layout.outside / FLOW).as_uri(),
        "/",
    ):
        with pytest.raises(PathRefused, match="outside the base"):
            confine(bad, roots, where="the base")
    with pytest.raises(PathRefused, match="absolute"):
        confine("flows/x.flow.json", roots, where="the base")
    with pytest.raises(PathRefused, match="not a file"):
        confine("untitled:Untitled-1", roots, where="the base")
    with pytest.raises(PathRefused, match="not a valid path"):
        confine(str(layout.ws) + "/a\0b", roots, where="the base")


async def test_a_symlinked_base_still_confines(tmp_path: Path) -> None:
    """The base itself may be reached through a link; what matters is where paths lead."""
    layout = Layout(tmp_path)
    alias = tmp_path / "alias"
    alias.symlink_to(layout.base, target_is_directory=True)
    gw = Gateway(GatewayConfig(port=0, ping_interval=None, token=TOKEN, base=alias))
    await gw.start()
    client = await ws_client(gw, alias / "ws")
    try:
        ok = await command(client, "nodeforge.project.info", {})
        assert "result" in ok, ok
        refused = await command(client, "nodeforge.project.info", {"root": str(layout.outside)})
        assert refused["error"]["code"] == REFUSED
    finally:
        await client.stop()
        assert gw.server is not None
        gw.server.close()


async def test_gateway_reads_no_flow_file_through_a_link_out_of_the_base(
    layout: Layout, gateway: Gateway
) -> None:
    """Workspace symbols and workspace diagnostics read flow files from disk: a link
    inside the base that leads out of it is skipped, not read."""
    secret = json.loads((layout.outside / FLOW).read_text())
    secret["name"] = "Outside secret"
    secret["nodes"][0]["type"] = "http/secret_type_name"
    (layout.outside / FLOW).write_text(json.dumps(secret))
    client = await ws_client(gateway, layout.ws)
    try:
        found = await client.request("workspace/symbol", {"query": ""})
        assert found["result"], "the inside flow is found"
        assert "Outside secret" not in json.dumps(found), found
        report = await client.request("workspace/diagnostic", {"previousResultIds": []})
        assert "error" not in report, report
        uris = [item["uri"] for item in report["result"]["items"]]
        assert (layout.ws / FLOW).as_uri() in uris
        assert layout.evil.as_uri() not in uris
        assert "secret_type_name" not in json.dumps(report)
    finally:
        await client.stop()
