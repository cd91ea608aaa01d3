"""Robustness: handler exceptions, cancellation, malformed messages, huge documents."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp

from bench.genflow import generate_text
from nodeforge.analysis import ide
from nodeforge.server import lsp as server_lsp
from tests.lsp.harness import (
    WORKSPACE,
    Client,
    config,
    diagnostics_for,
    doc_id,
    initialize,
    open_document,
    position_of,
)
from tests.lsp.inprocess import MemoryClient

PINGER = WORKSPACE / "flows" / "pinger.flow.json"
HOVER_AT = {"line": 6, "character": 34}


def hover_params(uri: str) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": HOVER_AT}


async def test_handler_exception_is_answered_and_server_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    client = MemoryClient()
    await client.start(WORKSPACE)
    uri = client.open(PINGER)
    monkeypatch.setattr(ide, "hover", broken)
    answer = await client.request("textDocument/hover", hover_params(uri))
    assert answer["error"]["code"] == -32603
    assert "boom" in answer["error"]["message"]
    assert "data" not in answer["error"]  # no traceback to network clients
    monkeypatch.undo()
    again = await client.request("textDocument/hover", hover_params(uri))
    assert "acme/ping" in again["result"]["contents"]["value"]
    assert await client.stop() == 0


async def test_cancel_request(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ide.hover

    def slow(*args: Any) -> Any:
        time.sleep(1.5)
        return real(*args)

    client = MemoryClient()
    await client.start(WORKSPACE)
    uri = client.open(PINGER)
    await client.published(uri)
    monkeypatch.setattr(server_lsp.ide, "hover", slow)
    msg_id, future = client.start_request("textDocument/hover", hover_params(uri))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    client.notify("$/cancelRequest", {"id": msg_id})
    answer = await asyncio.wait_for(future, 5)
    assert answer["error"]["code"] == -32800  # RequestCancelled
    assert time.monotonic() - started < 0.5
    monkeypatch.undo()
    assert "result" in await client.request("textDocument/hover", hover_params(uri))
    await client.stop()


async def test_malformed_messages_are_answered() -> None:
    client = MemoryClient()
    await client.start(WORKSPACE)
    parse = await client.raw("{not json")
    assert parse["error"]["code"] == -32700 and parse["id"] is None
    bad_params = await client.raw(
        '{"jsonrpc": "2.0", "id": 99, "method": "textDocument/hover", "params": {"x": 1}}'
    )
    assert bad_params["id"] == 99 and bad_params["error"]["code"] == -32602
    batch = await client.raw("[1, 2]")
    assert batch["error"]["code"] == -32600
    unknown = await client.request("nodeforge/nothing", {})
    assert unknown["error"]["code"] == -32601
    uri = client.open(PINGER)
    assert await client.published(uri) == []
    await client.stop()


async def test_invalid_settings_are_reported_not_fatal() -> None:
    client = MemoryClient()
    await client.start(WORKSPACE, options={"debounceMs": "fast", "bogus": 1, "rules": []})
    shown = [m for m in client.notifications if m["method"] == "window/showMessage"]
    assert shown, "invalid options must be reported"
    text = shown[0]["params"]["message"]
    assert "debounceMs" in text and "bogus" in text and "rules" in text
    uri = client.open(PINGER)
    assert await client.published(uri) == []
    await client.stop()


async def test_exit_without_shutdown_ends_with_code_1() -> None:
    client = MemoryClient()
    await client.start(WORKSPACE)
    client.notify("exit", None)
    assert client.task is not None
    assert await asyncio.wait_for(client.task, 5) == 1


# -- a 10 MB document over stdio ---------------------------------------------------------


@pytest_lsp.fixture(config=config())
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_ten_megabyte_document_does_not_freeze_others(client: Client) -> None:
    big_text = generate_text(34_000)
    assert len(big_text) > 10_000_000
    big = open_document(client, WORKSPACE / "flows" / "big.flow.json", big_text)
    await asyncio.sleep(0.3)  # its analysis is now running
    # A completion on the big document waits for its analysis: cancel it.
    future = client.protocol.send_request(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionParams(
            text_document=doc_id(big), position=lsp.Position(line=5, character=10)
        ),
        msg_id="big-completion",
    )
    client.cancel_request(lsp.CancelParams(id="big-completion"))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(asyncio.wrap_future(future), 5)
    # Meanwhile another document is served promptly.
    text = PINGER.read_text()
    small = open_document(client, PINGER, text)
    started = time.monotonic()
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc_id(small), position=position_of(text, "acme/ping", 2))
    )
    elapsed = time.monotonic() - started
    assert hover is not None
    assert elapsed < 2.0, f"hover took {elapsed:.2f} s while a 10 MB document was analysed"
    assert await diagnostics_for(client, small, 1) == []
    # And the big document gets its diagnostics in the end.
    big_diagnostics = await diagnostics_for(client, big, 1, timeout=120)
    assert big_diagnostics


async def test_notification_handler_exception_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from nodeforge.server.session import Session

    def broken(*args: Any) -> None:
        raise RuntimeError("change exploded")

    client = MemoryClient()
    await client.start(WORKSPACE)
    uri = client.open(PINGER)
    await client.published(uri)
    monkeypatch.setattr(Session, "change", broken)
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "{}"}]},
    )
    for _ in range(200):
        shown = [m for m in client.notifications if m["method"] == "window/showMessage"]
        if shown:
            break
        await asyncio.sleep(0.01)
    assert shown and "change exploded" in shown[-1]["params"]["message"]
    monkeypatch.undo()
    assert "result" in await client.request("textDocument/hover", hover_params(uri))
    await client.stop()


async def test_every_feature_answers_everywhere_without_errors() -> None:
    """Sweep the examples and broken flows: no request may answer with an error."""
    from tests.lsp.harness import BROKEN, EXAMPLES

    client = MemoryClient()
    await client.start(EXAMPLES)
    files = sorted(EXAMPLES.glob("*.flow.json")) + sorted(BROKEN.glob("*.flow.json"))
    errors: list[str] = []
    for path in files:
        text = path.read_text()
        uri = client.open(path, text)
        await client.published(uri)
        lines = text.splitlines()
        for line_no in range(0, len(lines), 3):
            for column in range(0, len(lines[line_no]) + 1, 11):
                position = {"line": line_no, "character": column}
                where = {"textDocument": {"uri": uri}, "position": position}
                span = {"start": position, "end": position}
                for method, params in (
                    ("textDocument/hover", where),
                    ("textDocument/completion", where),
                    ("textDocument/definition", where),
                    (
                        "textDocument/codeAction",
                        {**where, "range": span, "context": {"diagnostics": []}},
                    ),
                ):
                    answer = await client.request(method, params)
                    if "error" in answer:
                        errors.append(f"{path.name}:{line_no}:{column} {method}: {answer['error']}")
        for method in (
            "textDocument/documentSymbol",
            "textDocument/codeLens",
            "textDocument/formatting",
        ):
            params: dict[str, Any] = {"textDocument": {"uri": uri}}
            if method.endswith("formatting"):
                params["options"] = {"tabSize": 2, "insertSpaces": True}
            answer = await client.request(method, params)
            if "error" in answer:
                errors.append(f"{path.name} {method}: {answer['error']}")
    assert not errors, "\n".join(errors[:20])
    await client.stop()


async def test_half_typed_documents_keep_working() -> None:
    """Typing a flow from scratch: every prefix gets diagnostics and completions."""
    from tests.lsp.harness import EXAMPLES

    client = MemoryClient()
    await client.start(EXAMPLES)
    text = (EXAMPLES / "orders_api.flow.json").read_text()
    uri = client.open(EXAMPLES / "typing.flow.json", "")
    for version, cut in enumerate(range(0, len(text), 89), start=2):
        prefix = text[:cut]
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": prefix}],
            },
        )
        line = prefix.count("\n")
        column = len(prefix) - (prefix.rfind("\n") + 1)
        where = {"textDocument": {"uri": uri}, "position": {"line": line, "character": column}}
        answer = await client.request("textDocument/completion", where)
        assert "error" not in answer, (cut, answer)
        assert "error" not in await client.request("textDocument/hover", where)
    report = await client.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
    assert report["result"]["kind"] == "full"
    await client.stop()


async def test_notifications_do_not_accumulate() -> None:
    """pygls keeps a future per notification forever; the session must not (it would
    leak, and look like 64 requests in flight, stalling the connection)."""
    from nodeforge.server.lsp import create_server

    server = create_server()
    client = MemoryClient()
    await client.start(WORKSPACE, server=server)
    text = PINGER.read_text()
    uri = client.open(PINGER, text)
    for version in range(2, 302):
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
        )
    assert "result" in await client.request("textDocument/hover", hover_params(uri))
    assert len(server.protocol._request_futures) < 10
    await client.stop()
