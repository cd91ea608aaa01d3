"""Shared, cached builds for the code generation tests (one build per pytest process).

Not a test module of its own: pytest collects it (its name matches the build tests' glob)
but it only holds helpers. The Go build and module caches are the user's shared ones, so
a warm machine rebuilds the examples in about a second.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path

import pytest

from nodeforge.codegen.build import BuildResult, build, go_env

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
