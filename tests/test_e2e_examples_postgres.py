"""The orders API example on PostgreSQL: the same flow file, a `postgres` connector, a real
server (scripts/services starts a private one and sets NODEFORGE_TEST_PG_DSN)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.test_build_support import EXAMPLES, built, free_port, needs_go, wait_http

DSN = os.environ.get("NODEFORGE_TEST_PG_DSN", "")

pytestmark = [
    needs_go,
    pytest.mark.skipif(not DSN, reason='no PostgreSQL (eval "$(./scripts/services)")'),
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
  id BIGSERIAL PRIMARY KEY,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty > 0),
  customer_email TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'new'
);
"""


def _psql(dsn: str, sql: str) -> str:
    proc = subprocess.run(
        ["psql", dsn, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = "nodeforge_test_" + secrets.token_hex(4)
    _psql(DSN, f"CREATE DATABASE {name}")
    parts = urlsplit(DSN)
    dsn = urlunsplit(parts._replace(path="/" + name))
    yield dsn
    _psql(DSN, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, database: str) -> Iterator[int]:
    ws = tmp_path_factory.mktemp("pg")
    (ws / "nodeforge.toml").write_text(
        '[project]\nname = "pg"\n[connectors.shopdb]\ntype = "postgres"\n'
        # Execution records in the app's own database: no SQLite in this app at all.
        '[records]\nconnector = "shopdb"\n'
    )
    (ws / "orders_api.flow.json").write_text((EXAMPLES / "orders_api.flow.json").read_text())
    schema = ws / "shopdb.sql"
    schema.write_text(SCHEMA)
    result = built(ws)
    assert result.binary is not None
    gen = (result.out_dir / "flow_orders_api.go").read_text()
    assert "VALUES ($1, $2, $3, 'new')" in gen  # `?` placeholders rebound for PostgreSQL
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NODEFORGE_")}
    env.update(
        NODEFORGE_ADDR=f"127.0.0.1:{port}",
        NODEFORGE_CONNECTOR_SHOPDB_DSN=database,
        NODEFORGE_CONNECTOR_SHOPDB_SCHEMA=str(schema),
    )
    log = (ws / "app.log").open("wb")
    proc = subprocess.Popen([str(result.binary)], env=env, stdout=log, stderr=log)
    try:
        wait_http(port)
    except TimeoutError:
        proc.kill()
        raise AssertionError((ws / "app.log").read_text()) from None
    yield port
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def _req(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_orders_api_on_postgres(app: int, database: str) -> None:
    status, body = _req(
        app, "POST", "/orders", {"sku": "P-1", "qty": 4, "customer_email": "p@example.com"}
    )
    assert (status, body) == (201, {"created": True, "sku": "P-1"})
    row = _psql(
        database, "SELECT id, sku, qty, customer_email, status FROM orders WHERE sku = 'P-1'"
    )
    order_id, sku, qty, email, state = row.split("|")
    assert (sku, qty, email, state) == ("P-1", "4", "p@example.com", "new")
    status, body = _req(app, "GET", f"/orders/{order_id}")
    assert (status, body) == (200, {"id": int(order_id), "sku": "P-1", "qty": 4, "status": "new"})
    status, body = _req(app, "GET", "/orders")
    assert status == 200 and body["count"] == 1
    status, _ = _req(app, "GET", "/orders/424242")
    assert status == 404


def test_postgres_errors_go_to_the_error_port(app: int, database: str) -> None:
    _psql(database, "ALTER TABLE orders RENAME TO orders_moved")
    try:
        status, body = _req(
            app, "POST", "/orders", {"sku": "P-2", "qty": 1, "customer_email": "q@example.com"}
        )
    finally:
        _psql(database, "ALTER TABLE orders_moved RENAME TO orders")
    assert (status, body) == (503, {"error": "could not store the order", "retryable": False})


def test_generated_module_imports_the_postgres_driver_only(app: int, tmp_path: Path) -> None:
    from tests.test_build_support import _TMP

    mains = list(_TMP.glob("*/gen/main.go"))
    pg = [m.read_text() for m in mains if "nf/postgres" in m.read_text()]
    assert pg and all("nf/sqlite" not in text for text in pg)
