"""The VS Code extension type-checks against the pinned VS Code and client APIs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

EXTENSION = ROOT / "vscode-extension"


# In CI (scripts/setup installs Node.js) a missing npm is a failure, not a skip.
@pytest.mark.skipif(
    shutil.which("npm") is None and not os.environ.get("CI"),
    reason="Node.js/npm is not installed",
)
def test_extension_compiles() -> None:
    install = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=EXTENSION, capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr
    check = subprocess.run(
        ["npx", "tsc", "-p", ".", "--noEmit"], cwd=EXTENSION, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_extension_starts_the_stdio_server_for_flow_files() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text())
    assert manifest["main"] == "./out/extension.js"
    assert "workspaceContains:**/*.flow.json" in manifest["activationEvents"]
    source = (EXTENSION / "src" / "extension.ts").read_text()
    assert '["lsp", "--stdio"]' in source and "**/*.flow.json" in source
