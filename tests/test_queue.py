"""Generated apps past one process: replicas of one built app on a real ``nats-server``
(JetStream) and PostgreSQL.

* three replicas consume one queue under load, one is killed with SIGKILL mid-load, and
  every message is processed once in the database: deliveries may repeat (at least
  once, documented), the example flow's idempotency key absorbs them, and the
  confirmations it publishes are deduplicated by JetStream;
* a failed execution is delivered again after its backoff, a message that keeps failing
  and a payload against the schema go to the dead-letter subject;
* a schedule fires once per tick across three replicas, also after one of them dies;
* a replica that loses NATS or its database reports not ready (still alive), pauses,
  and takes work again when the dependency is back.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.queue_support import (
    ORDER_EVENTS_SCHEMA,
    PG_DSN,
    NatsServer,
    Replica,
    TcpProxy,
    add_stream,
    nats_server,
    pg_database,
    psql,
    publish_orders,
    stream_messages,
    stream_payloads,
    wait_until,
)
from tests.test_build_support import EXAMPLES, built, needs_go

pytestmark = [
    needs_go,
    pytest.mark.skipif(not PG_DSN, reason="no PostgreSQL (NODEFORGE_TEST_PG_DSN)"),
]

SCHEMA = (
    ORDER_EVENTS_SCHEMA
    + """
CREATE TABLE IF NOT EXISTS attempts (idempotency_key TEXT NOT NULL, delivery INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ticks (at TEXT NOT NULL, replica TEXT NOT NULL);
"""
)


def _node(nid: str, kind: str, config: dict[str, object]) -> dict[str, object]:
    return {"id": nid, "type": kind, "version": "1.0.0", "config": config}


RETRY_FLOW = {
    "nodeforge": "1",
    "id": "retry_jobs",
    "name": "Jobs that fail until a given delivery",
    "nodes": [
        _node(
            "job",
            "trigger/queue",
            {
                "connector": "events",
                "stream": "JOBS",
                "subject": "jobs.*",
                "payload_schema": {
                    "type": "object",
                    "required": ["fail_until"],
                    "properties": {"fail_until": {"type": "integer"}},
                },
                "max_deliveries": 3,
                "backoff": ["100ms", "300ms"],
                "ack_wait": "5s",
                "dead_letter_subject": "jobs_dead.all",
            },
        ),
        _node(
            "attempt",
            "sql/exec",
            {
                "connector": "shopdb",
                "statement": "INSERT INTO attempts (idempotency_key, delivery) VALUES (?, ?)",
                "params": ["input.idempotency_key", "input.delivery"],
            },
        ),
        _node(
            "maybe_fail",
            "sql/exec",
            {
                "connector": "shopdb",
                "statement": "SELECT 1 / (CASE WHEN ?::int > ?::int THEN 1 ELSE 0 END)",
                "params": ["nodes.job.out.delivery", "nodes.job.out.payload.fail_until"],
            },
        ),
    ],
    "connections": [
        {"from": "job.out", "to": "attempt.in"},
        {"from": "attempt.out", "to": "maybe_fail.in"},
    ],
}

TICKER_FLOW = {
    "nodeforge": "1",
    "id": "ticker",
    "name": "Every second",
    "nodes": [
        _node("tick", "trigger/schedule", {"cron": "@every 1s"}),
        _node(
            "record_tick",
            "sql/exec",
            {
                "connector": "shopdb",
                "statement": "INSERT INTO ticks (at, replica) VALUES (?, ?)",
                "params": ["input.time", "env.REPLICA"],
            },
        ),
    ],
    "connections": [{"from": "tick.out", "to": "record_tick.in"}],
}


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example queue worker with a PostgreSQL connector, a retrying queue flow and a
    schedule, built once."""
    ws = tmp_path_factory.mktemp("queue_app")
    (ws / "nodeforge.toml").write_text(
        '[project]\nname = "queue-worker"\n'
        '[connectors.events]\ntype = "nats"\n'
        '[connectors.shopdb]\ntype = "postgres"\n'
    )
    (ws / "order_events.flow.json").write_text((EXAMPLES / "order_events.flow.json").read_text())
    (ws / "retry_jobs.flow.json").write_text(json.dumps(RETRY_FLOW))
    (ws / "ticker.flow.json").write_text(json.dumps(TICKER_FLOW))
    result = built(ws)
    assert result.binary is not None
    main = (result.out_dir / "main.go").read_text()
    assert 'natsq.NewLeases(app, "events")' in main  # the one nats connector holds the leases
    return Path(result.binary)


@dataclass
class Cluster:
    nats: NatsServer
    dsn: str
    replicas: list[Replica]

    def count(self, sql: str) -> int:
        return int(psql(self.dsn, sql) or 0)


@pytest.fixture
def cluster(binary: Path, tmp_path: Path) -> Iterator[Cluster]:
    with nats_server(tmp_path / "jetstream") as nats, pg_database() as dsn:
        schema = tmp_path / "schema.sql"
        schema.write_text(SCHEMA)
        psql(dsn, SCHEMA)
        add_stream(nats.url, "CONFIRMED", ["orders.confirmed"])
        replicas = [
            Replica(
                f"r{i}",
                binary,
                {
                    "REPLICA": f"r{i}",
                    "NODEFORGE_CONNECTOR_EVENTS_URL": nats.url,
                    "NODEFORGE_CONNECTOR_SHOPDB_DSN": dsn,
                    "NODEFORGE_CONNECTOR_SHOPDB_SCHEMA": str(schema),
                    "NODEFORGE_HEALTH_INTERVAL": "200ms",
                    "NODEFORGE_LOG_LEVEL": "info",
                },
                tmp_path / f"r{i}.log",
            )
            for i in range(3)
        ]
        c = Cluster(nats, dsn, replicas)
        try:
            yield c
        finally:
            for r in replicas:
                if r.proc is not None and r.proc.poll() is None:
                    r.proc.kill()
                    r.proc.wait()


def _start(replicas: list[Replica]) -> None:
    for r in replicas:
        r.start()
    for r in replicas:
        wait_until(_ready(r), 30, f"{r.name} ready:\n{r.log_text()}")


def _ready(r: Replica) -> Callable[[], bool]:
    return lambda: r.ready()[0] == 200


def test_three_replicas_one_killed_mid_load_lose_nothing(cluster: Cluster) -> None:
    _start(cluster.replicas)
    n = 3000
    ids = [f"order-{i:05d}" for i in range(n)]
    publisher = threading.Thread(
        target=publish_orders, args=(cluster.nats.url, "orders.placed", ids), daemon=True
    )
    publisher.start()
    processed = "SELECT count(*) FROM processed_orders"
    wait_until(lambda: cluster.count(processed) >= n // 4, 120, "a quarter processed")
    victim = cluster.replicas[1]
    victim.kill()  # mid-load: what it held is never acknowledged
    at_kill = cluster.count(processed)
    publisher.join(120)
    assert not publisher.is_alive()
    wait_until(lambda: cluster.count(processed) == n, 180, f"all {n} processed")
    assert at_kill < n, "the kill came too late to be mid-load"
    assert cluster.count("SELECT count(DISTINCT order_id) FROM processed_orders") == n
    deliveries = cluster.count("SELECT count(*) FROM order_deliveries")
    keys = cluster.count("SELECT count(DISTINCT idempotency_key) FROM order_deliveries")
    assert keys == n and deliveries >= n
    # Every message was acknowledged: the work-queue stream is empty, nothing is dead.
    wait_until(lambda: stream_messages(cluster.nats.url, "ORDERS") == 0, 60, "ORDERS drained")
    # Redelivered messages published their confirmation again under the same
    # Nats-Msg-Id: the stream kept one per order.
    assert stream_messages(cluster.nats.url, "CONFIRMED") == n
    for r in (cluster.replicas[0], cluster.replicas[2]):
        assert r.stop() == 0
    print(f"\n{n} messages, {deliveries - n} duplicate deliveries absorbed, killed at {at_kill}")


def test_failures_are_redelivered_with_backoff_then_dead_lettered(cluster: Cluster) -> None:
    r = cluster.replicas[0]
    _start([r])
    url = cluster.nats.url

    def body(fail_until: int) -> bytes:
        return json.dumps({"fail_until": fail_until}).encode()

    publish_orders(url, "jobs.a", ["once"], payload=lambda _id: body(1))
    publish_orders(url, "jobs.a", ["always"], payload=lambda _id: body(99))
    publish_orders(url, "jobs.a", ["poison"], payload=lambda _id: b'{"fail_until": "x"}')
    publish_orders(url, "jobs.a", ["not-json"], payload=lambda _id: b"{nope")
    attempts = "SELECT string_agg(delivery::text, ',' ORDER BY delivery) FROM attempts WHERE idempotency_key = '{}'"
    wait_until(lambda: psql(cluster.dsn, attempts.format("once")) == "1,2", 30, "a retry")
    wait_until(lambda: stream_messages(url, "JOBS_DEAD") == 3, 30, "three dead letters")
    assert psql(cluster.dsn, attempts.format("always")) == "1,2,3"
    assert psql(cluster.dsn, attempts.format("poison")) == ""  # never ran
    dead = {h["Nats-Msg-Id"]: (h, data) for h, data in stream_payloads(url, "JOBS_DEAD")}
    assert sorted(dead) == ["always", "not-json", "poison"]
    always, _ = dead["always"]
    assert always["Nodeforge-Deliveries"] == "3"
    assert always["Nodeforge-Subject"] == "jobs.a"
    assert "division by zero" in always["Nodeforge-Error"]
    poison, data = dead["poison"]
    assert poison["Nodeforge-Deliveries"] == "1" and "payload" in poison["Nodeforge-Error"]
    assert "/fail_until" in poison["Nodeforge-Error"] and data == b'{"fail_until": "x"}'
    assert "not valid JSON" in dead["not-json"][0]["Nodeforge-Error"]
    wait_until(lambda: stream_messages(url, "JOBS") == 0, 30, "JOBS drained")
    assert r.stop() == 0


def _ticks(dsn: str) -> list[tuple[str, str]]:
    rows = psql(dsn, "SELECT at || '|' || replica FROM ticks ORDER BY at")
    return [tuple(line.split("|")) for line in rows.splitlines() if line]  # type: ignore[misc]


def test_a_schedule_fires_once_per_tick_across_replicas(cluster: Cluster) -> None:
    _start(cluster.replicas)
    wait_until(lambda: len(_ticks(cluster.dsn)) >= 6, 30, "six ticks")
    victim = next(r for r in cluster.replicas if r.name == _ticks(cluster.dsn)[-1][1])
    victim.kill()  # the replica that won the last tick
    killed_at = time.gmtime()
    killed = time.strftime("%Y-%m-%dT%H:%M:%SZ", killed_at)
    wait_until(
        lambda: sum(1 for at, _ in _ticks(cluster.dsn) if at > killed) >= 5, 30, "ticks after"
    )
    ticks = _ticks(cluster.dsn)
    times = [at for at, _ in ticks]
    assert len(times) == len(set(times)), f"a tick ran twice: {ticks}"
    after = [(at, who) for at, who in ticks if at > killed]
    assert after and all(who != victim.name for _, who in after)
    # The survivors take every tick after the death (one may be missing: the tick the
    # dead replica had claimed, if it died holding it).
    first, last = after[0][0], after[-1][0]
    span = time.mktime(time.strptime(last, "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(
        time.strptime(first, "%Y-%m-%dT%H:%M:%SZ")
    )
    assert len(after) >= span  # span + 1 ticks expected; at most one lost at the death


def _proxied(dsn: str, proxy: TcpProxy) -> str:
    parts = urlsplit(dsn)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def test_not_ready_without_nats_or_database_and_back_after(cluster: Cluster) -> None:
    target = urlsplit(cluster.dsn)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    r = cluster.replicas[0]
    r.env["NODEFORGE_CONNECTOR_SHOPDB_DSN"] = _proxied(cluster.dsn, proxy)
    _start([r])
    url = cluster.nats.url
    publish_orders(url, "orders.placed", ["before"])
    processed = "SELECT count(*) FROM processed_orders"
    wait_until(lambda: cluster.count(processed) == 1, 30, "one order")

    cluster.nats.stop()
    wait_until(lambda: r.ready()[0] == 503, 15, "not ready without NATS")
    _status, body = r.ready()
    assert body == {"status": "not ready", "failing": ["nats events"]}
    assert r.alive() == 200  # liveness: a restart would not bring NATS back
    cluster.nats.start()
    wait_until(lambda: r.ready()[0] == 200, 30, f"ready again:\n{r.log_text()}")
    publish_orders(url, "orders.placed", ["after-nats"])
    wait_until(lambda: cluster.count(processed) == 2, 30, "an order after the restart")

    proxy.cut()  # the replica's database connection partitioned away
    wait_until(lambda: r.ready()[0] == 503, 15, "not ready without its database")
    assert r.ready()[1] == {"status": "not ready", "failing": ["connector shopdb"]}
    publish_orders(url, "orders.placed", [f"during-{i}" for i in range(20)])
    time.sleep(1.5)  # the consumer is paused: the messages wait in the stream
    assert cluster.count(processed) == 2
    assert stream_messages(url, "ORDERS") == 20
    proxy.open()
    wait_until(lambda: r.ready()[0] == 200, 30, "ready with its database back")
    wait_until(lambda: cluster.count(processed) == 22, 60, "the waiting orders")
    wait_until(lambda: stream_messages(url, "ORDERS") == 0, 30, "ORDERS drained")
    assert "queue: paused while the app is not ready" in r.log_text()
    # SIGTERM: not ready at once (draining), then a clean exit.
    assert r.stop() == 0
    assert '"draining":true' in r.log_text()
