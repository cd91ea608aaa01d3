"""Driving a server session in-process over memory queues.

For the tests that need to reach inside the server (patch a feature to raise or to
block) or to send bytes no well-behaved client would: malformed JSON, bad params.
The session runs exactly as under a real transport (:func:`serve_session`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

from nodeforge.server.transport import serve_session
from tests.lsp.messages import latest_diagnostics


class MemoryClient:
    def __init__(self) -> None:
        self.inbox: asyncio.Queue[bytes | str | None] = asyncio.Queue()
        self.pending: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.orphans: list[dict[str, Any]] = []  # responses nobody waited for
        self._ids = itertools.count(1)
        self.task: asyncio.Task[int] | None = None

    async def start(
        self, root: Path, options: Any = None, server: Any = None, capabilities: Any = None
    ) -> dict[str, Any]:
        self.task = asyncio.create_task(
            serve_session(self.inbox.get, self, framed=False, redact_errors=True, server=server)
        )
        result = await self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": capabilities or {},
                "initializationOptions": options,
            },
        )
        self.notify("initialized", {})
        return result

    # -- the pygls writer interface ------------------------------------------------------

    def write(self, data: bytes) -> None:
        message = json.loads(data)
        if "method" in message:
            if "id" in message:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.notifications.append(message)
            return
        future = self.pending.pop(message.get("id"), None)
        if future is not None and not future.done():
            future.set_result(message)
        else:
            self.orphans.append(message)

    def close(self) -> None:
        pass

    # -- sending ---------------------------------------------------------------------------

    def send(self, message: Any) -> None:
        self.inbox.put_nowait(message if isinstance(message, (str, bytes)) else json.dumps(message))

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def start_request(self, method: str, params: Any) -> tuple[int, asyncio.Future[dict[str, Any]]]:
        msg_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[msg_id] = future
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return msg_id, future

    async def request(self, method: str, params: Any, timeout: float = 20) -> dict[str, Any]:
        """The whole response message (``result`` or ``error``)."""
        _, future = self.start_request(method, params)
        return await asyncio.wait_for(future, timeout)

    async def raw(self, data: str, timeout: float = 5) -> dict[str, Any]:
        """Send raw text; return the next response nobody else waits for."""
        before = len(self.orphans)
        self.send(data)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.orphans) == before:
            if loop.time() > deadline:
                raise TimeoutError("no response")
            await asyncio.sleep(0.005)
        return self.orphans[-1]

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "json",
                    "version": version,
                    "text": path.read_text() if text is None else text,
                }
            },
        )
        return uri

    async def published(self, uri: str, timeout: float = 20) -> list[dict[str, Any]]:
        return await latest_diagnostics(self.notifications, uri, timeout)

    async def stop(self) -> int:
        await self.request("shutdown", None)
        self.notify("exit", None)
        assert self.task is not None
        return await asyncio.wait_for(self.task, 5)
