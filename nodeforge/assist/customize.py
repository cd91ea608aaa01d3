"""Node customization: "describe the change" on a ``code/go`` node, checked in the sandbox.

The model gets the node's source, its input and output types, its tests and the change,
and answers with the whole new source plus one test of its own that shows the change
(shown to the user). Each answer is compiled and run inside the sandbox by the node-test
machinery (:func:`nodeforge.sandbox.nodetest.run_node_test`) against the node's tests
and the model's test; the compiler's messages or the failed tests go back to the model
for a bounded number of rounds. Only source that builds and passes every test is
offered, as a diff. Where the sandbox is unavailable nothing is compiled and nothing is
offered (:class:`CustomizeError`).

A node test is ``{"name", "input", "expect": {"port", "value"?}}``: the node is run on
``input`` and must fire ``port`` (with exactly ``value``, when given).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide.model import TextEdit
from nodeforge.analysis.types import describe
from nodeforge.assist import prompts
from nodeforge.assist.catalog_context import connectors_text
from nodeforge.assist.flows import apply_edits, describe_diagnostic, unified_diff
from nodeforge.assist.repair import DEFAULT_MAX_ROUNDS, ChatClient, Checked, Outcome, run_loop
from nodeforge.sandbox.nodetest import NodeTestResult, run_node_test
from nodeforge.sandbox.runner import Status

FEATURE = "customize"
CUSTOMIZABLE = ("code/go",)

#: How a node test is run: (analysis, node id, input) -> result. The sandbox's by default.
Runner = Callable[[Analysis, str, Any], NodeTestResult]


class CustomizeError(Exception):
    """The node cannot be customized here (wrong type, no sandbox): the message says why."""


@dataclass(frozen=True)
class NodeTest:
    name: str
    input: Any
    port: str
    value: Any = None
    has_value: bool = False

    def as_dict(self) -> dict[str, Any]:
        expect: dict[str, Any] = {"port": self.port}
        if self.has_value:
            expect["value"] = self.value
        return {"name": self.name, "input": self.input, "expect": expect}


def parse_test(value: Any, where: str) -> NodeTest:
    """One node test from JSON; ``ValueError`` naming ``where`` when it is malformed."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: a test must be an object with name, input and expect")
    name = value.get("name")
    expect = value.get("expect")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: `name` must be a non-empty string")
    if "input" not in value:
        raise ValueError(f"{where} ({name}): `input` is missing")
    if not isinstance(expect, Mapping) or not isinstance(expect.get("port"), str):
        raise ValueError(f'{where} ({name}): `expect` must be {{"port": "...", "value"?: ...}}')
    return NodeTest(
        name, value["input"], expect["port"], expect.get("value"), has_value="value" in expect
    )


def parse_tests(value: Any) -> list[NodeTest]:
    if not isinstance(value, list):
        raise ValueError("the tests must be a JSON list of {name, input, expect}")
    return [parse_test(item, f"test {i + 1}") for i, item in enumerate(value)]


@dataclass
class TestRun:
    test: NodeTest
    passed: bool
    detail: str  # why it failed, or what it fired

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.test.name, "passed": self.passed, "detail": self.detail}


@dataclass
class Customization:
    """Source that builds and passes every test, and the edit of the flow that holds it."""

    source: str
    test: NodeTest  # the model's own test
    text: str  # the flow with the new source
    edits: list[TextEdit]
    runs: list[TestRun] = field(default_factory=list)


@dataclass
class CustomizeResult:
    outcome: Outcome[Customization]
    node: str
    old_source: str
    old_text: str

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def source_diff(self) -> str:
        c = self.outcome.value
        return unified_diff(self.old_source, c.source, f"{self.node}.go") if c else ""

    def as_dict(self) -> dict[str, Any]:
        c = self.outcome.value
        return {
            "ok": self.ok,
            "node": self.node,
            "rounds": self.outcome.rounds,
            "message": self.outcome.message,
            "error_kind": self.outcome.error_kind,
            "attempts": [a.as_dict() for a in self.outcome.attempts],
            "test": c.test.as_dict() if c else None,
            "tests": [r.as_dict() for r in c.runs] if c else [],
            "source_diff": self.source_diff(),
        }


def _sandbox_runner(analysis: Analysis, node_id: str, value: Any) -> NodeTestResult:
    return run_node_test(analysis, node_id, value)  # never unconfined


def run_tests(
    analysis: Analysis, node_id: str, tests: Sequence[NodeTest], runner: Runner
) -> tuple[list[TestRun], list[str]]:
    """Run ``tests`` on the node; the runs and the problems (a compile error stops)."""
    runs: list[TestRun] = []
    problems: list[str] = []
    for test in tests:
        result = runner(analysis, node_id, test.input)
        if result.status == Status.SANDBOX_UNAVAILABLE:
            raise CustomizeError(result.message)
        if result.build_errors:
            return runs, ["the code does not compile:\n" + prompts.clip(result.build_errors)]
        passed, detail = _compare(test, result)
        runs.append(TestRun(test, passed, detail))
        if not passed:
            problems.append(f"test `{test.name}` fails: {detail}")
    return runs, problems


def _compare(test: NodeTest, result: NodeTestResult) -> tuple[bool, str]:
    outputs = result.outputs
    got = json.dumps(outputs, ensure_ascii=False, sort_keys=True)
    if result.status not in (Status.OK, Status.NODE_ERROR):
        return False, f"the run ended with {result.status}: {result.message}"
    if test.port not in outputs:
        why = f" ({result.message})" if result.message else ""
        return False, f"expected port `{test.port}` to fire, got {prompts.clip(got, 600)}{why}"
    if test.has_value and outputs[test.port] != test.value:
        want = json.dumps(test.value, ensure_ascii=False, sort_keys=True)
        return False, f"expected `{test.port}` = {want}, got {prompts.clip(got, 600)}"
    return True, f"fired `{test.port}`"


def source_edit(analysis: Analysis, node_id: str, source: str) -> TextEdit:
    """The one edit replacing the node's ``config.source`` string in the document."""
    node = analysis.document.node_by_id(node_id)
    assert node is not None
    path = (*node.path, "config", "source")
    found = analysis.document.root.find(path) if analysis.document.root is not None else None
    if found is None or found.kind != "string":
        raise CustomizeError(f"node `{node_id}` has no `config.source` string to change")
    return TextEdit(found.span, json.dumps(source, ensure_ascii=False))


def customize_node(
    client: ChatClient,
    analysis: Analysis,
    node_id: str,
    change: str,
    *,
    tests: Sequence[NodeTest] = (),
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    runner: Runner = _sandbox_runner,
    show_prompt: Callable[[dict[str, Any]], None] | None = None,
    on_round: Callable[[int], None] | None = None,
) -> CustomizeResult:
    """Ask for ``change`` to node ``node_id``'s code; offer it only when it builds and
    passes ``tests`` and the model's own test in the sandbox (``runner``)."""
    if not change.strip():
        raise CustomizeError("the description of the change is empty")
    node = analysis.document.node_by_id(node_id)
    if node is None:
        ids = ", ".join(n.id for n in analysis.document.nodes if n.id)
        raise CustomizeError(f"the flow has no node `{node_id}` (nodes: {ids})")
    if node.type not in CUSTOMIZABLE:
        raise CustomizeError(
            f"node `{node_id}` is a {node.type} node: only {', '.join(CUSTOMIZABLE)} nodes "
            "can be customized with the model"
        )
    source = node.config.get("source")
    if not isinstance(source, str):
        raise CustomizeError(f"node `{node_id}` has no `config.source` string")
    source_edit(analysis, node_id, source)  # fails early when the source is not editable
    facts = analysis.facts.get(node_id)
    declared_in = facts.declared_inputs.get("in") if facts is not None else None
    declared_out = facts.output_types.get("out") if facts is not None else None
    in_type = describe(declared_in, max_fields=40) if declared_in is not None else "any"
    out_type = describe(declared_out, max_fields=40) if declared_out is not None else "any"
    messages = prompts.customize_messages(
        f"Workspace connectors: {connectors_text(analysis.workspace)}",
        node=node_id,
        source=source,
        input_type=in_type,
        output_type=out_type,
        change=change,
        tests=[t.as_dict() for t in tests],
    )

    def check(answer: Any) -> Checked[Customization]:
        if not isinstance(answer, dict) or not isinstance(answer.get("source"), str):
            return None, ['answer with {"source": "<Go>", "test": {...}}']
        new_source = answer["source"]
        if not new_source.strip():
            return None, ["`source` is empty"]
        try:
            proposed = parse_test(answer.get("test"), "your test")
        except ValueError as exc:
            return None, [str(exc)]
        edit = source_edit(analysis, node_id, new_source)
        text = apply_edits(analysis.document.text, [edit])
        after = analyze(text, uri=analysis.document.uri, workspace=analysis.workspace)
        errors = [
            describe_diagnostic(after, d) for d in after.diagnostics if d.severity == Severity.ERROR
        ]
        if errors:
            return None, errors
        runs, problems = run_tests(after, node_id, [*tests, proposed], runner)
        if problems:
            return None, problems
        return Customization(new_source, proposed, text, [edit], runs), []

    outcome = run_loop(
        client,
        messages,
        check,
        feature=FEATURE,
        schema=prompts.CUSTOMIZE_SCHEMA,
        schema_name="node_change",
        max_rounds=max_rounds,
        show_prompt=show_prompt,
        on_round=on_round,
    )
    return CustomizeResult(outcome, node_id, source, analysis.document.text)
