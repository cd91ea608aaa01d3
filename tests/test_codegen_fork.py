"""Forked nodes (``nodeforge fork``) are compiled from the fork's own Go code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.test_broken_flows import run_cli

FLOW = {
    "nodeforge": "1",
    "id": "fetcher",
    "nodes": [
        {
            "id": "api",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {"method": "GET", "path": "/s"},
        },
        {
            "id": "call",
            "type": "acme/fetch",
            "version": "1.1.0",
            "config": {"method": "GET", "url": "http://127.0.0.1:9/x"},
        },
        {"id": "ok", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
        {"id": "bad", "type": "http/respond", "version": "1.0.0", "config": {"status": 502}},
    ],
    "connections": [
        {"from": "api.out", "to": "call.in"},
        {"from": "call.out", "to": "ok.in"},
        {"from": "call.error", "to": "bad.in"},
    ],
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    assert run_cli("init", str(tmp_path), "--name", "forks").returncode == 0
    fork = run_cli("fork", "http/request@1.1.0", "--as", "acme/fetch", cwd=tmp_path)
    assert fork.returncode == 0, fork.stderr
    (tmp_path / "flows" / "fetcher.flow.json").write_text(json.dumps(FLOW, indent=2))
    return tmp_path


def test_generated_module_uses_the_forks_code(workspace: Path) -> None:
    source = next((workspace / "nodes").glob("*/request.go"))
    source.write_text(source.read_text() + "\n// changed in the fork\n")
    out = workspace / "gen"
    result = run_cli("generate", str(workspace), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    copied = out / "catalog" / "acme" / "fetch" / "1.1.0" / "request.go"
    assert copied.read_text() == source.read_text()
    flow_go = (out / "flow_fetcher.go").read_text()
    assert '"nodeforge.dev/catalog/acme/fetch/1.1.0"' in flow_go
    assert "acmefetch.Call(" in flow_go
    assert not (out / "catalog" / "http" / "request").exists()  # only what is used


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")
def test_a_flow_with_a_fork_builds(workspace: Path) -> None:
    result = run_cli("build", str(workspace))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (workspace / ".nodeforge" / "bin" / "forks").is_file()
