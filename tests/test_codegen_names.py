"""Generated file and folder names the go command would read a meaning into: a flow id
ending in ``_test`` (a test file), ``_windows``/``_amd64``/... (a build constraint), or
named ``internal``/``vendor``/``testdata``/a Windows device (special import path
elements). Built with real ``go build`` and run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nodeforge.codegen.build import build
from nodeforge.codegen.gonames import code_folder_name, flow_file_name
from tests.test_build_support import make_workspace, needs_go, run_app
from tests.test_codegen_code_subflow import code_flow


@pytest.mark.parametrize(
    ("flow_id", "name"),
    [
        ("orders_api", "flow_orders_api.go"),
        ("greet", "flow_greet.go"),
        ("test", "flow_test-flow.go"),
        ("node_test", "flow_node_test-flow.go"),
        ("node_tests", "flow_node_tests.go"),
        ("report_windows", "flow_report_windows-flow.go"),
        ("linux", "flow_linux-flow.go"),
        ("stats_amd64", "flow_stats_amd64-flow.go"),
        ("x_linux_arm64", "flow_x_linux_arm64-flow.go"),
        ("build_386", "flow_build_386-flow.go"),
        ("wasm", "flow_wasm-flow.go"),
        ("darwinian", "flow_darwinian.go"),
        ("windows_report", "flow_windows_report.go"),
    ],
)
def test_flow_file_names(flow_id: str, name: str) -> None:
    assert flow_file_name(flow_id) == name


@pytest.mark.parametrize(
    ("flow_id", "name"),
    [
        ("greet", "greet"),
        ("internal", "internal-flow"),
        ("vendor", "vendor-flow"),
        ("testdata", "testdata-flow"),
        ("con", "con-flow"),
        ("lpt1", "lpt1-flow"),
        ("internal_tools", "internal_tools"),
        ("console", "console"),
    ],
)
def test_code_folder_names(flow_id: str, name: str) -> None:
    assert code_folder_name(flow_id) == name


def _flow(flow_id: str) -> dict[str, Any]:
    flow = code_flow()
    flow["id"] = flow_id
    return flow


@needs_go
def test_flows_with_special_ids_build_and_run(tmp_path: Path) -> None:
    ids = ["node_test", "report_windows", "stats_amd64", "linux", "internal", "vendor", "con"]
    ws = make_workspace(tmp_path / "ws", *(_flow(i) for i in ids), _flow("greet"))
    gen = tmp_path / "gen"
    result = build(ws, out_dir=gen, binary=tmp_path / "app")
    assert result.ok, (result.output, result.diagnostics)
    assert result.binary is not None
    assert (gen / "flow_greet.go").is_file() and (gen / "code" / "greet").is_dir()
    assert (gen / "flow_node_test-flow.go").is_file()
    assert (gen / "flow_report_windows-flow.go").is_file()
    assert (gen / "code" / "internal-flow" / "code_hello" / "node.go").is_file()
    for flow_id in [*ids, "greet"]:
        res, _ = run_app(result.binary, flow_id, "start", {"name": "ada"})
        assert res["status"] == 200, (flow_id, res)
        assert res["body"] == {"text": "Hello, ADA!", "double": 6}
