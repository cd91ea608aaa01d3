"""``nodeforge check PATH...``: the CI gate for flow files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.flow import decode_source
from nodeforge.analysis.text import LineIndex
from nodeforge.analysis.workspace import Workspace, WorkspaceError, find_root, load_workspace
from nodeforge.commands.paths import iter_flow_files
from nodeforge.report import FileReport, render


def find_flow_files(paths: list[Path]) -> list[Path]:
    """Flow files named directly, plus ``*.flow.json`` found under named folders."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(iter_flow_files(path))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return list(dict.fromkeys(found))


class WorkspaceCache:
    """One loaded workspace per ``nodeforge.toml`` folder, shared by its files."""

    def __init__(self) -> None:
        self._by_root: dict[Path | None, Workspace] = {}

    def for_file(self, path: Path) -> Workspace:
        root = find_root(path.parent)
        if root not in self._by_root:
            self._by_root[root] = load_workspace(root)
        return self._by_root[root]


def check_file(path: Path, workspaces: WorkspaceCache) -> tuple[str, list[Diagnostic]]:
    text, bad_bytes = decode_source(path.read_bytes())
    analysis = analyze(text, uri=path.resolve().as_uri(), workspace=workspaces.for_file(path))
    diagnostics = analysis.diagnostics
    if bad_bytes is not None:
        invalid = Diagnostic("NF001", "The file is not valid UTF-8 here", Severity.ERROR, bad_bytes)
        diagnostics = [invalid, *diagnostics]
    return text, diagnostics


def run(args: argparse.Namespace) -> int:
    try:
        files = find_flow_files(args.paths)
    except FileNotFoundError as exc:
        print(f"nodeforge check: {exc}", file=sys.stderr)
        return 2
    threshold = Severity.parse(args.severity)
    workspaces = WorkspaceCache()
    reports: list[FileReport] = []
    for path in files:
        try:
            text, diagnostics = check_file(path, workspaces)
        except (OSError, CatalogError, WorkspaceError) as exc:
            print(f"nodeforge check: {path}: {exc}", file=sys.stderr)
            return 2
        shown = [d for d in diagnostics if d.severity <= threshold]
        reports.append(FileReport(path, _display(path), LineIndex(text), shown))
    output = render(reports, args.format)
    if args.output is not None:
        args.output.write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
    has_errors = any(d.severity == Severity.ERROR for r in reports for d in r.diagnostics)
    return 1 if has_errors else 0


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def print_schema(args: argparse.Namespace) -> int:
    if not getattr(args, "catalog", False):
        from nodeforge.analysis.model import flow_json_schema_text  # builds the models

        sys.stdout.write(flow_json_schema_text())
        return 0
    from nodeforge.analysis.catalog_schema import flow_schema_with_catalog_text

    try:
        workspace = load_workspace(find_root(Path.cwd()))
    except (CatalogError, WorkspaceError) as exc:
        print(f"nodeforge schema: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(flow_schema_with_catalog_text(workspace.catalog.all(), style=args.style))
    return 0
