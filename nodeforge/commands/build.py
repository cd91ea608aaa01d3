"""``nodeforge build PATH``: generate and compile a flow or a workspace to one binary."""

from __future__ import annotations

import argparse
import json
import sys

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.workspace import WorkspaceError
from nodeforge.codegen.build import build

from .generate import _display, print_diagnostics, progress_printer


def run(args: argparse.Namespace) -> int:
    try:
        if args.at is not None:
            return _rebuild(args)
        result = build(
            args.path,
            out_dir=args.out_dir,
            binary=args.output,
            unsafe_no_sandbox=args.unsafe_no_sandbox,
            debug=args.debug,
            progress=progress_printer("build"),
        )
    except (OSError, CatalogError, WorkspaceError) as exc:
        print(f"nodeforge build: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "state": result.state,
                    "binary": str(result.binary) if result.binary else None,
                    "module": str(result.out_dir),
                    "seconds": round(result.seconds, 3),
                    "written": result.written,
                    "errors": [
                        {"flow": rel, "code": d.code, "message": d.message}
                        for rel, ds in sorted(result.diagnostics.items())
                        for d in ds
                    ],
                },
                indent=2,
            )
        )
        return 0 if result.ok else 1
    if not result.ok:
        print_diagnostics(result, args.format)
        print(f"build failed ({result.seconds:.1f}s)", file=sys.stderr)
        return 1
    assert result.binary is not None
    print(
        f"built {_display(result.binary)} in {result.seconds:.1f}s "
        f"({len(result.written)} generated files changed)"
    )
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from nodeforge.analysis.workspace import find_root
    from nodeforge.project.fsutil import ProjectError
    from nodeforge.project.rebuild import rebuild_at

    flow = args.path
    root = find_root(flow.parent) if flow.is_file() else None
    if root is None:
        print("nodeforge build --at: pass a flow file inside a workspace", file=sys.stderr)
        return 2
    try:
        commit, result = rebuild_at(root, flow, args.at)
    except ProjectError as exc:
        print(f"nodeforge build: {exc}", file=sys.stderr)
        return 1
    if not result.ok or result.binary is None:
        print_diagnostics(result, args.format)
        return 1
    print(f"rebuilt {flow} as saved at {commit[:10]}: {_display(result.binary)}")
    return 0
