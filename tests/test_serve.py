"""``nodeforge serve``: the web editor's files and the language server on one port,
driven through the real WebSocket gateway: static files (types, caching, CSP, no
listing, no traversal), the token on the socket, every graph gesture as an edit of
the document, stale versions and unknown nodes refused, the palette, saved inputs,
the workspace's files."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from nodeforge.commands.serve import WEBUI
from nodeforge.server.gateway import Gateway, GatewayConfig
from nodeforge.server.static import CONTENT_SECURITY_POLICY
from tests.conftest import EXAMPLES, ROOT
from tests.lsp.wsclient import WsClient

TOKEN = "serve-test-token"
HASHED = "app-3F2A9C1B.js"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A built page: index, a hashed script, a stylesheet, a nested icon; plus what
    must never be served (a hidden file, a folder, a link out of the site)."""
    root = tmp_path / "webui"
    (root / "icons").mkdir(parents=True)
    (root / "index.html").write_text("<!DOCTYPE html><title>t</title>")
    (root / HASHED).write_text("console.log(1)")
    (root / "style.css").write_text("body{}")
    (root / "icons" / "node.svg").write_text("<svg/>")
    (root / ".secret").write_text("hidden")
    (tmp_path / "outside.txt").write_text("outside")
    (root / "out.txt").symlink_to(tmp_path / "outside.txt")
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the examples (commands write to it)."""
    return Path(
        shutil.copytree(EXAMPLES, tmp_path / "ws", ignore=shutil.ignore_patterns(".nodeforge"))
    )


@pytest.fixture
async def gateway(site: Path, workspace: Path) -> AsyncIterator[Gateway]:
    gw = Gateway(
        GatewayConfig(port=0, ping_interval=None, token=TOKEN, base=workspace, web_root=site)
    )
    await gw.start()
    yield gw
    assert gw.server is not None
    gw.server.close()
    await gw.server.wait_closed()


async def http_get(port: int, target: str, *headers: str) -> tuple[int, dict[str, str], bytes]:
    """A raw GET (the target as given: no client normalises `..` away)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = "".join(f"{h}\r\n" for h in headers)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
    status = int((await asyncio.wait_for(reader.readline(), 5)).split()[1])
    found: dict[str, str] = {}
    while (line := (await reader.readline()).decode().strip()) != "":
        key, _, value = line.partition(":")
        found[key.lower()] = value.strip()
    body = await reader.readexactly(int(found.get("content-length", "0")))
    writer.close()
    return status, found, body


async def test_static_files_types_caching_and_policy(gateway: Gateway) -> None:
    status, headers, body = await http_get(gateway.port, "/")
    assert (status, body) == (200, b"<!DOCTYPE html><title>t</title>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"  # the address holds the token
    assert headers["x-frame-options"] == "DENY"
    status, headers, _ = await http_get(gateway.port, "/" + HASHED)
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    status, headers, _ = await http_get(gateway.port, "/style.css")
    assert (status, headers["content-type"]) == (200, "text/css; charset=utf-8")
    status, headers, _ = await http_get(gateway.port, "/icons/node.svg?v=1")
    assert (status, headers["content-type"]) == (200, "image/svg+xml")
    etag = headers["etag"]
    status, headers, body = await http_get(
        gateway.port, "/icons/node.svg", f"If-None-Match: {etag}"
    )
    assert (status, body, headers["etag"]) == (304, b"", etag)


@pytest.mark.parametrize(
    "target",
    [
        "/../outside.txt",
        "/icons/../../outside.txt",
        "/%2e%2e/outside.txt",
        "/..%2foutside.txt",
        "/icons%2f..%2f..%2foutside.txt",
        "/icons\\..\\..\\outside.txt",
        "/out.txt",  # a link leading out of the site
        "/.secret",
        "/icons",  # no listing
        "/icons/",
        "/nope.js",
        "/index.html%00.js",
    ],
)
async def test_nothing_outside_the_site_is_served(gateway: Gateway, target: str) -> None:
    status, headers, body = await http_get(gateway.port, target)
    assert status == 404, target
    assert b"outside" not in body and b"hidden" not in body
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_the_socket_needs_the_token_and_lives_at_lsp(gateway: Gateway) -> None:
    base = f"ws://127.0.0.1:{gateway.port}"
    for bad in (f"{base}/lsp", f"{base}/lsp?token=wrong"):
        with pytest.raises(InvalidStatus) as refused:
            await connect(bad)
        assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{base}/?token={TOKEN}")
    assert refused.value.response.status_code == 404  # the page's root is not the server
    client = await WsClient.connect(f"{base}/lsp", subprotocols=[f"nodeforge.token.{TOKEN}"])  # type: ignore[list-item]
    answer = await client.initialize(None)
    assert answer["result"]["serverInfo"]["name"] == "nodeforge"
    await client.stop()


# -- the editor's protocol ----------------------------------------------------------------


class EditorClient(WsClient):
    """A page-like client: names no folder, may apply edits (``workspace/applyEdit``)."""

    applied: list[dict[str, Any]]

    def write(self, data: bytes) -> None:
        message = json.loads(data)
        if message.get("method") == "workspace/applyEdit" and "id" in message:
            self.applied.append(message["params"]["edit"])
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": {"applied": True}})
            return
        super().write(data)

    async def start_editor(self, apply_edits: bool) -> None:
        self.applied = []
        capabilities: dict[str, Any] = {
            "workspace": {"applyEdit": apply_edits, "workspaceEdit": {"documentChanges": True}}
        }
        answer = await self.request(
            "initialize", {"processId": None, "rootUri": None, "capabilities": capabilities}
        )
        assert "result" in answer
        self.notify("initialized", {})


async def editor(gw: Gateway, apply_edits: bool = False) -> EditorClient:
    client = await EditorClient.connect(f"ws://127.0.0.1:{gw.port}/lsp?token={TOKEN}")
    await client.start_editor(apply_edits)
    return client


def offset(text: str, position: dict[str, int]) -> int:
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: position["line"]]) + position["character"]


def applied(text: str, edit: dict[str, Any]) -> str:
    """``text`` after a WorkspaceEdit (the document's only changes; ASCII examples)."""
    edits = [e for change in edit["documentChanges"] for e in change["edits"]]
    for e in sorted(edits, key=lambda e: offset(text, e["range"]["start"]), reverse=True):
        start, end = offset(text, e["range"]["start"]), offset(text, e["range"]["end"])
        text = text[:start] + e["newText"] + text[end:]
    return text


class Document:
    """An open flow whose text follows the server's edits, as the page's does."""

    def __init__(self, client: EditorClient, path: Path) -> None:
        self.client = client
        self.text = path.read_text()
        self.version = 1
        self.uri = client.open(path, self.text)

    async def command(self, name: str, **params: Any) -> dict[str, Any]:
        answer = await self.call(name, **params)
        assert "error" not in answer, answer
        result: dict[str, Any] = answer["result"]
        self.text = applied(self.text, result["edit"])
        self.version += 1
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"text": self.text}],
            },
        )
        return result

    async def refused(self, name: str, **params: Any) -> str:
        answer = await self.call(name, **params)
        assert "error" in answer, answer
        message: str = answer["error"]["message"]
        return message

    async def call(self, name: str, **params: Any) -> dict[str, Any]:
        return await self.client.request(
            "workspace/executeCommand",
            {
                "command": f"nodeforge.graph.{name}",
                "arguments": [{"uri": self.uri, "version": self.version, **params}],
            },
        )

    @property
    def value(self) -> Any:
        return json.loads(self.text)

    async def graph(self) -> dict[str, Any]:
        answer = await self.client.request("nodeforge/graph", {"textDocument": {"uri": self.uri}})
        view: dict[str, Any] = answer["result"]
        assert view["version"] == self.version
        return view


async def test_every_gesture_edits_the_document(gateway: Gateway, workspace: Path) -> None:
    client = await editor(gateway)
    doc = Document(client, workspace / "orders_api.flow.json")
    original = doc.value

    result = await doc.command("addNode", type="util/log", position={"x": 100, "y": 300})
    assert (result["id"], result["applied"]) == ("log", False)  # no applyEdit: the page applies
    node = doc.value["nodes"][-1]
    assert (node["id"], node["type"], node["position"]) == ("log", "util/log", {"x": 100, "y": 300})

    await doc.command(
        "connect", **{"from": {"node": "insert_order", "port": "out"}, "to": {"node": "log"}}
    )
    assert doc.value["connections"][-1] == {"from": "insert_order.out", "to": "log.in"}
    view = await doc.graph()
    assert any(c["target"]["node"] == "log" for c in view["connections"])

    await doc.command("moveNodes", moves=[{"id": "log", "x": 5, "y": 6}])
    assert doc.value["nodes"][-1]["position"] == {"x": 5, "y": 6}

    await doc.command("setConfig", id="log", path="/message", value="hello {{ input.sku }}")
    assert doc.value["nodes"][-1]["config"]["message"] == "hello {{ input.sku }}"

    result = await doc.command("renameNode", id="log", newId="audit")
    assert doc.value["connections"][-1] == {"from": "insert_order.out", "to": "audit.in"}

    result = await doc.command(
        "pasteNodes", nodes=[doc.value["nodes"][-1]], connections=[], offset={"x": 10, "y": 10}
    )
    assert result["ids"] == {"audit": "audit_2"}
    assert doc.value["nodes"][-1]["position"] == {"x": 15, "y": 16}

    await doc.command(
        "disconnect", **{"from": {"node": "insert_order", "port": "out"}, "to": {"node": "audit"}}
    )
    await doc.command("deleteNodes", ids=["audit", "audit_2"])
    assert doc.value == original
    assert doc.text == (workspace / "orders_api.flow.json").read_text(), "back to the same text"
    assert await client.published(doc.uri) is not None
    await client.stop()


async def test_stale_versions_and_unknown_nodes_are_refused(
    gateway: Gateway, workspace: Path
) -> None:
    client = await editor(gateway)
    doc = Document(client, workspace / "orders_api.flow.json")
    await doc.command("moveNodes", moves=[{"id": "created", "x": 1, "y": 1}])
    doc.version -= 1  # the canvas still shows the old version
    message = await doc.refused("moveNodes", moves=[{"id": "created", "x": 2, "y": 2}])
    assert "stale edit: it was made on version 1" in message
    doc.version += 1
    assert "there is no node `ghost`" in await doc.refused("deleteNodes", ids=["ghost"])
    message = await doc.refused(
        "connect", **{"from": {"node": "created"}, "to": {"node": "insert_order"}}
    )
    assert "has no output port" in message or "name the output port" in message
    answer = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.graph.deleteNodes", "arguments": [{"uri": doc.uri, "ids": []}]},
    )
    assert "`version`" in answer["error"]["message"]
    await client.stop()


async def test_a_client_with_apply_edit_is_sent_the_edit(gateway: Gateway, workspace: Path) -> None:
    client = await editor(gateway, apply_edits=True)
    doc = Document(client, workspace / "orders_api.flow.json")
    result = await doc.command("moveNodes", moves=[{"id": "created", "x": 1, "y": 2}])
    assert result["applied"] is True
    assert client.applied == [result["edit"]]
    change = result["edit"]["documentChanges"][0]
    assert change["textDocument"] == {"uri": doc.uri, "version": 1}
    assert change["edits"] == [
        {
            "range": change["edits"][0]["range"],
            "newText": '{"x": 1, "y": 2}',
        }
    ]
    await client.stop()


async def test_catalog_is_the_workspace_palette_without_secrets(
    gateway: Gateway, workspace: Path
) -> None:
    client = await editor(gateway)
    doc = Document(client, workspace / "orders_api.flow.json")
    answer = await client.request("nodeforge/catalog", {"uri": doc.uri})
    palette = answer["result"]
    types = {t["type"]: t for t in palette["types"]}
    log = types["util/log"]["versions"][0]
    assert log["kind"] == "action" and log["configSchema"]["type"] == "object"
    assert [p["name"] for p in log["inputs"]] == ["in"]
    assert {"name": "shopdb", "type": "sqlite"} in palette["connectors"]
    assert all(set(c) == {"name", "type"} for c in palette["connectors"])
    assert any(c["name"] == "http" for c in palette["categories"])
    outside = await client.request("nodeforge/catalog", {"uri": (ROOT / "x.flow.json").as_uri()})
    assert "outside" in outside["error"]["message"]
    await client.stop()


async def test_saved_inputs(gateway: Gateway, workspace: Path) -> None:
    client = await editor(gateway)
    doc = Document(client, workspace / "orders_api.flow.json")

    async def command(verb: str, **params: Any) -> dict[str, Any]:
        return await client.request(
            "workspace/executeCommand",
            {"command": f"nodeforge.inputs.{verb}", "arguments": [{"uri": doc.uri, **params}]},
        )

    body = {"body": {"sku": "A-1", "qty": 2}}
    saved = await command("save", name="two items", input=body)
    assert saved["result"] == {"flow": "orders_api", "name": "two items", "input": body}
    stored = workspace / ".nodeforge" / "inputs" / "orders_api" / "two items.json"
    assert json.loads(stored.read_text()) == body
    listed = await command("list")
    assert listed["result"]["inputs"] == [{"name": "two items", "input": body}]
    for bad in ("../escape", "", ".hidden", "a/b"):
        refused = await command("save", name=bad, input=1)
        assert "name" in refused["error"]["message"], bad
    assert (await command("delete", name="two items"))["result"]["deleted"] is True
    assert (await command("list"))["result"]["inputs"] == []
    assert "no saved input" in (await command("delete", name="two items"))["error"]["message"]
    await client.stop()


async def test_workspace_files_read_save_create(gateway: Gateway, workspace: Path) -> None:
    client = await editor(gateway)
    listing = (await client.request("nodeforge/workspace", {}))["result"]
    (folder,) = listing["folders"]
    assert folder["uri"] == workspace.resolve().as_uri()  # serve's workspace, unnamed by the page
    flows = {f["path"]: f for f in folder["flows"]}
    assert flows["orders_api.flow.json"]["id"] == "orders_api"
    uri = flows["orders_api.flow.json"]["uri"]
    read = await client.request("nodeforge/file", {"uri": uri})
    assert read["result"]["text"] == (workspace / "orders_api.flow.json").read_text()
    secret = workspace / ".nodeforge" / "x.json"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("{}")
    for refused_uri in (secret.as_uri(), (ROOT / "pyproject.toml").as_uri()):
        refused = await client.request("nodeforge/file", {"uri": refused_uri})
        assert "error" in refused, refused_uri

    doc = Document(client, workspace / "orders_api.flow.json")
    await doc.command("moveNodes", moves=[{"id": "created", "x": 9, "y": 9}])
    saved = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.file.save", "arguments": [{"uri": doc.uri, "version": doc.version}]},
    )
    assert saved["result"]["version"] == doc.version
    assert (workspace / "orders_api.flow.json").read_text() == doc.text

    created = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.file.create", "arguments": [{"path": "flows/new_one.flow.json"}]},
    )
    path = workspace / "flows" / "new_one.flow.json"
    assert created["result"]["uri"] == path.as_uri()
    assert json.loads(path.read_text())["id"] == "new_one"
    again = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.file.create", "arguments": [{"path": "flows/new_one.flow.json"}]},
    )
    assert "already exists" in again["error"]["message"]
    await client.stop()


async def test_paths_outside_the_workspace_are_refused(
    gateway: Gateway, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / "flows").mkdir(parents=True)
    (outside / "nodeforge.toml").write_text("")
    foreign = outside / "flows" / "f.flow.json"
    foreign.write_text(json.dumps({"nodeforge": "1", "id": "f", "nodes": []}))
    (workspace / "link").symlink_to(outside)
    before = sorted(p.name for p in outside.rglob("*"))
    client = await editor(gateway)

    async def refused(command: str, args: dict[str, Any]) -> str:
        answer = await client.request(
            "workspace/executeCommand", {"command": command, "arguments": [args]}
        )
        assert "error" in answer, (command, args, answer)
        message: str = answer["error"]["message"]
        return message

    for path in (
        "../outside/flows/new.flow.json",
        "link/flows/new.flow.json",
        str(outside / "n.flow.json"),
    ):
        assert "outside" in await refused("nodeforge.file.create", {"path": path})
    for uri in (foreign.as_uri(), (workspace / "link" / "flows" / "f.flow.json").as_uri()):
        assert "outside" in await refused(
            "nodeforge.inputs.save", {"uri": uri, "name": "a", "input": 1}
        )
        assert "outside" in await refused("nodeforge.inputs.list", {"uri": uri})
        assert "error" in await client.request("nodeforge/file", {"uri": uri})
        await refused("nodeforge.file.save", {"uri": uri})  # never opened: refused too
    # The workspace's private folder as a link out: never written through.
    (workspace / ".nodeforge").symlink_to(outside)
    doc = Document(client, workspace / "orders_api.flow.json")
    message = await refused("nodeforge.inputs.save", {"uri": doc.uri, "name": "a", "input": 1})
    assert "leads out of the workspace" in message
    assert sorted(p.name for p in outside.rglob("*")) == before, "nothing outside changed"
    await client.stop()


# -- the command line -------------------------------------------------------------------


def test_the_package_carries_a_page() -> None:
    assert (WEBUI / "index.html").is_file()


async def test_cli_serves_the_page_and_the_server(workspace: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NODEFORGE_WS_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodeforge", "serve", str(workspace), "--addr", "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith(f"nodeforge serve: the editor of {workspace.resolve()} on http://")
        url = line.rsplit(" ", 1)[1].strip()
        token = parse_qs(urlsplit(url).query)["token"][0]
        port = urlsplit(url).port
        assert port is not None and len(token) >= 32
        status, _headers, body = await http_get(port, "/")
        assert status == 200 and body == (WEBUI / "index.html").read_bytes()
        with pytest.raises(InvalidStatus):
            await connect(f"ws://127.0.0.1:{port}/lsp")
        client = await EditorClient.connect(
            f"ws://127.0.0.1:{port}/lsp",
            subprotocols=[f"nodeforge.token.{token}"],  # type: ignore[list-item]
        )
        await client.start_editor(False)
        doc = Document(client, workspace / "quote_api.flow.json")
        result = await doc.command(
            "moveNodes", moves=[{"id": doc.value["nodes"][0]["id"], "x": 3, "y": 4}]
        )
        assert result["applied"] is False and doc.value["nodes"][0]["position"] == {"x": 3, "y": 4}
        await client.stop()
    finally:
        process.terminate()
        await process.wait()


async def test_cli_refuses_a_missing_page(tmp_path: Path) -> None:
    # A folder that exists but holds no built page (a missing one is a path error).
    (tmp_path / "none").mkdir()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodeforge", "serve", str(tmp_path), "--addr", "127.0.0.1:0",
        "--web-root", str(tmp_path / "none"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert b"the web editor is not built" in err
