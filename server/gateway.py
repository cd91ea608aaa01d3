"""The WebSocket gateway: many browser clients, one isolated session each.

pygls' ``start_ws`` serves a single connection and sends binary frames that
monaco-languageclient cannot read, so the gateway is ours, on ``websockets``:

- every connection gets its own language server and :class:`Session` (documents,
  settings, workspaces); the only shared things are the catalog and worker threads;
- one JSON-RPC message per TEXT frame, as vscode-ws-jsonrpc sends and expects
  (binary frames holding UTF-8 JSON are accepted too);
- binds 127.0.0.1 by default; a token (``--token`` or ``NODEFORGE_WS_TOKEN``) is
  checked before the upgrade when set, and is mandatory for a non-loopback bind;
- Origin allow-list: browsers always send Origin, so a page on another site cannot
  drive a local server (cross-site WebSocket hijacking);
- a frame above ``--max-message-bytes`` closes that connection (1009); a client
  that stops reading overflows its own send budget and is dropped; a flooding
  client is slowed by its own socket; none of it reaches the other clients.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from nodeforge.server.lsp import create_server
from nodeforge.server.session import SessionLimits
from nodeforge.server.transport import QueueWriter, serve_session

log = logging.getLogger(__name__)

TOKEN_ENV = "NODEFORGE_WS_TOKEN"
SUBPROTOCOL_TOKEN_PREFIX = "nodeforge.token."
HEALTH_PATH = "/healthz"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    allowed_origins: Sequence[str] = ()
    max_message_bytes: int = 16 * 1024 * 1024
    max_clients: int = 256
    ping_interval: float | None = 20.0
    max_documents: int = 1000
    """Open documents per client."""
    max_open_text: int | None = None
    """Characters of open documents per client (default: four maximal messages)."""
    base: Path | None = None
    """Clients may only use workspace folders (and read files) under this directory;
    default: the directory the gateway was started in."""
    send_budget_bytes: int | None = None
    """Output queued for one client before it counts as stalled and is dropped
    (default: four maximal messages, at least 64 MiB)."""

    def session_limits(self) -> SessionLimits:
        return SessionLimits(
            max_documents=self.max_documents,
            max_text=self.max_open_text
            if self.max_open_text is not None
            else 4 * self.max_message_bytes,
            base=self.base if self.base is not None else Path.cwd(),
        )

    @property
    def max_pending_bytes(self) -> int:
        if self.send_budget_bytes is not None:
            return self.send_budget_bytes
        return max(4 * self.max_message_bytes, 64 * 1024 * 1024)


class ConfigError(Exception):
    """A gateway configuration that would be unsafe or cannot work."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_config(config: GatewayConfig) -> None:
    if not is_loopback(config.host) and not config.token:
        raise ConfigError(
            f"refusing to listen on {config.host} without a token: pass --token or set "
            f"{TOKEN_ENV} (any client that can reach the port could otherwise connect)"
        )


def origin_allowed(origin: str | None, allowed: Sequence[str]) -> bool:
    """No Origin (not a browser) passes; else the allow-list, or loopback pages by default."""
    if origin is None:
        return True
    if "*" in allowed:
        return True
    if allowed:
        return origin in allowed
    host = urlsplit(origin).hostname
    return host is not None and is_loopback(host)


def presented_token(request: Request) -> str | None:
    """The token from ``Authorization: Bearer``, the ``token`` query parameter, or a
    ``nodeforge.token.<token>`` subprotocol (browsers cannot set headers)."""
    auth = request.headers.get("Authorization")
    if auth and auth.lower().startswith("bearer "):
        return auth[7:].strip()
    query = parse_qs(urlsplit(request.path).query)
    if "token" in query:
        return query["token"][0]
    for header in request.headers.get_all("Sec-WebSocket-Protocol"):
        for proto in header.split(","):
            proto = proto.strip()
            if proto.startswith(SUBPROTOCOL_TOKEN_PREFIX):
                return proto[len(SUBPROTOCOL_TOKEN_PREFIX) :]
    return None


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        check_config(config)
        self.config = config
        self.clients: set[ServerConnection] = set()
        self.server: Server | None = None

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Runs before the upgrade: refuse without ever creating a session."""
        if urlsplit(request.path).path == HEALTH_PATH and "Upgrade" not in request.headers:
            return connection.respond(HTTPStatus.OK, "ok\n")  # for load balancers; no data
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, self.config.allowed_origins):
            log.warning("refused origin %r from %s", origin, connection.remote_address)
            return connection.respond(HTTPStatus.FORBIDDEN, "Origin not allowed\n")
        if self.config.token is not None:
            token = presented_token(request)
            if token is None or not hmac.compare_digest(token.encode(), self.config.token.encode()):
                log.warning("refused a bad or missing token from %s", connection.remote_address)
                return connection.respond(HTTPStatus.UNAUTHORIZED, "Missing or bad token\n")
        if len(self.clients) >= self.config.max_clients:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Too many clients\n")
        return None

    def _select_subprotocol(
        self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        # Echo a token subprotocol back: browsers fail the handshake otherwise.
        for proto in subprotocols:
            if proto.startswith(SUBPROTOCOL_TOKEN_PREFIX):
                return proto
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        self.clients.add(ws)
        peer = ws.remote_address
        log.info("client connected: %s (%d open)", peer, len(self.clients))

        async def send(data: bytes) -> None:
            await ws.send(data, text=True)

        def stalled() -> None:
            ws.transport.abort()

        writer = QueueWriter(
            send, max_pending_bytes=self.config.max_pending_bytes, on_overflow=stalled
        )

        async def receive() -> bytes | str | None:
            try:
                return await ws.recv()
            except ConnectionClosed:
                return None

        try:
            await serve_session(
                receive,
                writer,
                framed=False,
                redact_errors=True,
                is_open=lambda: ws.state is State.OPEN,
                server=create_server(self.config.session_limits()),
            )
            await writer.drain(timeout=2)
        except Exception:
            log.exception("session for %s failed", peer)
        finally:
            writer.close()
            self.clients.discard(ws)
            await ws.close()
            log.info("client gone: %s (%d open)", peer, len(self.clients))

    async def start(self) -> Server:
        self.server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._check_request,
            select_subprotocol=self._select_subprotocol,
            max_size=self.config.max_message_bytes,
            max_queue=16,
            compression=None,  # deflate would cost the shared event loop CPU per frame
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_interval,
        )
        return self.server

    @property
    def port(self) -> int:
        assert self.server is not None
        port: int = next(iter(self.server.sockets)).getsockname()[1]
        return port

    async def serve_forever(self) -> None:
        server = await self.start()
        addresses = ", ".join(str(s.getsockname()) for s in server.sockets)
        log.info("WebSocket gateway listening on %s", addresses)
        print(f"nodeforge lsp: WebSocket gateway on ws://{self._display()}/", flush=True)
        await server.serve_forever()

    def _display(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"{host}:{self.port}"


def run_gateway(config: GatewayConfig) -> int:
    asyncio.run(Gateway(config).serve_forever())
    return 0
