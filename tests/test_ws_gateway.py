"""The WebSocket gateway: concurrent isolated clients, text frames, token, Origin,
size cap, disconnects, floods and stalls."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from nodeforge.server import gateway as gateway_module
from nodeforge.server.gateway import ConfigError, Gateway, GatewayConfig, read_token_file
from tests.lsp.harness import BROKEN, ROOT, WORKSPACE
from tests.lsp.wsclient import WsClient

PINGER = WORKSPACE / "flows" / "pinger.flow.json"
TOKEN = "s3cret-token"


async def start(**options: Any) -> Gateway:
    options.setdefault("token", TOKEN)
    gateway = Gateway(GatewayConfig(port=0, ping_interval=None, **options))
    await gateway.start()
    return gateway


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    gw = await start()
    yield gw
    assert gw.server is not None
    gw.server.close()
    await gw.server.wait_closed()


def url(gw: Gateway, token: str | None = TOKEN) -> str:
    return f"ws://127.0.0.1:{gw.port}/" + (f"?token={token}" if token else "")


async def ready_client(gw: Gateway, **kwargs: Any) -> WsClient:
    client = await WsClient.connect(url(gw), **kwargs)
    await client.initialize(WORKSPACE.as_uri())
    return client


def hover_params(uri: str) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": 6, "character": 34}}


async def test_two_concurrent_clients_are_isolated(gateway: Gateway) -> None:
    a, b = await asyncio.gather(ready_client(gateway), ready_client(gateway))
    broken = PINGER.read_text().replace('"util/log"', '"util/lgo"')
    uri_a = a.open(PINGER)
    uri_b = b.open(PINGER, broken)  # same document, different text in the other session
    assert uri_a == uri_b
    diagnostics_a, diagnostics_b = await asyncio.gather(a.published(uri_a), b.published(uri_b))
    assert diagnostics_a == []
    assert [d["code"] for d in diagnostics_b] == ["NF004"]
    hovers = await asyncio.gather(
        *(c.request("textDocument/hover", hover_params(uri_a)) for c in (a, b) for _ in range(5))
    )
    assert all("acme/ping" in h["result"]["contents"]["value"] for h in hovers)
    assert a.frame_types == {str} and b.frame_types == {str}  # one message per TEXT frame
    assert len(gateway.clients) == 2
    await asyncio.gather(a.stop(), b.stop())


async def test_exit_closes_only_that_connection(gateway: Gateway) -> None:
    a, b = await asyncio.gather(ready_client(gateway), ready_client(gateway))
    assert await a.stop() == 0
    await asyncio.wait_for(a.ws.wait_closed(), 5)
    uri = b.open(PINGER)
    assert await b.published(uri) == []
    await b.stop()


@pytest.mark.parametrize("how", ["query", "header", "subprotocol"])
async def test_token_accepted_three_ways(gateway: Gateway, how: str) -> None:
    base = url(gateway, token=None)
    if how == "query":
        client = await WsClient.connect(base + f"?token={TOKEN}")
    elif how == "header":
        client = await WsClient.connect(
            base, additional_headers={"Authorization": f"Bearer {TOKEN}"}
        )
    else:
        client = await WsClient.connect(base, subprotocols=[f"nodeforge.token.{TOKEN}"])  # type: ignore[list-item]
    result = await client.initialize(None)
    assert result["result"]["serverInfo"]["name"] == "nodeforge"
    await client.stop()


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x"])
async def test_bad_token_refused(gateway: Gateway, token: str | None) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(url(gateway, token=token))
    assert refused.value.response.status_code == 401
    assert not gateway.clients


async def test_origin_allow_list() -> None:
    gw = await start(allowed_origins=("https://editor.example.com",))
    try:
        with pytest.raises(InvalidStatus) as refused:
            await connect(url(gw), origin="https://evil.example.net")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        ok = await WsClient.connect(url(gw), origin="https://editor.example.com")  # type: ignore[arg-type]
        await ok.initialize(None)
        await ok.stop()
    finally:
        assert gw.server is not None
        gw.server.close()


async def test_default_origins_are_loopback_pages_only() -> None:
    gw = await start()
    try:
        with pytest.raises(InvalidStatus) as refused:
            await connect(url(gw), origin="https://evil.example.net")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        for origin in ("http://localhost:3000", "http://127.0.0.1:8080", None):
            kwargs = {"origin": origin} if origin else {}
            client = await WsClient.connect(url(gw), **kwargs)
            await client.initialize(None)
            await client.stop()
    finally:
        assert gw.server is not None
        gw.server.close()


async def test_oversized_message_closes_only_that_client() -> None:
    gw = await start(max_message_bytes=64 * 1024)
    try:
        a, b = await asyncio.gather(ready_client(gw), ready_client(gw))
        a.open(PINGER, " " * 100_000 + PINGER.read_text())
        await asyncio.wait_for(a.ws.wait_closed(), 5)
        assert a.ws.close_code == 1009  # message too big
        uri = b.open(PINGER)
        assert await b.published(uri) == []
        assert "result" in await b.request("textDocument/hover", hover_params(uri))
        await b.stop()
    finally:
        assert gw.server is not None
        gw.server.close()


async def test_abrupt_disconnect_harms_no_other(gateway: Gateway) -> None:
    a, b = await asyncio.gather(ready_client(gateway), ready_client(gateway))
    uri = a.open(BROKEN / "type_mismatch.flow.json")
    a.start_request("textDocument/hover", hover_params(uri))
    a.start_request("workspace/symbol", {"query": ""})
    await asyncio.sleep(0.05)
    a.ws.transport.abort()  # no close frame, mid-request
    uri_b = b.open(PINGER)
    assert await b.published(uri_b) == []
    assert "result" in await b.request("textDocument/hover", hover_params(uri_b))
    for _ in range(200):
        if len(gateway.clients) == 1:
            break
        await asyncio.sleep(0.01)
    assert len(gateway.clients) == 1
    await b.stop()


async def test_flooding_client_does_not_starve_another(gateway: Gateway) -> None:
    a, b = await asyncio.gather(ready_client(gateway), ready_client(gateway))
    uri_a = a.open(PINGER)
    uri_b = b.open(PINGER)
    await asyncio.gather(a.published(uri_a), b.published(uri_b))
    for _ in range(3000):
        a.start_request("textDocument/completion", hover_params(uri_a))
    started = time.monotonic()
    for _ in range(5):
        assert "result" in await b.request("textDocument/hover", hover_params(uri_b))
    elapsed = time.monotonic() - started
    print(f"5 hovers under a flood: {elapsed:.3f} s")
    assert elapsed < 3.0, f"5 hovers took {elapsed:.2f} s under a flood"
    await b.stop()
    a.ws.transport.abort()
    for _ in range(300):
        if len(gateway.clients) == 0:
            break
        await asyncio.sleep(0.01)
    assert not gateway.clients, "a gone client's backlog is dropped, not worked through"


async def test_stalled_client_is_dropped() -> None:
    gw = await start(send_budget_bytes=256 * 1024)
    try:
        a, b = await asyncio.gather(ready_client(gw), ready_client(gw))
        uri = a.open(BROKEN / "type_mismatch.flow.json")
        await a.published(uri)
        a.reader.cancel()  # a stops reading; its socket and then its budget fill up
        for _ in range(4000):
            a.start_request("workspace/symbol", {"query": ""})
        for _ in range(500):
            if len(gw.clients) == 1:
                break
            await asyncio.sleep(0.02)
        assert len(gw.clients) == 1, "the stalled client is dropped"
        uri_b = b.open(PINGER)
        assert await b.published(uri_b) == []
        await b.stop()
    finally:
        assert gw.server is not None
        gw.server.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "0.0.0.0"])
def test_a_token_is_mandatory(host: str) -> None:
    with pytest.raises(ConfigError, match="a token is required"):
        Gateway(GatewayConfig(host=host, port=0))
    with pytest.raises(ConfigError, match="a token is required"):
        Gateway(GatewayConfig(host=host, port=0, token=""))
    Gateway(GatewayConfig(host=host, port=0, token=TOKEN))  # fine with one


def test_no_token_is_refused_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway_module, "running_as_root", lambda: True)
    with pytest.raises(ConfigError, match="as root: any local user"):
        Gateway(GatewayConfig(port=0, no_token=True))


def test_no_token_is_refused_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway_module, "running_as_root", lambda: False)
    with pytest.raises(ConfigError, match=r"on 0\.0\.0\.0"):
        Gateway(GatewayConfig(host="0.0.0.0", port=0, no_token=True))
    with pytest.raises(ConfigError, match="together with --no-token"):
        Gateway(GatewayConfig(port=0, no_token=True, token=TOKEN))


async def test_no_token_as_a_user_serves_loopback_clients_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gateway_module, "running_as_root", lambda: False)
    gw = await start(token=None, no_token=True)
    try:
        client = await WsClient.connect(url(gw, None))
        assert (await client.initialize(None))["result"]["serverInfo"]["name"] == "nodeforge"
        await client.stop()
        with pytest.raises(InvalidStatus) as refused:  # the Origin check still holds
            await connect(url(gw, None), origin="https://evil.example.net")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
    finally:
        assert gw.server is not None
        gw.server.close()


async def test_a_client_without_origin_needs_the_token(gateway: Gateway) -> None:
    """Not a browser (another local user's script): judged by the token, refused without."""
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic " + TOKEN}):
        with pytest.raises(InvalidStatus) as refused:
            await connect(url(gateway, None), additional_headers=headers)
        assert refused.value.response.status_code == 401
    assert not gateway.clients


def lsp_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "NODEFORGE_WS_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "nodeforge", "lsp", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**base, **(env or {})},
        cwd=ROOT,
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="checks the refusal as root")
@pytest.mark.parametrize(
    "args",
    [
        ["--ws", "127.0.0.1:0", "--no-token"],
        ["--ws", "0.0.0.0:0", "--no-token"],
        ["--tcp", "127.0.0.1:0"],
        ["--tcp", "0.0.0.0:0", "--allow-remote-tcp"],
    ],
)
def test_cli_refuses_unauthenticated_servers_as_root(args: list[str]) -> None:
    result = lsp_cli(*args)
    assert result.returncode == 2, result
    assert "as root: any local user could connect" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--ws", ":0", "--token", ""], None, "--token is empty"),
        (["--ws", ":0", "--no-token"], {"NODEFORGE_WS_TOKEN": "x" * 20}, "choose one"),
        (["--ws", ":0"], {"NODEFORGE_WS_TOKEN": " "}, "is set but empty"),
        (["--ws", ":0", "--base", "/nonexistent/dir"], None, "no such file or folder"),
        (["--ws", ":0", "--base", "/"], None, "every file would be in reach"),
        (["--stdio", "--token", "x"], None, "--token applies to --ws only"),
        (["--tcp", ":0", "--no-token"], None, "--no-token applies to --ws only"),
        (["--stdio", "--base", "."], None, "--base applies to --ws and --tcp"),
        (["--ws", ":0", "--token-file", "/nonexistent/token"], None, "no such file or folder"),
    ],
)
def test_cli_refuses_bad_gateway_options(
    args: list[str], env: dict[str, str] | None, message: str
) -> None:
    result = lsp_cli(*args, env=env)
    assert result.returncode == 2, result
    assert message in result.stderr


def test_token_file_must_be_private(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    for mode in (0o644, 0o640, 0o604):
        token_file.chmod(mode)
        result = lsp_cli("--ws", ":0", "--token-file", str(token_file))
        assert result.returncode == 2
        assert "chmod 600" in result.stderr
    token_file.chmod(0o600)
    assert read_token_file(token_file) == TOKEN
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "empty").chmod(0o600)
    with pytest.raises(ConfigError, match="empty"):
        read_token_file(tmp_path / "empty")
    with pytest.raises(ConfigError, match="not a regular file"):
        read_token_file(tmp_path)


async def gateway_process(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    """``nodeforge lsp --ws 127.0.0.1:0 ARGS`` and the URL it prints."""
    env = {k: v for k, v in os.environ.items() if k != "NODEFORGE_WS_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodeforge", "lsp", "--ws", "127.0.0.1:0", *args,
        stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    return process, "ws://" + line.rsplit("ws://", 1)[1].strip()


async def test_cli_generates_a_token_and_prints_it_with_the_url() -> None:
    process, printed = await gateway_process()
    try:
        token = parse_qs(urlsplit(printed).query)["token"][0]
        assert len(token) >= 32
        bare = printed.split("?", 1)[0]
        with pytest.raises(InvalidStatus) as refused:
            await connect(bare)
        assert refused.value.response.status_code == 401
        client = await WsClient.connect(printed)
        await client.initialize(WORKSPACE.as_uri())
        uri = client.open(PINGER)
        assert await client.published(uri) == []
        await client.stop()
    finally:
        process.terminate()
        await process.wait()
    other, again = await gateway_process()
    other.terminate()
    await other.wait()
    assert parse_qs(urlsplit(again).query)["token"][0] != token, "a fresh token each start"


async def test_cli_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    process, printed = await gateway_process("--token-file", str(token_file))
    try:
        assert "token" not in printed, "a token the user chose is not printed"
        with pytest.raises(InvalidStatus):
            await connect(printed)
        client = await WsClient.connect(
            printed, additional_headers={"Authorization": f"Bearer {TOKEN}"}
        )
        await client.initialize(None)
        await client.stop()
    finally:
        process.terminate()
        await process.wait()


async def test_cli_gateway_end_to_end() -> None:
    env = {**os.environ, "NODEFORGE_WS_TOKEN": TOKEN}  # the environment's token
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodeforge", "lsp", "--ws", "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        address = line.rsplit("ws://", 1)[1].strip()
        with pytest.raises(InvalidStatus):
            await connect(f"ws://{address}")
        client = await WsClient.connect(f"ws://{address}?token={TOKEN}")
        await client.initialize(WORKSPACE.as_uri())
        uri = client.open(PINGER)
        assert await client.published(uri) == []
        answer = await client.request("textDocument/hover", hover_params(uri))
        assert json.dumps(answer).count("acme/ping") >= 1
        await client.stop()
        assert process.returncode is None, "one client's exit does not stop the gateway"
    finally:
        process.terminate()
        await process.wait()


async def test_health_check_needs_no_token(gateway: Gateway) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    status = await asyncio.wait_for(reader.readline(), 5)
    assert status.startswith(b"HTTP/1.1 200")
    writer.close()


def test_origin_rules() -> None:
    from nodeforge.server.gateway import origin_allowed

    assert origin_allowed(None, ())
    assert origin_allowed("http://localhost:5173", ())
    assert origin_allowed("http://[::1]:8080", ())
    assert not origin_allowed("null", ())  # file:// pages and sandboxed iframes
    assert origin_allowed("null", ("null",))
    assert not origin_allowed("http://localhost:5173", ("https://editor.example.com",))
    assert origin_allowed("https://anything.example", ("*",))


async def test_clients_stay_inside_the_gateway_base() -> None:
    from tests.lsp.harness import EXAMPLES

    gw = await start(base=WORKSPACE)
    try:
        client = await WsClient.connect(url(gw))
        await client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": EXAMPLES.as_uri(),
                "workspaceFolders": [{"uri": EXAMPLES.as_uri(), "name": "examples"}],
                "capabilities": {},
            },
        )
        client.notify("initialized", {})
        shown = [
            m["params"]["message"]
            for m in client.notifications
            if m["method"] == "window/showMessage"
        ]
        assert any("ignoring workspace folders outside" in m for m in shown), shown
        found = await client.request("workspace/symbol", {"query": "create_order"})
        assert found["result"] == []
        await client.stop()
    finally:
        assert gw.server is not None
        gw.server.close()


async def test_open_documents_are_capped_per_client() -> None:
    gw = await start(max_open_text=5_000)
    try:
        client = await ready_client(gw)
        small = client.open(PINGER)
        assert await client.published(small) == []
        big_uri = client.open(
            WORKSPACE / "flows" / "big.flow.json", PINGER.read_text() + " " * 10_000
        )
        for _ in range(200):
            shown = [
                m["params"]["message"]
                for m in client.notifications
                if m["method"] == "window/showMessage"
            ]
            if shown:
                break
            await asyncio.sleep(0.01)
        assert any("not opening" in m for m in shown), shown
        assert "result" in await client.request("textDocument/hover", hover_params(small))
        assert all(
            m["params"]["uri"] != big_uri
            for m in client.notifications
            if m["method"] == "textDocument/publishDiagnostics"
        )
        await client.stop()
    finally:
        assert gw.server is not None
        gw.server.close()
