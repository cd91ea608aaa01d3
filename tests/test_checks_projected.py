"""The types check shares an expression's check between nodes whose inputs have the same
types at the fields it reads (``checks._check_projected``): a shared check must give
each node the diagnostics a check of its own gives, at that node's own place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nodeforge.analysis import engine
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.rules import checks
from nodeforge.analysis.workspace import load_workspace

WORKSPACE = load_workspace(None)

SCHEMA = {
    "type": "object",
    "required": ["customer", "total"],
    "properties": {
        "customer": {"type": "string"},
        "total": {"type": "number"},
        "items": {"type": "array", "items": {"type": "object"}},
    },
}

#: Expressions read by every data/set of the chain, each node's input one field longer:
#: a clean one, errors that depend only on the field read, a syntax error, and ones
#: whose check depends on the whole input (a missing field's did-you-mean, a bare
#: `input`) or that call a list macro (variables), which are not shared.
EXPRESSIONS = [
    "input.total * 2",
    "input.total.foo",
    "input.customer - 1",
    "input.custmer",
    "input",
    "input.items.map(x, input.total + x.a)",
    "input.items.map(input, input.total)",
    "1 + true",
]


def _chain(length: int) -> str:
    nodes: list[dict[str, Any]] = [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {"input_schema": SCHEMA},
        }
    ]
    connections = []
    previous = "start.out"
    for i in range(length):
        values = {f"v{i}_{k}": source for k, source in enumerate(EXPRESSIONS)}
        if i == length // 2:  # from here on `total` is a string: other checks
            values["total"] = "input.customer"
        nodes.append(
            {"id": f"set{i}", "type": "data/set", "version": "1.0.0", "config": {"values": values}}
        )
        connections.append({"from": previous, "to": f"set{i}.in"})
        nodes.append(
            {
                "id": f"if{i}",
                "type": "flow/if",
                "version": "1.0.0",
                "config": {"condition": "input.total.foo > 1"},
            }
        )
        connections.append({"from": f"set{i}.out", "to": f"if{i}.in"})
        nodes.append(
            {
                "id": f"log{i}",
                "type": "util/log",
                "version": "1.0.0",
                "config": {"level": "info", "message": "{{ input.total.foo }} {{ input.cust }}"},
            }
        )
        connections.append({"from": f"if{i}.true", "to": f"log{i}.in"})
        previous = f"log{i}.out"
    flow = {"nodeforge": "1", "id": "chain", "nodes": nodes, "connections": connections}
    return json.dumps(flow, indent=2)


def _diagnostics(analysis: Analysis) -> list[tuple[Any, ...]]:
    return [(d.code, d.message, d.span, d.severity, d.data) for d in analysis.diagnostics]


def test_shared_checks_give_each_node_its_own_diagnostics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _chain(6)
    shared = analyze(text, workspace=WORKSPACE)
    calls: list[str] = []
    check_string = engine.check_string

    def counted(source: str, is_template: bool, env: Any) -> Any:
        calls.append(source)
        return check_string(source, is_template, env)

    monkeypatch.setattr(checks, "check_string", counted)
    counted_run = analyze(text, workspace=WORKSPACE)
    monkeypatch.setattr(checks, "_input_fields", lambda source, is_template: None)
    calls_before = len(calls)
    own = analyze(text, workspace=WORKSPACE)
    # Every node checks its expressions on its own without the projection...
    assert len(calls) - calls_before > calls_before
    # ...and the diagnostics are the same, each at its own node.
    assert _diagnostics(shared) == _diagnostics(own) == _diagnostics(counted_run)
    assert {d.code for d in own.diagnostics} >= {"NF018"}
    spans = [d.span for d in own.diagnostics if "foo" in d.message]
    assert len(spans) == len(set(spans)) == 3 * 6  # per set, if and log node of the chain
    assert any("`*` to string" in d.message for d in own.diagnostics)  # `total` * 2
    # The shared checks are those a check of the node's own environment gives.
    for fact in shared.facts.values():
        env = shared.env_of(fact)
        for site in fact.expressions:
            assert site.result is not None and env is not None
            fresh, syntax = check_string(site.source, site.is_template, env)
            assert (fresh.type, fresh.errors, fresh.references) == (
                site.result.type,
                site.result.errors,
                site.result.references,
            )
            assert list(syntax) == list(site.syntax_errors)


def test_shared_only_when_the_fields_read_are_the_same() -> None:
    text = _chain(4)
    analysis = analyze(text, workspace=WORKSPACE)
    results: dict[str, set[int]] = {}
    inputs: set[int] = set()
    for nid, fact in analysis.facts.items():
        if nid.startswith("set"):
            inputs.add(id(fact.input))
            for site in fact.expressions:
                assert site.result is not None
                results.setdefault(site.source, set()).add(id(site.result))
    assert len(inputs) == 4  # each data/set sees another input type
    # Reading `total` (the same type in each input up to the half of the chain, another
    # one after): one check for each half.
    assert len(results["input.total * 2"]) == 2
    assert len(results["input.total.foo"]) == 2
    assert len(results["1 + true"]) == 1  # reads no input at all
    # A macro variable may not be named `input`: a syntax error, whatever the input.
    assert len(results["input.items.map(input, input.total)"]) == 1
    # A missing field (its message lists the others), a bare `input`, a list macro: a
    # check per input type.
    assert len(results["input.custmer"]) == 4
    assert len(results["input"]) == 4
    assert len(results["input.items.map(x, input.total + x.a)"]) == 4
    assert checks._input_fields("input.items.map(x, input.total + x.a)", False) is None
    assert checks._input_fields("input", False) is None
    assert checks._input_fields("input.a + input.b.c * input.a", False) == ("a", "b")
    assert checks._input_fields("{{ input.a }} and {{ input.b }}", True) == ("a", "b")
    assert checks._input_fields('input["a"]', False) is None


def test_shared_config_validations_give_each_node_its_own_diagnostics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The nodes check validates equal configs of strings once (``validated``): each
    node still gets its own NF006 diagnostics, as a validation of its own gives."""
    configs = [
        {"level": "loud", "message": "x"},  # not one of the levels
        {"conditon": "input.total > 1"},  # unknown key, `condition` missing
        {"level": "info", "message": "fine"},
    ]
    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}}
    ]
    for i in range(6):
        config = configs[i % 3]
        node_type = "flow/if" if "conditon" in config else "util/log"
        nodes.append({"id": f"n{i}", "type": node_type, "version": "1.0.0", "config": config})
    connections = [{"from": "start.out", "to": f"n{i}.in"} for i in range(6)]
    text = json.dumps({"nodeforge": "1", "id": "f", "nodes": nodes, "connections": connections})
    shared = analyze(text, workspace=WORKSPACE)
    config_problems = checks._config_problems

    def own(ctx: Any, node: Any, manifest: Any, validated: Any = None) -> Any:
        return config_problems(ctx, node, manifest)

    monkeypatch.setattr(checks, "_config_problems", own)
    alone = analyze(text, workspace=WORKSPACE)
    assert _diagnostics(shared) == _diagnostics(alone)
    nf006 = [d for d in shared.diagnostics if d.code == "NF006"]
    assert len(nf006) >= 4 and len({d.span for d in nf006}) == len(nf006)
