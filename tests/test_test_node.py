"""``nodeforge test-node``: standard nodes through a compiled one-node flow, custom code
through its harness, the harness cache, build errors, refusal and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.sandbox.nodetest import NodeTestError, run_node_test
from nodeforge.sandbox.runner import Status
from nodeforge.sandbox.testing import code_node_analysis, code_node_flow
from tests.sandbox_support import private_harness_cache, require_sandbox

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")

FLOW = {
    "nodeforge": "1",
    "id": "tn",
    "name": "tn",
    "nodes": [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {
                "input_schema": {
                    "type": "object",
                    "required": ["qty"],
                    "properties": {"qty": {"type": "integer"}, "name": {"type": "string"}},
                }
            },
        },
        {
            "id": "big",
            "type": "flow/if",
            "version": "1.0.0",
            "config": {"condition": "input.qty >= 100"},
        },
        {
            "id": "shape",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"n": "input.qty * 2", "who": "upper(input.name)"}},
        },
        {
            "id": "note",
            "type": "util/log",
            "version": "1.0.0",
            "config": {"message": "qty {{ input.qty }}", "level": "warn"},
        },
        {
            "id": "reply",
            "type": "http/respond",
            "version": "1.0.0",
            "config": {"status": 202, "body": '{"seen": input.qty}'},
        },
        {
            "id": "ref",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"n": "nodes.start.out.qty"}},
        },
    ],
    "connections": [
        {"from": "start.out", "to": "big.in"},
        {"from": "big.true", "to": "shape.in"},
        {"from": "big.false", "to": "note.in"},
        {"from": "note.out", "to": "reply.in"},
        {"from": "shape.out", "to": "ref.in"},
    ],
}


@pytest.fixture(scope="module", autouse=True)
def harness_cache() -> Iterator[Path]:
    with private_harness_cache("nf-test-node-cache-") as folder:
        yield folder


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    a = analyze(json.dumps(FLOW), uri="file:///tn.flow.json")
    assert not [d for d in a.diagnostics if d.severity.name == "ERROR"], a.diagnostics
    return a


def test_if_node_fires_the_right_port(analysis: Analysis) -> None:
    require_sandbox()
    r = run_node_test(analysis, "big", {"qty": 150, "name": "ada"})
    assert r.status == Status.OK, r.message
    assert r.outputs == {"true": {"qty": 150, "name": "ada"}}
    assert r.confined
    r2 = run_node_test(analysis, "big", {"qty": 5})
    assert r2.outputs == {"false": {"qty": 5}}
    assert r2.cached  # config unchanged: the harness is reused


def test_map_node_evaluates_its_expressions_in_go(analysis: Analysis) -> None:
    require_sandbox()
    r = run_node_test(analysis, "shape", {"qty": 21, "name": "ada"})
    assert r.status == Status.OK, r.message
    assert r.outputs == {"out": {"n": 42, "who": "ADA"}}


def test_log_node_logs(analysis: Analysis) -> None:
    require_sandbox()
    r = run_node_test(analysis, "note", {"qty": 3})
    assert r.status == Status.OK
    assert r.outputs == {"out": {"qty": 3}}
    warn = [entry for entry in r.logs if entry.get("msg") == "qty 3"]
    assert warn and warn[0]["level"] == "WARN" and warn[0]["node"] == "note"


def test_respond_node_gives_its_answer(analysis: Analysis) -> None:
    require_sandbox()
    r = run_node_test(analysis, "reply", {"qty": 3})
    assert r.status == Status.OK, r.message
    assert r.outputs["response"]["status"] == 202
    assert r.outputs["response"]["body"] == {"seen": 3}


def test_expression_error_is_a_node_error(analysis: Analysis) -> None:
    require_sandbox()
    r = run_node_test(analysis, "shape", {"qty": 1})  # name missing: upper() of nothing
    assert r.status == Status.NODE_ERROR
    assert r.message


def test_segment_from_a_node_to_another(analysis: Analysis) -> None:
    require_sandbox()
    r = run_node_test(analysis, "big", {"qty": 5}, to="reply")
    assert r.status == Status.OK, r.message
    assert r.to == "reply"
    assert r.outputs["response"]["status"] == 202
    assert r.outputs["response"]["body"] == {"seen": 5}
    assert any(entry.get("msg") == "qty 5" for entry in r.logs)  # `note` ran on the way
    r = run_node_test(analysis, "big", {"qty": 500, "name": "z"}, to="shape")
    assert r.outputs == {"out": {"n": 1000, "who": "Z"}}
    r = run_node_test(analysis, "big", {"qty": 5}, to="shape")  # takes the other branch
    assert r.status == Status.OK and r.outputs == {} and "did not reach" in r.message
    with pytest.raises(NodeTestError, match="not reached"):
        run_node_test(analysis, "shape", {}, to="note")


def test_nodes_reading_other_nodes_cannot_be_tested_alone(analysis: Analysis) -> None:
    with pytest.raises(NodeTestError, match="reads other nodes"):
        run_node_test(analysis, "ref", {})
    with pytest.raises(NodeTestError, match="no node"):
        run_node_test(analysis, "ghost", {})


def test_custom_code_is_cached_by_its_hash() -> None:
    require_sandbox()
    src = 'func Run(ctx context.Context, in Input) (Output, error) {\n\treturn Output{"v": %d}, nil\n}\n'
    first = run_node_test(code_node_analysis(src % 1), "code", {})
    again = run_node_test(code_node_analysis(src % 1), "code", {})
    edited = run_node_test(code_node_analysis(src % 2), "code", {})
    assert first.outputs == {"out": {"v": 1}} and not first.cached
    assert again.cached and again.outputs == {"out": {"v": 1}}
    assert not edited.cached and edited.outputs == {"out": {"v": 2}}


def test_typed_custom_code() -> None:
    require_sandbox()
    src = (
        "func Run(ctx context.Context, in Input) (Output, error) {\n"
        "\treturn Output{Total: float64(in.Qty) * in.Price, Label: strings.ToUpper(in.SKU)}, nil\n}\n"
    )
    a = code_node_analysis(
        src,
        input_schema={
            "type": "object",
            "required": ["sku", "qty", "price"],
            "properties": {
                "sku": {"type": "string"},
                "qty": {"type": "integer"},
                "price": {"type": "number"},
            },
        },
        output_schema={
            "type": "object",
            "required": ["total", "label"],
            "properties": {"total": {"type": "number"}, "label": {"type": "string"}},
        },
    )
    r = run_node_test(a, "code", {"sku": "a1", "qty": 3, "price": 2.5})
    assert r.status == Status.OK, r.message
    assert r.outputs == {"out": {"total": 7.5, "label": "A1"}}
    bad = run_node_test(a, "code", {"sku": 1})
    assert bad.status == Status.NODE_ERROR and bad.outputs["error"]["code"] == "input"


def test_build_errors_are_reported() -> None:
    r = run_node_test(
        code_node_analysis(
            "func Run(ctx context.Context, in Input) (Output, error) {\n\treturn nil\n}\n"
        ),
        "code",
        {},
    )
    if r.status == Status.SANDBOX_UNAVAILABLE:
        pytest.skip(r.message)
    assert r.status == Status.NODE_ERROR
    assert "does not compile" in r.message
    assert "source:2:" in r.build_errors  # line 2 of the node's source


def _cli(
    args: list[str], *, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nodeforge", "test-node", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_cli(tmp_path: Path) -> None:
    require_sandbox()
    flow = tmp_path / "tn.flow.json"
    flow.write_text(json.dumps(FLOW))
    proc = _cli(
        [str(flow), "shape", "--input", "-", "--format", "json"], stdin='{"qty": 2, "name": "b"}'
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    assert out["status"] == "ok" and out["outputs"] == {"out": {"n": 4, "who": "B"}}
    proc = _cli([str(flow), "shape", "--limit", "wall_seconds=9999"])
    assert proc.returncode == 2 and "wall_seconds" in proc.stderr
    proc = _cli([str(flow), "ref"])
    assert proc.returncode == 2 and "reads other nodes" in proc.stderr


def test_cli_refuses_without_sandbox_unless_unsafe(tmp_path: Path) -> None:
    go = shutil.which("go")
    assert go is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "go").symlink_to(go)
    marker = tmp_path / "ran"
    src = f'func Run(ctx context.Context, in Input) (Output, error) {{\n\tos.WriteFile("{marker}", nil, 0o644)\n\treturn Output{{}}, nil\n}}\n'
    flow = tmp_path / "code.flow.json"
    flow.write_text(code_node_flow(src))
    env = {**os.environ, "PATH": str(bin_dir)}
    proc = _cli([str(flow), "code"], env=env)
    assert proc.returncode == 1
    assert "sandbox_unavailable" in proc.stdout and "bubblewrap" in proc.stdout
    assert not marker.exists()
    proc = _cli([str(flow), "code", "--unsafe-no-sandbox"], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "NOT SANDBOXED" in proc.stdout and "WARNING" in proc.stderr
    assert marker.exists()


def test_a_fork_runs_its_own_go_code(tmp_path: Path) -> None:
    require_sandbox()
    for args in (
        ["init", str(tmp_path)],
        ["fork", "util/log@1.0.0", "--as", "acme/log", "-w", str(tmp_path)],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "nodeforge", *args], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    executor = tmp_path / "nodes" / "log" / "log.go"
    code = executor.read_text()
    assert "x.Logger(node).Log(x.Context(), l, message, fields...)" in code
    executor.write_text(
        code.replace(
            "x.Logger(node).Log(x.Context(), l, message, fields...)",
            'x.Logger(node).Log(x.Context(), l, "forked: "+message, fields...)',
        )
    )
    flow = tmp_path / "flows" / "f.flow.json"
    flow.write_text(
        json.dumps(
            {
                "nodeforge": "1",
                "id": "f",
                "name": "f",
                "nodes": [
                    {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
                    {
                        "id": "note",
                        "type": "acme/log",
                        "version": "1.0.0",
                        "config": {"message": "hi {{ input.who }}"},
                    },
                ],
                "connections": [{"from": "start.out", "to": "note.in"}],
            }
        )
    )
    from nodeforge.sandbox.nodetest import load_flow

    r = run_node_test(load_flow(flow), "note", {"who": "ada"})
    assert r.status == Status.OK, r.message
    assert r.outputs == {"out": {"who": "ada"}}
    assert any(entry.get("msg") == "forked: hi ada" for entry in r.logs), r.logs
    again = run_node_test(load_flow(flow), "note", {"who": "bo"})
    assert again.cached
    executor.write_text(executor.read_text().replace('"forked: "', '"fork v2: "'))
    edited = run_node_test(load_flow(flow), "note", {"who": "cy"})
    assert not edited.cached
    assert any(entry.get("msg") == "fork v2: hi cy" for entry in edited.logs), edited.logs


def test_input_is_completed_and_checked(analysis: Analysis) -> None:
    require_sandbox()
    r = run_node_test(analysis, "note", {})  # `qty` is required: filled with 0
    assert r.status == Status.OK, r.message
    assert r.outputs == {"out": {"qty": 0}}
    bad = run_node_test(analysis, "note", {"qty": "many"})
    assert bad.status == Status.NODE_ERROR
    assert "does not match" in bad.message and "/qty" in bad.message


def test_environment_is_only_what_the_test_gives() -> None:
    require_sandbox()
    src = 'func Run(ctx context.Context, in Input) (Output, error) {\n\treturn Output{"api": os.Getenv("API_URL"), "home": os.Getenv("HOME"), "user": os.Getenv("USER")}, nil\n}\n'
    r = run_node_test(code_node_analysis(src), "code", {}, env={"API_URL": "https://x.test"})
    assert r.status == Status.OK, r.message
    assert r.outputs["out"] == {"api": "https://x.test", "home": "/tmp/work", "user": ""}
    with pytest.raises(NodeTestError, match="not allowed"):
        run_node_test(code_node_analysis(src), "code", {}, env={"PATH": "/evil"})


def test_env_reaches_expressions_of_standard_nodes() -> None:
    require_sandbox()
    doc = json.loads(json.dumps(FLOW))
    doc["nodes"][2]["config"]["mapping"] = {"u": "env.API_URL"}
    a = analyze(json.dumps(doc), uri="file:///tn.flow.json")
    r = run_node_test(a, "shape", {"qty": 1}, env={"API_URL": "https://x.test"})
    assert r.status == Status.OK, r.message
    assert r.outputs == {"out": {"u": "https://x.test"}}


def test_simulation_can_run_custom_code_in_the_sandbox() -> None:
    require_sandbox()
    from nodeforge.sandbox.simulate import Simulation

    doc = {
        "nodeforge": "1",
        "id": "mix",
        "name": "mix",
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {
                "id": "code",
                "type": "code/go",
                "version": "1.0.0",
                "config": {
                    "source": 'func Run(ctx context.Context, in Input) (Output, error) {\n\tif in["fail"] == true {\n\t\treturn nil, errors.New("no")\n\t}\n\treturn Output{"doubled": in["n"].(float64) * 2, "key": os.Getenv("KEY"), "home": os.Getenv("HOME_SECRET")}, nil\n}\n'
                },
            },
            {
                "id": "after",
                "type": "data/map",
                "version": "1.0.0",
                "config": {"mapping": {"v": "input"}},
            },
            {"id": "oops", "type": "http/respond", "version": "1.0.0", "config": {"status": 502}},
        ],
        "connections": [
            {"from": "start.out", "to": "code.in"},
            {"from": "code.out", "to": "after.in"},
            {"from": "code.error", "to": "oops.in"},
        ],
    }
    a = analyze(json.dumps(doc), uri="file:///mix.flow.json")
    os.environ["HOME_SECRET"] = "must-not-leak"
    try:
        r = Simulation(a, input_value={"n": 4}, env={"KEY": "k1"}, run_code=True).run()
        # With no env given, expressions see the process environment, custom code nothing.
        r2 = Simulation(a, input_value={"n": 4}, run_code=True).run()
    finally:
        del os.environ["HOME_SECRET"]
    assert r2["nodes"]["after"]["outputs"]["out"]["v"]["home"] == ""
    assert r["status"] == "done" and r["faithful"], r
    assert r["nodes"]["after"]["outputs"]["out"] == {"v": {"doubled": 8, "key": "k1", "home": ""}}
    r = Simulation(a, input_value={"n": 1, "fail": True}, env={}, run_code=True).run()
    assert r["response"]["status"] == 502
    r = Simulation(a, input_value={"n": 1}, env={}).run()  # without run_code: mocked
    assert not r["faithful"]
