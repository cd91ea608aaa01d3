"""Running one language-server session over any message transport.

pygls ties a server to one stream; the gateway needs a session per connection, so
this module drives a :class:`NodeforgeProtocol` by hand. A transport supplies a
``receive()`` coroutine returning one JSON-RPC message (bytes or str; ``None`` at
the end) and a pygls writer. :func:`serve_session` then:

- decodes each message and hands it to the protocol; malformed JSON, a batch, or
  params that do not fit the method are answered with the JSON-RPC error (pygls
  alone only logs them, leaving the client waiting);
- stops reading while too many of this client's requests are in flight, so a
  flooding client is slowed by its own socket and nobody else's;
- ends on ``exit``, end of input or a broken connection, and drops the session.

:class:`QueueWriter` sends in order from a queue with a byte budget: a client that
stops reading overflows its own budget and is disconnected, instead of growing the
server's memory or blocking the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException

from nodeforge.server import idlegc
from nodeforge.server.framing import FdReader, content_length, read_headers
from nodeforge.server.lsp import NodeforgeServer, create_server

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64
PARSE_ERROR, INVALID_REQUEST = -32700, -32600
_ID = re.compile(rb'"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")')

Receive = Callable[[], Awaitable[bytes | str | None]]


class QueueWriter:
    """A pygls writer that never blocks: messages queue up and one task sends them."""

    def __init__(
        self,
        send: Callable[[bytes], Awaitable[None]],
        *,
        max_pending_bytes: int,
        on_overflow: Callable[[], None],
    ) -> None:
        self._send = send
        self._max = max_pending_bytes
        self._on_overflow = on_overflow
        self._queue: deque[bytes] = deque()
        self._pending = 0
        self._wakeup = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._task = self._loop.create_task(self._pump())
        self.closed = False

    def write(self, data: bytes) -> None:
        if threading.get_ident() != self._thread:  # pygls may answer from a worker
            self._loop.call_soon_threadsafe(self.write, data)
            return
        if self.closed:
            return
        self._pending += len(data)
        if self._pending > self._max:
            log.warning("client is not reading (%d bytes queued): disconnecting", self._pending)
            self.closed = True
            self._queue.clear()
            self._on_overflow()
            return
        self._queue.append(data)
        self._wakeup.set()

    def close(self) -> None:
        self.closed = True
        self._task.cancel()

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) until queued messages are sent, e.g. before closing."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._queue and not self.closed and loop.time() < deadline:
            await asyncio.sleep(0.01)

    async def _pump(self) -> None:
        while not self.closed:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            data = self._queue.popleft()
            try:
                await self._send(data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("send failed, closing: %s", exc)
                self.closed = True
                self._queue.clear()
                return
            self._pending -= len(data)


class BlockingWriter:
    """stdout: synchronous writes, as every stdio language server does."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            self._stream.write(data)
            self._stream.flush()

    def write_framed(self, body: bytes) -> None:
        self.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def close(self) -> None:
        pass


async def serve_session(
    receive: Receive,
    writer: Any,
    *,
    framed: bool,
    redact_errors: bool,
    max_in_flight: int = MAX_IN_FLIGHT,
    server: NodeforgeServer | None = None,
    is_open: Callable[[], bool] | None = None,
) -> int:
    """Serve one client until ``exit`` or the end of its input; returns the exit code."""
    server = server if server is not None else create_server()
    protocol = server.protocol
    protocol.set_writer(writer, include_headers=framed)
    protocol.redact_errors = redact_errors
    exit_code: list[int] = []
    protocol.exit_hook = exit_code.append
    try:
        while not exit_code:
            data = await receive()
            if data is None or (is_open is not None and not is_open()):
                break  # a gone client's queued messages are not worth any work
            while protocol.in_flight >= max_in_flight:
                await asyncio.sleep(0.005)
            dispatch(server, data)
            idlegc.poke()
    finally:
        server.session.dispose()
        for future in list(protocol._request_futures.values()):
            future.cancel()
    return exit_code[0] if exit_code else 1


def dispatch(server: NodeforgeServer, data: bytes | str) -> None:
    """Decode one message and hand it to the protocol; answer what pygls cannot."""
    protocol = server.protocol
    try:
        message = json.loads(data, object_hook=protocol.structure_message)
    except JsonRpcException as exc:  # valid JSON whose params do not fit the method
        _reply_error(server, _message_id(data), exc.code, exc.message)
        return
    except ValueError as exc:
        _reply_error(server, None, PARSE_ERROR, f"Parse error: {exc}")
        return
    if not hasattr(message, "jsonrpc"):
        _reply_error(server, _message_id(data), INVALID_REQUEST, "Invalid request")
        return
    try:
        protocol.handle_message(message)
    except Exception:
        log.exception("failed to handle a message")


def _message_id(data: bytes | str) -> int | str | None:
    raw = data.encode() if isinstance(data, str) else data
    try:
        value = json.loads(raw)
    except ValueError:
        match = _ID.search(raw[:512]) or _ID.search(raw[-512:])
        return json.loads(match.group(1)) if match else None
    if isinstance(value, dict) and "method" in value:
        msg_id = value.get("id")
        return msg_id if isinstance(msg_id, (int, str)) else None
    return None


def _reply_error(server: NodeforgeServer, msg_id: int | str | None, code: int, text: str) -> None:
    log.warning("rejecting a message: %s", text)
    # A plain dict: JSON-RPC wants ``"id": null`` when the id is unknown, which the
    # lsprotocol converter would drop.
    server.protocol._send_data(
        {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": text}}
    )


def skipped_message(head: bytes, tail: bytes, size: int, limit: int) -> bytes:
    """The error response for a request whose body was too large to read."""
    match = _ID.search(head) or _ID.search(tail)
    msg_id = json.loads(match.group(1)) if match else None
    error = {
        "jsonrpc": "2.0",
        "id": msg_id,
        "error": {
            "code": INVALID_REQUEST,
            "message": f"message of {size} bytes exceeds the limit of {limit} bytes",
        },
    }
    return json.dumps(error).encode()


class FramedReader:
    """Reads ``Content-Length`` framed messages (stdio, TCP) with a size cap.

    ``readline`` and ``read`` are coroutines over the underlying stream. A message
    over the cap is skipped in chunks (never held in memory) and answered with an
    error built from its id.
    """

    def __init__(
        self,
        readline: Callable[[], Awaitable[bytes]],
        read: Callable[[int], Awaitable[bytes]],
        max_bytes: int,
        on_oversized: Callable[[bytes], None],
    ) -> None:
        self._readline = readline
        self._read = read
        self._max = max_bytes
        self._on_oversized = on_oversized

    async def __call__(self) -> bytes | None:
        while True:
            length = await self._headers()
            if length is None:
                return None
            if length <= self._max:
                body = await self._read_exactly(length)
                return body if len(body) == length else None
            head, tail = await self._skip(length)
            self._on_oversized(skipped_message(head, tail, length, self._max))

    async def _headers(self) -> int | None:
        length: int | None = None
        while True:
            line = await self._readline()
            if not line:
                return None
            if not line.strip():
                if length is not None:
                    return length
                continue
            length = content_length(line, length)

    async def _read_exactly(self, n: int) -> bytes:
        chunks: list[bytes] = []
        remaining = n
        while remaining > 0:
            chunk = await self._read(remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    async def _skip(self, n: int) -> tuple[bytes, bytes]:
        head = b""
        tail = b""
        remaining = n
        while remaining > 0:
            chunk = await self._read(min(remaining, 1 << 20))
            if not chunk:
                break
            if len(head) < 512:
                head += chunk[: 512 - len(head)]
            tail = (tail + chunk)[-512:]
            remaining -= len(chunk)
        return head, tail


def stdin_receiver(
    stream: FdReader, max_bytes: int, on_oversized: Callable[[bytes], None]
) -> Receive:
    """Framed messages from a blocking stream, read whole on a daemon thread.

    A daemon thread (not an executor) so that a read blocked on stdin never keeps
    the process alive after ``exit``; one hop to the event loop per message.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=MAX_IN_FLIGHT)

    def put(item: bytes | None) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    def work() -> None:
        try:
            while True:
                length = read_headers(stream)
                if length is None:
                    break
                if length <= max_bytes:
                    body = stream.read(length)
                    if len(body) != length:
                        break
                    put(body)
                    continue
                head, tail, remaining = b"", b"", length
                while remaining > 0:
                    chunk = stream.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    head = head or chunk[:512]
                    tail = (tail + chunk)[-512:]
                    remaining -= len(chunk)
                reply = skipped_message(head, tail, length, max_bytes)
                loop.call_soon_threadsafe(on_oversized, reply)
        except Exception as exc:  # closed stream or loop: end of input
            log.info("input ended: %s", exc)
        with contextlib.suppress(Exception):  # the loop may already be gone
            put(None)

    threading.Thread(target=work, name="nodeforge-stdin", daemon=True).start()
    return queue.get
