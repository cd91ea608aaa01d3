"""Compiled expressions agree with the Python evaluator (docs/expressions.md semantics).

One flow maps many expressions over a typed input (and over the same values untyped, so
both the plain-Go paths and the dynamic nf helpers run); the compiled app's answer is
compared with ``evaluate`` on the same input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.expressions import EvalScope, evaluate, parse
from tests.test_build_support import built, make_workspace, needs_go, run_app

pytestmark = needs_go

INPUT_SCHEMA = {
    "type": "object",
    "required": ["n", "f", "s", "b", "items", "names", "tags", "nested"],
    "properties": {
        "n": {"type": "integer"},
        "f": {"type": "number"},
        "s": {"type": "string"},
        "b": {"type": "boolean"},
        "opt": {"type": "string"},
        "missing": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku", "qty"],
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
            },
        },
        "names": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "nested": {"type": "object", "properties": {"deep": {"type": "object"}}},
        "dyn": {},
        "ks": {"type": "array", "items": {"type": "integer"}},
    },
}

INPUT: dict[str, Any] = {
    "n": 7,
    "f": 2.5,
    "s": " Héllo, World ",
    "b": True,
    "opt": "here",
    "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": -3}],
    "names": ["ana", "bo"],
    "tags": {"color": "red"},
    "nested": {"deep": {"x": [1, 2.5, "three", None, True]}},
    "dyn": {"n": 7, "f": 2.5, "s": "dyn", "l": [1, 2, 3], "m": {"k": "v"}, "t": True},
    "ks": [0, 2],
}

EXPRESSIONS = [
    "input.n + 3",
    "input.n - 10",
    "input.n * input.n",
    "input.n / 2",
    "-input.n / 2",
    "input.n % 3",
    "-input.n % 3",
    "input.n / 2.0",
    "input.f * 2",
    "input.n + input.f",
    "1.0 - 0.1",
    "0.1 + 0.2",
    "input.n > 5 && input.f < 3.0",
    "input.n == 7.0",
    "input.b == true",
    "!input.b || input.n != 7",
    'input.s + "!"',
    "size(input.s)",
    "trim(input.s)",
    "lower(input.s)",
    "upper(input.s)",
    'input.s.contains("World")',
    'input.s.startsWith(" H")',
    'trim(input.s).endsWith("World")',
    'input.s.matches("W[a-z]+d")',
    'split("a,b,,c", ",")',
    'join(input.names, "+")',
    "join(input.names)",
    "string(input.n)",
    "string(input.f)",
    "string(0.1 + 0.2)",
    "string(1e21)",
    "string(input.b)",
    'int("42")',
    "int(input.f)",
    "int(-2.7)",
    "double(input.n)",
    'double("1e3")',
    "input.items[0].sku",
    "input.items[1].qty * 2",
    "size(input.items)",
    "input.items[size(input.items) - 1].sku",
    '"ana" in input.names',
    '"zed" in input.names',
    '"color" in input.tags',
    "input.tags.color",
    'input.tags["color"]',
    "has(input.opt)",
    "has(input.missing)",
    'coalesce(input.missing, "fallback")',
    'coalesce(input.opt, "fallback")',
    'input.n > 5 ? "big" : "small"',
    'input.n > 50 ? input.items[5].sku : "safe"',
    "[input.n, input.n * 2]",
    '{"a": input.n, "b": [input.s], "c": {"d": input.b}}',
    "input.nested.deep",
    "input.dyn.n + 1",
    "input.dyn.f * 2",
    "input.dyn.n / 2",
    'input.dyn.s + "!"',
    "input.dyn.l[1]",
    "size(input.dyn.l)",
    "input.dyn.m.k",
    "has(input.dyn.m)",
    "has(input.dyn.zzz)",
    "coalesce(input.dyn.zzz, input.dyn.s)",
    "input.dyn.n == 7",
    "input.dyn.n < input.dyn.f",
    "2 in input.dyn.l",
    "input.dyn.t && true",
    "string(input.dyn.f)",
    "int(input.dyn.f)",
    '{"k": input.dyn.l}',
    "null",
    "coalesce(null, 3)",
    'size("日本語")',
    # list macros
    "input.items.map(i, i.qty * 2)",
    "input.items.map(i, i.sku)",
    "input.items.filter(i, i.qty > 0)",
    "input.items.map(i, i.qty > 0, i.sku.lower())",
    'input.items.exists(i, i.sku == "B2")',
    'input.items.exists(i, i.sku == "Z")',
    "input.items.all(i, i.qty > 0)",
    "input.items.all(i, i.qty > -5)",
    "[].all(i, i > 0)",
    'input.names.exists_one(n, n.startsWith("a"))',
    "input.names.exists_one(n, size(n) < 5)",
    "input.names.map(n, size(n))",
    "input.names.map(n, input.items.map(i, n + i.sku))",
    "input.items.exists(i, 10 / (i.qty - 2) < 0)",
    "input.items.all(i, 10 / (i.qty - 2) > 0)",
    "input.dyn.l.map(x, x * 2)",
    "input.dyn.l.filter(x, x > 1)",
    "input.dyn.l.exists(x, x == 3)",
    "input.nested.deep.x.map(v, string(v))",
    "[1, 2, 3].map(x, x * input.n)",
    "input.items.map(i, has(i.sku))",
    "size(input.items.filter(i, i.qty > 0)) + 1",
    'input.items.map(i, {"s": i.sku, "twice": i.qty * 2})',
    "input.items.filter(i, i.qty < 0)[0].sku",
    "input.items.map(i, [i.qty, i.qty + 1]).map(l, l[1])",
    "input.ks.exists(k, 10 / k > 4)",
    "input.ks.all(k, 10 / k > 6)",
    'input.tags.color in input.names.map(n, n + "x")',
]


def _flow() -> dict[str, Any]:
    mapping = {f"e{i:02d}": src for i, src in enumerate(EXPRESSIONS)}
    return {
        "nodeforge": "1",
        "id": "exprs",
        "nodes": [
            {
                "id": "start",
                "type": "trigger/manual",
                "version": "1.0.0",
                "config": {"input_schema": INPUT_SCHEMA},
            },
            {"id": "calc", "type": "data/map", "version": "1.1.0", "config": {"mapping": mapping}},
            {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
        ],
        "connections": [
            {"from": "start.out", "to": "calc.in"},
            {"from": "calc.out", "to": "reply.in"},
        ],
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("exprs"), _flow())
    result = built(ws)
    assert result.binary is not None
    return result.binary


def test_compiled_expressions_match_the_evaluator(binary: Path) -> None:
    got, logs = run_app(binary, "exprs", "start", INPUT)
    assert got.get("status") == 200, (got, logs)
    body = got["body"]
    assert isinstance(body, dict)
    wrong = []
    for i, src in enumerate(EXPRESSIONS):
        expr = parse(src).expr
        assert expr is not None, src
        want = evaluate(expr, EvalScope(input=INPUT))
        have = body.get(f"e{i:02d}")
        if not _same(want, have):
            wrong.append(f"{src}: evaluator {want!r}, Go {have!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"items": []}, "out of range"),
        ({"n": 9223372036854775807}, "integer overflow"),
        ({"dyn": {"n": "x"}}, "cannot"),
        ({"ks": [0, 3]}, "division by zero"),
        ({"ks": [3, 0]}, "division by zero"),
        ({"nested": {"deep": {"x": "abc"}}}, "`map` expects a list, got string"),
    ],
)
def test_run_time_errors_fail_the_execution(
    binary: Path, change: dict[str, Any], message: str
) -> None:
    got, _ = run_app(binary, "exprs", "start", {**INPUT, **change})
    assert got.get("status") == 500
    assert message in str(got.get("error")), got


def test_invalid_manual_input_is_rejected(binary: Path) -> None:
    got, _ = run_app(binary, "exprs", "start", {"n": "seven"})
    assert got.get("status") == 400
    body = got["body"]
    assert isinstance(body, dict)
    assert any(e["pointer"] == "/n" for e in body["errors"])
