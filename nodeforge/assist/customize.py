"""Node customization: "describe the change" on a ``code/go`` node or on a forked (or
custom) node's kit, checked in the sandbox.

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

**Forks and custom nodes** (:func:`customize_kit`): a node whose type is a kit of the
workspace pack (``nodes/``) with a Go executor. The model gets the kit's Go files, its
``*_test.go``, its call-site template (whose calls the change must keep working) and the
change, and answers with the files it changes (whole) and one new Go test file showing
the change. The kit's package with those files is vetted, compiled (``go test -c``) and
its tests (the kit's and the model's) run inside the sandbox
(:func:`nodeforge.sandbox.kittest.sandboxed_go_tests`); the located compiler or test
output goes back to the model for a bounded number of rounds. Only files that build and
pass are offered, as a diff of the kit's files (the model's test file included).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeforge.analysis import nodefiles
from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide.model import TextEdit
from nodeforge.analysis.kits import TEMPLATE_FILE, Kit, kit_of
from nodeforge.analysis.types import describe
from nodeforge.analysis.workspace import Workspace
from nodeforge.assist import prompts
from nodeforge.assist.catalog_context import connectors_text
from nodeforge.assist.flows import apply_edits, describe_diagnostic, unified_diff
from nodeforge.assist.repair import DEFAULT_MAX_ROUNDS, ChatClient, Checked, Outcome, run_loop
from nodeforge.codegen.flowgen import go_package
from nodeforge.sandbox.kittest import Step, sandboxed_go_tests
from nodeforge.sandbox.nodetest import NodeTestResult, run_node_test
from nodeforge.sandbox.runner import Status, unavailable_reason

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
        raise CustomizeError(_not_editable(analysis, node_id))
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


# -- forks and custom nodes: the kit's Go executor ------------------------------------------

#: Names the model may give a kit's Go files (no folders, no hidden files).
GO_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]*\.go")

#: How a kit's Go package is tested: (kit, workspace, the package's files) -> step. The
#: sandbox's ``go vet`` + ``go test`` by default (:func:`sandboxed_go_tests`).
KitTester = Callable[[Kit, Workspace, Mapping[str, bytes]], Step]


def _sandbox_tester(kit: Kit, workspace: Workspace, files: Mapping[str, bytes]) -> Step:
    return sandboxed_go_tests(kit, workspace, files)  # never unconfined


def editable_kit(analysis: Analysis, node_id: str) -> Kit | None:
    """The workspace kit (a fork or a custom node, with a Go executor) behind node
    ``node_id``, or None when the node is of another kind."""
    facts = analysis.facts.get(node_id)
    manifest = facts.manifest if facts is not None else None
    if manifest is None or manifest.structural:
        return None
    kit = kit_of(manifest)
    if kit.pack.origin != "workspace" or not kit.has_executor():
        return None
    return kit


@dataclass
class KitChange:
    """Go files of a kit that build and pass every test: ``files`` (name -> new text),
    ``old`` (name -> text before, for the files that exist; the others and the model's
    test file are new)."""

    kit: Kit
    files: dict[str, str]
    old: dict[str, str]
    test_file: str
    test_source: str
    tests: str  # what the test run says (the tests that passed)

    def paths(self) -> dict[Path, str]:
        """Every file to write (the model's test included), by its path."""
        out = {self.kit.folder / name: text for name, text in self.files.items()}
        out[self.kit.folder / self.test_file] = self.test_source
        return out

    def diff(self, root: Path | None) -> str:
        """One unified diff of every file, paths relative to the workspace ``root``."""
        parts = []
        for path, text in self.paths().items():
            old = self.old.get(path.name, "")
            parts.append(unified_diff(old, text, _relative(path, root)))
        return "".join(parts)


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


@dataclass
class KitCustomizeResult:
    """The outcome of "describe the change" on a forked or custom node's kit."""

    outcome: Outcome[KitChange]
    node: str
    kit: Kit
    root: Path | None

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def source_diff(self) -> str:
        c = self.outcome.value
        return c.diff(self.root) if c else ""

    def as_dict(self) -> dict[str, Any]:
        c = self.outcome.value
        return {
            "ok": self.ok,
            "node": self.node,
            "kit": _relative(self.kit.folder, self.root),
            "rounds": self.outcome.rounds,
            "message": self.outcome.message,
            "error_kind": self.outcome.error_kind,
            "attempts": [a.as_dict() for a in self.outcome.attempts],
            "test": {"file": c.test_file, "source": c.test_source} if c else None,
            "tests": c.tests if c else "",
            "files": [_relative(p, self.root) for p in c.paths()] if c else [],
            "source_diff": self.source_diff(),
        }


def customize_kit(
    client: ChatClient,
    analysis: Analysis,
    node_id: str,
    change: str,
    *,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    tester: KitTester = _sandbox_tester,
    show_prompt: Callable[[dict[str, Any]], None] | None = None,
    on_round: Callable[[int], None] | None = None,
) -> KitCustomizeResult:
    """Ask for ``change`` to the Go executor of node ``node_id``'s kit (a fork or a custom
    node of the workspace pack); offer it only when the kit's package with the new files
    and the model's test passes ``go vet`` and every Go test in the sandbox (``tester``)."""
    if not change.strip():
        raise CustomizeError("the description of the change is empty")
    kit = editable_kit(analysis, node_id)
    if kit is None:
        raise CustomizeError(_not_editable(analysis, node_id))
    reason = unavailable_reason()
    if tester is _sandbox_tester and reason is not None:
        raise CustomizeError(f"the sandbox is unavailable, so no Go can be tested: {reason}")
    try:
        current = nodefiles.read_folder(kit.folder)
    except OSError as exc:
        raise CustomizeError(f"cannot read the kit {kit.folder}: {exc}") from None
    sources = {n: _text_of(d) for n, d in current.items() if "/" not in n and n.endswith(".go")}
    code = {n: s for n, s in sources.items() if not n.endswith("_test.go")}
    tests = {n: s for n, s in sources.items() if n.endswith("_test.go")}
    template = _text_of(current[TEMPLATE_FILE]) if TEMPLATE_FILE in current else ""
    m = kit.manifest
    messages = prompts.kit_customize_messages(
        f"Workspace connectors: {connectors_text(analysis.workspace)}",
        node=node_id,
        kit=f"{m.type} {m.version}",
        package=go_package(m.type),
        files=code,
        tests=tests,
        template=template,
        change=change,
    )

    def check(answer: Any) -> Checked[KitChange]:
        proposed, problems = _read_kit_answer(answer, code, tests)
        if proposed is None:
            return None, problems
        files, test_file, test_source = proposed
        package = dict(current)
        package.update({n: t.encode() for n, t in files.items()})
        package[test_file] = test_source.encode()
        step = tester(kit, analysis.workspace, package)
        if not step.ok:
            return None, [f"{step.name} fails:\n" + prompts.clip(step.detail)]
        old = {n: code[n] for n in files if n in code}
        return KitChange(kit, files, old, test_file, test_source, step.detail), []

    outcome = run_loop(
        client,
        messages,
        check,
        feature=FEATURE,
        schema=prompts.KIT_CUSTOMIZE_SCHEMA,
        schema_name="kit_change",
        max_rounds=max_rounds,
        show_prompt=show_prompt,
        on_round=on_round,
    )
    return KitCustomizeResult(outcome, node_id, kit, analysis.workspace.root)


def _text_of(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _not_editable(analysis: Analysis, node_id: str) -> str:
    node = analysis.document.node_by_id(node_id)
    if node is None:
        ids = ", ".join(n.id for n in analysis.document.nodes if n.id)
        return f"the flow has no node `{node_id}` (nodes: {ids})"
    facts = analysis.facts.get(node_id)
    manifest = facts.manifest if facts is not None else None
    if manifest is None:
        return f"node `{node_id}` has an unknown type or version: fix it first"
    what = f"node `{node_id}` is a {manifest.type} {manifest.version} node"
    kit = kit_of(manifest)
    if manifest.structural:
        return f"{what}, part of the flow language: it has no Go code to change"
    if kit.pack.origin != "workspace":
        return (
            f"{what} of the {kit.pack.name} pack: fork it first (nodeforge fork "
            f"{manifest.type}@{manifest.version} --as CATEGORY/NAME) and change the fork"
        )
    return f"{what} with no Go executor in {kit.folder}"


def _read_kit_answer(
    answer: Any, code: Mapping[str, str], tests: Mapping[str, str]
) -> tuple[tuple[dict[str, str], str, str] | None, list[str]]:
    """The files and the test of an answer, or the problems with its form."""
    form = (
        'answer with {"files": {"<name>.go": "<whole new file>"}, '
        '"test": {"file": "<name>_test.go", "source": "<Go test file>"}}'
    )
    if not isinstance(answer, dict):
        return None, [form]
    files, test = answer.get("files"), answer.get("test")
    if not isinstance(files, dict) or not files:
        return None, ["`files` must map at least one Go file name to its new text; " + form]
    if not isinstance(test, dict):
        return None, ["`test` is missing; " + form]
    problems: list[str] = []
    out: dict[str, str] = {}
    for name, text in files.items():
        if not isinstance(name, str) or not GO_FILE.fullmatch(name):
            problems.append(f"`files`: {name!r} is not a Go file name of the kit (name.go)")
        elif name.endswith("_test.go"):
            problems.append(f"`files`: {name} is a test file: keep the kit's tests as they are")
        elif not isinstance(text, str) or not text.strip():
            problems.append(f"`files`: {name} must be the whole new file, not empty")
        else:
            out[name] = text
    test_file, test_source = test.get("file"), test.get("source")
    if not isinstance(test_file, str) or not GO_FILE.fullmatch(test_file):
        problems.append("`test.file` must be a file name ending in _test.go")
    elif not test_file.endswith("_test.go"):
        problems.append(f"`test.file` {test_file} must end in _test.go")
    elif test_file in tests:
        problems.append(f"`test.file` {test_file} is one of the kit's tests: use a new name")
    if not isinstance(test_source, str) or "func Test" not in test_source:
        problems.append("`test.source` must be a Go test file with a func TestXxx(t *testing.T)")
    if problems:
        return None, problems
    assert isinstance(test_file, str) and isinstance(test_source, str)
    if not any(out.get(n) != code.get(n) for n in out):
        return None, ["the files are unchanged: make the change"]
    return (out, test_file, test_source), []


def write_kit_change(change: KitChange) -> None:
    """Write an accepted change into its kit's folder: refused (nothing written) when a
    file changed since the model read it, or the model's test file appeared meanwhile."""
    for path in change.paths():
        old = change.old.get(path.name) if path.name != change.test_file else None
        if old is None:
            if path.exists():
                raise CustomizeError(f"{path} exists: not written")
            continue
        try:
            now = nodefiles.read_text(path)
        except OSError as exc:
            raise CustomizeError(f"cannot read {path}: {exc}") from None
        if now != old:
            raise CustomizeError(f"{path} changed while the model was answering: not written")
    for path, text in change.paths().items():
        tmp = path.with_name(f".{path.name}.nodeforge-tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
