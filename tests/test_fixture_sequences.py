"""Fixture sequences (issue 12, item 20): `{"$sequence": [...]}` pins one response per
call of a node (e.g. per flow/foreach item), in the simulator and the checker; the Go
runtime's side is catalog/nf/fixtures_test.go and the examples' flow tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.fixtures import FixtureCalls, FixtureExhausted, all_problems
from nodeforge.sandbox.simulate import Simulation, SimulationError, simulate


def _doc(tests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "nodeforge": "1",
        "id": "seq",
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {
                "id": "each",
                "type": "flow/foreach",
                "version": "1.0.0",
                "config": {"list": "input.skus"},
            },
            {
                "id": "stock",
                "type": "http/request",
                "version": "1.1.0",
                "config": {
                    "method": "GET",
                    "url": "https://warehouse.example/stock/{{ input }}",
                    "response_schema": {
                        "type": "object",
                        "required": ["available"],
                        "properties": {"available": {"type": "integer"}},
                    },
                },
            },
            {
                "id": "note",
                "type": "util/log",
                "version": "1.0.0",
                "config": {"message": "{{ input.body.available }}"},
            },
            {
                "id": "failed",
                "type": "util/log",
                "version": "1.0.0",
                "config": {"message": "{{ input.message }}"},
            },
        ],
        "connections": [
            {"from": "start.out", "to": "each.in"},
            {"from": "each.item", "to": "stock.in"},
            {"from": "stock.out", "to": "note.in"},
            {"from": "stock.error", "to": "failed.in"},
        ],
        "tests": tests or [],
    }


def _analysis(tests: list[dict[str, Any]] | None = None) -> Analysis:
    return analyze(json.dumps(_doc(tests)), uri="file:///seq.flow.json")


def _answer(n: int) -> dict[str, Any]:
    return {"status": 200, "headers": {}, "body": {"available": n}}


def test_each_call_takes_the_next_response() -> None:
    a = _analysis()
    fixtures = {"stock": {"$sequence": [_answer(3), _answer(0), _answer(7)]}}
    r = simulate(a, {"skus": ["A", "B", "C"]}, fixtures=fixtures, env={})
    assert r["status"] == "done", r["error"]
    conn = next(c for c in r["connections"] if c["from"] == "stock.out")
    assert [v["body"]["available"] for v in conn["values"]] == [3, 0, 7]
    assert r["nodes"]["stock"]["runs"] == 3 and r["nodes"]["stock"]["status"] == "pinned"
    # each call still renders what it would have sent
    assert r["nodes"]["stock"]["rendered"] == {"url": "https://warehouse.example/stock/C"}


def test_a_response_may_pin_a_failure() -> None:
    a = _analysis()
    failure = {"$error": {"message": "warehouse down", "code": "http_503"}}
    fixtures = {"stock": {"$sequence": [_answer(1), failure]}}
    r = simulate(a, {"skus": ["A", "B"]}, fixtures=fixtures, env={})
    assert r["status"] == "done", r["error"]
    failed = next(c for c in r["connections"] if c["from"] == "stock.error")
    assert [v["message"] for v in failed["values"]] == ["warehouse down"]
    ok = next(c for c in r["connections"] if c["from"] == "stock.out")
    assert ok["count"] == 1


def test_a_call_past_the_sequence_fails_the_execution() -> None:
    a = _analysis()
    fixtures = {"stock": {"$sequence": [_answer(1), _answer(2)]}}
    r = simulate(a, {"skus": ["A", "B", "C"]}, fixtures=fixtures, env={})
    assert r["status"] == "failed"
    assert r["error"] == "fixture of node stock: call 3, but its $sequence has 2 responses"
    assert r["response"]["status"] == 500
    assert r["nodes"]["stock"]["status"] == "error"


def test_a_plain_fixture_answers_every_call_and_calls_count_per_execution() -> None:
    a = _analysis()
    r = simulate(a, {"skus": ["A", "B"]}, fixtures={"stock": _answer(5)}, env={})
    assert r["status"] == "done"
    fixtures = {"stock": {"$sequence": [_answer(1)]}}
    for _ in range(2):  # a new execution starts at the first response again
        assert simulate(a, {"skus": ["A"]}, fixtures=fixtures, env={})["status"] == "done"
    # an object with `$sequence` and another key is a plain value
    calls = FixtureCalls({"x": {"$sequence": [1], "other": 2}})
    assert calls.take("x") == calls.take("x") == {"$sequence": [1], "other": 2}
    calls = FixtureCalls({"x": {"$sequence": [1]}})
    assert calls.take("x") == 1
    with pytest.raises(FixtureExhausted, match=r"call 2, but its \$sequence has 1 response$"):
        calls.take("x")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"$sequence": []}, "`$sequence` is empty: give one response per call"),
        ({"$sequence": {"a": 1}}, "`$sequence` must be a list of responses"),
        ({"$sequence": [{"$sequence": [1]}]}, "cannot be a `$sequence` itself"),
    ],
)
def test_malformed_sequences_are_refused(value: Any, message: str) -> None:
    a = _analysis()
    with pytest.raises(SimulationError, match="fixture of node `stock`: ") as info:
        Simulation(a, fixtures={"stock": value})
    assert message in str(info.value)
    assert all_problems({"stock": value})[0][1].endswith(message)


def test_the_checker_locates_bad_test_fixtures() -> None:
    tests = [
        {
            "name": "t",
            "trigger": "start",
            "input": {"skus": []},
            "fixtures": {
                "stock": {"$sequence": []},
                "stok": {"status": 200},
                "note": {"$sequence": [1, {"$sequence": [2]}]},
            },
        }
    ]
    text = json.dumps(_doc(tests), indent=2)
    a = analyze(text, uri="file:///seq.flow.json")
    found = sorted(
        (text[d.span.start : d.span.end], d.message) for d in a.diagnostics if d.code == "NF024"
    )
    assert found == [
        ('"stok"', "Fixture for `stok`, which is not a node of this flow; did you mean `stock`?"),
        (
            "[]",
            "Fixture of node `stock`: `$sequence` is empty: give one response per call",
        ),
        (
            '{\n              "$sequence": [\n                2\n              ]\n            }',
            "Fixture of node `note`: a response of `$sequence` cannot be a `$sequence` itself",
        ),
    ]
    good = [{"name": "t", "trigger": "start", "fixtures": {"stock": {"$sequence": [1]}}}]
    assert not [d for d in _analysis(good).diagnostics if d.code == "NF024"]
