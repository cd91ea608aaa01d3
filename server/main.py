"""``nodeforge lsp``: choose a transport and serve.

``--stdio`` (default) serves the one client on stdin/stdout; ``--tcp HOST:PORT``
serves every TCP client with its own session; ``--ws HOST:PORT`` runs the
WebSocket gateway (see :mod:`nodeforge.server.gateway`). Logs go to ``--log-file``
or stderr, never to stdout (the protocol stream).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

from nodeforge.server import idlegc, session
from nodeforge.server.gateway import (
    TOKEN_ENV,
    ConfigError,
    GatewayConfig,
    is_loopback,
    run_gateway,
)
from nodeforge.server.transport import (
    BlockingWriter,
    FdReader,
    FramedReader,
    QueueWriter,
    serve_session,
    stdin_receiver,
)

log = logging.getLogger(__name__)

EXIT_USAGE = 2
DEFAULT_WS_PORT = 8765


def run(args: argparse.Namespace) -> int:
    setup_logging(getattr(args, "log_file", None))
    idlegc.enable()
    max_bytes = int(getattr(args, "max_message_bytes", 16 * 1024 * 1024))
    try:
        if getattr(args, "ws", None):
            host, port = parse_address(args.ws)
            token = getattr(args, "token", None) or os.environ.get(TOKEN_ENV) or None
            config = GatewayConfig(
                host=host,
                port=port,
                token=token,
                allowed_origins=tuple(getattr(args, "allow_origin", []) or ()),
                max_message_bytes=max_bytes,
            )
            return run_gateway(config)
        if getattr(args, "tcp", None):
            host, port = parse_address(args.tcp)
            return asyncio.run(serve_tcp(host, port, max_bytes))
    except (ConfigError, ValueError) as exc:
        print(f"nodeforge lsp: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return run_stdio(max_bytes)


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
    stdin, stdout = FdReader(sys.stdin.fileno()), sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the protocol stream

    async def main() -> int:
        writer = BlockingWriter(stdout)
        receive = stdin_receiver(stdin, max_bytes, writer.write_framed)
        return await serve_session(receive, writer, framed=True, redact_errors=False)

    code = asyncio.run(main())
    stop_workers(timeout=EXIT_GRACE_SECONDS, code=code)
    return code


EXIT_GRACE_SECONDS = 3.0


def stop_workers(timeout: float, code: int) -> None:
    """After ``exit``: let worker threads finish briefly, then leave regardless.

    A 10 MB analysis still running must not keep the process alive after the editor
    said goodbye (the interpreter would join the pool's threads at shutdown).
    """
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


async def serve_tcp(host: str, port: int, max_bytes: int) -> int:
    """Every TCP client gets its own session (like the gateway, Content-Length framed)."""

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
            await serve_session(receive, writer, framed=True, redact_errors=True)
            await writer.drain(timeout=2)
        except Exception:
            log.exception("TCP session failed")
        finally:
            writer.close()
            stream.close()

    if not is_loopback(host):
        print(
            f"nodeforge lsp: warning: TCP on {host} has no authentication; anyone who can "
            "reach the port can read the workspace (prefer --ws with a token)",
            file=sys.stderr,
        )
    server = await asyncio.start_server(client, host, port, limit=1 << 16)
    addresses = ", ".join(str(s.getsockname()) for s in server.sockets)
    log.info("listening for LSP clients on %s", addresses)
    print(f"nodeforge lsp: listening on {addresses}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()
    return 0
