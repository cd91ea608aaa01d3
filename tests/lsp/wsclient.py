"""A minimal LSP client over the WebSocket gateway, for the gateway tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.lsp.inprocess import MemoryClient


class WsClient(MemoryClient):
    """:class:`MemoryClient`'s message handling over a real WebSocket."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__()
        self.ws = ws
        self.frame_types: set[type] = set()
        self.outbox: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())
        self.writer = asyncio.create_task(self._write())

    @classmethod
    async def connect(cls, url: str, **kwargs: Any) -> WsClient:
        ws = await connect(url, compression=None, max_size=None, **kwargs)
        return cls(ws)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.ws:
                self.frame_types.add(type(frame))
                self.write(frame.encode() if isinstance(frame, str) else frame)

    def send(self, message: Any) -> None:
        self.outbox.put_nowait(
            message if isinstance(message, (str, bytes)) else json.dumps(message)
        )

    async def _write(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self.ws.send(await self.outbox.get())

    async def initialize(self, root_uri: str | None, options: Any = None) -> dict[str, Any]:
        result = await self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root_uri,
                "capabilities": {},
                "initializationOptions": options,
            },
        )
        self.notify("initialized", {})
        return result

    async def stop(self) -> int:
        """shutdown + exit; the gateway then closes this connection (only)."""
        answer = await self.request("shutdown", None)
        assert "error" not in answer, answer
        self.notify("exit", None)
        await asyncio.wait_for(self.ws.wait_closed(), 10)
        self.reader.cancel()
        self.writer.cancel()
        return 0

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        self.writer.cancel()
