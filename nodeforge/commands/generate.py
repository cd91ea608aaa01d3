"""``nodeforge generate PATH -o DIR``: write the Go module of a flow or a workspace."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.text import LineIndex
from nodeforge.analysis.workspace import WorkspaceError
from nodeforge.codegen.build import BuildResult, generate

if TYPE_CHECKING:
    from nodeforge.sandbox.goprogress import BuildProgress


def run(args: argparse.Namespace) -> int:
    try:
        result = generate(args.path, args.output)
    except (OSError, CatalogError, WorkspaceError) as exc:
        print(f"nodeforge generate: {exc}", file=sys.stderr)
        return 2
    if not result.ok:
        print_diagnostics(result, getattr(args, "format", "text"))
        return 1
    module = result.module
    count = len(module.files) if module else 0
    print(f"generated {count} files in {_display(result.out_dir)} ({len(result.written)} changed)")
    return 0


def progress_printer(
    command: str, stream: TextIO | None = None, every: float = 2.0
) -> Callable[[BuildProgress], None]:
    """A build's progress on stderr: one line rewritten in place on a terminal, else a
    line at most every ``every`` seconds (and at each new stage, and at the end)."""
    out = stream or sys.stderr
    tty = out.isatty()
    last: list[Any] = [float("-inf"), ""]

    def show(state: BuildProgress) -> None:
        text = f"nodeforge {command}: {state.message()}"
        if tty:
            end = "\n" if state.done else ""
            out.write("\r\x1b[K" + text + end)
            out.flush()
            return
        if state.done or state.stage != last[1] or state.elapsed - last[0] >= every:
            last[0], last[1] = state.elapsed, state.stage
            print(text, file=out, flush=True)

    return show


def print_diagnostics(result: BuildResult, fmt: str = "text") -> None:
    """Build problems as the editor shows them: on the flow nodes they come from."""
    from nodeforge.report import FileReport, render

    reports: list[FileReport] = []
    for rel, diags in sorted(result.diagnostics.items()):
        flow = result.flows.get(rel)
        if flow is None:
            for d in diags:
                print(f"error {d.code} {d.message}", file=sys.stderr)
            continue
        reports.append(FileReport(flow.path, _display(flow.path), LineIndex(flow.text), diags))
    if reports:
        sys.stdout.write(render(reports, fmt))
    if not result.diagnostics and result.output:
        print(result.output, file=sys.stderr)


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
