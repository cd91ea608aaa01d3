"""The web editor (``web/editor``): its unit tests pass (``npm test``: node --test on
the client logic: the connection, workspace edits, the config form, the palette,
gestures as commands, copy and paste), it type-checks, and the page ``nodeforge
serve`` serves (``nodeforge/webui/``, package data of the distribution) is the one its
sources build."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

WEB = ROOT / "web" / "editor"
WEBUI = ROOT / "nodeforge" / "webui"
BUILT = ("index.html", "editor.js", "editor.css")

# In CI (scripts/setup installs Node.js) these fail, not skip.
needs_npm = pytest.mark.skipif(
    shutil.which("npm") is None and not os.environ.get("CI"),
    reason="Node.js/npm is not installed",
)


def npm(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["npm", *args],
        cwd=WEB,
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
def test_editor_unit_tests_and_types(installed: None) -> None:
    out = npm("test")
    assert "# fail 0" in out and "# pass" in out
    npm("run", "check")


@needs_npm
def test_committed_page_is_built_from_the_sources(installed: None, tmp_path: Path) -> None:
    npm("run", "build", env={"NODEFORGE_WEBUI_OUT": str(tmp_path)})
    for name in BUILT:
        committed = WEBUI / name
        assert committed.exists(), f"{committed} is missing: run `npm run build` in web/editor"
        assert committed.read_text(encoding="utf-8") == (tmp_path / name).read_text(
            encoding="utf-8"
        ), f"{committed} is stale: run `npm run build` in web/editor and commit it"


def test_page_loads_only_its_own_files() -> None:
    """The gateway's Content-Security-Policy allows no inline script: the page loads
    its script and stylesheet from files beside it."""
    page = (WEBUI / "index.html").read_text(encoding="utf-8")
    assert '<script src="editor.js"></script>' in page
    assert '<link rel="stylesheet" href="editor.css">' in page
    assert "<script>" not in page and " on" not in page.split("<body>")[1].split(">")[0]
