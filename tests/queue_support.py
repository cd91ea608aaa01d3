"""Replicas of a built app around a real ``nats-server`` (JetStream) and PostgreSQL, for
the queue, schedule and readiness tests and for ``bench/queue_bench.py``.

A :class:`NatsServer` can be stopped and started again on the same port with the same
store (a NATS restart, as a fault); a :class:`Replica` is one process of the app binary
with its own HTTP port, stopped with SIGTERM or killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.nats_support import free_port, require_nats_server, wait_for_port

PG_DSN = os.environ.get("NODEFORGE_TEST_PG_DSN", "")

#: PostgreSQL tables of examples/order_events.flow.json (db/shopdb.sql is SQLite's).
ORDER_EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS processed_orders (
  idempotency_key TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS order_deliveries (
  idempotency_key TEXT NOT NULL,
  delivery INTEGER NOT NULL
);
"""


def psql(dsn: str, sql: str) -> str:
    proc = subprocess.run(
        ["psql", dsn, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@contextmanager
def pg_database(admin_dsn: str = PG_DSN) -> Iterator[str]:
    """A fresh database on the test server; yields its DSN, dropped afterwards."""
    name = "nodeforge_queue_" + secrets.token_hex(4)
    psql(admin_dsn, f"CREATE DATABASE {name}")
    parts = urlsplit(admin_dsn)
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        psql(admin_dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class NatsServer:
    """A JetStream server on a fixed loopback port and store, which a test may stop and
    start again (the same port, the same streams and consumers)."""

    def __init__(self, store: Path) -> None:
        self.binary = require_nats_server()
        self.store = store
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "-js", "-sd", str(self.store), "-a", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@contextmanager
def nats_server(store: Path) -> Iterator[NatsServer]:
    server = NatsServer(store)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Replica:
    """One process of the app."""

    name: str
    binary: Path
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NODEFORGE_", "OTEL_"))}
        env.update(self.env)
        env["NODEFORGE_ADDR"] = f"127.0.0.1:{self.port}"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([str(self.binary)], env=env, stdout=out, stderr=out)
        wait_for_port(self.port)

    def ready(self) -> tuple[int, dict[str, Any]]:
        """``GET /readyz``: the status and the JSON body."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/readyz")
        try:
            with urllib.request.urlopen(req, timeout=5) as res:
                return res.status, json.loads(res.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def alive(self) -> int:
        """``GET /healthz``'s status."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as res:
            return int(res.status)

    def kill(self) -> None:
        """SIGKILL: no drain, no acknowledgement of what it held."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc is not None else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


# -- JetStream through nats-py (the client side of the tests) ------------------------------


def add_stream(url: str, name: str, subjects: list[str], *, work_queue: bool = False) -> None:
    """Create a stream (limits retention, or work-queue: acknowledged messages go)."""

    async def go() -> None:
        import nats
        from nats.js.api import RetentionPolicy, StreamConfig

        retention = RetentionPolicy.WORK_QUEUE if work_queue else RetentionPolicy.LIMITS
        config = StreamConfig(name=name, subjects=subjects, retention=retention)
        nc = await nats.connect(url)
        try:
            await nc.jetstream().add_stream(config)
        finally:
            await nc.close()

    asyncio.run(go())


def stream_messages(url: str, name: str) -> int:
    """How many messages the stream holds now."""

    async def go() -> int:
        import nats

        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().stream_info(name)
            return int(info.state.messages)
        finally:
            await nc.close()

    return asyncio.run(go())


def stream_payloads(url: str, name: str) -> list[tuple[dict[str, str], bytes]]:
    """Every message of a (small) stream: headers and data."""

    async def go() -> list[tuple[dict[str, str], bytes]]:
        import nats

        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            info = await js.stream_info(name)
            out = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(name, seq)
                out.append((dict(msg.headers or {}), msg.data or b""))
            return out
        finally:
            await nc.close()

    return asyncio.run(go())


def publish_orders(
    url: str,
    subject: str,
    ids: list[str],
    *,
    payload: Callable[[str], bytes] | None = None,
    window: int = 256,
    sent: list[tuple[str, float]] | None = None,
) -> None:
    """Publish one order per id with ``Nats-Msg-Id`` = id through JetStream, ``window``
    acknowledgements outstanding at most; ``sent`` receives (id, wall time) pairs."""

    def default(order_id: str) -> bytes:
        return json.dumps({"order_id": order_id, "sku": "A-100", "qty": 1}).encode()

    make = payload or default

    async def go() -> None:
        import nats

        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            pending: list[asyncio.Future[Any]] = []
            for order_id in ids:
                if sent is not None:
                    sent.append((order_id, time.time()))
                ack = js.publish(subject, make(order_id), headers={"Nats-Msg-Id": order_id})
                pending.append(asyncio.ensure_future(ack))
                if len(pending) >= window:
                    await asyncio.gather(*pending)
                    pending.clear()
            await asyncio.gather(*pending)
        finally:
            await nc.close()

    asyncio.run(go())


class TcpProxy:
    """A TCP forwarder to ``target`` that a test can cut (every connection closed, new
    ones refused) and restore: a network partition between one replica and a server."""

    def __init__(self, target_host: str, target_port: int) -> None:
        import socket
        import threading

        self.target = (target_host, target_port)
        self.port = free_port()
        self._socket = socket
        self._threading = threading
        self._lock = threading.Lock()
        self._conns: list[Any] = []
        self._listener: Any = None
        self.open()

    def open(self) -> None:
        s = self._socket.socket()
        s.setsockopt(self._socket.SOL_SOCKET, self._socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self._listener = s
        self._threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, []
        if listener is not None:
            listener.close()
        for c in conns:
            with suppress(OSError):
                c.shutdown(self._socket.SHUT_RDWR)
            c.close()

    def _accept(self, listener: Any) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = self._socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self._threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: Any, dst: Any) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.shutdown(self._socket.SHUT_RDWR)
