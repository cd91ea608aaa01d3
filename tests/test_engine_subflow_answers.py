"""The answer type of a called flow: a flow/subflow node's `out` port is typed with the
bodies of the called flow's `http/respond` answers below 400 (analysis/answers.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis import answers
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.flowindex import summarize
from nodeforge.analysis.types import ANY, describe
from nodeforge.analysis.workspace import Workspace, load_workspace

START_SCHEMA = {
    "type": "object",
    "required": ["n"],
    "properties": {"n": {"type": "integer"}},
}


def node(node_id: str, type_: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "version": "1.0.0", "config": config}


def flow(flow_id: str, nodes: list[dict[str, Any]], edges: list[tuple[str, str]]) -> str:
    """A flow whose first node is `start`, a manual trigger taking `{n: integer}`."""
    doc = {
        "nodeforge": "1",
        "id": flow_id,
        "nodes": [node("start", "trigger/manual", {"input_schema": START_SCHEMA}), *nodes],
        "connections": [{"from": a, "to": b} for a, b in edges],
    }
    return json.dumps(doc, indent=2)


def respond(node_id: str, body: str | None = None, status: int | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if status is not None:
        config["status"] = status
    if body is not None:
        config["body"] = body
    return node(node_id, "http/respond", config)


def branches(yes: dict[str, Any], no: dict[str, Any], flow_id: str = "callee") -> str:
    """`start` -> flow/if `big` (n > 10): `true` to ``yes``, `false` to ``no``."""
    return flow(
        flow_id,
        [node("big", "flow/if", {"condition": "input.n > 10"}), yes, no],
        [("start.out", "big.in"), ("big.true", f"{yes['id']}.in"), ("big.false", f"{no['id']}.in")],
    )


def caller(target: str = "callee", flow_id: str = "caller", body: str = "input") -> str:
    """`start` -> flow/subflow `call` (target) -> http/respond `done` (``body``)."""
    return flow(
        flow_id,
        [node("call", "flow/subflow", {"flow": target, "arguments": {"n": "input.n"}}),
         respond("done", body)],
        [("start.out", "call.in"), ("call.out", "done.in")],
    )  # fmt: skip


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "answers"\n')
    return tmp_path


def put(root: Path, name: str, text: str) -> Path:
    path = root / f"{name}.flow.json"
    path.write_text(text)
    return path


def out_of(text: str, workspace: Workspace, previous: Analysis | None = None) -> Analysis:
    return analyze(text, "file:///ws/caller.flow.json", 1, workspace, previous)


def answer(analysis: Analysis, nid: str = "call") -> str:
    return describe(analysis.facts[nid].output_types["out"])


def test_answers_below_400_are_unioned_and_errors_ignored(root: Path) -> None:
    put(
        root,
        "callee",
        flow(
            "callee",
            [
                node("kind", "flow/switch", {"cases": [{"when": "input.n > 10"}, {"when": "input.n < 0"}]}),
                respond("big", '{"size": "big", "n": input.n}'),
                respond("made", '{"size": "new", "n": input.n, "id": "x"}', status=201),
                respond("bad", '{"error": "negative"}', status=422),
            ],
            [("start.out", "kind.in"), ("kind.case1", "big.in"), ("kind.default", "made.in"),
             ("kind.case2", "bad.in")],
        ),
    )  # fmt: skip
    workspace = load_workspace(root)
    analysis = out_of(caller(), workspace)
    assert answer(analysis) == "{size: string, n: integer} | {size: string, n: integer, id: string}"
    assert analysis.diagnostics == []
    # The same body twice is one type; 4xx bodies never reach `out`.
    same = branches(respond("a", '{"n": input.n}'), respond("b", '{"n": 0}'))
    put(root, "callee", same)
    assert answer(out_of(caller(), load_workspace(root))) == "{n: integer}"


def test_a_respond_without_body_answers_its_input(root: Path) -> None:
    put(root, "callee", flow("callee", [respond("echo")], [("start.out", "echo.in")]))
    assert answer(out_of(caller(), load_workspace(root))) == "{n: integer}"


def test_downstream_expressions_are_checked_against_the_answer(root: Path) -> None:
    put(root, "callee", branches(respond("a", '{"rate": 20}'), respond("b", '{"rate": 19}')))
    workspace = load_workspace(root)
    assert out_of(caller(body='{"tax": input.rate * 2}'), workspace).diagnostics == []
    [d] = out_of(caller(body='{"tax": input.rat}'), workspace).diagnostics
    assert d.code == "NF018" and "rat" in d.message


@pytest.mark.parametrize(
    ("yes", "no"),
    [
        # A run that ends without answering: `out` may be null (Go would not hold it).
        (respond("a", '{"n": 1}'), node("quiet", "util/log", {"message": "no answer"})),
        # 204: the body may be dropped (null).
        (respond("a", '{"n": 1}'), respond("b", '{"n": 2}', status=204)),
        # Only errors: `out` never fires.
        (respond("a", '{"e": 1}', status=404), respond("b", '{"e": 2}', status=500)),
        # A body with an error says nothing.
        (respond("a", '{"n": 1}'), respond("b", "input.nope")),
    ],
)
def test_answers_that_cannot_be_typed_are_any(
    root: Path, yes: dict[str, Any], no: dict[str, Any]
) -> None:
    put(root, "callee", branches(yes, no))
    assert answer(out_of(caller(), load_workspace(root))) == "any"


def test_unknown_uncallable_and_cyclic_targets_are_any(root: Path) -> None:
    hook = flow("hook", [respond("ok", '{"n": 1}')], [("start.out", "ok.in")])
    put(root, "hook", hook.replace("trigger/manual", "http/trigger"))
    # back calls the caller, which calls back: a cycle; the answer would pass through it.
    put(root, "back", caller(target="caller", flow_id="back"))
    workspace = load_workspace(root)
    for target in ("nowhere", "hook", "back"):
        analysis = out_of(caller(target=target), workspace)
        assert answer(analysis) == "any", target
        assert "NF026" in [d.code for d in analysis.diagnostics]
    assert workspace.flows.cached_answer("back", workspace.flows.answer_key("back")) is None


def test_answers_follow_the_flows_called_in_turn(root: Path) -> None:
    """The caller's type comes from `middle`, whose answer is what `inner` answers."""
    put(root, "middle", caller(target="inner", flow_id="middle"))
    put(root, "inner", flow("inner", [respond("ok", '{"deep": true}')], [("start.out", "ok.in")]))
    workspace = load_workspace(root)
    assert answer(out_of(caller(target="middle"), workspace)) == "{deep: boolean}"
    # `inner` edited in the editor (an overlay): the caller sees it through `middle`.
    path = root / "inner.flow.json"
    text = flow("inner", [respond("ok", '{"deep": "yes"}')], [("start.out", "ok.in")])
    workspace.flows.set_overlay(path, summarize(json.loads(text), path.as_uri(), path, text))
    assert answer(out_of(caller(target="middle"), workspace)) == "{deep: string}"


def test_an_edit_of_the_called_flow_retypes_the_caller_incrementally(root: Path) -> None:
    path = put(
        root, "callee", flow("callee", [respond("ok", '{"a": 1}')], [("start.out", "ok.in")])
    )
    workspace = load_workspace(root)
    source = caller(body='{"got": input.a}')
    first = out_of(source, workspace)
    assert answer(first) == "{a: integer}" and first.diagnostics == []
    # The callee now answers `b`: same caller text, new types (and a new error).
    text = flow("callee", [respond("ok", '{"b": 1}')], [("start.out", "ok.in")])
    workspace.flows.set_overlay(path, summarize(json.loads(text), path.as_uri(), path, text))
    second = out_of(source, workspace, previous=first)
    assert answer(second) == "{b: integer}"
    assert [d.code for d in second.diagnostics] == ["NF018"]
    assert second.facts["done"].output_types == {}
    # Closed without saving: the file speaks again.
    workspace.flows.drop_overlay(path)
    third = out_of(source, workspace, previous=second)
    assert answer(third) == "{a: integer}" and third.diagnostics == []
    assert third.diagnostics == out_of(source, workspace).diagnostics


def test_answers_are_computed_once_per_text(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put(root, "callee", flow("callee", [respond("ok", '{"a": 1}')], [("start.out", "ok.in")]))
    analysed: list[str] = []
    real = answers.analyze

    def counting(text: str, uri: str = "", *args: Any, **kwargs: Any) -> Analysis:
        analysed.append(uri.rsplit("/", 1)[-1])
        return real(text, uri, *args, **kwargs)

    monkeypatch.setattr(answers, "analyze", counting)
    workspace = load_workspace(root)
    # A flow without flow/subflow nodes never asks.
    out_of(flow("plain", [respond("ok")], [("start.out", "ok.in")]), workspace)
    assert analysed == []
    first = out_of(caller(), workspace)
    out_of(caller(flow_id="other"), workspace)
    out_of(caller(body="input.a"), workspace, previous=first)
    assert analysed == ["callee.flow.json"]
    # A changed file (reloaded) is analysed again, once.
    put(root, "callee", flow("callee", [respond("ok", '{"a": "1"}')], [("start.out", "ok.in")]))
    assert workspace.flows.reload([root / "callee.flow.json"]) is True
    assert answer(out_of(caller(), workspace)) == "{a: string}"
    out_of(caller(), workspace)
    assert analysed == ["callee.flow.json", "callee.flow.json"]


def test_an_open_called_flow_hands_its_answer_over(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the language server does: the called flow's own analysis gives its answer
    (in its summary, deciding whether callers change) and seeds the cache."""
    path = put(
        root, "callee", flow("callee", [respond("ok", '{"a": 1}')], [("start.out", "ok.in")])
    )
    put(root, "caller", caller())  # `callee` is called: its answer matters
    workspace = load_workspace(root)
    out_of(caller(), workspace)
    analysed: list[str] = []
    real = answers.analyze
    monkeypatch.setattr(answers, "analyze", lambda *a, **k: analysed.append("!") or real(*a, **k))

    def edit(body: str) -> bool:
        text = flow("callee", [respond("ok", body)], [("start.out", "ok.in")])
        with answers.recording() as used:
            own = analyze(text, path.as_uri(), 2, workspace)
        summary = summarize(own.document.value, path.as_uri(), path, text)
        assert summary is not None
        summary = answers.with_answer(workspace, summary, own)
        changed = workspace.flows.set_overlay(path, summary)
        answers.seed(workspace, summary, used)
        return changed

    assert edit('{"a": 2}') is True  # opened: the answer instead of the file's digest
    assert edit('{"a": 3}') is False  # same answer type: callers are left alone
    assert edit('{"b": 3}') is True
    assert answer(out_of(caller(), workspace)) == "{b: integer}"
    assert analysed == []  # seeded: not analysed a second time


def test_the_port_is_any_without_a_workspace_index() -> None:
    lone = load_workspace(None)
    analysis = analyze(caller(), "", 1, lone)
    assert analysis.facts["call"].output_types["out"] == ANY
