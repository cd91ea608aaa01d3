"""Issue 12 item 22: flow/foreach 1.1.0 collects what its body produced (`collect`), as the
checker, the simulator and the built app see it; and the current element that body nodes
read as `nodes.<loop>.item` in the simulator (it was the last element for every item)."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.types import ArrayType, BoolType, IntType, ObjectType, StringType
from nodeforge.sandbox.nodetest import load_flow
from nodeforge.sandbox.simulate import simulate
from tests.test_build_support import BuiltApp, built, flow_doc, flow_node, make_workspace

SKUS = {
    "type": "object",
    "required": ["skus"],
    "properties": {"skus": {"type": "array", "items": {"type": "string"}}},
}


node = flow_node


doc = flow_doc


def loop_flow(
    collect: str | None,
    after: str = "input.results",
    version: str = "1.1.0",
    concurrency: int = 1,
    trigger: dict[str, Any] | None = None,
    flow_id: str = "loop",
) -> dict[str, Any]:
    """skus -> loop -> price (per sku: tag and n) ; loop.done -> after."""
    cfg: dict[str, Any] = {"list": "input.skus", "concurrency": concurrency}
    if collect is not None:
        cfg["collect"] = collect
    return doc(
        flow_id,
        [
            trigger or node("start", "trigger/manual", input_schema=SKUS),
            node("loop", "flow/foreach", version, **cfg),
            node(
                "price",
                "data/map",
                "1.1.0",
                mapping={"tag": "nodes.loop.item + '!'", "n": "size(input)"},
            ),
            node("after", "data/map", "1.1.0", mapping={"x": after}),
        ],
        "start -> loop",
        "loop.item -> price",
        "loop.done -> after",
    )


def check(flow: dict[str, Any]) -> Analysis:
    return analyze(json.dumps(flow), uri="file:///loop.flow.json")


def errors(a: Analysis) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in a.diagnostics if d.severity == Severity.ERROR]


# -- the checker ---------------------------------------------------------------------------


def test_done_carries_the_input_the_typed_results_and_the_count() -> None:
    a = check(loop_flow("nodes.price.out"))
    assert errors(a) == []
    done = a.facts["loop"].output_types["done"]
    assert isinstance(done, ObjectType)
    results = done.field("results")
    count = done.field("count")
    assert results is not None and count is not None and done.field("input") is not None
    assert isinstance(count.type, IntType)
    assert isinstance(results.type, ArrayType)
    item = results.type.items
    assert isinstance(item, ObjectType) and {f.name for f in item.fields} == {"tag", "n"}
    # the node after the loop sees that type: a field that is not there is an error
    wrong = check(loop_flow("nodes.price.out", after="input.results[0].nope"))
    assert any("nope" in m for _, m in errors(wrong)), errors(wrong)
    ok = check(loop_flow("nodes.price.out", after="input.results[0].n + input.count"))
    assert errors(ok) == []


def test_collect_is_checked_with_the_element_as_input() -> None:
    assert errors(check(loop_flow("size(input) + nodes.price.out.n"))) == []
    # `input` is the element (a string), not the loop's input
    bad = check(loop_flow("input.skus"))
    assert bad.facts["loop"].expressions and errors(bad), "input.skus on a string"
    typo = check(loop_flow("nodes.price.out.nn"))
    assert any("nn" in m for _, m in errors(typo)), errors(typo)
    a = check(loop_flow("size(input) > 1"))
    done = a.facts["loop"].output_types["done"]
    assert isinstance(done, ObjectType)
    results = done.field("results")
    assert results is not None and results.type == ArrayType(BoolType()), results


def test_without_collect_results_are_empty_and_1_0_0_keeps_its_done() -> None:
    a = check(loop_flow(None, after="input.count"))
    assert errors(a) == []
    old = check(loop_flow(None, after="input.skus", version="1.0.0"))
    assert [c for c, _ in errors(old)] == []


def test_reading_the_body_after_the_loop_points_at_collect() -> None:
    a = check(loop_flow(None, after="nodes.price.out.n"))
    found = [m for c, m in errors(a) if c == "NF019"]
    assert found and "collect" in found[0], errors(a)


def test_collect_cannot_read_a_body_node_that_may_not_run() -> None:
    flow = loop_flow("nodes.big.out.n")
    flow["nodes"] += [
        node("gate", "flow/if", condition="size(input) > 1"),
        node("big", "data/map", "1.1.0", mapping={"n": "size(input)"}),
    ]
    flow["connections"] += [
        {"from": "loop.item", "to": "gate.in"},
        {"from": "gate.true", "to": "big.in"},
    ]
    found = [(c, m) for c, m in errors(check(flow)) if c == "NF019"]
    assert found and "every element" in found[0][1], errors(check(flow))
    # a node after the gate's branches merge back... and one straight on the item: fine
    ok = loop_flow("nodes.price.out.n + nodes.loop.item.size()")
    assert errors(check(ok)) == []


def test_hover_and_completion_see_the_element_in_collect() -> None:
    from nodeforge.analysis.ide.facts import expression_kind

    a = check(loop_flow("nodes.price.out.n"))
    index = [n["id"] for n in loop_flow("x")["nodes"]].index("loop")
    site = expression_kind(a, ("nodes", index, "config", "collect"))
    assert site is not None
    assert isinstance(site.env.input, StringType)


# -- the simulator -------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_body_nodes_read_the_current_item(version: str) -> None:
    a = check(loop_flow(None, after="input", version=version))
    r = simulate(a, {"skus": ["a", "bb", "ccc"]})
    assert r["status"] == "done", r["error"]
    tags = next(c for c in r["connections"] if c["from"] == "loop.item")["values"]
    assert tags == ["a", "bb", "ccc"]
    runs = [rec for rec in r["nodes"]["price"]["outputs"].values()]
    assert runs == [{"tag": "ccc!", "n": 3}]  # the last run's output
    price_values = [
        c["values"] for c in r["connections"] if c["from"] == "loop.item" and c["to"] == "price.in"
    ]
    assert price_values == [["a", "bb", "ccc"]]


def test_body_nodes_read_the_current_item_downstream() -> None:
    flow = loop_flow(None, after="input", version="1.0.0")
    flow["nodes"].append(node("echo", "data/map", "1.1.0", mapping={"t": "input.tag"}))
    flow["connections"].append({"from": "price.out", "to": "echo.in"})
    r = simulate(check(flow), {"skus": ["a", "bb", "ccc"]})
    values = next(c for c in r["connections"] if c["from"] == "price.out")["values"]
    assert values == [{"tag": "a!", "n": 1}, {"tag": "bb!", "n": 2}, {"tag": "ccc!", "n": 3}]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_collect_simulates_per_element_in_list_order(concurrency: int) -> None:
    a = check(loop_flow("nodes.price.out", after="input", concurrency=concurrency))
    r = simulate(a, {"skus": ["a", "bb", "ccc"]})
    assert r["status"] == "done", r["error"]
    assert r["nodes"]["after"]["outputs"]["out"]["x"] == {
        "input": {"skus": ["a", "bb", "ccc"]},
        "results": [{"tag": "a!", "n": 1}, {"tag": "bb!", "n": 2}, {"tag": "ccc!", "n": 3}],
        "count": 3,
    }


def test_without_collect_done_has_empty_results() -> None:
    r = simulate(check(loop_flow(None, after="input")), {"skus": ["a"]})
    assert r["nodes"]["after"]["outputs"]["out"]["x"] == {
        "input": {"skus": ["a"]},
        "results": [],
        "count": 1,
    }
    r = simulate(check(loop_flow(None, after="input")), {"skus": []})
    assert r["nodes"]["after"]["outputs"]["out"]["x"]["count"] == 0


def test_a_failing_collect_fails_the_execution() -> None:
    r = simulate(check(loop_flow("int(input)")), {"skus": ["1", "x"]})
    assert r["status"] == "failed" and r["error"], r


# -- the simulator and the built app agree ----------------------------------------------------

TRIGGER = {
    "method": "POST",
    "path": "/prices",
    "body_schema": SKUS,
}


def served_flow(flow_id: str, path: str, collect: str | None, concurrency: int) -> dict[str, Any]:
    flow = loop_flow(
        collect,
        after="input",
        concurrency=concurrency,
        trigger=node("start", "http/trigger", **{**TRIGGER, "path": path}),
        flow_id=flow_id,
    )
    flow["nodes"][1]["config"]["list"] = "input.body.skus"
    flow["nodes"][3] = node(
        "after",
        "http/respond",
        status=200,
        body='{"results": input.results, "count": input.count, "first": input.input.body.skus}',
    )
    return flow


FLOWS = [
    served_flow("collect_one", "/one", "nodes.price.out", 1),
    served_flow("collect_four", "/four", '{"sku": input, "n": nodes.price.out.n}', 4),
    served_flow("collect_none", "/none", None, 2),
]

ORDERS = {
    "type": "object",
    "required": ["orders"],
    "properties": {
        "orders": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "lines"],
                "properties": {
                    "id": {"type": "string"},
                    "lines": {"type": "array", "items": {"type": "integer"}},
                },
            },
        }
    },
}
# a collecting loop inside a collecting loop: the outer `collect` reads the inner `done`
NESTED = doc(
    "collect_nested",
    [
        node("start", "http/trigger", "1.1.0", method="POST", path="/nested", body_schema=ORDERS),
        node(
            "outer",
            "flow/foreach",
            "1.1.0",
            list="input.body.orders",
            collect='{"id": input.id, "doubled": nodes.inner.done.results, '
            '"n": nodes.inner.done.count}',
            concurrency=2,
        ),
        node("inner", "flow/foreach", "1.1.0", list="input.lines", collect="nodes.dbl.out.v"),
        node("dbl", "data/map", "1.1.0", mapping={"v": "input * 2"}),
        node("reply", "http/respond", status=200, body="input.results"),
    ],
    "start -> outer",
    "outer.item -> inner",
    "inner.item -> dbl",
    "outer.done -> reply",
)
NESTED_BODY = {
    "orders": [{"id": "a", "lines": [1, 2]}, {"id": "b", "lines": [5]}, {"id": "c", "lines": []}]
}


def test_nested_loops_collect_per_activation() -> None:
    r = simulate(check(NESTED), {"method": "POST", "body": NESTED_BODY}, trigger="start")
    assert r["response"] == {
        "status": 200,
        "body": [
            {"id": "a", "doubled": [2, 4], "n": 2},
            {"id": "b", "doubled": [10], "n": 1},
            {"id": "c", "doubled": [], "n": 0},
        ],
    }


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")
def test_simulator_app_run_and_served_app_agree(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = make_workspace(tmp_path_factory.mktemp("i22") / "foreach_collect", *FLOWS, NESTED)
    for f in [*FLOWS, NESTED]:
        a = load_flow(root / f"{f['id']}.flow.json")
        assert not errors(a), (f["id"], errors(a))
    app = BuiltApp(root, built(root), tmp_path_factory.mktemp("i22-run"))
    skus = [f"s{'x' * i}" for i in range(12)]
    value = {"method": "POST", "body": {"skus": skus}}
    try:
        for f in FLOWS:
            sim = app.simulate(f["id"], "start", value)
            want = (sim["response"]["status"], sim["response"]["body"])
            got = app.run(f["id"], "start", value)
            assert (got["status"], got["body"]) == want, (f["id"], got, want)
            # and the served app answers the same request the same way
            path = f["nodes"][0]["config"]["path"]
            status, body, _ = app.request("POST", path, json.dumps({"skus": skus}))
            assert (status, body) == want, f["id"]
            assert want[1]["count"] == 12
            if f["id"] == "collect_one":
                assert want[1]["results"][3] == {"tag": "sxxx!", "n": 4}
            if f["id"] == "collect_four":
                assert [r["sku"] for r in want[1]["results"]] == skus
            if f["id"] == "collect_none":
                assert want[1]["results"] == []
        nested = {"method": "POST", "body": NESTED_BODY}
        got = app.run("collect_nested", "start", nested)
        sim = app.simulate("collect_nested", "start", nested)
        assert got["body"] == sim["response"]["body"]
    finally:
        app.stop()
