"""Expected refusals are answered, not logged as faults; real faults keep their traceback.

A rename where there is no node id is a refusal the user should read (LSP
``RequestFailed``), not a server error: the server's log stays free of tracebacks
for it, so that the tracebacks it does hold point at real bugs.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from nodeforge.analysis import ide
from tests.lsp.harness import WORKSPACE
from tests.lsp.inprocess import MemoryClient

PINGER = WORKSPACE / "flows" / "pinger.flow.json"
NO_ID = {"line": 1, "character": 3}  # on `"nodeforge"`: nothing there can be renamed
HOVER_AT = {"line": 6, "character": 34}


def params(uri: str, position: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": position, **extra}


def faults(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_refused_rename_is_answered_without_a_logged_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = MemoryClient()
    await client.start(WORKSPACE)
    uri = client.open(PINGER)
    answer = await client.request("textDocument/rename", params(uri, NO_ID, newName="x"))
    assert answer["error"]["code"] == -32803  # RequestFailed
    assert "node id" in answer["error"]["message"]
    prepared = await client.request("textDocument/prepareRename", params(uri, NO_ID))
    assert prepared["error"]["code"] == -32803
    assert faults(caplog) == []
    assert any("refused" in r.getMessage() for r in caplog.records)  # still traceable
    assert await client.stop() == 0


async def test_a_real_fault_keeps_its_traceback_in_the_log(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    caplog.set_level(logging.DEBUG)
    client = MemoryClient()
    await client.start(WORKSPACE)
    uri = client.open(PINGER)
    monkeypatch.setattr(ide, "hover", broken)
    answer = await client.request("textDocument/hover", params(uri, HOVER_AT))
    assert answer["error"]["code"] == -32603
    logged = [r for r in faults(caplog) if r.exc_info is not None]
    assert logged and any("boom" in str(r.exc_info[1]) for r in logged if r.exc_info)
    monkeypatch.undo()
    assert await client.stop() == 0


async def test_a_document_with_a_huge_integer_gets_its_diagnostics() -> None:
    """Issue 10: an integer of 4,301 digits made the analysis raise, and the server
    then published no diagnostics for that version; now it is a located NF001."""
    client = MemoryClient()
    await client.start(WORKSPACE)
    text = PINGER.read_text().replace('"Pinger"', "1" * 4301)
    uri = client.open(PINGER, text)
    published = await client.published(uri)
    assert [(d["code"], d["range"]["start"]["line"]) for d in published] == [("NF001", 3)]
    hover = await client.request("textDocument/hover", params(uri, {"line": 3, "character": 20}))
    assert "error" not in hover
    assert await client.stop() == 0
