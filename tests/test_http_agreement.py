"""Issue 12 items 9, 18 and 23: the simulator, ``app run`` and the served app agree on

- which port an ``http/request`` answer takes (9): ``4xx`` through ``error`` by default,
  through ``out`` with 1.2.0's ``client_errors: "out"``; a pinned answer (fixture) takes
  the port a live one with its status takes;
- the answer to an invalid request that the flow shapes itself from http/trigger 1.1.0's
  ``invalid`` port (18);
- data/validate 1.1.0 checking a chosen ``value`` (23).

One workspace is built once; an upstream HTTP server in this process answers the served
app's live calls with the status its path names (``/status/404``).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nodeforge.analysis.diagnostics import Severity
from nodeforge.sandbox.nodetest import load_flow
from tests.test_build_support import BuiltApp, built, flow_doc, flow_node, make_workspace

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")


node = flow_node


flow = flow_doc


STATUS_BODY = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "integer"}},
}


def upstream_flow(flow_id: str, path: str, version: str, **extra: Any) -> dict[str, Any]:
    """POST ``path`` {status}: calls the upstream for that status; answers 200 with what
    left through ``out`` or 502 with the node error."""
    return flow(
        flow_id,
        [
            node("start", "http/trigger", method="POST", path=path, body_schema=STATUS_BODY),
            node(
                "call",
                "http/request",
                version,
                method="GET",
                url="{{ env.UPSTREAM }}/status/{{ input.body.status }}?token=t",
                **extra,
            ),
            node(
                "ok",
                "http/respond",
                status=200,
                body='{"status": input.status, "body": input.body}',
            ),
            node(
                "failed",
                "http/respond",
                status=502,
                body='{"code": input.code, "message": input.message, "retryable": input.retryable}',
            ),
        ],
        "start -> call",
        "call.out -> ok",
        "call.error -> failed",
    )


ADDRESS = {
    "type": "object",
    "required": ["city", "zip"],
    "properties": {
        "city": {"type": "string", "minLength": 1},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
    },
}

# 23: data/validate 1.1.0 checks the body's `address` only; `valid` carries the address.
VALIDATE_VALUE = flow(
    "validate_value",
    [
        node("start", "http/trigger", method="POST", path="/address"),
        node("check", "data/validate", "1.1.0", schema=ADDRESS, value="input.body.address"),
        node(
            "ok",
            "http/respond",
            status=200,
            body='{"city": input.city, "zip": input.zip, "name": nodes.start.out.body.name}',
        ),
        node("bad", "http/respond", status=422, body='{"errors": input.errors}'),
    ],
    "start -> check",
    "check.valid -> ok",
    "check.invalid -> bad",
)

ORDER_TRIGGER: dict[str, Any] = {
    "method": "POST",
    "path": "/orders/{id}",
    "params_schema": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer", "minimum": 1}},
    },
    "query_schema": {
        "type": "object",
        "properties": {"limit": {"type": "integer", "maximum": 100}},
    },
    "body_schema": {
        "type": "object",
        "required": ["qty"],
        "properties": {"qty": {"type": "integer", "minimum": 1}},
    },
}

# 18: the flow answers invalid requests in its own format (http/trigger 1.1.0 `invalid`)
SHAPED = flow(
    "shaped_invalid",
    [
        node("start", "http/trigger", "1.1.0", **ORDER_TRIGGER),
        node(
            "created",
            "http/respond",
            status=201,
            body='{"id": input.params.id, "qty": input.body.qty}',
        ),
        node(
            "refused",
            "http/respond",
            status=422,
            body='{"error": {"code": "validation", "reason": input.title, "status": input.status,'
            ' "fields": input.errors.map(e, e.pointer), "first": input.errors[0].message}}',
        ),
    ],
    "start -> created",
    "start.invalid -> refused",
)
# the same trigger 1.1.0 with `invalid` unconnected: the default problem+json answer
DEFAULT_INVALID = flow(
    "default_invalid",
    [
        node("start", "http/trigger", "1.1.0", **{**ORDER_TRIGGER, "path": "/plain/{id}"}),
        node("created", "http/respond", status=201, body='{"id": input.params.id}'),
    ],
    "start -> created",
)

FLOWS: list[dict[str, Any]] = [
    SHAPED,
    DEFAULT_INVALID,
    upstream_flow("call_v11", "/v11", "1.1.0"),
    upstream_flow("call_default", "/default", "1.2.0"),
    upstream_flow("call_out", "/out", "1.2.0", client_errors="out"),
    VALIDATE_VALUE,
]


class Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = int(self.path.split("?")[0].rsplit("/", 1)[-1])
        body = json.dumps({"error": f"upstream says {status}"} if status >= 400 else {"n": 1})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


App = BuiltApp


def ask(app: App, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """The served app's status and JSON answer to ``body`` (JSON-encoded unless text)."""
    data = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    status, answer, _ = app.request(method, path, data)
    return status, answer


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = make_workspace(tmp_path_factory.mktemp("h3") / "http_agreement", *FLOWS)
    for f in FLOWS:
        a = load_flow(root / f"{f['id']}.flow.json")
        errors = [d for d in a.diagnostics if d.severity == Severity.ERROR]
        assert not errors, (f["id"], [(d.code, d.message) for d in errors])
    result = built(root)
    upstream = {"UPSTREAM": f"http://127.0.0.1:{server.server_port}"}
    a = App(root, result, tmp_path_factory.mktemp("h3-run"), upstream)
    yield a
    a.stop()
    server.shutdown()


def answer(sim: dict[str, Any]) -> tuple[Any, Any]:
    response = sim.get("response") or {}
    return response.get("status"), response.get("body")


# -- 9: which port an http/request answer takes --------------------------------------------


def pinned(status: int) -> dict[str, Any]:
    body = {"error": f"upstream says {status}"} if status >= 400 else {"n": 1}
    return {"call": {"status": status, "headers": {}, "body": body}}


def expected(app: App, status: int, client_errors_out: bool) -> tuple[int, Any]:
    if status < 400 or (status < 500 and client_errors_out):
        body = {"error": f"upstream says {status}"} if status >= 400 else {"n": 1}
        return 200, {"status": status, "body": body}
    message = (
        f"GET {app.extra_env['UPSTREAM']}/status/{status}: HTTP {status}: upstream says {status}"
    )
    return 502, {"code": f"http_{status}", "message": message, "retryable": status >= 500}


@pytest.mark.parametrize(
    ("flow_id", "path", "out"),
    [("call_v11", "/v11", False), ("call_default", "/default", False), ("call_out", "/out", True)],
)
@pytest.mark.parametrize("status", [200, 404, 422, 503])
def test_http_request_answers_take_one_port_everywhere(
    app: App, flow_id: str, path: str, out: bool, status: int
) -> None:
    want = expected(app, status, out)
    value = {"method": "POST", "body": {"status": status}}
    sim = app.simulate(flow_id, "start", value, pinned(status))
    assert answer(sim) == want, sim
    got = app.run(flow_id, "start", value, pinned(status))
    assert (got["status"], got["body"]) == want, got
    assert ask(app, "POST", path, {"status": status}) == want


# -- 23: data/validate checks a chosen value ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "want"),
    [
        (
            {"name": "Ada", "address": {"city": "Paris", "zip": "75001"}},
            (200, {"city": "Paris", "zip": "75001", "name": "Ada"}),
        ),
        (
            {"name": "Ada", "address": {"city": "", "zip": "7500"}},
            (
                422,
                {
                    "errors": [
                        {"path": "/city", "message": "must be at least 1 characters long"},
                        {"path": "/zip", "message": 'must match the pattern "^[0-9]{5}$"'},
                    ]
                },
            ),
        ),
        (
            {"name": "Ada", "address": {"zip": "75001"}},
            (422, {"errors": [{"path": "/city", "message": "required field is missing"}]}),
        ),
    ],
)
def test_validate_checks_the_chosen_value_everywhere(
    app: App, body: dict[str, Any], want: tuple[int, Any]
) -> None:
    value = {"method": "POST", "body": body}
    assert answer(app.simulate("validate_value", "start", value)) == want
    got = app.run("validate_value", "start", value)
    assert (got["status"], got["body"]) == want, got
    assert ask(app, "POST", "/address", body) == want


# -- 18: invalid requests answered by the flow ------------------------------------------------


def refused(reason: str, pointer: str, message: str) -> tuple[int, Any]:
    error = {"code": "validation", "reason": reason, "status": 400, "fields": [pointer]}
    return 422, {"error": {**error, "first": message}}


@pytest.mark.parametrize(
    ("id_", "query", "body", "want"),
    [
        ("7", {}, {"qty": 2}, (201, {"id": 7, "qty": 2})),
        ("7", {}, {"qty": 0}, refused("Invalid request body", "/qty", "must be >= 1")),
        (
            "abc",
            {},
            {"qty": 2},
            refused("Invalid path parameters", "/id", "expected integer, got string"),
        ),
        (
            "7",
            {"limit": "500"},
            {"qty": 2},
            refused("Invalid query parameters", "/limit", "must be <= 100"),
        ),
    ],
)
def test_the_flow_shapes_the_answer_to_an_invalid_request(
    app: App, id_: str, query: dict[str, str], body: Any, want: tuple[int, Any]
) -> None:
    value = {"method": "POST", "params": {"id": id_}, "query": query, "body": body}
    sim = app.simulate("shaped_invalid", "start", value)
    assert answer(sim) == want, sim
    got = app.run("shaped_invalid", "start", value)
    assert (got["status"], got["body"]) == want, got
    qs = "".join(f"?{k}={v}" for k, v in query.items())
    assert ask(app, "POST", f"/orders/{id_}{qs}", body) == want


def test_a_body_that_is_not_json_reaches_the_invalid_port_when_served(app: App) -> None:
    status, body = ask(app, "POST", "/orders/7", '{"qty": ')
    assert status == 422
    assert body["error"]["reason"] == "Request body is not valid JSON"


def test_unconnected_invalid_keeps_the_default_problem(app: App) -> None:
    value = {"method": "POST", "params": {"id": "7"}, "body": {"qty": 0}}
    problem = {
        "title": "Invalid request body",
        "status": 400,
        "errors": [{"pointer": "/qty", "message": "must be >= 1"}],
    }
    sim = answer(app.simulate("default_invalid", "start", value))
    assert (sim[0], {k: v for k, v in sim[1].items() if k != "execution_id"}) == (400, problem)
    got = app.run("default_invalid", "start", value)
    assert got["status"] == 400
    assert {k: v for k, v in got["body"].items() if k != "execution_id"} == problem
    status, body = ask(app, "POST", "/plain/7", {"qty": 0})
    assert (status, {k: v for k, v in body.items() if k != "execution_id"}) == (400, problem)
