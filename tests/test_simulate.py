"""The flow simulator: node semantics, fixtures, faithfulness, connection data, per-node
logs, breakpoints, the CLI, and speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.sandbox.nodetest import load_flow
from nodeforge.sandbox.simulate import Simulation, SimulationError, simulate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def node(
    nid: str, type_: str, config: dict[str, Any] | None = None, version: str = "1.0.0"
) -> dict[str, Any]:
    return {"id": nid, "type": type_, "version": version, "config": config or {}}


def flow(nodes: list[dict[str, Any]], connections: list[tuple[str, str]]) -> Analysis:
    doc = {
        "nodeforge": "1",
        "id": "sim_test",
        "name": "sim test",
        "nodes": nodes,
        "connections": [{"from": a, "to": b} for a, b in connections],
    }
    return analyze(json.dumps(doc), uri="file:///sim_test.flow.json")


def http(
    path: str = "/x", method: str = "POST", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    cfg: dict[str, Any] = {"method": method, "path": path}
    if schema is not None:
        cfg["body_schema"] = schema
    return node("req", "http/trigger", cfg)


def respond(nid: str, status: int, body: str | None = None) -> dict[str, Any]:
    cfg: dict[str, Any] = {"status": status}
    if body is not None:
        cfg["body"] = body
    return node(nid, "http/respond", cfg)


def test_if_routes_and_records_connections() -> None:
    a = flow(
        [
            http(),
            node("big", "flow/if", {"condition": "input.body.qty >= 100"}),
            respond("yes", 200, '{"bulk": true, "qty": input.body.qty}'),
            respond("no", 201),
        ],
        [("req.out", "big.in"), ("big.true", "yes.in"), ("big.false", "no.in")],
    )
    r = simulate(a, {"body": {"qty": 150}})
    assert r["status"] == "done" and r["faithful"]
    assert r["response"] == {"status": 200, "body": {"bulk": True, "qty": 150}}
    assert r["trace"] == ["req", "big", "yes"]
    conns = {c["from"] + "->" + c["to"]: c for c in r["connections"]}
    assert conns["big.true->yes.in"]["count"] == 1
    assert conns["big.false->no.in"]["count"] == 0
    assert conns["req.out->big.in"]["values"][0]["body"] == {"qty": 150}
    assert r["nodes"]["no"]["status"] == "not_run"
    # Without a body expression, respond answers its input.
    r = simulate(a, {"body": {"qty": 1}})
    assert r["response"]["status"] == 201
    assert r["response"]["body"]["body"] == {"qty": 1}


def test_switch_foreach_map_set_template_log() -> None:
    a = flow(
        [
            node("start", "trigger/manual"),
            node(
                "route",
                "flow/switch",
                {"cases": [{"when": "size(input.items) == 0"}, {"when": "size(input.items) > 0"}]},
            ),
            node("each", "flow/foreach", {"list": "input.items"}),
            node("double", "data/map", {"mapping": {"v": "input * 2"}}),
            node("note", "util/log", {"message": "item {{ input.v }}", "fields": {"v": "input.v"}}),
            node("tag", "data/set", {"values": {"seen": "true"}}),
            node("text", "data/template", {"template": "seen: {{ input.seen }}"}),
        ],
        [
            ("start.out", "route.in"),
            ("route.case2", "each.in"),
            ("each.item", "double.in"),
            ("double.out", "note.in"),
            ("each.done", "tag.in"),
            ("tag.out", "text.in"),
        ],
    )
    r = simulate(a, {"items": [1, 2, 3]})
    assert r["status"] == "done", r["error"]
    assert r["trace"] == [
        "start", "route", "each", "double", "note", "double", "note", "double", "note", "tag", "text",
    ]  # fmt: skip
    assert r["nodes"]["double"]["runs"] == 3
    assert [log["msg"] for log in r["nodes"]["note"]["logs"]] == ["item 2", "item 4", "item 6"]
    assert r["nodes"]["note"]["logs"][0]["v"] == 2
    # Typed like the Go code: the output type {seen: boolean} is a struct, so the open
    # input's fields are not copied (the checker reports reading them: NF018).
    assert r["nodes"]["tag"]["outputs"]["out"] == {"seen": True}
    assert r["nodes"]["text"]["outputs"]["out"] == {"text": "seen: true"}
    each_to_double = next(c for c in r["connections"] if c["from"] == "each.item")
    assert each_to_double["values"] == [1, 2, 3] and each_to_double["count"] == 3
    assert r["response"] == {"status": 204}


def test_merge_waits_for_both_inputs() -> None:
    a = flow(
        [
            node("start", "trigger/manual"),
            node("left", "data/map", {"mapping": {"side": '"left"'}}),
            node("right", "data/map", {"mapping": {"side": '"right"'}}),
            node("join", "flow/merge"),
            node("pair", "data/map", {"mapping": {"sides": "[input.a.side, input.b.side]"}}),
        ],
        [
            ("start.out", "left.in"),
            ("start.out", "right.in"),
            ("left.out", "join.a"),
            ("right.out", "join.b"),
            ("join.out", "pair.in"),
        ],
    )
    r = simulate(a, {})
    assert r["trace"] == ["start", "left", "join", "right", "join", "pair"]
    assert r["nodes"]["pair"]["outputs"]["out"] == {"sides": ["left", "right"]}
    assert r["nodes"]["join"]["runs"] == 2


def test_io_nodes_use_fixtures_or_say_they_are_not_faithful() -> None:
    a = flow(
        [
            http("/orders/{id}", "GET"),
            node(
                "fetch",
                "http/request",
                {
                    "method": "GET",
                    "url": "https://api.example.com/{{ input.params.id }}",
                    "response_schema": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string"},
                            "tier": {"type": "string", "enum": ["gold", "free"]},
                        },
                    },
                },
                version="1.1.0",
            ),
            respond("ok", 200, "input.body"),
            respond("bad", 502, '{"error": input.message}'),
        ],
        [("req.out", "fetch.in"), ("fetch.out", "ok.in"), ("fetch.error", "bad.in")],
    )
    r = simulate(a, {"params": {"id": "7"}})
    assert r["status"] == "done"
    assert not r["faithful"]
    assert r["unfaithful"][0]["node"] == "fetch"
    assert "calls an HTTP service" in r["unfaithful"][0]["reason"]
    assert r["response"]["body"] == {"name": "", "tier": "gold"}  # made from the schema
    pinned = {"status": 200, "headers": {}, "body": {"name": "Ada", "extra": 1}}
    r = simulate(a, {"params": {"id": "7"}}, fixtures={"fetch": pinned})
    assert r["faithful"] and r["nodes"]["fetch"]["status"] == "pinned"
    assert r["response"]["body"] == {"name": "Ada"}  # typed: unknown fields dropped
    failure = {"$error": {"message": "boom", "code": "http_503"}}
    r = simulate(a, {"params": {"id": "7"}}, fixtures={"fetch": failure})
    assert r["response"] == {"status": 502, "body": {"error": "boom"}}
    assert r["nodes"]["fetch"]["status"] == "error"


def test_unhandled_failure_and_expression_error_fail_the_execution() -> None:
    a = flow(
        [
            node("start", "trigger/manual"),
            node("q", "sql/query", {"connector": "db", "query": "SELECT 1"}),
            node("pick", "data/map", {"mapping": {"x": "input.nope.deeper"}}),
        ],
        [("start.out", "q.in"), ("q.out", "pick.in")],
    )
    r = simulate(a, {}, fixtures={"q": {"$error": {"message": "db down"}}})
    assert r["status"] == "failed" and r["error"] == "node q: db down"
    assert r["response"]["status"] == 500
    r = simulate(a, {}, fixtures={"q": {"rows": [], "count": 0}})
    assert r["status"] == "failed"
    assert "nope" in r["error"]
    assert r["nodes"]["pick"]["status"] == "error"


def test_http_trigger_rejects_bodies_that_do_not_match_the_schema() -> None:
    schema = {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}
    a = flow([http(schema=schema), respond("ok", 200)], [("req.out", "ok.in")])
    r = simulate(a, {"body": {"qty": 1}})
    assert r["response"]["status"] == 400
    assert r["trace"] == ["req"]
    r = simulate(a, {"body": {"sku": "A", "other": 1}})
    assert r["response"]["status"] == 200
    assert r["response"]["body"]["body"] == {"sku": "A"}


def test_validate_node() -> None:
    schema = {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}}
    a = flow(
        [node("start", "trigger/manual"), node("check", "data/validate", {"schema": schema})],
        [("start.out", "check.in")],
    )
    assert "valid" in simulate(a, {"email": "a@b"})["nodes"]["check"]["outputs"]
    out = simulate(a, {"name": "x"})["nodes"]["check"]["outputs"]["invalid"]
    assert out["input"] == {"name": "x"}
    assert out["errors"] == [{"path": "/email", "message": "required field is missing"}]


def test_env_and_now_are_given_to_expressions() -> None:
    a = flow(
        [
            node("start", "trigger/manual"),
            node("m", "data/map", {"mapping": {"u": "env.API_URL", "t": "now()"}}),
        ],
        [("start.out", "m.in")],
    )
    r = simulate(a, {}, env={"API_URL": "https://x"}, now="2026-01-02T03:04:05Z")
    assert r["nodes"]["m"]["outputs"]["out"] == {"u": "https://x", "t": "2026-01-02T03:04:05Z"}


def test_breakpoints_continue_and_step() -> None:
    a = flow(
        [
            node("start", "trigger/manual"),
            node("one", "data/map", {"mapping": {"n": "input.n + 1"}}),
            node("two", "data/map", {"mapping": {"n": "input.n * 10"}}),
            node("three", "data/map", {"mapping": {"n": "input.n - 1"}}),
        ],
        [("start.out", "one.in"), ("one.out", "two.in"), ("two.out", "three.in")],
    )
    sim = Simulation(a, input_value={"n": 1}, breakpoints=["two"])
    r = sim.resume()
    assert r["status"] == "paused"
    assert r["paused_at"] == {"node": "two", "port": "in", "value": {"n": 2}, "connection": 1}
    assert r["trace"] == ["start", "one"]
    assert r["nodes"]["two"]["runs"] == 0
    assert sim.connection_data(1)["values"] == [{"n": 2}]
    assert sim.connection_data("one.out->two.in")["count"] == 1
    r = sim.resume(step=True)  # run `two` only
    assert r["status"] == "paused" and r["paused_at"]["node"] == "three"
    assert r["nodes"]["two"]["outputs"]["out"] == {"n": 20}
    r = sim.resume()
    assert r["status"] == "done"
    assert r["nodes"]["three"]["outputs"]["out"] == {"n": 19}
    assert sim.resume()["status"] == "done"  # nothing left


def test_breakpoint_inside_a_loop_stops_every_time() -> None:
    a = flow(
        [
            node("start", "trigger/manual"),
            node("each", "flow/foreach", {"list": "input.items"}),
            node("body", "data/map", {"mapping": {"x": "input"}}),
        ],
        [("start.out", "each.in"), ("each.item", "body.in")],
    )
    sim = Simulation(a, input_value={"items": ["a", "b"]}, breakpoints=["body"])
    seen = []
    r = sim.resume()
    while r["status"] == "paused":
        seen.append(r["paused_at"]["value"])
        r = sim.resume()
    assert seen == ["a", "b"] and r["status"] == "done"


def test_request_errors() -> None:
    a = flow([node("start", "trigger/manual")], [])
    with pytest.raises(SimulationError):
        Simulation(a, trigger="nope")
    with pytest.raises(SimulationError):
        Simulation(a, fixtures={"ghost": 1})


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.flow.json")), ids=lambda p: p.stem)
def test_examples_simulate(path: Path) -> None:
    a = load_flow(path)
    for trigger in a.graph.triggers:
        r = simulate(a, {"body": {}}, trigger=trigger, env={})
        assert r["status"] in ("done", "failed")
        assert r["response"] is not None
        json.dumps(r)  # JSON all the way


def test_cli_simulate(tmp_path: Path) -> None:
    inp = tmp_path / "in.json"
    inp.write_text(json.dumps({"body": {"sku": "A1", "qty": 2, "customer_email": "a@b.co"}}))
    fixtures = tmp_path / "fx.json"
    fixtures.write_text(json.dumps({"insert_order": {"rows_affected": 1}}))
    cmd = [sys.executable, "-m", "nodeforge", "simulate", str(EXAMPLES / "orders_api.flow.json")]
    proc = subprocess.run(
        [*cmd, "--input", str(inp), "--fixtures", str(fixtures), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["response"] == {"status": 201, "body": {"created": True, "sku": "A1"}}
    assert out["faithful"]
    proc = subprocess.run([*cmd, "--input", str(inp)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "not faithful" in proc.stdout and "insert_order" in proc.stdout
    proc = subprocess.run([*cmd, "--trigger", "nope"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "not a trigger" in proc.stderr


def chain_flow(n: int) -> Analysis:
    nodes = [http()]
    conns = []
    prev = "req.out"
    for i in range(n - 2):
        kind = i % 4
        nid = f"n{i}"
        if kind == 0:
            nodes.append(node(nid, "data/set", {"values": {f"f{i}": f"size(input) + {i}"}}))
        elif kind == 1:
            nodes.append(node(nid, "flow/if", {"condition": "has(input.body) || true"}))
        elif kind == 2:
            nodes.append(node(nid, "data/template", {"template": "n={{ size(input) }}"}))
        else:
            nodes.append(node(nid, "data/map", {"mapping": {"body": "input", "k": "'x'"}}))
        conns.append((prev, f"{nid}.in"))
        prev = f"{nid}.true" if kind == 1 else f"{nid}.out"
    nodes.append(respond("done", 200))
    conns.append((prev, "done.in"))
    return flow(nodes, conns)


def test_a_100_node_flow_runs_every_node() -> None:
    """(Its speed is measured by bench/simulate_bench.py: the suite has no timing bounds.)"""
    a = chain_flow(100)
    assert len(a.document.nodes) == 100
    r = simulate(a, {"body": {"a": 1}})
    assert r["status"] == "done" and len(r["trace"]) == 100, r["error"]
    assert r["response"]["status"] == 200


def test_a_fork_simulates_like_its_base_until_edited_then_says_so(tmp_path: Path) -> None:
    def cli(*args: str) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "nodeforge", *args], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

    cli("init", str(tmp_path))
    cli("fork", "util/log@1.0.0", "--as", "acme/log", "-w", str(tmp_path))
    path = tmp_path / "flows" / "f.flow.json"
    path.write_text(
        json.dumps(
            {
                "nodeforge": "1",
                "id": "f",
                "name": "f",
                "nodes": [
                    node("start", "trigger/manual"),
                    node("note", "acme/log", {"message": "hello {{ input.who }}"}),
                ],
                "connections": [{"from": "start.out", "to": "note.in"}],
            }
        )
    )
    r = simulate(load_flow(path), {"who": "x"})
    assert r["status"] == "done"
    assert r["nodes"]["note"]["logs"][0]["msg"] == "hello x"
    assert r["faithful"]  # the kit copied whole: its simulation is its base's, unchanged
    go = tmp_path / "nodes" / "log" / "log.go"
    go.write_text(go.read_text() + "\n// edited\n")
    r = simulate(load_flow(path), {"who": "x"})
    assert r["nodes"]["note"]["logs"][0]["msg"] == "hello x"
    assert not r["faithful"]
    assert "fork of util/log" in r["unfaithful"][0]["reason"]
    # An edited simulation module is workspace code: it is not run.
    sim = tmp_path / "nodes" / "log" / "simulation.py"
    sim.write_text(sim.read_text() + "\n# edited\n")
    r = simulate(load_flow(path), {"who": "x"})
    assert r["nodes"]["note"]["status"] == "simulated"
    assert "may not run" in r["nodes"]["note"]["reason"]


@pytest.mark.parametrize(
    ("value", "schema", "problems"),
    [
        ({"a": 1}, {"type": "object", "required": ["b"]}, [("/b", "required field is missing")]),
        ("x", {"type": "integer"}, [("", "expected integer, got string")]),
        (2.0, {"type": "integer"}, []),
        (
            {"z": 1, "a": "no"},
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {"a": {"type": "integer"}},
            },
            [("/a", "expected integer, got string"), ("/z", "unknown field")],
        ),
        (
            1.5,
            {"minimum": 2, "exclusiveMaximum": 1.25},
            [("", "must be >= 2"), ("", "must be < 1.25")],
        ),
        ("b", {"enum": ["a", 1]}, [("", 'must be one of "a", 1')]),
        ([], {"minItems": 1}, [("", "must have at least 1 items")]),
        (
            "ab",
            {"minLength": 3, "pattern": "^z"},
            [("", "must be at least 3 characters long"), ("", 'must match the pattern "^z"')],
        ),
        ("a@b", {"format": "email"}, []),
        ("a@-b", {"format": "email"}, [("", "must be a valid email")]),
        ("2026-01-02T03:04:05Z", {"format": "date-time"}, []),
        ("2026-1-2", {"format": "date"}, [("", "must be a valid date")]),
        (None, {"type": "string", "nullable": True}, []),
    ],
)
def test_schema_checks_match_the_go_runtime(
    value: Any, schema: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    from nodeforge.sandbox.schemacheck import validate

    assert [(p["pointer"], p["message"]) for p in validate(value, schema)] == problems


def _write_flow(folder: Path, flow: dict[str, Any]) -> Path:
    path = folder / f"{flow['id']}.flow.json"
    path.write_text(json.dumps(flow))
    return path


def test_subflow_simulates_the_called_flow(tmp_path: Path) -> None:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n')

    def node(nid: str, ntype: str, config: dict[str, Any]) -> dict[str, Any]:
        return {"id": nid, "type": ntype, "version": "1.0.0", "config": config}

    callee = {
        "nodeforge": "1",
        "id": "callee",
        "nodes": [
            node("start", "trigger/manual", {}),
            node("fetch", "http/request", {"url": "http://127.0.0.1:9/x"}),
            node("big", "flow/if", {"condition": "nodes.start.out.n > 10"}),
            node("ok", "http/respond", {"body": '{"double": nodes.start.out.n * 2}'}),
            node("no", "http/respond", {"status": 409, "body": '{"error": "too big"}'}),
        ],
        "connections": [
            {"from": "start.out", "to": "fetch.in"},
            {"from": "fetch.out", "to": "big.in"},
            {"from": "big.false", "to": "ok.in"},
            {"from": "big.true", "to": "no.in"},
        ],
    }
    caller = {
        "nodeforge": "1",
        "id": "caller",
        "nodes": [
            node("go", "trigger/manual", {}),
            node("call", "flow/subflow", {"flow": "callee", "arguments": {"n": "input.n + 1"}}),
            node("answer", "http/respond", {"body": "input"}),
            node("failed", "http/respond", {"status": 502, "body": "input.code"}),
        ],
        "connections": [
            {"from": "go.out", "to": "call.in"},
            {"from": "call.out", "to": "answer.in"},
            {"from": "call.error", "to": "failed.in"},
        ],
    }
    _write_flow(tmp_path, callee)
    analysis = load_flow(_write_flow(tmp_path, caller))
    result = simulate(analysis, {"n": 4}, env={})
    assert result["response"] == {"status": 200, "body": {"double": 10}}
    # The called flow's unpinned http/request makes the subflow node not faithful.
    [item] = result["unfaithful"]
    assert item["node"] == "call" and "called flow `callee`, node fetch" in item["reason"]
    result = simulate(analysis, {"n": 20}, env={})
    assert result["response"] == {"status": 502, "body": "subflow_status"}
    # Pinned like any node: the called flow does not run. The pin is held as the
    # node's out type, the called flow's answer ({double}): other fields are dropped.
    pinned = {"double": 7, "pinned": True}
    result = simulate(analysis, {"n": 20}, env={}, fixtures={"call": pinned})
    assert result["response"]["body"] == {"double": 7} and result["faithful"]


def test_called_flow_gets_the_environment_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A called flow's custom code must never see the process environment."""
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n')
    start = {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}}
    callee = {
        "nodeforge": "1",
        "id": "callee",
        "nodes": [start],
        "connections": [],
    }
    call = {"id": "call", "type": "flow/subflow", "version": "1.0.0", "config": {"flow": "callee"}}
    caller = {
        "nodeforge": "1",
        "id": "caller",
        "nodes": [start, call],
        "connections": [{"from": "start.out", "to": "call.in"}],
    }
    _write_flow(tmp_path, callee)
    analysis = load_flow(_write_flow(tmp_path, caller))
    children: list[Simulation] = []
    real_init = Simulation.__init__

    def spy(self: Simulation, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        if self.depth:
            children.append(self)

    monkeypatch.setattr(Simulation, "__init__", spy)
    monkeypatch.setenv("NF_SECRET_FOR_TEST", "s3cret")
    simulate(analysis, {}, env=None)
    simulate(analysis, {}, env={"GIVEN": "1"})
    assert [c.code_env() for c in children] == [{}, {"GIVEN": "1"}]
