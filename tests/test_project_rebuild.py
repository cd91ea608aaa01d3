"""``nodeforge build FLOW --at REV``: a saved flow rebuilds exactly, or refuses."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_broken_flows import run_cli
from tests.test_build_support import free_port

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")


def flow(status: int, node_type: str = "http/respond") -> str:
    return json.dumps(
        {
            "nodeforge": "1",
            "id": "ping",
            "nodes": [
                {
                    "id": "api",
                    "type": "http/trigger",
                    "version": "1.0.0",
                    "config": {"method": "GET", "path": "/ping"},
                },
                {
                    "id": "reply",
                    "type": node_type,
                    "version": "1.0.0",
                    "config": {"status": status},
                },
            ],
            "connections": [{"from": "api.out", "to": "reply.in"}],
        },
        indent=2,
    )


def status_of(binary: Path) -> int:
    addr = f"127.0.0.1:{free_port()}"
    app = subprocess.Popen(
        [str(binary)],
        env={"NODEFORGE_ADDR": addr},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                return int(urllib.request.urlopen(f"http://{addr}/ping", timeout=1).status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the app never answered")
    finally:
        app.terminate()
        app.wait(timeout=30)


def test_a_saved_version_rebuilds_as_it_was(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path), "--name", "rebuild").returncode == 0
    path = tmp_path / "flows" / "ping.flow.json"
    path.write_text(flow(201))
    assert run_cli("save", str(path), cwd=tmp_path).returncode == 0
    path.write_text(flow(202))
    assert run_cli("save", str(path), cwd=tmp_path).returncode == 0
    result = run_cli("build", str(path), "--at", "@1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    binary = next((tmp_path / ".nodeforge" / "bin").glob("ping-*"))
    assert status_of(binary) == 201  # the older save, though the file now says 202
    assert json.loads(path.read_text())["nodes"][1]["config"]["status"] == 202  # untouched


def test_a_changed_custom_node_refuses_to_rebuild(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path), "--name", "rebuild").returncode == 0
    assert run_cli("fork", "http/respond@1.0.0", "--as", "acme/reply", cwd=tmp_path).returncode == 0
    path = tmp_path / "flows" / "ping.flow.json"
    path.write_text(flow(201, "acme/reply"))
    assert run_cli("save", str(path), cwd=tmp_path).returncode == 0
    source = next((tmp_path / "nodes").glob("*/*.go"))
    source.write_text(source.read_text() + "\n// changed after the save\n")
    result = run_cli("build", str(path), "--at", "@0", cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot rebuild" in result.stderr and "acme/reply@1.0.0 changed" in result.stderr
