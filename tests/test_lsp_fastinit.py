"""The stdio server answers ``initialize`` before importing pygls (issue 15 item 6):
the early answer is what pygls answers, for every kind of client, and the session
behind it is the one pygls set up from the same message."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nodeforge import __version__
from nodeforge.server import fastinit, gateway, main
from tests.lsp.framed import FramedClient
from tests.lsp.harness import ROOT, WORKSPACE

VSCODE = Path(__file__).parent / "lsp" / "vscode_languageclient_capabilities.json"
PINGER = WORKSPACE / "flows" / "pinger.flow.json"


def _vscode() -> dict[str, Any]:
    data = json.loads(VSCODE.read_text())
    caps: dict[str, Any] = data.get("capabilities", data)
    return caps


CLIENTS: dict[str, dict[str, Any]] = {
    "empty": {},
    "vscode-languageclient": _vscode(),
    "utf-8 first": {"general": {"positionEncodings": ["utf-8", "utf-16"]}},
    "utf-32 only": {"general": {"positionEncodings": ["utf-32"]}},
    "unknown encodings": {"general": {"positionEncodings": ["latin-1"]}},
    "no prepareRename": {"textDocument": {"rename": {"prepareSupport": False}}},
    "prepareRename": {"textDocument": {"rename": {"prepareSupport": True}}},
}


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_the_early_answer_is_what_pygls_answers(name: str) -> None:
    client = CLIENTS[name]
    early = fastinit.initialize_result(client)
    assert early is not None
    assert early == fastinit.pygls_initialize_result(client)
    assert early["serverInfo"] == {"name": "nodeforge", "version": __version__}


def test_only_a_well_formed_initialize_request_is_answered_early() -> None:
    def request(**fields: Any) -> bytes:
        return json.dumps(
            {"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": {"capabilities": {}}}
            | fields
        ).encode()

    answered = fastinit.early_answer(request())
    assert answered is not None and answered[0] == 7
    assert json.loads(answered[1])["result"]["capabilities"]["positionEncoding"] == "utf-16"
    for body in (
        b"{not json",
        b"[]",
        request(method="shutdown"),
        request(id=True),
        request(id=None),
        request(jsonrpc="1.0"),
        request(params={"capabilities": []}),
        request(params={"capabilities": {"general": 3}}),
        request(params={"capabilities": {"general": {"positionEncodings": "utf-8"}}}),
    ):
        assert fastinit.early_answer(body) is None, body


def test_the_writer_drops_only_pygls_answer_to_initialize(
    caplog: pytest.LogCaptureFixture,
) -> None:
    written: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            written.append(data)

        def close(self) -> None:
            pass

    _, sent = fastinit.early_answer(
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
    ) or (None, b"")
    writer = fastinit.DropFirstAnswer(Writer(), 1, sent)
    note = b'Content-Length: 9\r\n\r\n{"method":"window/logMessage","id":1}'
    writer.write(note)  # a request from the server with the same id: not an answer
    other = json.loads(sent) | {"result": {"capabilities": {}}}
    with caplog.at_level(logging.WARNING, logger="nodeforge.server.fastinit"):
        writer.write(b"Content-Length: 1\r\n\r\n" + json.dumps(other).encode())
    assert "differs from pygls" in caplog.text  # dropped, and the difference said
    writer.write(b"Content-Length: 1\r\n\r\n" + json.dumps(other).encode())  # only once
    assert written == [note, b"Content-Length: 1\r\n\r\n" + json.dumps(other).encode()]


def test_the_stdio_path_imports_neither_pygls_nor_lsprotocol() -> None:
    code = (
        "import sys, nodeforge.cli as c, nodeforge.server.main, nodeforge.server.fastinit\n"
        "c.build_parser().parse_args(['lsp'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_the_stdio_server_drops_the_same_token_variable_as_the_gateway() -> None:
    assert main.WS_TOKEN_ENV == gateway.TOKEN_ENV


async def test_a_stdio_session_behind_the_early_answer_works() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nodeforge", "lsp", "--stdio",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    assert process.stderr is not None
    client = FramedClient(process.stdout, process.stdin)
    caps = CLIENTS["utf-8 first"]
    client.send(
        {
            "jsonrpc": "2.0",
            "id": "init",  # string ids too
            "method": "initialize",
            "params": {"processId": None, "rootUri": WORKSPACE.as_uri(), "capabilities": caps},
        }
    )
    answer = await client.response("init")
    assert answer["result"] == fastinit.initialize_result(caps)
    client.notify("initialized", {})
    # The session pygls set up from the same message: the workspace's custom node known.
    client.open(PINGER.as_uri(), PINGER.read_text())
    assert await client.published(PINGER.as_uri()) == []
    hover = await client.request(
        "textDocument/hover",
        {"textDocument": {"uri": PINGER.as_uri()}, "position": {"line": 6, "character": 34}},
    )
    assert hover.get("result"), hover
    await client.request("shutdown", None)
    client.notify("exit", None)
    assert await asyncio.wait_for(process.wait(), 10) == 0
    assert "init" not in client.responses  # pygls' own answer was dropped
    assert b"differs" not in await process.stderr.read()
