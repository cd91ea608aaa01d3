"""Development mode through the language server: nodeforge.simulate with breakpoints,
continue, step, nodeforge/connectionData, and nodeforge.testNode (sandboxed, never
unconfined), driven in-process over the real session transport."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from nodeforge.sandbox.runner import unavailable_reason
from nodeforge.sandbox.testing import code_node_flow
from nodeforge.server import dev_commands
from nodeforge.server.lsp import create_server
from nodeforge.server.transport import serve_session
from tests.lsp.inprocess import MemoryClient

pytestmark = pytest.mark.asyncio

FLOW = {
    "nodeforge": "1",
    "id": "dev",
    "name": "dev",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {"id": "one", "type": "data/map", "version": "1.0.0", "config": {"mapping": {"n": "1"}}},
        {
            "id": "two",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"n": "input.n + 1"}},
        },
        {
            "id": "three",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"n": "input.n * 10"}},
        },
    ],
    "connections": [
        {"from": "start.out", "to": "one.in"},
        {"from": "one.out", "to": "two.in"},
        {"from": "two.out", "to": "three.in"},
    ],
}


class DevClient(MemoryClient):
    async def start(self, root: Path, options: Any = None) -> dict[str, Any]:
        server = create_server()
        dev_commands.register(server)
        self.task = asyncio.create_task(
            serve_session(self.inbox.get, self, framed=False, redact_errors=True, server=server)
        )
        result = await self.request(
            "initialize",
            {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
        )
        self.notify("initialized", {})
        return result

    async def command(self, name: str, arg: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        return await self.request(
            "workspace/executeCommand", {"command": name, "arguments": [arg]}, timeout=timeout
        )


async def started(tmp_path: Path, flow: dict[str, Any] | str = FLOW) -> tuple[DevClient, str]:
    client = DevClient()
    await client.start(tmp_path)
    path = tmp_path / "dev.flow.json"
    path.write_text(flow if isinstance(flow, str) else json.dumps(flow))
    uri = client.open(path)
    await client.published(uri)
    return client, uri


async def test_simulate_with_breakpoints_step_continue_and_connection_data(tmp_path: Path) -> None:
    client, uri = await started(tmp_path)
    try:
        r = await client.command(
            dev_commands.SIMULATE, {"uri": uri, "input": {}, "breakpoints": ["two"]}
        )
        res = r["result"]
        assert res["status"] == "paused"
        assert res["paused_at"]["node"] == "two" and res["paused_at"]["value"] == {"n": 1}
        session = res["session"]
        data = await client.request(
            dev_commands.CONNECTION_DATA, {"session": session, "connection": 1}
        )
        assert data["result"]["values"] == [{"n": 1}] and data["result"]["from"] == "one.out"
        data = await client.request(
            dev_commands.CONNECTION_DATA, {"session": session, "connection": "two.out->three.in"}
        )
        assert data["result"]["count"] == 0
        r = await client.command(dev_commands.STEP, {"session": session})
        assert r["result"]["status"] == "paused" and r["result"]["paused_at"]["node"] == "three"
        r = await client.command(dev_commands.CONTINUE, {"session": session})
        assert r["result"]["status"] == "done"
        assert r["result"]["nodes"]["three"]["outputs"]["out"] == {"n": 20}
        stopped = await client.command(dev_commands.STOP, {"session": session})
        assert stopped["result"] == {"stopped": True}
        gone = await client.command(dev_commands.CONTINUE, {"session": session})
        assert "no simulation session" in gone["error"]["message"]
        bad = await client.request(
            dev_commands.CONNECTION_DATA, {"session": "nope", "connection": 0}
        )
        assert bad["error"]["code"] == -32803
    finally:
        await client.stop()


async def test_simulate_refuses_bad_requests(tmp_path: Path) -> None:
    client, uri = await started(tmp_path)
    try:
        r = await client.command(dev_commands.SIMULATE, {"uri": uri, "breakpoints": ["ghost"]})
        assert "unknown node" in r["error"]["message"]
        r = await client.command(dev_commands.SIMULATE, {"uri": uri, "trigger": "one"})
        assert "not a trigger" in r["error"]["message"]
        r = await client.command(dev_commands.SIMULATE, {"uri": "file:///nowhere.flow.json"})
        assert "not an open flow" in r["error"]["message"]
        r = await client.command(dev_commands.TEST_NODE, {"uri": uri})
        assert "`node`" in r["error"]["message"]
        broken = json.loads(json.dumps(FLOW))
        broken["connections"].append({"from": "three.out", "to": "ghost.in"})
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"text": json.dumps(broken)}],
            },
        )
        r = await client.command(dev_commands.SIMULATE, {"uri": uri})
        assert "error(s) to fix" in r["error"]["message"]
    finally:
        await client.stop()


async def test_simulate_uses_the_buffer_not_the_file(tmp_path: Path) -> None:
    client, uri = await started(tmp_path)
    try:
        edited = json.loads(json.dumps(FLOW))
        edited["nodes"][1]["config"]["mapping"]["n"] = "5"
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"text": json.dumps(edited)}],
            },
        )
        r = await client.command(dev_commands.SIMULATE, {"uri": uri, "input": {}, "values": False})
        assert r["result"]["nodes"]["three"]["outputs"]["out"] == {"n": 60}
        assert "values" not in r["result"]["connections"][0]
        data = await client.request(
            dev_commands.CONNECTION_DATA, {"session": r["result"]["session"], "connection": 2}
        )
        assert data["result"]["values"] == [{"n": 6}]
    finally:
        await client.stop()


def _needs_sandbox() -> None:
    if shutil.which("go") is None:
        pytest.skip("needs Go")
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") and os.geteuid() == 0:
            pytest.fail(f"the sandbox must work in CI (as root): {reason}")
        pytest.skip(reason)


async def test_test_node_command_runs_in_the_sandbox(tmp_path: Path) -> None:
    _needs_sandbox()
    source = 'func Run(ctx context.Context, in Input) (Output, error) {\n\treturn Output{"uid": os.Getuid()}, nil\n}\n'
    client, uri = await started(tmp_path, code_node_flow(source))
    try:
        r = await client.command(dev_commands.TEST_NODE, {"uri": uri, "node": "code", "input": {}})
        res = r["result"]
        assert res["status"] == "ok", res
        assert res["confined"] and res["outputs"]["out"]["uid"] >= 1_000_000
        r = await client.command(
            dev_commands.TEST_NODE, {"uri": uri, "node": "code", "limits": {"wall_seconds": 10_000}}
        )
        assert "wall_seconds" in r["error"]["message"]
    finally:
        await client.stop()


async def test_test_node_command_never_runs_unconfined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nodeforge.sandbox.nodetest as nodetest

    monkeypatch.setattr(nodetest, "unavailable_reason", lambda: "bubblewrap is not installed")
    marker = tmp_path / "ran"
    source = f'func Run(ctx context.Context, in Input) (Output, error) {{\n\tos.WriteFile("{marker}", nil, 0o644)\n\treturn Output{{}}, nil\n}}\n'
    client, uri = await started(tmp_path, code_node_flow(source))
    try:
        r = await client.command(
            dev_commands.TEST_NODE, {"uri": uri, "node": "code", "unsafe_no_sandbox": True}
        )
        assert r["result"]["status"] == "sandbox_unavailable"
        assert not marker.exists()
    finally:
        await client.stop()


async def test_test_node_command_reuses_the_harness(tmp_path: Path) -> None:
    """A standard node tested twice: the second run uses the cached harness. (The warm
    latency budget is measured by bench/sandbox_bench.py, not asserted here.)"""
    _needs_sandbox()
    client, uri = await started(tmp_path, json.loads(json.dumps(FLOW)))
    try:
        first = await client.command(
            dev_commands.TEST_NODE, {"uri": uri, "node": "two", "input": {"n": 1}}, timeout=300
        )
        assert first["result"]["status"] == "ok", first
        for i in range(3):
            r = await client.command(
                dev_commands.TEST_NODE, {"uri": uri, "node": "two", "input": {"n": i}}
            )
            assert r["result"]["outputs"] == {"out": {"n": i + 1}} and r["result"]["cached"], r
    finally:
        await client.stop()
