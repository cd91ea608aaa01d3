"""Random valid flows: the simulator and the compiled app agree (issue 12, item 26).

The bounded run of ``bench/differential.py``: a few batches of generated flows (each batch
ONE built app with a route per flow, a helper flow for ``flow/subflow``, a SQLite
connector and a local upstream for ``http/request``), every flow sent valid and broken
requests; status, body, failure, failing node and every node's outputs (from the app's
execution records) must be the simulator's. The long run is
``python3 -m bench.differential --flows 2000`` (figures in docs/benchmarks.md).

The differences the generator found are pinned below as minimal reproducers, each named
by the seed that found it (all fixed; an open one would be a strict xfail naming what
owns it).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bench import differential as diff
from bench.differential_gen import FEATURES, Options, generate, helper_flow
from nodeforge.analysis.diagnostics import Severity
from nodeforge.sandbox.nodetest import load_flow
from nodeforge.sandbox.simulate import simulate
from tests.test_build_support import built, make_workspace, run_app

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")

# The bounded run in CI: 2 batches of 20 flows x 5 requests; code/go (compiled in the
# sandbox, the slow part of a build) in the first batch only.
CI_SEEDS = (list(range(0, 20)), list(range(20, 40)))
CI_FEATURES = (frozenset(FEATURES), frozenset(FEATURES) - {"code"})
CI_INPUTS = 5


@pytest.fixture(scope="module")
def upstream() -> Any:
    up = diff.Upstream()
    yield up
    up.close()


@pytest.mark.parametrize("batch", range(len(CI_SEEDS)))
def test_generated_flows_agree(batch: int, upstream: diff.Upstream, tmp_path: Path) -> None:
    from nodeforge.sandbox.runner import unavailable_reason

    features = CI_FEATURES[batch]
    if unavailable_reason() is not None:  # code/go compiles only in the sandbox (CI has it)
        features = features - {"code"}
    report = diff.run_batch(CI_SEEDS[batch], CI_INPUTS, tmp_path / "ws", upstream, features)
    summary = report.summary()
    # The generator aims at valid flows: most check clean, and every request is compared.
    assert report.flows >= len(CI_SEEDS[batch]) * 3 // 4, summary
    assert report.requests == CI_INPUTS * report.flows, summary
    assert report.compared_nodes > report.requests, summary
    # Every difference is a bug: none is set aside (an open one gets a strict xfail
    # reproducer below and a way to name it here, as the earlier ones had).
    assert not report.differences, "\n".join(map(str, report.differences[:15]))


def test_the_generator_is_deterministic_and_varied() -> None:
    opts = Options("http://127.0.0.1:1", "helper_0")
    a, b = generate(7, opts, 5), generate(7, opts, 5)
    assert json.dumps(a.flow) == json.dumps(b.flow)
    assert [r.text for r in a.requests] == [r.text for r in b.requests]
    types = {n["type"] for s in range(60) for n in generate(s, opts, 1).flow["nodes"]}
    for t in ("data/set", "data/map", "data/template", "data/validate", "util/log", "flow/if",
              "flow/switch", "flow/foreach", "flow/merge", "flow/subflow", "sql/query",
              "sql/exec", "http/request", "code/go", "http/respond"):  # fmt: skip
        assert t in types, t
    kinds = {r.valid for s in range(30) for r in generate(s, opts, 5).requests}
    assert kinds == {True, False}
    # the list macros, now that the checker accepts them (`supported()` probes it)
    text = " ".join(json.dumps(generate(s, opts, 1).flow) for s in range(60))
    for macro in (".map(", ".filter(", ".exists(", ".all(", ".exists_one("):
        assert macro in text, macro


def test_generated_flows_mostly_check_clean(tmp_path: Path) -> None:
    opts = Options("http://127.0.0.1:1", "helper_0")
    flows = [generate(s, opts, 0).flow for s in range(100, 140)]
    ws = tmp_path / "ws"
    diff.workspace(ws, [helper_flow("helper_0"), *flows])
    clean = 0
    for f in flows:
        a = load_flow(ws / f"{f['id']}.flow.json")
        clean += not any(d.severity == Severity.ERROR for d in a.diagnostics)
    assert clean >= 30, clean  # the rest are counted by the runner (rejected_codes)


def test_compare_reports_each_kind_of_difference() -> None:
    """The comparison itself: equal answers give nothing; a changed status, body, node
    output or failing node is reported (a comparison that cannot fail proves nothing)."""

    class Log:
        def __init__(self, node: str, port: str, output: Any, type_: str = "data/map") -> None:
            self.node, self.port, self.output, self.type = node, port, output, type_

    class Exec:
        status, error_code, error, error_node = "completed", "", "", ""
        nodes = [Log("t", "out", {"n": 1}), Log("m", "out", {"v": 2})]

    sim: dict[str, Any] = {
        "status": "done",
        "error": None,
        "trace": ["t", "m", "r"],
        "response": {"status": 200, "body": {"v": 2.0, "execution_id": "abc"}},
        "nodes": {
            "t": {"type": "http/trigger", "runs": 1, "status": "ok", "outputs": {"out": {"n": 1}}},
            "m": {"type": "data/map", "runs": 1, "status": "ok", "outputs": {"out": {"v": 2}}},
            "r": {"type": "http/respond", "runs": 1, "status": "ok", "outputs": {}},
        },
    }
    g: Any = None
    assert diff.compare(g, "{}", (200, {"v": 2}, {}), Exec(), sim, {"r"}) == ([], 2)
    kinds = [k for k, _ in diff.compare(g, "{}", (201, {"v": 2}, {}), Exec(), sim, {"r"})[0]]
    assert kinds == ["status"]
    kinds = [k for k, _ in diff.compare(g, "{}", (200, {"v": 3}, {}), Exec(), sim, {"r"})[0]]
    assert kinds == ["body"]
    sim["response"]["headers"] = {"X-Gen": "a"}
    kinds = [
        k for k, _ in diff.compare(g, "{}", (200, {"v": 2}, {"x-gen": "b"}), Exec(), sim, {"r"})[0]
    ]
    assert kinds == ["header"]
    assert diff.compare(g, "{}", (200, {"v": 2}, {"x-gen": "a"}), Exec(), sim, {"r"}) == ([], 2)
    del sim["response"]["headers"]
    Exec.nodes = [Log("t", "out", {"n": 1}), Log("m", "out", {"v": 5})]
    kinds = [k for k, _ in diff.compare(g, "{}", (200, {"v": 2}, {}), Exec(), sim, {"r"})[0]]
    assert kinds == ["node_output"]
    Exec.nodes = [Log("t", "out", {"n": 1}), Log("m", "out", {"v": 2}),
                  Log("q", "error", {"code": "scan", "message": "row 1"}, "sql/query")]  # fmt: skip
    kinds = [k for k, _ in diff.compare(g, "{}", (200, {"v": 2}, {}), Exec(), sim, {"r"})[0]]
    assert kinds == ["io_scan"]  # the generator's row schemas fit its table
    Exec.status, Exec.error_code, Exec.error_node = "failed", "expression", "m"
    kinds = [k for k, _ in diff.compare(g, "{}", (200, {"v": 2}, {}), Exec(), sim, {"r"})[0]]
    assert kinds[0] == "failed"


# -- reproducers of the differences found -------------------------------------------------

OPTIONAL_LIST_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "optional_list",
    "nodes": [
        {
            "id": "hook",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {
                "method": "POST",
                "path": "/optional-list",
                "body_schema": {
                    "type": "object",
                    "required": ["n"],
                    "properties": {
                        "n": {"type": "integer"},
                        "nums": {"type": "array", "items": {"type": "integer"}},
                        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            },
        },
        {
            "id": "reply",
            "type": "http/respond",
            "version": "1.0.0",
            "config": {"body": '{"body": input.body, "has": has(input.body.nums)}'},
        },
    ],
    "connections": [{"from": "hook.out", "to": "reply.in"}],
}


def test_an_empty_optional_list_is_present(tmp_path: Path) -> None:
    """Found by the generator (seed 0): `"nums": []` sent in an optional list field was
    dropped when the app encoded the body (`len(v.Nums) > 0`), while `has()` said it was
    there and the simulator echoed it."""
    ws = make_workspace(tmp_path / "optional_list", OPTIONAL_LIST_FLOW)
    result = built(ws)
    assert result.binary is not None
    analysis = load_flow(ws / "optional_list.flow.json")
    for body in ({"n": 1, "nums": [], "tags": {}}, {"n": 1}, {"n": 2, "nums": [3]}):
        got, _ = run_app(result.binary, "optional_list", "hook", {"body": body})
        sim = simulate(analysis, {"method": "POST", "body": body}, env={})
        assert got["body"] == sim["response"]["body"] == {"body": body, "has": "nums" in body}


SQL_PARAM_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "sql_param",
    "nodes": [
        {
            "id": "hook",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {
                "method": "POST",
                "path": "/sql-param",
                "body_schema": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}},
                },
            },
        },
        {
            "id": "insert",
            "type": "sql/exec",
            "version": "1.0.0",
            "config": {
                "connector": "db",
                "statement": "INSERT INTO items (name, qty) VALUES ($1, $2)",
                "params": ["input.body.name", "int(input.body.name)"],
            },
        },
        {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 201}},
    ],
    "connections": [
        {"from": "hook.out", "to": "insert.in"},
        {"from": "insert.out", "to": "reply.in"},
    ],
}


def test_a_failing_sql_param_fails_the_simulation_too(tmp_path: Path) -> None:
    """Found by the generator (seed 33): the simulator did not evaluate the SQL params of
    the sql/exec it mocked, so `int("POST")` simulated clean while the app failed with an
    expression error (issue 12 item 19, fixed in e3f8b77)."""
    ws = tmp_path / "sql_param"
    diff.workspace(ws, [SQL_PARAM_FLOW])
    result = built(ws)
    assert result.binary is not None
    env = {"NODEFORGE_CONNECTOR_DB_PATH": str(tmp_path / "db.sqlite"),
           "NODEFORGE_CONNECTOR_DB_SCHEMA": str(ws / "db" / "db.sql")}  # fmt: skip
    got, _ = run_app(result.binary, "sql_param", "hook", {"body": {"name": "ana"}}, env)
    assert got["status"] == 500 and "integer" in str(got["error"])
    sim = simulate(load_flow(ws / "sql_param.flow.json"), {"body": {"name": "ana"}}, env={})
    assert sim["status"] == "failed"
    assert sim["response"]["status"] == 500
    assert sim["nodes"]["insert"]["status"] == "error"


def test_replay_does_not_pin_a_node_that_failed_on_its_config(tmp_path: Path) -> None:
    """Found by the generator (seed 33): the app's record of an I/O node that failed on
    an expression of its config has no output; the replay pinned that missing output as
    `null`, so the simulation went on past the failed node as if it had succeeded."""
    from nodeforge.runs.replay import replay_of
    from nodeforge.runs.store import RecordStore

    ws = tmp_path / "sql_param"
    diff.workspace(ws, [SQL_PARAM_FLOW])
    result = built(ws)
    assert result.binary is not None
    records = tmp_path / "records.db"
    env = {"NODEFORGE_CONNECTOR_DB_PATH": str(tmp_path / "db.sqlite"),
           "NODEFORGE_CONNECTOR_DB_SCHEMA": str(ws / "db" / "db.sql"),
           "NODEFORGE_RECORDS_PATH": str(records)}  # fmt: skip
    got, _ = run_app(result.binary, "sql_param", "hook", {"body": {"name": "ana"}}, env)
    assert got["status"] == 500
    with RecordStore.sqlite(records) as store:
        (listed,) = store.list(flow="sql_param")
        execution = store.get(listed.id)
    assert execution.error_node == "insert" and execution.error_code == "expression"
    assert "insert" not in replay_of(execution, load_flow(ws / "sql_param.flow.json")).fixtures


def _serve_and_post(
    binary: Path, tmp_path: Path, path: str, text: str
) -> tuple[int, Any, dict[str, str]]:
    """One request to the served app (its own process, stopped after)."""
    import subprocess

    from tests.test_build_support import free_port, wait_http

    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NODEFORGE_ADDR": f"127.0.0.1:{port}",
           "NODEFORGE_RECORDS": "off"}  # fmt: skip
    proc = subprocess.Popen(
        [str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_http(port)
        return diff._post(f"http://127.0.0.1:{port}{path}", text)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


DEFAULT_BODY_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "default_body",
    "nodes": [
        {
            "id": "hook",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {"method": "POST", "path": "/default-body"},
        },
        {
            "id": "reply",
            "type": "http/respond",
            "version": "1.0.0",
            "config": {"body": "input.body"},
        },
    ],
    "connections": [{"from": "hook.out", "to": "reply.in"}],
}


def test_a_non_object_body_with_the_default_schema_is_refused_alike(tmp_path: Path) -> None:
    """Found by the generator (seed 33, a body without a schema): the served app answered
    a `null` body as `{}` while the simulator passed it on (issue 12 item 10, fixed in
    b2b465f): both refuse it with 400."""
    ws = make_workspace(tmp_path / "default_body", DEFAULT_BODY_FLOW)
    result = built(ws)
    assert result.binary is not None
    analysis = load_flow(ws / "default_body.flow.json")
    for text in ("null", "[1, 2]", '"text"'):
        status, _, _ = _serve_and_post(result.binary, tmp_path, "/default-body", text)
        sim = simulate(analysis, {"method": "POST", "body": json.loads(text)}, env={})
        assert (status, sim["response"]["status"]) == (400, 400), text


PARALLEL_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "parallel_failure",
    "nodes": [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {
                "input_schema": {
                    "type": "object",
                    "required": ["n"],
                    "properties": {"n": {"type": "integer"}},
                }
            },
        },
        {
            "id": "divide",
            "type": "data/map",
            "version": "1.1.0",
            "config": {"mapping": {"q": "10 / input.n"}},
        },
        {
            "id": "note",
            "type": "util/log",
            "version": "1.0.0",
            "config": {"message": "n={{ input.n }}"},
        },
        {"id": "both", "type": "flow/merge", "version": "1.0.0", "config": {}},
        {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
    ],
    "connections": [
        {"from": "start.out", "to": "divide.in"},
        {"from": "start.out", "to": "note.in"},
        {"from": "divide.out", "to": "both.a"},
        {"from": "note.out", "to": "both.b"},
        {"from": "both.out", "to": "reply.in"},
    ],
}


def test_parallel_branches_run_on_after_a_failure(tmp_path: Path) -> None:
    """Found by the generator (seed 32): branches that meet at a flow/merge run at the
    same time in the app (nf.Parallel runs each to its end, then fails with the first
    failing branch's error); the simulator stopped at the first branch's failure, so the
    other branches' nodes (a log here; an insert or a call elsewhere) never ran there."""
    from nodeforge.runs.store import RecordStore

    ws = make_workspace(tmp_path / "parallel", PARALLEL_FLOW)
    result = built(ws)
    assert result.binary is not None
    records = tmp_path / "records.db"
    got, _ = run_app(result.binary, "parallel_failure", "start", {"n": 0},
                     {"NODEFORGE_RECORDS_PATH": str(records)})  # fmt: skip
    assert got["status"] == 500
    with RecordStore.sqlite(records) as store:
        (listed,) = store.list(flow="parallel_failure")
        ran = {log.node for log in store.get(listed.id).nodes}
    assert {"divide", "note"} <= ran  # the app ran the sibling branch
    analysis = load_flow(ws / "parallel_failure.flow.json")
    sim = simulate(analysis, {"n": 0}, env={})
    assert sim["status"] == "failed" and sim["error"] == "division by zero"
    assert sim["nodes"]["note"]["runs"] == 1 and sim["nodes"]["both"]["outputs"] == {}
    assert sim["response"]["status"] == got["status"]
    ok = simulate(analysis, {"n": 5}, env={})
    assert ok["status"] == "done" and ok["nodes"]["both"]["outputs"]["out"]["a"] == {"q": 2}


LOOP_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "loop_failure",
    "nodes": [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {
                "input_schema": {
                    "type": "object",
                    "required": ["nums"],
                    "properties": {"nums": {"type": "array", "items": {"type": "integer"}}},
                }
            },
        },
        {
            "id": "each",
            "type": "flow/foreach",
            "version": "1.0.0",
            "config": {"list": "input.nums"},
        },
        {
            "id": "divide",
            "type": "data/template",
            "version": "1.0.0",
            "config": {"template": "{{ 10 / input }}"},
        },
        {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
    ],
    "connections": [
        {"from": "start.out", "to": "each.in"},
        {"from": "each.item", "to": "divide.in"},
        {"from": "each.done", "to": "reply.in"},
    ],
}


def test_a_loop_that_failed_did_not_emit_done(tmp_path: Path) -> None:
    """Found by the generator (seed 10158): the simulator recorded a flow/foreach's `done`
    (node output, connection value and count) when it queued it, before the items ran,
    so a loop whose body failed showed `done` as emitted; the app never emitted it."""
    ws = make_workspace(tmp_path / "loop", LOOP_FLOW)
    result = built(ws)
    assert result.binary is not None
    got, _ = run_app(result.binary, "loop_failure", "start", {"nums": [5, 0, 2]})
    assert got["status"] == 500
    sim = simulate(load_flow(ws / "loop_failure.flow.json"), {"nums": [5, 0, 2]}, env={})
    assert sim["status"] == "failed"
    assert sim["nodes"]["divide"]["runs"] == 2
    assert "done" not in sim["nodes"]["each"]["outputs"]
    done = [c for c in sim["connections"] if c["from"] == "each.done"]
    assert done[0]["count"] == 0
    ok = simulate(load_flow(ws / "loop_failure.flow.json"), {"nums": [5, 2]}, env={})
    assert ok["status"] == "done" and ok["nodes"]["each"]["outputs"]["done"] == {"nums": [5, 2]}
    assert ok["trace"] == ["start", "each", "divide", "divide", "reply"]
    empty = simulate(load_flow(ws / "loop_failure.flow.json"), {"nums": []}, env={})
    assert empty["trace"] == ["start", "each", "reply"]


def _caller_and_callee(callee_body: str, status: int) -> list[dict[str, object]]:
    callee: dict[str, object] = {
        "nodeforge": "1",
        "id": "callee",
        "nodes": [
            {
                "id": "begin",
                "type": "trigger/manual",
                "version": "1.0.0",
                "config": {
                    "input_schema": {
                        "type": "object",
                        "required": ["x"],
                        "properties": {"x": {"type": "integer"}},
                    }
                },
            },
            {
                "id": "answer",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": status, "body": callee_body},
            },
        ],
        "connections": [{"from": "begin.out", "to": "answer.in"}],
    }
    caller: dict[str, object] = {
        "nodeforge": "1",
        "id": "caller",
        "nodes": [
            {
                "id": "start",
                "type": "trigger/manual",
                "version": "1.0.0",
                "config": {"input_schema": {"type": "object", "properties": {"x": {}}}},
            },
            {
                "id": "call",
                "type": "flow/subflow",
                "version": "1.0.0",
                "config": {"flow": "callee", "arguments": {"x": "input.x"}},
            },
            {"id": "ok", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
            {
                "id": "failed",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": 502, "body": "input.message"},
            },
        ],
        "connections": [
            {"from": "start.out", "to": "call.in"},
            {"from": "call.out", "to": "ok.in"},
            {"from": "call.error", "to": "failed.in"},
        ],
    }
    return [callee, caller]


def test_a_called_flows_error_answer_reads_alike(tmp_path: Path) -> None:
    """Found by the generator (seed 10616): the `subflow_status` message quotes the called
    flow's answer; the app writes it as a JSON value (object keys sorted), the simulator
    wrote the keys in the order of the expression."""
    ws = make_workspace(
        tmp_path / "subflow", *_caller_and_callee('{"x": input.x, "error": "no"}', 409)
    )
    result = built(ws)
    assert result.binary is not None
    got, _ = run_app(result.binary, "caller", "start", {"x": 3})
    sim = simulate(load_flow(ws / "caller.flow.json"), {"x": 3}, env={})
    assert got["status"] == sim["response"]["status"] == 502
    assert (
        got["body"] == sim["response"]["body"] == 'flow callee answered 409: {"error":"no","x":3}'
    )


def test_a_called_flows_refusal_reads_alike(tmp_path: Path) -> None:
    """Found by the generator (seed 10616): the simulator answered a refused request
    without the `execution_id` member of the app's problem body, so a called flow's
    refusal quoted in a `subflow_status` message read differently."""
    ws = make_workspace(tmp_path / "subflow", *_caller_and_callee("input", 200))
    result = built(ws)
    assert result.binary is not None
    got, _ = run_app(result.binary, "caller", "start", {"x": True})
    sim = simulate(load_flow(ws / "caller.flow.json"), {"x": True}, env={})
    assert got["status"] == sim["response"]["status"] == 502
    assert diff._norm(got["body"]) == diff._norm(sim["response"]["body"])


VALIDATED_LIST_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "validated_list",
    "nodes": [
        {
            "id": "hook",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {
                "method": "POST",
                "path": "/validated-list",
                "body_schema": {
                    "type": "object",
                    "required": ["n"],
                    "properties": {
                        "n": {"type": "integer"},
                        "nums": {"type": "array", "items": {"type": "integer"}},
                    },
                },
            },
        },
        {
            "id": "check",
            "type": "data/validate",
            "version": "1.0.0",
            "config": {"schema": {"type": "object", "required": ["body"]}},
        },
        {
            "id": "reply",
            "type": "http/respond",
            "version": "1.0.0",
            "config": {"body": "input.body"},
        },
    ],
    "connections": [
        {"from": "hook.out", "to": "check.in"},
        {"from": "check.valid", "to": "reply.in"},
    ],
}


def test_an_empty_optional_list_survives_a_validation(tmp_path: Path) -> None:
    """Found by the generator (seed 10440): values converted through encoding/json
    (nf.JSONValue: data/validate's valid output, dynamic paths) lost an empty optional
    list, the generated struct tags saying `omitempty`; absent is nil, so `omitzero`."""
    ws = make_workspace(tmp_path / "validated_list", VALIDATED_LIST_FLOW)
    result = built(ws)
    assert result.binary is not None
    body = {"n": 1, "nums": []}
    got, _ = run_app(result.binary, "validated_list", "hook", {"body": body})
    sim = simulate(load_flow(ws / "validated_list.flow.json"), {"body": body}, env={})
    assert sim["response"]["body"] == body
    assert got["body"] == body


def test_parallel_branches_fail_with_the_first_failing_branch(tmp_path: Path) -> None:
    """As nf.Parallel: every branch runs to its end; the lowest failing branch's error is
    the fan-out's, whichever failed; a fan-out without a merge stays depth first."""
    flow = json.loads(json.dumps(PARALLEL_FLOW))
    nodes = flow["nodes"]
    nodes[2] = {"id": "note", "type": "data/map", "version": "1.1.0",
                "config": {"mapping": {"k": 'int("x" + string(input.n))'}}}  # fmt: skip
    flow["id"] = "parallel_both"
    ws = make_workspace(tmp_path / "both", flow)
    analysis = load_flow(ws / "parallel_both.flow.json")
    sim = simulate(analysis, {"n": 0}, env={})
    assert sim["error"] == "division by zero"  # branch a (first) and b both failed
    assert sim["nodes"]["divide"]["status"] == sim["nodes"]["note"]["status"] == "error"
    sim = simulate(analysis, {"n": 2}, env={})
    assert sim["status"] == "failed" and "x2" in str(sim["error"])  # only b failed
    assert sim["nodes"]["divide"]["outputs"]["out"] == {"q": 5}
    # without the merge the branches are not parallel: the first failure stops the run
    flow["connections"] = [c for c in flow["connections"] if c["to"] not in ("both.a", "both.b")]
    flow["nodes"] = nodes[:3]
    flow["id"] = "sequential"
    ws = make_workspace(tmp_path / "seq", flow)
    sim = simulate(load_flow(ws / "sequential.flow.json"), {"n": 0}, env={})
    assert sim["status"] == "failed" and sim["nodes"]["note"]["runs"] == 0


NEGATED_COMPARISON_FLOW: dict[str, object] = {
    "nodeforge": "1",
    "id": "negated",
    "nodes": [
        {
            "id": "hook",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {
                "method": "POST",
                "path": "/negated/{id}",
                "body_schema": {
                    "type": "object",
                    "required": ["f", "n"],
                    "properties": {"f": {"type": "number"}, "n": {"type": "integer"}},
                },
            },
        },
        {
            "id": "say",
            "type": "data/template",
            "version": "1.0.0",
            "config": {
                "template": "{{ !(input.path < input.params.id) }} "
                "{{ int(input.body.f - (input.body.f - double(input.body.n))) }}"
            },
        },
        {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"body": "input"}},
    ],
    "connections": [
        {"from": "hook.out", "to": "say.in"},
        {"from": "say.out", "to": "reply.in"},
    ],
}


def test_a_negated_comparison_with_a_call_compiles(tmp_path: Path) -> None:
    """Found by the generator (seed 20196): `!(a < m.k)` checked clean and did not build:
    the comparison's Go code ended in a call (the map lookup), and the negation left it
    unparenthesised (`!a < nf.Get(...)`). The same guess dropped the parentheses of a
    right operand ending in one call: `f - (f - double(n))` compiled to
    `input.F - input.F - float64(input.N)` (-3 for 3)."""
    ws = make_workspace(tmp_path / "negated", NEGATED_COMPARISON_FLOW)
    result = built(ws)
    assert result.binary is not None
    value = {"path": "/negated/zz", "params": {"id": "zz"}, "body": {"f": 10.0, "n": 3}}
    got, _ = run_app(result.binary, "negated", "hook", value)
    sim = simulate(load_flow(ws / "negated.flow.json"), value, env={})
    # "/" < "z"; 10 - (10 - 3), not 10 - 10 - 3
    assert got["body"] == sim["response"]["body"] == {"text": "false 3"}


def test_a_query_without_params_builds_without_the_examples_params(tmp_path: Path) -> None:
    """A check-clean flow must build: the code generator's base config (the manifest's
    full defaults) took the example parameter list a new SQL node gets with its example
    statement, so a query written without `params` did not generate (NF900 'no expression
    at params[0]'; the examples' daily_report and orders_api stopped building)."""
    from nodeforge.analysis.workspace import load_workspace

    flow: dict[str, object] = {
        "nodeforge": "1",
        "id": "no_params",
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {
                "id": "rows",
                "type": "sql/query",
                "version": "1.0.0",
                "config": {"connector": "db", "query": "SELECT id, name, qty FROM items"},
            },
            {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {}},
        ],
        "connections": [
            {"from": "start.out", "to": "rows.in"},
            {"from": "rows.out", "to": "reply.in"},
        ],
    }
    ws = tmp_path / "no_params"
    diff.workspace(ws, [flow])
    manifest = load_workspace(ws).catalog.get("sql/query", "1.0.0")
    assert manifest is not None and manifest.full_default_config()["params"] == []
    result = built(ws)
    assert result.binary is not None
    env = {"NODEFORGE_CONNECTOR_DB_PATH": str(tmp_path / "db.sqlite"),
           "NODEFORGE_CONNECTOR_DB_SCHEMA": str(ws / "db" / "db.sql")}  # fmt: skip
    got, _ = run_app(result.binary, "no_params", "start", {}, env)
    body: Any = got["body"]
    assert got["status"] == 200 and body["count"] == 3
