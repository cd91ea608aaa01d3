"""gofmt runs on the node methods while they are generated, in runs formatted apart
(codegen/module.py): the joined file must be exactly what gofmt makes of the whole."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.genflow import generate_flow
from nodeforge.codegen import module as codegen_module
from nodeforge.codegen.module import collect_flows, generate_module
from tests.test_build_support import EXAMPLES, GOLDEN

pytestmark = pytest.mark.skipif(shutil.which("gofmt") is None, reason="gofmt is not installed")


def _flow_files(path: Path) -> dict[str, bytes]:
    root, flows = collect_flows(path)
    module = generate_module(root, flows)
    assert module.ok, module.diagnostics
    return {k: v for k, v in module.files.items() if k.startswith("flow_")}


def test_methods_formatted_in_many_runs_match_the_goldens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(codegen_module, "FORMAT_RUN_LINES", 1)  # a run per node method
    for name, data in _flow_files(EXAMPLES).items():
        golden = GOLDEN / "examples_workspace" / (name + ".golden")
        assert data == golden.read_bytes(), name


def test_a_large_flow_formatted_in_runs_is_gofmt_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "big"\n')
    flow = generate_flow(300, error_rate=0.0)
    (tmp_path / "big.flow.json").write_text(json.dumps(flow, indent=2))
    monkeypatch.setattr(codegen_module, "FORMAT_RUN_LINES", 200)
    runs = _flow_files(tmp_path)
    monkeypatch.setattr(codegen_module, "FORMAT_RUN_LINES", 10**9)
    assert runs == _flow_files(tmp_path)
    for name, data in runs.items():
        again = subprocess.run(["gofmt"], input=data, capture_output=True, check=True).stdout
        assert again == data, f"{name} is not gofmt-clean"
