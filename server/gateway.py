"""The WebSocket gateway: many browser clients, one isolated session each.

pygls' ``start_ws`` serves a single connection and sends binary frames that
monaco-languageclient cannot read, so the gateway is ours, on ``websockets``:

- every connection gets its own language server and :class:`Session` (documents,
  settings, workspaces); the only shared things are the catalog and worker threads;
- one JSON-RPC message per TEXT frame, as vscode-ws-jsonrpc sends and expects
  (binary frames holding UTF-8 JSON are accepted too);
- binds 127.0.0.1 by default; a token is mandatory and checked (in constant time)
  before the upgrade: ``--token-file``, ``--token`` or ``NODEFORGE_WS_TOKEN``, else one
  is generated and printed with the URL, as Jupyter does. ``--no-token`` serves
  without one, on loopback only and never as root (any local user could connect);
- Origin allow-list: browsers always send Origin, so a page on another site cannot
  drive a local server (cross-site WebSocket hijacking);
- every path a client names is confined to the base directory (``--base``, default
  the working directory; see ``server/confine.py``);
- a frame above ``--max-message-bytes`` closes that connection (1009); a client
  that stops reading overflows its own send budget and is dropped; a flooding
  client is slowed by its own socket; none of it reaches the other clients.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import secrets
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from nodeforge.server.lsp import create_server
from nodeforge.server.session import SessionLimits
from nodeforge.server.static import StaticSite, plain_response
from nodeforge.server.transport import QueueWriter, serve_session

log = logging.getLogger(__name__)

TOKEN_ENV = "NODEFORGE_WS_TOKEN"
SUBPROTOCOL_TOKEN_PREFIX = "nodeforge.token."
HEALTH_PATH = "/healthz"
LSP_PATH = "/lsp"  # the language server's WebSocket when the gateway serves the page


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    """Mandatory unless ``no_token``."""
    no_token: bool = False
    """Serve without a token (loopback only, never as root)."""
    show_token: bool = False
    """Print the token with the URL at start (it was generated: nobody else knows it)."""
    allowed_origins: Sequence[str] = ()
    max_message_bytes: int = 16 * 1024 * 1024
    max_clients: int = 256
    ping_interval: float | None = 20.0
    max_documents: int = 1000
    """Open documents per client."""
    max_open_text: int | None = None
    """Characters of open documents per client (default: four maximal messages)."""
    base: Path | None = None
    """Every path a client names must lead inside this directory (workspace folders,
    documents, command arguments); default: the directory the gateway was started in."""
    send_budget_bytes: int | None = None
    """Output queued for one client before it counts as stalled and is dropped
    (default: four maximal messages, at least 64 MiB)."""
    web_root: Path | None = None
    """``nodeforge serve``: serve the web editor's files from this folder (no token:
    they hold no data); the language server is then only at ``LSP_PATH``, and a client
    that names no workspace folder gets the base directory as its folder."""

    def session_limits(self, base: Path) -> SessionLimits:
        return SessionLimits(
            max_documents=self.max_documents,
            max_text=self.max_open_text
            if self.max_open_text is not None
            else 4 * self.max_message_bytes,
            base=base,
            folder=base if self.web_root is not None else None,
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


def running_as_root() -> bool:
    return os.geteuid() == 0


def refuse_unauthenticated(host: str, what: str, *, allow_remote: bool = False) -> None:
    """A server without authentication: never as root (any local user could connect
    and run code as root), and only on loopback unless ``allow_remote``."""
    if running_as_root():
        raise ConfigError(
            f"refusing to serve {what} as root: any local user could connect and run "
            "code as root; run it as your own user, or use --ws with a token"
        )
    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve {what} on {host}: anyone who can reach the port could "
            "connect; bind 127.0.0.1, or use --ws with a token"
        )


def check_config(config: GatewayConfig) -> None:
    if config.no_token:
        if config.token:
            raise ConfigError("a token was given together with --no-token")
        refuse_unauthenticated(config.host, "a WebSocket gateway without a token")
    elif not config.token:
        raise ConfigError(
            f"a token is required: --token-file PATH, --token T or {TOKEN_ENV}, or none "
            "of them to have one generated (--no-token serves without one, on loopback "
            "only and never as root)"
        )


def generate_token() -> str:
    return secrets.token_urlsafe(32)


MAX_TOKEN_FILE_BYTES = 4096


def read_token_file(path: Path) -> str:
    """The token in ``path`` (surrounding whitespace dropped). Refused when the file
    is not a regular file or other users may read it: the token is the key to
    running code as the gateway's user."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"token file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise ConfigError(
                f"token file {path} is accessible to other users (mode "
                f"{stat.S_IMODE(info.st_mode):04o}): chmod 600 {path}"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_TOKEN_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_TOKEN_FILE_BYTES:
        raise ConfigError(f"token file {path} is larger than {MAX_TOKEN_FILE_BYTES} bytes")
    try:
        token = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"token file {path} is not UTF-8 text") from None
    if not token:
        raise ConfigError(f"token file {path} is empty")
    return token


def resolve_base(base: Path | None) -> Path:
    """The directory every client path must lead into (resolved); never ``/``."""
    resolved = (base if base is not None else Path.cwd()).resolve()
    if not resolved.is_dir():
        raise ConfigError(f"the base directory {base} is not a directory")
    if resolved == Path(resolved.anchor):
        raise ConfigError(
            f"refusing {resolved} as the base directory (every file would be in reach): "
            "start the server in the project it serves, or pass --base DIR"
        )
    return resolved


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
        self.base = resolve_base(config.base)
        self.clients: set[ServerConnection] = set()
        self.server: Server | None = None
        self.site = StaticSite(config.web_root) if config.web_root is not None else None

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Runs before the upgrade: refuse without ever creating a session."""
        path = urlsplit(request.path).path
        upgrade = "Upgrade" in request.headers
        if path == HEALTH_PATH and not upgrade:
            return connection.respond(HTTPStatus.OK, "ok\n")  # for load balancers; no data
        if self.site is not None:
            if not upgrade:
                return self.site.respond(request)  # the page's files: no data, no token
            if path != LSP_PATH:
                return plain_response(HTTPStatus.NOT_FOUND, "Not found\n")
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, self.config.allowed_origins):
            log.warning("refused origin %r from %s", origin, connection.remote_address)
            return connection.respond(HTTPStatus.FORBIDDEN, "Origin not allowed\n")
        if not self.config.no_token:
            expected = (self.config.token or "").encode()
            token = presented_token(request)
            if token is None or not hmac.compare_digest(token.encode(), expected):
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
                server=create_server(self.config.session_limits(self.base)),
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

    async def serve_forever(self, banner: str = "nodeforge lsp: WebSocket gateway on") -> None:
        server = await self.start()
        addresses = ", ".join(str(s.getsockname()) for s in server.sockets)
        log.info("WebSocket gateway listening on %s", addresses)
        print(f"{banner} {self.url()}", flush=True)
        if self.config.no_token:
            print(
                f"{banner.split(':')[0]}: warning: no token: every local user can connect "
                "and run code as you",
                file=sys.stderr,
                flush=True,
            )
        await server.serve_forever()

    def url(self) -> str:
        """The address to connect to (the page's, when it serves the page); with the
        token when it was generated (the user's only way to learn it; the log never
        has it)."""
        url = f"http://{self._display()}/" if self.site is not None else f"ws://{self._display()}/"
        if self.config.show_token and self.config.token:
            url += f"?token={quote(self.config.token, safe='')}"
        return url

    def _display(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"{host}:{self.port}"


def run_gateway(config: GatewayConfig) -> int:
    asyncio.run(Gateway(config).serve_forever())
    return 0
