"""``nodeforge watch``: an edit rebuilds and restarts the app; a broken edit keeps the last
good app serving and records the failure in the build state."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from nodeforge.codegen.build import read_state
from tests.test_build_support import free_port, make_workspace, needs_go


def _flow(body: str) -> dict[str, Any]:
    return {
        "nodeforge": "1",
        "id": "hello",
        "nodes": [
            {
                "id": "ask",
                "type": "http/trigger",
                "version": "1.0.0",
                "config": {"method": "GET", "path": "/hello"},
            },
            {
                "id": "reply",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": 200, "body": body},
            },
        ],
        "connections": [{"from": "ask.out", "to": "reply.in"}],
    }


def _get(port: int) -> Any:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=2) as res:
            return json.loads(res.read())
    except OSError:
        return None


def _until(cond: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@needs_go
def test_watch_rebuilds_restarts_and_survives_a_broken_edit(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", _flow('{"v": 1}'))
    port = free_port()
    log = (tmp_path / "watch.log").open("wb")
    cmd = [sys.executable, "-m", "nodeforge", "watch", str(ws), "--addr", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    try:
        _until(lambda: _get(port) == {"v": 1})
        (ws / "hello.flow.json").write_text(json.dumps(_flow('{"v": 2}')))
        _until(lambda: _get(port) == {"v": 2})
        assert read_state(ws)["state"] == "succeeded"
        # Analysis errors (an unknown function) fail the build: the old app keeps serving.
        (ws / "hello.flow.json").write_text(json.dumps(_flow('{"v": nope(3)}')))
        _until(lambda: read_state(ws)["state"] == "failed")
        assert _get(port) == {"v": 2}
        assert "nope" in json.dumps(read_state(ws)["errors"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    text = (tmp_path / "watch.log").read_text()
    assert "build failed (the previous app keeps running)" in text
    assert _get(port) is None  # the app was stopped with the watcher
