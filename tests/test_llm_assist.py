"""The assistant (nodeforge/assist) through the production path: the real LLM client
talking to the fake provider (tests/llm_fake.py) in its wire formats, the CLI in-process;
plus unit tests of the pure parts (prompts, context, repair bookkeeping, edits)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.engine import analyze
from nodeforge.analysis.workspace import load_workspace
from nodeforge.assist import prompts
from nodeforge.assist.adapters import adapt, unmatched_fields
from nodeforge.assist.catalog_context import build_context, estimate_tokens, schema_text
from nodeforge.assist.flows import apply_edits, check_flow, minimal_edits
from nodeforge.assist.repair import run_loop
from nodeforge.cli import main
from nodeforge.llm.types import ChatRequest, ChatResponse, LLMError, Usage
from tests import llm_fake
from tests.llm_fake import FakeLLMServer

PG_PASSWORD = "PLANTED-pg-pass-7f3a9c"
API_KEY = "sk-PLANTED-provider-key-1b2c"
ENV_SECRET = "PLANTED-env-value-5e6d"
SECRETS = (PG_PASSWORD, API_KEY, ENV_SECRET)

GOOD_FLOW: dict[str, Any] = {
    "nodeforge": "1",
    "id": "orders",
    "name": "Orders",
    "nodes": [
        {
            "id": "create",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {
                "method": "POST",
                "path": "/orders",
                "body_schema": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                    "required": ["sku", "qty"],
                },
            },
        },
        {
            "id": "insert",
            "type": "sql/exec",
            "version": "1.0.0",
            "config": {
                "connector": "shopdb",
                "statement": "INSERT INTO orders (sku, qty) VALUES ($1, $2)",
                "params": ["input.body.sku", "input.body.qty"],
            },
        },
        {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 201}},
    ],
    "connections": [
        {"from": "create.out", "to": "insert.in"},
        {"from": "insert.out", "to": "reply.in"},
    ],
}


def broken_flow() -> dict[str, Any]:
    """GOOD_FLOW with an unknown connector and a node version that does not exist."""
    flow = copy.deepcopy(GOOD_FLOW)
    flow["nodes"][1]["config"]["connector"] = "orders_db"
    flow["nodes"][2]["version"] = "9.9.9"
    return flow


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeLLMServer) -> Path:
    """A workspace with an llm connector on the fake, a postgres connector with a
    password, and a flow reading an env variable whose value is set: secrets planted."""
    from nodeforge.project import connectors

    monkeypatch.setenv("NODEFORGE_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("ORDERS_TOKEN", ENV_SECRET)
    root = tmp_path / "shop"
    (root / "flows").mkdir(parents=True)
    (root / "nodeforge.toml").write_text('[project]\nname = "shop"\n', encoding="utf-8")
    connectors.add(
        root,
        "shopdb",
        "postgres",
        {"host": "db", "user": "shop", "password": PG_PASSWORD, "database": "shop"},
        replace=False,
    )
    llm_fake.configure(root, fake, name="helper", provider="openai", api_key=API_KEY)
    token_flow = copy.deepcopy(GOOD_FLOW)
    token_flow["id"] = "with_token"
    token_flow["nodes"][0]["config"]["path"] = "/token"
    token_flow["nodes"][2]["config"]["headers"] = {"x-token": "{{ env.ORDERS_TOKEN }}"}
    (root / "flows" / "with_token.flow.json").write_text(json.dumps(token_flow, indent=2))
    return root


def assert_no_secrets(fake: FakeLLMServer) -> None:
    assert fake.posts(), "no request reached the fake provider"
    for body in fake.bodies():
        for secret in SECRETS:
            assert secret.encode() not in body


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- flows from a description -------------------------------------------------------------


def test_broken_flow_then_its_repair(ws: Path, fake: FakeLLMServer, capsys: Any) -> None:
    fake.add(llm_fake.structured(broken_flow()), llm_fake.structured(GOOD_FLOW))
    target = ws / "flows" / "orders.flow.json"
    code, _out, err = run_cli(
        capsys, "assist", "POST /orders inserts the order", "-o", str(target), "-w", str(ws)
    )
    assert code == 0, err
    assert "2 round(s)" in err
    written = json.loads(target.read_text())
    assert written["nodes"][1]["config"]["connector"] == "shopdb"
    assert main(["check", str(target)]) == 0
    # the second request carried the analysis' problems of the first answer
    second = json.dumps(fake.posts()[1].json)
    assert "orders_db" in second and "9.9.9" in second
    assert_no_secrets(fake)


def test_never_clean_is_refused_and_nothing_written(
    ws: Path, fake: FakeLLMServer, capsys: Any
) -> None:
    fake.add(*(llm_fake.structured(broken_flow()) for _ in range(2)))
    target = ws / "flows" / "orders.flow.json"
    code, _out, err = run_cli(
        capsys, "assist", "orders", "-o", str(target), "--max-rounds", "2", "-w", str(ws)
    )
    assert code == 1
    assert "nothing offered" in err and "after 2 round(s)" in err
    assert not target.exists()
    assert len(fake.posts()) == 2


def test_edit_is_offered_as_a_diff_and_written_with_apply(
    ws: Path, fake: FakeLLMServer, capsys: Any
) -> None:
    path = ws / "flows" / "orders.flow.json"
    from nodeforge.analysis.ide.format import format_document

    original = format_document(json.dumps(GOOD_FLOW))
    assert original is not None
    path.write_text(original)
    edited = copy.deepcopy(GOOD_FLOW)
    edited["nodes"].insert(
        2,
        {
            "id": "audit",
            "type": "util/log",
            "version": "1.0.0",
            "config": {"message": "order {{ input.rows_affected }}"},
        },
    )
    edited["connections"] = [
        {"from": "create.out", "to": "insert.in"},
        {"from": "insert.out", "to": "audit.in"},
        {"from": "audit.out", "to": "reply.in"},
    ]
    fake.add(llm_fake.fenced(edited), llm_fake.fenced(edited))
    code, out, err = run_cli(capsys, "assist", "log each order", "--flow", str(path))
    assert code == 0, err
    assert out.startswith("--- a/") and '+      "id": "audit",' in out
    assert path.read_text() == original  # shown, not written
    current = json.dumps(fake.posts()[0].json)
    assert "The current flow" in current and "INSERT INTO orders" in current
    code, out, err = run_cli(capsys, "assist", "log each order", "--flow", str(path), "--apply")
    assert code == 0, err
    assert "audit" in json.loads(path.read_text())["nodes"][2]["id"]
    assert main(["check", str(path)]) == 0


def test_malformed_json_counts_as_a_round(ws: Path, fake: FakeLLMServer, capsys: Any) -> None:
    fake.add(llm_fake.malformed(), llm_fake.json_content(GOOD_FLOW))
    code, out, err = run_cli(capsys, "assist", "orders", "-w", str(ws), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["rounds"] == 2
    assert "could not be read" in result["attempts"][0]["problems"][0]
    assert json.loads(result["text"])["id"] == "orders"


def test_refusal_stops_at_once(ws: Path, fake: FakeLLMServer, capsys: Any) -> None:
    fake.add(llm_fake.refusal("not allowed"), llm_fake.structured(GOOD_FLOW))
    code, out, err = run_cli(capsys, "assist", "orders", "-w", str(ws))
    assert code == 1
    assert "refused" in err
    assert len(fake.posts()) == 1 and out == ""


def test_show_prompt_prints_the_exact_bodies_without_secrets(
    ws: Path, fake: FakeLLMServer, capsys: Any
) -> None:
    fake.add(llm_fake.structured(GOOD_FLOW))
    code, out, err = run_cli(capsys, "assist", "orders", "-w", str(ws), "--show-prompt")
    assert code == 0, err
    shown = err.split("--- request 1 ---\n", 1)[1]
    body, _ = json.JSONDecoder().raw_decode(shown)
    assert body == fake.posts()[0].json
    assert "shopdb (postgres)" in json.dumps(body)
    for secret in SECRETS:
        assert secret not in err and secret not in out
    assert_no_secrets(fake)


@pytest.mark.parametrize("flavour", ["anthropic", "gemini"])
def test_other_wire_formats(ws: Path, fake: FakeLLMServer, capsys: Any, flavour: str) -> None:
    llm_fake.configure(ws, fake, name="helper", provider=flavour, api_key=API_KEY)
    fake.add(llm_fake.structured(broken_flow()), llm_fake.structured(GOOD_FLOW))
    code, out, err = run_cli(capsys, "assist", "orders", "-w", str(ws), "--json")
    assert code == 0, err
    assert json.loads(out)["rounds"] == 2
    assert {r.flavour for r in fake.posts()} == {flavour}
    assert_no_secrets(fake)


def test_usage_errors(ws: Path, tmp_path: Path, capsys: Any) -> None:
    assert run_cli(capsys, "assist", "-w", str(ws))[0] == 2  # no description
    assert run_cli(capsys, "assist", "x", "--max-rounds", "0", "-w", str(ws))[0] == 2
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "nodeforge.toml").write_text('[project]\nname = "bare"\n')
    code, _, err = run_cli(capsys, "assist", "orders", "-w", str(bare))
    assert code == 2 and "llm" in err


# -- adapters -----------------------------------------------------------------------------

MISMATCH: dict[str, Any] = {
    "nodeforge": "1",
    "id": "notify",
    "name": "Notify",
    "nodes": [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {
                "input_schema": {
                    "type": "object",
                    "properties": {"mail": {"type": "string"}, "n": {"type": "integer"}},
                    "required": ["mail", "n"],
                }
            },
        },
        {
            "id": "check",
            "type": "data/validate",
            "version": "1.0.0",
            "config": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "email": {"type": "string"},
                        "count": {"type": "string"},
                    },
                    "required": ["email", "count"],
                    "additionalProperties": False,
                }
            },
        },
    ],
    "connections": [{"from": "start.out", "to": "check.in"}],
}


def mismatch_flow(ws: Path) -> Path:
    flow = copy.deepcopy(MISMATCH)
    # data/validate takes any input: make the target a typed port with a code/go node
    flow["nodes"][1] = {
        "id": "check",
        "type": "code/go",
        "version": "1.0.0",
        "config": {
            "source": "func Run(ctx context.Context, in Input) (Output, error) {\n"
            "\treturn Output{}, nil\n}\n",
            "input_schema": {
                "type": "object",
                "properties": {"email": {"type": "string"}, "count": {"type": "string"}},
                "required": ["email", "count"],
            },
            "output_schema": {"type": "object"},
        },
    }
    path = ws / "flows" / "notify.flow.json"
    path.write_text(json.dumps(flow, indent=2))
    return path


def test_adapter_type_incorrect_then_correct(ws: Path, fake: FakeLLMServer, capsys: Any) -> None:
    path = mismatch_flow(ws)
    analysis = analyze(path.read_text(), uri=path.as_uri(), workspace=load_workspace(ws))
    assert any(d.code in ("NF009", "NF010") for d in analysis.diagnostics)
    fake.add(
        llm_fake.structured({"mapping": {"email": "input.n", "count": "input.n"}}),
        llm_fake.structured({"mapping": {"email": "input.mail", "count": "string(input.n)"}}),
    )
    code, _out, err = run_cli(capsys, "assist", "--adapter", str(path), "0", "--apply")
    assert code == 0, err
    assert "2 round(s)" in err
    second = json.dumps(fake.posts()[1].json)
    assert "NF0" in second  # the analysis' verdict on the first mapping went back
    flow = json.loads(path.read_text())
    adapter = next(n for n in flow["nodes"] if n["type"] == "data/map")
    assert adapter["config"]["mapping"] == {"email": "input.mail", "count": "string(input.n)"}
    assert main(["check", str(path)]) == 0
    assert_no_secrets(fake)


def test_adapter_without_model_when_every_field_matches(ws: Path, fake: FakeLLMServer) -> None:
    flow = copy.deepcopy(MISMATCH)
    flow["nodes"][0]["config"]["input_schema"]["properties"] = {
        "email": {"type": "string"},
        "count": {"type": "integer"},
    }
    flow["nodes"][0]["config"]["input_schema"]["required"] = ["email", "count"]
    path = mismatch_flow(ws)
    text = json.loads(path.read_text())
    text["nodes"][0] = flow["nodes"][0]
    analysis = analyze(json.dumps(text), uri=path.as_uri(), workspace=load_workspace(ws))
    index = next(d.data["index"] for d in analysis.diagnostics if d.code in ("NF009", "NF010"))
    result = adapt(None, analysis, index)
    assert result.ok and not result.asked_model
    assert result.outcome.value is not None
    assert result.outcome.value.mapping == {"email": "input.email", "count": "string(input.count)"}
    assert fake.posts() == []


# -- node customization -------------------------------------------------------------------


def _sandbox_or_skip() -> None:
    import os

    from nodeforge.sandbox.runner import unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the sandbox must be available in CI: {reason}")
        pytest.skip(f"sandbox unavailable: {reason}")


CODE_FLOW: dict[str, Any] = {
    "nodeforge": "1",
    "id": "greet",
    "name": "Greet",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "greet",
            "type": "code/go",
            "version": "1.0.0",
            "config": {
                "source": "func Run(ctx context.Context, in Input) (Output, error) {\n"
                '\treturn Output{Text: "hello " + in.Name}, nil\n}\n',
                "input_schema": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                },
                "output_schema": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}},
                    "required": ["text"],
                },
            },
        },
    ],
    "connections": [{"from": "start.out", "to": "greet.in"}],
}


def test_go_that_does_not_compile_then_go_that_passes(
    ws: Path, fake: FakeLLMServer, capsys: Any
) -> None:
    _sandbox_or_skip()
    path = ws / "flows" / "greet.flow.json"
    path.write_text(json.dumps(CODE_FLOW, indent=2))
    tests = ws / "greet.tests.json"
    tests.write_text(
        json.dumps([{"name": "ana", "input": {"name": "ana"}, "expect": {"port": "out"}}])
    )
    shout = {
        "name": "shouts",
        "input": {"name": "bo"},
        "expect": {"port": "out", "value": {"text": "HELLO BO"}},
    }
    fake.add(
        llm_fake.structured(
            {
                "source": "func Run(ctx context.Context, in Input) (Output, error) {\n\treturn nope\n}\n",
                "test": shout,
            }
        ),
        llm_fake.structured(
            {
                "source": "func Run(ctx context.Context, in Input) (Output, error) {\n"
                '\treturn Output{Text: strings.ToUpper("hello " + in.Name)}, nil\n}\n',
                "test": shout,
            }
        ),
    )
    code, out, err = run_cli(
        capsys,
        "assist",
        "--node",
        str(path),
        "greet",
        "shout the greeting",
        "--tests",
        str(tests),
        "--apply",
    )
    assert code == 0, err
    assert "2 round(s)" in err
    assert "shouts" in out and "+\treturn Output{Text: strings.ToUpper" in out
    second = json.dumps(fake.posts()[1].json)
    assert "does not compile" in second and "nope" in second
    source = json.loads(path.read_text())["nodes"][1]["config"]["source"]
    assert "strings.ToUpper" in source
    assert_no_secrets(fake)


def test_go_failing_its_test_is_never_offered(ws: Path, fake: FakeLLMServer, capsys: Any) -> None:
    _sandbox_or_skip()
    path = ws / "flows" / "greet.flow.json"
    path.write_text(json.dumps(CODE_FLOW, indent=2))
    before = path.read_text()
    wrong = {
        "source": CODE_FLOW["nodes"][1]["config"]["source"],
        "test": {
            "name": "t",
            "input": {"name": "x"},
            "expect": {"port": "out", "value": {"text": "HI"}},
        },
    }
    fake.add(llm_fake.structured(wrong))
    code, _out, err = run_cli(
        capsys, "assist", "--node", str(path), "greet", "say hi", "--max-rounds", "1", "--apply"
    )
    assert code == 1
    assert "test `t` fails" in err
    assert path.read_text() == before


# -- pure logic -----------------------------------------------------------------------------


class ScriptedClient:
    """An in-process client for the loop's bookkeeping (no provider involved)."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.requests: list[ChatRequest] = []

    def chat(self, request: ChatRequest, **_: Any) -> ChatResponse:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, LLMError):
            raise answer
        return ChatResponse(json.dumps(answer), answer, Usage(10, 5), "m", "fake", False, None)


def test_repair_loop_keeps_only_the_last_answer() -> None:
    client = ScriptedClient([{"v": 1}, {"v": 2}, {"v": 3}])

    def check(data: Any) -> tuple[int | None, list[str]]:
        return (data["v"], []) if data["v"] == 3 else (None, [f"v is {data['v']}"])

    base = prompts.flow_messages("ctx", "task", editing=False)
    out = run_loop(client, base, check, feature="assist", schema={}, schema_name="x", max_rounds=3)
    assert out.ok and out.value == 3 and out.rounds == 3
    assert [a.ok for a in out.attempts] == [False, False, True]
    assert out.input_tokens == 30 and out.output_tokens == 15
    third = client.requests[2].messages
    assert len(third) == 4  # system, task, the last answer, its problems
    assert third[2].content == '{"v": 2}' and "v is 2" in third[3].content
    assert "v is 1" not in "".join(m.content for m in third)


def test_repair_loop_stops_on_provider_errors_but_not_on_bad_json() -> None:
    client = ScriptedClient([LLMError("bad_response", "not JSON"), LLMError("timeout", "slow")])
    out = run_loop(
        client, [], lambda d: (d, []), feature="assist", schema={}, schema_name="x", max_rounds=3
    )
    assert not out.ok and out.error_kind == "timeout" and out.rounds == 1
    assert "not JSON" in client.requests[1].messages[-1].content


def test_repair_message_caps_the_problems() -> None:
    text = prompts.repair_message([f"p{i}" for i in range(30)])
    assert "- p19" in text and "- p20" not in text and "and 10 more" in text


def test_catalog_context_is_compact_and_holds_no_settings(ws: Path) -> None:
    context = build_context(load_workspace(ws))
    assert "sql/exec 1.0.0 [action]" in context and "shopdb (postgres)" in context
    assert "data/map 1.1.0" in context and "(older: 1.0.0)" in context
    assert PG_PASSWORD not in context and ENV_SECRET not in context
    assert estimate_tokens(context) < 2500


def test_schema_text() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "array", "items": {"type": "integer"}},
            "c": {"enum": ["x", "y"]},
        },
        "required": ["a"],
    }
    assert schema_text(schema) == '{a: string, b?: integer[], c?: "x"|"y"}'
    assert schema_text({"$config": "body_schema"}) == "<schema in config.body_schema>"


def test_check_flow_locates_problems(ws: Path) -> None:
    workspace = load_workspace(ws)
    value, problems = check_flow(broken_flow(), workspace, (ws / "x.flow.json").as_uri())
    assert value is None
    assert any("in node `insert`" in p and "orders_db" in p for p in problems)
    assert any("in node `reply`" in p for p in problems)
    value, problems = check_flow({"flow": GOOD_FLOW}, workspace, (ws / "x.flow.json").as_uri())
    assert value is not None and problems == []
    _, problems = check_flow(GOOD_FLOW, workspace, "file:///x.flow.json", keep_id="other")
    assert any("keep the flow's id `other`" in p for p in problems)
    assert check_flow([1], workspace, "file:///x.flow.json")[1]


def test_minimal_edits_touch_only_changed_lines() -> None:
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\ne\n"
    edits = minimal_edits(old, new)
    assert apply_edits(old, edits) == new
    assert [e.new_text for e in edits] == ["B\n", "e\n"]


def test_unmatched_fields() -> None:
    assert unmatched_fields({"a": "input.a", "b": '""', "c": "0", "d": "string(input.x)"}) == [
        "b",
        "c",
    ]


# -- the bundled task set -------------------------------------------------------------------


def test_task_set_is_well_formed_and_its_checks_work() -> None:
    from bench.llm_tasks import failed_checks, load_tasks

    data = load_tasks()
    assert len(data["tasks"]) >= 24
    checks = next(t["checks"] for t in data["tasks"] if t["id"] == "orders_post")
    flow = copy.deepcopy(GOOD_FLOW)
    assert failed_checks(flow, checks) == []
    flow["nodes"][2]["config"]["status"] = 200
    assert failed_checks(flow, checks) == ['no http/respond with {"status": 201}']
    assert failed_checks(flow, [{"edge": ["http/trigger", "sql/exec"]}]) == []
    assert failed_checks(flow, [{"edge": ["sql/exec", "http/trigger"]}])


def test_task_runner_against_the_fake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeLLMServer, capsys: Any
) -> None:
    import shutil

    from bench.llm_tasks import main as tasks_main

    monkeypatch.setenv("NODEFORGE_KEY_DIR", str(tmp_path / "keys"))
    root = tmp_path / "examples"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples", root)
    llm_fake.configure(root, fake, name="assistant", api_key=API_KEY)
    health = {
        "nodeforge": "1",
        "id": "health",
        "name": "Health",
        "nodes": [
            {
                "id": "get",
                "type": "http/trigger",
                "version": "1.0.0",
                "config": {"method": "GET", "path": "/health"},
            },
            {
                "id": "ok",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": 200, "body": '{"ok": true}'},
            },
        ],
        "connections": [{"from": "get.out", "to": "ok.in"}],
    }
    fake.add(llm_fake.structured(health))
    assert tasks_main(["-w", str(root), "-k", "health", "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tasks"] == 1 and summary["first_answer_clean"] == 1.0
    assert summary["accepted"] == 1.0


# -- customizing a fork: its kit's Go files ------------------------------------------------

FETCH_FLOW: dict[str, Any] = {
    "nodeforge": "1",
    "id": "fetcher",
    "name": "Fetcher",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "call",
            "type": "acme/fetch",
            "version": "1.1.0",
            "config": {"method": "GET", "url": "http://127.0.0.1:9/x"},
        },
    ],
    "connections": [{"from": "start.out", "to": "call.in"}],
}


def _forked(ws: Path) -> tuple[Path, Path, str, str]:
    """A fork of http/request 1.1.0 as acme/fetch used by a flow: (flow, kit folder, the
    executor's file name, its package)."""
    import re

    from nodeforge.project.fork import fork_node

    info = fork_node(ws, "http/request@1.1.0", "acme/fetch")
    folder = ws / info.folder
    path = ws / "flows" / "fetcher.flow.json"
    path.write_text(json.dumps(FETCH_FLOW, indent=2))
    go = next(p for p in sorted(folder.glob("*.go")) if not p.name.endswith("_test.go"))
    package = re.search(r"^package (\w+)", go.read_text(), re.M)
    assert package is not None
    return path, folder, go.name, package.group(1)


def _kit_answer(source: str, name: str, package: str, body: str) -> dict[str, Any]:
    test = (
        f'package {package}\n\nimport "testing"\n\nfunc TestUserAgent(t *testing.T) {{\n'
        f'\tif got := UserAgent(); got != "acme-fetch/1" {{\n\t\tt.Fatalf("UserAgent() = %q", got)\n'
        "\t}\n}\n"
    )
    return {
        "files": {
            name: source
            + f"\n// UserAgent is what the fork sends.\nfunc UserAgent() string {{ {body} }}\n"
        },
        "test": {"file": "useragent_test.go", "source": test},
    }


def test_a_fork_is_customized_go_that_does_not_compile_then_go_that_passes(
    ws: Path, fake: FakeLLMServer, capsys: Any
) -> None:
    """``assist --node`` on a forked node: the model edits the kit's Go executor; a
    compile error goes back to it; the kit's own tests and the model's new test run in
    the sandbox; only then is the change offered, as a diff of the kit's files."""
    _sandbox_or_skip()
    flow, folder, name, package = _forked(ws)
    source = (folder / name).read_text()
    fake.add(
        llm_fake.structured(_kit_answer(source, name, package, "return nope")),
        llm_fake.structured(_kit_answer(source, name, package, 'return "acme-fetch/1"')),
    )
    code, out, err = run_cli(
        capsys, "assist", "--node", str(flow), "call", "add a user agent", "--apply"
    )
    assert code == 0, err
    assert "2 round(s)" in err
    assert "TestUserAgent" in out  # the model's test ran (and passed) in the sandbox
    assert f"+++ b/nodes/fetch/{name}" in out and "+++ b/nodes/fetch/useragent_test.go" in out
    first = json.dumps(fake.posts()[0].json)
    assert "call.go.j2" in first and "func Test" in first  # template and kit tests shown
    second = json.dumps(fake.posts()[1].json)
    assert "undefined: nope" in second and f"nodes/fetch/{name}:" in second
    assert 'return "acme-fetch/1"' in (folder / name).read_text()
    assert (folder / "useragent_test.go").is_file()
    assert_no_secrets(fake)


def test_a_fork_change_failing_its_test_is_never_offered(
    ws: Path, fake: FakeLLMServer, capsys: Any
) -> None:
    _sandbox_or_skip()
    flow, folder, name, package = _forked(ws)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    source = (folder / name).read_text()
    wrong = _kit_answer(source, name, package, 'return "other"')
    fake.add(llm_fake.structured(wrong), llm_fake.structured(wrong))
    code, _out, err = run_cli(
        capsys,
        "assist",
        "--node",
        str(flow),
        "call",
        "add a user agent",
        "--apply",
        "--max-rounds",
        "2",
        "--json",
    )
    assert code == 1, err
    second = json.dumps(fake.posts()[1].json)
    assert "go test fails" in second and "useragent_test.go" in second
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written


def test_customizing_a_standard_node_asks_for_a_fork(
    ws: Path, fake: FakeLLMServer, capsys: Any
) -> None:
    path = ws / "flows" / "fetcher.flow.json"
    flow = copy.deepcopy(FETCH_FLOW)
    flow["nodes"][1]["type"] = "http/request"
    path.write_text(json.dumps(flow))
    code, _out, err = run_cli(capsys, "assist", "--node", str(path), "call", "add a header")
    assert code == 1
    assert "fork it first (nodeforge fork http/request@1.1.0" in err
    assert fake.posts() == []


def test_kit_answers_are_checked_for_their_form() -> None:
    from nodeforge.assist.customize import _read_kit_answer

    code = {"fetch.go": "package x\n"}
    tests = {"fetch_test.go": "package x\n"}
    good_test = {"file": "new_test.go", "source": "package x\nfunc TestX(t *testing.T) {}\n"}
    ok, problems = _read_kit_answer(
        {"files": {"fetch.go": "package x // v2\n"}, "test": good_test}, code, tests
    )
    assert ok is not None and problems == []
    for answer, expected in [
        ({"files": {}, "test": good_test}, "at least one Go file"),
        ({"files": {"../x.go": "package x"}, "test": good_test}, "not a Go file name"),
        ({"files": {"fetch_test.go": "package x"}, "test": good_test}, "keep the kit's tests"),
        ({"files": {"fetch.go": "package x\n"}, "test": good_test}, "unchanged"),
        (
            {"files": {"fetch.go": "package y\n"}, "test": {**good_test, "file": "fetch_test.go"}},
            "use a new name",
        ),
        (
            {"files": {"fetch.go": "package y\n"}, "test": {"file": "a.go", "source": "x"}},
            "_test.go",
        ),
    ]:
        value, found = _read_kit_answer(answer, code, tests)
        assert value is None and any(expected in p for p in found), (answer, found)
