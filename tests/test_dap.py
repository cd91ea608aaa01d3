"""The debug adapter through the real protocol: a raw DAP client (tests/dap_client.py)
drives a ``python -m nodeforge dap`` subprocess over stdio."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dap_client import DapClient, frame

FLOW: dict[str, Any] = {
    "nodeforge": "1",
    "id": "dbg",
    "name": "dbg",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "one",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"n": "input.n + 1"}},
        },
        {
            "id": "two",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"n": "input.n * 10"}},
        },
        {
            "id": "three",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"n": "input.n - 1"}},
        },
        {"id": "answer", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
    ],
    "connections": [
        {"from": "start.out", "to": "one.in"},
        {"from": "one.out", "to": "two.in"},
        {"from": "two.out", "to": "three.in"},
        {"from": "three.out", "to": "answer.in"},
    ],
}

LOOP: dict[str, Any] = {
    "nodeforge": "1",
    "id": "loop",
    "name": "loop",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "each",
            "type": "flow/foreach",
            "version": "1.0.0",
            "config": {"list": "input.items"},
        },
        {
            "id": "body",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"x": "input"}},
        },
    ],
    "connections": [{"from": "start.out", "to": "each.in"}, {"from": "each.item", "to": "body.in"}],
}


def write_flow(folder: Path, flow: dict[str, Any], name: str = "dbg.flow.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(flow, indent=2) + "\n")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line containing ``text``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def node_lines(path: Path, node: str) -> tuple[int, int]:
    """The 1-based lines of a node object's ``{`` and ``}`` (json.dumps(indent=2) layout)."""
    lines = path.read_text().splitlines()
    id_line = line_of(path, f'"id": "{node}"')
    start = id_line - 1  # the `{` is on the line above the id
    assert lines[start - 1].strip() == "{"
    end = next(i for i in range(start, len(lines) + 1) if lines[i - 1] in ("    },", "    }"))
    return start, end


@pytest.fixture
def client() -> Iterator[DapClient]:
    c = DapClient()
    yield c
    c.close()


def started(client: DapClient, **init: Any) -> dict[str, Any]:
    caps: dict[str, Any] = client.ok("initialize", {"adapterID": "nodeforge", **init})
    client.event("initialized")
    return caps


def launch(client: DapClient, flow: Path, **args: Any) -> None:
    client.ok("launch", {"type": "nodeforge", "request": "launch", "flow": str(flow), **args})
    client.ok("configurationDone")


def variables(client: DapClient, ref: int) -> dict[str, dict[str, Any]]:
    body = client.ok("variables", {"variablesReference": ref})
    return {v["name"]: v for v in body["variables"]}


def scopes(client: DapClient, frame_id: int) -> dict[str, int]:
    body = client.ok("scopes", {"frameId": frame_id})
    return {s["name"]: s["variablesReference"] for s in body["scopes"]}


def test_breakpoint_stack_variables_step_continue_disconnect(
    client: DapClient, tmp_path: Path
) -> None:
    path = write_flow(tmp_path, FLOW)
    caps = started(client)
    for cap in (
        "supportsConfigurationDoneRequest",
        "supportsConditionalBreakpoints",
        "supportsEvaluateForHovers",
        "supportsHitConditionalBreakpoints",
        "supportsLogPoints",
    ):
        assert caps[cap] is True
    assert caps["supportsStepBack"] is False and caps["supportsSetVariable"] is False

    two_start, two_end = node_lines(path, "two")
    inside_two = line_of(path, '"n": "input.n * 10"')
    assert two_start < inside_two < two_end
    body = client.ok(
        "setBreakpoints",
        {"source": {"path": str(path)}, "breakpoints": [{"line": inside_two}, {"line": 2}]},
    )
    on_two, outside = body["breakpoints"]
    assert on_two["verified"] is True and on_two["line"] == inside_two
    assert outside["verified"] is False and "not inside a node" in outside["message"]

    launch(client, path, input={"n": 1})
    stopped = client.event("stopped")["body"]
    assert stopped["reason"] == "breakpoint" and stopped["threadId"] == 1
    assert stopped["hitBreakpointIds"] == [on_two["id"]]
    assert client.ok("threads")["threads"] == [{"id": 1, "name": "flow dbg from start"}]

    trace = client.ok("stackTrace", {"threadId": 1})
    frames = trace["stackFrames"]
    assert [f["name"].split(" ")[0] for f in frames] == ["two", "one", "start"]
    assert trace["totalFrames"] == 3
    top = frames[0]
    assert top["name"] == "two (data/map) <- one.out"
    assert (top["line"], top["endLine"]) == (two_start, two_end)
    assert top["source"]["path"] == str(path)
    assert frames[1]["line"] == node_lines(path, "one")[0]
    paged = client.ok("stackTrace", {"threadId": 1, "startFrame": 1, "levels": 1})
    assert [f["id"] for f in paged["stackFrames"]] == [frames[1]["id"]]

    refs = scopes(client, top["id"])
    assert list(refs) == ["Input", "Node", "Config", "Outputs", "Logs", "Connections", "Execution"]
    n = variables(client, refs["Input"])["n"]
    assert n["value"] == "2" and n["type"] == "integer" and n["evaluateName"] == "input.n"
    node = variables(client, refs["Node"])
    assert node["connection"]["value"] == '"#1 one.out -> two.in"'
    assert node["runs"]["value"] == "0"
    config = variables(client, refs["Config"])  # rendered against the input: n * 10
    assert json.loads(config["mapping"]["value"]) == {"n": 20}
    connections = variables(client, refs["Connections"])
    first = connections["#0 start.out -> one.in"]
    assert json.loads(first["value"])["values"] == [{"n": 1}]
    second = variables(client, connections["#1 one.out -> two.in"]["variablesReference"])
    assert second["count"]["value"] == "1"
    values = variables(client, second["values"]["variablesReference"])
    assert json.loads(values["0"]["value"]) == {"n": 2}
    assert variables(client, refs["Outputs"]) == {}
    # An executed frame: `one` with its input and its output.
    one_refs = scopes(client, frames[1]["id"])
    assert json.loads(variables(client, one_refs["Outputs"])["out"]["value"]) == {"n": 2}
    assert variables(client, one_refs["Input"])["n"]["value"] == "1"

    ev = client.ok(
        "evaluate", {"expression": "input.n * 100", "frameId": top["id"], "context": "watch"}
    )
    assert ev["result"] == "200" and ev["type"] == "integer"
    ev = client.ok(
        "evaluate", {"expression": "input.n", "frameId": frames[1]["id"], "context": "hover"}
    )
    assert ev["result"] == "1"
    ev = client.ok("evaluate", {"expression": "nodes.one.out", "context": "repl"})
    assert ev["variablesReference"] > 0
    assert variables(client, ev["variablesReference"])["n"]["value"] == "2"

    client.ok("next", {"threadId": 1})
    stopped = client.event("stopped")["body"]
    assert stopped["reason"] == "step"
    frames = client.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert frames[0]["name"] == "three (data/map) <- two.out"
    refs = scopes(client, frames[0]["id"])
    assert variables(client, refs["Input"])["n"]["value"] == "20"
    two_refs = scopes(client, frames[1]["id"])
    assert json.loads(variables(client, two_refs["Outputs"])["out"]["value"]) == {"n": 20}

    client.ok("stepIn", {"threadId": 1})
    assert client.event("stopped")["body"]["reason"] == "step"
    frames = client.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert frames[0]["name"].startswith("answer (http/respond)")

    client.ok("continue", {"threadId": 1})
    assert client.event("exited")["body"] == {"exitCode": 0}
    client.event("terminated")
    console = client.output()
    assert 'Flow answered 200: {"n": 19}' in console
    assert "two (data/map): ok" in console
    outputs = [e["body"] for e in client.events if e["event"] == "output" and "source" in e["body"]]
    assert any(o["output"].startswith("two ") and o["line"] == two_start for o in outputs)
    gone = client.request("stackTrace", {"threadId": 1})
    assert gone["success"] is False and "ended" in gone["message"]
    client.ok("disconnect", {})
    assert client.close() == 0


def test_conditional_and_hit_count_breakpoints(client: DapClient, tmp_path: Path) -> None:
    path = write_flow(tmp_path, LOOP, "loop.flow.json")
    body_line = line_of(path, '"id": "body"')
    started(client)
    bps = client.ok(
        "setBreakpoints",
        {
            "source": {"path": str(path)},
            "breakpoints": [
                {"line": body_line, "condition": 'input == "c"'},
                {"line": body_line + 1, "condition": "input =="},
                {"line": body_line + 2, "hitCondition": "every"},
            ],
        },
    )["breakpoints"]
    assert bps[0]["verified"] is True
    assert bps[1]["verified"] is False and bps[1]["message"].startswith("condition:")
    assert bps[2]["verified"] is False and "hit count" in bps[2]["message"]
    launch(client, path, input={"items": ["a", "b", "c", "d"]})
    stopped = client.event("stopped")["body"]
    assert stopped["hitBreakpointIds"] == [bps[0]["id"]]
    ev = client.ok("evaluate", {"expression": "input", "context": "watch"})
    assert ev["result"] == '"c"'
    # Now every second arrival at `body` (a hit count), from where it is paused.
    bps = client.ok(
        "setBreakpoints",
        {
            "source": {"path": str(path)},
            "breakpoints": [{"line": body_line, "hitCondition": "% 2"}],
        },
    )["breakpoints"]
    assert bps[0]["verified"] is True
    client.ok("continue", {"threadId": 1})
    client.event("exited")  # `d` is the first hit of the new breakpoint: no stop
    client.event("terminated")


def test_log_points_and_stop_on_entry(client: DapClient, tmp_path: Path) -> None:
    path = write_flow(tmp_path, LOOP, "loop.flow.json")
    body_line = line_of(path, '"id": "body"')
    started(client)
    client.ok(
        "setBreakpoints",
        {
            "source": {"path": str(path)},
            "breakpoints": [{"line": body_line, "logMessage": "item {{ input }}"}],
        },
    )
    launch(client, path, input={"items": ["a", "b"]}, stopOnEntry=True)
    stopped = client.event("stopped")["body"]
    assert stopped["reason"] == "entry"
    frames = client.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert frames[0]["name"] == "start (trigger/manual)" and len(frames) == 1
    client.ok("continue", {"threadId": 1})
    client.event("terminated")
    console = client.output()
    assert "body: item a\n" in console and "body: item b\n" in console


def test_a_failed_execution_stops_at_the_failing_node(client: DapClient, tmp_path: Path) -> None:
    flow = json.loads(json.dumps(FLOW))
    flow["nodes"][2]["config"]["mapping"]["n"] = "input.n / (input.n - 2)"
    path = write_flow(tmp_path, flow)
    started(client)
    launch(client, path, input={"n": 1})
    stopped = client.event("stopped")["body"]
    assert stopped["reason"] == "exception"
    info = client.ok("exceptionInfo", {"threadId": 1})
    assert "division by zero" in info["description"]
    frames = client.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert frames[0]["name"] == "two (data/map)"
    refs = scopes(client, frames[0]["id"])
    assert variables(client, refs["Input"])["n"]["value"] == "2"
    mapping = variables(client, refs["Config"])["mapping"]
    rendered = variables(client, mapping["variablesReference"])["n"]
    assert rendered["type"] == "error" and "division by zero" in rendered["value"]
    client.ok("continue", {"threadId": 1})
    assert client.event("exited")["body"] == {"exitCode": 1}
    client.event("terminated")
    assert "Execution failed" in client.output()


def test_zero_based_lines_and_other_flows(client: DapClient, tmp_path: Path) -> None:
    path = write_flow(tmp_path, FLOW)
    other = write_flow(tmp_path, LOOP, "loop.flow.json")
    started(client, linesStartAt1=False)
    two_start, _ = node_lines(path, "two")
    bp = client.ok(
        "setBreakpoints", {"source": {"path": str(path)}, "breakpoints": [{"line": two_start - 1}]}
    )["breakpoints"][0]
    assert bp["verified"] is True and bp["line"] == two_start - 1
    elsewhere = client.ok(
        "setBreakpoints", {"source": {"path": str(other)}, "breakpoints": [{"line": 8}]}
    )["breakpoints"][0]
    assert elsewhere["verified"] is True  # a node of that file, until a flow is launched
    launch(client, path, input={"n": 1})
    changed = client.event("breakpoint")["body"]
    assert changed["reason"] == "changed" and changed["breakpoint"]["id"] == elsewhere["id"]
    assert changed["breakpoint"]["verified"] is False
    client.event("stopped")
    frames = client.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert frames[0]["line"] == two_start - 1
    client.ok("terminate", {})
    client.event("terminated")
    assert not any(e["event"] == "exited" for e in client.events)  # it did not run on
    client.ok("disconnect", {})
    assert client.close() == 0


def test_bad_requests_are_errors_and_the_adapter_goes_on(client: DapClient, tmp_path: Path) -> None:
    started(client)
    answer = client.request("frobnicate", {})
    assert answer["success"] is False and "unsupported request `frobnicate`" in answer["message"]
    assert answer["body"]["error"]["format"] == answer["message"]
    answer = client.request("stackTrace", {"threadId": 1})
    assert answer["success"] is False and "no flow is being debugged" in answer["message"]
    answer = client.request("setBreakpoints", {"breakpoints": [{"line": 1}]})
    assert answer["success"] is False and "source.path" in answer["message"]
    answer = client.request(
        "setBreakpoints", {"source": {"path": "/x"}, "breakpoints": [{"line": "1"}]}
    )
    assert answer["success"] is False
    missing = client.ok(
        "setBreakpoints",
        {"source": {"path": str(tmp_path / "nope.flow.json")}, "breakpoints": [{"line": 3}]},
    )["breakpoints"][0]
    assert missing["verified"] is False and "cannot read" in missing["message"]
    answer = client.request("launch", {"flow": str(tmp_path / "nope.flow.json")})
    assert answer["success"] is False and "no such file" in answer["message"]
    answer = client.request("launch", {})
    assert answer["success"] is False and "`flow`" in answer["message"]
    path = write_flow(tmp_path, FLOW)
    bad_input = tmp_path / "input.json"
    bad_input.write_text('{"n": 1,,}')
    answer = client.request("launch", {"flow": str(path), "inputFile": str(bad_input)})
    assert answer["success"] is False and "is not JSON" in answer["message"]
    assert "line 1 column 9" in answer["message"]
    answer = client.request("launch", {"flow": str(path), "input": {}, "inputFile": str(bad_input)})
    assert answer["success"] is False and "not both" in answer["message"]
    answer = client.request("launch", {"flow": str(path), "trigger": "one"})
    assert answer["success"] is False and "not a trigger" in answer["message"]
    broken = json.loads(json.dumps(FLOW))
    broken["connections"].append({"from": "three.out", "to": "ghost.in"})
    answer = client.request(
        "launch", {"flow": str(write_flow(tmp_path, broken, "broken.flow.json"))}
    )
    assert answer["success"] is False and "error(s) to fix" in answer["message"]
    answer = client.request("launch", {"flow": str(path), "stopOnEntry": "yes"})
    assert answer["success"] is False and "`stopOnEntry`" in answer["message"]
    answer = client.request("attach", {})
    assert answer["success"] is False
    answer = client.request("evaluate", {})
    assert answer["success"] is False and "`expression`" in answer["message"]

    # After all that, a good launch still works.
    client.ok("launch", {"flow": str(path), "input": {"n": 1}, "stopOnEntry": True, "inptu": 1})
    client.ok("configurationDone")
    client.event("stopped")
    assert "unknown launch attribute `inptu`" in client.output()
    answer = client.request("evaluate", {"expression": "input.n +", "context": "repl"})
    assert answer["success"] is False and "column" in answer["message"]
    answer = client.request("evaluate", {"expression": "input.nope", "context": "hover"})
    assert answer["success"] is False
    answer = client.request("variables", {"variablesReference": 999})
    assert answer["success"] is False
    answer = client.request("scopes", {"frameId": 42})
    assert answer["success"] is False and "no frame" in answer["message"]
    answer = client.request("stackTrace", {"threadId": 7})
    assert answer["success"] is False and "no thread" in answer["message"]
    answer = client.request("launch", {"flow": str(path)})
    assert answer["success"] is False and "already launched" in answer["message"]
    client.ok("continue", {"threadId": 1})
    client.event("terminated")


def test_the_adapter_survives_garbage(client: DapClient) -> None:
    client.write(b"hello there\r\n")
    client.write(frame(b"{not json"))
    client.write(frame(b"[1, 2]"))
    client.write(b"Content-Length: lots\r\n\r\n")
    client.write(frame(b"\xff\xfe"))
    client.write(b"junk" + frame({"seq": 50, "type": "request", "command": "threads"}))
    assert client.response(50)["success"] is True
    client.write(frame({"type": "request", "command": "threads"}))  # no seq
    client.write(frame({"seq": 51, "type": "request"}))  # no command
    assert client.response(51)["success"] is False
    client.write(frame({"seq": 52, "type": "request", "command": "threads", "arguments": [1]}))
    assert client.response(52)["success"] is False
    caps = client.ok("initialize", {"adapterID": "nodeforge"})
    assert caps["supportsConfigurationDoneRequest"] is True
    problems = [
        e["body"]["output"]
        for e in client.events
        if e["event"] == "output" and e["body"]["output"].startswith("nodeforge dap:")
    ]
    assert any("not a header line" in p for p in problems)
    assert any("not JSON" in p for p in problems)
    assert any("not an object" in p for p in problems)
    assert any("Content-Length is not a number" in p for p in problems)
    assert any("not UTF-8" in p for p in problems)
    assert any("unexpected bytes before a header" in p for p in problems)
    assert any("without an integer `seq`" in p for p in problems)
    assert client.proc.poll() is None
    client.ok("disconnect", {})
    assert client.close() == 0
