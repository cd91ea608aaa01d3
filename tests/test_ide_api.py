"""The editor-feature API: plain frozen data, no LSP imports, everything exported."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import nodeforge.analysis.ide as ide
from tests.conftest import ROOT

IDE = ROOT / "analysis" / "ide"


def test_every_exported_name_exists() -> None:
    for name in ide.__all__:
        assert hasattr(ide, name), name


@pytest.mark.parametrize(
    "cls",
    [
        ide.CompletionItem,
        ide.CompletionList,
        ide.HoverResult,
        ide.Location,
        ide.Symbol,
        ide.WorkspaceSymbol,
        ide.TextEdit,
        ide.CodeAction,
        ide.Lens,
    ],
)
def test_results_are_frozen_dataclasses(cls: type) -> None:
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", sorted(IDE.glob("*.py")), ids=lambda p: p.name)
def test_no_lsp_imports(path: Path) -> None:
    """The ide layer is LSP-agnostic: only the server converts to the protocol."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top not in {"pygls", "lsprotocol"}, f"{path.name} imports {name}"
            assert not name.startswith("nodeforge.server"), f"{path.name} imports {name}"
