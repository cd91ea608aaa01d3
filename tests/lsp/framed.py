"""A bare Content-Length framed JSON-RPC client over asyncio streams (TCP, pipes)."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from tests.lsp.messages import latest_diagnostics


class FramedClient:
    def __init__(self, reader: asyncio.StreamReader, writer: Any) -> None:
        self.reader = reader
        self.writer = writer
        self.ids = itertools.count(1)
        self.responses: dict[Any, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            length = 0
            while True:
                line = await self.reader.readline()
                if not line:
                    return
                if not line.strip():
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(await self.reader.readexactly(length))
            if "method" in message:
                if "id" in message:
                    self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                else:
                    self.notifications.append(message)
            else:
                self.responses[message.get("id")] = message

    def send_raw(self, body: bytes) -> None:
        self.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message).encode())

    async def response(self, msg_id: Any, timeout: float = 20) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while msg_id not in self.responses:
            if loop.time() > deadline or self.task.done():
                raise TimeoutError(f"no response to {msg_id}")
            await asyncio.sleep(0.005)
        return self.responses.pop(msg_id)

    async def request(self, method: str, params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await self.response(msg_id)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def initialize(self, root_uri: str | None) -> dict[str, Any]:
        answer = await self.request(
            "initialize", {"processId": None, "rootUri": root_uri, "capabilities": {}}
        )
        self.notify("initialized", {})
        return answer

    async def published(self, uri: str, timeout: float = 20) -> list[dict[str, Any]]:
        return await latest_diagnostics(self.notifications, uri, timeout)

    def open(self, uri: str, text: str) -> None:
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}},
        )
