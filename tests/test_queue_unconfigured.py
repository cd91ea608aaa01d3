"""An app whose workspace declares a ``nats`` connector, run without NATS: the examples
(``nodeforge run examples``, the quick start's editor) must work on a machine with no
NATS server. A nats connector the run time gives no setting is not a dependency of the
process: the app is ready, its queue triggers do not consume, its schedules run without
leases (every tick, in this one process), and this is said once in the log. A connector
that is configured but unreachable keeps the scale-out rules: not ready, ticks skipped.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.test_build_support import (
    EXAMPLES,
    built,
    built_examples,
    free_port,
    make_workspace,
    needs_go,
    wait_http,
)

pytestmark = needs_go


def _node(nid: str, kind: str, config: dict[str, object]) -> dict[str, object]:
    return {"id": nid, "type": kind, "version": "1.0.0", "config": config}


QUEUE_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "jobs",
    "nodes": [
        _node("job", "trigger/queue", {"connector": "events", "stream": "JOBS", "subject": "jobs.x"}),
        _node("log", "sql/exec", {
            "connector": "db", "statement": "INSERT INTO seen (k) VALUES (?)",
            "params": ["input.idempotency_key"],
        }),
    ],
    "connections": [{"from": "job.out", "to": "log.in"}],
}  # fmt: skip

TICKER_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "ticker",
    "nodes": [
        _node("tick", "trigger/schedule", {"cron": "@every 1s"}),
        _node("record", "sql/exec", {
            "connector": "db", "statement": "INSERT INTO ticks (at) VALUES (?)",
            "params": ["input.time"],
        }),
    ],
    "connections": [{"from": "tick.out", "to": "record.in"}],
}  # fmt: skip

SCHEMA = "CREATE TABLE IF NOT EXISTS ticks (at TEXT);\nCREATE TABLE IF NOT EXISTS seen (k TEXT);\n"


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = make_workspace(
        tmp_path_factory.mktemp("unconfigured") / "ws",
        QUEUE_FLOW,
        TICKER_FLOW,
        connectors='[connectors.events]\ntype = "nats"\n[connectors.db]\ntype = "sqlite"\n',
    )
    result = built(ws)
    assert result.binary is not None
    # The one nats connector holds the schedule leases (automatic), as in the examples.
    assert 'natsq.NewLeases(app, "events")' in (result.out_dir / "main.go").read_text()
    return Path(result.binary)


def _readyz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@contextmanager
def _running(binary: Path, tmp: Path, **settings: str) -> Iterator[tuple[int, Path]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NODEFORGE_", "OTEL_"))}
    env.update(NODEFORGE_ADDR=f"127.0.0.1:{port}", NODEFORGE_HEALTH_INTERVAL="200ms", **settings)
    log = tmp / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(binary)], env=env, stdout=out, stderr=out, cwd=tmp)
    try:
        wait_http(port)
        yield port, log
    finally:
        proc.terminate()
        try:
            assert proc.wait(15) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _wait_status(port: int, status: int, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        got, body = _readyz(port)
        if got == status:
            return body
        assert time.monotonic() < deadline, (got, body)
        time.sleep(0.1)


def _ticks(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM ticks").fetchone()[0])


def _sqlite(tmp: Path) -> dict[str, str]:
    (tmp / "schema.sql").write_text(SCHEMA)
    return {
        "NODEFORGE_CONNECTOR_DB_PATH": str(tmp / "app.db"),
        "NODEFORGE_CONNECTOR_DB_SCHEMA": str(tmp / "schema.sql"),
    }


def test_without_nats_settings_the_app_is_ready_and_schedules_run(
    binary: Path, tmp_path: Path
) -> None:
    with _running(binary, tmp_path, **_sqlite(tmp_path)) as (port, log):
        assert _wait_status(port, 200) == {"status": "ready"}
        deadline = time.monotonic() + 15
        while _ticks(tmp_path / "app.db") < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert _readyz(port)[0] == 200
    text = log.read_text()
    # Said once, with the variable to set; no error lines, no retry loop in the log.
    assert text.count("nats connector not configured") == 1, text
    assert "NODEFORGE_CONNECTOR_EVENTS_URL" in text
    assert '"level":"ERROR"' not in text and "no connection" not in text, text
    assert "schedule tick skipped" not in text, text


def test_configured_but_unreachable_nats_is_not_ready_and_skips_ticks(
    binary: Path, tmp_path: Path
) -> None:
    closed = f"nats://127.0.0.1:{free_port()}"
    settings = {**_sqlite(tmp_path), "NODEFORGE_CONNECTOR_EVENTS_URL": closed}
    with _running(binary, tmp_path, **settings) as (port, log):
        body = _wait_status(port, 503)
        assert body["failing"] == ["nats events"], body
        # Each tick is skipped once its lease cannot be claimed (a 5 s deadline).
        deadline = time.monotonic() + 15
        while "schedule tick skipped" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert _ticks(tmp_path / "app.db") == 0
    assert "nats connector not configured" not in log.read_text()


def test_the_examples_app_is_ready_without_nats(tmp_path: Path) -> None:
    """What `nodeforge run examples` and the quick start's editor start: the examples
    declare an `events` nats connector (order_events.flow.json) but nobody set it up."""
    result = built_examples()
    assert result.binary is not None
    assert 'natsq.NewLeases(app, "events")' in (result.out_dir / "main.go").read_text()
    settings = {
        "NODEFORGE_CONNECTOR_SHOPDB_PATH": str(tmp_path / "shop.db"),
        "NODEFORGE_CONNECTOR_SHOPDB_SCHEMA": str(EXAMPLES / "db" / "shopdb.sql"),
        "NODEFORGE_CONNECTOR_REPORTS_DB_PATH": str(tmp_path / "reports.db"),
        "NODEFORGE_CONNECTOR_REPORTS_DB_SCHEMA": str(EXAMPLES / "db" / "reports_db.sql"),
    }
    with _running(result.binary, tmp_path, **settings) as (port, log):
        assert _wait_status(port, 200) == {"status": "ready"}, log.read_text()
    assert "nats connector not configured" in log.read_text()
