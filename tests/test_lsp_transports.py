"""The stdio and TCP transports of ``nodeforge lsp``, driven as subprocesses."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nodeforge.server.main import start_tcp
from tests.lsp.framed import FramedClient
from tests.lsp.harness import ROOT, WORKSPACE

PINGER = WORKSPACE / "flows" / "pinger.flow.json"
HOVER = {"textDocument": {"uri": PINGER.as_uri()}, "position": {"line": 6, "character": 34}}


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodeforge", "lsp", *args,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip


@pytest.fixture
async def tcp_port() -> AsyncIterator[int]:
    """The TCP transport in-process: the command line refuses it as root (the tests'
    user), since any local user could connect to an unauthenticated server."""
    server = await start_tcp("127.0.0.1", 0, 16 * 1024 * 1024, ROOT)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.mark.skipif(os.geteuid() == 0, reason="the command line refuses TCP as root")
async def test_tcp_from_the_command_line_as_a_user() -> None:
    process = await spawn("--tcp", "127.0.0.1:0")
    assert process.stderr is not None
    line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
    match = re.search(r"'127\.0\.0\.1', (\d+)", line)
    assert match, line
    client = FramedClient(*await asyncio.open_connection("127.0.0.1", int(match.group(1))))
    await client.initialize(WORKSPACE.as_uri())
    client.writer.close()
    process.terminate()
    await process.wait()


async def test_tcp_clients_are_confined_to_the_base(tmp_path: Path) -> None:
    server = await start_tcp("127.0.0.1", 0, 1 << 20, WORKSPACE)
    try:
        port = server.sockets[0].getsockname()[1]
        client = FramedClient(*await asyncio.open_connection("127.0.0.1", port))
        await client.initialize(WORKSPACE.as_uri())
        outside = tmp_path / "x.flow.json"
        client.open(outside.as_uri(), PINGER.read_text())
        answer = await client.request(
            "workspace/executeCommand",
            {"command": "nodeforge.project.init", "arguments": [{"path": str(tmp_path / "w")}]},
        )
        assert "outside the server's base directory" in answer["error"]["message"]
        assert not (tmp_path / "w").exists()
        shown = [m["params"]["message"] for m in client.notifications]
        assert any("not opening" in m and "outside" in m for m in shown), shown
        client.writer.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_tcp_serves_several_clients_each_in_its_own_session(tcp_port: int) -> None:
    clients = [FramedClient(*await asyncio.open_connection("127.0.0.1", tcp_port)) for _ in "ab"]
    a, b = clients
    await asyncio.gather(a.initialize(WORKSPACE.as_uri()), b.initialize(WORKSPACE.as_uri()))
    text = PINGER.read_text()
    a.open(PINGER.as_uri(), text)
    b.open(PINGER.as_uri(), text.replace('"util/log"', '"util/lgo"'))
    assert await a.published(PINGER.as_uri()) == []
    assert [d["code"] for d in await b.published(PINGER.as_uri())] == ["NF004"]
    assert (await a.request("shutdown", None)).get("error") is None
    a.notify("exit", None)
    await asyncio.wait_for(a.task, 5)  # the server closed a's connection
    answer = await b.request("textDocument/hover", HOVER)
    assert "acme/ping" in answer["result"]["contents"]["value"]
    b.writer.close()


async def test_stdio_oversized_message_is_answered_and_skipped() -> None:
    process = await spawn("--stdio", "--max-message-bytes", "4096")
    assert process.stdout is not None and process.stdin is not None
    client = FramedClient(process.stdout, process.stdin)
    await client.initialize(WORKSPACE.as_uri())
    big = (
        '{"jsonrpc": "2.0", "id": 77, "method": "textDocument/hover", "params": {"pad": "'
        + "x" * 10_000
        + '"}}'
    )
    client.send_raw(big.encode())
    refused = await client.response(77)
    assert refused["error"]["code"] == -32600 and "exceeds" in refused["error"]["message"]
    client.open(PINGER.as_uri(), PINGER.read_text())
    assert await client.published(PINGER.as_uri()) == []
    assert "result" in await client.request("textDocument/hover", HOVER)
    await client.request("shutdown", None)
    client.notify("exit", None)
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_stdio_exit_code_without_shutdown() -> None:
    process = await spawn("--stdio")
    assert process.stdout is not None and process.stdin is not None
    client = FramedClient(process.stdout, process.stdin)
    await client.initialize(None)
    client.notify("exit", None)
    assert await asyncio.wait_for(process.wait(), 10) == 1


async def test_stdio_end_of_input_stops_the_server() -> None:
    process = await spawn("--stdio")
    assert process.stdin is not None
    process.stdin.close()
    assert await asyncio.wait_for(process.wait(), 10) == 1


async def test_virtual_documents_use_the_workspace_the_server_started_in() -> None:
    """A browser editor's models have no file behind them and often no workspace
    folder: they get the workspace of the server's working directory (custom nodes
    and connectors included)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodeforge", "lsp", "--stdio",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=WORKSPACE,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    client = FramedClient(process.stdout, process.stdin)
    await client.initialize(None)
    for uri in ("inmemory://model/1", "file:///nowhere/pinger.flow.json"):
        client.open(uri, PINGER.read_text())
        assert await client.published(uri) == [], uri  # acme/ping is known
    await client.request("shutdown", None)
    client.notify("exit", None)
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_exit_does_not_wait_for_a_long_analysis() -> None:
    from bench.genflow import generate_text

    process = await spawn("--stdio")
    assert process.stdout is not None and process.stdin is not None
    client = FramedClient(process.stdout, process.stdin)
    await client.initialize(WORKSPACE.as_uri())
    client.open((WORKSPACE / "flows" / "huge.flow.json").as_uri(), generate_text(34_000))
    await asyncio.sleep(1.0)  # its analysis (seconds) is running on a worker
    await client.request("shutdown", None)
    started = asyncio.get_running_loop().time()
    client.notify("exit", None)
    assert await asyncio.wait_for(process.wait(), 20) == 0
    assert asyncio.get_running_loop().time() - started < 6
