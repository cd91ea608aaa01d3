"""``workspace/executeCommand``: build (real and with build errors), lens arguments."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.text import Span
from nodeforge.codegen import build as driver
from nodeforge.server.commands import lens_arguments
from tests.lsp.harness import WORKSPACE
from tests.lsp.inprocess import MemoryClient
from tests.test_build_support import free_port


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root, ignore=shutil.ignore_patterns("nodes"))
    (root / "flows" / "pinger.flow.json").unlink()  # its custom node has no Go code
    return root


def test_lens_arguments_become_the_commands_object() -> None:
    uri = "file:///w/a.flow.json"
    assert lens_arguments("nodeforge.testNode", [uri, "n1"]) == [{"uri": uri, "node": "n1"}]
    assert lens_arguments("nodeforge.run", [uri, "start"]) == [{"uri": uri, "trigger": "start"}]
    assert lens_arguments("nodeforge.build", [uri]) == [{"uri": uri}]
    assert lens_arguments("nodeforge.build", [{"uri": uri}]) == [{"uri": uri}]


async def test_lenses_carry_object_arguments(workspace: Path) -> None:
    client = MemoryClient()
    await client.start(workspace)
    uri = client.open(workspace / "flows" / "second.flow.json")
    lenses = (await client.request("textDocument/codeLens", {"textDocument": {"uri": uri}}))[
        "result"
    ]
    by_command = {lens["command"]["command"]: lens["command"]["arguments"] for lens in lenses}
    assert by_command["nodeforge.build"] == [{"uri": uri}]
    assert by_command["nodeforge.testNode"][0]["uri"] == uri
    assert by_command["nodeforge.run"] == [{"uri": uri, "trigger": "kickoff"}]
    await client.stop()


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")
async def test_build_command_builds_the_flow(workspace: Path) -> None:
    client = MemoryClient()
    await client.start(workspace)
    uri = client.open(workspace / "flows" / "second.flow.json")
    await client.published(uri)
    answer = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.build", "arguments": [{"uri": uri}]},
        timeout=300,
    )
    result = answer["result"]
    assert result["state"] == "succeeded", result["output"]
    assert Path(result["binary"]).is_file()
    shown = [
        m["params"]["message"] for m in client.notifications if m["method"] == "window/showMessage"
    ]
    assert any("Build succeeded" in m for m in shown)
    await client.stop()


async def test_build_errors_are_published_until_the_next_edit(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = workspace / "flows" / "second.flow.json"
    text = flow.read_text()
    at = text.index('"announce"')

    def failing_build(path: Path, **_: Any) -> driver.BuildResult:
        inputs = {"flows/second.flow.json": driver.FlowInput(flow, "flows/second.flow.json", text)}
        return driver.BuildResult(
            "failed",
            workspace,
            workspace / ".nodeforge" / "gen",
            None,
            None,
            diagnostics={
                "flows/second.flow.json": [
                    Diagnostic("NF900", "go: undefined: x", Severity.ERROR, Span(at, at + 10))
                ]
            },
            flows=inputs,
            output="./flow.go:1:1: undefined: x",
        )

    monkeypatch.setattr(driver, "build", failing_build)
    client = MemoryClient()
    await client.start(workspace)
    uri = client.open(flow, text)
    assert await client.published(uri) == []
    answer = await client.request(
        "workspace/executeCommand", {"command": "nodeforge.build", "arguments": [uri]}
    )
    assert answer["result"]["state"] == "failed" and answer["result"]["problems"] == 1
    await _until(client, uri, lambda ds: [d["code"] for d in ds] == ["NF900"])
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": text.replace("started", "begun")}],
        },
    )
    await _until(client, uri, lambda ds: ds == [])
    await client.stop()


async def _until(client: MemoryClient, uri: str, check: Any, timeout: float = 20) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        published = [
            m["params"]["diagnostics"]
            for m in client.notifications
            if m["method"] == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
        ]
        if published and check(published[-1]):
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("diagnostics never matched")


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")
async def test_run_starts_the_app_and_stop_ends_it(workspace: Path) -> None:
    import asyncio
    import urllib.request

    addr = f"127.0.0.1:{free_port()}"
    client = MemoryClient()
    await client.start(workspace)
    uri = client.open(workspace / "flows" / "second.flow.json")
    await client.published(uri)
    answer = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.run", "arguments": [{"uri": uri, "addr": addr}]},
        timeout=300,
    )
    result = answer["result"]
    assert result["running"] is True, result
    health = None
    for _ in range(100):
        try:
            health = await asyncio.to_thread(
                lambda: urllib.request.urlopen(f"http://{addr}/healthz", timeout=2).status
            )
            break
        except OSError:
            await asyncio.sleep(0.1)
    assert health == 200
    stopped = await client.request(
        "workspace/executeCommand", {"command": "nodeforge.stop", "arguments": []}, timeout=30
    )
    assert stopped["result"] == {"stopped": True, "exit_code": 0}
    logs = [
        m["params"]["message"] for m in client.notifications if m["method"] == "window/logMessage"
    ]
    assert any(m.startswith("[app] ") and "listening" in m for m in logs), logs
    again = await client.request(
        "workspace/executeCommand", {"command": "nodeforge.stop", "arguments": []}
    )
    assert again["result"]["stopped"] is False
    await client.stop()
