"""Execution records end to end (docs/runs.md): a built app driven to succeed, fail at a
node, fail in an expression (a panic), reject a body, run from the command line (manual
trigger); its records and node logs in SQLite and PostgreSQL; secrets planted in
connectors, env and sensitive fields never recorded; an overloaded writer drops and
counts without holding requests; replay and to-test; the run diagnostic in the editor;
trace ids against an OTLP/HTTP receiver and a real Jaeger; /metrics."""

from __future__ import annotations

import contextlib
import http.server
import itertools
import json
import os
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.diagnostics import Severity
from nodeforge.cli import main
from nodeforge.codegen.build import BuildResult, app_environment, build
from nodeforge.project.fsutil import ProjectError
from nodeforge.runs.editor import RUN_CODE, RUN_SOURCE, run_diagnostics, run_hover, run_lenses
from nodeforge.runs.replay import flow_test_of, replay_of
from nodeforge.runs.store import RecordStore, open_records
from nodeforge.sandbox.nodetest import load_flow

CONNECTOR_SECRET = "pl4nted-connector-s3cret"
ENV_SECRET = "pl4nted-env-t0ken"
CARD = "4111-1111-1111-1111"

PAY = {
    "nodeforge": "1",
    "id": "pay",
    "name": "Pay",
    "nodes": [
        {
            "id": "pay_in",
            "type": "http/trigger",
            "version": "1.0.0",
            "position": {"x": 0, "y": 0},
            "config": {
                "method": "POST",
                "path": "/pay",
                "body_schema": {
                    "type": "object",
                    "required": ["card", "amount"],
                    "properties": {
                        "card": {"type": "string", "x-sensitive": True},
                        "amount": {"type": "integer", "minimum": 1},
                    },
                },
            },
        },
        {
            "id": "big",
            "type": "flow/if",
            "version": "1.0.0",
            "position": {"x": 200, "y": 0},
            "config": {"condition": "input.body.amount > 100"},
        },
        {
            "id": "audit",
            "type": "sql/query",
            "version": "1.0.0",
            "position": {"x": 400, "y": -100},
            "config": {"connector": "paydb", "query": "SELECT id FROM missing_table"},
        },
        {
            "id": "store",
            "type": "sql/exec",
            "version": "1.0.0",
            "position": {"x": 400, "y": 100},
            "config": {
                "connector": "paydb",
                "statement": "INSERT INTO payments (card, amount) VALUES (?, ?)",
                "params": ["nodes.pay_in.out.body.card", "nodes.pay_in.out.body.amount"],
            },
        },
        {
            "id": "done",
            "type": "http/respond",
            "version": "1.0.0",
            "position": {"x": 600, "y": 100},
            "config": {
                "status": 201,
                "body": '{"stored": input.rows_affected, "per_unit": 70 / (nodes.pay_in.out.body.amount - 7), "ref": env.PAY_TOKEN}',
            },
        },
    ],
    "connections": [
        {"from": "pay_in.out", "to": "big.in"},
        {"from": "big.true", "to": "audit.in"},
        {"from": "big.false", "to": "store.in"},
        {"from": "store.out", "to": "done.in"},
    ],
}

TICK = {
    "nodeforge": "1",
    "id": "tick",
    "name": "Tick",
    "nodes": [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "position": {"x": 0, "y": 0},
            "config": {
                "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}}
            },
        },
        {
            "id": "double",
            "type": "data/set",
            "version": "1.0.0",
            "position": {"x": 200, "y": 0},
            "config": {"values": {"twice": "input.n * 2"}},
        },
    ],
    "connections": [{"from": "start.out", "to": "double.in"}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_workspace(root: Path, records: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "nodeforge.toml").write_text(
        '[project]\nname = "payapp"\n\n[connectors.paydb]\ntype = "sqlite"\n\n'
        '[connectors.mail]\ntype = "smtp"\n' + records,
        encoding="utf-8",
    )
    (root / "db").mkdir(exist_ok=True)
    (root / "db" / "paydb.sql").write_text(
        "CREATE TABLE IF NOT EXISTS payments (id INTEGER PRIMARY KEY, card TEXT, amount INTEGER);\n",
        encoding="utf-8",
    )
    (root / "pay.flow.json").write_text(json.dumps(PAY, indent=2), encoding="utf-8")
    (root / "tick.flow.json").write_text(json.dumps(TICK, indent=2), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    ws = make_workspace(tmp_path_factory.mktemp("runs") / "ws")
    result = build(ws)
    assert result.ok and result.binary is not None, (result.diagnostics, result.output)
    return result


class App:
    def __init__(self, built: BuildResult, data: Path, **extra: str) -> None:
        self.addr = f"127.0.0.1:{free_port()}"
        env = app_environment(built.root, None, data_dir=data)
        env.update(
            {
                "NODEFORGE_ADDR": self.addr,
                "NODEFORGE_RECORDS_PATH": str(data / "records.db"),
                "NODEFORGE_RECORDS_FLUSH": "20ms",
                "NODEFORGE_CONNECTOR_MAIL_PASSWORD": CONNECTOR_SECRET,
                "PAY_TOKEN": ENV_SECRET,
                **extra,
            }
        )
        self.env = env
        self.binary = built.binary
        self.proc = subprocess.Popen(
            [str(built.binary)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://{self.addr}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the app did not start")

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        req = urllib.request.Request(
            f"http://{self.addr}{path}", data=json.dumps(body).encode(), method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://{self.addr}{path}", timeout=30) as r:
            return str(r.read().decode())

    def stop(self) -> bytes:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        return out


@contextlib.contextmanager
def running(built: BuildResult, data: Path, **extra: str) -> Iterator[App]:
    data.mkdir(parents=True, exist_ok=True)
    app = App(built, data, **extra)
    try:
        yield app
    finally:
        app.stop()


def drive(app: App) -> dict[str, str]:
    """One execution of each kind; returns execution ids by kind."""
    ids: dict[str, str] = {}
    status, body = app.post("/pay", {"card": CARD, "amount": 3})
    assert status == 201, body
    assert body["ref"] == ENV_SECRET  # the client gets it; the record must not
    status, body = app.post("/pay", {"card": CARD, "amount": 500})
    assert status == 500
    ids["node_error"] = body["execution_id"]
    status, body = app.post("/pay", {"card": CARD, "amount": 7})
    assert status == 500
    ids["panic"] = body["execution_id"]
    status, body = app.post("/pay", {"card": CARD})
    assert status == 400
    ids["rejected"] = body["execution_id"]
    return ids


def wait_records(store_path: Path, n: int) -> None:
    for _ in range(300):
        if store_path.is_file():
            with (
                contextlib.closing(sqlite3.connect(store_path)) as c,
                contextlib.suppress(sqlite3.Error),
            ):
                got = c.execute(
                    "SELECT count(*) FROM nf_executions WHERE status != 'running'"
                ).fetchone()[0]
                if got >= n:
                    return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} records in {store_path}")


def check_records(store: RecordStore, ids: dict[str, str]) -> None:
    found = {e.id: e for e in store.list(flow="pay", limit=100)}
    ok = [e for e in found.values() if e.status == "completed"]
    assert len(ok) == 1
    e = store.get(ok[0].id)
    assert [n.node for n in e.nodes] == ["pay_in", "big", "store", "done"]
    assert e.trigger == "pay_in" and e.trigger_type == "http/trigger"
    assert e.trigger_info == {"via": "http"}
    assert e.output["status"] == 201 and e.output["body"]["ref"] == "[redacted]"
    assert e.input["body"] == {"card": "[redacted]", "amount": 3}
    store_log = e.nodes[2]
    assert (store_log.type, store_log.version, store_log.port) == ("sql/exec", "1.0.0", "out")
    assert store_log.output == {"rows_affected": 1}
    assert e.nodes[1].port == "false"
    failed = store.get(ids["node_error"])
    assert failed.status == "failed" and failed.error_node == "audit"
    assert "missing_table" in failed.error
    assert failed.nodes[-1].node == "audit" and failed.nodes[-1].level == "error"
    panic = store.get(ids["panic"])
    assert panic.status == "failed" and panic.error_node == "done"
    assert panic.error_code == "expression" and "zero" in panic.error
    rejected = store.get(ids["rejected"])
    assert rejected.status == "failed" and rejected.error_code == "validation"
    assert rejected.error_node == "pay_in"
    assert rejected.output["status"] == 400


def test_records_in_sqlite_every_kind(built: BuildResult, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running(built, data) as app:
        ids = drive(app)
        wait_records(data / "records.db", 4)
        metrics = app.get("/metrics")
    with RecordStore.sqlite(data / "records.db") as store:
        check_records(store, ids)
    assert 'nodeforge_executions_total{flow="pay",trigger="pay_in",status="failed"} 3' in metrics
    assert 'nodeforge_node_duration_seconds_bucket{flow="pay",node="store",le="' in metrics
    assert "nodeforge_records_dropped_total 0" in metrics
    # manual trigger, from the command line
    env = {**app.env}
    out = subprocess.run(
        [str(built.binary), "run", "tick", "--input", "-"],
        input=b'{"n": 21}',
        env=env,
        capture_output=True,
        check=True,
    )
    run_id = json.loads(out.stdout)["execution_id"]
    with RecordStore.sqlite(data / "records.db") as store:
        e = store.get(run_id)
    assert e.status == "completed" and e.trigger_type == "trigger/manual"
    assert e.trigger_info == {"via": "run"}
    assert e.nodes[-1].node == "double" and e.nodes[-1].output == {"n": 21, "twice": 42}
    # planted secrets appear nowhere in the store's bytes
    for f in data.glob("records.db*"):
        raw = f.read_bytes()
        for secret in (CONNECTOR_SECRET, ENV_SECRET, CARD):
            assert secret.encode() not in raw, (f, secret)


def test_runs_cli(built: BuildResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    with running(built, data) as app:
        ids = drive(app)
        wait_records(data / "records.db", 4)
    db = ["--db", str(data / "records.db")]
    assert main(["runs", "list", *db, "--status", "failed", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {e["id"] for e in listed} == set(ids.values())
    assert main(["runs", "show", ids["node_error"][:8], *db]) == 0
    text = capsys.readouterr().out
    assert "audit" in text and "ERROR" in text and "missing_table" in text
    assert main(["runs", "list", *db, "--flow", "nope"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["runs", "show", "ffffffff", *db]) == 1
    assert main(["runs", "list", *db, "--since", "yesterday"]) == 2
    assert "not a time" in capsys.readouterr().err
    assert main(["runs", "tail", *db, "--back", "600", "--count", "2", "--format", "json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["runs", "delete", *db, "--keep", "1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": 3}


def test_replay_and_to_test(
    built: BuildResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    with running(built, data) as app:
        status, _body = app.post("/pay", {"card": "1234", "amount": 3})
        assert status == 201
        ids = drive(app)
        wait_records(data / "records.db", 5)
    with RecordStore.sqlite(data / "records.db") as store:
        ok = store.list(flow="pay", status="completed")
        e = store.get(ok[-1].id)
        failed = store.get(ids["node_error"])
    analysis = load_flow(built.root / "pay.flow.json")
    r = replay_of(e, analysis)
    assert r.trigger == "pay_in" and set(r.fixtures) == {"store"}
    assert r.fixtures["store"] == {"rows_affected": 1}
    # the simulator reproduces the recorded answer from the record
    flow = str(built.root / "pay.flow.json")
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"PAY_TOKEN": "[redacted]"}))
    code = main(
        [
            "simulate",
            flow,
            "--replay",
            e.id,
            "--db",
            str(data / "records.db"),
            "--env",
            str(env_file),
            "--format",
            "json",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    assert result["response"] == e.output
    failed_replay = replay_of(failed, analysis)
    assert failed_replay.fixtures["audit"]["$error"]["code"]
    # the debugger's `replay` launch attribute: the same inputs, the same answer
    from nodeforge.server.dap.launch import LaunchError, parse_launch
    from nodeforge.server.dev_commands import new_simulation

    config = parse_launch(
        {
            "flow": "pay.flow.json",
            "cwd": str(built.root),
            "replay": e.id[:10],
            "records": str(data / "records.db"),
            "envFile": str(env_file),
        }
    )
    config.apply_replay(analysis)
    assert (config.trigger, config.input, config.fixtures) == (r.trigger, r.input, r.fixtures)
    assert not config.warnings
    dap_result = new_simulation(analysis, config.simulate_params()).run()
    assert dap_result["response"] == e.output
    config = parse_launch(
        {
            "flow": flow,
            "replay": e.id,
            "records": str(data / "records.db"),
            "fixtures": {"store": {"rows_affected": 7}},
        }
    )
    config.apply_replay(analysis)
    assert config.fixtures == {"store": {"rows_affected": 7}}  # given fixtures win
    with pytest.raises(LaunchError, match="`replay`: no execution `ffffffff`"):
        parse_launch(
            {"flow": flow, "replay": "ffffffff", "records": str(data / "records.db")}
        ).apply_replay(analysis)
    with pytest.raises(LaunchError, match="name where `replay` reads from"):
        parse_launch({"flow": flow, "records": str(data / "records.db")})
    test = flow_test_of(e, analysis)
    assert test["expect"] == {"status": 201, "body": e.output["body"]}
    assert (
        main(
            [
                "runs",
                "to-test",
                e.id,
                "--db",
                str(data / "records.db"),
                "--path",
                str(built.root),
                "--name",
                "replayed",
            ]
        )
        == 0
    )
    saved = json.loads((built.root / "pay.flow.json").read_text())
    assert saved["tests"][-1]["name"] == "replayed"
    assert saved["tests"][-1]["fixtures"] == {"store": {"rows_affected": 1}}
    other = RecordStore.sqlite(data / "records.db")
    with other, pytest.raises(ProjectError, match="not `tick`"):
        replay_of(e, load_flow_text(TICK, tmp_path))


BEAT = {
    "nodeforge": "1",
    "id": "beat",
    "name": "Beat",
    "nodes": [
        {
            "id": "every_second",
            "type": "trigger/schedule",
            "version": "1.0.0",
            "position": {"x": 0, "y": 0},
            "config": {"cron": "@every 1s"},
        },
        {
            "id": "left",
            "type": "data/set",
            "version": "1.0.0",
            "position": {"x": 200, "y": -100},
            "config": {"values": {"side": "'left'"}},
        },
        {
            "id": "right",
            "type": "data/set",
            "version": "1.0.0",
            "position": {"x": 200, "y": 100},
            "config": {"values": {"side": "'right'"}},
        },
        {
            "id": "both",
            "type": "flow/merge",
            "version": "1.0.0",
            "position": {"x": 400, "y": 0},
            "config": {},
        },
    ],
    "connections": [
        {"from": "every_second.out", "to": "left.in"},
        {"from": "every_second.out", "to": "right.in"},
        {"from": "left.out", "to": "both.a"},
        {"from": "right.out", "to": "both.b"},
    ],
}


def test_schedule_fired_by_cron_is_recorded_with_its_merge(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "nodeforge.toml").write_text('[project]\nname = "beatapp"\n', encoding="utf-8")
    (ws / "beat.flow.json").write_text(json.dumps(BEAT, indent=2), encoding="utf-8")
    result = build(ws)
    assert result.ok and result.binary is not None, (result.diagnostics, result.output)
    data = tmp_path / "data"
    with running(result, data):
        wait_records(data / "records.db", 2)  # the schedule fires on its own, every second
    with RecordStore.sqlite(data / "records.db") as store:
        runs = store.list(flow="beat")
        assert len(runs) >= 2
        assert {(e.trigger, e.trigger_type, e.status) for e in runs} == {
            ("every_second", "trigger/schedule", "completed")
        }
        assert all(e.trigger_info == {"via": "event"} for e in runs)
        starts = sorted(e.started_us for e in runs)
        assert all(b - a >= 500_000 for a, b in itertools.pairwise(starts))
        e = store.get(runs[0].id)
    assert e.input is not None and set(e.input) >= {"time", "local_time", "timezone"}
    by_node = {n.node: n for n in e.nodes}
    assert set(by_node) == {"every_second", "left", "right", "both"}
    merge = by_node["both"]
    assert merge.type == "flow/merge" and merge.port == "out" and merge.level == "info"
    assert merge.input == merge.output
    assert merge.output["a"]["side"] == "left" and merge.output["b"]["side"] == "right"
    assert merge.output["a"]["time"] == e.input["time"]


def load_flow_text(flow: dict[str, Any], tmp: Path) -> Any:
    path = tmp / "other.flow.json"
    path.write_text(json.dumps(flow))
    return load_flow(path)


def test_run_diagnostic_on_the_failing_node(built: BuildResult, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running(built, data) as app:
        ids = drive(app)
        wait_records(data / "records.db", 4)
    with RecordStore.sqlite(data / "records.db") as store:
        failed = store.get(ids["node_error"])
        recent = [store.get(x.id) for x in store.list(flow="pay")]
    analysis = load_flow(built.root / "pay.flow.json")
    doc = analysis.document
    (d,) = run_diagnostics(doc, failed)
    assert d.severity == Severity.INFO and d.code == RUN_CODE
    assert d.data["source"] == RUN_SOURCE
    audit = doc.node_by_id("audit")
    assert audit is not None
    node_span = doc.span_of(audit.path)
    assert node_span.start <= d.span.start < d.span.end <= node_span.end
    assert doc.text[d.span.start : d.span.end] == '"audit"'
    assert run_diagnostics(doc, None) == []
    hover = run_hover(doc, failed, d.span.start)
    assert hover is not None and "missing_table" in hover.markdown
    lenses = run_lenses(doc, recent, failed)
    titles = [lens.title for lens in lenses]
    assert titles[0].startswith("runs: 4 recent, 3 failed")
    assert any("failed" in t and "1 run" in t for t in titles)


def test_overload_drops_and_counts_without_blocking(built: BuildResult, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with running(built, data, NODEFORGE_RECORDS_QUEUE="2", NODEFORGE_RECORDS_BATCH="1") as app:
        app.post("/pay", {"card": CARD, "amount": 3})
        wait_records(data / "records.db", 1)
        # Hold the records file's write lock: the writer blocks in its busy handler, the
        # queue fills, and every further record is dropped.
        lock = sqlite3.connect(data / "records.db", timeout=1, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            n = 40
            for _ in range(n):
                status, _ = app.post("/pay", {"card": CARD, "amount": 3})
                assert status == 201  # answered while the writer cannot write
            metrics = app.get("/metrics")
        finally:
            lock.execute("ROLLBACK")
            lock.close()
    dropped = next(
        int(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("nodeforge_records_dropped_total")
    )
    assert dropped >= n - 4  # the queue (2) and the batch in the writer's hands


def test_records_in_postgres(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsn = os.environ.get("NODEFORGE_TEST_PG_DSN")
    if not dsn:
        pytest.skip("NODEFORGE_TEST_PG_DSN is not set")
    ws = make_workspace(
        tmp_path / "ws", '\n[connectors.ops]\ntype = "postgres"\n\n[records]\nconnector = "ops"\n'
    )
    import pg8000.dbapi

    from nodeforge.runs.store import _pg_kwargs

    # A database of its own, dropped at the end.
    name = f"nf_runs_test_{os.getpid()}"
    admin = pg8000.dbapi.connect(**_pg_kwargs(dsn))
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute(f"DROP DATABASE IF EXISTS {name}")
    cur.execute(f"CREATE DATABASE {name}")
    dsn = dsn.rsplit("/", 1)[0] + "/" + name
    try:
        _postgres_records(ws, dsn, tmp_path, capsys)
    finally:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _postgres_records(
    ws: Path, dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = build(ws)
    assert result.ok and result.binary is not None, result.diagnostics
    with running(result, tmp_path / "data", NODEFORGE_CONNECTOR_OPS_DSN=dsn) as app:
        ids = drive(app)
        with RecordStore.postgres_dsn(dsn, "test") as store:
            for _ in range(200):
                if len([e for e in store.list(flow="pay") if e.status != "running"]) >= 4:
                    break
                time.sleep(0.05)
            check_records(store, ids)
    os.environ["NODEFORGE_CONNECTOR_OPS_DSN"] = dsn
    try:
        assert (
            main(["runs", "list", "--path", str(ws), "--format", "json", "--status", "failed"]) == 0
        )
    finally:
        del os.environ["NODEFORGE_CONNECTOR_OPS_DSN"]
    assert {e["id"] for e in json.loads(capsys.readouterr().out)} == set(ids.values())
    assert not (tmp_path / "data" / "records.db").exists()  # not in the default file


# -- tracing against a real OTLP/HTTP receiver -----------------------------------------------


def _varint(b: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return n, i


def _fields(b: bytes) -> Iterator[tuple[int, Any]]:
    """Protobuf wire format: (field number, int or bytes)."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
            yield num, v
        elif wire == 1:
            yield num, b[i : i + 8]
            i += 8
        elif wire == 2:
            n, i = _varint(b, i)
            yield num, b[i : i + n]
            i += n
        elif wire == 5:
            yield num, b[i : i + 4]
            i += 4
        else:
            raise ValueError(f"wire type {wire}")


def decode_spans(payload: bytes) -> list[dict[str, Any]]:
    """ExportTraceServiceRequest -> [{trace_id, name, attrs}] (opentelemetry-proto)."""
    spans = []
    for n1, rs in _fields(payload):  # resource_spans = 1
        if n1 != 1:
            continue
        for n2, ss in _fields(rs):  # scope_spans = 2
            if n2 != 2:
                continue
            for n3, sp in _fields(ss):  # spans = 2
                if n3 != 2:
                    continue
                span: dict[str, Any] = {"attrs": {}}
                for num, v in _fields(sp):
                    if num == 1:
                        span["trace_id"] = v.hex()
                    elif num == 5:
                        span["name"] = v.decode()
                    elif num == 9:  # attributes: KeyValue{key=1, value=2 AnyValue{string=1}}
                        kv = dict(_fields(v))
                        val = dict(_fields(kv.get(2, b"")))
                        if 1 in val:
                            span["attrs"][kv[1].decode()] = val[1].decode()
                spans.append(span)
    return spans


def test_trace_ids_through_otlp(built: BuildResult, tmp_path: Path) -> None:
    received: list[bytes] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/v1/traces":
                assert self.headers.get("Content-Type") == "application/x-protobuf"
                received.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = tmp_path / "data"
    try:
        with running(
            built,
            data,
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{server.server_address[1]}",
            OTEL_BSP_SCHEDULE_DELAY="50",
        ) as app:
            ids = drive(app)
            wait_records(data / "records.db", 4)
        # stopping the app flushed the last spans
    finally:
        server.shutdown()
    spans = [s for p in received for s in decode_spans(p)]
    by_exec = {
        s["attrs"]["nodeforge.execution"]: s
        for s in spans
        if s["name"] == "pay pay_in" and "nodeforge.execution" in s["attrs"]
    }
    with RecordStore.sqlite(data / "records.db") as store:
        for kind in ("node_error", "panic"):
            e = store.get(ids[kind])
            assert e.trace_id and by_exec[e.id]["trace_id"] == e.trace_id
    node_spans = [s for s in spans if s["name"] == "audit"]
    assert node_spans and node_spans[0]["attrs"]["nodeforge.execution"] == ids["node_error"]


def jaeger_binary() -> str:
    """Jaeger, which scripts/setup builds from its Go module (JAEGER_BIN overrides)."""
    gopath = subprocess.run(
        ["go", "env", "GOPATH"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return os.environ.get("JAEGER_BIN") or str(Path(gopath) / "bin" / "jaeger")


def http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@contextlib.contextmanager
def jaeger(tmp_path: Path) -> Iterator[str]:
    """A real Jaeger (v2: the OpenTelemetry Collector with Jaeger's storage and query), in
    memory, with its default ports: OTLP/HTTP on 4318, the query API on 16686."""
    exe = jaeger_binary()
    assert Path(exe).is_file(), f"{exe} is missing: run ./scripts/setup (it builds Jaeger)"
    for port in (4317, 4318, 16686, 13133):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} is taken"
    log = (tmp_path / "jaeger.log").open("wb")
    proc = subprocess.Popen([exe], stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError, ValueError):
                http_json("http://127.0.0.1:16686/api/services")
                break
            assert proc.poll() is None, (tmp_path / "jaeger.log").read_text()[-2000:]
            time.sleep(0.1)
        yield "http://127.0.0.1:4318"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_traces_reach_jaeger_and_link_to_their_records(built: BuildResult, tmp_path: Path) -> None:
    """docs/runs.md's Jaeger setup, for real: the app exports over OTLP/HTTP to Jaeger,
    and the trace id of each record finds its trace there, with the execution id on it."""
    data = tmp_path / "data"
    with jaeger(tmp_path) as endpoint:
        with running(
            built, data, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_BSP_SCHEDULE_DELAY="50"
        ) as app:
            ids = drive(app)
            wait_records(data / "records.db", 4)
        # stopping the app flushed the last spans
        with RecordStore.sqlite(data / "records.db") as store:
            failed = store.get(ids["node_error"])
        assert failed.trace_id
        trace: dict[str, Any] = {}
        for _ in range(100):
            with contextlib.suppress(urllib.error.HTTPError):
                found = http_json(f"http://127.0.0.1:16686/api/traces/{failed.trace_id}")
                if found.get("data"):
                    trace = found["data"][0]
                    break
            time.sleep(0.1)
        assert trace, f"trace {failed.trace_id} not in Jaeger"
        services = http_json("http://127.0.0.1:16686/api/services")["data"]
    spans = {
        span["operationName"]: {t["key"]: t["value"] for t in span["tags"]}
        for span in trace["spans"]
    }
    assert spans["pay pay_in"]["nodeforge.execution"] == failed.id, spans
    assert spans["audit"]["nodeforge.execution"] == failed.id, spans
    assert any("ws" in name or "pay" in name for name in services), services


def test_open_records_errors(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with pytest.raises(ProjectError, match="no execution records"):
        open_records(ws)
    ws2 = make_workspace(tmp_path / "ws2", '\n[records]\nconnector = "mail"\n')
    with pytest.raises(ProjectError, match="smtp connector"):
        open_records(ws2)


def test_reads_a_version_1_store(tmp_path: Path) -> None:
    """Stores written before schema version 2 kept node logs in nf_node_logs: they are
    read there (also once a newer app has added the `nodes` column), and deleted with
    their executions."""
    path = tmp_path / "records.db"
    with contextlib.closing(sqlite3.connect(path)) as c:
        c.executescript(
            """
            CREATE TABLE nf_executions (id TEXT PRIMARY KEY, app TEXT, flow TEXT,
              flow_version TEXT, trigger_node TEXT, trigger_type TEXT, trigger_info TEXT,
              status TEXT, started_us BIGINT, ended_us BIGINT, duration_us BIGINT,
              input TEXT, output TEXT, error TEXT, error_node TEXT, error_code TEXT,
              trace_id TEXT, parent_id TEXT, parent_node TEXT);
            CREATE TABLE nf_node_logs (execution_id TEXT, seq INTEGER, node TEXT,
              node_type TEXT, node_version TEXT, started_us BIGINT, duration_us BIGINT,
              level TEXT, message TEXT, port TEXT, input TEXT, output TEXT);
            INSERT INTO nf_executions VALUES ('aaaa1111', 'a', 'tick', '', 'start',
              'trigger/manual', '{"via":"run"}', 'completed', 1000000, 1000500, 500,
              '{"n":1}', 'null', '', '', '', '', '', '');
            INSERT INTO nf_node_logs VALUES ('aaaa1111', 0, 'start', 'trigger/manual',
              '1.0.0', 1000000, 0, 'info', '', 'out', 'null', '{"n":1}');
            INSERT INTO nf_node_logs VALUES ('aaaa1111', 1, 'double', 'data/set', '1.0.0',
              1000100, 5, 'info', '', 'out', '{"n":1}', '{"n":1,"twice":2}');
            """
        )
    with RecordStore.sqlite(path) as store:
        e = store.get("aaaa")
    assert [(n.node, n.output) for n in e.nodes] == [
        ("start", {"n": 1}),
        ("double", {"n": 1, "twice": 2}),
    ]
    # A newer app added the column (empty for the old rows): still read from the table.
    with contextlib.closing(sqlite3.connect(path)) as c:
        c.execute("ALTER TABLE nf_executions ADD COLUMN nodes TEXT NOT NULL DEFAULT '[]'")
        c.commit()
    with RecordStore.sqlite(path, writable=True) as store:
        assert [n.node for n in store.get("aaaa1111").nodes] == ["start", "double"]
        assert store.delete(keep=0) == 1
    with contextlib.closing(sqlite3.connect(path)) as c:
        assert c.execute("SELECT count(*) FROM nf_node_logs").fetchone() == (0,)
