"""``nodeforge node new CATEGORY/NAME`` and ``nodeforge node test KIT``: node author tools
(docs/writing-nodes.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.workspace import WorkspaceError
from nodeforge.commands.paths import exit_code
from nodeforge.project.fsutil import ProjectError, require_root


def run_new(args: argparse.Namespace) -> int:
    from nodeforge.project.kitnew import new_kit

    try:
        root = require_root(explicit=args.workspace)
        folder = new_kit(root, args.type, args.version)
    except (ProjectError, CatalogError, WorkspaceError) as exc:
        print(f"nodeforge node new: {exc}", file=sys.stderr)
        return exit_code(exc)
    print(
        f"created {folder.relative_to(root)}/: node.json, call.go.j2, Go executor and test, doc.md"
    )
    print(f"test it: nodeforge node test {folder.relative_to(root)}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from nodeforge.sandbox.kittest import check_kit

    try:
        result = check_kit(
            args.kit,
            Path.cwd(),
            unsafe_no_sandbox=args.unsafe_no_sandbox,
            go_tests=not args.no_go_tests,
        )
    except (ValueError, WorkspaceError, OSError) as exc:
        print(f"nodeforge node test: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.kit)
        for step in result.steps:
            mark = "skip" if step.skipped else ("ok" if step.ok else "FAIL")
            print(f"  {mark:4} {step.name}")
            if step.detail and (not step.ok or step.skipped):
                print("\n".join("       " + line for line in step.detail.splitlines()))
        print("ok" if result.ok else "FAILED")
    return 0 if result.ok else 1
