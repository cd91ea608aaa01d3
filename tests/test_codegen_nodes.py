"""Node types beyond the examples, compiled and run: data/validate, llm/extract (against a
local OpenAI-compatible server), data/template, flow/foreach over typed lists, data/map
with keep_input."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.test_build_support import built, make_workspace, needs_go, run_app

pytestmark = needs_go

PERSON = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "age": {"type": "integer", "minimum": 0},
    },
}


def _flows() -> list[dict[str, Any]]:
    validate = {
        "nodeforge": "1",
        "id": "check",
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {
                "id": "person",
                "type": "data/validate",
                "version": "1.0.0",
                "config": {"schema": PERSON},
            },
            {
                "id": "ok",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {
                    "status": 200,
                    "body": '{"hello": input.name, "next_year": input.age + 1}',
                },
            },
            {
                "id": "bad",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": 422, "body": "input.errors"},
            },
        ],
        "connections": [
            {"from": "start.out", "to": "person.in"},
            {"from": "person.valid", "to": "ok.in"},
            {"from": "person.invalid", "to": "bad.in"},
        ],
    }
    extract = {
        "nodeforge": "1",
        "id": "booking",
        "nodes": [
            {
                "id": "start",
                "type": "trigger/manual",
                "version": "1.0.0",
                "config": {
                    "input_schema": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": {"type": "string"}},
                    }
                },
            },
            {
                "id": "read",
                "type": "llm/extract",
                "version": "1.0.0",
                "config": {"connector": "ai", "text": "{{ input.text }}", "schema": PERSON},
            },
            {
                "id": "each",
                "type": "flow/foreach",
                "version": "1.0.0",
                "config": {"list": 'split(nodes.read.out.data.name, " ")'},
            },
            {
                "id": "word",
                "type": "data/template",
                "version": "1.0.0",
                "config": {"template": "<{{ input }}>"},
            },
            {
                "id": "say",
                "type": "util/log",
                "version": "1.0.0",
                "config": {"level": "error", "message": "{{ input.text }}"},
            },
            {
                "id": "done",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {
                    "status": 200,
                    "body": '{"name": nodes.read.out.data.name, "age": nodes.read.out.data.age}',
                },
            },
            {
                "id": "failed",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": 502, "body": '{"code": input.code}'},
            },
        ],
        "connections": [
            {"from": "start.out", "to": "read.in"},
            {"from": "read.out", "to": "each.in"},
            {"from": "read.error", "to": "failed.in"},
            {"from": "each.item", "to": "word.in"},
            {"from": "word.out", "to": "say.in"},
            {"from": "each.done", "to": "done.in"},
        ],
    }
    return [validate, extract, _keep_input_flow()]


def _keep_input_flow() -> dict[str, Any]:
    """data/map 1.1.0 with keep_input: `keep` extends its input (the input struct is
    embedded), `bump` overrides a kept field (fields copied, the optional one too), `only`
    keeps nothing."""
    person = {
        "type": "object",
        "required": ["name", "age"],
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "nick": {"type": "string"},
        },
        "additionalProperties": False,
    }

    def mapper(nid: str, mapping: dict[str, str], keep: bool | None) -> dict[str, Any]:
        config: dict[str, Any] = {"mapping": mapping}
        if keep is not None:
            config["keep_input"] = keep
        return {"id": nid, "type": "data/map", "version": "1.1.0", "config": config}

    return {
        "nodeforge": "1",
        "id": "mapped",
        "nodes": [
            {
                "id": "start",
                "type": "trigger/manual",
                "version": "1.0.0",
                "config": {"input_schema": person},
            },
            mapper("keep", {"label": 'upper(input.name) + "!"'}, True),
            mapper("bump", {"age": "input.age + 1", "was": "input.age"}, True),
            mapper("only", {"label": "input.label"}, None),
            {
                "id": "reply",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {
                    "body": '{"keep": nodes.keep.out, "bump": nodes.bump.out, "only": input,'
                    ' "older": nodes.bump.out.age - nodes.keep.out.age}'
                },
            },
        ],
        "connections": [
            {"from": "start.out", "to": "keep.in"},
            {"from": "keep.out", "to": "bump.in"},
            {"from": "bump.out", "to": "only.in"},
            {"from": "only.out", "to": "reply.in"},
        ],
    }


@pytest.fixture(scope="module")
def llm() -> Any:
    answers: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            content = answers.pop(0) if answers else "{}"
            data = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, answers
    server.shutdown()


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = make_workspace(
        tmp_path_factory.mktemp("nodes"), *_flows(), connectors='[connectors.ai]\ntype = "llm"\n'
    )
    result = built(ws)
    assert result.binary is not None
    return result.binary


def test_data_validate_routes_valid_and_invalid_input(binary: Path) -> None:
    got, _ = run_app(binary, "check", "start", {"name": "Ana", "age": 41})
    assert (got["status"], got["body"]) == (200, {"hello": "Ana", "next_year": 42})
    got, _ = run_app(binary, "check", "start", {"name": "", "age": -1})
    assert got["status"] == 422
    assert {(e["path"], e["message"]) for e in got["body"]} == {  # type: ignore[union-attr]
        ("/name", "must be at least 1 characters long"),
        ("/age", "must be >= 0"),
    }


def test_llm_extract_foreach_and_templates(binary: Path, llm: Any) -> None:
    server, answers = llm
    env = {"NODEFORGE_CONNECTOR_AI_URL": f"http://127.0.0.1:{server.server_address[1]}/v1"}
    answers.append('{"name": "Ana María", "age": 41}')
    got, logs = run_app(binary, "booking", "start", {"text": "Ana María, 41 years"}, env)
    assert (got["status"], got["body"]) == (200, {"name": "Ana María", "age": 41})
    said = [
        json.loads(x)["msg"] for x in logs.split("\n") if x.startswith("{") and '"node":"say"' in x
    ]
    assert said == ["<Ana>", "<María>"]
    answers.append('{"name": "Bo"}')  # no age: does not match the schema
    got, _ = run_app(binary, "booking", "start", {"text": "Bo"}, env)
    assert (got["status"], got["body"]) == (502, {"code": "invalid_output"})


def test_data_map_keep_input_copies_the_input(binary: Path) -> None:
    got, _ = run_app(binary, "mapped", "start", {"name": "Ana", "age": 41, "nick": "A"})
    keep = {"name": "Ana", "age": 41, "nick": "A", "label": "ANA!"}
    assert (got["status"], got["body"]) == (
        200,
        {
            "keep": keep,
            "bump": {**keep, "age": 42, "was": 41},
            "only": {"label": "ANA!"},
            "older": 1,
        },
    )
    got, _ = run_app(binary, "mapped", "start", {"name": "Bo", "age": 0})  # no nick
    keep = {"name": "Bo", "age": 0, "label": "BO!"}
    assert got["body"] == {
        "keep": keep,
        "bump": {**keep, "age": 1, "was": 0},
        "only": {"label": "BO!"},
        "older": 1,
    }


KITCHEN = json.loads(
    (Path(__file__).parent / "golden" / "codegen" / "_inputs" / "kitchen.flow.json").read_text()
)


def test_kitchen_sink_flow_builds_and_runs_every_trigger(tmp_path: Path) -> None:
    """Three kinds of trigger, switch with unconnected cases, both http/request versions
    with error ports, SQL, foreach, templates with escapes, merge, respond headers."""
    ws = make_workspace(tmp_path / "ks", KITCHEN, connectors='[connectors.db]\ntype = "sqlite"\n')
    result = built(ws)
    assert result.binary is not None
    env = {"NODEFORGE_CONNECTOR_DB_PATH": str(tmp_path / "db.sqlite")}
    got, _ = run_app(result.binary, "kitchen", "hook", {"params": {"a": "0", "b": "0"}}, env)
    assert (got["status"], got["body"]) == (200, {"rows": [{"one": 1, "s": "x"}], "count": 1})
    assert got["headers"] == {"X-Flow": "kitchen 2"}
    got, _ = run_app(result.binary, "kitchen", "hook", {"params": {"a": "1", "b": "0"}}, env)
    assert got["status"] == 502 and got["body"]["code"] == "connection"  # type: ignore[index]
    got, _ = run_app(
        result.binary, "kitchen", "hook", {"params": {"a": "0", "b": "0"}, "query": {"x": "z"}}, env
    )
    assert got["status"] == 204
    got, _ = run_app(result.binary, "kitchen", "manual", {"hello": [1, "two"]}, env)
    assert got["body"] == {"m": {"hello": [1, "two"]}, "now": True}
    got, logs = run_app(result.binary, "kitchen", "every", {"time": "2026-01-01T07:00:00Z"}, env)
    assert "error" not in got and "tick at 2026-01-01T07:00:00Z" in logs


def test_flows_sharing_node_ids_share_one_package(tmp_path: Path) -> None:
    """Package-level names (schemas, patterns) are per flow: two flows with the same node
    ids, body schemas, validations and regular expressions build together."""

    def flow(flow_id: str) -> dict[str, Any]:
        return {
            "nodeforge": "1",
            "id": flow_id,
            "nodes": [
                {
                    "id": "hook",
                    "type": "http/trigger",
                    "version": "1.0.0",
                    "config": {"method": "POST", "path": f"/{flow_id}", "body_schema": PERSON},
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
                    "config": {"body": '{"ok": input.body.name.matches("^[A-Z]")}'},
                },
            ],
            "connections": [
                {"from": "hook.out", "to": "check.in"},
                {"from": "check.valid", "to": "reply.in"},
            ],
        }

    ws = make_workspace(tmp_path / "two", flow("first"), flow("second"))
    result = built(ws)
    assert result.binary is not None
    for flow_id in ("first", "second"):
        got, _ = run_app(result.binary, flow_id, "hook", {"body": {"name": "Ana", "age": 3}})
        assert (got["status"], got["body"]) == (200, {"ok": True})
