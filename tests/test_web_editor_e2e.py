"""The web editor end to end in a real browser: ``nodeforge serve`` on a copy of the
examples, driven by Playwright (``web/editor/e2e/editor.e2e.test.mjs``, Debian's
chromium) through every feature of the page, while a second raw WebSocket client floods
the same gateway with requests (its answers keep coming, the page keeps working).
Screenshots of the main states are kept in ``build/e2e-screenshots/``.

In CI (scripts/setup installs Node.js and chromium) a missing npm or chromium fails the
test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.conftest import ROOT

WEB = ROOT / "web" / "editor"
SHOTS = ROOT / "build" / "e2e-screenshots"
CHROMIUM = os.environ.get("NODEFORGE_CHROMIUM", "/usr/bin/chromium")
TOKEN = "e2e-" + os.urandom(8).hex()

needs_browser = pytest.mark.skipif(
    (shutil.which("npm") is None or not Path(CHROMIUM).exists()) and not os.environ.get("CI"),
    reason="Node.js/npm or Chromium is not installed",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """``nodeforge serve`` on a copy of the examples: (page address, workspace, env)."""
    workspace = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", workspace, ignore=shutil.ignore_patterns(".nodeforge"))
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # connector keys outside the workspace
        "NODEFORGE_SECRET_KEY": "",
    }
    env.pop("NODEFORGE_SECRET_KEY")
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "nodeforge", "serve", str(workspace), "--addr", "127.0.0.1:0"],
        env={**env, "NODEFORGE_WS_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert found, f"nodeforge serve printed {line!r}"
        yield f"{found.group(1)}?token={TOKEN}", workspace, env
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


class Flood(threading.Thread):
    """A second client on the same gateway, sending requests as fast as they are
    answered (8 in flight) until stopped: the gateway's other clients must not
    starve the page."""

    def __init__(self, url: str, workspace: Path) -> None:
        super().__init__(daemon=True)
        port = int(url.split(":")[2].split("/")[0])
        self.ws_url = f"ws://127.0.0.1:{port}/lsp"
        self.uri = (workspace / "orders_api.flow.json").as_uri()
        self.text = (workspace / "orders_api.flow.json").read_text(encoding="utf-8")
        self.stop = threading.Event()
        self.answers = 0
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            with connect(self.ws_url, subprotocols=[f"nodeforge.token.{TOKEN}"]) as ws:  # type: ignore[list-item]
                ws.send(
                    json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "id": 0,
                            "method": "initialize",
                            "params": {"processId": None, "rootUri": None, "capabilities": {}},
                        }
                    )
                )
                while json.loads(ws.recv()).get("id") != 0:
                    pass
                ws.send(json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
                ws.send(
                    json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "method": "textDocument/didOpen",
                            "params": {
                                "textDocument": {
                                    "uri": self.uri,
                                    "languageId": "json",
                                    "version": 1,
                                    "text": self.text,
                                }
                            },
                        }
                    )
                )
                methods = [
                    ("nodeforge/graph", {"textDocument": {"uri": self.uri}}),
                    (
                        "textDocument/hover",
                        {
                            "textDocument": {"uri": self.uri},
                            "position": {"line": 8, "character": 12},
                        },
                    ),
                    ("nodeforge/workspace", {}),
                    ("textDocument/documentSymbol", {"textDocument": {"uri": self.uri}}),
                ]
                sent = 0
                in_flight = 0
                while not self.stop.is_set():
                    while in_flight < 8:
                        method, params = methods[sent % len(methods)]
                        sent += 1
                        ws.send(
                            json.dumps(
                                {"jsonrpc": "2.0", "id": sent, "method": method, "params": params}
                            )
                        )
                        in_flight += 1
                    message = json.loads(ws.recv(timeout=60))
                    if "id" in message and "method" not in message:
                        in_flight -= 1
                        if "error" in message:
                            self.errors.append(str(message["error"]))
                        else:
                            self.answers += 1
        except Exception as exc:  # reported by the test
            self.errors.append(f"{type(exc).__name__}: {exc}")


@needs_browser
def test_the_page_end_to_end(served: tuple[str, Path, dict[str, str]]) -> None:
    url, workspace, env = served
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    flood = Flood(url, workspace)
    flood.start()
    started = time.monotonic()
    try:
        run = subprocess.run(
            ["npm", "run", "e2e"],
            cwd=WEB,
            capture_output=True,
            text=True,
            timeout=1500,
            env={
                **env,
                "NODEFORGE_E2E_URL": url,
                "NODEFORGE_E2E_WORKSPACE": str(workspace),
                "NODEFORGE_E2E_APP_ADDR": f"127.0.0.1:{free_port()}",
                "NODEFORGE_E2E_SHOTS": str(SHOTS),
                "NODEFORGE_CHROMIUM": CHROMIUM,
            },
        )
    finally:
        flood.stop.set()
        flood.join(90)
    out = run.stdout + run.stderr
    assert run.returncode == 0 and "# fail 0" in out, out[-6000:]
    assert "# pass 12" in out, out[-3000:]
    # The other client was answered all along, without errors.
    assert flood.errors == [], flood.errors[:5]
    assert flood.answers > 100, f"{flood.answers} answers in {time.monotonic() - started:.0f} s"
    for name in ("01-open", "07-simulation-data", "11-app-called", "12-diff", "13-after-reload"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
    # What the page saved is on disk: the history, the edits, the connector (encrypted).
    flow = json.loads((workspace / "tax_rate.flow.json").read_text(encoding="utf-8"))
    assert any(n["id"] == "log" for n in flow["nodes"])
    assert (workspace / ".nodeforge" / "history.git").exists()
    secrets = b"".join(p.read_bytes() for p in (workspace / ".nodeforge").rglob("*") if p.is_file())
    assert b"s3cret-never-shown" not in secrets
