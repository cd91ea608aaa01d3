"""The graph canvas (``web/graph``): its sample graphs are what the server answers
today, its unit tests pass (``npm test``: node --test), it type-checks, the bundle the
VS Code extension loads (``vscode-extension/media/graph.js``) is the one its sources
build, and that bundle works in a real browser (``npm run e2e``: Chromium through
playwright-core, hosted as in a VS Code webview; screenshots in
``web/graph/build/screenshots/``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nodeforge.analysis.engine import analyze
from nodeforge.analysis.ide import graph_view
from nodeforge.analysis.text import PositionEncoding
from nodeforge.analysis.workspace import load_workspace
from nodeforge.server.convert import lsp_graph
from tests.conftest import BROKEN, EXAMPLES, ROOT, assert_golden

WEB = ROOT / "web" / "graph"
MEDIA = ROOT / "vscode-extension" / "media"
SAMPLES = {
    "orders_api.graph.json": EXAMPLES / "orders_api.flow.json",
    "bad_connections.graph.json": BROKEN / "bad_connections.flow.json",
}

CHROMIUM = os.environ.get("NODEFORGE_CHROMIUM", "/usr/bin/chromium")

# In CI (scripts/setup installs Node.js and Debian's chromium) these fail, not skip.
needs_npm = pytest.mark.skipif(
    shutil.which("npm") is None and not os.environ.get("CI"),
    reason="Node.js/npm is not installed",
)
needs_chromium = pytest.mark.skipif(
    (shutil.which("npm") is None or not Path(CHROMIUM).exists()) and not os.environ.get("CI"),
    reason="Node.js/npm or Chromium is not installed",
)


def sample_graph(path: Path) -> str:
    """The ``nodeforge/graph`` answer for ``path`` (UTF-16 ranges, as VS Code asks),
    with a stable URI so that the sample does not depend on the checkout's place."""
    text = path.read_text(encoding="utf-8")
    uri = f"file:///workspace/{path.name}"
    analysis = analyze(text, uri, 1, load_workspace(path.parent))
    view = lsp_graph(graph_view(analysis), analysis.document.lines, PositionEncoding.UTF16)
    return json.dumps(view, indent=1, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_are_what_the_server_answers(name: str) -> None:
    assert_golden(WEB / "sample" / name, sample_graph(SAMPLES[name]))


def npm(*args: str, cwd: Path = WEB, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["npm", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    assert done.returncode == 0, f"npm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed() -> None:
    npm("ci", "--no-audit", "--no-fund")


@needs_npm
def test_canvas_unit_tests_and_types(installed: None) -> None:
    out = npm("test")
    assert "# fail 0" in out and "# pass" in out
    npm("run", "check")


@needs_npm
def test_committed_bundle_is_built_from_the_sources(installed: None, tmp_path: Path) -> None:
    npm("run", "build", env={"NODEFORGE_GRAPH_OUT": str(tmp_path)})
    for name in ("graph.js", "graph.css"):
        built = (tmp_path / name).read_text(encoding="utf-8")
        committed = MEDIA / name
        assert committed.exists(), f"{committed} is missing: run `npm run build` in web/graph"
        assert committed.read_text(encoding="utf-8") == built, (
            f"{committed} is stale: run `npm run build` in web/graph and commit it"
        )


@needs_chromium
def test_bundle_in_a_browser(installed: None) -> None:
    out = npm("run", "e2e", env={"NODEFORGE_CHROMIUM": CHROMIUM})
    assert "# fail 0" in out and "# pass" in out
