"""Shared, cached builds for the code generation tests (one build per pytest process).

Not a test module of its own: pytest collects it (its name matches the build tests' glob)
but it only holds helpers. The Go build and module caches are the user's shared ones, so
a warm machine rebuilds the examples in about a second.
"""

from __future__ import annotations

import atexit
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from nodeforge.codegen.build import BuildResult, app_env, build, go_env

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden" / "codegen"

needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")

_TMP = Path(tempfile.mkdtemp(prefix="nodeforge-codegen-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


@cache
def built(path: Path) -> BuildResult:
    """``path`` (a workspace or a flow) generated and built once per test process."""
    name = path.name.replace(".", "_")
    out = _TMP / name
    result = build(path, out_dir=out / "gen", binary=out / "bin" / "app")
    if not result.ok:
        pytest.fail(f"build of {path} failed:\n{result.output}\n{result.diagnostics}")
    return result


def built_examples() -> BuildResult:
    return built(EXAMPLES)


def go(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["go", *args], cwd=cwd, env=go_env(), capture_output=True, text=True, check=False
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def make_workspace(folder: Path, *flows: dict[str, object], connectors: str = "") -> Path:
    """A workspace folder with ``flows`` (flow file dicts) and a nodeforge.toml."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    # No OpenTelemetry: smaller binaries link faster (the examples' tests cover tracing).
    (folder / "nodeforge.toml").write_text(
        f'[project]\nname = "t"\n[codegen]\ntracing = false\n{connectors}'
    )
    for flow in flows:
        (folder / f"{flow['id']}.flow.json").write_text(json.dumps(flow, indent=2))
    return folder


def run_app(
    binary: Path, flow: str, trigger: str, payload: object, env: dict[str, str] | None = None
) -> tuple[dict[str, object], str]:
    """``app run FLOW --trigger T --input -``: the captured result and the logs."""
    import json
    import os

    proc = subprocess.run(
        [str(binary), "run", flow, "--trigger", trigger, "--input", "-"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    lines = proc.stdout.strip().split("\n")
    assert lines, f"no output (exit {proc.returncode}): {proc.stderr}"
    return json.loads(lines[-1]), proc.stderr


def flow_node(node_id: str, type_: str, version: str = "1.0.0", **config: Any) -> dict[str, Any]:
    """A node of a test flow."""
    return {"id": node_id, "type": type_, "version": version, "config": config}


def flow_doc(flow_id: str, nodes: list[dict[str, Any]], *edges: str) -> dict[str, Any]:
    """A test flow; ``edges`` are ``"a -> b"`` (ports default to ``out`` and ``in``)."""
    conns = []
    for e in edges:
        src, dst = (x.strip() for x in e.split("->"))
        conns.append(
            {"from": src if "." in src else src + ".out", "to": dst if "." in dst else dst + ".in"}
        )
    return {"nodeforge": "1", "id": flow_id, "nodes": nodes, "connections": conns}


class BuiltApp:
    """A built workspace three ways: the simulator, ``app run`` and the served process
    (started on first use), for tests that compare them. ``env`` is given to all three."""

    def __init__(
        self, root: Path, result: BuildResult, tmp: Path, env: dict[str, str] | None = None
    ) -> None:
        assert result.binary is not None
        self.root, self.binary, self.tmp = root, result.binary, tmp
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def env(self, data: Path) -> dict[str, str]:
        return {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.tmp),
            **self.extra_env,
            **app_env(self.root, data),
        }

    def simulate(
        self, flow_id: str, trigger: str, value: Any, fixtures: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        from nodeforge.sandbox.nodetest import load_flow
        from nodeforge.sandbox.simulate import simulate

        return simulate(
            load_flow(self.root / f"{flow_id}.flow.json"),
            value,
            trigger=trigger,
            fixtures=fixtures or {},
            env=dict(self.extra_env),
        )

    def run(
        self,
        flow_id: str,
        trigger: str,
        value: Any,
        fixtures: dict[str, Any] | None = None,
        data: str = "run-data",
    ) -> dict[str, Any]:
        inp, fx = self.tmp / "input.json", self.tmp / "fixtures.json"
        inp.write_text(json.dumps(value))
        args = [str(self.binary), "run", flow_id, "--trigger", trigger, "--input", str(inp)]
        if fixtures:
            fx.write_text(json.dumps(fixtures))
            args += ["--fixtures", str(fx)]
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env=self.env(self.tmp / data),
            timeout=60,
            check=False,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        assert lines, f"no result from the binary: {proc.stdout}\n{proc.stderr}"
        out: dict[str, Any] = json.loads(lines[-1])
        return out

    def serve(self) -> str:
        if self.proc is None:
            self.port = free_port()
            env = {**self.env(self.tmp / "served-data"), "NODEFORGE_ADDR": f"127.0.0.1:{self.port}"}
            log = (self.tmp / "served.log").open("wb")
            self.proc = subprocess.Popen([str(self.binary)], env=env, stdout=log, stderr=log)
            wait_http(self.port)
        return f"http://127.0.0.1:{self.port}"

    def request(
        self, method: str, path: str, body: bytes | str | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """Status, JSON answer (the text when it is not JSON) and headers."""
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(
            self.serve() + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw, status, headers = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as exc:
            raw, status, headers = exc.read(), exc.code, dict(exc.headers)
        try:
            return status, json.loads(raw or b"null"), headers
        except ValueError:
            return status, raw.decode(errors="replace"), headers

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
