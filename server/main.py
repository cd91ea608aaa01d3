"""``nodeforge lsp``: choose a transport and serve.

``--stdio`` (default) serves the one client on stdin/stdout; ``--tcp HOST:PORT``
serves every TCP client with its own session (no authentication: loopback only
unless ``--allow-remote-tcp``, never as root); ``--ws HOST:PORT`` runs the
WebSocket gateway (see :mod:`nodeforge.server.gateway`; a token is mandatory).
Both network transports confine every client to ``--base`` (default: the working
directory). Logs go to ``--log-file`` or stderr, never to stdout (the protocol stream).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodeforge.server.framing import FdReader

# pygls, lsprotocol and everything that imports them are imported where needed, so
# that the stdio server answers `initialize` first (server/fastinit.py).
if TYPE_CHECKING:
    import asyncio

    from nodeforge.server.gateway import GatewayConfig

log = logging.getLogger(__name__)

EXIT_USAGE = 2
DEFAULT_WS_PORT = 8765


#: The gateway's token variable (``gateway.TOKEN_ENV``; a test keeps them equal), named
#: here so that the stdio server drops it without importing the gateway.
WS_TOKEN_ENV = "NODEFORGE_WS_TOKEN"


class OptionError(ValueError):
    """Options that do not go together."""


def run(args: argparse.Namespace) -> int:
    setup_logging(getattr(args, "log_file", None))
    max_bytes = int(getattr(args, "max_message_bytes", 16 * 1024 * 1024))
    # Read once and dropped: no child (a build, the app, a sandboxed node) inherits it.
    env_token = os.environ.pop(WS_TOKEN_ENV, None)
    if not getattr(args, "ws", None) and not getattr(args, "tcp", None):
        try:
            network_only(args)
            if getattr(args, "base", None) is not None:
                raise OptionError(
                    "--base applies to --ws and --tcp (stdio serves the client's workspace folders)"
                )
        except OptionError as exc:
            print(f"nodeforge lsp: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return run_stdio(max_bytes)
    from nodeforge.server import idlegc
    from nodeforge.server.gateway import (
        ConfigError,
        refuse_unauthenticated,
        resolve_base,
        run_gateway,
    )

    idlegc.enable()
    try:
        if getattr(args, "ws", None):
            return run_gateway(gateway_config(args, env_token, max_bytes))
        network_only(args)
        host, port = parse_address(args.tcp)
        allow_remote = bool(getattr(args, "allow_remote_tcp", False))
        refuse_unauthenticated(host, "LSP over TCP (no authentication)", allow_remote=allow_remote)
        base = resolve_base(getattr(args, "base", None))
        import asyncio

        return asyncio.run(serve_tcp(host, port, max_bytes, base))
    except (ConfigError, ValueError) as exc:
        print(f"nodeforge lsp: {exc}", file=sys.stderr)
        return EXIT_USAGE


def gateway_config(
    args: argparse.Namespace, env_token: str | None, max_bytes: int
) -> GatewayConfig:
    """The gateway's settings; the token from ``--token-file``, ``--token`` or the
    environment, else a generated one (printed with the URL), else none with
    ``--no-token``."""
    from nodeforge.server.gateway import (
        TOKEN_ENV,
        ConfigError,
        GatewayConfig,
        generate_token,
        read_token_file,
    )

    host, port = parse_address(args.ws)
    auth_file: Path | None = getattr(args, "auth_config", None)
    workers: str | None = getattr(args, "workers", None)
    if auth_file is not None:
        from nodeforge.server.auth import AuthConfigError, load_auth_config

        if getattr(args, "base", None) is not None:
            raise ConfigError("--base does not apply with --auth-config (each user has roots)")
        try:
            auth = load_auth_config(auth_file)
        except AuthConfigError as exc:
            raise ConfigError(f"--auth-config: {exc}") from None
        return GatewayConfig(
            host=host,
            port=port,
            allowed_origins=tuple(getattr(args, "allow_origin", []) or ()),
            max_message_bytes=max_bytes,
            auth=auth,
            workers=workers,
        )
    no_token = bool(getattr(args, "no_token", False))
    token_file: Path | None = getattr(args, "token_file", None)
    token: str | None = getattr(args, "token", None)
    if token is not None and not token.strip():
        raise ConfigError("--token is empty")
    if token_file is not None:
        token = read_token_file(token_file)
    if token is None and env_token is not None:
        if no_token:
            raise ConfigError(f"{TOKEN_ENV} is set and --no-token was given: choose one")
        if not env_token.strip():
            raise ConfigError(f"{TOKEN_ENV} is set but empty")
        token = env_token
    generated = token is None and not no_token
    if generated:
        token = generate_token()
    return GatewayConfig(
        host=host,
        port=port,
        token=token.strip() if token is not None else None,
        no_token=no_token,
        show_token=generated,
        allowed_origins=tuple(getattr(args, "allow_origin", []) or ()),
        max_message_bytes=max_bytes,
        base=getattr(args, "base", None),
        workers=workers,
    )


def network_only(args: argparse.Namespace) -> None:
    """Options of the gateway given to another transport are a mistake worth saying."""
    for option, given in (
        ("--token", getattr(args, "token", None) is not None),
        ("--token-file", getattr(args, "token_file", None) is not None),
        ("--no-token", bool(getattr(args, "no_token", False))),
        ("--allow-origin", bool(getattr(args, "allow_origin", None))),
        ("--auth-config", getattr(args, "auth_config", None) is not None),
        ("--workers", getattr(args, "workers", None) is not None),
    ):
        if given:
            raise OptionError(f"{option} applies to --ws only")
    if bool(getattr(args, "allow_remote_tcp", False)) and not getattr(args, "tcp", None):
        raise OptionError("--allow-remote-tcp applies to --tcp only")


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[v6]:PORT`` or ``:PORT`` (127.0.0.1)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def setup_logging(log_file: Path | None) -> None:
    level = os.environ.get("NODEFORGE_LOG", "INFO" if log_file else "WARNING").upper()
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pygls logs every message body at INFO: far too much for 10 MB documents.
    logging.getLogger("pygls").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("websockets").setLevel(max(logging.WARNING, root.level))


def run_stdio(max_bytes: int) -> int:
    """Serve the client on stdin/stdout. Its ``initialize`` is answered before pygls
    is imported (:mod:`nodeforge.server.fastinit`); pygls then handles the same
    message, its answer dropped."""
    from nodeforge.server import fastinit

    stdin, stdout = FdReader(sys.stdin.fileno()), sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the protocol stream
    first = fastinit.peek_first(stdin, max_bytes)
    early = fastinit.early_answer(first) if first is not None else None
    if early is not None:
        stdout.write(b"Content-Length: %d\r\n\r\n%s" % (len(early[1]), early[1]))
        stdout.flush()

    import asyncio

    from nodeforge.server import idlegc
    from nodeforge.server.transport import BlockingWriter, serve_session, stdin_receiver

    idlegc.enable()

    async def main() -> int:
        writer = BlockingWriter(stdout)
        receive = stdin_receiver(stdin, max_bytes, writer.write_framed)
        out: Any = writer if early is None else fastinit.DropFirstAnswer(writer, *early)
        return await serve_session(receive, out, framed=True, redact_errors=False)

    code = asyncio.run(main())
    stop_workers(timeout=EXIT_GRACE_SECONDS, code=code)
    return code


EXIT_GRACE_SECONDS = 3.0


def stop_workers(timeout: float, code: int) -> None:
    """After ``exit``: let worker threads finish briefly, then leave regardless.

    A 10 MB analysis still running must not keep the process alive after the editor
    said goodbye (the interpreter would join the pool's threads at shutdown).
    """
    from nodeforge.server import session

    pool = session.shared_pool_if_started()
    if pool is None:
        return
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout
    busy = [t for t in list(getattr(pool, "_threads", ())) if t.is_alive()]
    for thread in busy:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in busy):
        log.warning("leaving with analyses still running")
        logging.shutdown()
        sys.stderr.flush()
        os._exit(code)


async def serve_tcp(host: str, port: int, max_bytes: int, base: Path) -> int:
    """Serve TCP clients until stopped (see :func:`start_tcp`)."""
    from nodeforge.server.gateway import is_loopback

    if not is_loopback(host):
        print(
            f"nodeforge lsp: warning: TCP on {host} has no authentication; anyone who can "
            "reach the port can act as this user (prefer --ws with a token)",
            file=sys.stderr,
        )
    server = await start_tcp(host, port, max_bytes, base)
    addresses = ", ".join(str(s.getsockname()) for s in server.sockets)
    log.info("listening for LSP clients on %s", addresses)
    print(f"nodeforge lsp: listening on {addresses}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()
    return 0


async def start_tcp(host: str, port: int, max_bytes: int, base: Path) -> asyncio.Server:
    """Every TCP client gets its own session (like the gateway, Content-Length framed),
    confined to ``base`` as gateway clients are."""
    import asyncio

    from nodeforge.server.lsp import create_server
    from nodeforge.server.session import SessionLimits
    from nodeforge.server.transport import FramedReader, QueueWriter, serve_session

    limits = SessionLimits(base=base)

    async def client(reader: asyncio.StreamReader, stream: asyncio.StreamWriter) -> None:
        async def send(data: bytes) -> None:
            stream.write(data)
            await stream.drain()

        writer = QueueWriter(
            send, max_pending_bytes=max(4 * max_bytes, 64 << 20), on_overflow=stream.close
        )

        def oversized(reply: bytes) -> None:
            writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply))

        receive = FramedReader(reader.readline, reader.read, max_bytes, oversized)
        try:
            await serve_session(
                receive, writer, framed=True, redact_errors=True, server=create_server(limits)
            )
            await writer.drain(timeout=2)
        except Exception:
            log.exception("TCP session failed")
        finally:
            writer.close()
            stream.close()

    return await asyncio.start_server(client, host, port, limit=1 << 16)
