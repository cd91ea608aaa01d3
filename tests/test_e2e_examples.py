"""End to end: the examples workspace compiled to one binary, started on a free port with a
real SQLite file, and driven with real HTTP requests. Upstream services (a CRM and billing
API, an OpenAI-compatible LLM, the WhatsApp Cloud API, an SMTP server) are small local
servers speaking those wire formats, so every example flow runs for real.
"""

from __future__ import annotations

import json
import os
import signal
import socketserver
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.test_build_support import EXAMPLES, built_examples, free_port, needs_go, wait_http

pytestmark = needs_go


# -- fake upstream services ------------------------------------------------------------


@dataclass
class Upstream:
    """CRM, billing, LLM and WhatsApp APIs on one local HTTP server."""

    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    # `together` upstream calls wait for each other: they only pass if made at once.
    together: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=5))
    overlapped: list[bool] = field(default_factory=list)
    # A "slowly" LLM call holds its answer until the test releases it.
    release: threading.Event = field(default_factory=threading.Event)
    llm_waiting: threading.Event = field(default_factory=threading.Event)
    llm_answered: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                upstream.requests.append(("GET", self.path, None))
                parts = self.path.strip("/").split("/")
                if parts[-1] == "slow" or parts[1:2] == ["slow"]:
                    time.sleep(1.0)
                if parts[1:2] == ["together"]:
                    try:
                        upstream.together.wait()
                        upstream.overlapped.append(True)
                    except threading.BrokenBarrierError:
                        upstream.overlapped.append(False)
                if parts[0] == "customers":
                    if parts[1] == "404":
                        self.reply(404, {"error": "no such customer"})
                        return
                    self.reply(200, {"name": "Ana", "email": "ANA@Example.COM", "tier": "gold"})
                elif parts[0] == "accounts":
                    self.reply(200, {"balance": -12.5, "currency": "EUR"})
                else:
                    self.reply(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                upstream.requests.append(("POST", self.path, body))
                if self.path.endswith("/chat/completions"):
                    if "slowly" in json.dumps(body):
                        upstream.llm_waiting.set()
                        upstream.release.wait(timeout=10)
                        upstream.llm_answered.set()
                    if body.get("response_format"):
                        text = body["messages"][-1]["content"]
                        label = "complaint" if "broken" in text else "question"
                        content = json.dumps({"label": label, "confidence": 0.9})
                    else:
                        content = "Your order ships tomorrow."
                    self.reply(
                        200,
                        {
                            "choices": [{"message": {"role": "assistant", "content": content}}],
                            "usage": {"prompt_tokens": 12, "completion_tokens": 5},
                        },
                    )
                elif self.path.endswith("/messages"):
                    self.reply(200, {"messages": [{"id": f"wamid.{len(upstream.requests)}"}]})
                else:
                    self.reply(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class SMTPSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP for net/smtp: EHLO, MAIL, RCPT, DATA, QUIT."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                msg: dict[str, Any] = {"rcpt": []}
                self.wfile.write(b"220 sink ESMTP\r\n")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode().strip()
                    upper = cmd.upper()
                    if upper.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
                    elif upper.startswith("MAIL FROM:"):
                        msg["from"] = cmd[10:].split()[0].strip("<>")
                        self.wfile.write(b"250 ok\r\n")
                    elif upper.startswith("RCPT TO:"):
                        msg["rcpt"].append(cmd[8:].split()[0].strip("<>"))
                        self.wfile.write(b"250 ok\r\n")
                    elif upper == "DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        data = []
                        while True:
                            dl = self.rfile.readline()
                            if dl in (b".\r\n", b""):
                                break
                            data.append(dl.decode())
                        msg["data"] = "".join(data)
                        sink.messages.append(msg)
                        msg = {"rcpt": []}
                        self.wfile.write(b"250 queued\r\n")
                    elif upper == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


# -- the app ---------------------------------------------------------------------------------


@dataclass
class App:
    proc: subprocess.Popen[bytes]
    port: int
    db: Path
    env: dict[str, str]
    upstream: Upstream
    smtp: SMTPSink
    log: Path

    def request(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, dict[str, str], Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                text = res.read()
                return res.status, dict(res.headers), json.loads(text) if text else None
        except urllib.error.HTTPError as err:
            text = err.read()
            return err.code, dict(err.headers), json.loads(text) if text else None

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return list(conn.execute(sql, args))


def _env(tmp: Path, upstream: Upstream, smtp: SMTPSink, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NODEFORGE_")}
    env.update(
        NODEFORGE_ADDR=f"127.0.0.1:{port}",
        NODEFORGE_LOG_LEVEL="debug",
        NODEFORGE_CONNECTOR_SHOPDB_PATH=str(tmp / "shop.db"),
        NODEFORGE_CONNECTOR_SHOPDB_SCHEMA=str(EXAMPLES / "db" / "shopdb.sql"),
        NODEFORGE_CONNECTOR_REPORTS_DB_PATH=str(tmp / "reports.db"),
        NODEFORGE_CONNECTOR_REPORTS_DB_SCHEMA=str(EXAMPLES / "db" / "reports_db.sql"),
        NODEFORGE_CONNECTOR_ASSISTANT_URL=upstream.url + "/v1",
        NODEFORGE_CONNECTOR_ASSISTANT_MODEL="test-model",
        NODEFORGE_CONNECTOR_SUPPORT_WHATSAPP_URL=upstream.url + "/v21.0",
        NODEFORGE_CONNECTOR_SUPPORT_WHATSAPP_PHONE_NUMBER_ID="1555",
        NODEFORGE_CONNECTOR_SUPPORT_WHATSAPP_TOKEN="secret-token",
        NODEFORGE_CONNECTOR_MAILER_HOST="127.0.0.1",
        NODEFORGE_CONNECTOR_MAILER_PORT=str(smtp.port),
        CRM_URL=upstream.url,
        BILLING_URL=upstream.url,
    )
    return env


def _start(binary: Path, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    proc = subprocess.Popen([str(binary)], env=env, stdout=out, stderr=out)
    try:
        wait_http(port)
    except TimeoutError:
        proc.kill()
        raise AssertionError(log.read_text()) from None
    return proc


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    result = built_examples()
    assert result.binary is not None
    tmp = tmp_path_factory.mktemp("e2e")
    upstream = Upstream()
    upstream.start()
    smtp = SMTPSink()
    port = free_port()
    env = _env(tmp, upstream, smtp, port)
    log = tmp / "app.log"
    proc = _start(result.binary, env, port, log)
    yield App(proc, port, tmp / "shop.db", env, upstream, smtp, log)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)
    assert upstream.server is not None
    upstream.server.shutdown()
    smtp.shutdown()


def _wait(cond: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


# -- orders API (SQLite) ------------------------------------------------------------------------


def test_healthz(app: App) -> None:
    status, _, body = app.request("GET", "/healthz")
    assert (status, body) == (200, {"status": "ok"})


def test_create_order_answers_201_and_stores_the_row(app: App) -> None:
    order = {"sku": "A-100", "qty": 3, "customer_email": "ana@example.com", "note": "gift"}
    status, headers, body = app.request("POST", "/orders", order)
    assert status == 201
    assert headers["Content-Type"] == "application/json"
    assert body == {"created": True, "sku": "A-100"}
    rows = app.rows("SELECT sku, qty, customer_email, status FROM orders WHERE sku = 'A-100'")
    assert rows == [("A-100", 3, "ana@example.com", "new")]


def test_invalid_body_is_400_with_located_errors_and_stores_nothing(app: App) -> None:
    before = app.rows("SELECT count(*) FROM orders")[0][0]
    status, headers, body = app.request(
        "POST", "/orders", {"qty": 0, "customer_email": "not-an-email", "extra": True}
    )
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    pointers = {e["pointer"]: e["message"] for e in body["errors"]}
    assert pointers == {
        "/sku": "required field is missing",
        "/qty": "must be >= 1",
        "/customer_email": "must be a valid email",
        "/extra": "unknown field",
    }
    assert len(body["execution_id"]) == 16
    assert app.rows("SELECT count(*) FROM orders")[0][0] == before


def test_malformed_json_is_400_with_line_and_column(app: App) -> None:
    status, _, body = app.request("POST", "/orders", raw=b'{\n  "sku": "A",\n  "qty": 2,,\n}')
    assert status == 400
    (problem,) = body["errors"]
    assert problem["line"] == 3 and problem["column"] >= 10


def test_wrong_type_is_400(app: App) -> None:
    status, _, body = app.request(
        "POST", "/orders", {"sku": 5, "qty": "2", "customer_email": "a@b.co"}
    )
    assert status == 400
    assert {e["pointer"] for e in body["errors"]} == {"/sku", "/qty"}


def test_get_list_and_one_order(app: App) -> None:
    app.request("POST", "/orders", {"sku": "B-7", "qty": 1, "customer_email": "b@example.com"})
    status, _, body = app.request("GET", "/orders")
    assert status == 200
    assert body["count"] == len(body["orders"]) >= 1
    newest = body["orders"][0]
    assert newest["sku"] == "B-7" and newest["status"] == "new"
    status, _, one = app.request("GET", f"/orders/{newest['id']}")
    assert status == 200
    assert one == {"id": newest["id"], "sku": "B-7", "qty": 1, "status": "new"}


def test_unknown_order_is_404(app: App) -> None:
    status, _, body = app.request("GET", "/orders/999999")
    assert (status, body) == (404, {"error": "order not found"})


def test_a_bad_path_parameter_is_the_clients_400_with_a_pointer(app: App) -> None:
    # orders_api types `id` (params_schema): a client's mistake, not the server's 500.
    status, headers, body = app.request("GET", "/orders/not-a-number")
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert body["title"] == "Invalid path parameters"
    assert body["errors"] == [{"pointer": "/id", "message": "expected integer, got string"}]
    assert len(body["execution_id"]) == 16
    status, _, body = app.request("GET", "/orders/0")
    assert (status, body["errors"]) == (400, [{"pointer": "/id", "message": "must be >= 1"}])


def test_database_failure_goes_to_the_error_port(app: App) -> None:
    app.rows("ALTER TABLE orders RENAME TO orders_moved")
    try:
        status, _, body = app.request(
            "POST", "/orders", {"sku": "C-1", "qty": 1, "customer_email": "c@example.com"}
        )
    finally:
        app.rows("ALTER TABLE orders_moved RENAME TO orders")
    assert status == 503
    assert body == {"error": "could not store the order", "retryable": False}


def test_logs_are_json_with_flow_node_and_execution_ids(app: App) -> None:
    app.request("POST", "/orders", {"sku": "L-1", "qty": 1, "customer_email": "l@example.com"})
    lines = [json.loads(x) for x in app.log.read_text().splitlines() if x.startswith("{")]
    starts = [x for x in lines if x.get("msg") == "node start" and x.get("node") == "insert_order"]
    assert starts
    assert {"flow", "node", "execution", "time", "level"} <= set(starts[-1])


# -- order intake (expressions, switch) -----------------------------------------------------------


def _intake(lines: list[dict[str, Any]], **customer: Any) -> dict[str, Any]:
    return {"customer": {"email": " Ana@Example.com ", "country": "es", **customer}, "lines": lines}


def test_order_intake_accepts_a_small_order(app: App) -> None:
    status, _, body = app.request(
        "POST", "/intake", _intake([{"sku": "A1", "qty": 2, "unit_price": 10.0}])
    )
    assert status == 201
    assert body["status"] == "accepted" and body["email"] == "ana@example.com"
    assert body["discount"] == 0.0
    assert body["total"] == pytest.approx(20 * 1.21)


def test_order_intake_vip_discount_and_review(app: App) -> None:
    status, _, body = app.request(
        "POST", "/intake", _intake([{"sku": "A1", "qty": 100, "unit_price": 60.0}], vip=True)
    )
    assert status == 202
    assert body == {"status": "review", "total": pytest.approx(6000 * 0.9 * 1.21)}


def test_order_intake_bulk_line_goes_to_review(app: App) -> None:
    """A list macro in the compiled app: `lines.exists(l, l.qty >= 100)` routes to review."""
    lines = [
        {"sku": "A1", "qty": 1, "unit_price": 10.0},
        {"sku": "B2", "qty": 150, "unit_price": 0.5},
    ]
    status, _, body = app.request("POST", "/intake", _intake(lines, country="us"))
    assert (status, body) == (202, {"status": "review", "total": pytest.approx(10.0)})


def test_order_intake_without_lines_is_422(app: App) -> None:
    status, _, body = app.request("POST", "/intake", _intake([], country="us"))
    assert (status, body) == (422, {"error": "an order needs at least one line"})


# -- API aggregator (HTTP requests, merge) -------------------------------------------------------


def test_api_aggregator_merges_two_upstream_answers(app: App) -> None:
    status, _, body = app.request("GET", "/customers/42/overview")
    assert status == 200
    assert body == {
        "id": "42",
        "name": "Ana",
        "email": "ana@example.com",
        "tier": "gold",
        "balance": -12.5,
        "currency": "EUR",
        "in_debt": True,
    }
    paths = [p for m, p, _ in app.upstream.requests if m == "GET"]
    assert "/customers/42" in paths and "/accounts/42/balance" in paths


def test_api_aggregator_calls_both_upstreams_at_once(app: App) -> None:
    # Each upstream holds its answer until the other call has arrived too.
    status, _, body = app.request("GET", "/customers/together/overview")
    assert status == 200 and body["id"] == "together"
    assert app.upstream.overlapped == [True, True]


def test_api_aggregator_upstream_error_is_502(app: App) -> None:
    status, _, body = app.request("GET", "/customers/404/overview")
    assert status == 502
    assert body["error"] == "upstream service failed"
    assert "404" in body["detail"]


# -- support bot (LLM, WhatsApp, SMTP) ----------------------------------------------------------


def test_support_bot_answers_a_question_on_whatsapp(app: App) -> None:
    status, _, body = app.request(
        "POST", "/webhooks/whatsapp", {"from": "34600111222", "text": "When does it ship?"}
    )
    assert (status, body) == (200, {"received": True})

    def sent() -> list[Any]:
        return [b for m, p, b in app.upstream.requests if p == "/v21.0/1555/messages"]

    _wait(lambda: any(b["to"] == "34600111222" for b in sent()))
    msg = next(b for b in sent() if b["to"] == "34600111222")
    assert msg["text"]["body"] == "Your order ships tomorrow."
    assert msg["messaging_product"] == "whatsapp"


def test_webhook_is_answered_before_the_slow_rest_of_the_flow(app: App) -> None:
    status, _, body = app.request(
        "POST", "/webhooks/whatsapp", {"from": "34600555444", "text": "answer slowly please"}
    )
    assert (status, body) == (200, {"received": True})
    # The ack came back before the LLM answered (it answers only when released).
    assert not app.upstream.llm_answered.is_set()
    _wait(app.upstream.llm_waiting.is_set)
    app.upstream.release.set()
    _wait(
        lambda: any(b and b.get("to") == "34600555444" for _, p, b in app.upstream.requests if b),
        timeout=10,
    )


def test_support_bot_escalates_a_complaint_by_email(app: App) -> None:
    status, _, _ = app.request(
        "POST", "/webhooks/whatsapp", {"from": "34600999888", "text": "It arrived broken"}
    )
    assert status == 200
    _wait(lambda: any("34600999888" in m["data"] for m in app.smtp.messages))
    mail = next(m for m in app.smtp.messages if "34600999888" in m["data"])
    assert mail["from"] == "bot@shop.example" and mail["rcpt"] == ["support@shop.example"]
    assert "Message: It arrived broken" in mail["data"]
    assert "Confidence: 0.9" in mail["data"]


# -- daily report (schedule trigger run by hand, SQLite, foreach, SMTP) ---------------------------


def test_daily_report_runs_by_hand(app: App) -> None:
    result = built_examples()
    assert result.binary is not None
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    reports = Path(app.env["NODEFORGE_CONNECTOR_REPORTS_DB_PATH"])
    with sqlite3.connect(reports) as conn:
        conn.executescript((EXAMPLES / "db" / "reports_db.sql").read_text())
        conn.executemany(
            "INSERT INTO sales (day, sku, qty, price) VALUES (?, ?, ?, ?)",
            [(yesterday, "A1", 2, 10.0), (yesterday, "B2", 1, 99.5), ("2000-01-01", "Z", 1, 1.0)],
        )
        conn.execute("INSERT OR REPLACE INTO stock (sku, units) VALUES ('A1', 7)")
    proc = subprocess.run(
        [str(result.binary), "run", "daily_report"],
        env=app.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "error" not in out, out
    mails = [m for m in app.smtp.messages if "Daily sales" in m["data"]]
    assert mails and "Daily sales: 2 products" in mails[-1]["data"]
    logs = [json.loads(x) for x in proc.stderr.splitlines() if x.startswith("{")]
    lines = [x["msg"] for x in logs if x.get("node") == "log_line"]
    want = ["B2: 1 units, 99.5 EUR, none in stock", "A1: 2 units, 20 EUR, 7 in stock"]
    assert lines == want
    # the loop collected its lines (flow/foreach 1.1.0 `collect`), in the list's order
    assert "\r\n".join(want) in mails[-1]["data"].replace("=\r\n", "")


# -- quote API (code/go, flow/subflow) -------------------------------------------------------------


def test_quote_api_prices_with_go_code_and_the_tax_subflow(app: App) -> None:
    lines = [
        {"sku": "TEA", "qty": 40, "unit_cents": 250},
        {"sku": "CUP", "qty": 10, "unit_cents": 900},
    ]
    status, _, body = app.request("POST", "/quotes", {"country": "DE", "lines": lines})
    assert status == 200, body
    # 50 units: 10% off 19,000; German VAT 19% on 17,100.
    assert body == {
        "units": 50,
        "subtotal_cents": 19000,
        "discount_cents": 1900,
        "tax_cents": 3249,
        "total_cents": 20349,
    }


def test_quote_api_errors_of_the_go_code_and_the_subflow_are_422(app: App) -> None:
    status, _, body = app.request(
        "POST", "/quotes", {"country": "US", "lines": [{"sku": "TEA", "qty": 1, "unit_cents": 1}]}
    )
    assert (status, body) == (422, {"error": "no tax rate for US"})
    status, _, body = app.request(
        "POST",
        "/quotes",
        {"country": "FR", "lines": [{"sku": "BULK", "qty": 20000, "unit_cents": 1}]},
    )
    assert (status, body) == (422, {"error": "line BULK: 20000 units is more than we quote"})
    # An invalid request is answered in the same format, by the flow (quote.invalid).
    status, _, body = app.request("POST", "/quotes", {"country": "FR", "lines": []})
    assert (status, body) == (422, {"error": "invalid quote: /lines must have at least 1 items"})
    # The called flow's execution is logged under its own id, naming its caller.
    logs = [json.loads(x) for x in app.log.read_text().splitlines() if x.startswith("{")]
    assert any(x.get("flow") == "tax_rate" and x.get("parent_node") == "tax" for x in logs)


# -- process behaviour ----------------------------------------------------------------------------


def test_sigterm_drains_in_flight_requests_and_exits_cleanly(tmp_path: Path) -> None:
    result = built_examples()
    assert result.binary is not None
    upstream = Upstream()
    upstream.start()
    smtp = SMTPSink()
    port = free_port()
    env = _env(tmp_path, upstream, smtp, port)
    log = tmp_path / "app.log"
    proc = _start(result.binary, env, port, log)
    app = App(proc, port, tmp_path / "shop.db", env, upstream, smtp, log)
    answers: list[tuple[int, Any]] = []
    slow = threading.Thread(
        target=lambda: answers.append(app.request("GET", "/customers/slow/overview")[::2])
    )
    slow.start()
    _wait(lambda: any(p == "/customers/slow" for _, p, _ in upstream.requests))
    proc.send_signal(signal.SIGTERM)  # while the request waits on the slow upstream
    slow.join(timeout=10)
    assert proc.wait(timeout=10) == 0
    assert answers and answers[0][0] == 200 and answers[0][1]["id"] == "slow"
    text = log.read_text()
    assert '"msg":"shutting down"' in text and '"msg":"stopped"' in text
    smtp.shutdown()
    assert upstream.server is not None
    upstream.server.shutdown()


def test_opentelemetry_spans_are_exported_over_otlp(tmp_path: Path) -> None:
    received: list[tuple[str, str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((self.path, self.headers.get("Content-Type", ""), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    result = built_examples()
    assert result.binary is not None
    upstream = Upstream()
    upstream.start()
    smtp = SMTPSink()
    port = free_port()
    env = _env(tmp_path, upstream, smtp, port)
    env.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_address[1]}",
        OTEL_SERVICE_NAME="shop",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    log = tmp_path / "app.log"
    proc = _start(result.binary, env, port, log)
    app = App(proc, port, tmp_path / "shop.db", env, upstream, smtp, log)
    status, _, _ = app.request(
        "POST", "/orders", {"sku": "T-1", "qty": 1, "customer_email": "t@example.com"}
    )
    assert status == 201
    _wait(lambda: any(b"insert_order" in body for _, _, body in received), timeout=10)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    collector.shutdown()
    smtp.shutdown()
    assert upstream.server is not None
    upstream.server.shutdown()
    path, ctype, _ = received[0]
    assert path == "/v1/traces" and ctype == "application/x-protobuf"
    spans = b"".join(body for _, _, body in received)
    for name in (b"orders_api create_order", b"insert_order", b"created", b"shop"):
        assert name in spans


def test_nodeforge_test_runs_the_flow_tests_against_the_binary() -> None:
    """Every example flow has flow tests (issue 12, item 27), and all of them pass
    against the compiled app."""
    import json

    from nodeforge.codegen.build import BuildResult
    from nodeforge.commands.test_flows import run_flow_tests

    written = {}
    for path in sorted(EXAMPLES.glob("*.flow.json")):
        flow = json.loads(path.read_text(encoding="utf-8"))
        written[flow["id"]] = [t["name"] for t in flow.get("tests", [])]
    assert all(written.values()), [f for f, names in written.items() if not names]
    result: BuildResult = built_examples()
    outcomes = run_flow_tests(result)
    ran: dict[str, list[str]] = {}
    for o in outcomes:
        ran.setdefault(o.flow, []).append(o.name)
    assert ran == written
    assert all(o.passed for o in outcomes), [(o.flow, o.name, o.message) for o in outcomes]
