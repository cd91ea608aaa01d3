"""Issue 12 (part B): what the checker accepts, the app runs, and the simulator, ``app run``
and the served app give the same answer.

One workspace (FLOWS below, a SQLite connector ``db`` with ``db/db.sql``) is built once;
each test runs the same input through the simulator (``simulate``), the compiled app's
``run`` command and, where requests matter, the served app, and compares them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from nodeforge.analysis.diagnostics import Severity
from nodeforge.sandbox.nodetest import load_flow
from tests.test_build_support import BuiltApp, built, flow_doc, make_workspace

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")

DB_SQL = """
CREATE TABLE IF NOT EXISTS notes (text TEXT NOT NULL, note TEXT);
"""


def http(node_id: str, method: str, path: str, **config: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "http/trigger",
        "version": "1.0.0",
        "config": {"method": method, "path": path, **config},
    }


def node(node_id: str, type_: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "version": "1.0.0", "config": config}


def respond(node_id: str, body: str, status: int = 200) -> dict[str, Any]:
    return node(node_id, "http/respond", status=status, body=body)


flow = flow_doc


FLOWS: list[dict[str, Any]] = [
    # 8: a nullable SQL parameter binds NULL; a NULL column reads back as null
    flow(
        "nullable_sql",
        [
            http(
                "start",
                "POST",
                "/notes",
                body_schema={
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}, "note": {"type": "string"}},
                },
            ),
            node(
                "insert",
                "sql/exec",
                connector="db",
                statement="INSERT INTO notes (text, note) VALUES (?, ?)",
                params=["input.body.text", "has(input.body.note) ? input.body.note : null"],
            ),
            node(
                "read",
                "sql/query",
                connector="db",
                query="SELECT text, note FROM notes WHERE text = ?",
                params=["nodes.start.out.body.text"],
                row_schema={
                    "type": "object",
                    "required": ["text", "note"],
                    "properties": {
                        "text": {"type": "string"},
                        "note": {"type": ["string", "null"]},
                    },
                },
            ),
            respond("done", '{"note": input.rows[0].note, "n": input.count}'),
        ],
        "start -> insert",
        "insert -> read",
        "read -> done",
    ),
    # 8: a nullable value flowing through ports (data/map) and an http/respond
    flow(
        "nullable_ports",
        [
            http(
                "start",
                "POST",
                "/nullable",
                body_schema={
                    "type": "object",
                    "properties": {"nick": {"type": ["string", "null"]}, "n": {"type": "integer"}},
                },
            ),
            node(
                "pick",
                "data/map",
                mapping={
                    "nick": "has(input.body.nick) ? input.body.nick : null",
                    "n": "coalesce(input.body.n, null)",
                },
            ),
            respond("done", '{"nick": input.nick, "n": input.n, "none": input.nick == null}'),
        ],
        "start -> pick",
        "pick -> done",
    ),
    # 15: an optional object property in a body schema; 16: coalesce keeps its fallback
    flow(
        "optional_members",
        [
            http(
                "start",
                "POST",
                "/orders",
                body_schema={
                    "type": "object",
                    "required": ["sku"],
                    "properties": {
                        "sku": {"type": "string"},
                        "customer": {
                            "type": "object",
                            "required": ["email"],
                            "properties": {
                                "email": {"type": "string"},
                                "vip": {"type": "boolean"},
                            },
                        },
                        "items": {"type": "array", "items": {"type": "integer"}},
                        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                        "qty": {"type": "integer"},
                    },
                },
            ),
            node("empty", "flow/if", condition="size(coalesce(input.body.items, [])) == 0"),
            respond(
                "none",
                '{"empty": true, "customer": coalesce(input.body.customer, null), "body": input.body, '
                '"tags": size(coalesce(input.body.tags, {"a": "b"})), '
                '"qty": coalesce(input.body.qty, 1) + 1, '
                '"vip": coalesce(input.body.customer.vip, false), '
                '"has_email": has(input.body.customer.email)}',
            ),
            respond(
                "some",
                '{"empty": false, "first": coalesce(input.body.items, [7])[0], '
                '"email": has(input.body.customer) ? input.body.customer.email : "none"}',
            ),
        ],
        "start -> empty",
        "empty.true -> none",
        "empty.false -> some",
    ),
    # 10: the default body schema; 11: typed path and query parameters; 12: true messages
    flow(
        "requests",
        [
            http("plain", "POST", "/plain"),
            respond("echo", '{"body": input.body}'),
            http(
                "typed",
                "GET",
                "/items/{id}",
                params_schema={
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer", "minimum": 1}},
                },
                query_schema={
                    "type": "object",
                    "properties": {
                        "limit": {"type": "integer", "maximum": 50},
                        "verbose": {"type": "boolean"},
                        "ratio": {"type": "number"},
                        "name": {"type": "string", "minLength": 2},
                    },
                },
            ),
            respond(
                "item",
                '{"next": input.params.id + 1, "limit": coalesce(input.query.limit, 10), '
                '"verbose": coalesce(input.query.verbose, false), '
                '"ratio": coalesce(input.query.ratio, 0.5), "query": input.query}',
            ),
            http(
                "qty",
                "POST",
                "/qty",
                body_schema={
                    "type": "object",
                    "required": ["qty"],
                    "properties": {
                        "qty": {"type": "integer", "minimum": 1, "maximum": 100},
                        "name": {"type": "string", "minLength": 3, "pattern": "^[a-z]+$"},
                    },
                },
            ),
            respond("qty_ok", '{"qty": input.body.qty}'),
        ],
        "plain -> echo",
        "typed -> item",
        "qty -> qty_ok",
    ),
    # 19: the config expressions of mocked I/O nodes are evaluated (and shown)
    flow(
        "rendered",
        [
            http(
                "start",
                "POST",
                "/rendered",
                body_schema={
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}},
                },
            ),
            node(
                "insert",
                "sql/exec",
                connector="db",
                statement="INSERT INTO notes (text, note) VALUES (?, ?)",
                params=["int(input.body.code)", '"n-" + input.body.code'],
            ),
            respond("done", '{"n": input.rows_affected}'),
        ],
        "start -> insert",
        "insert -> done",
    ),
]


# -- the built workspace ------------------------------------------------------------------


App = BuiltApp


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    root = make_workspace(
        tmp_path_factory.mktemp("agreement") / "agreement",
        *FLOWS,
        connectors='[connectors.db]\ntype = "sqlite"\n',
    )
    (root / "db").mkdir()
    (root / "db" / "db.sql").write_text(DB_SQL)
    for f in FLOWS:
        a = load_flow(root / f"{f['id']}.flow.json")
        errors = [d for d in a.diagnostics if d.severity == Severity.ERROR]
        assert not errors, (f["id"], [(d.code, d.message) for d in errors])
    result = built(root)
    a = App(root, result, tmp_path_factory.mktemp("agreement-run"))
    yield a
    a.stop()


def body_of(sim: dict[str, Any]) -> tuple[Any, Any]:
    """The simulated answer's status and body, without its execution id (as the app's)."""
    response = sim.get("response") or {}
    return response.get("status"), strip_id(response.get("body"))


def strip_id(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "execution_id"}
    return body


# -- 8: T | null ----------------------------------------------------------------------------


def test_nullable_sql_parameter_binds_null_and_reads_back(app: App) -> None:
    value = {"method": "POST", "body": {"text": "plain"}}
    got = app.run("nullable_sql", "start", value)
    assert (got["status"], strip_id(got["body"])) == (200, {"note": None, "n": 1}), got
    status, body, _ = app.request("POST", "/notes", '{"text": "served", "note": "hi"}')
    assert (status, body) == (200, {"note": "hi", "n": 1})
    status, body, _ = app.request("POST", "/notes", '{"text": "served2"}')
    assert (status, body) == (200, {"note": None, "n": 1})
    # The simulator (SQL pinned) answers alike.
    sim = app.simulate(
        "nullable_sql",
        "start",
        value,
        {
            "insert": {"rows_affected": 1},
            "read": {"rows": [{"text": "plain", "note": None}], "count": 1},
        },
    )
    assert body_of(sim) == (200, {"note": None, "n": 1})


@pytest.mark.parametrize(
    "body",
    [{}, {"nick": None}, {"nick": "ana"}, {"n": 3}, {"nick": "bo", "n": 0}],
)
def test_nullable_ports_agree(app: App, body: dict[str, Any]) -> None:
    value = {"method": "POST", "body": body}
    sim = app.simulate("nullable_ports", "start", value)
    got = app.run("nullable_ports", "start", value)
    assert body_of(sim) == (got["status"], strip_id(got["body"]))
    status, answer, _ = app.request("POST", "/nullable", json.dumps(body))
    assert (status, answer) == body_of(sim)


# -- 15, 16: optional members, coalesce -------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"sku": "a"},
        {"sku": "a", "items": []},
        {"sku": "a", "items": [4, 5]},
        {"sku": "a", "customer": {"email": "x@y"}},
        {"sku": "a", "customer": {"email": "x@y", "vip": True}, "tags": {}, "qty": 2},
        {"sku": "a", "customer": {"email": "x@y"}, "items": [1]},
    ],
)
def test_optional_members_and_coalesce_agree(app: App, body: dict[str, Any]) -> None:
    value = {"method": "POST", "body": body}
    sim = app.simulate("optional_members", "start", value)
    assert sim["status"] == "done", sim
    got = app.run("optional_members", "start", value)
    assert body_of(sim) == (got["status"], strip_id(got["body"]))
    status, answer, _ = app.request("POST", "/orders", json.dumps(body))
    assert (status, answer) == body_of(sim)


# -- 10: the default body schema ------------------------------------------------------------


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "5", "null", "true", '{"a": 1}', ""])
def test_default_body_schema_answers_alike(app: App, raw: str) -> None:
    """Without a `body_schema` the body must be an object (`{"type": "object"}`), and an
    empty body reads as `{}`: the simulator, `app run` and the served app answer alike."""
    status, answer, headers = app.request("POST", "/plain", raw)
    value: dict[str, Any] = {"method": "POST"}
    if raw:
        value["body"] = json.loads(raw)
    sim = app.simulate("requests", "plain", value)
    got = app.run("requests", "plain", value)
    assert body_of(sim) == (got["status"], strip_id(got["body"]))
    assert (status, strip_id(answer)) == body_of(sim)
    if raw in ("", '{"a": 1}'):
        assert status == 200
    else:
        assert status == 400
        assert headers.get("Content-Type") == "application/problem+json"
        assert answer["errors"][0]["pointer"] == ""
        assert answer["errors"][0]["message"].startswith("expected object, got ")


# -- 11: typed path and query parameters ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "query"),
    [
        ("/items/7", {"id": "7"}, {}),
        ("/items/abc", {"id": "abc"}, {}),
        ("/items/0", {"id": "0"}, {}),
        ("/items/1.5", {"id": "1.5"}, {}),
        ("/items/99999999999999999999", {"id": "99999999999999999999"}, {}),
        ("/items/-3", {"id": "-3"}, {}),
        (
            "/items/3?limit=5&verbose=true&ratio=2.5e-1",
            {"id": "3"},
            {"limit": "5", "verbose": "true", "ratio": "2.5e-1"},
        ),
        ("/items/3?limit=500", {"id": "3"}, {"limit": "500"}),
        ("/items/3?limit=x&verbose=yes", {"id": "3"}, {"limit": "x", "verbose": "yes"}),
        ("/items/3?ratio=01&name=a", {"id": "3"}, {"ratio": "01", "name": "a"}),
        ("/items/3?other=1&name=ana", {"id": "3"}, {"other": "1", "name": "ana"}),
    ],
)
def test_typed_parameters_answer_alike(
    app: App, url: str, params: dict[str, str], query: dict[str, str]
) -> None:
    value = {"method": "GET", "params": params, "query": query}
    sim = app.simulate("requests", "typed", value)
    got = app.run("requests", "typed", value)
    assert body_of(sim) == (got["status"], strip_id(got["body"]))
    status, answer, _ = app.request("GET", url)
    assert (status, strip_id(answer)) == body_of(sim)
    if params["id"] == "7":
        assert answer == {"next": 8, "limit": 10, "verbose": False, "ratio": 0.5, "query": {}}
    if params["id"] == "abc":
        assert status == 400
        assert answer["title"] == "Invalid path parameters"
        assert answer["errors"] == [{"pointer": "/id", "message": "expected integer, got string"}]


# -- 12: true validation messages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ('{"qty": 1.5}', [{"pointer": "/qty", "message": "expected integer, got number"}]),
        ('{"qty": 0.5}', [{"pointer": "/qty", "message": "expected integer, got number"}]),
        ('{"qty": 1e30}', [{"pointer": "/qty", "message": "integer out of range"}]),
        ('{"qty": "7"}', [{"pointer": "/qty", "message": "expected integer, got string"}]),
        ('{"qty": 0}', [{"pointer": "/qty", "message": "must be >= 1"}]),
        (
            '{"qty": 5, "name": 12}',
            [{"pointer": "/name", "message": "expected string, got integer"}],
        ),
        (
            '{"qty": 5, "name": "AB"}',
            [
                {"pointer": "/name", "message": "must be at least 3 characters long"},
                {"pointer": "/name", "message": 'must match the pattern "^[a-z]+$"'},
            ],
        ),
    ],
)
def test_validation_messages_are_true(app: App, body: str, errors: list[dict[str, str]]) -> None:
    status, answer, _ = app.request("POST", "/qty", body)
    assert (status, answer["errors"]) == (400, errors)
    value = {"method": "POST", "body": json.loads(body)}
    sim = app.simulate("requests", "qty", value)
    got = app.run("requests", "qty", value)
    assert body_of(sim) == (got["status"], strip_id(got["body"])) == (400, strip_id(answer))


# -- 19: the simulator renders what mocked I/O nodes would send -------------------------------


def test_simulator_renders_io_config_and_fails_like_the_app(app: App) -> None:
    fixtures = {"insert": {"rows_affected": 1}}
    ok = {"method": "POST", "body": {"code": "12"}}
    sim = app.simulate("rendered", "start", ok, fixtures)
    assert body_of(sim) == (200, {"n": 1})
    assert sim["nodes"]["insert"]["rendered"] == {"params[0]": 12, "params[1]": "n-12"}
    got = app.run("rendered", "start", ok, fixtures)
    assert (got["status"], strip_id(got["body"])) == (200, {"n": 1})

    bad = {"method": "POST", "body": {"code": "A"}}
    sim = app.simulate("rendered", "start", bad, fixtures)
    assert sim["status"] == "failed"
    assert sim["nodes"]["insert"]["status"] == "error"
    assert "int" in sim["error"] or "A" in sim["error"], sim["error"]
    assert body_of(sim)[0] == 500
    for fx in (fixtures, None):  # pinned or not, the app fails at the same expression
        got = app.run("rendered", "start", bad, fx)
        assert got["status"] == 500 and got["error"] == sim["error"], (got, sim["error"])
    status, answer, _ = app.request("POST", "/rendered", '{"code": "A"}')
    assert status == 500 and answer["error"] == "internal error"
