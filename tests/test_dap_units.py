"""The debug adapter's parts in-process: framing, node lines, hit counts, launch
attributes, variables' references (the protocol end to end is tests/test_dap.py)."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.flow import load_document
from nodeforge.sandbox import simulations as sims
from nodeforge.server.dap import protocol
from nodeforge.server.dap.breakpoints import BreakpointError, parse_hit_condition
from nodeforge.server.dap.launch import LaunchError, parse_launch
from nodeforge.server.dap.locations import node_at_line, node_spans
from nodeforge.server.dap.session import DapError, DebugSession
from nodeforge.server.dap.values import Entry, References, Shown, member_expression
from tests.dap_client import frame


def test_frame_reader_messages_and_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "MAX_FRAME_BYTES", 100)
    big = frame(b"[" + b"1," * 100 + b"1]")
    stream = io.BytesIO(
        b"\r\n" + frame({"a": 1}) + big + frame({"b": 2}) + b"Content-Length: 10\r\n\r\n{}"
    )
    reader = protocol.FrameReader(stream)
    assert reader.read() == {"a": 1}
    with pytest.raises(protocol.FrameError, match="a frame of 203 bytes"):
        reader.read()
    assert reader.read() == {"b": 2}  # the oversized frame was skipped whole
    with pytest.raises(protocol.FrameError, match="ended inside a body"):
        reader.read()
    with pytest.raises(EOFError):
        reader.read()


def test_frame_reader_other_headers_and_a_header_without_length() -> None:
    body = b'{"x": 1}'
    stream = io.BytesIO(
        b"Content-Type: application/json\r\nContent-Length: 8\r\n\r\n"
        + body
        + b"Content-Type: x\r\n\r\n"
        + frame({"y": 2})
    )
    reader = protocol.FrameReader(stream)
    assert reader.read() == {"x": 1}
    with pytest.raises(protocol.FrameError, match="without Content-Length"):
        reader.read()
    assert reader.read() == {"y": 2}


def test_channel_numbers_messages() -> None:
    out = io.BytesIO()
    channel = protocol.Channel(out)
    channel.respond({"seq": 4, "command": "threads"}, {"threads": []})
    channel.event("initialized")
    channel.fail({"seq": 5, "command": "x"}, "nope")
    reader = protocol.FrameReader(io.BytesIO(out.getvalue()))
    first, second, third = reader.read(), reader.read(), reader.read()
    assert (first["seq"], first["request_seq"], first["success"]) == (1, 4, True)
    assert second == {"seq": 2, "type": "event", "event": "initialized"}
    assert third["success"] is False and third["message"] == "nope" and third["request_seq"] == 5


COMPACT = """{"nodeforge": "1", "id": "c", "name": "c", "nodes": [
  {"id": "a", "type": "trigger/manual",
   "version": "1.0.0", "config": {}}, {"id": "b",
   "type": "data/map", "version": "1.0.0",
   "config": {"mapping": {"n": "1"}}
  }, {"type": "data/map"}
], "connections": []}
"""


def test_node_at_line_prefers_the_node_that_begins_there() -> None:
    spans = node_spans(load_document(COMPACT))
    assert [s.node for s in spans] == ["a", "b"]  # a node without an id has no place
    found = {line: getattr(node_at_line(spans, line), "node", None) for line in range(8)}
    # `a` ends and `b` begins on line 2; line 5 ends `b` (and holds the node without id).
    assert found == {0: None, 1: "a", 2: "b", 3: "b", 4: "b", 5: "b", 6: None, 7: None}
    b = spans[1]
    column = COMPACT.splitlines()[2].index('{"id": "b"')
    assert (b.start.line, b.start.character, b.end.line, b.end.character) == (2, column, 5, 3)


@pytest.mark.parametrize(
    ("text", "hits", "stops"),
    [
        ("3", [1, 2, 3, 4], [False, False, True, True]),
        ("== 2", [1, 2, 3], [False, True, False]),
        (">1", [1, 2], [False, True]),
        ("< 3", [2, 3], [True, False]),
        ("<=1", [1, 2], [True, False]),
        ("%3", [2, 3, 6], [False, True, True]),
    ],
)
def test_hit_conditions(text: str, hits: list[int], stops: list[bool]) -> None:
    test = parse_hit_condition(text)
    assert [test(h) for h in hits] == stops


@pytest.mark.parametrize("text", ["", "x", "% 0", ">= -1", "== 2.5"])
def test_bad_hit_conditions(text: str) -> None:
    with pytest.raises(BreakpointError):
        parse_hit_condition(text)


def test_launch_reads_files_relative_to_cwd(tmp_path: Path) -> None:
    (tmp_path / "f.flow.json").write_text("{}")
    (tmp_path / "in.json").write_text('{"n": 1}')
    (tmp_path / "env.json").write_text('{"A": "x", "B": 2}')
    config = parse_launch(
        {
            "cwd": str(tmp_path),
            "flow": "f.flow.json",
            "inputFile": "in.json",
            "envFile": "env.json",
            "fixtures": {"x": 1},
            "runCode": True,
            "__sessionId": "ignored",
            "type": "nodeforge",
        }
    )
    assert config.flow == tmp_path / "f.flow.json"
    assert config.input == {"n": 1}
    assert config.env == {"A": "x", "B": "2"}
    assert config.simulate_params()["fixtures"] == {"x": 1}
    assert config.run_code is True and config.warnings == []
    with pytest.raises(LaunchError, match="`fixtures`: expected an object"):
        parse_launch({"flow": str(tmp_path / "f.flow.json"), "fixtures": [1]})
    with pytest.raises(LaunchError, match="`envFile`: cannot read"):
        parse_launch({"flow": str(tmp_path / "f.flow.json"), "envFile": "nope.json"})


def test_references_expand_one_level_and_page_lists() -> None:
    refs = References()
    value = {"items": list(range(250)), "a b": {"c": None}}
    ref = refs.add((value, "input"))
    rows = {r.name: r for r in refs.children(ref) or []}
    assert rows["items"].expression == "input.items"
    assert rows["a b"].expression == 'input["a b"]'
    var = refs.variable(rows["items"])
    assert var["indexedVariables"] == 250 and var["type"] == "list"
    page = refs.children(var["variablesReference"], start=100, count=3, filter_="indexed")
    assert [(r.name, r.value, r.expression) for r in page or []] == [
        ("100", 100, "input.items[100]"),
        ("101", 101, "input.items[101]"),
        ("102", 102, "input.items[102]"),
    ]
    assert refs.children(var["variablesReference"], filter_="named") == []
    assert refs.variable(Entry("e", {}))["variablesReference"] == 0
    assert refs.children(999) is None
    refs.clear()
    assert refs.children(ref) is None
    assert member_expression(None, "x") is None
    long = refs.variable(Entry("s", "x" * 500))
    assert len(long["value"]) == 200 and long["value"].endswith("...")
    assert json.loads(refs.variable(Entry("n", 1.5))["value"]) == 1.5
    failed = Shown("error: no field `x`", "error")
    assert refs.variable(Entry("c", {"m": failed}))["value"] == '{"m": "error: no field `x`"}'
    assert refs.variable(Entry("e", failed))["type"] == "error"


class Recorder:
    """A session's events, in order, with a way to wait for one (from the worker)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.cond = threading.Condition()

    def __call__(self, name: str, body: dict[str, Any]) -> None:
        with self.cond:
            self.events.append((name, body))
            self.cond.notify_all()

    def wait(self, name: str) -> dict[str, Any]:
        with self.cond:
            assert self.cond.wait_for(lambda: any(n == name for n, _ in self.events), timeout=60), (
                f"no {name} event: {self.events}"
            )
            return next(b for n, b in self.events if n == name)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """data/map nodes wait for this event before they run: a run is surely in progress."""
    gate = threading.Event()
    real = sims.lookup

    def lookup(node_type: str, version: str, manifest: Any = None) -> Any:
        fn = real(node_type, version, manifest)
        if node_type != "data/map" or fn is None:
            return fn

        def waiting(run: sims.NodeRun) -> Any:
            assert gate.wait(60)
            return fn(run)

        return waiting

    monkeypatch.setattr(sims, "lookup", lookup)
    return gate


def running_session(tmp_path: Path) -> tuple[DebugSession, Recorder]:
    from tests.test_dap import FLOW

    path = tmp_path / "dbg.flow.json"
    path.write_text(json.dumps(FLOW, indent=2))
    events = Recorder()
    session = DebugSession(events)
    session.initialize({})
    session.launch({"flow": str(path), "input": {"n": 1}})
    session.configuration_done({})
    session.run_deferred()  # starts the worker, which waits in `one`
    assert session.state == "running"
    return session, events


def test_pause_stops_before_the_next_node(tmp_path: Path, gated: threading.Event) -> None:
    session, events = running_session(tmp_path)
    session.pause({})
    gated.set()
    stopped = events.wait("stopped")
    assert stopped["reason"] == "pause" and "hitBreakpointIds" not in stopped
    frames = session.stack_trace({"threadId": 1})["stackFrames"]
    assert [f["name"].split(" ")[0] for f in frames] == ["two", "one", "start"]
    assert session.sim.breakpoints == set()  # the pause is over: only the user's again
    session.continue_({})
    session.run_deferred()
    assert events.wait("exited") == {"exitCode": 0}
    with pytest.raises(DapError, match="not running"):
        session.pause({})


def test_terminate_while_running_ends_before_the_next_node(
    tmp_path: Path, gated: threading.Event
) -> None:
    session, events = running_session(tmp_path)
    session.terminate({})
    gated.set()
    events.wait("terminated")
    assert session.state == "ended" and session.sim.trace == ["start", "one"]
    assert not any(name == "exited" for name, _ in events.events)


def test_every_launch_attribute_is_documented() -> None:
    from nodeforge.server.dap.launch import KEYS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "debugging.md").read_text()
    table = {
        line.split("|")[1].strip().strip("`") for line in doc.splitlines() if line.startswith("| `")
    }
    assert not KEYS - table, KEYS - table
    schema = doc[doc.index('"configurationAttributes"') : doc.index('"initialConfigurations"')]
    assert {k for k in KEYS if f'"{k}":' not in schema} == {"noDebug"}  # set by clients
