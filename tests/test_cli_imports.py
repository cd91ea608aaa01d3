"""What a one-shot command imports (start-up, issue 15): ``nodeforge check`` and
``nodeforge generate`` of a valid flow, caches warm, leave the language server, the
sandbox, the slow JSON Schema validator (invalid files only), pydantic (the file formats'
models: invalid or uncached files only) and, for ``check``, the code generator and jinja2
unimported. A fresh interpreter runs each twice (the first fills
the caches) and reports its modules; no timing here, see bench/startup_bench.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.genflow import generate_flow
from tests.test_build_support import needs_go

NEVER = ("pygls", "lsprotocol", "nodeforge.server", "nodeforge.sandbox", "jsonschema", "asyncio")
# No pydantic: the cached catalog holds plain objects (the manifest file format's models
# are imported only to check a manifest file) and a plainly valid flow document is
# judged without the flow format's models (analysis/flowshape.py). Nor importlib.metadata,
# which pydantic's plugin lookup and looking up a package's version would import.
NEVER += ("pydantic", "pydantic_core", "importlib.metadata")
# Imported when first needed: RE2 for a pattern, zoneinfo and the time zone list for a
# schedule (the flow has neither), and, for `check`, which writes nothing once the
# caches are warm, tempfile (with random). (shutil is argparse's, for the terminal width.)
NEVER += ("re2", "zoneinfo", "importlib.resources")
CHECK_NEVER = (*NEVER, "jinja2", "nodeforge.codegen", "tempfile")

SCRIPT = """
import contextlib, io, json, sys
from nodeforge.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules(args: list[str], cache: Path) -> list[str]:
    env = {**os.environ, "NODEFORGE_CACHE": str(cache)}
    run = [sys.executable, "-c", SCRIPT, *args]
    subprocess.run(run, check=True, capture_output=True, env=env)  # fills the caches
    out = subprocess.run(run, check=True, capture_output=True, text=True, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    return list(result["modules"])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    (ws / "nodeforge.toml").write_text('[project]\nname = "imports"\n')
    (ws / "small.flow.json").write_text(json.dumps(generate_flow(12, error_rate=0.0)))
    return ws


def _imported(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_check_imports_no_codegen_server_or_sandbox(workspace: Path, tmp_path: Path) -> None:
    modules = _modules(["check", str(workspace)], tmp_path / "cache")
    assert "nodeforge.analysis.engine" in modules
    assert _imported(modules, CHECK_NEVER) == []


@needs_go  # gofmt
def test_generate_imports_no_server_or_sandbox(workspace: Path, tmp_path: Path) -> None:
    modules = _modules(["generate", str(workspace), "-o", str(tmp_path / "gen")], tmp_path / "c")
    assert "nodeforge.codegen.flowgen" in modules
    assert _imported(modules, NEVER) == []
