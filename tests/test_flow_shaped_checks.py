"""Issue 12 items 18 and 23 as the checker and the simulator see them (the agreement with
the compiled app is in tests/test_http_agreement.py)."""

from __future__ import annotations

import json
from typing import Any

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.sandbox.simulate import simulate


def node(
    nid: str, type_: str, config: dict[str, Any] | None = None, version: str = "1.0.0"
) -> dict[str, Any]:
    return {"id": nid, "type": type_, "version": version, "config": config or {}}


def flow(nodes: list[dict[str, Any]], connections: list[tuple[str, str]]) -> Analysis:
    doc = {
        "nodeforge": "1",
        "id": "shaped",
        "nodes": nodes,
        "connections": [{"from": a, "to": b} for a, b in connections],
    }
    return analyze(json.dumps(doc), uri="file:///shaped.flow.json")


def errors(a: Analysis) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in a.diagnostics if d.severity == Severity.ERROR]


# -- 23: data/validate 1.1.0 `value` ----------------------------------------------------------

ORDER = {
    "type": "object",
    "required": ["customer"],
    "properties": {
        "customer": {
            "type": "object",
            "properties": {"email": {"type": "string"}, "age": {"type": "integer"}},
        }
    },
    "additionalProperties": False,
}
EMAIL = {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}}


def validate_flow(value: str | None, after: str) -> Analysis:
    cfg: dict[str, Any] = {"schema": EMAIL}
    if value is not None:
        cfg["value"] = value
    return flow(
        [
            node("start", "trigger/manual", {"input_schema": ORDER}),
            node("check", "data/validate", cfg, "1.1.0"),
            node("next", "data/map", {"mapping": {"x": after}}),
        ],
        [("start.out", "check.in"), ("check.valid", "next.in")],
    )


def test_validate_value_is_type_checked_and_valid_is_typed_by_the_schema() -> None:
    ok = validate_flow("input.customer", "input.email + '!'")
    assert errors(ok) == []
    # the value expression is checked against the input's type (a did-you-mean)
    typo = validate_flow("input.custmer", "input.email")
    assert any("custmer" in m for _, m in errors(typo)), errors(typo)
    # `valid` is the schema's type: a string, so `+ 1` is a type error
    wrong = validate_flow("input.customer", "input.email + 1")
    assert errors(wrong), "valid must be typed by the schema"


def test_validate_value_simulates_the_chosen_value() -> None:
    a = validate_flow("input.customer", "input.email")
    r = simulate(a, {"customer": {"email": "a@b"}})
    assert r["nodes"]["check"]["outputs"] == {"valid": {"email": "a@b"}}
    r = simulate(a, {"customer": {"age": 3}})
    assert r["nodes"]["check"]["outputs"]["invalid"] == {
        "errors": [{"path": "/email", "message": "required field is missing"}],
        "input": {"customer": {"age": 3}},
    }


def test_validate_without_value_checks_the_whole_input_as_1_0_0() -> None:
    a = validate_flow(None, "input.email")
    r = simulate(a, {"customer": {"email": "a@b"}})
    assert r["nodes"]["check"]["outputs"]["invalid"]["errors"] == [
        {"path": "/email", "message": "required field is missing"}
    ]


# -- 18: http/trigger 1.1.0 `invalid` ----------------------------------------------------------

BODY = {"type": "object", "required": ["qty"], "properties": {"qty": {"type": "integer"}}}


def shaped(refused_body: str) -> Analysis:
    return flow(
        [
            node(
                "req",
                "http/trigger",
                {"method": "POST", "path": "/o", "body_schema": BODY},
                "1.1.0",
            ),
            node("ok", "http/respond", {"status": 201, "body": "input.body"}),
            node("bad", "http/respond", {"status": 422, "body": refused_body}),
        ],
        [("req.out", "ok.in"), ("req.invalid", "bad.in")],
    )


def test_the_invalid_port_is_typed_as_the_problem() -> None:
    good = shaped(
        '{"why": input.title, "n": input.status + 0, "at": input.errors.map(e, e.pointer)}'
    )
    assert errors(good) == []
    wrong = shaped('{"why": input.title + 1}')
    assert any(code == "NF018" for code, _ in errors(wrong)), errors(wrong)
    unknown = shaped('{"why": input.body}')
    assert errors(unknown), "the problem has no `body`"


def test_reading_the_request_after_invalid_is_an_error() -> None:
    a = shaped('{"qty": nodes.req.out.body.qty}')
    found = [m for code, m in errors(a) if code == "NF019"]
    assert found and "req.invalid" in found[0], errors(a)
    # on the `out` path it is fine
    ok = flow(
        [
            node(
                "req",
                "http/trigger",
                {"method": "POST", "path": "/o", "body_schema": BODY},
                "1.1.0",
            ),
            node("ok", "http/respond", {"status": 201, "body": "{'q': nodes.req.out.body.qty}"}),
            node("bad", "http/respond", {"status": 422, "body": "input"}),
        ],
        [("req.out", "ok.in"), ("req.invalid", "bad.in")],
    )
    assert errors(ok) == []


def test_the_simulator_runs_the_invalid_port_or_answers_the_default() -> None:
    a = shaped('{"why": input.title, "at": input.errors.map(e, e.pointer)}')
    r = simulate(a, {"body": {"qty": "x"}})
    assert r["response"] == {"status": 422, "body": {"why": "Invalid request body", "at": ["/qty"]}}
    assert r["nodes"]["req"]["outputs"]["invalid"]["status"] == 400
    plain = flow(
        [
            node(
                "req",
                "http/trigger",
                {"method": "POST", "path": "/o", "body_schema": BODY},
                "1.1.0",
            ),
            node("ok", "http/respond", {"status": 201}),
        ],
        [("req.out", "ok.in")],
    )
    r = simulate(plain, {"body": {"qty": "x"}})
    assert r["response"]["status"] == 400
    assert r["response"]["headers"] == {"Content-Type": "application/problem+json"}
