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
import json
import logging
import os
import secrets
import stat
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from nodeforge.server.auth import (
    AuthConfig,
    Authenticator,
    AuthError,
    JobGate,
    Principal,
    TokenBucket,
    UserRegistry,
)
from nodeforge.server.jobs import JobRoute
from nodeforge.server.lsp import create_server
from nodeforge.server.session import SessionLimits
from nodeforge.server.static import StaticSite, plain_response
from nodeforge.server.transport import QueueWriter, serve_session

if TYPE_CHECKING:
    from nodeforge.worker.pool import WorkerPool

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

    auth: AuthConfig | None = None
    """JWT bearer tokens instead of the one token (``--auth-config``): each user
    confined to their own roots, with their own limits (``server/auth.py``)."""
    workers: str | None = None
    """Send builds and node tests to the worker pool at this NATS URL (``--workers``)."""

    def session_limits(
        self, base: Path, principal: Principal | None = None, jobs: JobRoute | None = None
    ) -> SessionLimits:
        roots = principal.roots if principal is not None else ()
        return SessionLimits(
            max_documents=self.max_documents,
            max_text=self.max_open_text
            if self.max_open_text is not None
            else 4 * self.max_message_bytes,
            base=roots[0] if roots else base,
            roots=roots,
            owner=principal.user if principal is not None else None,
            jobs=jobs,
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
    if config.auth is not None:
        if config.token or config.no_token:
            raise ConfigError("--auth-config replaces the token: give one or the other")
        return
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


RATE_LIMITED = -32803  # LSP's RequestFailed


def rate_limited(data: bytes | str, principal: Principal, bucket: TokenBucket) -> bytes | None:
    """The error answering a request over the user's message rate; None for a
    notification or a response (those wait for the bucket instead: dropping a
    ``didChange`` would corrupt the document)."""
    try:
        message = json.loads(data)
    except ValueError:
        return None
    if not isinstance(message, dict) or "method" not in message or "id" not in message:
        return None
    limits = principal.limits
    text = (
        f"rate limit: user `{principal.user}` may send {limits.messages_per_second:g} "
        f"messages a second (bursts of {limits.message_burst}); retry in "
        f"{bucket.wait_time():.2f} s"
    )
    error = {"code": RATE_LIMITED, "message": text}
    return json.dumps({"jsonrpc": "2.0", "id": message["id"], "error": error}).encode()


_closing: set[asyncio.Task[None]] = set()


def _close_at_expiry(ws: ServerConnection, principal: Principal) -> asyncio.TimerHandle | None:
    """Close the connection when its token expires (the client reconnects with a new one)."""
    if principal.expires_at is None:
        return None
    loop = asyncio.get_running_loop()
    delay = max(0.0, principal.expires_at - time.time())

    def close() -> None:
        log.info("token of %s expired: closing its connection", principal.user)
        task = loop.create_task(ws.close(1008, "token expired"))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    return loop.call_later(delay, close)


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        check_config(config)
        self.config = config
        self.base = resolve_base(config.base)
        self.clients: set[ServerConnection] = set()
        self.server: Server | None = None
        self.site = StaticSite(config.web_root) if config.web_root is not None else None
        self.authenticator = Authenticator(config.auth) if config.auth is not None else None
        self.users = UserRegistry()
        self._principals: dict[ServerConnection, Principal] = {}
        self.pool: WorkerPool | None = None
        if config.workers is not None:
            from nodeforge.worker.pool import WorkerPool

            self.pool = WorkerPool(config.workers)

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
        if self.authenticator is not None:
            try:
                principal = self.authenticator.authenticate(presented_token(request))
            except AuthError as exc:
                log.warning("refused %s: %s", connection.remote_address, exc.message)
                response: Response = connection.respond(exc.status, f"{exc.message}\n")
                if exc.status == HTTPStatus.UNAUTHORIZED:
                    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return response
            if len(self.clients) >= self.config.max_clients:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Too many clients\n")
            self._principals[connection] = principal
            return None
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

        principal = self._principals.pop(ws, None)
        bucket: TokenBucket | None = None
        gate: JobGate | None = None
        expiry: asyncio.TimerHandle | None = None
        if principal is not None:
            user = self.users.state(principal)
            bucket, gate = user.bucket, JobGate(principal.user, user)
            expiry = _close_at_expiry(ws, principal)
        route = JobRoute(gate, self.pool) if gate is not None or self.pool is not None else None

        async def receive() -> bytes | str | None:
            while True:
                try:
                    data = await ws.recv()
                except ConnectionClosed:
                    return None
                if bucket is None or bucket.take():
                    return data
                assert principal is not None
                refusal = rate_limited(data, principal, bucket)
                if refusal is None:  # a notification or a response: slowed, never lost
                    while not bucket.take():
                        await asyncio.sleep(bucket.wait_time())
                    return data
                writer.write(refusal)

        try:
            await serve_session(
                receive,
                writer,
                framed=False,
                redact_errors=True,
                is_open=lambda: ws.state is State.OPEN,
                server=create_server(self.config.session_limits(self.base, principal, route)),
            )
            await writer.drain(timeout=2)
        except Exception:
            log.exception("session for %s failed", peer)
        finally:
            if expiry is not None:
                expiry.cancel()
            writer.close()
            self.clients.discard(ws)
            await ws.close()
            log.info("client gone: %s (%d open)", peer, len(self.clients))

    async def start(self) -> Server:
        if self.pool is not None:
            from nodeforge.worker.protocol import JobError

            try:
                await self.pool.start()
            except JobError as exc:
                raise ConfigError(f"--workers: {exc}") from None
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
