"""Architecture invariants that a test can hold (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from nodeforge import regenerate
from tests.conftest import ROOT

FORBIDDEN_IN_ANALYSIS = ("pygls", "lsprotocol", "websockets")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_analysis_never_imports_protocol_libraries() -> None:
    offenders = []
    for path in (ROOT / "analysis").rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN_IN_ANALYSIS or name.startswith("nodeforge.server"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders


def test_llm_package_never_imports_analysis_server_or_protocol_libraries() -> None:
    forbidden = ("nodeforge.analysis", "nodeforge.server", *FORBIDDEN_IN_ANALYSIS)
    offenders = []
    for path in (ROOT / "nodeforge" / "llm").rglob("*.py"):
        for name in _imports(path):
            if name.startswith(forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders


def test_assistant_never_imports_the_server_or_protocol_libraries() -> None:
    """nodeforge/assist sits between nodeforge/llm (and the analysis, the sandbox) and
    the server: the server's handlers call it, never the other way round."""
    forbidden = ("nodeforge.server", *FORBIDDEN_IN_ANALYSIS)
    offenders = []
    for path in (ROOT / "nodeforge" / "assist").rglob("*.py"):
        for name in _imports(path):
            if name.startswith(forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders


def test_generated_artifacts_are_up_to_date() -> None:
    for path, text in regenerate.outputs().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run `python -m nodeforge.regenerate`"
        )
